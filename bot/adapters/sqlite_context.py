"""A ContextStore that survives restarts: one small SQLite file under BOT_DATA_DIR (stdlib sqlite3).

It implements the `bot.context.ContextStore` protocol, so the core never knows it exists: the Telegram
adapter hands it to the Brain instead of the in-memory store.

What is kept, and for how long (the README's privacy promise):
* per conversation only what the router remembers (last condition, topic, card, and when);
* the conversation key (which holds chat and user ids) is never written: rows are keyed by an HMAC of it,
  with a key the caller derives from a secret (the bot token), so the file alone does not say who asked
  about ALS or LEMS;
* bounded in age: rows older than `max_age` (the context lifetime, 30 minutes) are deleted, on disk and in
  memory, on a write at least a minute after the last pruning, and when the store is opened with the
  current time (the router ignores stale ones meanwhile);
* bounded in size: at most `max_rows` rows (checked every 1,000 writes, and on opening); the oldest go
  first.

Writes are batched: a context waits in memory until a second has passed since the last write to disk or
256 conversations are waiting, and everything waiting is written on `close` (every clean stop). A crash
can therefore lose the newest contexts, which costs those people one follow-up ("which condition do you
mean?"); one transaction per reply cost more than the rest of the store.

A file that is not a readable database (disk trouble, a half-copied volume) is moved aside and a fresh
one started: losing follow-up context is harmless, refusing to start is not. Single-threaded by design:
the bot calls it from its event loop only.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import sqlite3
from collections import OrderedDict
from pathlib import Path

from bot.context import CONTEXT_TTL_SECONDS, ChatContext

log = logging.getLogger(__name__)

FILENAME = "context.sqlite3"
SCHEMA_VERSION = 1
PRUNE_SECONDS = 60.0  # between deletions of expired rows: nothing stays much past its lifetime
TRIM_EVERY = 1000  # puts between size checks (a COUNT over the table): at most this many rows over max_rows
FLUSH_SECONDS = 1.0  # a context waits at most this long (by the callers' clock, at the next write) ...
FLUSH_ROWS = 256  # ... or until this many conversations wait, before it is written
MEMO_SIZE = 4096  # recent conversations also kept in memory: reads of an active chat never touch the disk

_SCHEMA = """
CREATE TABLE IF NOT EXISTS context (
    key       TEXT PRIMARY KEY,
    condition TEXT,
    topic     TEXT,
    card      TEXT,
    at        REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS context_at ON context (at);
"""


class SqliteContextStore:
    """Chat contexts in SQLite; see the module docstring for what is kept and for how long."""

    def __init__(
        self,
        path: Path,
        *,
        key_secret: bytes = b"",
        max_age: float = CONTEXT_TTL_SECONDS,
        max_rows: int = 50_000,
        now: float | None = None,
    ) -> None:
        if max_rows < 1:
            raise ValueError(f"max_rows must be at least 1, got {max_rows}")
        self.path = path
        self._secret = key_secret
        self._max_age = max_age
        self._max_rows = max_rows
        self._puts = 0
        self._troubles = 0
        self._pruned_at = self._flushed_at = float("-inf")
        self._waiting: dict[str, ChatContext] = {}  # raw key -> context not yet on disk
        self._memo: OrderedDict[str, ChatContext | None] = OrderedDict()  # raw key -> context (write-through)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = self._open(path)
        except sqlite3.DatabaseError as exc:
            aside = path.with_name(path.name + ".corrupt")
            log.warning("context store %s is unreadable (%s); moved aside to %s, starting empty", path, exc, aside)
            path.replace(aside)
            self._db = self._open(path)
        if now is not None:
            self.prune(now)
        else:
            self._trim()

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, isolation_level=None)  # autocommit: each statement is its own transaction
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                raise sqlite3.DatabaseError(f"unknown schema version {version}")
            db.executescript(_SCHEMA)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _key(self, key: str) -> str:
        return hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest()

    # --- the ContextStore protocol ------------------------------------------------------------------

    def get(self, key: str) -> ChatContext | None:
        if key in self._memo:
            self._memo.move_to_end(key)
            return self._memo[key]
        if key in self._waiting:  # fell out of the memo before it reached the disk
            self._remember(key, self._waiting[key])
            return self._waiting[key]
        try:
            row = self._db.execute(
                "SELECT condition, topic, card, at FROM context WHERE key = ?", (self._key(key),)
            ).fetchone()
        except sqlite3.Error as exc:
            self._trouble(exc)
            return None
        found = None if row is None else ChatContext(condition=row[0], topic=row[1], card=row[2], at=float(row[3]))
        self._remember(key, found)
        return found

    def _remember(self, key: str, context: ChatContext | None) -> None:
        self._memo[key] = context
        self._memo.move_to_end(key)
        if len(self._memo) > MEMO_SIZE:
            self._memo.popitem(last=False)

    def put(self, key: str, context: ChatContext) -> None:
        self._remember(key, context)
        self._waiting[key] = context
        self._puts += 1
        try:
            if context.at - self._pruned_at >= PRUNE_SECONDS:
                self.prune(context.at)
            elif len(self._waiting) >= FLUSH_ROWS or context.at - self._flushed_at >= FLUSH_SECONDS:
                self.flush(context.at)
            if self._puts % TRIM_EVERY == 0:
                self._trim()
        except sqlite3.Error as exc:  # a full or broken disk must not cost anyone their answer
            self._trouble(exc)

    def _trouble(self, exc: sqlite3.Error) -> None:
        """Log disk trouble (the first time, then every 100th): the bot answers on, forgetting follow-ups."""
        self._troubles += 1
        if self._troubles % 100 == 1:
            log.warning(
                "context store %s: %s (%d time(s)); answers go on without saved context", self.path, exc, self._troubles
            )

    def flush(self, now: float | None = None) -> None:
        """Write every waiting context, in one transaction."""
        if now is not None:
            self._flushed_at = now
        if not self._waiting:
            return
        rows = [(self._key(k), c.condition, c.topic, c.card, c.at) for k, c in self._waiting.items()]
        self._waiting.clear()  # on failure they are dropped: still in the memo, gone after a restart
        try:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO context (key, condition, topic, card, at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET condition = excluded.condition, topic = excluded.topic, "
                "card = excluded.card, at = excluded.at",
                rows,
            )
            self._db.execute("COMMIT")
        except sqlite3.Error:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    # --- housekeeping -------------------------------------------------------------------------------

    def prune(self, now: float) -> None:
        """Forget contexts older than max_age, and the oldest beyond max_rows."""
        self.flush(now)
        self._pruned_at = now
        cutoff = now - self._max_age
        self._db.execute("DELETE FROM context WHERE at < ?", (cutoff,))
        for key in [k for k, c in self._memo.items() if c is not None and c.at < cutoff]:
            del self._memo[key]
        self._trim()

    def _trim(self) -> None:
        self.flush()
        (count,) = self._db.execute("SELECT COUNT(*) FROM context").fetchone()
        if count > self._max_rows:
            self._memo.clear()  # rare (that many chats within the lifetime): simpler than finding which went
            self._db.execute(
                "DELETE FROM context WHERE key IN (SELECT key FROM context ORDER BY at LIMIT ?)",
                (count - self._max_rows,),
            )

    def __len__(self) -> int:
        self.flush()
        return int(self._db.execute("SELECT COUNT(*) FROM context").fetchone()[0])

    def close(self) -> None:
        try:
            self.flush()
        except sqlite3.Error as exc:
            self._trouble(exc)
        self._db.close()
