"""Emergency concepts on the tuning set: emergencies caught per kind, and near misses raised as emergencies.

The set (tests/data/emergency-tuning*.yaml) was written by a helper blind to the catalog, but the concepts in
intents/understanding.yaml were then tuned on it: its figure shows what a change to a concept gains or
breaks, not how the next patient fares (the blind sets in tests/data/blind-*.yaml say that).

Usage (from the repository root):
    .venv/bin/python -m bench.emergencies          # figures per kind
    .venv/bin/python -m bench.emergencies -v       # and every miss and false alarm
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import yaml

from bot import checks
from bot.router import Router

TUNING = (Path("tests/data/emergency-tuning.yaml"), Path("tests/data/emergency-tuning-2.yaml"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss and false alarm")
    parser.add_argument("files", type=Path, nargs="*", default=TUNING, help="tuning sets (default: both)")
    args = parser.parse_args()
    result = checks.validate(Path("."))
    if result.catalog is None:
        raise SystemExit("the catalog has errors: run python -m bot check")
    router = Router(result.catalog)
    for path in args.files:
        print(f"== {path}")
        measure(router, yaml.safe_load(path.read_text(encoding="utf-8"))["cases"], verbose=args.verbose)


def measure(router: Router, cases: list[dict[str, object]], *, verbose: bool) -> None:
    total: Counter[str] = Counter()
    caught: Counter[str] = Counter()
    missed: list[str] = []
    alarms: list[str] = []
    calm = 0
    for case in cases:
        text, kind = str(case["text"]), str(case["kind"])
        decision = router.decide(text, None, 0.0).decision
        urgent = decision.kind == "urgent"
        if case["urgent"]:
            total[kind] += 1
            caught[kind] += urgent
            if not urgent:
                missed.append(f"  missed ({kind}): {text!r} -> {decision.card or decision.kind}")
        else:
            calm += 1
            if urgent:
                alarms.append(f"  false alarm ({decision.concept}): {text!r}")
    print(f"emergencies caught: {sum(caught.values())}/{sum(total.values())}")
    for kind in sorted(total):
        print(f"  {kind:12} {caught[kind]:3}/{total[kind]}")
    print(f"near misses raised as emergencies: {len(alarms)}/{calm}")
    if verbose:
        print("\n".join(missed + alarms))


if __name__ == "__main__":
    main()
