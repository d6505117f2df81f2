"""The unmatched-question log: what people asked that the bot could not answer, for admins to act on.

Off unless the operator sets BOT_LOG_MISSED=1. It stores only the normalised text of a message that got the
fallback and the hour it arrived (rounded down); never a user id, chat id, name or message id. It is bounded
in rows, age and text length.

It keeps no order of arrival, because the INFO log lists each fallback in order with its chat hash, and an
order kept here would pair each row with its line there: the table has no rowid (WITHOUT ROWID, keyed by
hour and text, so the same text twice in an hour is one row), `latest` lists rows by hour and then by text,
and after each new row the file is rewritten in that order (VACUUM; put off to the next row if a reader is
in the way), so even where SQLite happened to put a row on its page says nothing about when it came; deleted
rows are overwritten (secure_delete). The rollback journal is kept, not WAL, whose file would list commits in
order. What is left to link a row to a log line is its hour: when one message alone got the fallback in an
hour, its row is that message.

Failing soft, like the context store: the constructor and `add` never raise. A file proven corrupt is moved
aside (as `missed.sqlite3.corrupt`, older copies kept with their time, and deleted at 30 days like the rows
they hold) and a fresh one started; a locked or
read-only file, a full disk or a directory that cannot be made is an outage: logged once (never the text),
questions meanwhile go unrecorded, and the file is tried again every RETRY_SECONDS.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.adapters.shared.sqlite_context import BadFile, describe, is_corrupt, move_aside

log = logging.getLogger(__name__)

FILE_NAME = "missed.sqlite3"
MAX_ROWS = 1000
MAX_AGE_SECONDS = 30 * 24 * 3600
MAX_CHARS = 300
TIME_STEP_SECONDS = 3600
SCHEMA_VERSION = 1  # 0: the first layout, a rowid table in arrival order (migrated on opening)
OPEN_BUSY_SECONDS = 1.0  # a lock is waited for this long at start-up ...
BUSY_SECONDS = 0.2  # ... and this long in `add`, which runs on the event loop
RETRY_SECONDS = 30.0  # during an outage, the file is tried again at most this often

_CREATE = "CREATE TABLE {name} (at REAL NOT NULL, text TEXT NOT NULL, PRIMARY KEY (at, text)) WITHOUT ROWID"


@dataclass(frozen=True)
class Missed:
    at: float  # seconds since the epoch, rounded down to the hour
    text: str  # normalised: lower case, no punctuation, spellings folded


class MissedLog:
    """SQLite under BOT_DATA_DIR; one short transaction per call, so nothing is held open between messages."""

    def __init__(
        self,
        path: Path,
        *,
        max_rows: int = MAX_ROWS,
        max_age: float = MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path, self.max_rows, self.max_age, self.clock = path, max_rows, max_age, clock
        self.unavailable: str | None = None  # why questions are not being recorded, while they are not
        self._lost = 0  # questions not recorded during the current outage
        self._retry_at = float("-inf")  # time.monotonic() of the next attempt during an outage
        self._ready = False
        self._unsorted = False  # rows were added since the last rewrite in key order
        self._prepare(OPEN_BUSY_SECONDS)

    @contextmanager
    def _db(self, busy: float = BUSY_SECONDS) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=busy, isolation_level=None)) as db:
            db.execute("PRAGMA secure_delete=ON")  # a deleted question is overwritten, not left in a free page
            yield db

    # --- opening -----------------------------------------------------------------------------------------

    def _prepare(self, busy: float) -> None:
        """Make sure the table is there in the current layout; never raises."""
        self._retry_at = time.monotonic() + RETRY_SECONDS
        self._forget_old_copies()
        try:
            self._schema(busy)
        except (OSError, sqlite3.Error, BadFile) as exc:
            if not is_corrupt(exc):
                self._down(exc)
                return
            try:
                aside = move_aside(self.path)
            except OSError as failure:
                self._down(failure, f"corrupt, and could not be renamed out of the way: {describe(failure, self.path)}")
                return
            log.warning(
                "unmatched-question log %s is corrupt (%s); moved aside to %s, starting empty",
                self.path,
                describe(exc, self.path),
                aside.name,
            )
            try:
                self._schema(busy)
            except (OSError, sqlite3.Error, BadFile) as again:
                self._down(again)
                return
        self._ready = True

    def _forget_old_copies(self) -> None:
        """Moved-aside copies hold questions too: once 30 days old they go, as their rows would have."""
        try:
            for copy in self.path.parent.glob(f"{self.path.name}.corrupt*"):
                if self.clock() - copy.stat().st_mtime > self.max_age:
                    copy.unlink()
        except OSError:
            pass  # a folder it cannot read or write: _schema says why

    def _schema(self, busy: float) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db(busy) as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            (check,) = db.execute("PRAGMA quick_check(1)").fetchone()
            if check != "ok":
                raise BadFile(f"failed its integrity check: {str(check)[:80]}")
            if version == SCHEMA_VERSION:
                return
            if version != 0:
                raise BadFile(f"has schema version {version}, which this bot does not know")
            old = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'missed'").fetchone()
            db.execute("BEGIN IMMEDIATE")
            try:
                if old:  # the first layout kept arrival order (rowid): copy into the keyed table
                    db.execute(_CREATE.format(name="missed_keyed"))
                    db.execute("INSERT OR IGNORE INTO missed_keyed (at, text) SELECT at, text FROM missed")
                    db.execute("DROP TABLE missed")
                    db.execute("ALTER TABLE missed_keyed RENAME TO missed")
                else:
                    db.execute(_CREATE.format(name="missed"))
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            db.execute("VACUUM")

    # --- outages -----------------------------------------------------------------------------------------

    def _down(self, exc: BaseException, why: str = "", *, doing: str = "unavailable") -> None:
        """Logged once per outage, never with the text; the file is tried again after RETRY_SECONDS."""
        self._ready = False
        self._retry_at = time.monotonic() + RETRY_SECONDS
        if self.unavailable is None:
            self.unavailable = why or describe(exc, self.path)
            log.warning(
                "unmatched-question log %s %s (%s): answers go on, unmatched questions are not recorded until it "
                "is back (tried again every %g s)",
                self.path,
                doing,
                self.unavailable,
                RETRY_SECONDS,
            )

    def _up(self) -> None:
        if self.unavailable is not None:
            log.warning(
                "unmatched-question log %s is back (was: %s); %d question(s) went unrecorded meanwhile",
                self.path,
                self.unavailable,
                self._lost,
            )
            self.unavailable, self._lost = None, 0

    # --- use ---------------------------------------------------------------------------------------------

    def add(self, text: str) -> None:
        """Record one unmatched message, then drop what is too old or too many; never raises."""
        text = " ".join(text.split())[:MAX_CHARS]
        if not text:
            return
        if not self._ready and time.monotonic() >= self._retry_at:
            self._prepare(BUSY_SECONDS)
        if not self._ready:
            self._lost += 1
            return
        now = self.clock()
        try:
            with self._db() as db:
                db.execute("BEGIN IMMEDIATE")
                added = db.execute(
                    "INSERT OR IGNORE INTO missed (at, text) VALUES (?, ?)", (now - now % TIME_STEP_SECONDS, text)
                ).rowcount
                db.execute("DELETE FROM missed WHERE at < ?", (now - self.max_age,))
                db.execute(
                    "DELETE FROM missed WHERE (at, text) NOT IN "
                    "(SELECT at, text FROM missed ORDER BY at DESC, text LIMIT ?)",
                    (self.max_rows,),
                )
                db.execute("COMMIT")
        except (OSError, sqlite3.Error) as exc:
            self._lost += 1
            self._down(exc, doing="could not record an unmatched question")
            return
        self._up()
        self._unsorted = self._unsorted or bool(added)
        if self._unsorted:
            self._rewrite()

    def _rewrite(self) -> None:
        """VACUUM: the file rewritten in key order, so where the new row sits says nothing of when it came.

        It needs the file to itself: if /missed is reading at that moment, the row is recorded all the same
        and the rewrite happens after the next question instead.
        """
        try:
            with self._db() as db:
                db.execute("VACUUM")
        except sqlite3.Error as exc:
            log.debug("unmatched-question log %s: rewrite put off (%s)", self.path, describe(exc, self.path))
            return
        self._unsorted = False

    def latest(self, limit: int = 20) -> list[Missed]:
        """Newest hour first, and within an hour by text (never by arrival), none older than the age limit.

        During an outage: empty, with `unavailable` saying why.
        """
        try:
            with self._db() as db:
                rows = db.execute(
                    "SELECT at, text FROM missed WHERE at >= ? ORDER BY at DESC, text LIMIT ?",
                    (self.clock() - self.max_age - TIME_STEP_SECONDS, limit),
                ).fetchall()
        except sqlite3.Error as exc:
            self._down(exc, doing="could not be read")
            return []
        return [Missed(float(at), str(text)) for at, text in rows]

    def count(self) -> int:
        """Rows kept (0 during an outage, with `unavailable` saying why)."""
        try:
            with self._db() as db:
                return int(db.execute("SELECT COUNT(*) FROM missed").fetchone()[0])
        except sqlite3.Error as exc:
            self._down(exc, doing="could not be read")
            return 0
