"""End-to-end benchmark: replies per second and reply latency through python-telegram-bot, beside an echo bot.

The Bot API test double (tests/botapi) runs in this process on 127.0.0.1; the bot runs in a child process
(`--serve`), long polling it exactly as it would poll Telegram, pinned to its own core. Many users write at
once, each in a private chat, each sending their next message as soon as the previous reply arrives
(a closed loop), with the router benchmark's fixed mix of messages. A reply's latency runs from the
moment the user's message is queued in the double to the moment the bot's sendMessage reaches it.

Four bots, one after the other, each on a fresh double, in the same run:
* `textbook-echo`: python-telegram-bot's echo example as it stands, all defaults (one update at a time, no
  rate limiter, the default connection pool): the bare echo bot most people would write;
* `echo`: a bare python-telegram-bot Application whose one handler sends the text back;
* `rich-echo`: the same bare Application, sending for each message the reply the bot would send (HTML,
  buttons), all made before the clock starts: what the bot's replies cost python-telegram-bot and the
  double, without the bot's own work;
* `bot`: the real `Application` from `bot.adapters.telegram.build` (as `run` builds it), the shipped catalog, and
  the context store `run` uses (SQLite in a temporary folder), as in production.
Fair settings: the echo bots are given the very update processor (`concurrent_updates`) and rate limiter
objects that `build_application` made, so all three run with the same concurrency and limiter. With
`--limits lifted` (the default) that limiter's flood limits (30 messages/s overall, 20/min per group) are
switched off in both, so the figures show what the bots can do, not Telegram's cap; `--limits shipped`
keeps them (all then sit at the cap, ~30/s). CPU time per reply of the bot's process is measured too
(Linux /proc): "capacity" is replies per second of CPU, the rate one dedicated core would sustain, which
varies less than replies/s when other work shares the machine.

Usage (from the repository root):
    .venv/bin/python -m bench.e2e                        # 100 users x 20 messages per bot
    .venv/bin/python -m bench.e2e --users 5 --per-user 4 --out /tmp/e2e.json
    BENCH_PROFILE=/tmp/prof .venv/bin/python -m bench.e2e     # + cProfile of each bot: /tmp/prof.<bot>
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import add_out, median, percentile, pin, pinned, report, table
from bench.synth import message_mix

ROOT = Path(__file__).resolve().parent.parent
FIRST_USER = 700_000_001
KINDS = ("textbook-echo", "echo", "rich-echo", "bot")
JSON = dict[str, Any]


# --- the bot side (child process) --------------------------------------------------------------------


def lift_limits(limiter: object) -> bool:
    """Switch off the flood limits (retries stay); False if the limiter is not one we know."""
    from telegram.ext import AIORateLimiter

    from bot.adapters.telegram.delivery import FairRateLimiter

    if isinstance(limiter, FairRateLimiter):
        limiter.limits = False
        return True
    if not isinstance(limiter, AIORateLimiter):
        return False
    # python-telegram-bot has no public setter; these are the attributes its __init__ sets for rate 0.
    limiter._base_limiter = None  # type: ignore[attr-defined]
    limiter._group_max_rate = 0  # type: ignore[attr-defined]
    return True


def serve(kind: str, base_url: str, token: str, limits: str, data_dir: Path, concurrency: int | None) -> None:
    """Build the bot (or the echo bot with the bot's settings) and long-poll until SIGTERM."""
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    from bench.synth import load_catalog
    from bot.adapters.telegram import app as adapter
    from bot.adapters.telegram.format import telegram_html
    from bot.brain import Brain
    from bot.settings import Settings

    settings = Settings(token=token, base_url=base_url, data_dir=data_dir)
    real = adapter.build(settings, load_catalog(ROOT), ROOT, watch_seconds=0)  # as `run` builds it, store included
    brain: Brain = real.bot_data.brain
    if concurrency is not None:  # the same kind of update processor, with another limit, for all three
        real._update_processor = type(real.update_processor)(concurrency)  # type: ignore[call-arg]
    # rich-echo: the bot's own replies to the benchmark's messages, made now, before any timing
    replies = {t: brain.reply(t, "warm-up", 0.0) for t in mix_texts()} if kind == "rich-echo" else {}

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat and update.message and update.message.text:
            await context.bot.send_message(update.effective_chat.id, update.message.text)

    async def rich_echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat and update.message and update.message.text:
            reply = replies[update.message.text]
            markup = InlineKeyboardMarkup(
                [[InlineKeyboardButton(b.label, callback_data=b.data)] for b in reply.buttons]
            )
            await context.bot.send_message(
                update.effective_chat.id,
                telegram_html(reply),
                parse_mode="HTML",
                reply_markup=markup if reply.buttons else None,
            )

    if kind == "bot":
        app = real
    elif kind == "textbook-echo":
        app = Application.builder().token(token).base_url(base_url).build()
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    else:
        # the same HTTP settings as the bot: request class (JSON bodies), pool size and timeout
        request = type(real.bot.request)(
            connection_pool_size=getattr(adapter, "CONNECTION_POOL_SIZE", 256), read_timeout=settings.request_timeout
        )
        builder = Application.builder().token(token).base_url(base_url).request(request)
        app = builder.rate_limiter(real.bot.rate_limiter).concurrent_updates(real.update_processor).build()
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo if kind == "echo" else rich_echo))
    if limits == "lifted" and not lift_limits(app.bot.rate_limiter):
        print(f"note: cannot lift the limits of {type(app.bot.rate_limiter).__name__}", file=sys.stderr)
    limiter = app.bot.rate_limiter
    print(
        f"{kind}: update processor {type(app.update_processor).__name__}"
        f"({app.update_processor.max_concurrent_updates}), rate limiter {type(limiter).__name__}, "
        f"request {type(app.bot.request).__name__}, store {type(brain.store).__name__ if kind == 'bot' else '-'}",
        file=sys.stderr,
        flush=True,
    )
    profile = os.environ.get("BENCH_PROFILE")
    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    try:
        if app.updater is None:  # the bot: its own poller, as `run` starts it
            import asyncio

            asyncio.run(adapter.serve(app))
        else:
            app.run_polling(poll_interval=0.0, stop_signals=(signal.SIGTERM, signal.SIGINT), close_loop=True)
    finally:
        if profile:
            prof.disable()
            prof.dump_stats(f"{profile}.{kind}")


# --- the users' side (this process) ------------------------------------------------------------------


class ClosedLoop:
    """Each user sends their next message when the reply to the previous one arrives."""

    def __init__(self, double: Any, streams: dict[int, list[str]]) -> None:
        self.double = double
        self.streams = streams
        self.next = dict.fromkeys(streams, 0)
        self.sent_at: dict[int, float] = {}
        self.latencies: list[float] = []
        self.first = self.last = 0.0
        self.waiting = len(streams)
        self.done = threading.Event()

    def start(self) -> None:
        self.first = time.perf_counter()
        for chat in self.streams:
            self._push(chat)

    def _push(self, chat: int) -> None:
        text = self.streams[chat][self.next[chat]]
        self.next[chat] += 1
        self.sent_at[chat] = time.perf_counter()
        self.double.push_message(chat, chat, text)

    def on_reply(self, chat: int, at: float) -> None:
        """Called by the double, under its lock, for every sendMessage it delivers."""
        started = self.sent_at.pop(chat, None)
        if started is None:
            return
        self.latencies.append(at - started)
        self.last = at
        if self.next[chat] < len(self.streams[chat]):
            self._push(chat)
        else:
            self.waiting -= 1
            if self.waiting == 0:
                self.done.set()


def mix_texts(count: int = 4000) -> list[str]:
    """The fixed mix as a list of texts, follow-ups after their context (Telegram delivers no empty text)."""
    return [t for m in message_mix(count) for t in (*m.after, m.text) if t.strip()]


def streams(users: int, per_user: int) -> dict[int, list[str]]:
    """Each user's messages: consecutive stretches of the fixed mix."""
    texts = mix_texts(max(4000, users * per_user))
    return {FIRST_USER + u: texts[u * per_user : (u + 1) * per_user] for u in range(users)}


def measure(
    kind: str, users: int, per_user: int, limits: str, core: int | None, timeout: float, concurrency: int | None
) -> JSON:
    from tests.botapi import BotApiDouble
    from tests.botapi.double import BotApiDouble as Double

    with BotApiDouble() as tg, tempfile.TemporaryDirectory(prefix="bench-e2e-") as data:
        loop: ClosedLoop | None = None

        def send_message(double: Any, params: JSON) -> Any:
            result = Double._send_message(double, params)
            if loop is not None:
                loop.on_reply(int(params["chat_id"]), time.perf_counter())
            return result

        tg.register_method("sendMessage", send_message)
        cmd = [sys.executable, "-m", "bench.e2e", "--serve", kind, "--base-url", tg.base_url, "--token", tg.token]
        cmd += ["--limits", limits, "--data-dir", data]
        if concurrency is not None:
            cmd += ["--concurrency", str(concurrency)]
        if core is not None:
            cmd += ["--core", str(core)]
        env = {**os.environ, "PTB_TIMEDELTA": "1"}
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
        try:
            tg.wait_for_poller(timeout=60)
            warm = ClosedLoop(tg, streams(min(users, 10), 2))
            loop = warm
            warm.start()
            if not warm.done.wait(timeout):
                raise TimeoutError(f"{kind}: no replies to the warm-up messages within {timeout} s")
            loop = ClosedLoop(tg, streams(users, per_user))
            cpu_bot, cpu_double = _cpu_seconds(proc.pid), time.process_time()
            loop.start()
            if not loop.done.wait(timeout):
                raise TimeoutError(f"{kind}: {len(loop.latencies)} of {users * per_user} replies within {timeout} s")
            cpu_bot, cpu_double = _cpu_seconds(proc.pid) - cpu_bot, time.process_time() - cpu_double
            lat = loop.latencies
            elapsed = loop.last - loop.first
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                _, err = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
        settings = next((line for line in err.splitlines() if line.startswith(f"{kind}:")), "")
        errors = tg.internal_errors
    if errors:
        raise RuntimeError(f"the double failed: {errors[0]!r}")
    return {
        "kind": kind,
        "replies": len(lat),
        "replies_per_s": len(lat) / elapsed,
        "median_ms": 1000 * median(lat),
        "p99_ms": 1000 * percentile(lat, 0.99),
        "bot_cpu_ms_per_reply": 1000 * cpu_bot / len(lat),
        "capacity_per_s": len(lat) / cpu_bot if cpu_bot > 0 else float("nan"),
        "double_cpu_ms_per_reply": 1000 * cpu_double / len(lat),
        "settings": settings,
    }


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.e2e", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100, help="users writing at once (default 100)")
    parser.add_argument("--per-user", type=int, default=20, help="messages each user sends (default 20)")
    parser.add_argument("--rounds", type=int, default=1, help="echo, bot, echo, bot, ...: rounds of the pair")
    parser.add_argument("--limits", choices=("lifted", "shipped"), default="lifted", help="flood limits (see above)")
    parser.add_argument(
        "--concurrency", type=int, help="updates handled at once (default: what build_application sets), for all three"
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for all replies of a run")
    parser.add_argument("--serve", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--core", type=int, help=argparse.SUPPRESS)
    add_out(parser)
    args = parser.parse_args(argv)
    if args.serve:
        if args.core is not None:
            pin(args.core)
        serve(args.serve, args.base_url, args.token, args.limits, args.data_dir, args.concurrency)
        return 0
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    bot_core = cores[0] if len(cores) > 1 else None
    runs: dict[str, list[JSON]] = {kind: [] for kind in KINDS}
    with pinned(cores[-1] if len(cores) > 1 else None):  # the double and the users on the other core
        for _ in range(args.rounds):
            for kind in KINDS:
                runs[kind].append(
                    measure(kind, args.users, args.per_user, args.limits, bot_core, args.timeout, args.concurrency)
                )
    summary = {}
    for kind, results in runs.items():
        summary[kind] = {
            key: median([r[key] for r in results])
            for key in (
                "replies_per_s",
                "median_ms",
                "p99_ms",
                "replies",
                "bot_cpu_ms_per_reply",
                "capacity_per_s",
                "double_cpu_ms_per_reply",
            )
        }
        summary[kind]["settings"] = results[0]["settings"]

    def paired(key: str, over: str) -> float:
        """The bot over another bot, round by round (each pair ran back to back), then the median."""
        return median([b[key] / o[key] for b, o in zip(runs["bot"], runs[over], strict=True)])

    share, own, textbook = (paired("replies_per_s", k) for k in ("echo", "rich-echo", "textbook-echo"))
    cap = {k: paired("capacity_per_s", k) for k in ("echo", "rich-echo", "textbook-echo")}
    spread = [b["replies_per_s"] / o["replies_per_s"] for b, o in zip(runs["bot"], runs["echo"], strict=True)]
    names = {
        "textbook-echo": "textbook echo bot (PTB defaults)",
        "echo": "bare echo bot (the bot's settings)",
        "rich-echo": "echo sending the bot's replies",
        "bot": "the bot",
    }
    rows: list[list[object]] = [
        [
            names[kind],
            int(s["replies"]),
            s["replies_per_s"],
            s["median_ms"],
            s["p99_ms"],
            s["bot_cpu_ms_per_reply"],
            s["capacity_per_s"],
            s["double_cpu_ms_per_reply"],
        ]
        for kind, s in summary.items()
    ]
    rows.append(["the bot / textbook echo", "", f"{textbook:.0%}", "", "", "", f"{cap['textbook-echo']:.0%}", ""])
    rows.append(["the bot / bare echo", "", f"{share:.0%}", "", "", "", f"{cap['echo']:.0%}", ""])
    rows.append(["the bot / echo sending its replies", "", f"{own:.0%}", "", "", "", f"{cap['rich-echo']:.0%}", ""])
    headers = (
        "",
        "replies",
        "replies/s",
        "latency median ms",
        "latency p99 ms",
        "bot process CPU ms/reply",
        "capacity/s (1 core)",
        "double CPU ms/reply",
    )
    text = table(headers, rows) + "\n\n" + "\n".join(f"- {s['settings']}" for s in summary.values())
    text += f"\n- {args.users} users at once, {args.per_user} messages each, limits {args.limits}, rounds {args.rounds}"
    if args.rounds > 1:
        text += f" (the bot / bare echo by round: {', '.join(f'{r:.0%}' for r in spread)}; ratios are medians of these)"
    title = "End to end: python-telegram-bot against the Bot API double on loopback"
    report(
        title,
        text,
        {
            "runs": runs,
            "summary": summary,
            "bot_over_textbook_echo": textbook,
            "bot_over_echo": share,
            "bot_over_rich_echo": own,
        },
        args.out,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
