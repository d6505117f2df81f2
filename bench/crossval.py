"""Cross-validated figures for the learned model: each fifth of the blind rounds read by a model fitted without it.

The shipped model was fitted on every blind round, so its figures on them flatter it. Here the rounds are
split into five folds by round number (blind-12c and blind-topics-12 go with round 12); each fold is routed by
a model fitted on the intents' examples and the other four folds. The rules are the same throughout, so this
measures what the model adds (or breaks) on questions it has never seen, which is what a change to
`learned:` in understanding.yaml should be judged on. The rules themselves were tuned on these rounds: only a
fresh blind round measures them.

Usage (from the repository root; needs the train extra, scikit-learn; about 6 minutes on 2 cores):
    .venv/bin/python -m bench.crossval               # totals and per category
    .venv/bin/python -m bench.crossval -v            # and every case a held-out model got wrong
    .venv/bin/python -m bench.crossval --out cv.json # every outcome, to compare two versions
    .venv/bin/python -m bench.crossval --models /tmp/cv  # keep the five fitted models there and reuse them
                                                         # (a rule change measured in a minute; delete the
                                                         # folder when the case files change)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import time
from pathlib import Path

import yaml

from bot import checks, evaluate, learned, report, train
from bot.evaluate import Outcome, Report
from bot.router import Router

FOLDS = 5
ROUND = re.compile(r"blind-(?:topics-)?(\d+)")


def fold_of(path: Path) -> int | None:
    """The fold of a blind round's file; None for anything else (intents, other case files)."""
    found = ROUND.match(path.name)
    return int(found.group(1)) % FOLDS if found else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list every case a held-out model got wrong")
    parser.add_argument("--out", type=Path, help="write every outcome as JSON")
    parser.add_argument("--models", type=Path, help="a folder to keep the fold models in, and reuse them from")
    args = parser.parse_args()
    root = Path(".")
    result = checks.validate(root)
    if result.catalog is None:
        raise SystemExit("the catalog has errors: run python -m bot check")
    catalog = result.catalog
    everything = train.gather(root, catalog).files
    outcomes: list[Outcome] = []
    for k in range(FOLDS):
        held = [p for p in everything if fold_of(p) == k]
        start = time.perf_counter()
        kept = args.models / f"fold-{k}.npz" if args.models else None
        if kept is not None and kept.exists():
            model = learned.read(kept)
        else:
            model = train.fit(train.gather(root, catalog, leave_out=held).examples)
            if kept is not None:
                kept.parent.mkdir(parents=True, exist_ok=True)
                learned.save(model, kept)
        router = Router(dataclasses.replace(catalog, model=model))
        for path in held:
            outcomes += evaluate.run(router, evaluate.parse_cases(yaml.safe_load(path.read_text("utf-8")))).outcomes
        took = time.perf_counter() - start
        print(f"fold {k}: {len(held)} files held out ({took:.0f} s)")
    print()
    print("\n".join(report.category_lines(Report(tuple(outcomes)))))
    if args.verbose:
        for o in outcomes:
            if not o.ok:
                print(f"  {o.case.cat or '-':12} {'/'.join(o.case.expect):30} got {o.got:20} {o.case.text[:100]}")
    if args.out:
        rows = [
            {"text": o.case.text, "after": list(o.case.after), "expect": list(o.case.expect), "got": o.got, "ok": o.ok}
            for o in outcomes
        ]
        args.out.write_text(json.dumps(rows), encoding="utf-8")


if __name__ == "__main__":
    main()
