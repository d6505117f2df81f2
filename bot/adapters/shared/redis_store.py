"""Follow-up context on Valkey/Redis, shared by every replica (cluster mode, REDIS_URL), and the one link to it.

The context of a conversation is one key, `<prefix>ctx:<conversation key>`, where the conversation key is
already the keyed hash every surface makes (shared/keys.py): Redis never sees a chat id, a user id or a
session id. Each write sets the key's TTL to the context lifetime (CONTEXT_TTL_SECONDS), so Redis itself
forgets a conversation 30 minutes after its last answer: the privacy promise holds even if every replica is
gone. Written through, no local cache: the next message may land on another replica.

Failing soft, as the SQLite store: Redis down or slow (every call gives up after SOCKET_SECONDS) costs the
follow-up context, never an answer. `Link` logs each outage once when it starts and once when it ends, and
between the two tries Redis again at most every RETRY_SECONDS, so a dead server does not add a timeout to
every call of every update.

Only commands that Valkey and Redis share are used (GET, SET with NX/EX/PX, EXPIRE, HSET, INCR, SADD, ZADD,
SCAN, EVAL).
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.context import CONTEXT_TTL_SECONDS, ChatContext

log = logging.getLogger(__name__)

SOCKET_SECONDS = 0.5  # connect and read timeout of every call: a slow Redis costs context, not the answer
RETRY_SECONDS = 1.0  # during an outage, Redis is tried again at most this often

T = TypeVar("T")
Client = aioredis.Redis


def where(url: str) -> str:
    """host:port/db of a Redis URL, for the log: never the password in it."""
    parts = urlsplit(url)
    return f"{parts.hostname or '?'}:{parts.port or 6379}{parts.path or ''}"


class Link:
    """One connection pool per process, and whether Redis answers: each outage logged once, calls short-cut."""

    def __init__(self, url: str, prefix: str, *, timeout: float = SOCKET_SECONDS, retry: float = RETRY_SECONDS) -> None:
        self.redis: Client = aioredis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, retry_on_timeout=False
        )
        self.prefix, self.retry, self.url = prefix, retry, url
        self.down_since: float | None = None
        self._retry_at = 0.0

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    @property
    def up(self) -> bool:
        return self.down_since is None

    async def call(self, op: Callable[[Client], Awaitable[T]], fallback: T) -> T:
        """`op(redis)`, or `fallback` when Redis fails (or failed less than RETRY_SECONDS ago)."""
        if self.down_since is not None and time.monotonic() < self._retry_at:
            return fallback
        try:
            result = await op(self.redis)
        except (RedisError, OSError) as exc:
            self.failed(exc)
            return fallback
        self._back()
        return result

    async def script(self, source: str, key: str, *args: str) -> None:
        """EVAL a Lua script on one key (both Valkey and Redis run them); nothing when Redis is unreachable."""

        async def run(r: Client) -> None:
            await cast(Awaitable[object], r.eval(source, 1, key, *args))

        await self.call(run, None)

    def failed(self, exc: BaseException) -> None:
        self._retry_at = time.monotonic() + self.retry
        if self.down_since is None:
            self.down_since = time.monotonic()
            log.warning(
                "Redis at %s unreachable (%s): answering without follow-up context and handling updates on this "
                "replica alone until it is back",
                where(self.url),
                type(exc).__name__,
            )

    def _back(self) -> None:
        if self.down_since is not None:
            log.warning("Redis at %s is back after %.0f s", where(self.url), time.monotonic() - self.down_since)
            self.down_since = None

    async def close(self) -> None:
        with contextlib.suppress(RedisError, OSError):
            await self.redis.aclose()


def _encode(context: ChatContext) -> str:
    return json.dumps([context.condition, context.topic, context.card, context.at])


def _decode(raw: bytes | None) -> ChatContext | None:
    if raw is None:
        return None
    try:
        condition, topic, card, at = json.loads(raw)
        return ChatContext(condition, topic, card, float(at))
    except (ValueError, TypeError):  # a value we did not write: no context rather than a failed answer
        return None


class RedisContextStore:
    """The AsyncContextStore of cluster mode: one key per conversation, expiring with the context."""

    def __init__(self, link: Link, ttl: int = CONTEXT_TTL_SECONDS) -> None:
        self.link, self.ttl = link, ttl

    async def get(self, key: str) -> ChatContext | None:
        raw: bytes | None = await self.link.call(lambda r: r.get(self.link.key("ctx", key)), None)
        return _decode(raw)

    async def put(self, key: str, context: ChatContext) -> None:
        await self.link.call(lambda r: r.set(self.link.key("ctx", key), _encode(context), ex=self.ttl), None)
