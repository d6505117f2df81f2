"""Proves the Bot API double against python-telegram-bot's real ``telegram.Bot``.

Each test talks HTTP to the double through PTB, so a green run means PTB builds its requests
the way the double reads them and maps the double's answers to the same exceptions it would
raise against api.telegram.org.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    ReplyParameters,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import Application, CommandHandler, ContextTypes

from bench.cluster import free_port
from tests.botapi import BotApiDouble, ErrorReply, UploadedFile

USER = 4242
GROUP = -1001234567890


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without it PTB 22 warns (PTBDeprecationWarning) while *building* RetryAfter, and under
    # filterwarnings=error that warning replaces the exception.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


pytestmark = pytest.mark.any_text  # these tests send text of their own, not the bot's


@pytest.fixture
async def bot(tg: BotApiDouble) -> AsyncIterator[Bot]:
    async with Bot(tg.token, base_url=tg.base_url) as ptb_bot:
        yield ptb_bot


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d.title(), callback_data=d) for d in data]])


async def raw_post(tg: BotApiDouble, method: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False) as client:
        return await client.post(f"{tg.api_url}/{method}", **kwargs)


# ---------------------------------------------------------------------- identity & transport


async def test_get_me_describes_the_bot(bot: Bot, tg: BotApiDouble) -> None:
    me = await bot.get_me()
    assert me.username == "pred_info_bot"
    assert me.is_bot and me.can_join_groups and me.supports_inline_queries
    assert me.can_read_all_group_messages is False  # privacy mode, as a fresh BotFather bot
    assert [c.method for c in tg.calls] == ["getMe", "getMe"]  # initialize() + ours
    assert tg.calls[0].http_verb == "POST"


async def test_tokens_and_methods_are_checked_like_telegram(tg: BotApiDouble) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("5012345678:wrong-secret", base_url=tg.base_url):
            pass
    assert tg.calls[-1].status == 401
    assert tg.calls[-1].response == {"ok": False, "error_code": 401, "description": "Unauthorized"}

    async with httpx.AsyncClient(trust_env=False) as client:
        malformed = await client.post(f"{tg.base_url}not-a-token/getMe")
    assert malformed.status_code == 404
    assert malformed.json() == {"ok": False, "error_code": 404, "description": "Not Found"}

    async with Bot(tg.token, base_url=tg.base_url) as bot:
        with pytest.raises(EndPointNotFound):
            await bot.do_api_request("sendTelepathy")
    lower_case = await raw_post(tg, "getme")  # method names are case-insensitive
    assert lower_case.json()["result"]["username"] == "pred_info_bot"


async def test_multipart_uploads_reach_a_registered_method(bot: Bot, tg: BotApiDouble) -> None:
    def send_document(double: BotApiDouble, params: dict[str, Any]) -> dict[str, Any]:
        upload = params["document"]
        assert isinstance(upload, UploadedFile)
        return {
            "message_id": 1,
            "date": 0,
            "chat": double.add_chat(params["chat_id"]),
            "caption": upload.filename,
        }

    tg.register_method("sendDocument", send_document)
    sent = await bot.send_document(USER, b"%PDF-1.4", filename="leaflet.pdf", caption="ignored")
    assert sent.caption == "leaflet.pdf"
    params = tg.calls_to("sendDocument")[0].params
    assert params["chat_id"] == USER and params["caption"] == "ignored"
    assert params["document"] == UploadedFile("leaflet.pdf", "application/pdf", 8)


# ---------------------------------------------------------------------- sendMessage


async def test_send_message_html_keyboard_and_reply(bot: Bot, tg: BotApiDouble) -> None:
    question = tg.push_message(USER, USER, "does pred work for LEMS?")
    assert question is not None
    asked_id = question["message"]["message_id"]

    sent = await bot.send_message(
        USER,
        '<b>Prednisone</b> &amp; LEMS: <i>some evidence</i>\n<a href="https://example.org">src</a>',
        parse_mode="HTML",
        reply_markup=keyboard("lems-evidence", "sources"),
        reply_parameters=ReplyParameters(asked_id),
    )

    assert sent.text == "Prednisone & LEMS: some evidence\nsrc"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 0, 10),
        ("italic", 19, 13),
        ("text_link", 33, 3),
    ]
    assert sent.from_user is not None and sent.from_user.id == bot.id
    assert sent.chat.id == USER and sent.message_id == asked_id + 1
    assert sent.reply_to_message is not None and sent.reply_to_message.message_id == asked_id
    assert sent.reply_markup == keyboard("lems-evidence", "sources")

    delivered = tg.wait_for_messages(USER, 1, timeout=1)
    assert delivered[0]["text"] == sent.text
    params = tg.calls_to("sendMessage")[0].params
    assert params["chat_id"] == USER and params["parse_mode"] == "HTML"
    assert params["reply_parameters"] == {"message_id": asked_id}


async def test_legacy_reply_to_message_id_and_json_bodies(tg: BotApiDouble) -> None:
    tg.push_message(USER, USER, "hello")
    ok = await raw_post(tg, "sendMessage", json={"chat_id": USER, "text": "hi", "reply_to_message_id": 1})
    assert ok.status_code == 200
    assert ok.json()["result"]["reply_to_message"]["text"] == "hello"

    form = {"chat_id": str(USER), "text": "x", "reply_to_message_id": "99"}
    missing = await raw_post(tg, "sendMessage", data=form)
    assert missing.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: message to be replied not found",
    }
    tolerated = await raw_post(tg, "sendMessage", data={**form, "allow_sending_without_reply": "true"})
    assert tolerated.json()["ok"] is True and "reply_to_message" not in tolerated.json()["result"]


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<p>Hello</p>", 'unsupported start tag "p" at byte offset 0'),
        ("5 < 10 mg", 'unsupported start tag "" at byte offset 2'),
        ("<b>bold", 'can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("é</b>", "unexpected end tag at byte offset 2"),
        ("<span>x</span>", 'tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
async def test_malformed_html_is_rejected_with_telegrams_text(
    bot: Bot, tg: BotApiDouble, html: str, error: str
) -> None:
    tg.add_chat(USER)
    with pytest.raises(BadRequest) as raised:
        await bot.send_message(USER, html, parse_mode="HTML")
    # PTB strips "Bad Request: " and capitalises the rest.
    assert str(raised.value) == f"Can't parse entities: {error}"
    response = tg.calls_to("sendMessage")[0].response
    assert response is not None
    assert response["description"].startswith("Bad Request: can't parse entities: ")
    assert tg.sent_messages(USER) == []


async def test_length_is_checked_after_entity_parsing(bot: Bot, tg: BotApiDouble) -> None:
    tg.add_chat(USER)
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await bot.send_message(USER, "x" * 4097)
    fits = await bot.send_message(USER, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    assert fits.text is not None and len(fits.text) == 4096
    with pytest.raises(BadRequest, match=r"^Message text is empty$"):
        await bot.send_message(USER, " \n <b> </b>", parse_mode="HTML")
    assert len(tg.sent_messages(USER)) == 1


async def test_callback_data_over_64_bytes_is_rejected(bot: Bot, tg: BotApiDouble) -> None:
    tg.add_chat(USER)
    too_long = "é" * 33  # 33 characters, 66 bytes: Telegram counts bytes
    with pytest.raises(BadRequest, match=r"^Button_data_invalid$"):
        await bot.send_message(USER, "pick", reply_markup=keyboard(too_long))
    await bot.send_message(USER, "pick", reply_markup=keyboard("é" * 32))
    assert len(tg.sent_messages(USER)) == 1


async def test_unknown_chats_blocked_users_and_removed_bots(bot: Bot, tg: BotApiDouble) -> None:
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.send_message(777, "hi")
    tg.push_message(GROUP, USER, "/start@pred_info_bot")
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(USER, "hi")  # known from the group, never opened a private chat

    tg.push_message(USER, USER, "/start")
    update = tg.push_my_chat_member(USER, added=False)
    assert update is not None and update["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    with pytest.raises(Forbidden, match=r"^Forbidden: bot was blocked by the user$"):
        await bot.send_message(USER, "still there?")

    tg.push_my_chat_member(GROUP, added=False)
    with pytest.raises(Forbidden, match=r"^Forbidden: bot was kicked from the supergroup chat$"):
        await bot.send_message(GROUP, "hello?")
    assert tg.sent_messages(USER) == [] and tg.sent_messages(GROUP) == []


# ---------------------------------------------------------------------- getUpdates


async def test_long_poll_returns_an_update_pushed_while_waiting(bot: Bot, tg: BotApiDouble) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await tg.wait_for_poller_async()
    tg.push_message(USER, USER, "/start")
    updates = await poll
    assert time.monotonic() - started < 2
    assert len(updates) == 1 and updates[0].message is not None
    assert updates[0].message.text == "/start"
    # Not confirmed yet: the same update comes again until offset moves past it.
    again = await bot.get_updates()
    assert [u.update_id for u in again] == [updates[0].update_id]
    assert await bot.get_updates(offset=updates[0].update_id + 1) == ()
    assert tg.pending_updates == []


async def test_long_poll_times_out_with_an_empty_list(bot: Bot, tg: BotApiDouble) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=dtm.timedelta(milliseconds=300)) == ()
    assert 0.28 <= time.monotonic() - started < 2


async def test_offset_and_limit(bot: Bot, tg: BotApiDouble) -> None:
    pushed = [tg.push_message(USER, USER, f"m{i}") for i in range(4)]
    ids = [u["update_id"] for u in pushed if u is not None]
    assert ids == sorted(ids) and len(set(ids)) == 4

    first_two = await bot.get_updates(limit=2)
    assert [u.update_id for u in first_two] == ids[:2]
    rest = await bot.get_updates(offset=ids[1])  # confirms ids[0] only
    assert [u.update_id for u in rest] == ids[1:]
    last = await bot.get_updates(offset=-1)  # forgets everything but the last one
    assert [u.update_id for u in last] == ids[3:]
    assert [u["update_id"] for u in tg.pending_updates] == ids[3:]


async def test_second_poller_terminates_the_first_with_conflict(bot: Bot, tg: BotApiDouble) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await tg.wait_for_poller_async()
    second = await raw_post(tg, "getUpdates", data={"timeout": "0"})
    assert second.json() == {"ok": True, "result": []}
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first


# ---------------------------------------------------------------------- faults


async def test_429_surfaces_as_retry_after_and_is_not_delivered(bot: Bot, tg: BotApiDouble) -> None:
    tg.add_chat(USER)
    tg.inject_retry_after("sendMessage", 1)
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(USER, "answer")
    assert raised.value.retry_after == dtm.timedelta(seconds=1)
    assert tg.calls_to("sendMessage")[0].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert tg.sent_messages(USER) == []
    await bot.send_message(USER, "answer")  # the fault was for one call only
    assert tg.sent_texts(USER) == ["answer"]


async def test_500_surfaces_as_network_error(bot: Bot, tg: BotApiDouble) -> None:
    tg.add_chat(USER)
    tg.inject_server_error("sendMessage", times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match=r"^Internal Server Error$") as raised:
            await bot.send_message(USER, "answer")
        assert not isinstance(raised.value, BadRequest)
    await bot.send_message(USER, "answer")
    assert tg.sent_texts(USER) == ["answer"]


async def test_slow_answer_times_out_on_the_client(bot: Bot, tg: BotApiDouble) -> None:
    tg.add_chat(USER)
    tg.inject_slow("sendMessage", 0.4)
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "answer", read_timeout=0.1)
    await tg.wait_idle_async()
    call = tg.calls_to("sendMessage")[0]
    assert call.finished and call.status is None
    assert tg.sent_messages(USER) == []  # the client gave up, so the double dropped the call


async def test_slow_answer_can_model_delivered_but_unacknowledged(bot: Bot, tg: BotApiDouble) -> None:
    tg.add_chat(USER)
    tg.inject_slow("sendMessage", 0.3, deliver_if_abandoned=True)
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "answer", read_timeout=0.1)
    assert [m["text"] for m in await tg.wait_for_messages_async(USER, 1)] == ["answer"]


async def test_slow_answer_within_the_client_timeout_succeeds(bot: Bot, tg: BotApiDouble) -> None:
    tg.add_chat(USER)
    tg.inject_slow("getMe", 0.2)
    started = time.monotonic()
    assert (await bot.get_me(read_timeout=2)).username == "pred_info_bot"
    assert time.monotonic() - started >= 0.2


async def test_dropped_connection_is_a_network_error(bot: Bot, tg: BotApiDouble) -> None:
    tg.add_chat(USER)
    tg.inject_disconnect("sendMessage")
    with pytest.raises(NetworkError) as raised:
        await bot.send_message(USER, "answer")
    assert not isinstance(raised.value, TimedOut)
    assert tg.sent_messages(USER) == []
    await bot.send_message(USER, "answer")
    assert tg.sent_texts(USER) == ["answer"]


async def test_faults_can_target_one_chat(bot: Bot, tg: BotApiDouble) -> None:
    other = USER + 1
    tg.add_chat(USER)
    tg.add_chat(other)
    tg.inject_blocked(USER)
    await bot.send_message(other, "fine")
    with pytest.raises(Forbidden, match=r"^Forbidden: bot was blocked by the user$"):
        await bot.send_message(USER, "blocked")
    tg.inject("*", ErrorReply(502, "Bad Gateway"))
    with pytest.raises(NetworkError, match=r"^Bad Gateway$"):
        await bot.get_me()
    assert tg.pending_faults() == []
    assert tg.sent_texts(other) == ["fine"] and tg.sent_texts(USER) == []


# ---------------------------------------------------------------------- buttons & inline


async def test_callback_query_answer_and_edit(bot: Bot, tg: BotApiDouble) -> None:
    tg.add_chat(USER)
    card = await bot.send_message(USER, "Pick a topic", reply_markup=keyboard("dosing", "stopping"))
    with pytest.raises(ValueError, match="no button"):
        tg.push_callback_query(USER, USER, card.message_id, "forged")
    tg.push_callback_query(USER, USER, card.message_id, "dosing")

    (update,) = await bot.get_updates()
    query = update.callback_query
    assert query is not None and query.data == "dosing"
    assert query.message is not None and query.message.message_id == card.message_id
    assert await bot.answer_callback_query(query.id, text="Dosing")
    assert tg.query_answer(query.id) == {"callback_query_id": query.id, "text": "Dosing"}
    with pytest.raises(BadRequest, match=r"^Query is too old and response timeout expired"):
        await bot.answer_callback_query(query.id)

    edited = await bot.edit_message_text("Dosing card", chat_id=USER, message_id=card.message_id)
    assert isinstance(edited, type(card)) and edited.reply_markup is None  # omitted = removed
    with pytest.raises(BadRequest, match=r"^Message is not modified"):
        await bot.edit_message_text("Dosing card", chat_id=USER, message_id=card.message_id)
    with pytest.raises(BadRequest, match=r"^Message to edit not found$"):
        await bot.edit_message_text("x", chat_id=USER, message_id=999)
    assert tg.sent_texts(USER) == ["Dosing card"]


async def test_inline_query_results_are_validated(bot: Bot, tg: BotApiDouble) -> None:
    def article(i: int, result_id: str | None = None) -> InlineQueryResultArticle:
        content = InputTextMessageContent(f"<b>card {i}</b>", parse_mode="HTML")
        return InlineQueryResultArticle(result_id or str(i), f"Card {i}", content)

    pushed = tg.push_inline_query(USER, "pred")
    assert pushed is not None
    query_id = pushed["inline_query"]["id"]
    with pytest.raises(BadRequest, match=r"^Results_too_much$"):
        await bot.answer_inline_query(query_id, [article(i) for i in range(51)])
    with pytest.raises(BadRequest, match=r"^Result_id_duplicate$"):
        await bot.answer_inline_query(query_id, [article(1), article(2, "1")])
    with pytest.raises(BadRequest, match=r"^Can't parse entities: "):
        bad = InlineQueryResultArticle("x", "x", InputTextMessageContent("<h1>", parse_mode="HTML"))
        await bot.answer_inline_query(query_id, [bad])
    assert await bot.answer_inline_query(query_id, [article(i) for i in range(50)])
    answer = tg.query_answer(query_id)
    assert answer is not None and len(answer["results"]) == 50


# ---------------------------------------------------------------------- commands & webhook


async def test_commands_round_trip(bot: Bot, tg: BotApiDouble) -> None:
    assert await bot.get_my_commands() == ()
    assert await bot.set_my_commands([("start", "Start"), ("sources", "Where answers come from")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "sources"]
    assert tg.commands()[1] == {"command": "sources", "description": "Where answers come from"}
    with pytest.raises(BadRequest, match=r"^Bot_command_invalid$"):
        await bot.set_my_commands([("/start", "Start")])


async def test_webhook_registration_blocks_polling(bot: Bot, tg: BotApiDouble) -> None:
    with pytest.raises(BadRequest, match=r"^Bad webhook: an https url must be provided"):
        await bot.set_webhook("http://127.0.0.1:8443/hook")
    tg.push_message(USER, USER, "queued")
    assert await bot.set_webhook("https://bot.example.com/hook", secret_token="s3cret")
    info = await bot.get_webhook_info()
    assert info.url == "https://bot.example.com/hook" and info.pending_update_count == 1
    assert tg.webhook["secret_token"] == "s3cret"
    with pytest.raises(Conflict, match="while webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == ()


async def test_updates_posted_to_a_ptb_webhook_server(tg: BotApiDouble) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("welcome")

    app = Application.builder().token(tg.token).base_url(tg.base_url).build()
    app.add_handler(CommandHandler("start", start))
    port = free_port()
    async with app:
        assert app.updater is not None
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="hook",
            webhook_url="https://bot.example.com/hook",
            secret_token="s3cret",
        )
        await app.start()
        try:
            update = tg.push_message(USER, USER, "/start", queue=False)
            assert update is not None and tg.pending_updates == []
            assert await tg.post_update(f"http://127.0.0.1:{port}/hook", update) == 200
            assert await tg.post_update(f"http://127.0.0.1:{port}/hook", update, secret_token="bad") == 403
            (reply,) = await tg.wait_for_messages_async(USER, 1)
        finally:
            await app.updater.stop()
            await app.stop()
    assert reply["text"] == "welcome"
    assert tg.calls_to("setWebhook")[0].params["secret_token"] == "s3cret"


async def test_polling_application_replies_exactly_once(tg: BotApiDouble) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("welcome")

    app = Application.builder().token(tg.token).base_url(tg.base_url).build()
    app.add_handler(CommandHandler("start", start))
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(timeout=1, poll_interval=0)
        await app.start()
        try:
            tg.push_message(USER, USER, "/start")
            await tg.wait_for_messages_async(USER, 1)
        finally:
            await app.updater.stop()
            await app.stop()
    assert tg.sent_texts(USER) == ["welcome"]
    assert tg.pending_updates == []  # PTB confirmed the update on shutdown


# ---------------------------------------------------------------------- update builders


async def test_pushed_updates_parse_in_ptb(bot: Bot, tg: BotApiDouble) -> None:
    built: list[dict[str, Any] | None] = []
    for kind in ("sticker", "photo", "voice", "document", "location", "video", "audio", "contact"):
        built.append(tg.push_message(USER, USER, attachment=kind))
    greeting = tg.push_message(USER, USER, "hi")
    assert greeting is not None
    built.append(tg.push_edited_message(USER, greeting["message"]["message_id"], "hi again"))
    built.append(tg.push_channel_post(-1009876543210, "news #lems"))
    built.append(tg.push_inline_query(USER, "dose"))
    built += [tg.push_my_chat_member(GROUP, added=True, chat_type="supergroup")]
    built.append(tg.push_new_chat_members(GROUP, [USER + 1]))

    updates = [Update.de_json(u, bot) for u in built if u is not None]
    assert len(updates) == len(built)
    assert updates[0].message is not None and updates[0].message.sticker is not None
    assert updates[1].message is not None and updates[1].message.photo
    assert updates[4].message is not None and updates[4].message.location is not None
    assert updates[8].edited_message is not None and updates[8].edited_message.text == "hi again"
    assert updates[9].channel_post is not None and updates[9].channel_post.entities
    assert updates[10].inline_query is not None and updates[10].inline_query.query == "dose"
    assert updates[11].my_chat_member is not None
    assert updates[11].my_chat_member.new_chat_member.status == "member"
    ids = [u["update_id"] for u in tg.pending_updates]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    kinds = [next(k for k in u if k != "update_id") for u in tg.pending_updates]
    assert kinds[-3:] == ["my_chat_member", "message", "message"]  # + service message for the bot


async def test_group_privacy_mode_and_mentions(bot: Bot, tg: BotApiDouble) -> None:
    assert tg.push_message(GROUP, USER, "what about prednisone?") is None
    assert tg.push_message(GROUP, USER, "/help@other_bot") is None
    mention = tg.push_message(GROUP, USER, "@pred_info_bot does pred help LEMS?")
    command = tg.push_message(GROUP, USER, "/help@pred_info_bot")
    assert mention is not None and command is not None
    assert mention["message"]["entities"] == [{"type": "mention", "offset": 0, "length": 14}]
    assert command["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 19}]

    answer = await bot.send_message(GROUP, "Answer")
    reply = tg.push_message(GROUP, USER, "thanks", reply_to=answer.message_id)
    assert reply is not None
    (parsed,) = [Update.de_json(reply, bot)]
    assert parsed.message is not None and parsed.message.reply_to_message is not None
    assert parsed.message.reply_to_message.from_user is not None
    assert parsed.message.reply_to_message.from_user.id == bot.id


def test_wait_for_messages_is_bounded(tg: BotApiDouble) -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="expected 1 message"):
        tg.wait_for_messages(USER, 1, timeout=0.1)
    assert time.monotonic() - started < 1
