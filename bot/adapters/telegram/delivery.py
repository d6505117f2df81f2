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
from functools import lru_cache
from typing import Any, Literal

import httpx
from aiolimiter import AsyncLimiter
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter

from bot.adapters.telegram.format import telegram_html
from bot.adapters.telegram.services import Context, services
from bot.render import Button, Reply

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
        per_second: float = OVERALL_PER_SECOND,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.retries, self.base_delay, self.max_delay = retries, base_delay, max_delay
        self.flood_retries = flood_retries
        self._anonymize = anonymize
        self._sleep = sleep
        self._overall = AsyncLimiter(per_second, 1)  # with replicas on one token, each gets its share
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


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    return _keyboard(reply.buttons) if reply.buttons else None


@lru_cache(maxsize=256)
def _keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup:
    """The same few keyboards again and again: python-telegram-bot's objects are immutable, so share them."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data)] for b in buttons])


async def send(context: Context, chat_id: int, reply: Reply, reply_to: int | None = None) -> Message | None:
    """Send one Reply (retries happen below, in FairRateLimiter); None when it could not be delivered.

    A chat that blocked the bot or removed it is logged once and skipped. A failure that retries could not
    fix is logged as a lost reply, never dropped silently. A Bad Request (a bug on our side) is raised.
    """
    params = ReplyParameters(message_id=reply_to, allow_sending_without_reply=True) if reply_to else None
    try:
        message = await context.bot.send_message(
            chat_id=chat_id,
            text=telegram_html(reply),
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard(reply),
            reply_parameters=params,
        )
    except Forbidden:
        blocked(context, chat_id)
        return None
    except ChatMigrated as exc:  # a group became a supergroup: same people, new id
        return await send(context, exc.new_chat_id, reply)
    except BadRequest:
        raise
    except (NetworkError, RetryAfter) as exc:
        log.error(
            "reply LOST chat=%s kind=%s card=%s: %s",
            services(context).anonymize(chat_id),
            reply.kind,
            reply.card,
            type(exc).__name__,
        )
        return None
    services(context).blocked.pop(chat_id, None)
    return message


def blocked(context: Context, chat_id: int) -> None:
    """A chat that blocked or removed the bot: logged once, remembered (bounded), not sent to again."""
    shared = services(context)
    if shared.block(chat_id):
        log.warning("chat=%s blocked the bot or removed it; not sending there", shared.anonymize(chat_id))
