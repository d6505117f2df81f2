"""Turn-taking: each chat's updates one at a time and in order, chats side by side, a chat waiting for its own
turn holding none of the shared slots."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

UNBOUNDED = 1 << 30


class ChatFirstProcessor(BaseUpdateProcessor):
    """Updates of one chat one at a time and in order; different chats at once, up to `max_concurrent_updates`.

    The chat's turn is taken first and the shared slot second: a chat waiting behind its own retrying
    reply waits without a slot, so it cannot starve other chats. asyncio's locks and semaphores wake waiters
    in the order they came, which keeps each chat's order.

    In cluster mode `remote(chat)` is the conversation's lock across replicas (shared/cluster.ChatLocks),
    taken after the chat's local turn and before a slot, so the local order is kept and a chat waiting for
    another replica holds no slot either.
    """

    remote: Callable[[int], AbstractAsyncContextManager[None]] | None = None

    def __init__(self, max_concurrent_updates: int) -> None:
        # python-telegram-bot's final process_update takes its semaphore *before* do_process_update; sized
        # so it never makes anyone wait, it leaves the order of waiting (turn, then slot) to us.
        super().__init__(UNBOUNDED)
        self._slots_size = max_concurrent_updates
        self._turns: dict[int, tuple[asyncio.Lock, int]] = {}
        self._slots = asyncio.BoundedSemaphore(max_concurrent_updates)

    @property
    def max_concurrent_updates(self) -> int:
        """Our slots (the base class reads this while sizing its own semaphore, before we set ours)."""
        return getattr(self, "_slots_size", UNBOUNDED)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = order_key(update)
        if key is None:
            async with self._slots:
                await coroutine
            return
        lock, waiting = self._turns.get(key, (asyncio.Lock(), 0))
        self._turns[key] = (lock, waiting + 1)
        try:
            if self.remote is None:
                async with lock, self._slots:
                    await coroutine
            else:
                async with lock:
                    try:
                        async with self.remote(key), self._slots:
                            await coroutine
                    finally:
                        close = getattr(coroutine, "close", None)
                        if close is not None:  # never awaited (the chat stayed busy elsewhere): no warning
                            close()
        finally:
            lock, waiting = self._turns[key]
            if waiting <= 1:
                del self._turns[key]
            else:
                self._turns[key] = (lock, waiting - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def order_key(update: object) -> int | None:
    """The chat an update belongs to (the user's, for inline queries); None for anything else."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None
