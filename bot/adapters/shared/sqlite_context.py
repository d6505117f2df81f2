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

When it reaches the disk: a context waits in memory until a second has passed (by the callers' clock) since
the last write or 256 conversations are waiting, and, when the store is used from a running event loop (the
Telegram adapter), a timer writes whatever waits FLUSH_DELAY (half a second) after it was put, whether or
not another message comes. Everything waiting is written on `close` (every clean stop). So a kill -9 loses
at most the last half second of contexts; one transaction per reply cost more than the rest of the store.

Failing soft: losing follow-up context costs someone one clarifying question; refusing to start, or an
exception in a reply, costs an answer. So neither the constructor nor get/put/flush/close raise for disk
trouble. Each outage is logged once, saying what is true, and never with user data:
* a file that is *proven* corrupt (SQLite says it is not a database or malformed, or `PRAGMA quick_check`
  fails), or written by an unknown schema version, is moved aside to `context.sqlite3.corrupt` (an older
  `.corrupt` is first renamed with its time, and the last KEEP_ASIDE of those are kept) and a fresh file
  started;
* a file that is only locked (a backup, a `sqlite3` shell in a transaction), read-only, on a full disk, or
  whose directory cannot be created, is left exactly where it is: what can be read is read, new contexts
  wait in memory (at most `max_rows`), and the file is tried again every RETRY_SECONDS.
A lock is waited for OPEN_BUSY_SECONDS at start-up but only BUSY_SECONDS later, since the store is called
from the event loop and a longer wait would stall every chat. Single-threaded by design: the bot calls it
from its event loop only (the timer runs there too).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import os
import re
import sqlite3
import time
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
FLUSH_DELAY = 0.5  # ... and, on a running event loop, at most this long in wall-clock time whatever comes next
MEMO_SIZE = 4096  # recent conversations also kept in memory: reads of an active chat never touch the disk
OPEN_BUSY_SECONDS = 2.0  # a lock is waited for this long at start-up (before the event loop runs) ...
BUSY_SECONDS = 0.1  # ... and this long afterwards: longer would stall every chat, so it counts as an outage
RETRY_SECONDS = 5.0  # during an outage, the file is tried again at most this often
KEEP_ASIDE = 3  # older moved-aside copies kept (with their time in the name) besides the newest `.corrupt`

_SCHEMA = """
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS context (
    key       TEXT PRIMARY KEY,
    condition TEXT,
    topic     TEXT,
    card      TEXT,
    at        REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS context_at ON context (at);
PRAGMA user_version = 1;
COMMIT;
"""


# --- shared with the missed log: what is corrupt, what to say, how to move aside ------------------------


class BadFile(Exception):
    """The file opened and reads, but it is not ours to use: failed quick_check, or an unknown schema."""


def is_corrupt(exc: BaseException) -> bool:
    """Proven corrupt: only then may a file be moved aside (never for busy, locked, read-only, full)."""
    if isinstance(exc, BadFile):
        return True
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
    text = str(exc).lower()
    return "file is not a database" in text or "malformed" in text


def describe(exc: BaseException, path: Path) -> str:
    """Why a file is out of reach, in words an operator can act on; never anything a user wrote."""
    folder = path.parent
    if isinstance(exc, OSError):
        return f"cannot create or use {folder}: {exc.strerror or type(exc).__name__}"
    if isinstance(exc, BadFile):
        return str(exc)
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    read_only_folder = folder.is_dir() and not os.access(folder, os.W_OK)
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return "locked by another process"
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM) and read_only_folder:
        return "read-only directory"
    if code == sqlite3.SQLITE_READONLY:
        return "read-only file"
    if code == sqlite3.SQLITE_CANTOPEN:
        return "cannot open the file" if folder.is_dir() else "directory missing"
    if code == sqlite3.SQLITE_FULL:
        return "disk full"
    if code == sqlite3.SQLITE_IOERR:
        return "disk I/O error"
    if code == sqlite3.SQLITE_PERM:
        return "permission denied"
    if is_corrupt(exc):
        return "corrupt"
    return getattr(exc, "sqlite_errorname", None) or type(exc).__name__


def move_aside(path: Path, keep: int = KEEP_ASIDE) -> Path:
    """Rename a corrupt database (and its -wal/-journal) to `<name>.corrupt`, keeping older copies.

    An earlier `.corrupt` is first renamed `<name>.corrupt-<its time, UTC>`; only the newest `keep` of those
    stay, so a file that keeps going bad cannot fill the disk. The -shm index is rebuilt by SQLite, and a
    -wal left behind would be replayed into the fresh file, so it goes along. OSError if a rename fails.
    """
    aside = path.with_name(path.name + ".corrupt")
    if aside.exists():
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(aside.stat().st_mtime))
        older = path.with_name(f"{aside.name}-{stamp}")
        n = 0
        while older.exists():
            n += 1
            older = path.with_name(f"{aside.name}-{stamp}.{n}")
        _rename_with_companions(aside, older)
    _rename_with_companions(path, aside)
    pattern = re.compile(re.escape(aside.name) + r"-(\d{8}T\d{6}Z)(?:\.(\d+))?")
    stamped = sorted(
        (int(m[1][:8] + m[1][9:15]), int(m[2] or 0), p)
        for p in path.parent.iterdir()
        if (m := pattern.fullmatch(p.name))
    )
    for _, _, old in stamped[: max(0, len(stamped) - keep)]:
        for companion in (old, *(old.with_name(old.name + s) for s in ("-wal", "-journal"))):
            companion.unlink(missing_ok=True)
    return aside


def _rename_with_companions(source: Path, target: Path) -> None:
    source.replace(target)
    for suffix in ("-wal", "-journal"):
        companion = source.with_name(source.name + suffix)
        if companion.exists():
            companion.replace(target.with_name(target.name + suffix))
    source.with_name(source.name + "-shm").unlink(missing_ok=True)


# --- the store -------------------------------------------------------------------------------------------


class SqliteContextStore:
    """Chat contexts in SQLite; see the module docstring for what is kept, for how long, and on failure."""

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
        self._pruned_at = self._flushed_at = float("-inf")
        self._waiting: dict[str, ChatContext] = {}  # raw key -> context not yet on disk, oldest first
        self._memo: OrderedDict[str, ChatContext | None] = OrderedDict()  # raw key -> context (write-through)
        self._db: sqlite3.Connection | None = None  # None: the file is out of reach, contexts live in memory
        self._writable = False  # the schema is in place and writes go through
        self._outage: str | None = None  # why the file is out of reach, while it is (logged once)
        self._retry_at = float("-inf")  # time.monotonic() of the next attempt to reach the file
        self._frozen = False  # _db is a read-only view of a file that cannot be written
        self._timer: asyncio.TimerHandle | None = None
        self._open(now, OPEN_BUSY_SECONDS)

    # --- opening, and reopening after an outage ---------------------------------------------------------

    def _open(self, now: float | None, busy: float) -> None:
        """Connect, moving the file aside only if it is proven corrupt; then make it writable if it can be."""
        try:
            self._db = self._connect(busy)
        except (OSError, sqlite3.Error, BadFile) as exc:
            if not is_corrupt(exc):
                self._db = self._frozen_copy(exc)
                self._down(exc)
                return
            try:
                aside = move_aside(self.path)
            except OSError as failure:
                self._down(
                    exc,
                    f"corrupt ({describe(exc, self.path)}) and could not be renamed out of the way: "
                    f"{describe(failure, self.path)}",
                )
                return
            log.warning(
                "context store %s is corrupt (%s); moved aside to %s, starting empty",
                self.path,
                describe(exc, self.path),
                aside.name,
            )
            try:
                self._db = self._connect(busy)
            except (OSError, sqlite3.Error, BadFile) as again:
                self._down(again)
                return
        self._make_writable(now)

    def _connect(self, busy: float, uri: str = "") -> sqlite3.Connection:
        """A connection that has read the file (BadFile/DatabaseError if it cannot be trusted)."""
        if not uri:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(uri or self.path, timeout=busy, isolation_level=None, uri=bool(uri))  # autocommit
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            (check,) = db.execute("PRAGMA quick_check(1)").fetchone()
            if check != "ok":
                raise BadFile(f"failed its integrity check: {str(check)[:80]}")
            if version not in (0, SCHEMA_VERSION):
                raise BadFile(f"has schema version {version}, which this bot does not know")
            db.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable at the next checkpoint, never corrupt
        except BaseException:
            db.close()
            raise
        return db

    def _make_writable(self, now: float | None) -> None:
        """Switch to WAL, create the table if new, prune; on failure the file stays readable as it is."""
        db = self._db
        if db is None:
            return
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                db.executescript(_SCHEMA)
            self._writable = True
            if now is not None:
                self._prune(now)
            else:
                self._trim()
        except sqlite3.Error as exc:
            self._fail(exc)
            return
        finally:
            self._short_waits()
        self._up()

    def _short_waits(self) -> None:
        """From now on a lock is an outage after BUSY_SECONDS, not a stall of the event loop."""
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):  # a closed or broken connection: the next statement says so
                self._db.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")

    def _frozen_copy(self, exc: BaseException) -> sqlite3.Connection | None:
        """Where the file cannot be opened for writing (a read-only folder or volume), still read what it holds.

        Opened immutable, since SQLite cannot make the -shm it needs to read a WAL file there; never for a
        locked file, where an immutable reader could see a write half done.
        """
        code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
        if code not in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM):
            return None
        try:
            if not self.path.is_file():
                return None
            db = self._connect(0.0, uri=f"{self.path.absolute().as_uri()}?mode=ro&immutable=1")
        except (OSError, sqlite3.Error, BadFile):
            return None
        self._frozen = True
        return db

    def _revive(self, now: float | None) -> None:
        """During an outage, try the file again (at most every RETRY_SECONDS) and write what waits."""
        if time.monotonic() < self._retry_at:
            return
        self._retry_at = time.monotonic() + RETRY_SECONDS
        if self._db is not None and self._frozen:  # read-only: only a fresh connection can find it writable
            self._db.close()
            self._db, self._frozen = None, False
        if self._db is None:
            self._open(now, BUSY_SECONDS)
        else:
            self._make_writable(now)

    def _down(self, exc: BaseException, why: str = "") -> None:
        """Enter (or stay in) an outage; logged once, with what is true about the file."""
        self._writable = False
        self._retry_at = time.monotonic() + RETRY_SECONDS
        if self._outage is not None:
            return
        self._outage = why or describe(exc, self.path)
        if self._db is None:
            log.warning(
                "context store %s unavailable (%s): answers go on without saved context; follow-ups will not "
                "survive a restart until it is back (tried again every %g s)",
                self.path,
                self._outage,
                RETRY_SECONDS,
            )
        else:
            log.warning(
                "context store %s cannot be written (%s): answers go on without saved context for now; saved "
                "context is still read, new context is kept in memory and written once it can be (tried again "
                "every %g s)",
                self.path,
                self._outage,
                RETRY_SECONDS,
            )

    def _fail(self, exc: sqlite3.Error) -> None:
        """A statement failed: an outage; a corrupt file is dropped so the next attempt moves it aside."""
        if is_corrupt(exc) and self._db is not None:
            self._db.close()
            self._db = None
        self._down(exc)

    def _up(self) -> None:
        if self._outage is not None:
            log.warning("context store %s is back (was: %s): contexts are saved again", self.path, self._outage)
            self._outage = None

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
        if self._db is None:
            self._revive(None)
        if self._db is None:
            return None
        try:
            row = self._db.execute(
                "SELECT condition, topic, card, at FROM context WHERE key = ?", (self._key(key),)
            ).fetchone()
        except sqlite3.Error as exc:
            self._fail(exc)
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
        self._waiting.pop(key, None)
        self._waiting[key] = context
        while len(self._waiting) > self._max_rows:  # a long outage: the oldest are forgotten first
            del self._waiting[next(iter(self._waiting))]
        self._puts += 1
        if not self._writable:
            self._revive(context.at)
        else:
            try:
                if context.at - self._pruned_at >= PRUNE_SECONDS:
                    self._prune(context.at)
                elif len(self._waiting) >= FLUSH_ROWS or context.at - self._flushed_at >= FLUSH_SECONDS:
                    self._flush(context.at)
                if self._puts % TRIM_EVERY == 0:
                    self._trim()
            except sqlite3.Error as exc:  # a full or broken disk must not cost anyone their answer
                self._fail(exc)
        self._arm_timer()

    # --- writing ----------------------------------------------------------------------------------------

    def _arm_timer(self) -> None:
        """On a running event loop, write what waits soon, even if no other message ever comes."""
        if not self._waiting or self._timer is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called outside an event loop (tests, tools): the put-time rules only
            return
        delay = FLUSH_DELAY if self._writable else max(FLUSH_DELAY, self._retry_at - time.monotonic())
        self._timer = loop.call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self.flush()
        self._arm_timer()

    def flush(self, now: float | None = None) -> None:
        """Write every waiting context, in one transaction; never raises (an outage is logged instead)."""
        if not self._writable:
            self._revive(now)
            return
        try:
            self._flush(now)
        except sqlite3.Error as exc:
            self._fail(exc)

    def _flush(self, now: float | None = None) -> None:
        if now is not None:
            self._flushed_at = now
        if not self._waiting or self._db is None:
            return
        rows = [(self._key(k), c.condition, c.topic, c.card, c.at) for k, c in self._waiting.items()]
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(
                "INSERT INTO context (key, condition, topic, card, at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET condition = excluded.condition, topic = excluded.topic, "
                "card = excluded.card, at = excluded.at",
                rows,
            )
            db.execute("COMMIT")
        except sqlite3.Error:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        self._waiting.clear()  # only once on disk: during an outage they wait (bounded) for the file to return

    # --- housekeeping -------------------------------------------------------------------------------

    def prune(self, now: float) -> None:
        """Forget contexts older than max_age, and the oldest beyond max_rows; never raises."""
        if not self._writable:
            self._revive(now)
            return
        try:
            self._prune(now)
        except sqlite3.Error as exc:
            self._fail(exc)

    def _prune(self, now: float) -> None:
        cutoff = now - self._max_age
        for key in [k for k, c in self._waiting.items() if c.at < cutoff]:
            del self._waiting[key]
        self._flush(now)
        self._pruned_at = now
        if self._db is not None:
            self._db.execute("DELETE FROM context WHERE at < ?", (cutoff,))
        for key in [k for k, c in self._memo.items() if c is not None and c.at < cutoff]:
            del self._memo[key]
        self._trim()

    def _trim(self) -> None:
        self._flush()
        if self._db is None:
            return
        (count,) = self._db.execute("SELECT COUNT(*) FROM context").fetchone()
        if count > self._max_rows:
            self._memo.clear()  # rare (that many chats within the lifetime): simpler than finding which went
            self._db.execute(
                "DELETE FROM context WHERE key IN (SELECT key FROM context ORDER BY at LIMIT ?)",
                (count - self._max_rows,),
            )

    def __len__(self) -> int:
        """Contexts on disk (after writing what waits); during an outage, those waiting in memory."""
        self.flush()
        if self._db is None or not self._writable:
            return len(self._waiting)
        try:
            return int(self._db.execute("SELECT COUNT(*) FROM context").fetchone()[0])
        except sqlite3.Error as exc:
            self._fail(exc)
            return len(self._waiting)

    def close(self) -> None:
        """Write what waits (waiting up to OPEN_BUSY_SECONDS for a lock: a clean stop is worth a pause)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        db = self._db
        if db is not None:
            with contextlib.suppress(sqlite3.Error):
                db.execute(f"PRAGMA busy_timeout={int(OPEN_BUSY_SECONDS * 1000)}")
            self._retry_at = float("-inf")
            self.flush()
        if self._waiting:
            log.warning(
                "context store %s: %d context(s) could not be saved (%s); those follow-ups are lost on restart",
                self.path,
                len(self._waiting),
                self._outage or "unavailable",
            )
        if self._db is not None:
            self._db.close()
            self._db = None
