"""Web chat benchmark: replies per second and latency of `python -m bot web`, beside the same server
answering every message with one fixed reply.

The server runs in a child process on 127.0.0.1, pinned to its own core; this process plays N visitors
at once, each with its own httpx AsyncClient (so its own session cookie), each sending its next message
as soon as the previous answer arrived (a closed loop), from the router benchmark's fixed mix of
messages. A reply's latency runs from the request being sent to the JSON answer being read. Rate limits
are lifted for the run (every visitor comes from 127.0.0.1).

Two servers, one after the other, in the same run:
* `fixed`: the real web chat (routes, cookie, HMAC key, rate-limit buckets, transcript, HTML of the
  reply) whose Brain returns one ready-made Reply (the bot's answer to a typical question): what the web
  layer costs without the bot's own work;
* `bot`: the real web chat with the shipped catalog, as `python -m bot web` runs it.
The ratio bot / fixed, measured in the same run, is what the bot's routing and rendering cost on top
of serving a reply over HTTP. It measures; it asserts nothing about timings.

Usage (from the repository root):
    .venv/bin/python -m bench.web                 # 50 visitors x 40 messages per server
    .venv/bin/python -m bench.web --quick         # 10 visitors x 10 messages
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import add_out, median, percentile, pin, pinned, report, table
from bench.synth import message_mix

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("fixed", "bot")


# --- the server side (child process) ---------------------------------------------------------------------


def serve(kind: str, data_dir: Path) -> None:
    """The web chat on 127.0.0.1 and a free port; prints its URL, then serves until SIGTERM."""
    from bench.synth import load_catalog
    from bot.adapters.web import app
    from bot.adapters.web.sessions import Limits
    from bot.brain import Brain, Turn
    from bot.render import Reply
    from bot.router import Decision
    from bot.settings import Settings

    catalog = load_catalog(ROOT)
    brain = Brain(catalog)
    for text in mix_texts(400)[:200]:  # first-use costs (the language detector loads its models) before timing
        brain.reply(text, "warm-up", 0.0)
    if kind == "fixed":
        ready = brain.reply("what are the side effects of prednisone?", "warm-up", 0.0)

        class Fixed(Brain):
            """The same Brain interface, answering everything with one Reply made before the clock starts."""

            def turn(self, text: str, key: str, now: float) -> Turn:
                return Turn(Decision("answer", card=ready.card), ready)

            def press(self, card_id: str, key: str, now: float) -> Reply:
                return ready

        brain = Fixed(catalog)
    unlimited = Limits(per_session=10**9, per_ip=10**9)
    chat = app.build(brain, Settings(data_dir=data_dir), limits=unlimited)

    async def main() -> None:
        import signal

        import tornado.netutil

        server = app.make_server(chat)
        sockets = tornado.netutil.bind_sockets(0, address="127.0.0.1")
        server.add_sockets(sockets)
        print(f"http://127.0.0.1:{sockets[0].getsockname()[1]}/", flush=True)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        server.stop()
        await server.close_all_connections()

    asyncio.run(main())


# --- the visitors (this process) --------------------------------------------------------------------------


def mix_texts(count: int) -> list[str]:
    """The fixed mix as texts, follow-ups after the messages they follow."""
    return [t for m in message_mix(count) for t in (*m.after, m.text) if t.strip()]


async def visitor(url: str, texts: list[str], latencies: list[float]) -> int:
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        await client.get("/")  # the page, and with it the session cookie
        for text in texts:
            start = time.perf_counter()
            response = await client.post("/api/message", json={"text": text})
            response.json()
            latencies.append(time.perf_counter() - start)
            if response.status_code != 200:
                raise RuntimeError(f"the server answered {response.status_code}")
    return len(texts)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(kind: str, visitors: int, per_visitor: int, core: int | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "bench.web", "--serve", kind, "--data-dir", tmp]
        if core is not None:
            command += ["--core", str(core)]
        proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            found = re.search(r"http://127\.0\.0\.1:\d+/", line)
            if not found:
                raise RuntimeError(f"the {kind} server did not start: {line!r}")
            url = found[0]
            texts = mix_texts(max(400, visitors * per_visitor))
            streams = [texts[v * per_visitor : (v + 1) * per_visitor] for v in range(visitors)]
            latencies: list[float] = []
            cpu_before = cpu_seconds(proc.pid) if Path("/proc").exists() else None

            async def everyone() -> int:
                done = await asyncio.gather(*(visitor(url, s, latencies) for s in streams))
                return sum(done)

            start = time.perf_counter()
            replies = asyncio.run(everyone())
            wall = time.perf_counter() - start
            cpu = cpu_seconds(proc.pid) - cpu_before if cpu_before is not None else None
        finally:
            proc.terminate()
            proc.wait(30)
            if proc.stdout is not None:
                proc.stdout.close()
    ms = [x * 1000 for x in latencies]
    return {
        "kind": kind,
        "replies": replies,
        "seconds": wall,
        "replies_per_s": replies / wall,
        "median_ms": median(ms),
        "p99_ms": percentile(ms, 0.99),
        "server_cpu_ms_per_reply": 1000 * cpu / replies if cpu is not None else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.web", description=__doc__.split("\n\n")[0])
    parser.add_argument("--visitors", type=int, default=50, help="visitors writing at once (default 50)")
    parser.add_argument("--per-visitor", type=int, default=40, help="messages each visitor sends (default 40)")
    parser.add_argument("--rounds", type=int, default=1, help="fixed, bot, fixed, bot, ...: rounds of the pair")
    parser.add_argument("--quick", action="store_true", help="10 visitors x 10 messages, one round")
    parser.add_argument("--serve", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--core", type=int, help=argparse.SUPPRESS)
    add_out(parser)
    args = parser.parse_args(argv)
    if args.serve:
        if args.core is not None:
            pin(args.core)
        serve(args.serve, args.data_dir)
        return 0
    if args.quick:
        args.visitors, args.per_visitor, args.rounds = 10, 10, 1
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    server_core = cores[0] if len(cores) > 1 else None
    runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    with pinned(cores[-1] if len(cores) > 1 else None):  # the visitors on the other core
        for _ in range(args.rounds):
            for kind in KINDS:
                runs[kind].append(measure(kind, args.visitors, args.per_visitor, server_core))
    keys = ("replies_per_s", "median_ms", "p99_ms", "server_cpu_ms_per_reply")
    summary = {
        kind: {k: median([r[k] for r in results if r[k] is not None] or [0.0]) for k in keys}
        for kind, results in runs.items()
    }
    rows = []
    for kind in KINDS:
        s = summary[kind]
        cpu = s["server_cpu_ms_per_reply"]
        rows.append(
            [
                kind,
                f"{args.visitors} x {args.per_visitor}",
                f"{s['replies_per_s']:,.0f}",
                f"{s['median_ms']:.2f}",
                f"{s['p99_ms']:.2f}",
                f"{cpu:.2f}" if cpu else "-",
                f"{1000 / cpu:,.0f}" if cpu else "-",
            ]
        )
    ratio = summary["bot"]["replies_per_s"] / summary["fixed"]["replies_per_s"]
    cpu_ratio = (
        summary["fixed"]["server_cpu_ms_per_reply"] / summary["bot"]["server_cpu_ms_per_reply"]
        if summary["bot"]["server_cpu_ms_per_reply"]
        else 0.0
    )
    text = table(
        ["server", "visitors x messages", "replies/s", "median ms", "p99 ms", "server CPU ms/reply", "capacity/s"],
        rows,
    )
    text += (
        f"\n\nbot / fixed reply: {ratio:.0%} of the replies per second, {cpu_ratio:.0%} of the capacity "
        f"(replies per second of server CPU), same run, {args.rounds} round(s)."
    )
    report("Web chat (python -m bench.web)", text, {"runs": runs, "summary": summary, "ratio": ratio}, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
