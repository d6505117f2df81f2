"""Cluster mode (issue 14): three real `python -m bot telegram --webhook` replicas sharing a real redis-server,
Debian's HAProxy in front, the Bot API double as Telegram. The test plays Telegram: it POSTs each update to
HAProxy (or straight to a replica, as HAProxy would) and POSTs it again until it hears 200.

What a user would notice: follow-ups work whichever replica answers; an update is answered once however
often it is delivered; a replica killed mid-answer costs nobody an answer; Redis going away costs follow-up
context, never an answer; /reload and /stats speak for every live replica.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from bot.adapters.telegram.handlers import CALLBACK_PREFIX
from bot.catalog import Catalog
from tests.admin_harness import ADMIN
from tests.botapi import BotApiDouble
from tests.botapi.double import JSON
from tests.conftest import ROOT
from tests.process_harness import Cli, bot_env, listening, wait_for
from tests.telegram_harness import buttons, free_port, is_card

REDIS = shutil.which("redis-server")
HAPROXY = shutil.which("haproxy") or next((p for p in ("/usr/sbin/haproxy",) if Path(p).exists()), None)
HOOK = "https://bot.example.com/tg/hook"
DEPLOY_CONFIG = ROOT / "deploy" / "haproxy.cfg"
SECRET = "one-secret-for-every-replica"
USER = 7_000_001


class RedisServer:
    """redis-server on a free port of 127.0.0.1, nothing written to disk; stop and start it again at will."""

    def __init__(self, folder: Path) -> None:
        self.port, self.folder = free_port(), folder
        self.proc: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        assert REDIS is not None
        with (self.folder / "redis.log").open("ab") as out:
            args = ["--save", "", "--appendonly", "no", "--port", str(self.port), "--bind", "127.0.0.1"]
            self.proc = subprocess.Popen(
                [REDIS, *args, "--dir", str(self.folder)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        await wait_for(lambda: listening(self.port), 10, "redis-server")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


class Haproxy:
    """Debian's haproxy in the foreground, running the shipped deploy/haproxy.cfg: local addresses instead of
    the compose service names, plain HTTP instead of the certificate, and checks every 300 ms (not 2 s) so
    the tests are short."""

    def __init__(self, folder: Path, backends: list[int]) -> None:
        self.port = free_port()
        config = DEPLOY_CONFIG.read_text(encoding="utf-8")
        changes = {
            "    bind :8443 ssl crt /etc/haproxy/certs/bot.pem\n": f"    bind 127.0.0.1:{self.port}\n",
            "check inter 2s fall 2 rise 2": "check inter 300ms fall 1 rise 1",
            "".join(f"    server bot{n} bot{n}:8443\n" for n in (1, 2, 3)): "".join(
                f"    server bot{n} 127.0.0.1:{port}\n" for n, port in enumerate(backends, 1)
            ),
        }
        for shipped, local in changes.items():
            assert shipped in config, f"deploy/haproxy.cfg no longer has {shipped!r}"
            config = config.replace(shipped, local)
        self.config = folder / "haproxy.cfg"
        self.config.write_text(config, encoding="utf-8")
        self.log = folder / "haproxy.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/tg/hook"

    async def start(self) -> None:
        assert HAPROXY is not None
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([HAPROXY, "-db", "-f", str(self.config)], stdout=out, stderr=subprocess.STDOUT)
        await wait_for(lambda: listening(self.port), 10, "haproxy")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)


@dataclass(frozen=True)
class Attempt:
    """One POST of an update, as Telegram would make it: when it started and ended, the status (0: no answer)."""

    update_id: int
    started: float
    ended: float
    status: int


class Stack:
    """Redis, N replicas, HAProxy; `deliver` plays Telegram (POST again until 200)."""

    def __init__(self, tg: BotApiDouble, tmp_path: Path, replicas: int = 3, **env: str) -> None:
        self.tg, self.tmp = tg, tmp_path
        self.redis = RedisServer(tmp_path / "redis")
        self.ports = [free_port() for _ in range(replicas)]
        self.env = env
        self.bots: list[Cli] = []
        self.haproxy = Haproxy(tmp_path, self.ports)
        self.attempts: list[Attempt] = []  # every POST of an update, in the order they ended

    def replica_url(self, n: int) -> str:
        return f"http://127.0.0.1:{self.ports[n]}/tg/hook"

    async def start(self) -> None:
        await self.redis.start()
        for n, port in enumerate(self.ports):
            env = bot_env(
                self.tg,
                self.tmp / f"r{n}",
                REDIS_URL=self.redis.url,
                BOT_WEBHOOK_SECRET=SECRET,
                BOT_REPLICA_ID=f"r{n}",
                BOT_ADMIN_IDS=str(ADMIN),
                **self.env,
            )
            self.bots.append(Cli(["telegram", "--webhook", HOOK, "--port", str(port)], env, self.tmp / f"r{n}.log"))
        await self.tg.wait_for_calls_async("setWebhook", count=len(self.ports), timeout=30)
        for port in self.ports:
            await wait_for(lambda port=port: healthy(port), 20, "a replica's /healthz")  # type: ignore[misc]
        await self.haproxy.start()

    def stop(self) -> None:
        self.haproxy.stop()
        for bot in self.bots:
            bot.kill()
        self.redis.stop()

    def logs(self) -> str:
        return "\n".join(bot.output() for bot in self.bots)

    async def post(self, url: str, update: JSON, timeout: float = 30) -> int:
        started = time.monotonic()
        try:
            status = await self.tg.post_update(url, update, secret_token=SECRET, timeout=timeout)
        except httpx.HTTPError:
            status = 0  # no answer at all: as bad as a refusal, for Telegram
        self.attempts.append(Attempt(int(update["update_id"]), started, time.monotonic(), status))
        return status

    async def deliver(self, update: JSON | None, url: str = "", timeout: float = 30) -> list[int]:
        """POST until 200, as Telegram retries an update it did not get 200 for; the statuses seen."""
        assert update is not None
        statuses: list[int] = []
        end = time.monotonic() + timeout
        while not statuses or statuses[-1] != 200:
            if time.monotonic() > end:
                raise AssertionError(f"update {update['update_id']} never got 200: {statuses}")
            if statuses:
                await asyncio.sleep(0.2)  # Telegram's retry comes later; ours soon, to keep the test short
            statuses.append(await self.post(url or self.haproxy.url, update))
        return statuses

    async def ask(self, chat: int, text: str, url: str = "", *, later: float = 0) -> JSON:
        """A user's message, delivered as Telegram would; the one reply it got (`later`: an admin command whose
        answer may come after the 200, within that many seconds)."""
        before = len(self.tg.sent_messages(chat))
        await self.deliver(self.tg.push_message(chat, chat, text, queue=False), url)
        if later:
            await wait_for(lambda: len(self.tg.sent_messages(chat)) > before, later, f"the answer to {text}")
        sent = self.tg.sent_messages(chat)
        assert len(sent) == before + 1, f"{len(sent) - before} replies to one message"
        return sent[-1]


def healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
async def stack(tg: BotApiDouble, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    if REDIS is None:
        pytest.skip("redis-server not installed (Debian: apt-get install redis-server; CI installs it)")
    if HAPROXY is None:
        pytest.skip("haproxy not installed (Debian: apt-get install haproxy; CI installs it)")
    marker = request.node.get_closest_marker("stack_env")
    running = Stack(tg, tmp_path, **(marker.kwargs if marker else {}))
    try:
        await running.start()
        yield running
    finally:
        running.stop()
    assert "Traceback" not in running.logs()


async def answering(
    stack: Stack, tg: BotApiDouble, chat: int, text: str, *, replica: int, seconds: float
) -> tuple[JSON, asyncio.Future[int]]:
    """An update posted to one replica whose reply the Bot API holds for `seconds`: (the update, its POST),
    returned once the reply is on its way, so the update is in hand on that replica."""
    tg.inject_slow("sendMessage", seconds, chat_id=chat)
    update = tg.push_message(chat, chat, text, queue=False)
    assert update is not None
    posted = asyncio.ensure_future(stack.post(stack.replica_url(replica), update))
    await wait_for(lambda: any(c.params.get("chat_id") == chat for c in tg.calls_to("sendMessage")), 10, "a reply")
    return update, posted


async def test_follow_ups_work_when_each_message_lands_on_another_replica(stack: Stack, catalog: Catalog) -> None:
    chat = USER + 1
    assert is_card(await stack.ask(chat, "does prednisone help ALS?", stack.replica_url(0)), catalog, "als-evidence")
    assert is_card(await stack.ask(chat, "what about side effects?", stack.replica_url(1)), catalog, "als-side-effects")
    assert is_card(await stack.ask(chat, "and for LEMS?", stack.replica_url(2)), catalog, "lems-side-effects")
    # and through HAProxy, wherever it sends them
    other = USER + 2
    assert is_card(await stack.ask(other, "does prednisone help ALS?"), catalog, "als-evidence")
    assert is_card(await stack.ask(other, "what about side effects?"), catalog, "als-side-effects")


async def test_an_update_delivered_twice_or_to_two_replicas_at_once_is_answered_once(
    stack: Stack, tg: BotApiDouble, catalog: Catalog
) -> None:
    chat = USER + 3
    update = tg.push_message(chat, chat, "what is LEMS?", queue=False)
    assert update is not None
    assert await stack.deliver(update) == [200]
    assert await stack.deliver(update) == [200]  # Telegram sends it again: acknowledged, not answered again
    assert len(tg.sent_messages(chat)) == 1

    # the same update at two replicas at once, while the first is still answering
    chat = USER + 4
    update, first = await answering(stack, tg, chat, "what is ALS?", replica=0, seconds=1.5)
    assert await stack.post(stack.replica_url(1), update) == 503  # in hand on a live replica: try later
    assert await first == 200
    assert await stack.deliver(update, stack.replica_url(1)) == [200]  # the later try: done, acknowledged
    (answer,) = tg.sent_messages(chat)
    assert is_card(answer, catalog, "als")


@pytest.mark.stack_env(BOT_CLAIM_SECONDS="2")
async def test_a_replica_killed_mid_answer_costs_nobody_an_answer(
    stack: Stack, tg: BotApiDouble, catalog: Catalog
) -> None:
    held_chat = USER + 10
    tg.inject_slow("sendMessage", 5, chat_id=held_chat)  # the reply hangs: the replica is mid-answer
    held = tg.push_message(held_chat, held_chat, "what is LEMS?", queue=False)
    assert held is not None
    first = asyncio.ensure_future(stack.post(stack.replica_url(0), held))  # HAProxy picked replica 0
    await wait_for(
        lambda: any(c.params.get("chat_id") == held_chat for c in tg.calls_to("sendMessage")), 10, "the reply going out"
    )

    others_done = asyncio.Event()
    answered: list[tuple[float, int]] = []  # when, which chat
    repeated: list[int] = []
    workers = 4

    async def other_chats(worker: int) -> None:  # users who keep writing, each one message at a time
        n = 0
        while not others_done.is_set():
            chat = USER + 1000 * (worker + 1) + n
            await stack.deliver(tg.push_message(chat, chat, "what is ALS?", queue=False))
            replies = tg.sent_messages(chat)
            assert replies and all(is_card(r, catalog, "als") for r in replies)
            answered.append((time.monotonic(), chat))
            if len(replies) > 1:  # sent by the killed replica, which died before it could mark the update done
                repeated.append(chat)
            n += 1

    traffic = asyncio.gather(*(other_chats(w) for w in range(workers)))
    await wait_for(lambda: len(answered) >= 8 or traffic.done(), 20, "other chats answered before the kill")
    stack.bots[0].kill()  # SIGKILL mid-answer
    killed_at = time.monotonic()
    assert await first != 200  # Telegram never heard 200 for the held update ...
    statuses = await stack.deliver(held)  # ... so it sends it again, through HAProxy, until it gets 200
    held_done = time.monotonic()
    await wait_for(lambda: len(answered) >= 8 + 3 * workers or traffic.done(), 20, "other chats after the retry")
    others_done.set()
    await traffic

    (answer,) = tg.sent_messages(held_chat)  # exactly once: the dead replica's reply never arrived
    assert is_card(answer, catalog, "lems")
    assert statuses[0] != 200 and statuses[-1] == 200  # refused while the dead replica's claim lived
    took = held_done - killed_at
    assert took < 15
    meanwhile = [chat for at, chat in answered if killed_at < at < held_done]
    assert meanwhile, "no other chat was answered while the held update waited"
    # a message in hand on the killed replica may have been sent just before it died, and is then sent again by
    # the next replica (the Bot API cannot be asked whether a send arrived): at most one per writer; no other
    assert len(repeated) <= workers
    print(
        f"held update: statuses {statuses}, answered {took:.1f} s after the kill; {len(answered)} other messages "
        f"answered, {len(meanwhile)} of them meanwhile; {len(repeated)} answered twice"
    )


# Each chat's script: a question, then follow-ups whose card depends on what came before (the card expected).
SCRIPTS = (
    (
        ("does prednisone help ALS?", "als-evidence"),
        ("what about side effects?", "als-side-effects"),
        ("and for LEMS?", "lems-side-effects"),
        ("what is LEMS?", "lems"),
        ("does prednisone help LEMS?", "lems-evidence"),
        ("what about side effects?", "lems-side-effects"),
        ("and for ALS?", "als-side-effects"),
        ("what is ALS?", "als"),
        ("how does prednisone work in ALS?", "als-mechanism"),
        ("what about LEMS?", "lems-mechanism"),
    ),
    (
        ("how does prednisone work in ALS?", "als-mechanism"),
        ("what about LEMS?", "lems-mechanism"),
        ("are there alternatives?", "lems-alternatives"),
        ("and for ALS?", "als-alternatives"),
        ("what about side effects?", "als-side-effects"),
        ("how does it work?", "als-mechanism"),
        ("does prednisone help LEMS?", "lems-evidence"),
        ("what about side effects?", "lems-side-effects"),
        ("and for ALS?", "als-side-effects"),
        ("what is LEMS?", "lems"),
    ),
)


def replayed(replies: list[JSON], expected: list[str], catalog: Catalog) -> int:
    """How many replies were sent twice in a row (0 or 1); fails unless the replies are `expected`'s cards, in
    order, with at most one of them repeated right after itself."""
    at, twice = 0, 0
    for reply in replies:
        if at < len(expected) and is_card(reply, catalog, expected[at]):
            at += 1
        elif at and not twice and is_card(reply, catalog, expected[at - 1]):
            twice += 1
        else:
            got = [next((c for c in catalog.cards if is_card(r, catalog, c)), "?") for r in replies]
            raise AssertionError(f"replies {got}, expected {expected} (one may repeat)")
    assert at == len(expected), f"{at} of {len(expected)} answered"
    return twice


@pytest.mark.stack_env(BOT_CLAIM_SECONDS="2")
async def test_three_hundred_updates_over_thirty_chats_survive_a_replica_killed_mid_run(
    stack: Stack, tg: BotApiDouble, catalog: Catalog
) -> None:
    """Issue 14's "done when": 320 updates over 32 chats through HAProxy, each chat's messages one after the
    other as Telegram sends them (the next only after the previous got 200), follow-ups among them; replica 0
    is SIGKILLed after a third of the answers. Every update is answered, in order, follow-ups keep their
    context on whichever replica answers, nothing is refused for good, and /reload counts the live replicas."""

    async def admin(command: str) -> str:
        return str((await stack.ask(ADMIN, command, later=15))["text"])

    assert "Reloaded on 3 of 3 replicas." in await admin("/reload")
    chats = {USER + 100 + n: SCRIPTS[n % len(SCRIPTS)] for n in range(32)}
    total = sum(len(script) for script in chats.values())
    answered: list[int] = []
    owner: dict[int, int] = {}  # update id: its chat
    killed_at, answered_at_kill = 0.0, 0

    async def user(chat: int) -> None:
        for text, _ in chats[chat]:
            update = tg.push_message(chat, chat, text, queue=False)
            assert update is not None
            owner[update["update_id"]] = chat
            await stack.deliver(update, timeout=40)
            answered.append(chat)

    async def killer() -> None:
        nonlocal killed_at, answered_at_kill
        await wait_for(lambda: len(answered) >= total // 3, 60, "a third of the answers")
        # the next replies hang in the Bot API for a moment, so every replica has some in hand when replica 0
        # dies; the ones it had are delivered all the same (Telegram got the send, the sender never heard back)
        before = len(tg.calls_to("sendMessage"))
        tg.inject_slow("sendMessage", 0.8, times=len(chats), deliver_if_abandoned=True)
        await wait_for(lambda: len(tg.calls_to("sendMessage")) >= before + 12, 10, "replies hanging")
        stack.bots[0].kill()  # SIGKILL, mid-answer
        killed_at, answered_at_kill = time.monotonic(), len(answered)

    started = time.monotonic()
    await asyncio.gather(killer(), *(user(chat) for chat in chats))
    took = time.monotonic() - started
    assert "Reloaded on 2 of 2 replicas." in await admin("/reload")

    statuses = [a.status for a in stack.attempts]
    assert set(statuses) <= {200, 502, 503, 0}, sorted(set(statuses))  # no 403: only what a retry solves
    # what replica 0 had in hand when it died: POSTs that began before the kill and ended after it unanswered
    in_hand = {a.update_id for a in stack.attempts if a.started < killed_at < a.ended and a.status != 200}
    in_hand_chats = {owner[u] for u in in_hand if u in owner}
    assert in_hand_chats, "the kill found replica 0 idle: nothing was tested"
    twice = {chat: replayed(tg.sent_messages(chat), [card for _, card in chats[chat]], catalog) for chat in chats}
    repeated = [chat for chat, n in twice.items() if n]
    # a reply sent by replica 0 just before it died, before its done mark, is sent again by the next replica
    # (docs/deploy.md: the Bot API cannot be asked whether a send arrived): at most one per update it held
    assert len(repeated) <= len(in_hand) and set(repeated) <= in_hand_chats, (repeated, in_hand_chats)
    retried = sum(1 for s in statuses if s != 200)
    print(
        f"{total} updates over {len(chats)} chats in {took:.1f} s; replica 0 killed after {answered_at_kill} answers "
        f"with {len(in_hand)} update(s) in hand; {retried} POSTs retried ({sorted(set(statuses) - {200})}); "
        f"{len(repeated)} answered twice"
    )


async def test_a_message_and_a_button_of_one_chat_never_run_at_once_on_two_replicas(
    stack: Stack, tg: BotApiDouble, catalog: Catalog
) -> None:
    chat = USER + 5
    first = await stack.ask(chat, "what is LEMS?", stack.replica_url(0))
    button = buttons(first)[0]
    tg.inject_slow("sendMessage", 2, chat_id=chat)  # the next answer takes 2 s to go out
    typed = tg.push_message(chat, chat, "does prednisone help ALS?", queue=False)
    assert typed is not None
    typing = asyncio.ensure_future(stack.deliver(typed, stack.replica_url(0)))
    await wait_for(
        lambda: len([c for c in tg.calls_to("sendMessage") if c.params.get("chat_id") == chat]) == 2, 10, "x"
    )
    slow_send = [c for c in tg.calls_to("sendMessage") if c.params.get("chat_id") == chat][-1]
    press = tg.push_callback_query(chat, chat, first["message_id"], button, queue=False)
    assert await stack.deliver(press, stack.replica_url(1)) == [200]  # waited for its turn, then answered
    assert await typing == [200]
    (pressed,) = tg.calls_to("answerCallbackQuery")
    assert pressed.at >= slow_send.at + 1.9  # the press was handled only after the typed message's answer went out
    answers = tg.sent_messages(chat)
    assert len(answers) == 3
    assert is_card(answers[1], catalog, "als-evidence")
    assert is_card(answers[2], catalog, button.removeprefix(CALLBACK_PREFIX))


async def test_a_replica_stopping_says_so_and_hands_new_updates_to_the_others(
    stack: Stack, tg: BotApiDouble, catalog: Catalog
) -> None:
    held_chat = USER + 70
    _, holding = await answering(stack, tg, held_chat, "what is LEMS?", replica=0, seconds=2)
    stack.bots[0].proc.send_signal(signal.SIGTERM)  # docker stop, mid-answer
    await wait_for(lambda: not healthy(stack.ports[0]), 5, "/healthz saying the replica is stopping")
    late = tg.push_message(USER + 71, USER + 71, "what is ALS?", queue=False)
    assert late is not None
    assert await stack.post(stack.replica_url(0), late) == 503  # not taken on while stopping ...
    assert is_card((await stack.ask(USER + 72, "what is ALS?")), catalog, "als")  # ... HAProxy sends elsewhere
    assert await stack.deliver(late) == [200]
    assert await holding == 200  # what it held was finished before it stopped
    assert await stack.bots[0].wait(15) == 0
    (answer,) = tg.sent_messages(held_chat)
    assert is_card(answer, catalog, "lems")
    assert len(tg.sent_messages(USER + 71)) == 1


@pytest.mark.stack_env(BOT_LOG_MISSED="1")
async def test_reload_and_stats_speak_for_every_live_replica(stack: Stack, tg: BotApiDouble, catalog: Catalog) -> None:
    async def admin(command: str, url: str = "") -> str:
        return str((await stack.ask(ADMIN, command, url, later=15))["text"])

    assert "Reloaded on 3 of 3 replicas." in await admin("/reload")

    # one question on each replica, and one nobody can answer (for /missed)
    for n in range(3):
        await stack.ask(USER + 20 + n, "what is ALS?", stack.replica_url(n))
    await stack.ask(USER + 30, "zebra quantum xylophone", stack.replica_url(1))

    def summed() -> bool:
        text = latest_admin_text()
        return "messages  4" in text and "summed over 3 live replicas" in text

    def latest_admin_text() -> str:
        return str(tg.sent_messages(ADMIN)[-1]["text"]) if tg.sent_messages(ADMIN) else ""

    end = time.monotonic() + 10  # each replica publishes its counts every second
    while not summed():
        assert time.monotonic() < end, latest_admin_text()
        await admin("/stats", stack.replica_url(2))
    assert "fallback  1" in latest_admin_text()
    assert "zebra quantum xylophone" in await admin("/missed", stack.replica_url(0))  # asked on replica 1

    stack.bots[2].kill()
    assert "Reloaded on 2 of 2 replicas." in await admin("/reload", stack.replica_url(0))


async def test_redis_gone_costs_follow_ups_not_answers_and_they_come_back(
    stack: Stack, tg: BotApiDouble, catalog: Catalog
) -> None:
    assert is_card(await stack.ask(USER + 40, "does prednisone help ALS?"), catalog, "als-evidence")
    stack.redis.stop()
    # every answer still goes out; the follow-up has no context to lean on, so it gets the general card
    assert is_card(await stack.ask(USER + 40, "what about side effects?"), catalog, "side-effects")
    for n in range(3):
        assert is_card(await stack.ask(USER + 41 + n, "what is LEMS?", stack.replica_url(n)), catalog, "lems")

    await stack.redis.start()  # an empty Redis (nothing was saved): new context from here on
    end = time.monotonic() + 15
    chat = USER + 50
    while True:  # each replica tries Redis again within a second of its last failure
        await stack.ask(chat, "does prednisone help ALS?")
        if is_card(await stack.ask(chat, "what about side effects?"), catalog, "als-side-effects"):
            break
        assert time.monotonic() < end, "follow-up context did not come back with Redis"
        chat += 1
    for n in range(3):  # on every replica, across replicas
        chat = USER + 60 + n
        await stack.ask(chat, "does prednisone help ALS?", stack.replica_url(n))
        follow = await stack.ask(chat, "what about side effects?", stack.replica_url((n + 1) % 3))
        assert is_card(follow, catalog, "als-side-effects")
    logs = stack.logs()
    assert logs.count("unreachable") <= 3 and "is back" in logs  # once per outage per replica


@pytest.mark.parametrize(
    ("args", "extra", "said"),
    [
        (["telegram"], {"BOT_WEBHOOK_SECRET": SECRET}, "webhook mode only"),
        (["telegram", "--webhook", HOOK], {}, "set BOT_WEBHOOK_SECRET"),
    ],
)
async def test_cluster_mode_refuses_polling_and_a_missing_shared_secret(
    tg: BotApiDouble, tmp_path: Path, args: list[str], extra: dict[str, str], said: str
) -> None:
    env = bot_env(tg, tmp_path, REDIS_URL="redis://127.0.0.1:1/0", **extra)
    cli = Cli(args, env, tmp_path / "bot.log")
    try:
        assert await cli.wait(30) == 2
    finally:
        cli.kill()
    lines = cli.output().strip().splitlines()
    assert len(lines) == 1 and said in lines[0] and "REDIS_URL" in lines[0]
    assert tg.calls == []  # refused before reaching Telegram


def test_the_compose_file_runs_valkey_three_replicas_and_haproxy_as_the_config_expects() -> None:
    """deploy/compose.yaml and deploy/haproxy.cfg name the same replicas, all on one Valkey and one secret."""
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    bots = sorted(name for name in services if name.startswith("bot"))
    assert bots == ["bot1", "bot2", "bot3"] and {"valkey", "haproxy"} <= set(services)
    config = DEPLOY_CONFIG.read_text(encoding="utf-8")
    for name in bots:
        bot = services[name]
        assert bot["environment"]["REDIS_URL"].startswith("redis://valkey:")
        assert bot["environment"]["BOT_REPLICA_ID"] == name
        assert bot["env_file"] == "bot.env"  # one token, one webhook URL and one shared secret for all
        assert f"server {name} {name}:{bot['environment']['BOT_WEBHOOK_PORT']}" in config
    example = (ROOT / "deploy" / "bot.env.example").read_text(encoding="utf-8")
    assert "BOT_WEBHOOK_SECRET=" in example and "BOT_WEBHOOK_URL=https://" in example
    assert "/tg/hook" in example and "{ path /tg/hook }" in config  # HAProxy lets the webhook's path through
