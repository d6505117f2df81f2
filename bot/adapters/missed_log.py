"""The unmatched-question log: what people asked that the bot could not answer, for admins to act on.

Off unless the operator sets BOT_LOG_MISSED=1. It stores only the normalised text of a message that got the
fallback and the hour it arrived (rounded down, so a row cannot be matched to one message in other logs);
never a user id, chat id, name or message id. It is bounded in rows, age and text length, and a failure to
write is logged (without the text) and never stops an answer.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

FILE_NAME = "missed.sqlite3"
MAX_ROWS = 1000
MAX_AGE_SECONDS = 30 * 24 * 3600
MAX_CHARS = 300
TIME_STEP_SECONDS = 3600


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
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("CREATE TABLE IF NOT EXISTS missed (at REAL NOT NULL, text TEXT NOT NULL)")

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=2)) as db, db:
            yield db

    def add(self, text: str) -> None:
        """Record one unmatched message, then drop what is too old or too many."""
        text = " ".join(text.split())[:MAX_CHARS]
        if not text:
            return
        now = self.clock()
        try:
            with self._db() as db:
                db.execute("INSERT INTO missed (at, text) VALUES (?, ?)", (now - now % TIME_STEP_SECONDS, text))
                db.execute("DELETE FROM missed WHERE at < ?", (now - self.max_age,))
                db.execute(
                    "DELETE FROM missed WHERE rowid NOT IN (SELECT rowid FROM missed ORDER BY rowid DESC LIMIT ?)",
                    (self.max_rows,),
                )
        except sqlite3.Error as exc:
            log.warning("could not record an unmatched question: %s", type(exc).__name__)

    def latest(self, limit: int = 20) -> list[Missed]:
        """Newest first, none older than the age limit."""
        with self._db() as db:
            rows = db.execute(
                "SELECT at, text FROM missed WHERE at >= ? ORDER BY rowid DESC LIMIT ?",
                (self.clock() - self.max_age - TIME_STEP_SECONDS, limit),
            ).fetchall()
        return [Missed(float(at), str(text)) for at, text in rows]

    def count(self) -> int:
        with self._db() as db:
            return int(db.execute("SELECT COUNT(*) FROM missed").fetchone()[0])
