"""The real bot over real HTTP: private chats, groups, buttons, inline mode and non-text updates.

Each test runs `build_application`'s Application, polling the Bot API double on 127.0.0.1 through
python-telegram-bot's own HTTP client. The `tg` fixture's teardown checks that every text the bot sent
or offered ended with the disclaimer.
"""

from __future__ import annotations

import asyncio
import importlib.abc
import logging
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.catalog import Catalog
from bot.render import CALLBACK_PREFIX
from tests.botapi import BotApiDouble
from tests.telegram_harness import (
    BOT,
    GROUP,
    OTHER,
    USER,
    RunningBot,
    ask,
    bot_settings,
    buttons,
    is_card,
    settle,
)


@pytest.fixture
async def bot(tg: BotApiDouble, catalog: Catalog, tmp_path: Path) -> AsyncIterator[RunningBot]:
    async with RunningBot(tg, catalog, bot_settings(tg, tmp_path)) as running:
        yield running


def text_of(message: dict[str, object]) -> str:
    return str(message.get("text", ""))


# ---------------------------------------------------------------------- private chats


async def test_private_conversation_with_follow_ups(bot: RunningBot, tg: BotApiDouble, catalog: Catalog) -> None:
    welcome = await ask(tg, USER, USER, "/start")
    assert is_card(welcome, catalog, "welcome")
    assert buttons(welcome) == [f"{CALLBACK_PREFIX}{c}" for c in catalog.cards["welcome"].related]
    assert "reply_to_message" not in welcome  # private chats: just answer

    assert is_card(await ask(tg, USER, USER, "does prednisone help ALS?"), catalog, "als-evidence")
    assert is_card(await ask(tg, USER, USER, "what about side effects?"), catalog, "als-side-effects")
    assert is_card(await ask(tg, USER, USER, "and for LEMS?"), catalog, "lems-side-effects")
    urgent = await ask(tg, USER, USER, "my dad cannot breathe after his prednisone dose")
    assert is_card(urgent, catalog, "urgent")

    sent = tg.calls_to("sendMessage")
    assert all(c.params["parse_mode"] == "HTML" for c in sent)
    assert len(tg.sent_messages(USER)) == len(sent) == 5  # one answer per message, none twice


async def test_answering_does_not_search_the_disk_for_modules(
    bot: RunningBot, tg: BotApiDouble, catalog: Catalog
) -> None:
    """httpcore imports sniffio on every request; missing, each import scans sys.path (~0.45 ms a reply)."""
    await ask(tg, USER, USER, "how does prednisone work?")  # warm: everything the bot needs is imported by now
    searched: list[str] = []

    class Watch(importlib.abc.MetaPathFinder):
        def find_spec(self, name: str, path: object = None, target: object = None) -> None:
            searched.append(name)

    watch = Watch()
    sys.meta_path.insert(0, watch)
    try:
        for question, card in (
            ("side effects of prednisone", "side-effects"),
            ("does prednisone help ALS?", "als-evidence"),
        ):
            assert is_card(await ask(tg, USER, USER, question), catalog, card)
    finally:
        sys.meta_path.remove(watch)
    assert searched == []


async def test_commands_in_a_private_chat(bot: RunningBot, tg: BotApiDouble, catalog: Catalog) -> None:
    assert [c["command"] for c in tg.commands()] == ["start", "help", "topics", "sources", "ask"]
    assert is_card(await ask(tg, USER, USER, "/help"), catalog, "welcome")
    menu = await ask(tg, USER, USER, "/topics")
    assert len(buttons(menu)) >= 16
    assert is_card(await ask(tg, USER, USER, "/sources"), catalog, "sources")
    assert is_card(await ask(tg, USER, USER, "/ask is prednisone a steroid?"), catalog, "prednisone")
    assert is_card(await ask(tg, USER, USER, "/ask"), catalog, "welcome")  # a bare /ask: how to ask
    unknown = await ask(tg, USER, USER, "/dose")
    assert text_of(unknown).startswith(catalog.messages["unknown_command"].split(".")[0])


async def test_nonsense_gets_the_fallback_with_topic_buttons(
    bot: RunningBot, tg: BotApiDouble, catalog: Catalog
) -> None:
    for text in ("asdfgh qwerty", "🙂🙂🙂", "<b>zq</b> & <script>"):
        reply = await ask(tg, USER, USER, text)
        assert text_of(reply).startswith(catalog.messages["fallback"].split(".")[0])
        assert buttons(reply)


# ---------------------------------------------------------------------- groups


async def test_two_caregivers_in_one_group_keep_their_own_context(
    bot: RunningBot, tg: BotApiDouble, catalog: Catalog
) -> None:
    a_question = tg.push_message(GROUP, USER, f"@{BOT} does prednisone help ALS?")
    assert a_question is not None
    a_answer = (await tg.wait_for_messages_async(GROUP, 1))[0]
    assert is_card(a_answer, catalog, "als-evidence")
    assert a_answer["reply_to_message"]["message_id"] == a_question["message"]["message_id"]

    b_answer = await ask(tg, GROUP, OTHER, f"/ask@{BOT} does prednisone help LEMS?")
    assert is_card(b_answer, catalog, "lems-evidence")

    # A replies to the bot's answer: A's context (ALS), not B's more recent LEMS
    a_follow = tg.push_message(GROUP, USER, "what about side effects?", reply_to=a_answer["message_id"])
    assert a_follow is not None
    a_reply = (await tg.wait_for_messages_async(GROUP, 3))[2]
    assert is_card(a_reply, catalog, "als-side-effects")
    assert a_reply["reply_to_message"]["message_id"] == a_follow["message"]["message_id"]
    assert a_reply["reply_to_message"]["from"]["id"] == USER

    b_reply = await ask(tg, GROUP, OTHER, "/ask side effects?")
    assert is_card(b_reply, catalog, "lems-side-effects")
    assert b_reply["reply_to_message"]["from"]["id"] == OTHER


async def test_group_mention_reply_and_ask_at_botname(bot: RunningBot, tg: BotApiDouble, catalog: Catalog) -> None:
    # the mention after an emoji: entity offsets count UTF-16 units, and the case of the name does not matter
    middle = await ask(tg, GROUP, USER, f"😊 @{BOT.upper()} does prednisone help LEMS?")
    assert is_card(middle, catalog, "lems-evidence")
    replied = await ask(tg, GROUP, USER, "what are the alternatives?", reply_to=middle["message_id"])
    assert is_card(replied, catalog, "lems-alternatives")
    assert is_card(await ask(tg, GROUP, OTHER, f"/ask@{BOT} does prednisone help ALS?"), catalog, "als-evidence")
    assert len(buttons(await ask(tg, GROUP, OTHER, f"/topics@{BOT}"))) >= 16
    hello = await ask(tg, GROUP, OTHER, f"@{BOT}")  # a bare mention: how to ask
    assert is_card(hello, catalog, "welcome")
    unknown = await ask(tg, GROUP, OTHER, f"/dose@{BOT}")
    assert text_of(unknown).startswith("Sorry, I don't know that command")


async def test_unaddressed_group_messages_are_ignored(bot: RunningBot, tg: BotApiDouble, catalog: Catalog) -> None:
    # privacy mode: Telegram does not even deliver these
    assert tg.push_message(GROUP, USER, "does prednisone help ALS?") is None
    assert tg.push_message(GROUP, USER, "/help@other_bot") is None
    # delivered, but not for us: a command of another bot's we do not have, a reply to someone else
    first = tg.push_message(GROUP, OTHER, "/dose")
    assert first is not None
    assert tg.push_message(GROUP, USER, "thanks", reply_to=first["message"]["message_id"]) is None
    assert await settle(tg, GROUP, USER) == []


async def test_other_bots_and_messages_via_this_bot_are_ignored(
    bot: RunningBot, tg: BotApiDouble, catalog: Catalog
) -> None:
    from_bot = tg.push_message(GROUP, OTHER, f"/ask@{BOT} does prednisone help ALS?", queue=False)
    assert from_bot is not None
    from_bot["message"]["from"]["is_bot"] = True
    await bot.deliver(from_bot)

    # a card someone shared inline into their chat with the bot: the bot's own words, not a question
    shared = tg.push_message(USER, USER, "Side effects of prednisone in ALS ...", queue=False)
    assert shared is not None
    shared["message"]["via_bot"] = tg.bot_user
    await bot.deliver(shared)

    assert await settle(tg, GROUP, USER) == []
    assert await settle(tg, USER, USER) == []


async def test_added_to_a_group_says_hello_once(bot: RunningBot, tg: BotApiDouble, catalog: Catalog) -> None:
    # The double starts a new chat with the bot already in it; take it out first (Telegram would not tell
    # the bot), so that adding it is a real change from "left" to "member".
    tg.push_my_chat_member(GROUP, added=False, queue=False)
    tg.push_my_chat_member(GROUP, added=True)  # + the new_chat_members service message
    (hello,) = await tg.wait_for_messages_async(GROUP, 1)
    assert text_of(hello).startswith("Hello! I answer questions about prednisone")
    tg.push_my_chat_member(GROUP, added=True, as_admin=True)  # promoted: already there, no second hello
    tg.push_new_chat_members(GROUP, [USER, OTHER])  # people joining: a service message, ignored
    assert [m["message_id"] for m in await settle(tg, GROUP, USER)] == [hello["message_id"]]


async def test_removed_from_a_group_sends_nothing(
    bot: RunningBot, tg: BotApiDouble, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    tg.add_chat(GROUP)
    await bot.deliver(tg.push_my_chat_member(GROUP, added=False, queue=False))
    assert any("removed from a group" in r.getMessage() for r in caplog.records)
    assert tg.sent_messages(GROUP) == [] and tg.calls_to("sendMessage") == []


# ---------------------------------------------------------------------- non-text updates


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "document", "location", "video", "audio", "contact"])
async def test_non_text_in_private_gets_a_short_note(
    bot: RunningBot, tg: BotApiDouble, catalog: Catalog, kind: str
) -> None:
    tg.push_message(USER, USER, attachment=kind)  # type: ignore[arg-type]
    (note,) = await tg.wait_for_messages_async(USER, 1)
    assert text_of(note).startswith(catalog.messages["non_text"].split(".")[0])


async def test_service_messages_in_private_get_the_note_too(
    bot: RunningBot, tg: BotApiDouble, catalog: Catalog
) -> None:
    """SPEC §6: service messages, like stickers, get "I can read text questions" in a private chat."""
    asked = tg.push_message(USER, USER, "hello", queue=False)
    assert asked is not None
    pin = {k: v for k, v in asked["message"].items() if k not in ("text", "entities")}
    pin["pinned_message"] = {k: v for k, v in asked["message"].items() if k != "message_id"} | {"message_id": 1}
    await bot.deliver({"update_id": asked["update_id"], "message": pin})
    (note,) = await tg.wait_for_messages_async(USER, 1)
    assert text_of(note).startswith(catalog.messages["non_text"].split(".")[0])


async def test_edited_messages(bot: RunningBot, tg: BotApiDouble, catalog: Catalog) -> None:
    asked = tg.push_message(USER, USER, "does prednisone help ALS?")
    assert asked is not None
    (answer,) = await tg.wait_for_messages_async(USER, 1)
    assert tg.push_edited_message(USER, asked["message"]["message_id"], "does prednisone help LEMS?") is not None
    note = (await tg.wait_for_messages_async(USER, 2))[1]
    assert text_of(note).startswith(catalog.messages["non_text"].split(".")[0])  # SPEC §6: a note, not a re-answer
    assert is_card(answer, catalog, "als-evidence")

    in_group = tg.push_message(GROUP, USER, f"@{BOT} does prednisone help ALS?")
    assert in_group is not None
    await tg.wait_for_messages_async(GROUP, 1)
    edited = tg.push_edited_message(GROUP, in_group["message"]["message_id"], f"@{BOT} does prednisone help LEMS?")
    assert edited is not None  # still mentions the bot, so Telegram delivers the edit ...
    assert len(await settle(tg, GROUP, USER)) == 1  # ... and the bot leaves it alone


async def test_non_text_and_service_messages_in_groups_are_ignored(
    bot: RunningBot, tg: BotApiDouble, catalog: Catalog
) -> None:
    assert tg.push_message(GROUP, USER, attachment="sticker") is None  # privacy mode: not delivered
    captioned = tg.push_message(GROUP, USER, attachment="photo", caption=f"@{BOT} is this rash a side effect?")
    assert captioned is not None  # the caption mentions the bot, so Telegram delivers it; still not text
    assert tg.push_new_chat_members(GROUP, [OTHER]) is not None
    assert await settle(tg, GROUP, USER) == []


async def test_channel_posts_are_not_requested_and_ignored_anyway(
    bot: RunningBot, tg: BotApiDouble, catalog: Catalog
) -> None:
    channel = -1009876543210
    assert tg.push_channel_post(channel, f"@{BOT} news about prednisone") is None  # not in allowed_updates
    post = tg.push_channel_post(channel, f"@{BOT} news about prednisone", queue=False)
    await bot.deliver(post)  # delivered anyway (e.g. an old webhook registration): still nothing
    assert tg.sent_messages(channel) == []


# ---------------------------------------------------------------------- buttons


async def test_every_topic_menu_button(bot: RunningBot, tg: BotApiDouble, catalog: Catalog) -> None:
    menu = await ask(tg, USER, USER, "/topics")
    for n, data in enumerate(buttons(menu), start=2):
        pushed = tg.push_callback_query(USER, USER, menu["message_id"], data)
        assert pushed is not None
        card = (await tg.wait_for_messages_async(USER, n))[n - 1]
        assert is_card(card, catalog, data.removeprefix(CALLBACK_PREFIX)), data
        assert tg.query_answer(pushed["callback_query"]["id"]) is not None  # the spinner stopped
    assert len(tg.sent_messages(USER)) == len(buttons(menu)) + 1


async def test_clarify_related_and_fallback_buttons(bot: RunningBot, tg: BotApiDouble, catalog: Catalog) -> None:
    clarify = await ask(tg, USER, USER, "does it work?")
    assert buttons(clarify) == ["card:lems-evidence", "card:als-evidence"]
    assert [b["text"] for row in clarify["reply_markup"]["inline_keyboard"] for b in row] == ["LEMS", "ALS"]
    tg.push_callback_query(USER, USER, clarify["message_id"], "card:als-evidence")
    evidence = (await tg.wait_for_messages_async(USER, 2))[1]
    assert is_card(evidence, catalog, "als-evidence")
    # the button set the context: a follow-up is about ALS
    assert is_card(await ask(tg, USER, USER, "and side effects?"), catalog, "als-side-effects")

    related = buttons(evidence)
    assert related == [f"card:{c}" for c in catalog.cards["als-evidence"].related]
    tg.push_callback_query(USER, USER, evidence["message_id"], related[0])
    assert is_card((await tg.wait_for_messages_async(USER, 4))[3], catalog, related[0].removeprefix("card:"))

    fallback = await ask(tg, USER, USER, "is ibuprofen ok for a headache?")
    suggestions = buttons(fallback)
    assert 1 <= len(suggestions) <= 3
    tg.push_callback_query(USER, USER, fallback["message_id"], suggestions[-1])
    assert is_card((await tg.wait_for_messages_async(USER, 6))[5], catalog, suggestions[-1].removeprefix("card:"))


async def test_a_button_in_a_group_replies_to_that_message(bot: RunningBot, tg: BotApiDouble, catalog: Catalog) -> None:
    answer = await ask(tg, GROUP, USER, f"/ask@{BOT} does prednisone help LEMS?")
    tg.push_callback_query(GROUP, OTHER, answer["message_id"], "card:lems-side-effects")
    card = (await tg.wait_for_messages_async(GROUP, 2))[1]
    assert is_card(card, catalog, "lems-side-effects")
    assert card["reply_to_message"]["message_id"] == answer["message_id"]
    # the presser (OTHER) now has LEMS context; USER's own context is untouched (still LEMS evidence)
    assert is_card(await ask(tg, GROUP, OTHER, "/ask what are the alternatives?"), catalog, "lems-alternatives")


async def test_stale_buttons_get_a_short_note(bot: RunningBot, tg: BotApiDouble, catalog: Catalog) -> None:
    answer = await ask(tg, USER, USER, "what is prednisone?")
    assert "card:compare" in buttons(answer)
    trimmed = {k: v for k, v in catalog.cards.items() if k != "compare"}
    bot.brain.swap(replace(catalog, cards=trimmed, intents=tuple(i for i in catalog.intents if i.card != "compare")))

    pushed = tg.push_callback_query(USER, USER, answer["message_id"], "card:compare")
    assert pushed is not None
    note = (await tg.wait_for_messages_async(USER, 2))[1]
    assert text_of(note).startswith(catalog.messages["stale_button"])
    assert buttons(note)  # topics to go on with
    assert tg.query_answer(pushed["callback_query"]["id"]) is not None

    # a button from an older version of the bot, and one under a message Telegram no longer has
    tg.push_callback_query(USER, USER, answer["message_id"], "v1:lems", check_button=False)
    tg.push_callback_query(USER, USER, 9999, "card:lems", check_button=False)
    later = (await tg.wait_for_messages_async(USER, 4))[2:]
    assert text_of(later[0]).startswith(catalog.messages["stale_button"])
    assert is_card(later[1], catalog, "lems")


# ---------------------------------------------------------------------- inline mode


async def inline(tg: BotApiDouble, query: str, user: int = USER) -> list[dict[str, object]]:
    pushed = tg.push_inline_query(user, query)
    assert pushed is not None
    query_id = pushed["inline_query"]["id"]
    await asyncio.to_thread(tg.wait_until, lambda: tg.query_answer(query_id), 5.0, "the inline answer")
    answer = tg.query_answer(query_id)
    assert answer is not None
    assert answer["cache_time"] == 60 and answer.get("is_personal") in (None, False)
    return list(answer["results"])


async def test_inline_lists_matching_cards(bot: RunningBot, tg: BotApiDouble, catalog: Catalog) -> None:
    results = await inline(tg, "side effects in LEMS")
    ids = [r["id"] for r in results]
    assert ids[0] == "lems-side-effects"
    assert not any(catalog.cards[i].condition == "als" for i in ids)  # never the other condition
    first = results[0]
    assert first["type"] == "article"
    assert first["title"] == catalog.cards["lems-side-effects"].title
    assert first["description"] == catalog.cards["lems-side-effects"].short
    content = first["input_message_content"]
    assert isinstance(content, dict) and content["parse_mode"] == "HTML"
    assert str(content["message_text"]).startswith(f"<b>{catalog.cards['lems-side-effects'].title}</b>")


async def test_inline_urgent_first_and_topics_when_empty(bot: RunningBot, tg: BotApiDouble) -> None:
    urgent = await inline(tg, "he has chest pain on prednisone")
    assert urgent[0]["id"] == "urgent"
    empty = await inline(tg, "")
    assert [r["id"] for r in empty][:3] == ["prednisone", "lems", "als"]


async def test_inline_results_are_cached_by_normalised_query(bot: RunningBot, tg: BotApiDouble) -> None:
    first = await inline(tg, "Side effects?")
    second = await inline(tg, "  side   EFFECTS ", user=OTHER)
    assert first == second
    cache = bot.bot_data.inline_cache
    assert (cache.misses, cache.hits) == (1, 1)
    bot.brain.swap(replace(bot.brain.catalog))  # a reload (a new catalog object): rank afresh
    await inline(tg, "side effects")
    assert cache.hits == 1


# ---------------------------------------------------------------------- what is logged


async def test_logs_hold_neither_message_text_nor_the_token(
    bot: RunningBot, tg: BotApiDouble, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    question = "my mother Anna takes prednisone for LEMS, is her weight gain from it?"
    await ask(tg, USER, USER, question)
    await ask(tg, GROUP, OTHER, f"@{BOT} {question}")
    await inline(tg, question)
    records = [r.getMessage() for r in caplog.records if not r.name.startswith("httpx")]
    assert any("answered chat=" in r for r in records)
    for record in records:
        assert "Anna" not in record and tg.token not in record
        assert str(USER) not in record and str(OTHER) not in record and str(GROUP) not in record


# ---------------------------------------------------------------------- errors


async def test_a_bug_gets_the_asker_an_error_note_and_the_bot_keeps_serving(
    bot: RunningBot, tg: BotApiDouble, catalog: Catalog, caplog: pytest.LogCaptureFixture
) -> None:
    real_turn = bot.brain.turn

    def broken(text: str, key: str, now: float) -> object:
        if "crash" in text:
            raise RuntimeError("a bug in the core")
        return real_turn(text, key, now)

    bot.brain.turn = broken  # type: ignore[method-assign,assignment]
    note = await ask(tg, USER, USER, "crash please")
    assert text_of(note).startswith(catalog.messages["error"].split(".")[0])
    group_note = await ask(tg, GROUP, OTHER, f"@{BOT} crash please")
    assert group_note["reply_to_message"]["from"]["id"] == OTHER
    assert is_card(await ask(tg, USER, USER, "does prednisone help ALS?"), catalog, "als-evidence")
    assert any(r.exc_info and "a bug in the core" in str(r.exc_info[1]) for r in caplog.records)
