"""One blind round's figures, as issue 10 states its bars: several case files scored together.

`python -m bot eval FILE` scores one file; a round is written in parts (emergencies, near misses, topics,
follow-ups ...), and its bars are over the whole round: in scope without the near misses, near misses, out of
scope, emergencies per kind, false emergencies, another drug answered with a prednisone card, and each `cat`.
`--json OUT` keeps every case's outcome so two commits can be compared case by case (`--diff OLD.json`).

Usage (from the repository root):
    .venv/bin/python -m bench.blind tests/data/blind-61?.yaml tests/data/blind-topics-52.yaml
    .venv/bin/python -m bench.blind FILES --misses            # and every miss, per file
    .venv/bin/python -m bench.blind FILES --json now.json --diff before.json
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import yaml

from bot import checks, evaluate
from bot.router import Router


def _pct(right: int, total: int) -> str:
    return f"{right}/{total} ({right / total:.1%})" if total else "0/0"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.blind", description=__doc__.splitlines()[0])
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--misses", action="store_true", help="list every miss and false emergency")
    parser.add_argument("--json", type=Path, help="write each case's outcome here")
    parser.add_argument("--diff", type=Path, help="an earlier --json: list the cases whose outcome changed")
    parser.add_argument("--root", type=Path, default=Path("."), help="folder holding content/ and intents/")
    args = parser.parse_args(argv)
    result = checks.validate(args.root)
    if result.catalog is None:
        raise SystemExit("the catalog has errors: run python -m bot check")
    router = Router(result.catalog)

    outcomes: list[tuple[str, evaluate.Outcome]] = []
    for path in args.files:
        cases = evaluate.parse_cases(yaml.safe_load(path.read_text(encoding="utf-8")))
        outcomes += [(path.name, o) for o in evaluate.run(router, cases).outcomes]
    report = evaluate.Report(tuple(o for _, o in outcomes))

    def tally(keep: Callable[[evaluate.Outcome], bool]) -> tuple[int, int]:
        chosen = [o for _, o in outcomes if keep(o)]
        return sum(o.ok for o in chosen), len(chosen)

    print(f"cases: {report.total} in {len(args.files)} file(s)")
    print("in scope, near misses aside:", _pct(*tally(lambda o: o.case.scope == "in" and o.case.cat != "near-miss")))
    print("near misses:                ", _pct(*tally(lambda o: o.case.cat == "near-miss")))
    print("out of scope:               ", _pct(*tally(lambda o: o.case.scope == "out")))
    kinds = ", ".join(f"{k} {r}/{n}" for k, r, n in report.urgent_by_kind())
    print("emergencies caught:         ", _pct(report.urgent_caught, len(report.urgent_cases)), f"({kinds})")
    print("false emergencies:          ", _pct(len(report.false_urgent), report.not_urgent_cases))
    print("other drug given a prednisone card:", sum(o.prednisone_for_other_drug for _, o in outcomes))
    print("wrong-condition answers:    ", len(report.wrong_condition))
    print("per category:")
    for cat, right, total in report.per_category():
        print(f"  {cat:<22} {_pct(right, total)}")
    per_file: Counter[str] = Counter()
    ok_file: Counter[str] = Counter()
    for name, o in outcomes:
        per_file[name] += 1
        ok_file[name] += o.ok
    print("per file:", ", ".join(f"{n} {ok_file[n]}/{per_file[n]}" for n in per_file))

    if args.misses:
        for name, o in outcomes:
            if not o.ok:
                print(f"  {name}:{o.case.line} [{o.case.cat}] {o.case.text[:150]!r}")
                print(f"      gave {o.got}; expected {', '.join(o.case.expect)}")

    now = {f"{name}:{o.case.line}": {"text": o.case.text, "got": o.got, "ok": o.ok} for name, o in outcomes}
    if args.json:
        args.json.write_text(json.dumps(now, indent=1, ensure_ascii=False), encoding="utf-8")
    if args.diff:
        before = json.loads(args.diff.read_text(encoding="utf-8"))
        fixed = broken = 0
        for key, case in now.items():
            old = before.get(key)
            if old is None or old["got"] == case["got"]:
                continue
            fixed += case["ok"] and not old["ok"]
            broken += old["ok"] and not case["ok"]
            mark = "+" if case["ok"] and not old["ok"] else "-" if old["ok"] and not case["ok"] else "~"
            print(f"{mark} {key} {old['got']} -> {case['got']}: {case['text'][:110]!r}")
        print(f"changed against {args.diff}: {fixed} fixed, {broken} broken")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
