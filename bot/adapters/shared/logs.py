"""Logging without secrets or people: what the Telegram bot's log may and may not hold.

Our own log lines name a chat only by a keyed hash (`Anonymizer`) and never carry message text. Two filters,
installed on the root handlers by `install_log_redaction`, guard what other code logs:

* `_WithholdPeople`: python-telegram-bot's loggers (`telegram`, `telegram.ext.*`, `telegram.Bot`, ...) log
  request parameters, Bot API answers and whole updates at DEBUG, and an update they cannot read with its
  body at CRITICAL. Any argument of theirs that can hold a person (a dict, a list of more than numbers, an
  Update or other Telegram object, an exception, a string of more than one word such as a body) is
  replaced by a placeholder naming only its type (an Update by its update_id), whatever the level. Their
  tracebacks keep the frames but lose the messages when the record carried such data or the error is not
  a Telegram error (a parsing error can quote the update it failed on); Telegram's own error texts ("Bad
  Request: chat not found") stay. tornado's loggers (the webhook server) get the same treatment.
* `_RedactToken`: the last line of defence for the token. No record leaves with the token, its URL-encoded
  form or its secret half (after the ':'), in the message, the traceback (chained exceptions included) or
  the stack; this covers every logger, PTB's, httpx's and asyncio's included.

httpx and httpcore log request URLs, which hold the token: they are kept at WARNING.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import traceback
from collections.abc import Mapping
from functools import lru_cache
from urllib.parse import quote

from telegram import Update
from telegram.error import TelegramError

WITHHELD_LOGGERS = ("telegram", "tornado")  # and their children: python-telegram-bot's, the webhook server's
QUIET_LOGGERS = ("httpx", "httpcore")  # they log request URLs (the token) at INFO and DEBUG
# A string argument kept as it is: one "word" such as an endpoint name, a URL or an address (the token in a URL
# is then redacted). Bodies, messages and exception texts have spaces, quotes or braces: withheld.
_WORD = re.compile(r"[\w.:/@<>%=-]{0,200}")
_PLAIN = (int, float, bool, type(None))
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def redact(text: str, token: str) -> str:
    """`text` without the token, its URL-encoded form or its secret half."""
    return _RedactToken(token).redact(text)


class _RedactToken(logging.Filter):
    """Last line of defence: no log record leaves with the token in it, tracebacks included."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        secret_half = token.partition(":")[2]
        forms = {token, quote(token, safe=""), secret_half if len(secret_half) >= 8 else ""}
        self.forms = sorted((f for f in forms if f), key=len, reverse=True)  # the whole token before its half

    def redact(self, text: str) -> str:
        for form in self.forms:
            text = text.replace(form, "<token>")
        return text

    def _holds(self, text: str) -> bool:
        return any(form in text for form in self.forms)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.forms:
            return True
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format: keep the format only
            message, record.args = str(record.msg), None
        if self._holds(message):
            record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self._holds(record.exc_text):
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info and self._holds(record.stack_info):
            record.stack_info = self.redact(record.stack_info)
        return True


class _WithholdPeople(logging.Filter):
    """python-telegram-bot's records keep their wording, but not the people in their arguments (any level)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.split(".")[0] not in WITHHELD_LOGGERS or getattr(record, "people_withheld", False):
            return True
        record.people_withheld = True  # once: each root handler runs this filter on the same record
        withheld = False
        if not isinstance(record.msg, str):
            record.msg, record.args, withheld = _placeholder(record.msg), None, True
        elif isinstance(record.args, Mapping) and "%(" in record.msg:  # named fields: "%(chat)s"
            args = {key: _safe(value) for key, value in record.args.items()}
            withheld = any(args[key] is not value for key, value in record.args.items())
            record.args = args
        elif isinstance(record.args, Mapping):  # logging unpacks a lone dict argument ("%r", data) into args
            record.args, withheld = (_placeholder(record.args),), True
        elif record.args:
            safe = tuple(_safe(value) for value in record.args)
            withheld = any(new is not old for new, old in zip(safe, record.args, strict=True))
            record.args = safe
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and (withheld or not isinstance(exc, TelegramError)):
            record.exc_text = _frames_only(exc)  # e.g. a parsing error that quotes the update it failed on
        return True


def _safe(value: object) -> object:
    """The value itself when it cannot hold a person; otherwise a placeholder naming its type."""
    if isinstance(value, (*_PLAIN, type)):
        return value
    if isinstance(value, str):
        return value if _WORD.fullmatch(value) else _placeholder(value)
    if isinstance(value, list | tuple) and all(isinstance(v, _PLAIN) for v in value):
        return value  # update ids ("Getting updates: [...]")
    return _placeholder(value)


def _placeholder(value: object) -> str:
    if isinstance(value, Update):
        return f"<update {value.update_id}>"
    if isinstance(value, BaseException):
        return f"<{type(value).__name__}>"
    return f"<{type(value).__name__} withheld>"


def _frames_only(exc: BaseException) -> str:
    """A traceback with its frames (where it failed) but not its messages (which can quote the data)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    parts: list[str] = []
    for n, link in enumerate(reversed(chain)):
        if n:
            parts.append("\nwhich led to:\n\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(link.__traceback__))
        parts.append(f"{type(link).__module__}.{type(link).__qualname__}: <message withheld>\n")
    return "".join(parts).rstrip("\n")


def install_log_redaction(token: str) -> None:
    """Put both filters on every root handler (again, not twice, when called again) and quiet httpx."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, _RedactToken | _WithholdPeople)]:
            handler.removeFilter(old)
        handler.addFilter(_WithholdPeople())  # first: it may rewrite the traceback the token filter then checks
        handler.addFilter(_RedactToken(token))


def _secret(token: str, purpose: str) -> bytes:
    """A key derived from the token for one purpose (log hashes, context-store keys); never the token."""
    return hmac.new(token.encode(), purpose.encode(), hashlib.sha256).digest()


class Anonymizer:
    """Chat ids in logs as keyed hashes: the same chat reads the same, but nobody can look a user up."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._hash = lru_cache(maxsize=4096)(self._compute)  # active chats log on every message

    def __call__(self, chat_id: object) -> str:
        return self._hash(str(chat_id))

    def _compute(self, chat_id: str) -> str:
        return hmac.new(self._key, chat_id.encode(), hashlib.sha256).hexdigest()[:10]
