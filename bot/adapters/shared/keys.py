"""Conversation keys: who a context belongs to, as a keyed hash, the same way for every surface and store.

A store (SQLite today, Redis tomorrow) and the logs only ever see these hashes: a chat id, a user id or a
web session id never reaches them, and without the secret nobody can turn a hash back into a person.
The secret comes from the deployment (derived from the bot token, or a random file in BOT_DATA_DIR).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache


def derive(secret: str | bytes, purpose: str) -> bytes:
    """A key for one purpose (conversation keys, log hashes, web sessions), never the secret itself."""
    raw = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(raw, purpose.encode(), hashlib.sha256).digest()


class ConversationKeys:
    """`keys("telegram", chat_id, user_id)` -> a stable hex key for that conversation."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._cached = lru_cache(maxsize=8192)(self._compute)  # active conversations ask on every message

    def __call__(self, surface: str, *parts: object) -> str:
        return self._cached(surface + ":" + ":".join(str(p) for p in parts))

    def _compute(self, plain: str) -> str:
        return hmac.new(self._key, plain.encode(), hashlib.sha256).hexdigest()[:32]
