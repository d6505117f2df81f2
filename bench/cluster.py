"""Cluster benchmark: replies per second and latency through HAProxy with 1 and 3 replicas on Redis, beside one
webhook process without Redis.

Three set-ups, one after the other, each on a fresh Bot API double (tests/botapi) in this process, all on
127.0.0.1:
* `1 process`: `python -m bot telegram --webhook ...` alone, no REDIS_URL (context in SQLite); the users POST
  to its port directly;
* `1 replica`: the same command with REDIS_URL (cluster mode: update claims, chat locks, context, heartbeat on
  a real redis-server), behind HAProxy running the shipped deploy/haproxy.cfg (local addresses, plain HTTP);
* `3 replicas`: three such replicas on one redis-server, behind the same HAProxy.
Each user is a private chat playing Telegram: it POSTs its next update once the previous one got 200 (a closed
loop; Telegram sends a chat's next update only then), any other status is POSTed again at once and counted.
A reply's latency runs from the first POST of its update to the 200 (the bot answers 200 only after its reply
went out). Messages: the router benchmark's fixed mix, follow-ups after the messages they follow. The bot
processes are the real command; only the flood limits (30 messages a second per process) are lifted, as in
bench.e2e (`--limits shipped` keeps them). Server CPU is the bot processes', Redis's and HAProxy's (Linux
/proc). Nothing is pinned: on a small machine everything shares the same cores. It measures; it asserts
nothing about timings.

Usage (from the repository root; needs redis-server and haproxy on PATH):
    .venv/bin/python -m bench.cluster            # 50 users x 40 messages per set-up
    .venv/bin/python -m bench.cluster --quick    # 10 users x 10 messages
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import add_out, median, percentile, report, table
from bench.synth import message_mix

ROOT = Path(__file__).resolve().parent.parent
HOOK = "https://bot.example.com/tg/hook"
SECRET = "bench-cluster-secret"
FIRST_USER = 800_000_001
SETUPS = {"1 process": 0, "1 replica": 1, "3 replicas": 3}  # name: replicas behind HAProxy (0: no Redis, no HAProxy)
JSON = dict[str, Any]


# --- the bot side (child process) ------------------------------------------------------------------------


def serve(port: int, limits: str) -> int:
    """`python -m bot telegram --webhook HOOK --port PORT` as shipped, flood limits lifted unless told."""
    if limits == "lifted":
        from bot.adapters.telegram.delivery import FairRateLimiter

        shipped = FairRateLimiter.__init__

        def lifted(self: FairRateLimiter, *args: Any, **kwargs: Any) -> None:
            shipped(self, *args, **kwargs)
            self.limits = False

        FairRateLimiter.__init__ = lifted  # type: ignore[method-assign]
    from bot.__main__ import main

    return main(["telegram", "--webhook", HOOK, "--port", str(port)])


# --- the pieces around it ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.05)


def healthy(port: int) -> bool:
    import httpx

    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


def haproxy_config(port: int, backends: list[int]) -> str:
    """deploy/haproxy.cfg with local addresses and plain HTTP (as tests/test_cluster.py runs it)."""
    config = (ROOT / "deploy" / "haproxy.cfg").read_text(encoding="utf-8")
    changes = {
        "    bind :8443 ssl crt /etc/haproxy/certs/bot.pem\n": f"    bind 127.0.0.1:{port}\n",
        "".join(f"    server bot{n} bot{n}:8443\n" for n in (1, 2, 3)): "".join(
            f"    server bot{n} 127.0.0.1:{p}\n" for n, p in enumerate(backends, 1)
        ),
    }
    for shipped, local in changes.items():
        if shipped not in config:
            raise RuntimeError(f"deploy/haproxy.cfg no longer has {shipped!r}")
        config = config.replace(shipped, local)
    return config


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Running:
    """The processes of one set-up; `url` is where the users POST."""

    def __init__(self, tg: Any, folder: Path, replicas: int, limits: str) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        self.folder = folder
        redis_url = ""
        if replicas:
            redis, redis_port = shutil.which("redis-server"), free_port()
            if redis is None:
                raise RuntimeError("redis-server is not installed")
            args = ["--save", "", "--appendonly", "no", "--port", str(redis_port), "--bind", "127.0.0.1"]
            self._spawn([redis, *args, "--dir", str(folder)], "redis")
            wait_until(lambda: listening(redis_port), 10, "redis-server")
            redis_url = f"redis://127.0.0.1:{redis_port}/0"
        ports = [free_port() for _ in range(max(1, replicas))]
        base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_", "REDIS_"))}
        for n, port in enumerate(ports):
            env = {
                **base,
                "TELEGRAM_BOT_TOKEN": tg.token,
                "TELEGRAM_BASE_URL": tg.base_url,
                "BOT_DATA_DIR": str(folder / f"r{n}"),
                "BOT_CATALOG_DIR": str(ROOT),
                "BOT_WEBHOOK_SECRET": SECRET,
                "BOT_REPLICA_ID": f"r{n}",
                "PTB_TIMEDELTA": "1",
                "PYTHONUNBUFFERED": "1",
            }
            if redis_url:
                env["REDIS_URL"] = redis_url
            command = [sys.executable, "-m", "bench.cluster", "--serve", str(port), "--limits", limits]
            self._spawn(command, f"r{n}", env)
        tg.wait_for_calls("setWebhook", count=len(ports), timeout=60)
        for port in ports:
            wait_until(lambda port=port: healthy(port), 60, "a replica's /healthz")
        if not replicas:
            self.url = f"http://127.0.0.1:{ports[0]}/tg/hook"
            return
        haproxy = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
        if haproxy is None:
            raise RuntimeError("haproxy is not installed")
        front = free_port()
        config = folder / "haproxy.cfg"
        config.write_text(haproxy_config(front, ports), encoding="utf-8")
        self._spawn([haproxy, "-db", "-f", str(config)], "haproxy")
        wait_until(lambda: listening(front), 10, "haproxy")
        self.url = f"http://127.0.0.1:{front}/tg/hook"

    def _spawn(self, command: list[str], name: str, env: dict[str, str] | None = None) -> None:
        with (self.folder / f"{name}.log").open("ab") as out:
            self.procs.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT))

    def cpu(self) -> float:
        return sum(cpu_seconds(p.pid) for p in self.procs)

    def stop(self) -> None:
        for proc in reversed(self.procs):  # HAProxy, the bots, then Redis
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


# --- the users (this process) -----------------------------------------------------------------------------


def mix_texts(count: int) -> list[str]:
    """The fixed mix as texts, follow-ups after the messages they follow."""
    return [t for m in message_mix(count) for t in (*m.after, m.text) if t.strip()]


async def users(tg: Any, url: str, streams: dict[int, list[str]]) -> tuple[list[float], int, float]:
    """Every user at once, each a closed loop; the latencies, the POSTs refused (and sent again), the wall time."""
    import httpx

    latencies: list[float] = []
    refused = 0
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    limits = httpx.Limits(max_connections=len(streams) + 10, max_keepalive_connections=len(streams) + 10)
    async with httpx.AsyncClient(timeout=60, trust_env=False, limits=limits) as client:

        async def user(chat: int, texts: list[str]) -> None:
            nonlocal refused
            for text in texts:
                update = tg.push_message(chat, chat, text, queue=False)
                start = time.perf_counter()
                for _ in range(200):
                    try:
                        if (await client.post(url, json=update, headers=headers)).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    refused += 1
                    await asyncio.sleep(0.05)
                else:
                    raise RuntimeError(f"update {update['update_id']} was never answered 200")
                latencies.append(time.perf_counter() - start)

        began = time.perf_counter()
        await asyncio.gather(*(user(chat, texts) for chat, texts in streams.items()))
        wall = time.perf_counter() - began
    return latencies, refused, wall


def measure(setup: str, count: int, per_user: int, limits: str) -> JSON:
    from tests.botapi import BotApiDouble

    texts = mix_texts(max(400, count * per_user))
    streams = {FIRST_USER + u: texts[u * per_user : (u + 1) * per_user] for u in range(count)}
    warm = {FIRST_USER + count + u: texts[u * 2 : u * 2 + 2] for u in range(min(count, 10))}
    with BotApiDouble() as tg, tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        running = Running(tg, Path(tmp), SETUPS[setup], limits)
        try:
            asyncio.run(users(tg, running.url, warm))  # first-use costs (the language detector) before timing
            cpu_before = running.cpu()
            latencies, refused, wall = asyncio.run(users(tg, running.url, streams))
            cpu = running.cpu() - cpu_before
        finally:
            running.stop()
        replies = sum(len(tg.sent_messages(chat)) for chat in streams)
        errors = tg.internal_errors
    if errors:
        raise RuntimeError(f"the double failed: {errors[0]!r}")
    ms = [x * 1000 for x in latencies]
    return {
        "setup": setup,
        "updates": len(latencies),
        "replies": replies,
        "refused": refused,
        "seconds": wall,
        "replies_per_s": len(latencies) / wall,
        "median_ms": median(ms),
        "p99_ms": percentile(ms, 0.99),
        "server_cpu_ms_per_reply": 1000 * cpu / len(latencies),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cluster", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help="users writing at once (default 50)")
    parser.add_argument("--per-user", type=int, default=40, help="messages each user sends (default 40)")
    parser.add_argument("--limits", choices=("lifted", "shipped"), default="lifted", help="flood limits (see above)")
    parser.add_argument("--quick", action="store_true", help="10 users x 10 messages")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    add_out(parser)
    args = parser.parse_args(argv)
    if args.serve:
        return serve(args.serve, args.limits)
    if args.quick:
        args.users, args.per_user = 10, 10
    results = {setup: measure(setup, args.users, args.per_user, args.limits) for setup in SETUPS}
    rows: list[list[object]] = [
        [
            setup,
            r["updates"],
            r["replies"],
            r["refused"],
            r["replies_per_s"],
            r["median_ms"],
            r["p99_ms"],
            r["server_cpu_ms_per_reply"],
        ]
        for setup, r in results.items()
    ]
    one = results["1 process"]
    ratios = {
        f"{setup} / 1 process": {
            "replies_per_s": results[setup]["replies_per_s"] / one["replies_per_s"],
            "p99_ms": results[setup]["p99_ms"] / one["p99_ms"],
        }
        for setup in ("1 replica", "3 replicas")
    }
    for name, ratio in ratios.items():
        rows.append([name, "", "", "", f"{ratio['replies_per_s']:.0%}", "", f"{ratio['p99_ms']:.0%}", ""])
    headers = ["", "updates", "replies", "POSTs refused", "replies/s", "median ms", "p99 ms", "server CPU ms/reply"]
    text = table(headers, rows)
    text += (
        f"\n\n- {args.users} users at once, {args.per_user} messages each, limits {args.limits}; "
        f"{os.cpu_count()} cores shared by the users, the double, the bot processes, Redis and HAProxy"
    )
    report(
        "Cluster: webhook replicas on Redis behind HAProxy, beside one process",
        text,
        {"results": results, "ratios": ratios},
        args.out,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
