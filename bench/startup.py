"""Start-up benchmark: time to import, load and validate the catalog, and build the index; peak memory.

Each size runs in its own fresh process (so peak RSS is that size's alone), a few times; the table shows
the median time and the largest peak. "start-up" is everything `python -m bot` does before it can
answer: importing the bot (yaml, rapidfuzz, numpy, ...), `catalog.load` (YAML, schema and cross-checks),
and `Brain(catalog)` (normaliser and matcher index); the interpreter's own start is shown apart.

Usage (from the repository root):
    .venv/bin/python -m bench.startup                     # sizes 1,10,100, 3 runs each
    .venv/bin/python -m bench.startup --sizes 1 --runs 1 --out /tmp/startup.json
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import SIZES, add_out, median, report, sizes, table

ROOT = Path(__file__).resolve().parent.parent


def child(root: Path) -> dict[str, Any]:
    """Runs in the measured process: nothing of the bot is imported before the clock starts."""
    t0 = time.perf_counter()
    from bot.brain import Brain
    from bot.catalog import load

    t1 = time.perf_counter()
    rss_imported = peak_rss_mb()
    result = load(root)
    t2 = time.perf_counter()
    if result.catalog is None:
        raise SystemExit("\n".join(map(str, result.errors)))
    brain = Brain(result.catalog)
    t3 = time.perf_counter()
    brain.reply("does prednisone help lems?", "startup", 0.0)  # the first answer works
    return {
        "examples": len(brain.router.matcher.examples),
        "import_s": t1 - t0,
        "load_s": t2 - t1,
        "index_s": t3 - t2,
        "total_s": t3 - t0,
        "rss_after_import_mb": rss_imported,
        "peak_rss_mb": peak_rss_mb(),
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory. Linux: VmHWM, because getrusage's ru_maxrss survives exec and
    so would report the parent's peak when that was higher."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux; bytes on macOS


def _spawn(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.startup", *args], cwd=ROOT, capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def interpreter_start(runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - t0)
    return median(times)


def run(size: int, runs: int, workdir: Path) -> dict[str, Any]:
    from bench.synth import write_catalog

    root = write_catalog(workdir / f"catalog-{size}x", size)
    samples = [_spawn("--child", str(root)) for _ in range(runs)]
    out: dict[str, Any] = {"size": size, "examples": samples[0]["examples"], "runs": runs}
    for key in ("import_s", "load_s", "index_s", "total_s", "rss_after_import_mb"):
        out[key] = median([s[key] for s in samples])
    out["peak_rss_mb"] = max(s["peak_rss_mb"] for s in samples)
    return out


HEADERS = (
    "catalog",
    "examples",
    "import s",
    "load+validate s",
    "index s",
    "start-up s",
    "peak RSS MB",
    "of it: imports",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=sizes, default=SIZES, help="catalog sizes, e.g. 1,10,100 (default)")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per size (default 3)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    add_out(parser)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(child(args.child)))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        results = [run(size, args.runs, Path(tmp)) for size in args.sizes]
    bare = interpreter_start(args.runs)
    rows = [
        [
            f"{r['size']}x",
            r["examples"],
            r["import_s"],
            r["load_s"],
            r["index_s"],
            r["total_s"],
            r["peak_rss_mb"],
            r["rss_after_import_mb"],
        ]
        for r in results
    ]
    text = table(HEADERS, rows) + f"\n\n(the interpreter's own start, `python -c pass`, not included: {bare:.3f} s)"
    report(
        "Start-up: import, load and validate, index; peak memory",
        text,
        {"results": results, "interpreter_s": bare},
        args.out,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
