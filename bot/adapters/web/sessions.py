"""Who is talking, how fast, and what they saw: session cookies, keyed hashes, rate limits, transcripts.

* A visitor gets a random session id in a cookie (no login, no phone number). The Brain never sees it:
  its conversation key is an HMAC of the id under a secret kept in BOT_DATA_DIR/web-secret (0600,
  made once), so the context store holds nothing that could be replayed as a cookie.
* Rate limits are token buckets per session and per IP address, on the monotonic clock, in bounded
  LRU maps (the least recently seen are forgotten first, which only ever gives them a fresh bucket).
* A session's recent messages are kept in memory, bounded per session and in number of sessions, so a
  browser without JavaScript can be sent the whole conversation again after each question.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import stat
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.adapters.shared.keys import ConversationKeys, derive
from bot.render import Reply

log = logging.getLogger(__name__)

COOKIE = "chat_session"
SECRET_FILE = "web-secret"
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


def load_secret(data_dir: Path | None) -> bytes:
    """The HMAC secret from data_dir/web-secret, made once with mode 0600; per process when that cannot be."""
    if data_dir is None:
        return secrets.token_bytes(32)
    path = data_dir / SECRET_FILE
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            with os.fdopen(fd, "rb") as f:
                if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                    raise OSError("not a regular file") from None
                secret = f.read(64)
            if len(secret) >= 32:
                return secret
            raise OSError("too short") from None
        secret = secrets.token_bytes(32)
        with os.fdopen(fd, "wb") as f:
            f.write(secret)
        return secret
    except OSError as exc:
        log.warning(
            "web: cannot keep the session secret in %s (%s); using one for this process only, so "
            "conversations restart with the process",
            path,
            type(exc).__name__,
        )
        return secrets.token_bytes(32)


@dataclass(frozen=True)
class Keys:
    """Turns a session id into the Brain's conversation key and a form token, both keyed hashes."""

    secret: bytes

    @staticmethod
    def new_session() -> str:
        return secrets.token_urlsafe(32)

    @staticmethod
    def valid(session: str | None) -> bool:
        return session is not None and _SESSION_ID.fullmatch(session) is not None

    def _mac(self, purpose: str, session: str) -> str:
        return hmac.new(self.secret, f"{purpose}\0{session}".encode(), hashlib.sha256).hexdigest()[:32]

    def conversation(self, session: str) -> str:
        """The conversation key, as every surface makes it (bot/adapters/shared/keys.py)."""
        return ConversationKeys(derive(self.secret, "conversation-key"))("web", session)

    def form_token(self, session: str) -> str:
        """Sent in each form; a form posted with a session cookie but another token is refused (CSRF)."""
        return self._mac("form", session)

    def token_ok(self, session: str, token: str) -> bool:
        return hmac.compare_digest(self.form_token(session).encode(), token.encode())


@dataclass(frozen=True)
class Limits:
    """Messages a minute (a token bucket: that many at once, then one every 60/n seconds)."""

    per_session: int = 20
    per_ip: int = 120
    max_tracked: int = 20_000  # sessions, and separately IP addresses, remembered at once


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token buckets by key, bounded: the least recently used key is forgotten first."""

    def __init__(self, per_minute: int, max_keys: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def allow(self, key: str) -> bool:
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self.capacity, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True

    def __len__(self) -> int:
        return len(self._buckets)


@dataclass(frozen=True)
class Said:
    """One line of a transcript: what the visitor typed (already cleaned), or the bot's Reply."""

    seq: int
    text: str | None = None
    reply: Reply | None = None


@dataclass
class _Transcript:
    items: deque[Said] = field(default_factory=deque)
    seq: int = 0


class Transcripts:
    """The last few messages of the most recent sessions, in memory only, for pages rendered without JS.

    Keyed by the conversation key (a hash), never by the cookie. Bounded both ways: `per_session` lines
    each, `sessions` sessions; older lines and sessions are dropped (the Brain's context is separate).
    """

    def __init__(self, sessions: int = 1000, per_session: int = 20) -> None:
        self.sessions, self.per_session = sessions, per_session
        self._data: OrderedDict[str, _Transcript] = OrderedDict()

    def add(self, key: str, *, text: str | None = None, reply: Reply | None = None) -> Said:
        t = self._data.get(key)
        if t is None:
            t = self._data[key] = _Transcript(deque(maxlen=self.per_session))
            while len(self._data) > self.sessions:
                self._data.popitem(last=False)
        self._data.move_to_end(key)
        t.seq += 1
        said = Said(t.seq, text, reply)
        t.items.append(said)
        return said

    def lines(self, key: str) -> tuple[Said, ...]:
        t = self._data.get(key)
        return tuple(t.items) if t is not None else ()

    def __len__(self) -> int:
        return len(self._data)
