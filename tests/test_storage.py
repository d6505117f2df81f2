"""Storage that fails soft: a locked, corrupt, read-only or missing file costs follow-ups or the missed log,
never the start and never an answer; context reaches the disk within a second; the missed log keeps no order
of arrival.

Unit tests drive the two stores directly; the process tests run the real `python -m bot telegram` against
the Bot API double, as an operator's worst day would (a backup holding a lock, a half-written file, a
read-only volume, a kill -9 after a burst).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from bot.adapters.shared import missed_log, sqlite_context
from bot.adapters.shared.missed_log import FILE_NAME, MissedLog
from bot.adapters.shared.sqlite_context import FILENAME, KEEP_ASIDE, SqliteContextStore
from bot.brain import Brain
from bot.catalog import Catalog
from bot.context import ChatContext
from tests.botapi import BotApiDouble
from tests.process_harness import Cli, bot_env
from tests.telegram_harness import USER, is_card

ROOT_USER = os.geteuid() == 0  # root ignores permission bits: a chmod cannot make a folder read-only


@pytest.fixture(autouse=True)
def quick_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Locks are waited for briefly and a lost file is tried again at once, so the tests do not sit waiting."""
    monkeypatch.setattr(sqlite_context, "OPEN_BUSY_SECONDS", 0.2)
    monkeypatch.setattr(sqlite_context, "RETRY_SECONDS", 0.0)
    monkeypatch.setattr(missed_log, "OPEN_BUSY_SECONDS", 0.2)
    monkeypatch.setattr(missed_log, "RETRY_SECONDS", 0.0)


def ctx(at: float, condition: str = "als", topic: str = "evidence") -> ChatContext:
    return ChatContext(condition=condition, topic=topic, card=f"{condition}-{topic}", at=at)


def on_disk(path: Path) -> set[tuple[str, float]]:
    """(card, at) of every context the file holds, read as another process would."""
    with closing(sqlite3.connect(path)) as db:
        return {(str(card), float(at)) for card, at in db.execute("SELECT card, at FROM context")}


def moved_aside(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".corrupt" in p.name)


@contextmanager
def held(path: Path, begin: str) -> Iterator[sqlite3.Connection]:
    """Another process's write lock on the file (a backup, a `sqlite3` shell in a transaction)."""
    with closing(sqlite3.connect(path, isolation_level=None)) as other:
        other.execute(begin)
        try:
            yield other
        finally:
            other.execute("ROLLBACK")


def unwritable_folder(tmp_path: Path) -> Path:
    """A data folder the bot cannot write: read-only, or (as root) one that cannot even be made."""
    if ROOT_USER:
        (tmp_path / "a-file").write_text("not a folder")
        return tmp_path / "a-file" / "data"
    folder = tmp_path / "data"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


# ---------------------------------------------------------------------- the context store, directly


@pytest.mark.parametrize("begin", ["BEGIN IMMEDIATE", "BEGIN EXCLUSIVE"])
def test_a_locked_store_is_kept_read_and_written_once_the_lock_goes(
    tmp_path: Path, begin: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / FILENAME
    first = SqliteContextStore(path, key_secret=b"k")
    first.put("asked before", ctx(100.0))
    first.close()
    with held(path, begin):
        store = SqliteContextStore(path, key_secret=b"k", now=200.0)  # does not raise, does not wait for ever
        assert store.get("asked before") == ctx(100.0)  # what was saved is read
        store.put("asked now", ctx(201.0, "lems"))
        assert store.get("asked now") == ctx(201.0, "lems")  # kept in memory meanwhile
        assert on_disk(path) == {("als-evidence", 100.0)}
    assert moved_aside(tmp_path) == [] and path.exists()
    assert "locked by another process" in caplog.text and "moved aside" not in caplog.text
    store.flush()  # the lock is gone: what waited reaches the file
    assert on_disk(path) == {("als-evidence", 100.0), ("lems-evidence", 201.0)}
    assert "is back" in caplog.text
    store.close()


def test_a_store_nobody_can_read_runs_in_memory_and_reconnects(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / FILENAME
    first = SqliteContextStore(path, key_secret=b"k")
    first.put("asked before", ctx(100.0))
    first.close()
    with closing(sqlite3.connect(path, isolation_level=None)) as other:
        other.execute("PRAGMA journal_mode=DELETE")  # a rollback journal: an exclusive lock shuts readers out
    with held(path, "BEGIN EXCLUSIVE"):
        store = SqliteContextStore(path, key_secret=b"k", now=200.0)
        assert store.get("asked before") is None  # nothing can be read ...
        store.put("asked now", ctx(201.0, "lems"))
        assert store.get("asked now") == ctx(201.0, "lems")  # ... but answers go on, with context in memory
    assert "unavailable (locked by another process)" in caplog.text
    assert moved_aside(tmp_path) == [] and path.exists()
    assert store.get("asked before") == ctx(100.0)  # reconnected: the saved context is back
    store.put("asked later", ctx(202.0))
    assert on_disk(path) == {("als-evidence", 100.0), ("lems-evidence", 201.0), ("als-evidence", 202.0)}
    store.close()


def test_a_corrupt_store_is_moved_aside_keeping_earlier_copies(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / FILENAME
    path.write_bytes(b"first bad file " * 100)
    store = SqliteContextStore(path)
    store.put("4242", ctx(1.0))
    store.close()
    assert moved_aside(tmp_path) == [f"{FILENAME}.corrupt"]
    assert "moved aside" in caplog.text

    path.write_bytes(b"second bad file " * 100)
    SqliteContextStore(path).close()
    names = moved_aside(tmp_path)
    assert (tmp_path / f"{FILENAME}.corrupt").read_bytes().startswith(b"second bad file")  # the newest
    (earlier,) = [n for n in names if n != f"{FILENAME}.corrupt"]
    assert re.fullmatch(re.escape(FILENAME) + r"\.corrupt-\d{8}T\d{6}Z", earlier)  # stamped with its time
    assert (tmp_path / earlier).read_bytes().startswith(b"first bad file")

    for n in range(KEEP_ASIDE + 2):  # a file that keeps going bad does not fill the disk
        path.write_bytes(f"bad file {n} ".encode() * 100)
        SqliteContextStore(path).close()
    assert len(moved_aside(tmp_path)) == 1 + KEEP_ASIDE
    assert (tmp_path / f"{FILENAME}.corrupt").read_bytes().startswith(f"bad file {KEEP_ASIDE + 1}".encode())


def test_a_damaged_page_is_found_and_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / FILENAME
    store = SqliteContextStore(path, key_secret=b"k")
    for n in range(3000):
        store.put(f"chat{n}", ctx(100.0 + n / 1000))
    store.close()
    data = bytearray(path.read_bytes())
    middle = len(data) // 2 // 4096 * 4096
    data[middle : middle + 4096] = b"\xff" * 4096  # one page scribbled over: SQLite still opens the file
    path.write_bytes(bytes(data))
    again = SqliteContextStore(path, key_secret=b"k")
    assert again.get("chat1") is None  # started empty ...
    again.put("chat1", ctx(200.0))
    again.close()
    assert moved_aside(tmp_path) == [f"{FILENAME}.corrupt"]  # ... with the damaged file kept for a look
    assert on_disk(path) == {("als-evidence", 200.0)}


def test_an_unwritable_folder_costs_follow_ups_not_the_start(
    tmp_path: Path, catalog: Catalog, caplog: pytest.LogCaptureFixture
) -> None:
    folder = unwritable_folder(tmp_path)
    store = SqliteContextStore(folder / FILENAME, key_secret=b"k", now=100.0)  # does not raise
    brain = Brain(catalog, store)
    assert brain.reply("does prednisone help ALS?", "b", 200.0).card == "als-evidence"
    assert brain.reply("what about side effects?", "b", 201.0).card == "als-side-effects"  # remembered in memory
    store.close()
    reason = "cannot create or use" if ROOT_USER else "read-only directory"
    assert f"unavailable ({reason}" in caplog.text
    assert "follow-ups will not survive a restart" in caplog.text
    assert "moved aside" not in caplog.text
    assert len([r for r in caplog.records if "unavailable" in r.getMessage()]) == 1  # once per outage
    assert not (folder / FILENAME).exists()


async def test_a_context_reaches_the_disk_soon_with_no_later_message(tmp_path: Path) -> None:
    path = tmp_path / FILENAME
    store = SqliteContextStore(path, key_secret=b"k", now=1000.0)
    store.put("first", ctx(1000.1))
    store.put("second", ctx(1000.2, "lems"))  # both wait for a batch ... and nothing else ever comes
    assert on_disk(path) == set()
    deadline = time.monotonic() + 1.0  # the promise: within a second
    while len(on_disk(path)) < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert {card for card, _ in on_disk(path)} == {"als-evidence", "lems-evidence"}
    store.close()


# ---------------------------------------------------------------------- the missed log, directly


def test_a_corrupt_missed_log_is_moved_aside_and_recording_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / FILE_NAME
    path.write_bytes(b"not a database " * 100)
    log = MissedLog(path)  # does not raise
    log.add("how do i renew my passport")
    assert [m.text for m in log.latest()] == ["how do i renew my passport"]
    assert moved_aside(tmp_path) == [f"{FILE_NAME}.corrupt"]
    assert "moved aside" in caplog.text and "renew" not in caplog.text


def test_moved_aside_questions_are_deleted_when_30_days_old(tmp_path: Path) -> None:
    now = time.time()
    old, recent = tmp_path / f"{FILE_NAME}.corrupt-20240101T000000Z", tmp_path / f"{FILE_NAME}.corrupt"
    for copy, age_days in ((old, 31), (recent, 29)):
        copy.write_bytes(b"questions someone asked")
        os.utime(copy, (now - age_days * 86400, now - age_days * 86400))
    MissedLog(tmp_path / FILE_NAME, clock=lambda: now)
    assert moved_aside(tmp_path) == [recent.name]


def test_an_unwritable_folder_stops_the_missed_log_not_the_bot(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = unwritable_folder(tmp_path)
    log = MissedLog(folder / FILE_NAME)  # does not raise
    log.add("a private question")  # does not raise
    log.add("another private question")
    assert log.latest() == [] and log.unavailable is not None
    assert "unmatched questions are not recorded until it is back" in caplog.text
    assert "private" not in caplog.text and "moved aside" not in caplog.text
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1  # once per outage


def test_a_locked_missed_log_loses_questions_meanwhile_and_records_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(missed_log, "BUSY_SECONDS", 0.05)
    path = tmp_path / FILE_NAME
    log = MissedLog(path)
    with held(path, "BEGIN EXCLUSIVE"):
        log.add("asked during the backup")  # does not raise
    log.add("asked after it")
    assert [m.text for m in log.latest()] == ["asked after it"]
    assert "1 question(s) went unrecorded" in caplog.text and "backup" not in caplog.text
    assert moved_aside(tmp_path) == []


def test_missed_rows_keep_no_order_of_arrival(tmp_path: Path) -> None:
    hour = 1_700_000_000.0 // 3600 * 3600
    files = []
    for name, order in (("one", ["c", "a", "b"]), ("two", ["b", "c", "a"]), ("three", ["a", "b", "c"])):
        path = tmp_path / name / FILE_NAME
        log = MissedLog(path, clock=lambda: hour + 600)
        for text in order:
            log.add(f"question {text}")
        assert [m.text for m in log.latest()] == ["question a", "question b", "question c"]  # by text, not arrival
        files.append(path.read_bytes())
    assert files[0] == files[1] == files[2]  # nothing in the file itself says which came first
    with closing(sqlite3.connect(tmp_path / "one" / FILE_NAME)) as db:
        assert [row[1] for row in db.execute("PRAGMA table_info(missed)")] == ["at", "text"]
        with pytest.raises(sqlite3.OperationalError, match="rowid"):
            db.execute("SELECT rowid FROM missed")


def test_a_missed_log_of_the_first_layout_is_migrated_without_its_order(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    now = 1_700_000_000.0
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE missed (at REAL NOT NULL, text TEXT NOT NULL)")
        db.executemany("INSERT INTO missed VALUES (?, ?)", [(now // 3600 * 3600, t) for t in ("zebra", "apple")])
    log = MissedLog(path, clock=lambda: now)
    assert [m.text for m in log.latest()] == ["apple", "zebra"]
    with closing(sqlite3.connect(path)) as db, pytest.raises(sqlite3.OperationalError, match="rowid"):
        db.execute("SELECT rowid FROM missed")


def test_the_missed_log_keeps_the_newest_hours(tmp_path: Path) -> None:
    now = [1_700_000_000.0 // 3600 * 3600]
    log = MissedLog(tmp_path / FILE_NAME, max_rows=3, clock=lambda: now[0])
    for hour in range(3):
        for text in ("older", "question"):
            log.add(f"{text} {hour}")
        now[0] += 3600
    assert log.count() == 3
    assert [(m.at, m.text) for m in log.latest()] == [
        (now[0] - 3600, "older 2"),
        (now[0] - 3600, "question 2"),
        (now[0] - 7200, "older 1"),
    ]


# ---------------------------------------------------------------------- the real process

QUESTION = "does prednisone help ALS?"
FOLLOW_UP = "what about side effects?"


async def test_a_lock_held_at_start_keeps_the_file_and_its_context(
    tg: BotApiDouble, catalog: Catalog, tmp_path: Path
) -> None:
    env = bot_env(tg, tmp_path)
    data = Path(env["BOT_DATA_DIR"])
    log = tmp_path / "bot.log"
    first = Cli(["telegram"], env, log)
    try:
        await tg.wait_for_poller_async(timeout=20)
        tg.push_message(USER, USER, QUESTION)
        (answer,) = await tg.wait_for_messages_async(USER, 1, timeout=10)
        assert await first.stop() == 0
    finally:
        first.kill()
    assert is_card(answer, catalog, "als-evidence")

    with held(data / FILENAME, "BEGIN EXCLUSIVE"):  # a backup or a sqlite3 shell, all through the start
        second = Cli(["telegram"], env, log)
        try:
            tg.push_message(USER, USER, FOLLOW_UP)
            follow_up = (await tg.wait_for_messages_async(USER, 2, timeout=30))[1]
            assert is_card(follow_up, catalog, "als-side-effects")  # the saved context was read
            assert moved_aside(data) == [] and (data / FILENAME).exists()
        except BaseException:
            second.kill()
            raise
    try:
        assert await second.stop() == 0
    finally:
        second.kill()
    assert "als-side-effects" in {card for card, _ in on_disk(data / FILENAME)}  # written once the lock went
    output = second.output()
    assert "locked by another process" in output and "moved aside" not in output


async def test_a_corrupt_missed_log_does_not_stop_the_start(tg: BotApiDouble, catalog: Catalog, tmp_path: Path) -> None:
    env = bot_env(tg, tmp_path, BOT_LOG_MISSED="1")
    data = Path(env["BOT_DATA_DIR"])
    data.mkdir()
    (data / FILE_NAME).write_bytes(b"half a copied volume " * 200)
    cli = Cli(["telegram"], env, tmp_path / "bot.log")
    try:
        await tg.wait_for_poller_async(timeout=20)
        tg.push_message(USER, USER, QUESTION)
        tg.push_message(USER, USER, "how do I renew my passport")
        answers = await tg.wait_for_messages_async(USER, 2, timeout=10)
        assert await cli.stop() == 0
    finally:
        cli.kill()
    assert is_card(answers[0], catalog, "als-evidence")
    assert [m.text for m in MissedLog(data / FILE_NAME).latest()] == ["how do i renew my passport"]
    assert moved_aside(data) == [f"{FILE_NAME}.corrupt"]
    assert "passport" not in cli.output()


async def test_an_unwritable_data_folder_does_not_stop_the_start(
    tg: BotApiDouble, catalog: Catalog, tmp_path: Path
) -> None:
    folder = unwritable_folder(tmp_path)
    env = bot_env(tg, tmp_path, BOT_DATA_DIR=str(folder), BOT_LOG_MISSED="1")
    cli = Cli(["telegram"], env, tmp_path / "bot.log")
    try:
        await tg.wait_for_poller_async(timeout=20)
        tg.push_message(USER, USER, QUESTION)
        tg.push_message(USER, USER, FOLLOW_UP)
        answers = await tg.wait_for_messages_async(USER, 2, timeout=10)
        assert await cli.stop() == 0
    finally:
        cli.kill()
    assert is_card(answers[0], catalog, "als-evidence")
    assert is_card(answers[1], catalog, "als-side-effects")  # follow-ups work within the run
    output = cli.output()
    assert "context store" in output and "follow-ups will not survive a restart" in output
    assert "unmatched questions are not recorded" in output
    assert "moved aside" not in output and "Traceback" not in output


async def test_a_kill_after_a_quiet_spell_loses_no_context(tg: BotApiDouble, catalog: Catalog, tmp_path: Path) -> None:
    env = bot_env(tg, tmp_path)
    path = Path(env["BOT_DATA_DIR"]) / FILENAME
    chats = {1000 + n: "als" if n % 2 else "lems" for n in range(30)}
    log = tmp_path / "bot.log"
    first = Cli(["telegram"], env, log)
    try:
        await tg.wait_for_poller_async(timeout=20)
        for chat, condition in chats.items():
            tg.push_message(chat, chat, f"does prednisone help {condition.upper()}?")
        for chat, condition in chats.items():
            (answer,) = await tg.wait_for_messages_async(chat, 1, timeout=20)
            assert is_card(answer, catalog, f"{condition}-evidence")
        answered = time.monotonic()  # then quiet: no message comes to push the contexts out
        while time.monotonic() - answered < 3.0 and (not path.exists() or len(on_disk(path)) < len(chats)):
            await asyncio.sleep(0.05)
        assert len(on_disk(path)) == len(chats), "not on disk within 3 s of the last answer"
        while tg.pending_updates and time.monotonic() - answered < 10.0:  # else a replay would set the context
            await asyncio.sleep(0.05)
        assert tg.pending_updates == []
        first.kill()  # SIGKILL: no clean-up
    finally:
        first.kill()

    second = Cli(["telegram"], env, log)
    try:
        await tg.wait_for_poller_async(timeout=20)
        for chat in chats:
            tg.push_message(chat, chat, FOLLOW_UP)
        follow_ups = {chat: (await tg.wait_for_messages_async(chat, 2, timeout=20))[1] for chat in chats}
        assert await second.stop() == 0
    finally:
        second.kill()
    lost = [
        chat for chat, condition in chats.items() if not is_card(follow_ups[chat], catalog, f"{condition}-side-effects")
    ]
    assert lost == []
    assert all(len(tg.sent_messages(chat)) == 2 for chat in chats)  # the context came from the disk, not a replay
