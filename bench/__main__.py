"""All three benchmarks, one after the other: `python -m bench [--quick] [--out DIR]`.

`--quick` runs the shipped catalog only, with small counts (about half a minute); without it the full
run takes a few minutes. `--out DIR` writes router.json, startup.json and e2e.json there.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench import e2e, router, startup


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1x only, small counts")
    parser.add_argument("--out", type=Path, help="a folder for the JSON results (nothing is written without it)")
    args = parser.parse_args(argv)

    def out(name: str) -> list[str]:
        return ["--out", str(args.out / f"{name}.json")] if args.out else []

    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    quick = args.quick
    router.main([*(["--sizes", "1", "--messages", "500", "--baseline-seconds", "2"] if quick else []), *out("router")])
    startup.main([*(["--sizes", "1", "--runs", "1"] if quick else []), *out("startup")])
    e2e.main([*(["--users", "20", "--per-user", "10"] if quick else []), *out("e2e")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
