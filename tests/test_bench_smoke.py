"""The benchmarks still run: each script once, at the smallest size, with tiny counts. No timing is judged.

The numbers themselves live in docs/benchmarks.md; this only keeps the scripts from rotting.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def bench(tmp_path: Path, script: str, *args: str) -> dict[str, object]:
    out = tmp_path / f"{script}.json"
    env = {**os.environ, "PTB_TIMEDELTA": "1"}
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{script}", *args, "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| catalog |" in done.stdout or "| replies |" in done.stdout, done.stdout
    result: dict[str, object] = json.loads(out.read_text())
    return result


@pytest.mark.parametrize(
    ("script", "args"),
    [
        ("router", ("--sizes", "1", "--messages", "40", "--baseline-seconds", "0.05")),
        ("startup", ("--sizes", "1", "--runs", "1")),
    ],
)
def test_catalog_benchmarks_run(tmp_path: Path, script: str, args: tuple[str, ...]) -> None:
    result = bench(tmp_path, script, *args)
    (row,) = result["results"]  # type: ignore[misc]
    assert row["size"] == 1 and row["examples"] > 100


def test_end_to_end_benchmark_runs(tmp_path: Path) -> None:
    result = bench(tmp_path, "e2e", "--users", "3", "--per-user", "2", "--timeout", "60")
    summary = result["summary"]
    assert isinstance(summary, dict)
    assert {k: v["replies"] for k, v in summary.items()} == {"textbook-echo": 6, "echo": 6, "rich-echo": 6, "bot": 6}


def test_synthetic_catalogs_are_seeded(tmp_path: Path) -> None:
    from bench.synth import write_catalog

    def synthetic(root: Path) -> list[bytes]:
        return [f.read_bytes() for f in sorted((root / "intents").glob("zz-synthetic-*.yaml"))]

    first = synthetic(write_catalog(tmp_path / "a", 2))
    assert first and first == synthetic(write_catalog(tmp_path / "b", 2))


@pytest.mark.skipif(
    shutil.which("redis-server") is None or shutil.which("haproxy") is None, reason="needs redis-server and haproxy"
)
def test_cluster_benchmark_runs(tmp_path: Path) -> None:
    result = bench(tmp_path, "cluster", "--users", "2", "--per-user", "2")
    results = result["results"]
    assert isinstance(results, dict)
    assert {k: (v["updates"], v["replies"]) for k, v in results.items()} == {
        "1 process": (4, 4),
        "1 replica": (4, 4),
        "3 replicas": (4, 4),
    }


def test_blind_round_figures_and_diff(tmp_path: Path) -> None:
    """A round in two files is scored together, and a second run against the first lists what changed."""
    (tmp_path / "a.yaml").write_text(
        "cases:\n"
        "  - {text: 'my husband has stopped breathing', expect: [urgent], cat: emergency, kind: breathing}\n"
        "  - {text: 'what is prednisone', expect: [prednisone], cat: paraphrase}\n",
        encoding="utf-8",
    )
    (tmp_path / "b.yaml").write_text(
        "cases:\n  - {text: 'best pizza near me?', expect: [fallback], cat: out-of-scope}\n", encoding="utf-8"
    )
    files = [str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")]

    def run(*extra: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "bench.blind", *files, *extra], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    first = run("--json", str(tmp_path / "first.json"))
    assert "cases: 3 in 2 file(s)" in first
    assert "emergencies caught:          1/1 (100.0%) (breathing 1/1)" in first
    assert "out of scope:                1/1" in first
    saved = json.loads((tmp_path / "first.json").read_text(encoding="utf-8"))
    assert {case["got"] for case in saved.values()} == {"urgent", "prednisone", "fallback"}
    # pretend the first run had missed the emergency: the diff names it as fixed
    key = next(k for k, case in saved.items() if case["got"] == "urgent")
    saved[key] = {**saved[key], "got": "prednisone", "ok": False}
    (tmp_path / "first.json").write_text(json.dumps(saved), encoding="utf-8")
    assert "1 fixed, 0 broken" in run("--diff", str(tmp_path / "first.json"))
