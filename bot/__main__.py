"""Command line: python -m bot {chat,ask,check,review,eval,why,telegram}. The only place that exits.

Usage:
    python -m bot                    Telegram if TELEGRAM_BOT_TOKEN is set, else the console chat
    python -m bot chat               talk to the bot in the terminal
    python -m bot ask "question"     one answer as text
    python -m bot ask --jsonl        batch: JSON lines in, JSON lines out (SPEC §5)
    python -m bot check              validate intents/ and content/; exit 1 on any error
    python -m bot review             the cards that need a clinician's review, with their sources
    python -m bot eval FILE.yaml     score a file of cases
    python -m bot why "text"         how the router decided
    python -m bot telegram           run the Telegram bot (long polling; --webhook URL for webhooks)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import TextIO

import yaml

from bot import checks, evaluate, report
from bot.brain import Brain
from bot.catalog import LoadResult, load
from bot.render import plain
from bot.settings import Settings


def _load_or_exit(root: Path, err: TextIO) -> Brain:
    result = checks.validate(root)  # the same validation as /reload, so what starts can also be reloaded
    if result.catalog is None:
        for problem in result.errors:
            print(problem, file=err)
        print(f"the catalog in {root.resolve()} has {len(result.errors)} error(s); run: python -m bot check", file=err)
        raise SystemExit(1)
    return Brain(result.catalog)


def cmd_check(root: Path, out: TextIO, today: dt.date | None = None) -> int:
    """Lint the catalog: every problem with file:line and a hint; exit 1 on errors, 0 with only warnings.

    `today` is the day review dates are compared with (default: the day it runs).
    """
    result: LoadResult = load(root)
    problems = list(result.problems)
    if result.catalog is not None:
        problems += checks.lint(result.catalog)
        problems += checks.needs_review(result.catalog, today or dt.date.today())
        print("Reading grade (Flesch-Kincaid) per card:", file=out)
        for card_id, grade in checks.grades(result.catalog).items():
            mark = "" if grade <= checks.MAX_GRADE else f"  <- over {checks.MAX_GRADE:g}"
            print(f"  {card_id:<22} {grade:5.1f}{mark}", file=out)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    for p in (*errors, *warnings):
        print(p, file=out)
    print(f"{len(errors)} error(s), {len(warnings)} warning(s)", file=out)
    return 1 if errors else 0


def cmd_review(root: Path, out: TextIO, today: dt.date | None = None) -> int:
    """The cards that need a clinician's eye (drafts, and reviews past their due date), each with the sources
    its facts come from, so a clinician can check the card against them and sign it off."""
    today = today or dt.date.today()
    result: LoadResult = load(root)
    if result.catalog is None:
        for problem in result.errors:
            print(problem, file=out)
        print(f"the catalog has {len(result.errors)} error(s); fix them first (python -m bot check)", file=out)
        return 1
    catalog = result.catalog
    todo = [(card, why) for card in catalog.cards.values() if (why := card.review.needs_eye(today))]
    print(
        f"{len(todo)} of {len(catalog.cards)} cards need a clinician's review (today is {today.isoformat()}).", file=out
    )
    for card, why in todo:
        print(f"\n{card.id}: {card.title}", file=out)
        print(f"  {why}  [{card.file}:{card.line}]", file=out)
        if card.review.by:
            signed = card.review.date.isoformat() if card.review.date else "no date"
            print(f"  last signed off by {card.review.by} ({signed})", file=out)
        if not card.sources:
            print("  sources: none (welcome or small talk, no medical facts)", file=out)
            continue
        print("  sources:", file=out)
        for sid in card.sources:
            src = catalog.sources[sid]
            read = f", read {src.read}" if src.read else ""
            print(f"    - {src.title} ({src.publisher}{read}): {src.url or 'no web address'}", file=out)
    if todo:
        print(
            "\nTo sign a card off: read it against its sources, then set in its YAML\n"
            "  review: {status: reviewed, by: <your name>, date: <today>, due: <next review date>}",
            file=out,
        )
    return 0


def cmd_ask(brain: Brain, question: str | None, jsonl: bool, inp: TextIO, out: TextIO) -> int:
    if not jsonl:
        print(plain(brain.reply(question or "", "ask", time.monotonic()).text), file=out)
        return 0
    for n, line in enumerate(inp, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            text, chat = obj.get("text"), str(obj.get("chat", "default"))
            if not isinstance(text, str):
                raise ValueError("'text' must be a string")
        except (ValueError, AttributeError) as exc:
            print(f"line {n}: {exc}", file=sys.stderr)
            text, chat = "", f"bad-line-{n}"
        turn = brain.turn(text, chat, time.monotonic())
        r = turn.reply
        row = {"kind": r.kind, "card": r.card, "score": r.score, "options": list(r.options), "text": r.text}
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        out.flush()
    return 0


def cmd_eval(brain: Brain, path: Path, out: TextIO, html: Path | None = None) -> int:
    """Score a case file; the report ends with the three summary lines scripts compare across runs."""
    if path.suffix == ".json":
        return cmd_eval_scope(brain, path, out)
    cases = evaluate.parse_cases(yaml.safe_load(path.read_text(encoding="utf-8")))
    result = evaluate.run(brain.router, cases)
    if html is not None:
        page = report.html_page(result, title=f"Evaluation: {path.name}", source=str(path))
        html.write_text(page, encoding="utf-8")
        print(f"wrote {html}", file=sys.stderr)
    print(report.text(result), file=out)
    return 0


def cmd_eval_scope(brain: Brain, path: Path, out: TextIO) -> int:
    """Requests that are all out of scope (CLINC150 format): how many wrongly got a content card."""
    requests = evaluate.parse_requests(json.loads(path.read_text(encoding="utf-8")))
    scope = evaluate.run_out_of_scope(brain.router, requests)
    for text, label, card in scope.answered[:50]:
        print(f"  [{card}] ({label}) {text[:110]!r}", file=out)
    print(
        f"out-of-scope requests answered with a content card: {len(scope.answered)}/{scope.total} "
        f"({100 * scope.share:.2f}%)",
        file=out,
    )
    return 0


def cmd_why(brain: Brain, text: str, out: TextIO) -> int:
    from bot.explain import explain

    print(explain(brain.router, text), file=out)
    return 0


def main(argv: list[str] | None = None, env: dict[str, str] | None = None) -> int:
    env = dict(os.environ) if env is None else env
    try:
        settings = Settings.from_env(env)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--root", type=Path, default=settings.catalog_dir, help="folder with content/ and intents/")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("chat", help="talk to the bot in the terminal")
    ask = sub.add_parser("ask", help="one answer, or the batch interface with --jsonl")
    ask.add_argument("question", nargs="?")
    ask.add_argument("--jsonl", action="store_true")
    sub.add_parser("check", help="validate intents/ and content/")
    sub.add_parser("review", help="the cards that need a clinician's review, with their sources")
    ev = sub.add_parser("eval", help="score a file of cases")
    ev.add_argument("file", type=Path)
    ev.add_argument("--html", type=Path, metavar="OUT.html", help="also write the report as one HTML page")
    why = sub.add_parser("why", help="explain a routing decision")
    why.add_argument("text")
    tg = sub.add_parser("telegram", help="run the Telegram bot")
    tg.add_argument("--webhook", metavar="URL", default=settings.webhook_url, help="public HTTPS URL (BOT_WEBHOOK_URL)")
    tg.add_argument("--listen", default=settings.webhook_listen, help="address to listen on (BOT_WEBHOOK_LISTEN)")
    tg.add_argument("--port", type=int, default=settings.webhook_port, help="port to listen on (BOT_WEBHOOK_PORT)")
    tg.add_argument("--secret", default=settings.webhook_secret, help="secret token (BOT_WEBHOOK_SECRET)")
    tg.add_argument("--path", default=settings.webhook_path, help="local path; default: the URL's (BOT_WEBHOOK_PATH)")
    args = parser.parse_args(argv)
    root: Path = args.root

    if args.command == "check":
        return cmd_check(root, sys.stdout, dt.date.today())
    if args.command == "review":
        return cmd_review(root, sys.stdout, dt.date.today())
    command = args.command
    if command is None:
        if settings.token:
            command = "telegram"
        else:
            print("TELEGRAM_BOT_TOKEN is not set, so here is the console chat instead (Ctrl-D to quit).")
            command = "chat"
    brain = _load_or_exit(root, sys.stderr)
    if command == "chat":
        from bot.adapters import console

        console.run(brain, input, sys.stdout)
        return 0
    if command == "ask":
        if not args.jsonl and args.question is None:
            parser.error("ask needs a question, or --jsonl to read JSON lines from standard input")
        return cmd_ask(brain, args.question, args.jsonl, sys.stdin, sys.stdout)
    if command == "eval":
        if args.html is not None and args.file.suffix == ".json":
            parser.error("--html works with case files (.yaml), not out-of-scope request files (.json)")
        return cmd_eval(brain, args.file, sys.stdout, args.html)
    if command == "why":
        return cmd_why(brain, args.text, sys.stdout)
    if command == "telegram":
        if not settings.token:
            print("TELEGRAM_BOT_TOKEN is not set.", file=sys.stderr)
            return 2
        from bot.adapters import telegram

        try:
            telegram.run(
                brain,
                settings,
                root,
                webhook=getattr(args, "webhook", settings.webhook_url),  # plain `python -m bot`: the environment
                listen=getattr(args, "listen", settings.webhook_listen),
                port=getattr(args, "port", settings.webhook_port),
                secret=getattr(args, "secret", settings.webhook_secret),
                path=getattr(args, "path", settings.webhook_path),
            )
        except telegram.ConfigError as exc:
            print(exc, file=sys.stderr)
            return 2
        return 0
    parser.error(f"unknown command {command!r}")
    return 2


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except BrokenPipeError:  # `python -m bot eval ... | head`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(0) from None
