"""Getting each reply out without one chat's trouble reaching another: retries, flood control, turn-taking.

* `ChatFirstProcessor`: the updates of one chat are handled one at a time, in the order they came; a chat
  waits for its own turn *before* it takes one of the shared slots, so a chat with 40 queued messages behind
  a retrying reply holds one slot, not all of them.
* `FairRateLimiter`: Telegram's limits (about 30 messages a second overall, 20 a minute into one group) as
  python-telegram-bot's AIORateLimiter keeps them, but flood control (429 + retry_after) and backoff are
  waited out by the request that met them, so only that chat waits. (AIORateLimiter pauses *every* request
  while any one waits out a 429.) Timeouts and 5xx are retried with exponential backoff; see `failure_kind`
  for what each failure means for a possible duplicate.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Literal

import httpx
from aiolimiter import AsyncLimiter
from telegram import Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter, BaseUpdateProcessor

log = logging.getLogger(__name__)

FLOOD_RETRIES = 5  # how often one request waits out a 429 before giving up
MAX_RETRY_DELAY = 30.0
OVERALL_PER_SECOND = 30  # Telegram: about 30 messages a second to different chats
GROUP_PER_MINUTE = 20  # Telegram: at most 20 messages a minute into one group
MAX_GROUP_LIMITERS = 4096
UNBOUNDED = 1 << 30

Failure = Literal["refused", "not sent", "unconfirmed"]


def failure_kind(exc: BaseException) -> Failure | None:
    """How a failed Bot API call failed, or None when retrying cannot help (400, 403, 404, 409, ...).

    *refused*: Telegram answered with an error status (500, 502, ...): nothing was sent. *not sent*: no
    connection, or none free in the pool: the request never left. *unconfirmed*: sent, but no answer came
    (read timeout, dropped connection): it may have been delivered, and the Bot API has no idempotency key
    to ask; a resend is logged as a possible duplicate.
    """
    if isinstance(exc, BadRequest) or not isinstance(exc, NetworkError):
        return None
    cause = exc.__cause__
    if isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return "not sent"
    if cause is None or isinstance(cause, TelegramError):
        return "refused"  # Telegram answered: an error status such as 500 or 502
    return "unconfirmed"  # sent, but no answer: read timeout, connection dropped mid-request


class FairRateLimiter(BaseRateLimiter[int]):
    """Every Bot API call but getUpdates passes through here: answers, button acknowledgements, inline results."""

    def __init__(
        self,
        *,
        retries: int,
        base_delay: float,
        anonymize: Callable[[object], str],
        max_delay: float = MAX_RETRY_DELAY,
        flood_retries: int = FLOOD_RETRIES,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.retries, self.base_delay, self.max_delay = retries, base_delay, max_delay
        self.flood_retries = flood_retries
        self._anonymize = anonymize
        self._sleep = sleep
        self._overall = AsyncLimiter(OVERALL_PER_SECOND, 1)
        self._groups: OrderedDict[int | str, AsyncLimiter] = OrderedDict()
        self.limits = True  # off only in benchmarks that measure the bot, not Telegram's limits

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def _group(self, chat_id: int | str) -> AsyncLimiter:
        limiter = self._groups.get(chat_id)
        if limiter is None:
            limiter = self._groups[chat_id] = AsyncLimiter(GROUP_PER_MINUTE, 60)
            while len(self._groups) > MAX_GROUP_LIMITERS:
                self._groups.popitem(last=False)
        self._groups.move_to_end(chat_id)
        return limiter

    async def _once(
        self, callback: Callable[..., Coroutine[Any, Any, Any]], args: Any, kwargs: dict[str, Any], chat_id: object
    ) -> Any:
        if chat_id is None or not self.limits:
            return await callback(*args, **kwargs)
        group = chat_id if isinstance(chat_id, str) or (isinstance(chat_id, int) and chat_id < 0) else None
        if group is None:
            async with self._overall:
                return await callback(*args, **kwargs)
        async with self._group(group), self._overall:
            return await callback(*args, **kwargs)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id: object = data.get("chat_id")
        if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
            chat_id = int(chat_id)
        chat = self._anonymize(chat_id) if chat_id is not None else "-"
        attempt = floods = 0
        while True:
            try:
                return await self._once(callback, args, kwargs, chat_id)  # type: ignore[no-any-return]
            except RetryAfter as exc:
                if floods >= self.flood_retries:
                    log.error("%s chat=%s flood control %d times; giving up", endpoint, chat, floods + 1)
                    raise
                floods += 1
                wait = exc._retry_after.total_seconds()  # the property warns unless PTB_TIMEDELTA is set
                log.info("%s chat=%s flood control: waiting %.1fs (this chat only)", endpoint, chat, wait)
                await self._sleep(wait + 0.1)
            except NetworkError as exc:
                kind = failure_kind(exc)
                if kind is None:
                    raise
                if attempt >= self.retries:
                    log.error("%s chat=%s failed %d times (%s: %s); giving up", endpoint, chat, attempt + 1, kind, exc)
                    raise
                delay = min(self.max_delay, self.base_delay * 2**attempt)
                attempt += 1
                resend = kind == "unconfirmed" and endpoint.startswith("send")
                duplicate = " (it may have arrived: possible duplicate)" if resend else ""
                log.warning(
                    "%s chat=%s %s: %s; retry %d of %d in %.2fs%s",
                    endpoint,
                    chat,
                    kind,
                    exc,
                    attempt,
                    self.retries,
                    delay,
                    duplicate,
                )
                await self._sleep(delay)


class ChatFirstProcessor(BaseUpdateProcessor):
    """Updates of one chat one at a time and in order; different chats at once, up to `max_concurrent_updates`.

    The chat's turn is taken first and the shared slot second: a chat waiting behind its own retrying
    reply waits without a slot, so it cannot starve other chats. asyncio's locks and semaphores wake waiters
    in the order they came, which keeps each chat's order.
    """

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
            async with lock, self._slots:
                await coroutine
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
