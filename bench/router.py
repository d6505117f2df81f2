"""Router benchmark: per-message latency and messages per second on one core, beside a naive fuzzy baseline.

For each catalog size (the shipped catalog, and synthetic ones 10x and 100x as large; see bench/synth.py)
it sends the same fixed mix of conversations (6 in-scope : 2 out-of-scope : 2 follow-ups, from the dev
set) through `Router.route`, timing every message, follow-ups' earlier messages included. In the same
run, over the same examples and the same messages, it times the naive router: rapidfuzz
`process.extractOne(message, examples, scorer=fuzz.WRatio)`, and a bare `fuzz.ratio` pass for scale.

Usage (from the repository root):
    .venv/bin/python -m bench.router                      # sizes 1,10,100; prints a Markdown table
    .venv/bin/python -m bench.router --sizes 1 --messages 200 --out /tmp/router.json
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from bench.common import SIZES, add_out, median, percentile, pinned, report, sizes, table
from bench.synth import Message, load_catalog, message_mix, write_catalog
from bot.context import MemoryContextStore
from bot.normalize import basic
from bot.router import Router

WARMUP_MESSAGES = 50


def conversations(count: int) -> list[Message]:
    """Enough conversations from the fixed mix for `count` messages (follow-ups send two or more)."""
    mix: list[Message] = []
    pool = message_mix(max(count, 10))
    sent = 0
    while sent < count:
        msg = pool[len(mix) % len(pool)]
        mix.append(msg)
        sent += 1 + len(msg.after)
    return mix


def time_router(router: Router, mix: list[Message]) -> tuple[list[float], list[float], float]:
    """Seconds per message (wall clock, and CPU time of this thread), and messages per second overall.

    CPU time leaves out the moments another process had the core, so it shows the router's own cost
    when the machine is busy; wall-clock time is what a user waits.
    """
    store = MemoryContextStore()
    latencies: list[float] = []
    cpu: list[float] = []
    now = 0.0
    clock, thread_clock = time.perf_counter, time.thread_time
    start = clock()
    for n, msg in enumerate(mix):
        key = f"bench-{n}"
        for text in (*msg.after, msg.text):
            now += 1.0
            t0, c0 = clock(), thread_clock()
            router.route(text, key, store, now)
            cpu.append(thread_clock() - c0)
            latencies.append(clock() - t0)
    elapsed = clock() - start
    return latencies, cpu, len(latencies) / elapsed


def time_baseline(texts: list[str], examples: list[str], scorer: Any, budget: float) -> tuple[list[float], float]:
    """The naive router over the same messages, until `budget` seconds are spent (at least 20 messages)."""
    latencies: list[float] = []
    clock = time.perf_counter
    start = clock()
    for text in texts:
        query = basic(text)
        t0 = clock()
        process.extractOne(query, examples, scorer=scorer)
        latencies.append(clock() - t0)
        if len(latencies) >= 20 and clock() - start > budget:
            break
    return latencies, len(latencies) / (clock() - start)


def run(size: int, messages: int, budget: float, workdir: Path) -> dict[str, Any]:
    root = write_catalog(workdir / f"catalog-{size}x", size)
    router = Router(load_catalog(root))
    examples = [ex.text for ex in router.matcher.examples]
    mix = conversations(messages)
    texts = [t for m in mix for t in (*m.after, m.text)]
    time_router(router, conversations(WARMUP_MESSAGES))
    gc.collect()
    lat, cpu, rate = time_router(router, mix)
    base, base_rate = time_baseline(texts, examples, fuzz.WRatio, budget)
    ratio, _ = time_baseline(texts, examples, fuzz.ratio, budget / 4)
    return {
        "size": size,
        "examples": len(examples),
        "messages": len(lat),
        "router_median_ms": 1000 * median(lat),
        "router_p99_ms": 1000 * percentile(lat, 0.99),
        "router_per_s": rate,
        "router_cpu_median_ms": 1000 * median(cpu),
        "router_cpu_p99_ms": 1000 * percentile(cpu, 0.99),
        "baseline_messages": len(base),
        "baseline_median_ms": 1000 * median(base),
        "baseline_p99_ms": 1000 * percentile(base, 0.99),
        "baseline_per_s": base_rate,
        "ratio_pass_median_ms": 1000 * median(ratio),
        "speedup_median": median(base) / median(lat),
        "speedup_per_s": rate / base_rate,
    }


HEADERS = (
    "catalog",
    "examples",
    "router median ms",
    "router p99 ms",
    "router msg/s",
    "router CPU median/p99 ms",
    "WRatio median ms",
    "WRatio p99 ms",
    "WRatio msg/s",
    "speed-up (median)",
    "speed-up (msg/s)",
    "fuzz.ratio pass ms",
)


def rows(results: list[dict[str, Any]]) -> list[list[object]]:
    return [
        [
            f"{r['size']}x",
            r["examples"],
            r["router_median_ms"],
            r["router_p99_ms"],
            r["router_per_s"],
            f"{r['router_cpu_median_ms']:.3f} / {r['router_cpu_p99_ms']:.3f}",
            r["baseline_median_ms"],
            r["baseline_p99_ms"],
            r["baseline_per_s"],
            f"{r['speedup_median']:.0f}x",
            f"{r['speedup_per_s']:.0f}x",
            r["ratio_pass_median_ms"],
        ]
        for r in results
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.router", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=sizes, default=SIZES, help="catalog sizes, e.g. 1,10,100 (default)")
    parser.add_argument("--messages", type=int, default=3000, help="messages timed per size (default 3000)")
    parser.add_argument("--baseline-seconds", type=float, default=8.0, help="time budget of the baseline per size")
    parser.add_argument("--core", type=int, help="the core to pin to (default: the last one this process may use)")
    add_out(parser)
    args = parser.parse_args(argv)
    results = []
    with pinned(args.core) as core, tempfile.TemporaryDirectory(prefix="bench-router-") as tmp:
        for size in args.sizes:
            results.append(run(size, args.messages, args.baseline_seconds, Path(tmp)))
    title = f"Router: latency per message on one core (core {core}), beside extractOne(WRatio)"
    report(title, table(HEADERS, rows(results)), {"core": core, "results": results}, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
