"""Long polling that confirms an update to Telegram only after it was answered: a hard kill loses nothing.

Telegram keeps an update until a getUpdates call asks for a higher `offset`; that confirms every update
below it. python-telegram-bot's Updater confirms what it fetched at the next call, so a `kill -9` lost
whatever it had queued. Here the offset sent is the lowest update still being handled (the *watermark*),
so an update is confirmed only once it and every update before it are done: answered, or deliberately
skipped (an update for no one, one whose reply could not be delivered after every retry).

Because Telegram only confirms a prefix, updates finished after a slower one stay unconfirmed until it
finishes; they come back in later getUpdates answers and are recognised by id and not handled twice. At
most one page (100 updates, Telegram's limit) lies between the watermark and the newest update fetched:
that is the in-flight window. After a hard kill, a restart handles again the updates of that window that
were already answered — at most 100, in practice the few in hand at the moment of the kill — and none is
lost. A clean stop (SIGTERM, Ctrl-C) stops fetching, lets what is in hand finish within a grace period and
confirms it, so nothing is repeated.

While updates are in hand, getUpdates returns at once with those still unconfirmed. The poller then asks
again when one finishes (or after `busy_interval`, 0.25 s, when one is held up in backoff or flood control,
so other chats' new messages still arrive), and at most every `min_spacing` (20 ms), so it neither spins
nor parses the same updates over and over under load.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError
from telegram.ext import Application

log = logging.getLogger(__name__)

PAGE = 100  # Telegram's largest getUpdates page: the in-flight window
LONG_POLL_SECONDS = 10
BUSY_INTERVAL = 0.25
MIN_SPACING = 0.02  # between getUpdates calls while updates are in hand
MAX_ERROR_DELAY = 30.0
CONFIRM_SECONDS = 1.5  # the least a stop keeps for the confirm; it also gets whatever the updates in hand left
CONFIRM_POOL_TIMEOUT = 0.5  # one attempt's wait for a free polling connection


class Poller:
    """Fetch, hand each update to the application's update processor, confirm what is done."""

    def __init__(
        self,
        app: Application,  # type: ignore[type-arg]
        allowed_updates: Sequence[str],
        *,
        long_poll: float = LONG_POLL_SECONDS,
        busy_interval: float = BUSY_INTERVAL,
        min_spacing: float = MIN_SPACING,
    ) -> None:
        self.app = app
        self.allowed_updates = list(allowed_updates)
        self.long_poll, self.busy_interval, self.min_spacing = long_poll, busy_interval, min_spacing
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._done: set[int] = set()  # finished above the watermark: not to be handled again
        self._newest = 0
        self._progress = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self._stopping = False
        self.handled = 0  # updates handled by this run (a figure for tests and logs)

    @property
    def offset(self) -> int | None:
        """What getUpdates confirms: everything below the oldest update still in hand."""
        if self._in_flight:
            return min(self._in_flight)
        return self._newest + 1 if self._newest else None

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    async def start(self) -> None:
        """Polling and webhooks exclude each other at Telegram: drop any webhook first, keeping its updates."""
        await self.app.bot.delete_webhook(drop_pending_updates=False)
        self.task = asyncio.get_running_loop().create_task(self._run(), name="poller")

    async def stop(self, grace: float = 10.0) -> None:
        """Stop fetching, let what is in hand finish, and confirm what finished, all within `grace` seconds.

        The updates in hand get `grace` less `CONFIRM_SECONDS`; the confirm gets the rest, so a quick finish
        leaves a slow Telegram (or a loaded machine) seconds, not a fixed sliver, to take the confirm.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        self._stopping = True
        self._progress.set()
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        pending = list(self._in_flight.values())
        if pending:
            _, late = await asyncio.wait(pending, timeout=max(0.0, grace - CONFIRM_SECONDS))
            if late:
                log.warning("%d update(s) still in hand at stop: Telegram will send them again", len(late))
                for t in late:
                    t.cancel()
                await asyncio.wait(late)
        await self._confirm(max(CONFIRM_SECONDS, deadline - loop.time()))

    async def _confirm(self, budget: float) -> None:
        """Tell Telegram what is done, trying again until `budget` runs out; a failure only means repeats."""
        offset = self.offset
        if offset is None:
            return
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = started + budget
        attempts, why = 0, "no time left"
        while (left := deadline - loop.time()) > 0:
            attempts += 1
            try:
                async with asyncio.timeout(left):
                    await self.app.bot.get_updates(
                        offset=offset,
                        limit=1,
                        timeout=0,
                        allowed_updates=self.allowed_updates,
                        pool_timeout=min(CONFIRM_POOL_TIMEOUT, left),
                    )
            except TimeoutError:
                why = "no answer in time"
                break
            except TelegramError as exc:
                why = type(exc).__name__
                await asyncio.sleep(min(0.1 * attempts, max(0.0, deadline - loop.time())))
                continue
            log.info("confirmed the updates handled, in %.1f s (attempt %d)", loop.time() - started, attempts)
            return
        log.warning(
            "could not confirm the last updates in %.1f s (%d attempt(s), %s): they will be answered again",
            loop.time() - started,
            attempts,
            why,
        )

    async def _run(self) -> None:
        errors = 0
        loop = asyncio.get_running_loop()
        while not self._stopping:
            started = loop.time()
            offset = self.offset
            if offset is not None:  # what this call confirms never comes back: no need to remember it
                self._done = {u for u in self._done if u >= offset}
            try:
                updates = await self.app.bot.get_updates(
                    offset=offset,
                    limit=PAGE,
                    timeout=self.long_poll,
                    allowed_updates=self.allowed_updates,
                    read_timeout=self.long_poll + 10,
                )
            except InvalidToken:
                raise
            except (NetworkError, Conflict) as exc:
                errors += 1
                delay = min(MAX_ERROR_DELAY, 0.5 * 2 ** min(errors, 6))
                log.warning("getUpdates failed (%s: %s); again in %.1fs", type(exc).__name__, exc, delay)
                await asyncio.sleep(delay)
                continue
            errors = 0
            fresh = [u for u in updates if u.update_id not in self._in_flight and u.update_id not in self._done]
            for update in fresh:
                self._take(update)
            if self._in_flight:
                # While anything is unconfirmed Telegram answers at once, with those updates again: poll when one
                # finishes (or after busy_interval, for other chats' new messages), and at most every
                # min_spacing, so the same updates are not fetched and parsed over and over under load.
                if not fresh:
                    self._progress.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._progress.wait(), self.busy_interval)
                rest = self.min_spacing - (loop.time() - started)
                if rest > 0:
                    await asyncio.sleep(rest)

    def _take(self, update: Update) -> None:
        uid = update.update_id
        self._newest = max(self._newest, uid)
        coroutine = self.app.update_processor.process_update(update, self.app.process_update(update))
        task = asyncio.get_running_loop().create_task(self._handle(uid, coroutine), name=f"update-{uid}")
        self._in_flight[uid] = task

    async def _handle(self, uid: int, coroutine: object) -> None:
        try:
            await coroutine  # type: ignore[misc]
        except Exception:  # the application's error handler has run; an update is never handled twice
            log.exception("update failed")
        finally:
            self._in_flight.pop(uid, None)
            self._done.add(uid)  # a getUpdates already on its way may bring it back
            self.handled += 1
            self._progress.set()
