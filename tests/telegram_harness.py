"""Run the real bot (`build_application`) against the Bot API double over HTTP, and check what it sent.

Shared by tests/test_telegram_*.py. The bot polls the double through python-telegram-bot's own HTTPX
client; tests push updates into the double and wait on conditions (messages delivered, calls finished,
a later "sentinel" message answered), never on fixed sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any

from telegram import Update

from bench.cluster import free_port as free_port  # re-exported: one copy, shared with the benchmarks
from bot.adapters.telegram.app import build
from bot.adapters.telegram.handlers import ALLOWED_UPDATES, App, post_init
from bot.adapters.telegram.polling import Poller
from bot.brain import Brain
from bot.catalog import Catalog
from bot.context import ContextStore, MemoryContextStore
from bot.settings import Settings
from tests.botapi import BotApiDouble
from tests.conftest import ROOT, assert_disclaimer

JSON = dict[str, Any]
USER, OTHER = 4242, 4343  # private chats have the user's id
GROUP = -1001234567890  # a supergroup
BOT = "pred_info_bot"
WELCOME = "Welcome\n"  # how the welcome card (the answer to /help) opens


def bot_settings(tg: BotApiDouble, data_dir: Path, **changes: Any) -> Settings:
    """Production settings, except short waits: a 2 s answer timeout and 50 ms first backoff."""
    base = Settings(
        token=tg.token, base_url=tg.base_url, data_dir=data_dir, request_timeout=2.0, retries=3, retry_delay=0.05
    )
    return replace(base, **changes)


class RunningBot:
    """`async with RunningBot(...) as bot:` starts the Application `build` makes (as `run` does), polling the double.

    The context store is in memory unless given; the catalog's folder for /reload is the repository's."""

    def __init__(
        self,
        tg: BotApiDouble,
        catalog: Catalog,
        settings: Settings,
        *,
        store: ContextStore | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.tg = tg
        kwargs: dict[str, Any] = {"clock": clock} if clock else {}
        kept = store if store is not None else MemoryContextStore()
        self.app: App = build(settings, catalog, ROOT, watch_seconds=0, store=kept, **kwargs)
        self.brain: Brain = self.app.bot_data.brain
        self.poller = Poller(self.app, ALLOWED_UPDATES, long_poll=1)

    async def __aenter__(self) -> RunningBot:
        await self.app.initialize()
        await post_init(self.app)  # what `serve` calls before starting
        await self.app.start()
        await self.poller.start()
        await self.tg.wait_for_poller_async()  # polling, and Telegram knows our allowed_updates
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def stop(self) -> None:
        """What `serve` does on SIGTERM: stop fetching, finish what is in hand, confirm it, shut down."""
        if self.poller.running:
            await self.poller.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    async def idle(self) -> None:
        """Wait until every update pushed so far has been fetched, confirmed and handled."""
        await asyncio.to_thread(tg_wait_confirmed, self.tg)  # confirmed only once handled
        await self.tg.wait_for_poller_async()
        await requests_done(self.tg)

    async def deliver(self, update: JSON | None) -> None:
        """Hand an update straight to the application (as if Telegram sent it), and wait until handled."""
        assert update is not None
        decoded = Update.de_json(update, self.app.bot)
        await asyncio.wait_for(self.app.update_processor.process_update(decoded, self.app.process_update(decoded)), 5)

    @property
    def bot_data(self) -> Any:
        return self.app.bot_data


async def requests_done(tg: BotApiDouble) -> None:
    """Wait until every Bot API call but the long poll has been answered or dropped (slow faults included)."""

    def done() -> bool:
        return all(c.finished for c in tg.calls if c.method != "getUpdates")

    await asyncio.to_thread(tg.wait_until, done, 5.0, "the bot's requests to finish")


def tg_wait_confirmed(tg: BotApiDouble) -> None:
    tg.wait_until(lambda: not tg.pending_updates, 5.0, "the bot to fetch every update")


async def ask(tg: BotApiDouble, chat_id: int, user_id: int, text: str, **kwargs: Any) -> JSON:
    """Push a message and wait for the bot's next message in that chat; returns it."""
    before = len(tg.sent_messages(chat_id))
    update = tg.push_message(chat_id, user_id, text, **kwargs)
    assert update is not None, f"Telegram would not deliver {text!r} to the bot"
    return (await tg.wait_for_messages_async(chat_id, before + 1))[before]


async def settle(tg: BotApiDouble, chat_id: int, user_id: int) -> list[JSON]:
    """Wait until the bot has handled everything pushed to this chat so far; returns its messages then.

    Updates of one chat are handled in order, so once a later /help is answered (with the welcome card),
    every earlier update of the chat has been handled; then wait until its requests are done (a slow
    fault may still be playing out). The /help answer itself is left out of the result.
    """
    sentinel = "/help" if chat_id > 0 else f"/help@{BOT}"
    before = len(tg.sent_messages(chat_id))
    assert tg.push_message(chat_id, user_id, sentinel) is not None

    def answered() -> int | None:
        sent = tg.sent_messages(chat_id)[before:]
        return next((m["message_id"] for m in sent if str(m.get("text", "")).startswith(WELCOME)), None)

    sentinel_answer = await asyncio.to_thread(tg.wait_until, answered, 5.0, "the sentinel's answer")
    await requests_done(tg)
    return [m for m in tg.sent_messages(chat_id) if m["message_id"] != sentinel_answer]


def is_card(message: JSON, catalog: Catalog, card_id: str) -> bool:
    """A delivered message shows this card: its title, in bold, opens the message or follows the note above
    it (the urgent card's advice for this kind of emergency, another drug's note)."""
    title = catalog.cards[card_id].title
    text = str(message.get("text", ""))
    at = 0 if text.startswith(title) else text.find(f"\n\n{title}\n") + 2
    entities = message.get("entities", [])
    return (
        text.startswith(title, at)
        and text[:at].isascii()
        and any(e["type"] == "bold" and e["offset"] == at and e["length"] == len(title) for e in entities)
    )


def buttons(message: JSON) -> list[str]:
    return [b["callback_data"] for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]


def check_every_message(tg: BotApiDouble, catalog: Catalog) -> int:
    """Every text the bot sent or offered (sendMessage, inline results) ends with the disclaimer.

    The raw HTML of every call is checked, delivered or not, so no path can send without it. Returns how
    many texts were checked.
    """
    checked = 0
    for call in tg.calls:
        if call.method in ("sendMessage", "editMessageText"):
            assert_disclaimer(str(call.params["text"]), catalog)
            checked += 1
        elif call.method == "answerInlineQuery":
            for result in call.params["results"]:
                assert_disclaimer(str(result["input_message_content"]["message_text"]), catalog)
                checked += 1
    return checked
