"""The Telegram adapter's pieces on their own: addressing, retries, ordering, logs, inline ranking, SQLite.

No network at all: messages are built by the Bot API double's update builders without starting its
server, and python-telegram-bot errors are built by hand.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.adapters.shared import sqlite_context
from bot.adapters.shared.logs import Anonymizer, _RedactToken
from bot.adapters.shared.sqlite_context import FLUSH_SECONDS, TRIM_EVERY, SqliteContextStore
from bot.adapters.telegram.delivery import FairRateLimiter, failure_kind
from bot.adapters.telegram.handlers import addressed_text, conversation_key, sent_by_a_bot
from bot.adapters.telegram.ordering import ChatFirstProcessor
from bot.adapters.telegram.transport import JsonRequest
from bot.brain import Brain
from bot.catalog import Catalog
from bot.context import CONTEXT_TTL_SECONDS, ChatContext, ContextStore
from bot.inline import TtlCache, inline_cards
from bot.router import Router
from tests.botapi import BotApiDouble
from tests.telegram_harness import BOT, GROUP, OTHER, USER

BOT_ID = 5012345678


@pytest.fixture(scope="module")
def builder() -> BotApiDouble:
    return BotApiDouble()  # never started: only its update builders are used


def group_message(builder: BotApiDouble, text: str, **kwargs: Any) -> Message:
    update = builder.push_message(GROUP, USER, text, queue=False, **kwargs)
    assert update is not None, "privacy mode: Telegram would not deliver this"
    message = Update.de_json(update, None).message
    assert message is not None
    return message


# ---------------------------------------------------------------------- addressing


@pytest.mark.parametrize(
    ("text", "question"),
    [
        (f"@{BOT} does prednisone help LEMS?", "does prednisone help LEMS?"),
        (f"so @{BOT.upper()}, what about side effects?", "so , what about side effects?"),
        (f"👨‍👩‍👧 @{BOT} dose?", "👨‍👩‍👧 dose?"),  # entity offsets in UTF-16 units, after a ZWJ emoji
        (f"@{BOT}", ""),
    ],
)
def test_mentions_address_the_bot(builder: BotApiDouble, text: str, question: str) -> None:
    assert addressed_text(group_message(builder, text), BOT, BOT_ID) == question


def test_replies_to_the_bot_address_it_and_others_do_not() -> None:
    def reply_to(author: dict[str, Any]) -> Message:
        chat = {"id": GROUP, "type": "supergroup", "title": "g"}
        earlier = {"message_id": 1, "date": 0, "chat": chat, "from": author, "text": "an answer"}
        person = {"id": USER, "is_bot": False, "first_name": "A"}
        return Message.de_json(
            {
                "message_id": 2,
                "date": 0,
                "chat": chat,
                "from": person,
                "text": "and for ALS?",
                "reply_to_message": earlier,
            },
            None,
        )

    assert addressed_text(reply_to({"id": BOT_ID, "is_bot": True, "first_name": "P"}), BOT, BOT_ID) == "and for ALS?"
    assert addressed_text(reply_to({"id": OTHER, "is_bot": False, "first_name": "B"}), BOT, BOT_ID) is None


def test_mentions_of_other_bots_do_not_address_this_one(builder: BotApiDouble) -> None:
    message = Message.de_json(
        {
            "message_id": 1,
            "date": 0,
            "chat": {"id": GROUP, "type": "supergroup", "title": "g"},
            "from": {"id": USER, "is_bot": False, "first_name": "A"},
            "text": "@other_bot and @pred_info_botanist, hello",
            "entities": [
                {"type": "mention", "offset": 0, "length": 10},
                {"type": "mention", "offset": 15, "length": 19},
            ],
        },
        None,
    )
    assert addressed_text(message, BOT, BOT_ID) is None
    named = Message.de_json(
        {
            "message_id": 2,
            "date": 0,
            "chat": {"id": GROUP, "type": "supergroup", "title": "g"},
            "from": {"id": USER, "is_bot": False, "first_name": "A"},
            "text": "Prednisone Info what is ALS?",
            "entities": [
                {
                    "type": "text_mention",
                    "offset": 0,
                    "length": 15,
                    "user": {"id": BOT_ID, "is_bot": True, "first_name": "P"},
                }
            ],
        },
        None,
    )
    assert addressed_text(named, BOT, BOT_ID) == "what is ALS?"


def test_conversation_keys_are_per_user_in_groups_only() -> None:
    assert conversation_key(USER, USER, "private") == str(USER)
    assert conversation_key(GROUP, USER, "supergroup") != conversation_key(GROUP, OTHER, "supergroup")
    assert conversation_key(-42, USER, "group") == f"-42:{USER}"


def test_other_bots_are_bots_but_anonymous_admins_are_people() -> None:
    def message(sender: dict[str, Any], sender_chat: dict[str, Any] | None = None) -> Message:
        data: dict[str, Any] = {"message_id": 1, "date": 0, "chat": {"id": GROUP, "type": "supergroup"}, "from": sender}
        if sender_chat:
            data["sender_chat"] = sender_chat
        return Message.de_json(data, None)

    assert sent_by_a_bot(message({"id": 9, "is_bot": True, "first_name": "OtherBot"}))
    assert not sent_by_a_bot(message({"id": USER, "is_bot": False, "first_name": "A"}))
    anonymous = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
    assert not sent_by_a_bot(message(anonymous, {"id": GROUP, "type": "supergroup"}))
    channel = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}
    assert sent_by_a_bot(message(channel, {"id": -1009876543210, "type": "channel"}))


# ---------------------------------------------------------------------- retries


def raised_from(error: Exception, cause: BaseException) -> Exception:
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (NetworkError("Internal Server Error"), "refused"),
        (NetworkError("Bad Gateway"), "refused"),
        (raised_from(NetworkError("httpx.ConnectError: refused"), httpx.ConnectError("refused")), "not sent"),
        (raised_from(TimedOut(), httpx.ConnectTimeout("slow")), "not sent"),
        (raised_from(TimedOut("Pool timeout"), httpx.PoolTimeout("full")), "not sent"),
        (raised_from(TimedOut(), httpx.ReadTimeout("slow")), "unconfirmed"),
        (raised_from(NetworkError("httpx.RemoteProtocolError"), httpx.RemoteProtocolError("gone")), "unconfirmed"),
        (BadRequest("Message is too long"), None),
        (Forbidden("Forbidden: bot was blocked by the user"), None),
        (RetryAfter(1), None),  # flood control: waited out, not backed off
    ],
)
def test_failure_kinds(error: Exception, kind: str | None) -> None:
    assert failure_kind(error) == kind


async def test_requests_go_out_as_json_and_fail_as_python_telegram_bot_would() -> None:
    """JsonRequest changes the body only: same answers, same exceptions with the httpx error as the cause."""
    seen: list[httpx.Request] = []
    failure: list[Exception] = []
    me = {"id": BOT_ID, "is_bot": True, "first_name": "Bot", "username": "pred_info_bot"}

    def telegram(request: httpx.Request) -> httpx.Response:
        if failure:
            raise failure[0]
        seen.append(request)
        if request.url.path.endswith("/getMe"):
            return httpx.Response(200, json={"ok": True, "result": me})
        sent = json.loads(request.content)
        chat = {"id": int(sent["chat_id"]), "type": "private", "first_name": "U"}
        result = {"message_id": 7, "date": 0, "chat": chat, "text": sent["text"]}
        return httpx.Response(200, json={"ok": True, "result": result})

    request = JsonRequest(httpx_kwargs={"transport": httpx.MockTransport(telegram)})
    bot = Bot("123:abc", request=request)
    async with bot:
        text = "Prednisone &amp; <b>LEMS</b>: \u00fc \U0001f48a " + "x" * 2000
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Side effects", callback_data="card:side-effects")]])
        message = await bot.send_message(USER, text, parse_mode="HTML", reply_markup=markup)
        assert message.text == text
        assert seen[-1].headers["content-type"] == "application/json"
        # PTB's json_payload: objects as JSON strings, as in its form bodies (the Bot API reads both)
        body = {k: json.loads(v) if k == "reply_markup" else v for k, v in json.loads(seen[-1].content).items()}
        assert body == {
            "chat_id": str(USER),
            "text": text,
            "parse_mode": "HTML",
            "reply_markup": {"inline_keyboard": [[{"text": "Side effects", "callback_data": "card:side-effects"}]]},
        }
        for cause, error, kind in [
            (httpx.ConnectError("refused"), NetworkError, "not sent"),
            (httpx.PoolTimeout("full"), TimedOut, "not sent"),
            (httpx.ReadTimeout("slow"), TimedOut, "unconfirmed"),
            (httpx.RemoteProtocolError("gone"), NetworkError, "unconfirmed"),
        ]:
            failure[:] = [cause]
            with pytest.raises(error) as raised:
                await bot.send_message(USER, "hello")
            assert raised.value.__cause__ is cause and failure_kind(raised.value) == kind


async def test_retries_back_off_then_give_up() -> None:
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    limiter = FairRateLimiter(retries=4, base_delay=1.0, max_delay=5.0, anonymize=Anonymizer(b"k"), sleep=sleep)
    calls = 0

    async def failing(*args: Any, **kwargs: Any) -> bool:
        nonlocal calls
        calls += 1
        raise NetworkError("Internal Server Error")

    with pytest.raises(NetworkError):
        await limiter.process_request(failing, (), {}, "sendMessage", {"chat_id": USER}, None)
    assert calls == 5 and delays == [1.0, 2.0, 4.0, 5.0]

    async def refused(*args: Any, **kwargs: Any) -> bool:
        raise BadRequest("Can't parse entities")

    delays.clear()
    with pytest.raises(BadRequest):
        await limiter.process_request(refused, (), {}, "sendMessage", {"chat_id": USER}, None)
    assert delays == []  # a bug on our side: no point in sending it again


async def test_updates_of_one_chat_wait_for_each_other_and_other_chats_do_not() -> None:
    processor = ChatFirstProcessor(4)
    order: list[str] = []
    release = asyncio.Event()

    def update(chat_id: int) -> Update:
        data = {
            "update_id": chat_id,
            "message": {"message_id": 1, "date": 0, "chat": {"id": chat_id, "type": "private"}},
        }
        return Update.de_json(data, None)

    async def work(name: str, wait: bool = False) -> None:
        order.append(f"{name} start")
        if wait:
            await release.wait()
        order.append(f"{name} end")

    first = asyncio.create_task(processor.process_update(update(USER), work("a1", wait=True)))
    second = asyncio.create_task(processor.process_update(update(USER), work("a2")))
    other = asyncio.create_task(processor.process_update(update(OTHER), work("b")))
    await other
    assert order == ["a1 start", "b start", "b end"]  # a2 waits for a1; b does not
    release.set()
    await asyncio.gather(first, second)
    assert order[3:] == ["a1 end", "a2 start", "a2 end"]
    assert processor._turns == {}  # nothing left behind per chat


async def test_a_chat_waiting_for_its_own_turn_holds_no_shared_slot() -> None:
    """Two slots; one chat with 20 updates queued behind a stuck one: another chat is still served at once."""
    processor = ChatFirstProcessor(2)
    release = asyncio.Event()
    served: list[int] = []

    def update(uid: int, chat_id: int) -> Update:
        data = {"update_id": uid, "message": {"message_id": uid, "date": 0, "chat": {"id": chat_id, "type": "private"}}}
        return Update.de_json(data, None)

    async def work(chat_id: int, wait: bool) -> None:
        if wait:
            await release.wait()
        served.append(chat_id)

    stuck = [asyncio.create_task(processor.process_update(update(i, USER), work(USER, wait=i == 0))) for i in range(20)]
    await asyncio.wait_for(processor.process_update(update(99, OTHER), work(OTHER, wait=False)), 1)
    assert served == [OTHER]
    release.set()
    await asyncio.gather(*stuck)
    assert served == [OTHER] + [USER] * 20


async def test_flood_control_makes_only_its_own_chat_wait() -> None:
    """A 429 for one chat is waited out by that request alone; another chat's request goes straight out."""
    slept = asyncio.Event()
    resume = asyncio.Event()

    async def sleep(seconds: float) -> None:
        slept.set()
        await resume.wait()

    limiter = FairRateLimiter(retries=1, base_delay=0.01, anonymize=Anonymizer(b"k"), sleep=sleep)
    limiter.limits = False  # Telegram's pacing is not what this test is about
    floods = [RetryAfter(30)]

    async def call(*args: Any, **kwargs: Any) -> bool:
        if kwargs.get("chat") == USER and floods:
            raise floods.pop()
        return True

    flooded = asyncio.create_task(
        limiter.process_request(call, (), {"chat": USER}, "sendMessage", {"chat_id": USER}, None)
    )
    await asyncio.wait_for(slept.wait(), 1)
    assert await asyncio.wait_for(
        limiter.process_request(call, (), {"chat": OTHER}, "sendMessage", {"chat_id": OTHER}, None), 1
    )
    assert not flooded.done()
    resume.set()
    assert await flooded


# ---------------------------------------------------------------------- logs


def test_the_token_never_reaches_a_log(tmp_path: Path) -> None:
    token = "5012345678:AAFake-Test-Token_for-the-BotApi-Double"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(_RedactToken(token))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("POST https://api.telegram.org/bot%s/sendMessage", token)
        try:
            raise httpx.InvalidURL(f"bad url https://api.telegram.org/bot{token}/getMe")
        except httpx.InvalidURL:
            logger.exception("request failed")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert token not in output and "bot<token>/sendMessage" in output and "bot<token>/getMe" in output


def test_chat_ids_in_logs_are_keyed_hashes() -> None:
    anonymize = Anonymizer(b"one key")
    assert anonymize(USER) == anonymize(USER) != anonymize(OTHER)
    assert anonymize(USER) != Anonymizer(b"another key")(USER)
    assert str(USER) not in anonymize(USER)


# ---------------------------------------------------------------------- inline ranking and cache


def test_inline_cards(catalog: Catalog) -> None:
    router = Router(catalog)
    assert inline_cards(router, "")[:3] == ("prednisone", "lems", "als")
    assert inline_cards(router, "she cannot breathe and her lips are blue")[0] == "urgent"
    lems = inline_cards(router, "side effects LEMS")
    assert lems[0] == "lems-side-effects" and all(catalog.cards[c].condition != "als" for c in lems)
    both = inline_cards(router, "does it work?")
    assert {"lems-evidence", "als-evidence"} <= set(both)
    offered = {c for q in ("thanks", "hello", "xyzzy", "side effects", "compare") for c in inline_cards(router, q)}
    assert not {c for c in offered if catalog.cards[c].topic in ("welcome", "smalltalk", "about", "urgent")}
    assert len(inline_cards(router, "prednisone", limit=2)) <= 2


def test_ttl_cache_expires_and_evicts() -> None:
    cache: TtlCache[str, int] = TtlCache(max_items=2, ttl=10.0)
    cache.put("a", 1, now=0.0)
    cache.put("b", 2, now=1.0)
    assert cache.get("a", now=5.0) == 1  # "a" is now the most recently used
    cache.put("c", 3, now=6.0)  # evicts "b"
    assert cache.get("b", now=6.0) is None and cache.get("c", now=6.0) == 3
    assert cache.get("a", now=10.5) is None  # expired
    assert (cache.hits, cache.misses, len(cache)) == (2, 2, 1)


# ---------------------------------------------------------------------- the SQLite context store


def ctx(at: float, condition: str | None = "als", topic: str | None = "evidence") -> ChatContext:
    return ChatContext(condition=condition, topic=topic, card=f"{condition}-{topic}", at=at)


def test_sqlite_store_is_a_context_store_that_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "context.sqlite3"
    store: ContextStore = SqliteContextStore(path, key_secret=b"secret")
    assert store.get("4242") is None
    store.put("4242", ctx(100.0))
    store.put("-100:4242", ctx(101.0, "lems", None))
    store.put("4242", ctx(102.0, "als", "side-effects"))
    assert isinstance(store, SqliteContextStore)
    store.close()

    again = SqliteContextStore(path, key_secret=b"secret")
    assert again.get("4242") == ctx(102.0, "als", "side-effects")
    assert again.get("-100:4242") == ChatContext("lems", None, "lems-None", 101.0)
    assert len(again) == 2
    again.close()
    other_key = SqliteContextStore(path, key_secret=b"rotated")
    assert other_key.get("4242") is None  # keyed by an HMAC: a new secret starts afresh
    other_key.close()


def test_sqlite_store_never_writes_who_asked(tmp_path: Path) -> None:
    path = tmp_path / "context.sqlite3"
    store = SqliteContextStore(path, key_secret=b"secret")
    store.put("-1001234567890:424242", ctx(1.0))
    store.close()
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT * FROM context").fetchall()
    dump = repr(rows) + "".join(p.read_bytes().decode("latin-1") for p in tmp_path.iterdir())
    assert "424242" not in dump and "1001234567890" not in dump
    assert rows[0][1:] == ("als", "evidence", "als-evidence", 1.0)


def test_sqlite_store_is_bounded_in_age_and_size(tmp_path: Path) -> None:
    store = SqliteContextStore(tmp_path / "c.sqlite3", max_rows=10)
    store.put("old", ctx(0.0))
    store.put("new", ctx(CONTEXT_TTL_SECONDS + 1))  # a put a minute after the last pruning forgets the stale
    assert store.get("old") is None and store.get("new") is not None
    for n in range(TRIM_EVERY - 2):  # the size is checked every TRIM_EVERY writes: this is the last
        store.put(f"chat{n}", ctx(CONTEXT_TTL_SECONDS + 2 + n / 1000))  # all within a minute
    assert len(store) == 10  # the oldest went first
    assert store.get(f"chat{TRIM_EVERY - 3}") is not None and store.get("chat0") is None
    store.close()

    reopened = SqliteContextStore(tmp_path / "c.sqlite3", now=10 * CONTEXT_TTL_SECONDS)
    assert len(reopened) == 0  # opened long after: nothing is fresh enough to keep
    reopened.close()


def test_sqlite_store_writes_in_batches_within_a_second_and_all_on_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "context.sqlite3"

    def on_disk() -> set[float]:
        with sqlite3.connect(path) as db:
            return {row[0] for row in db.execute("SELECT at FROM context")}

    monkeypatch.setattr(sqlite_context, "MEMO_SIZE", 2)
    store = SqliteContextStore(path, key_secret=b"k")
    store.put("a", ctx(100.0))  # the first write goes straight to disk
    store.put("b", ctx(100.2))
    store.put("c", ctx(100.4))
    store.put("d", ctx(100.6))
    assert on_disk() == {100.0}
    assert store.get("b") == ctx(100.2)  # waiting, and out of the small memo: still read back
    store.put("e", ctx(100.0 + FLUSH_SECONDS))
    assert on_disk() == {100.0, 100.2, 100.4, 100.6, 100.0 + FLUSH_SECONDS}
    store.put("a", ctx(101.5, "lems"))
    store.close()
    assert store.path == path and 101.5 in on_disk() and 100.0 not in on_disk()


def test_disk_trouble_costs_follow_ups_not_answers(
    tmp_path: Path, catalog: Catalog, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "context.sqlite3"
    store = SqliteContextStore(path, key_secret=b"k")
    store.put("a", ctx(100.0))
    store._db.close()
    store._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)  # the disk turns read-only
    brain = Brain(catalog, store)
    assert brain.reply("does prednisone help ALS?", "b", 200.0).card == "als-evidence"
    assert brain.reply("what about side effects?", "b", 201.0).card == "als-side-effects"  # remembered in memory
    assert "answers go on without saved context" in caplog.text
    store._db.close()
    assert store.get("someone new") is None  # a broken connection reads as "no context yet"
    store.close()


def test_an_unreadable_store_is_moved_aside(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "context.sqlite3"
    path.write_bytes(b"this is not a database, just bytes " * 100)
    store = SqliteContextStore(path)
    store.put("4242", ctx(1.0))
    assert store.get("4242") == ctx(1.0)
    store.close()
    assert (tmp_path / "context.sqlite3.corrupt").exists()
    assert "moved aside" in caplog.text


def test_each_replica_sends_its_share_of_telegrams_limit(catalog: Catalog) -> None:
    """BOT_SEND_PER_SECOND: three replicas on one token at 10 a second each stay under Telegram's ~30."""
    from bot.adapters.telegram.app import build_application
    from bot.settings import Settings

    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": "123:abc", "BOT_SEND_PER_SECOND": "10"})
    assert settings.send_per_second == 10
    with pytest.raises(ValueError, match="BOT_SEND_PER_SECOND"):
        Settings.from_env({"BOT_SEND_PER_SECOND": "90"})
    limiter = build_application(Brain(catalog), settings).bot.rate_limiter
    assert isinstance(limiter, FairRateLimiter) and limiter._overall.max_rate == 10
