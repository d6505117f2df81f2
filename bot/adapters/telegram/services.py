"""What the Telegram handlers share, as one typed object: python-telegram-bot keeps it as the bot_data.

`ContextTypes(bot_data=Services)` makes python-telegram-bot create one per Application; `app.build_application`
fills it. Handlers take a `Context`, whose `bot_data` is a `Services`: attributes with types, no string keys.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telegram.ext import CallbackContext, ExtBot

from bot.adapters.shared.cluster import Claims, RedisMissedLog, Replica
from bot.adapters.shared.keys import ConversationKeys
from bot.adapters.shared.logs import Anonymizer
from bot.adapters.shared.missed_log import MissedLog
from bot.adapters.shared.reload import Reloader, Watcher
from bot.adapters.shared.stats import Stats
from bot.brain import Brain
from bot.inline import TtlCache

INLINE_CACHE_SECONDS = 60  # Telegram's cache_time, and how long our own cache keeps a ranking
MAX_REMEMBERED_BLOCKS = 10_000


@dataclass(frozen=True)
class Cluster:
    """Cluster mode's parts: update claims for the webhook, this replica's heartbeat for the admin commands."""

    claims: Claims
    replica: Replica


class Services:
    def __init__(self) -> None:
        self._brain: Brain | None = None
        self.clock: Callable[[], float] = time.time
        self.keys = ConversationKeys(b"")
        self.anonymize = Anonymizer(b"")
        self.stats = Stats()
        self.inline_cache: TtlCache[Any, Any] = TtlCache(max_items=512, ttl=INLINE_CACHE_SECONDS)
        self.blocked: OrderedDict[int, None] = OrderedDict()  # chats that blocked or removed the bot (bounded)
        # the unmatched-question log, when the operator turned it on (on Redis in cluster mode)
        self.missed: MissedLog | RedisMissedLog | None = None
        self.reloader: Reloader | None = None
        self.watcher: Watcher | None = None
        self.tasks: set[asyncio.Task[None]] = set()  # admin work running on its own (a reference keeps it alive)
        self.cluster: Cluster | None = None  # cluster mode (REDIS_URL): what the replicas share

    @property
    def brain(self) -> Brain:
        if self._brain is None:
            raise RuntimeError("Services.brain is set by app.build_application")
        return self._brain

    @brain.setter
    def brain(self, brain: Brain) -> None:
        self._brain = brain

    def block(self, chat_id: int) -> bool:
        """Remember a chat that blocked the bot; True the first time (to log it once)."""
        new = chat_id not in self.blocked
        self.blocked[chat_id] = None
        self.blocked.move_to_end(chat_id)
        while len(self.blocked) > MAX_REMEMBERED_BLOCKS:
            self.blocked.popitem(last=False)
        return new


Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], Services]  # what every handler gets


def services(context: Context) -> Services:
    """The application's shared services."""
    return context.bot_data
