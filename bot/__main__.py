"""Command line: python -m bot {chat,ask,check,review,eval,why,train,telegram,web}.

The only place that exits. What `--help` shows is DESCRIPTION and EPILOG below, not this docstring.

Usage:
    python -m bot                    Telegram if TELEGRAM_BOT_TOKEN is set, else the console chat
    python -m bot chat               talk to the bot in the terminal
    python -m bot ask "question"     one answer as text
    python -m bot ask --jsonl        batch: JSON lines in, JSON lines out (SPEC §5)
    python -m bot check              validate intents/ and content/; exit 1 on any error
    python -m bot review             the cards that need a clinician's review, with their sources
    python -m bot eval FILE.yaml     score a file of cases
    python -m bot why "text"         how the router decided
    python -m bot train              fit the learned topic model (needs the `train` extra)
    python -m bot telegram           run the Telegram bot (long polling; --webhook URL for webhooks)
    python -m bot web                the web chat page (--host, --port; docs/web.md)
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

import yaml

from bot import checks, evaluate, report
from bot.brain import Brain
from bot.catalog import LoadResult, load
from bot.settings import Settings

DESCRIPTION = (
    "A patient-information chatbot about prednisone in Lambert-Eaton myasthenic syndrome (LEMS) and in ALS: "
    "the Telegram bot, the web chat, the console chat, and the tools to check and measure its answers."
)
EPILOG = (
    "With no command: the Telegram bot when TELEGRAM_BOT_TOKEN is set, else the console chat. "
    "Every command reads content/ and intents/ from the current folder, so run it from the repository folder, "
    "or pass --root DIR (before or after the command), or set BOT_CATALOG_DIR. "
    "`COMMAND --help` shows a command's options; README.md has the rest."
)
ROOT_HELP = "folder holding content/ and intents/ (default: BOT_CATALOG_DIR, else the current folder)"


def _bot_command() -> str:
    """How to run this program again from here: `.venv/bin/python -m bot` in the repository folder, the full
    path to the interpreter elsewhere, so a hint printed for a newcomer can be copied as it is."""
    python = Path(sys.executable)
    try:
        shown = str(python.relative_to(Path.cwd()))
    except ValueError:
        shown = str(python)
    return f"{shown or 'python'} -m bot"


def _load_or_exit(root: Path, err: TextIO) -> Brain:
    result = checks.validate(root)  # the same validation as /reload, so what starts can also be reloaded
    if result.catalog is None:
        for problem in result.errors:
            print(problem, file=err)
        print(
            f"the catalog in {root.resolve()} has {len(result.errors)} error(s); see them all with: "
            f"{_bot_command()} check{_root_flag(root)}",
            file=err,
        )
        raise SystemExit(1)
    return Brain(result.catalog)


def _root_flag(root: Path) -> str:
    """` --root DIR` when the catalog is not the current folder, so a printed command finds it again."""
    return "" if root.resolve() == Path.cwd().resolve() else f" --root {root}"


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


MAX_LINE_BYTES = 1 << 20  # a batch line longer than this (1 MiB) is refused, so one line cannot exhaust memory


def cmd_ask(brain: Brain, question: str | None, jsonl: bool, inp: BinaryIO | TextIO, out: TextIO) -> int:
    """One answer, or the batch (SPEC §5): one JSON object out per non-blank line in, in order.

    A line that cannot be read (not UTF-8, not JSON, nested too deeply, not an object, 'text' not a string,
    over 1 MiB) is bad input, answered as SPEC §6 answers an empty message (the fallback) with an "error"
    key saying what was wrong, and the run goes on. Exit 0; 1 when the bot itself failed on a line.
    """
    if not jsonl:
        from bot.adapters.console import plain_text

        print(plain_text(brain.reply(question or "", "ask", time.monotonic())), file=out)
        return 0
    from bot.adapters.telegram.format import telegram_html

    status = 0
    for n, line in enumerate(_lines(inp, MAX_LINE_BYTES), 1):
        if isinstance(line, str | bytes) and not line.strip():
            continue
        parsed = _parse_line(line, first=n == 1)
        error = parsed if isinstance(parsed, str) else None
        text, chat = ("", f"bad-line-{n}") if isinstance(parsed, str) else parsed
        try:
            r = brain.turn(text, chat, time.monotonic()).reply
        except Exception as exc:  # a bug on one line must not cost the reviewer the rest of the file
            error, status = f"the bot failed on this line ({type(exc).__name__})", 1
            r = brain.turn("", f"bad-line-{n}", time.monotonic()).reply
        if error is not None:
            print(f"line {n}: {error}", file=sys.stderr)
        row: dict[str, object] = {"kind": r.kind, "card": r.card, "score": r.score, "options": list(r.options)}
        row["text"] = telegram_html(r)  # exactly what the bot sends (SPEC §5): Telegram's HTML
        if error is not None:
            row["error"] = error
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        out.flush()
    return status


def _lines(inp: BinaryIO | TextIO, limit: int) -> Iterator[bytes | str | None]:
    """Each line as read (bytes from a binary stream), or None for a line over `limit`: that one is read to its
    end in pieces and dropped, so memory stays bounded and the next line is still found."""
    while True:
        line = inp.readline(limit + 1)
        if not line:
            return
        newline = b"\n" if isinstance(line, bytes) else "\n"
        if len(line) <= limit or line.endswith(newline):  # type: ignore[arg-type]
            yield line
            continue
        while line and not line.endswith(newline):  # type: ignore[arg-type]
            line = inp.readline(limit)
        yield None


def _parse_line(line: bytes | str | None, *, first: bool) -> tuple[str, str] | str:
    """(text, chat) from one batch line, or what is wrong with it."""
    if line is None:
        return f"line longer than {MAX_LINE_BYTES} bytes"
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8-sig" if first else "utf-8")  # a BOM is harmless on the first line only
        except UnicodeDecodeError as exc:
            return f"not UTF-8 (byte 0x{line[exc.start]:02x} at offset {exc.start})"
    try:
        obj = json.loads(line)
    except RecursionError:
        return "not valid JSON: nested too deeply"
    except MemoryError:
        return "not valid JSON: too large to read"
    except ValueError as exc:
        return f"not valid JSON ({exc})"
    if not isinstance(obj, dict):
        return f"not a JSON object (a {type(obj).__name__})"
    text, chat = obj.get("text"), obj.get("chat", "default")
    if not isinstance(text, str):
        return "'text' must be a string"
    if not isinstance(chat, str | int | float | bool):
        return "'chat' must be a string or a number"
    return _unicode(text), _unicode(str(chat))


def _unicode(text: str) -> str:
    """JSON escapes can spell half a surrogate pair ("\\ud800"), which no UTF-8 output can hold."""
    return text.encode("utf-8", "replace").decode("utf-8")


def cmd_eval(brain: Brain, path: Path, out: TextIO, html: Path | None = None, newer_cards: Path | None = None) -> int:
    """Score a case file; the report ends with the three summary lines scripts compare across runs."""
    if path.suffix == ".json":
        return cmd_eval_scope(brain, path, out)
    cases = evaluate.parse_cases(yaml.safe_load(path.read_text(encoding="utf-8")))
    result = evaluate.run(brain.router, cases)
    titles = {cid: card.title for cid, card in brain.catalog.cards.items()}
    if html is not None:
        page = report.html_page(result, title=f"Evaluation: {path.name}", source=str(path), titles=titles)
        html.write_text(page, encoding="utf-8")
        print(f"wrote {html}", file=sys.stderr)
    print(report.text(result, titles), file=out)
    if newer_cards is not None:
        newer = evaluate.parse_newer_cards(yaml.safe_load(newer_cards.read_text(encoding="utf-8")), cases)
        relabelled = evaluate.run(brain.router, evaluate.with_newer_cards(cases, newer))
        print(
            f"with cards added after the file was labelled ({newer_cards}, {len(newer)} cases): "
            f"{relabelled.acceptable}/{relabelled.total} ({relabelled.share:.1%})",
            file=out,
        )
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
    mid = evaluate.run_out_of_scope(brain.router, requests, after=evaluate.MID_CONVERSATION)
    print(
        f"the same, each asked after {evaluate.MID_CONVERSATION!r} in the same chat: {len(mid.answered)}/{mid.total} "
        f"({100 * mid.share:.2f}%)",
        file=out,
    )
    return 0


def cmd_train(root: Path, out: TextIO) -> int:
    """Fit the learned topic model on intents/ and the case files `learned: train_on` names, and save it."""
    result = load(root)
    if result.catalog is None:
        for problem in result.errors:
            print(problem, file=out)
        return 1
    settings = result.catalog.understanding.learned
    if not settings.model:
        print(f"{result.catalog.understanding.file}: no 'learned: model' file named, so nothing to fit", file=out)
        return 1
    try:
        from bot import learned, train
    except ImportError as exc:  # scikit-learn is the `train` extra
        print(f"train needs scikit-learn: pip install -e '.[train]' ({exc})", file=out)
        return 1
    start = time.perf_counter()
    model, gathered = train.train(root, result.catalog)
    path = root / "intents" / settings.model
    learned.save(model, path)
    counts = Counter(e.label for e in gathered.examples)
    print(f"fitted on {len(gathered.examples)} examples from {len(gathered.files)} files "
          f"in {time.perf_counter() - start:.0f} s: {len(model.vocabulary)} features, {len(model.labels)} labels",
          file=out)  # fmt: skip
    print("  " + ", ".join(f"{label} {n}" for label, n in sorted(counts.items())), file=out)
    if gathered.skipped:
        print("  left out: " + ", ".join(f"{why} ({n})" for why, n in gathered.skipped.most_common()), file=out)
    print(f"wrote {path}", file=out)
    return 0


def cmd_why(brain: Brain, text: str, out: TextIO) -> int:
    from bot.explain import explain

    print(explain(brain.router, text), file=out)
    return 0


def cmd_telegram(brain: Brain, settings: Settings, root: Path, args: argparse.Namespace) -> int:
    """Run the bot; a start-up failure (token refused, Telegram unreachable, port taken) is one line, exit 1.

    Logging is set up first, so that nothing python-telegram-bot logs (and no traceback) can carry the token
    or a person; then one getMe without retries checks the token and the address, so a revoked token or a
    wrong TELEGRAM_BASE_URL is reported at once instead of after the bot's backoff retries.
    """
    import logging

    from bot.adapters.shared.logs import LOG_FORMAT, install_log_redaction, redact
    from bot.adapters.telegram import app as telegram

    webhook: str = getattr(args, "webhook", settings.webhook_url)  # plain `python -m bot`: the environment
    listen: str = getattr(args, "listen", settings.webhook_listen)
    port: int = getattr(args, "port", settings.webhook_port)
    secret: str = getattr(args, "secret", settings.webhook_secret)
    path: str = getattr(args, "path", settings.webhook_path)
    try:
        if webhook:
            telegram.Webhook(webhook, listen, port, secret, path).options()  # bad flags: said before anything else
        telegram.check_cluster(settings, webhook, secret)  # REDIS_URL: webhook replicas with one shared secret
        logging.basicConfig(format=LOG_FORMAT, level=settings.log_level)
        install_log_redaction(settings.token)
        refusal = _telegram_refusal(settings)
        if refusal is not None:
            print(redact(refusal, settings.token), file=sys.stderr)
            return 1
        telegram.run(brain.catalog, settings, root, webhook=webhook, listen=listen, port=port, secret=secret, path=path)
    except telegram.ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except Exception as exc:  # whatever stopped the bot, it is told in one line without the token
        print(redact(_startup_failure(_cause(exc), settings), settings.token), file=sys.stderr)
        if not _expected(exc):  # a bug: its traceback, through the log filters, for whoever fixes it
            logging.getLogger("bot").critical("the bot stopped on an unexpected error", exc_info=exc)
        return 1
    return 0


def _telegram_refusal(settings: Settings) -> str | None:
    """None when Telegram accepts the token at TELEGRAM_BASE_URL; else the line that says why not."""
    import asyncio
    import logging

    from telegram import Bot
    from telegram.error import TelegramError
    from telegram.request import HTTPXRequest

    async def get_me() -> None:
        request = HTTPXRequest(connection_pool_size=1, connect_timeout=5.0, read_timeout=10.0)
        async with Bot(settings.token, base_url=settings.base_url, request=request):  # initialize() calls getMe
            pass

    ptb = logging.getLogger("telegram")
    level = ptb.level
    ptb.setLevel(logging.CRITICAL + 1)  # the outcome is told in one line below, not as PTB's tracebacks
    try:
        asyncio.run(get_me())
    except (TelegramError, OSError) as exc:
        return _startup_failure(exc, settings)
    finally:
        ptb.setLevel(level)
    return None


def _expected(exc: BaseException) -> bool:
    from telegram.error import TelegramError

    return isinstance(exc, TelegramError | OSError)


def _cause(exc: BaseException) -> BaseException:
    """The Telegram or network error behind `exc` (a failure while stopping can hide it), else `exc`."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not e for e in seen):
        if _expected(current):
            return current
        seen.append(current)
        current = current.__cause__ or current.__context__
    return exc


def _startup_failure(exc: BaseException, settings: Settings) -> str:
    """One line for the operator: what Telegram said and which setting to check; never the token itself."""
    from urllib.parse import urlsplit

    from telegram.error import InvalidToken, NetworkError, TelegramError, TimedOut

    parts = urlsplit(settings.base_url)
    where = f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"
    if isinstance(exc, InvalidToken):
        said = str(exc.__cause__) if isinstance(exc.__cause__, InvalidToken) else str(exc)
        said = {"Unauthorized": "401 Unauthorized", "Not Found": "404 Not Found"}.get(said, said)
        return f"Telegram refused the bot token ({said}): check TELEGRAM_BOT_TOKEN and TELEGRAM_BASE_URL"
    if isinstance(exc, TimedOut):
        return f"Telegram did not answer at {where} (timed out): check TELEGRAM_BASE_URL and the network"
    if isinstance(exc, NetworkError):
        return f"could not reach Telegram at {where} ({_short(exc.message)}): check TELEGRAM_BASE_URL and the network"
    if isinstance(exc, TelegramError):
        return f"Telegram refused to start the bot ({type(exc).__name__}: {_short(exc.message)}): check the settings"
    if isinstance(exc, OSError):
        return f"the bot could not start: {_short(str(exc))}"
    return f"the bot stopped on an unexpected error ({type(exc).__name__})"


def _short(text: str, limit: int = 120) -> str:
    """What a server said, on one line and cut: an error page must not flood the operator's terminal."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _web_command(settings: Settings, root: Path) -> str:
    """The command that starts the web chat, and the address to open then."""
    host = settings.web_host if settings.web_host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    return f"{_bot_command()} web{_root_flag(root)}, then open http://{host}:{settings.web_port}/"


def main(argv: list[str] | None = None, env: dict[str, str] | None = None) -> int:
    env = dict(os.environ) if env is None else env
    try:
        settings = Settings.from_env(env)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog="python -m bot", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--root", type=Path, default=settings.catalog_dir, metavar="DIR", help=ROOT_HELP)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def sub(name: str, about: str) -> argparse.ArgumentParser:  # `COMMAND --help` says what it does, too
        return commands.add_parser(name, help=about, description=about)

    chat = sub("chat", "talk to the bot in the terminal")
    ask = sub("ask", "one answer, or the batch interface with --jsonl")
    ask.add_argument("question", nargs="?")
    ask.add_argument("--jsonl", action="store_true")
    check = sub("check", "validate intents/ and content/")
    review = sub("review", "the cards that need a clinician's review, with their sources")
    ev = sub("eval", "score a file of cases")
    ev.add_argument("file", type=Path)
    ev.add_argument("--html", type=Path, metavar="OUT.html", help="also write the report as one HTML page")
    ev.add_argument(
        "--newer-cards", type=Path, metavar="FILE.yaml",
        help="also score with cards added after the case file was labelled (each entry: text, also, why)",
    )  # fmt: skip
    why = sub("why", "explain a routing decision")
    why.add_argument("text")
    train_cmd = sub("train", "fit the learned topic model on intents/ and the tuning cases")
    tg = sub("telegram", "run the Telegram bot")
    tg.add_argument("--webhook", metavar="URL", default=settings.webhook_url, help="public HTTPS URL (BOT_WEBHOOK_URL)")
    tg.add_argument("--listen", default=settings.webhook_listen, help="address to listen on (BOT_WEBHOOK_LISTEN)")
    tg.add_argument("--port", type=int, default=settings.webhook_port, help="port to listen on (BOT_WEBHOOK_PORT)")
    tg.add_argument("--secret", default=settings.webhook_secret, help="secret token (BOT_WEBHOOK_SECRET)")
    tg.add_argument("--path", default=settings.webhook_path, help="local path; default: the URL's (BOT_WEBHOOK_PATH)")
    web = sub("web", "the web chat: a page on http://127.0.0.1:8080/ by default (docs/web.md)")
    web.add_argument("--host", default=settings.web_host, help="address to listen on (BOT_WEB_HOST)")
    web.add_argument("--port", type=int, default=settings.web_port, help="port, 0 for any free one (BOT_WEB_PORT)")
    # `check --root DIR` and `--root DIR check`
    for command_parser in (chat, ask, check, review, ev, why, train_cmd, tg, web):
        command_parser.add_argument("--root", type=Path, default=argparse.SUPPRESS, metavar="DIR", help=ROOT_HELP)
    args = parser.parse_args(argv)
    root: Path = args.root

    if args.command == "check":
        return cmd_check(root, sys.stdout, dt.date.today())
    if args.command == "review":
        return cmd_review(root, sys.stdout, dt.date.today())
    if args.command == "train":
        return cmd_train(root, sys.stdout)
    command = args.command
    if command is None:
        if settings.token:
            command = "telegram"
        else:
            print("TELEGRAM_BOT_TOKEN is not set, so here is the console chat instead (Ctrl-D to quit).")
            print(f"There is a web chat too: run {_web_command(settings, root)}")
            command = "chat"
    if command == "eval":  # a wrong path is said before the catalog is loaded, and without a traceback
        if args.html is not None and args.file.suffix == ".json":
            parser.error("--html works with case files (.yaml), not out-of-scope request files (.json)")
        if not args.file.is_file():
            where = (
                "" if args.file.is_absolute() else f" in {Path.cwd()} (a relative path is read from the current folder)"
            )
            shared = (
                "; ../shared is the team's folder beside the repository, see README.md"
                if "shared" in args.file.parts
                else ""
            )
            print(f"eval: no file {args.file}{where}{shared}", file=sys.stderr)
            return 2
    brain = _load_or_exit(root, sys.stderr)
    if command == "chat":
        from bot.adapters import console

        console.run(brain, input, sys.stdout)
        return 0
    if command == "ask":
        if not args.jsonl and args.question is None:
            parser.error("ask needs a question, or --jsonl to read JSON lines from standard input")
        if not args.jsonl:
            return cmd_ask(brain, args.question, False, sys.stdin, sys.stdout)
        if isinstance(sys.stdout, io.TextIOWrapper):
            sys.stdout.reconfigure(encoding="utf-8")  # JSON lines are UTF-8 whatever the locale says
        return cmd_ask(brain, None, True, sys.stdin.buffer, sys.stdout)  # bytes: a bad byte spoils one line only
    if command == "eval":
        return cmd_eval(brain, args.file, sys.stdout, args.html, args.newer_cards)
    if command == "why":
        return cmd_why(brain, args.text, sys.stdout)
    if command == "web":
        from bot.adapters import web as web_chat

        return web_chat.run(brain, settings, args.host, args.port, root)
    if command == "telegram":
        if not settings.token:
            print("TELEGRAM_BOT_TOKEN is not set.", file=sys.stderr)
            return 2
        return cmd_telegram(brain, settings, root, args)
    parser.error(f"unknown command {command!r}")
    return 2


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except BrokenPipeError:  # `python -m bot eval ... | head`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(0) from None
