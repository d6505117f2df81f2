"""Something done every few seconds in the background (the catalog watcher, a replica's heartbeat): one asyncio
task, started once, cancelled on stop; an error is logged and the next round goes on, never silently ended."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Periodic:
    def __init__(self, name: str, interval: float, work: Callable[[], Awaitable[object]], *, first: bool) -> None:
        """`first`: do the work at once, then every `interval`; otherwise wait an interval first."""
        self.name, self.interval, self.work, self.first = name, interval, work, first
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        if not self.first:
            await asyncio.sleep(self.interval)
        while True:
            try:
                await self.work()
            except Exception:  # a background job that dies silently is worse than a logged error
                log.exception("%s failed; trying again in %.0f s", self.name, self.interval)
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self.run(), name=self.name)

    async def stop(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
