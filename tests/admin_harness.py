"""The real bot with the admin tools installed, polling the Bot API double: for tests/test_admin*.py."""

from __future__ import annotations

import html
from pathlib import Path
from types import TracebackType

from bot.adapters.telegram import admin
from bot.adapters.telegram.app import build_application
from bot.adapters.telegram.handlers import ALLOWED_UPDATES, App
from bot.adapters.telegram.polling import Poller
from bot.brain import Brain
from bot.catalog import load
from bot.settings import Settings
from tests.botapi import BotApiDouble

ADMIN, USER = 5151, 6262  # private chats have the user's id
GROUP = -1001234567890


def settings_for(tg: BotApiDouble, data_dir: Path, *, admins: frozenset[int] = frozenset({ADMIN})) -> Settings:
    return Settings(token=tg.token, base_url=tg.base_url, admin_ids=admins, data_dir=data_dir)


class AdminBot:
    """`async with AdminBot(tg, root, settings) as bot:` — build_application with admin.install as `extra`."""

    def __init__(self, tg: BotApiDouble, root: Path, settings: Settings, *, watch_seconds: float = 0.0) -> None:
        catalog = load(root).catalog
        assert catalog is not None
        self.tg, self.root = tg, root
        self.brain = Brain(catalog)
        self.app: App = build_application(
            self.brain, settings, extra=lambda app: admin.install(app, settings, root, watch_seconds=watch_seconds)
        )
        self.poller = Poller(self.app, ALLOWED_UPDATES, long_poll=1)

    async def __aenter__(self) -> AdminBot:
        await self.app.initialize()
        await self.app.start()
        await self.poller.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.poller.stop()
        await self.app.stop()
        await self.app.shutdown()

    async def say(self, user: int, text: str, *, chat: int | None = None) -> str:
        """Send as `user` (in their private chat unless `chat`) and return the bot's one reply, as plain text."""
        chat_id = user if chat is None else chat
        before = len(self.tg.sent_texts(chat_id))
        self.tg.push_message(chat_id, user, text, chat_type="supergroup" if chat_id < 0 else None)
        sent = await self.tg.wait_for_messages_async(chat_id, before + 1)
        return str(sent[-1]["text"])

    def notice(self, key: str) -> str:
        """A messages.yaml text as the user sees it."""
        return html.unescape(self.brain.catalog.messages[key])
