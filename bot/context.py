"""What each conversation remembers between messages, behind a small interface.

The router reads and writes a `ChatContext` through `ContextStore`; the in-memory store is the default,
and a store that survives restarts (SQLite) can replace it without the core noticing. Time is passed in,
never read here, so the core stays pure and tests stay exact.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

CONTEXT_TTL_SECONDS = 30 * 60


@dataclass(frozen=True)
class ChatContext:
    condition: str | None  # "lems" | "als" | None
    topic: str | None
    card: str | None
    at: float  # when it was set, in seconds (any clock, as long as it is the same one)

    def fresh(self, now: float) -> bool:
        return now - self.at <= CONTEXT_TTL_SECONDS


class ContextStore(Protocol):
    def get(self, key: str) -> ChatContext | None: ...

    def put(self, key: str, context: ChatContext) -> None: ...


class MemoryContextStore:
    """Bounded: the least recently used conversations are forgotten first."""

    def __init__(self, max_chats: int = 50_000) -> None:
        self._data: OrderedDict[str, ChatContext] = OrderedDict()
        self._max = max_chats

    def get(self, key: str) -> ChatContext | None:
        ctx = self._data.get(key)
        if ctx is not None:
            self._data.move_to_end(key)
        return ctx

    def put(self, key: str, context: ChatContext) -> None:
        self._data[key] = context
        self._data.move_to_end(key)
        while len(self._data) > self._max:
            self._data.popitem(last=False)
