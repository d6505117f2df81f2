"""What the three benchmarks share: sizes, percentiles, pinning to a core, tables, and `--out`."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

SIZES = (1, 10, 100)


def sizes(text: str) -> tuple[int, ...]:
    try:
        out = tuple(int(s) for s in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes are whole numbers like 1,10,100, not {text!r}") from None
    if not out or min(out) < 1:
        raise argparse.ArgumentTypeError("sizes must be 1 or more")
    return out


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (`share` in 0..1) of unsorted values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def pin(core: int | None) -> int | None:
    """Run this process on one core (the last one it may use unless told); None where that is not possible."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    chosen = allowed[-1] if core is None else core
    os.sched_setaffinity(0, {chosen})
    return chosen


@contextlib.contextmanager
def pinned(core: int | None) -> Iterator[int | None]:
    """`pin` for the duration of a block; the process may use its former cores again afterwards."""
    before = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    try:
        yield pin(core)
    finally:
        if before is not None:
            os.sched_setaffinity(0, before)


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "load_1min": round(load, 2) if load is not None else None,
    }


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table, columns padded so it also reads in a terminal."""
    cells = [[str(h) for h in headers], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells]
    lines.insert(1, "| " + " | ".join("-" * (w - 1) + ":" for w in widths) + " |")
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        if value >= 100:
            return f"{value:,.0f}"
        if value >= 10:
            return f"{value:.1f}"
        return f"{value:.3f}" if value < 1 else f"{value:.2f}"
    return str(value)


def add_out(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", type=Path, help="also write the results as JSON to this file (nothing is written without it)"
    )


def report(title: str, text: str, results: dict[str, Any], out: Path | None) -> None:
    print(f"\n## {title}\n\n{text}\n")
    print(f"machine: {json.dumps(machine())}")
    if out is not None:
        out.write_text(json.dumps({"title": title, "machine": machine(), **results}, indent=2) + "\n")
        print(f"written: {out}", file=sys.stderr)
