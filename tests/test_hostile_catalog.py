"""Hostile or mistaken catalog files (issue 11, part 5): none can hang, bloat or crash `check` or the live bot.

The catalog folder is admin-editable, so a file in it may be an attack or a slip: a YAML alias bomb, a named
pipe or a link to a device, a link out of the folder to a secret, a huge file, absurd nesting, a stray brace
in a message. Each is refused like any other catalog error: `file:line`, a reason, exit 1 from `check`, a
refused reload (with the live catalog still answering) in the running bot, and SIGTERM still stops it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import stat
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import checks
from bot.adapters.telegram import admin
from bot.adapters.telegram.format import telegram_html
from bot.catalog import MAX_FILE_BYTES, MESSAGE_FIELDS, Catalog, LoadResult, load
from bot.render import notice, render
from bot.router import Decision
from tests.admin_harness import ADMIN, USER, AdminBot, settings_for
from tests.botapi import BotApiDouble
from tests.conftest import ROOT
from tests.process_harness import Cli, bot_env
from tests.telegram_harness import is_card

QUESTION, CARD = "does prednisone help ALS?", "als-evidence"
SECRET = "root:$6$not-for-your-eyes:19000:0:99999:7:::"
NEWCOMER = 7373
LIMIT = 15.0  # seconds: every refusal must come well within this


# ---------------------------------------------------------------------- the hostile files


@dataclass(frozen=True)
class Hostile:
    """A file dropped into a catalog copy; what `check` and a reload must say about it."""

    path: str  # relative to the catalog root
    make: Callable[[Path, Path], None]  # (file, a folder outside the catalog root)
    says: str  # a regular expression the problem's message matches

    def drop(self, root: Path, outside: Path) -> None:
        self.make(root / self.path, outside)

    def problem(self) -> re.Pattern[str]:
        """`file:line: error: ...` naming this file, with a line number of at least 1."""
        return re.compile(rf"{re.escape(self.path)}:[1-9]\d*: error: [^\n]*{self.says}")


def _alias_bomb(path: Path, _: Path) -> None:
    """Billion laughs: nine levels of nine aliases each, 9**9 strings from under 1 kB."""
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    path.write_text("\n".join(lines) + "\n")


def _fifo(path: Path, _: Path) -> None:
    os.mkfifo(path)  # nobody ever writes to it: reading it would wait forever


def _dev_zero(path: Path, _: Path) -> None:
    path.symlink_to("/dev/zero")  # endless


def _outside(path: Path, outside: Path) -> None:
    secret = outside / "shadow"  # stands for /etc/shadow: a file the catalog has no business showing
    secret.write_text(f"cards:\n  - {SECRET}\n")
    path.symlink_to(secret)


def _huge(path: Path, _: Path) -> None:
    """50 MB of ordinary-looking cards, made here and never committed."""
    entry = "  - id: filler\n    title: Filler\n    body: filler text\n"
    with path.open("w") as out:
        out.write("cards:\n")
        for _ in range(50_000_000 // len(entry) // 1000 + 1):
            out.write(entry * 1000)


def _deep(path: Path, _: Path) -> None:
    path.write_text("intents: " + "[" * 10_000 + "]" * 10_000 + "\n")


def _stray_brace(path: Path, _: Path) -> None:
    text = path.read_text()
    assert "Please tap one." in text
    path.write_text(text.replace("Please tap one.", "Please tap one {LEMS or ALS}."))


HOSTILE = {
    "alias-bomb": Hostile("intents/laughs.yaml", _alias_bomb, "anchors and aliases"),
    "fifo": Hostile("content/cards-pipe.yaml", _fifo, r"named pipe"),
    "dev-zero": Hostile("intents/zero.yaml", _dev_zero, "outside the catalog folder"),
    "outside-link": Hostile("content/cards-shadow.yaml", _outside, "outside the catalog folder"),
    "50MB": Hostile("content/cards-huge.yaml", _huge, "byte limit"),
    "deep-nesting": Hostile("intents/deep.yaml", _deep, "nested more than"),
    "stray-brace": Hostile("content/messages.yaml", _stray_brace, re.escape("'{LEMS or ALS}'")),
}


def _no_traceback(output: str) -> None:
    assert "Traceback" not in output and "RecursionError" not in output and "MemoryError" not in output, output


# ---------------------------------------------------------------------- python -m bot check


def _check(root: Path) -> tuple[int, str, float]:
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--root", str(root), "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=LIMIT * 4,  # a hang fails the test instead of hanging the suite
    )
    return done.returncode, done.stdout + done.stderr, time.monotonic() - start


@pytest.mark.parametrize("name", list(HOSTILE))
def test_check_refuses_a_hostile_file_quickly_with_file_and_line(
    name: str, catalog_copy: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    hostile = HOSTILE[name]
    hostile.drop(catalog_copy, tmp_path_factory.mktemp("outside"))
    code, output, seconds = _check(catalog_copy)
    assert code == 1, output
    assert hostile.problem().search(output), output
    assert seconds < LIMIT, f"check took {seconds:.1f} s"
    _no_traceback(output)
    assert SECRET not in output  # a link out of the folder is never read


def test_a_device_inside_the_catalog_folder_is_not_read(catalog_copy: Path) -> None:
    device = catalog_copy / "intents" / "zero.yaml"
    try:
        os.mknod(device, 0o644 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero's own numbers
    except PermissionError:
        pytest.skip("making a device node needs root")
    result = load(catalog_copy)
    assert result.catalog is None
    assert [str(p) for p in result.errors if p.file == "intents/zero.yaml"] == [
        "intents/zero.yaml:1: error: not a regular file (a character device): not read "
        "(hint: replace it with an ordinary YAML file)"
    ]


def test_a_link_inside_the_catalog_folder_is_read(catalog_copy: Path) -> None:
    """Links are fine as long as they stay in the folder (a deployment may link a file to a shared copy)."""
    intents = catalog_copy / "intents"
    (catalog_copy / "shared").mkdir()
    (intents / "care.yaml").rename(catalog_copy / "shared" / "care.yaml")
    (intents / "care.yaml").symlink_to(catalog_copy / "shared" / "care.yaml")
    result = load(catalog_copy)
    assert result.errors == () and result.catalog is not None
    assert any(i.file == "intents/care.yaml" for i in result.catalog.intents)


def test_a_file_just_under_the_size_limit_is_read_and_one_just_over_is_not(catalog_copy: Path) -> None:
    path = catalog_copy / "content" / "sources.yaml"
    text = path.read_text()
    padded = text + "#" * (MAX_FILE_BYTES - len(text.encode()) - 1) + "\n"
    path.write_text(padded)
    assert load(catalog_copy).errors == ()
    path.write_text(padded + "\n")
    assert [str(p) for p in load(catalog_copy).errors if p.file == "content/sources.yaml"] == [
        f"content/sources.yaml:1: error: file is over the {MAX_FILE_BYTES:,} byte limit "
        f"({MAX_FILE_BYTES + 1:,} bytes): not read (hint: split it into several files (content/cards-*.yaml, "
        "intents/*.yaml), or remove what is not catalog text)"
    ]


@pytest.mark.parametrize(
    ("yaml_text", "line", "says"),
    [
        ("intents:\n  - id: x\n    card: &c prednisone\n", 3, "anchors and aliases"),  # an anchor alone
        ("intents:\n  - id: x\n    examples: [a, b]\n    card: *c\n", 4, "anchors and aliases"),
        ("intents:\n  - id: x\n    card: " + "1" * 5000 + "\n", 3, "a value that cannot be read"),
        ("intents:\n" + "".join(" " * n + "- \n" for n in range(0, 60, 2)), 21, "nested more than 20"),
    ],
)
def test_yaml_tricks_are_problems_at_their_line(catalog_copy: Path, yaml_text: str, line: int, says: str) -> None:
    (catalog_copy / "intents" / "trick.yaml").write_text(yaml_text)
    found = [p for p in load(catalog_copy).problems if p.file == "intents/trick.yaml"]
    assert found, "the trick went unnoticed"
    assert (found[0].line, found[0].severity) == (line, "error") and says in found[0].message, found


def test_a_file_that_is_not_utf8_is_a_problem_at_its_line(catalog_copy: Path) -> None:
    (catalog_copy / "intents" / "latin.yaml").write_bytes(b"intents:\n  - id: caf\xe9\n")
    found = [str(p) for p in load(catalog_copy).problems if p.file == "intents/latin.yaml"]
    assert found == [
        "intents/latin.yaml:2: error: cannot read file: not UTF-8 text (invalid continuation byte) "
        "(hint: save the file as UTF-8)"
    ]


def test_the_shipped_files_use_no_anchors_and_nest_shallowly() -> None:
    """The limits cost the shipped catalog nothing: it loads with no problem from reading."""
    result = load(ROOT)
    assert result.catalog is not None
    reading = ("cannot", "not read", "anchors", "nested", "placeholder", "stray")
    assert [str(p) for p in result.problems if any(w in p.message for w in reading)] == []


# ---------------------------------------------------------------------- message templates


@pytest.mark.parametrize(
    ("key", "text", "says"),
    [
        ("clarify", "Do you mean {topic}? Please tap one {LEMS or ALS}.", "'{LEMS or ALS}' is not a placeholder"),
        ("clarify", "Do you mean {topic}? Tap one }", "a stray '}'"),
        ("clarify", "Do you mean {topic} or {{topic}}?", "a stray '{'"),
        ("clarify", "Do you mean {topic} in {}?", "a positional placeholder '{}'"),
        ("clarify", "Do you mean {topic} in {0}?", "a positional placeholder '{0}'"),
        ("clarify", "Do you mean {topic} for {drug}?", "'{drug}' is not a placeholder"),
        ("other_drug", "Ask about {drug} and {topic}.", "'{topic}' is not a placeholder"),
        ("fallback", "Sorry {name}, I cannot answer that.", "'{name}' is not a placeholder"),
        ("group_hello", "Hello! Mention me ({bot!r}).", "'{bot!r}' is not a placeholder"),
    ],
)
def test_a_message_template_with_a_bad_brace_is_an_error_at_its_line(
    catalog_copy: Path, key: str, text: str, says: str
) -> None:
    path = catalog_copy / "content" / "messages.yaml"
    lines = path.read_text().splitlines()
    at = next(n for n, line in enumerate(lines) if line.startswith(f"  {key}:"))
    lines[at] = f"  {key}: {json.dumps(text)}"  # a JSON string is a YAML double-quoted one
    while lines[at + 1].startswith("    "):  # drop the rest of the folded text
        del lines[at + 1]
    path.write_text("\n".join(lines) + "\n")
    result = checks.validate(catalog_copy)
    assert result.catalog is None  # a reload or a start-up with it is refused
    found = [p for p in result.errors if p.file == "content/messages.yaml"]
    assert found and {p.line for p in found} == {at + 1}, found
    assert any(says in p.message for p in found), found


def test_every_placeholder_check_allows_is_filled_where_the_message_is_shown(catalog: Catalog) -> None:
    """The table of placeholders `check` allows matches what the code fills: a message using all of them
    renders with none left over (so the table cannot fall behind render.py or the Telegram adapter)."""
    templates = {key: " ".join("{" + f + "}" for f in fields) + " ok" for key, fields in MESSAGE_FIELDS.items()}
    messages = {**catalog.messages, **templates}
    test_catalog = Catalog(
        cards=catalog.cards,
        intents=catalog.intents,
        sources=catalog.sources,
        messages=messages,
        lexicon=catalog.lexicon,
        understanding=catalog.understanding,
    )
    shown = {
        "clarify": render(test_catalog, Decision(kind="clarify", topic="side-effects", options=("lems", "als"))),
        "other_drug": render(
            test_catalog, Decision(kind="answer", card="als-alternatives", notice="other_drug", drug="riluzole")
        ),
        "group_hello": notice(test_catalog, "group_hello", bot="@pred_info_bot"),
        "in_case": render(test_catalog, Decision(kind="answer", card="infections", concept="infection")),
        "no_card_drug": render(test_catalog, Decision(kind="fallback", drug="IVIG")),
    }
    assert set(shown) == set(MESSAGE_FIELDS)
    for key, reply in shown.items():
        text = telegram_html(reply)
        assert " ok" in text and "{" not in text and "}" not in text, (key, text)


# ---------------------------------------------------------------------- reloading: in process


class _Gate:
    """A validation that waits until released: a reload that hangs, without a hostile file."""

    def __init__(self) -> None:
        self.release, self.entered = threading.Event(), threading.Event()

    def __call__(self, root: Path) -> LoadResult:
        self.entered.set()
        self.release.wait(60)
        return checks.validate(root)


async def test_the_admins_chat_is_answered_while_a_reload_validates(
    tg: BotApiDouble, catalog: Catalog, catalog_copy: Path, tmp_path: Path
) -> None:
    async with AdminBot(tg, catalog_copy, settings_for(tg, tmp_path)) as bot:
        gate = _Gate()
        bot.app.bot_data.reloader = admin.Reloader(bot.brain, catalog_copy, validate=gate)
        tg.push_message(ADMIN, ADMIN, "/reload")
        assert await asyncio.to_thread(gate.entered.wait, LIMIT)
        tg.push_message(ADMIN, ADMIN, QUESTION)
        (answer,) = await tg.wait_for_messages_async(ADMIN, 1, timeout=LIMIT)  # with the reload still running
        gate.release.set()
        (_, reloaded) = await tg.wait_for_messages_async(ADMIN, 2, timeout=LIMIT)
    assert is_card(answer, catalog, CARD)
    assert str(reloaded["text"]).startswith("Reloaded:")


async def test_a_reload_that_hangs_is_given_up_and_the_live_catalog_keeps_answering(
    tg: BotApiDouble, catalog: Catalog, catalog_copy: Path, tmp_path: Path
) -> None:
    gate = _Gate()
    try:
        async with AdminBot(tg, catalog_copy, settings_for(tg, tmp_path)) as bot:
            bot.app.bot_data.reloader = admin.Reloader(bot.brain, catalog_copy, timeout=0.5, validate=gate)
            gave_up = await bot.say(ADMIN, "/reload")
            stuck = [t for t in threading.enumerate() if t.name == "catalog-reload"]
            answer = await bot.say(USER, QUESTION)
            busy = await bot.say(ADMIN, "/reload")  # the hung one still holds the files
            gate.release.set()
            # the real validation of the whole catalog takes about as long as the test's 0.5 s: the bot's own
            # timeout is back for the reload that must now go through
            bot.app.bot_data.reloader.timeout = LIMIT
            reloaded = await _until_reloaded(bot)
    finally:
        gate.release.set()
    assert gave_up.startswith("Reload took too long (over 0.5 s)") and "the live catalog keeps answering" in gave_up
    assert stuck and all(t.daemon for t in stuck)  # left behind, it cannot hold up the process exit
    assert answer.startswith(catalog.cards[CARD].title)
    assert busy.startswith("Reload refused: an earlier reload that took too long is still running")
    assert reloaded.startswith("Reloaded:")


async def _until_reloaded(bot: AdminBot) -> str:
    """/reload until the released validation has finished (it answers `busy` until then)."""
    deadline = time.monotonic() + LIMIT
    while True:
        answer = await bot.say(ADMIN, "/reload")
        if not answer.startswith("Reload refused: an earlier") or time.monotonic() > deadline:
            return answer


def test_a_validation_that_never_returns_does_not_keep_the_process_from_exiting(tmp_path: Path) -> None:
    """The old reload ran in asyncio's default executor, which is joined at exit: a stuck read kept the
    process alive for ever after SIGTERM. A daemon thread is left behind instead."""
    script = textwrap.dedent(
        """
        import asyncio, sys, threading
        from pathlib import Path
        from bot.adapters.shared.reload import Reloader
        from bot.brain import Brain
        from bot.catalog import load

        root = Path(sys.argv[1])
        brain = Brain(load(root).catalog)
        never = threading.Event()
        reloader = Reloader(brain, root, timeout=0.2, validate=lambda root: never.wait() and load(root))
        print(asyncio.run(reloader.reload()).text(), flush=True)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(ROOT)], cwd=ROOT, capture_output=True, text=True, timeout=LIMIT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Reload took too long (over 0.2 s)")


# ---------------------------------------------------------------------- the live bot, a real process


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.parametrize("name", list(HOSTILE))
async def test_the_live_bot_refuses_a_hostile_file_on_reload_and_stops_on_sigterm(
    name: str, tg: BotApiDouble, catalog: Catalog, catalog_copy: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    hostile = HOSTILE[name]
    work = tmp_path_factory.mktemp("bot")
    env = bot_env(tg, work, BOT_CATALOG_DIR=str(catalog_copy), BOT_ADMIN_IDS=str(ADMIN))
    cli = Cli(["telegram"], env, work / "bot.log")
    try:
        await tg.wait_for_poller_async(timeout=20)
        hostile.drop(catalog_copy, tmp_path_factory.mktemp("outside"))
        start = time.monotonic()
        tg.push_message(ADMIN, ADMIN, "/reload")
        (refused,) = await tg.wait_for_messages_async(ADMIN, 1, timeout=LIMIT)
        refused_after = time.monotonic() - start
        tg.push_message(USER, USER, QUESTION)
        (answer,) = await tg.wait_for_messages_async(USER, 1, timeout=LIMIT)
        if name == "stray-brace":  # the live clarify text still works
            tg.push_message(NEWCOMER, NEWCOMER, "does prednisone work?")  # no condition in their context
            (clarify,) = await tg.wait_for_messages_async(NEWCOMER, 1, timeout=LIMIT)
            assert str(clarify["text"]).startswith("Do you mean whether prednisone works in LEMS"), clarify
        start = time.monotonic()
        assert await cli.stop(timeout=LIMIT) == 0
        stopped_after = time.monotonic() - start
    finally:
        cli.kill()
    text = str(refused["text"])
    assert text.startswith("Reload refused:") and hostile.problem().search(text), text
    assert refused_after < LIMIT and stopped_after < LIMIT
    assert is_card(answer, catalog, CARD)
    assert SECRET not in text and SECRET not in cli.output()
    _no_traceback(cli.output())


async def test_the_file_watcher_alone_neither_grows_nor_hangs_the_bot(
    tg: BotApiDouble, catalog: Catalog, catalog_copy: Path, tmp_path: Path
) -> None:
    env = bot_env(tg, tmp_path, BOT_CATALOG_DIR=str(catalog_copy), BOT_ADMIN_IDS=str(ADMIN))
    cli = Cli(["telegram"], env, tmp_path / "bot.log")
    bomb, fifo = HOSTILE["alias-bomb"], HOSTILE["fifo"]
    try:
        await tg.wait_for_poller_async(timeout=20)
        tg.push_message(USER, USER, QUESTION)
        await tg.wait_for_messages_async(USER, 1, timeout=LIMIT)
        before = _rss_kb(cli.proc.pid)
        bomb.drop(catalog_copy, tmp_path)
        fifo.drop(catalog_copy, tmp_path)
        seen = await asyncio.to_thread(
            _wait_for_log, cli, [bomb.problem(), fifo.problem()], admin.WATCH_SECONDS * 2 + LIMIT
        )
        grown_mb = (_rss_kb(cli.proc.pid) - before) / 1024
        tg.push_message(USER, USER, "what about side effects?")
        (_, answer) = await tg.wait_for_messages_async(USER, 2, timeout=LIMIT)
        assert await cli.stop(timeout=LIMIT) == 0
    finally:
        cli.kill()
    assert seen, cli.output()
    assert grown_mb < 30, f"the bot grew by {grown_mb:.0f} MB"
    assert is_card(answer, catalog, "als-side-effects")  # the live catalog answered, context and all
    assert tg.sent_messages(ADMIN) == []  # the watcher tells the log, not the admins
    _no_traceback(cli.output())


def _wait_for_log(cli: Cli, patterns: list[re.Pattern[str]], timeout: float) -> bool:
    """Until the bot's log shows every pattern (the watcher's refusals), or the bot died, or time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and cli.proc.poll() is None:
        if all(p.search(cli.output()) for p in patterns):
            return True
        time.sleep(0.05)
    return False
