"""Several replicas behind a load balancer, coordinated through Valkey/Redis (cluster mode, docs/deploy.md).

What each replica would otherwise keep to itself, and how it is shared:

* **Updates, exactly once** (`Claims`): a replica claims an update id (`SET NX EX claim_seconds`, refreshed
  while it works), handles it, then marks it done (`SET EX DONE_SECONDS`). A second delivery of a done update
  is acknowledged without a reply; one claimed by a live replica is refused so Telegram sends it again later;
  the claim of a replica that died expires, and Telegram's next try is handled by another.
* **One conversation at a time** (`ChatLocks`): `SET NX PX` with a random token, released by a Lua
  compare-and-delete, so a typed message and a button press of one chat never run at once on two replicas.
* **Who is alive, what they answered, reloads** (`Replica`): every HEARTBEAT_SECONDS each replica refreshes
  `replica:<id>` and its counts (`stats:<id>`, a hash) with a REPLICA_SECONDS TTL, and follows the catalog
  version: /reload on one replica bumps it and every live replica reloads and acknowledges.
* **Unmatched questions** (`RedisMissedLog`): one sorted set, bounded and expiring like the SQLite log.

Redis unreachable: every part falls back to what one process would do alone (handle the update, take the
turn, count locally), logged once per outage by the `Link`; losing Redis must never stop the answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, cast

from bot.adapters.shared.missed_log import MAX_AGE_SECONDS, MAX_CHARS, MAX_ROWS, TIME_STEP_SECONDS, Missed
from bot.adapters.shared.periodic import Periodic
from bot.adapters.shared.redis_store import Client, Link
from bot.adapters.shared.reload import Reloader
from bot.adapters.shared.stats import Stats

log = logging.getLogger(__name__)

DONE_SECONDS = 24 * 3600  # a done update is remembered this long: Telegram gives up on an update well before
HEARTBEAT_SECONDS = 1.0
REPLICA_SECONDS = 5  # a replica not heard from for this long is no longer counted
ACK_SECONDS = 6.0  # /reload waits this long for every live replica to confirm
LOCK_WAIT_SECONDS = 20.0  # a chat busy on another replica for longer: refused, Telegram sends it again later
DONE = b"done"

# compare-and-delete / compare-and-expire: only the holder of the token may release or extend
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
_EXTEND = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"
)


@dataclass(frozen=True)
class Claim:
    """What a replica may do with an update: handle it ("mine", or "local" without Redis), ack it, or refuse."""

    outcome: Literal["mine", "local", "done", "busy"]
    token: str = ""


class ChatBusy(Exception):
    """Another replica held the conversation for longer than LOCK_WAIT_SECONDS."""


async def _keep(link: Link, key: str, token: str, seconds: float) -> None:
    """Extend a held key every third of its lifetime, for as long as the holder works."""
    while True:
        await asyncio.sleep(seconds / 3)
        await link.script(_EXTEND, key, token, str(int(seconds * 1000)))


@contextlib.asynccontextmanager
async def _kept(link: Link, key: str, token: str, seconds: float) -> AsyncIterator[None]:
    keeper = asyncio.get_running_loop().create_task(_keep(link, key, token, seconds), name="keep-claim")
    try:
        yield
    finally:
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper


class Claims:
    """Update ids claimed, handled and done across replicas."""

    def __init__(self, link: Link, seconds: float, done_seconds: int = DONE_SECONDS) -> None:
        self.link, self.seconds, self.done_seconds = link, seconds, done_seconds

    async def claim(self, update_id: int) -> Claim:
        key, token = self.link.key("update", str(update_id)), secrets.token_hex(8)

        async def attempt(r: Client) -> Claim:
            for _ in range(2):  # the claim may expire between our SET and GET: then try once more
                if await r.set(key, token, nx=True, px=int(self.seconds * 1000)):
                    return Claim("mine", token)
                held = await r.get(key)
                if held == DONE:
                    return Claim("done")
                if held is not None:
                    return Claim("busy")
            return Claim("busy")

        return await self.link.call(attempt, Claim("local"))

    @contextlib.asynccontextmanager
    async def held(self, update_id: int, claim: Claim) -> AsyncIterator[None]:
        """Keep the claim alive while the update is handled (a replica that dies lets it expire)."""
        if claim.outcome != "mine":
            yield
            return
        async with _kept(self.link, self.link.key("update", str(update_id)), claim.token, self.seconds):
            yield

    async def done(self, update_id: int) -> None:
        await self.link.call(lambda r: r.set(self.link.key("update", str(update_id)), DONE, ex=self.done_seconds), None)

    async def release(self, update_id: int, claim: Claim) -> None:
        """Not handled after all: let Telegram's next try be handled by whoever gets it."""
        if claim.outcome == "mine":
            key = self.link.key("update", str(update_id))
            await self.link.script(_RELEASE, key, claim.token)


class ChatLocks:
    """One conversation handled by one replica at a time; `hold(chat)` waits its turn."""

    def __init__(self, link: Link, name: Callable[[int], str], seconds: float, wait: float = LOCK_WAIT_SECONDS) -> None:
        self.link, self.name, self.seconds, self.wait = link, name, seconds, wait

    @contextlib.asynccontextmanager
    async def hold(self, chat: int) -> AsyncIterator[None]:
        key, token = self.link.key("chat", self.name(chat)), secrets.token_hex(8)
        deadline = time.monotonic() + self.wait
        delay = 0.02
        # Redis unreachable: True, take the turn locally (the process's own ordering still holds)
        while not await self.link.call(lambda r: r.set(key, token, nx=True, px=int(self.seconds * 1000)), True):
            if time.monotonic() > deadline:
                raise ChatBusy
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 0.2)
        try:
            async with _kept(self.link, key, token, self.seconds):
                yield
        finally:
            await self.link.script(_RELEASE, key, token)


@dataclass(frozen=True)
class Reloaded:
    confirmed: int
    live: int


class Replica:
    """This replica in the registry: its heartbeat, its published counts, and the catalog version it follows."""

    def __init__(
        self,
        link: Link,
        name: str,
        stats: Stats,
        reloader: Reloader | None,
        *,
        interval: float = HEARTBEAT_SECONDS,
        ttl: int = REPLICA_SECONDS,
    ) -> None:
        self.link, self.name, self.stats, self.reloader = link, name, stats, reloader
        self.interval, self.ttl = interval, ttl
        self.version = -1  # the catalog version this replica has loaded; -1 until first heard
        self._periodic = Periodic("replica heartbeat", interval, self.beat, first=True)

    @property
    def task(self) -> asyncio.Task[None] | None:
        return self._periodic.task

    def _key(self, kind: str, name: str | None = None) -> str:
        return self.link.key(kind, name or self.name)

    async def beat(self) -> None:
        """Say we are alive, publish our counts, and reload when another replica announced a new catalog."""

        async def publish(r: Client) -> bytes | None:
            async with r.pipeline(transaction=True) as pipe:
                pipe.set(self._key("replica"), str(time.time()), ex=self.ttl)
                pipe.hset(self._key("stats"), mapping=self.stats.fields())
                pipe.expire(self._key("stats"), self.ttl)
                pipe.get(self.link.key("catalog-version"))
                result = await pipe.execute()
            version: bytes | None = result[-1]
            return version

        version = await self.link.call(publish, None)
        latest = int(version) if version is not None else 0
        if self.version < 0:  # just started: the catalog on disk is what we loaded
            self.version = latest
        elif latest > self.version:
            self.version = latest
            await self._follow(latest)

    async def _follow(self, version: int) -> None:
        if self.reloader is None:
            return
        outcome = await self.reloader.reload()
        if outcome.ok:
            await self._confirm(version)
        else:
            log.warning("catalog version %d announced, but the reload here was refused: see above", version)

    async def _confirm(self, version: int) -> None:
        key = self.link.key("reloaded", str(version))

        async def confirm(r: Client) -> None:
            async with r.pipeline(transaction=True) as pipe:
                pipe.sadd(key, self.name)
                pipe.expire(key, 60)
                await pipe.execute()

        await self.link.call(confirm, None)

    def start(self) -> None:
        self._periodic.start()

    async def stop(self) -> None:
        """Stop beating and leave the registry at once (a clean stop is not counted as a silent replica)."""
        await self._periodic.stop()
        await self.link.call(lambda r: r.delete(self._key("replica"), self._key("stats")), 0)

    async def live(self) -> set[str]:
        """The replicas heard from in the last REPLICA_SECONDS (this one included)."""

        async def scan(r: Client) -> set[str]:
            prefix = self.link.key("replica", "")
            return {key.decode()[len(prefix) :] async for key in r.scan_iter(match=prefix + "*", count=100)}

        return await self.link.call(scan, set[str]()) | {self.name}

    async def total(self) -> tuple[Stats, int]:
        """This replica's counts, as of now, plus every other live replica's last published ones."""
        others = sorted((await self.live()) - {self.name})

        async def read(r: Client) -> list[dict[bytes, bytes]]:
            async with r.pipeline(transaction=False) as pipe:
                for name in others:
                    pipe.hgetall(self._key("stats", name))
                rows: list[dict[bytes, bytes]] = await pipe.execute()
            return rows

        total = Stats(started=self.stats.started)
        total.add(self.stats)
        rows = await self.link.call(read, list[dict[bytes, bytes]]())
        for row in rows:
            total.add(Stats.from_fields({k.decode(): v.decode() for k, v in row.items()}))
        return total, 1 + len([row for row in rows if row])

    async def announce_reload(self) -> Reloaded | None:
        """After a reload here: have every live replica reload; how many confirmed within ACK_SECONDS.

        None when Redis is unreachable (then only this replica reloaded).
        """
        version = await self.link.call(lambda r: r.incr(self.link.key("catalog-version")), None)
        if version is None:
            return None
        self.version = max(self.version, int(version))
        await self._confirm(int(version))
        key = self.link.key("reloaded", str(version))
        deadline = time.monotonic() + ACK_SECONDS
        while True:
            raw = await self.link.call(lambda r: cast(Awaitable[set[bytes]], r.smembers(key)), set[bytes]())
            confirmed = {m.decode() for m in raw} | {self.name}
            live = await self.live()
            if live <= confirmed or time.monotonic() > deadline:
                return Reloaded(len(confirmed & live), len(live))
            await asyncio.sleep(0.1)


class RedisMissedLog:
    """The unmatched-question log shared by all replicas: a sorted set, bounded and expiring as the SQLite one.

    Each member is "<hour>:<normalised text>" scored by the hour, so Redis orders by hour and then by text,
    never by arrival, as the SQLite log does.
    """

    def __init__(self, link: Link, *, max_rows: int = MAX_ROWS, max_age: int = MAX_AGE_SECONDS) -> None:
        self.link, self.max_rows, self.max_age = link, max_rows, max_age
        self.clock: Callable[[], float] = time.time
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def unavailable(self) -> str:
        return "" if self.link.up else "Redis unreachable"

    def add(self, text: str) -> None:
        """Record one unmatched message in the background (the handler that calls this is not held up)."""
        text = " ".join(text.split())[:MAX_CHARS]
        if not text:
            return
        task = asyncio.get_running_loop().create_task(self._add(text), name="missed-add")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _add(self, text: str) -> None:
        now = self.clock()
        hour = now - now % TIME_STEP_SECONDS
        key = self.link.key("missed")

        async def add(r: Client) -> None:
            async with r.pipeline(transaction=True) as pipe:
                pipe.zadd(key, {f"{int(hour)}:{text}": hour})
                pipe.zremrangebyscore(key, "-inf", now - self.max_age)
                pipe.zremrangebyrank(key, 0, -self.max_rows - 1)
                pipe.expire(key, self.max_age)
                await pipe.execute()

        await self.link.call(add, None)

    async def latest(self, limit: int = 20) -> list[Missed]:
        """Newest hour first, and within an hour by text."""
        since = self.clock() - self.max_age - TIME_STEP_SECONDS
        key = self.link.key("missed")
        raw: list[tuple[bytes, float]] = await self.link.call(
            lambda r: r.zrevrangebyscore(key, "+inf", since, start=0, num=self.max_rows, withscores=True), []
        )
        rows = [Missed(float(score), member.decode().partition(":")[2]) for member, score in raw]
        rows.sort(key=lambda m: (-m.at, m.text))
        return rows[:limit]
