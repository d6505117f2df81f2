"""Faults the double can inject into the next N calls of a method.

Error faults answer instead of the method, so nothing is delivered: a test that retries can
assert exactly-once delivery. ``Slow`` and ``Disconnect`` can optionally model the nasty real
case where Telegram *did* process the call but the answer never reached the bot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorReply:
    """Answer with a Bot API error instead of running the method."""

    error_code: int
    description: str
    parameters: dict[str, Any] | None = None

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = dict(self.parameters)
        return body


@dataclass(frozen=True)
class Slow:
    """Sleep ``seconds`` before handling the call.

    If the client is still connected afterwards the call is handled and answered normally. If
    it gave up (read timeout), the call is dropped unless ``deliver_if_abandoned`` is set, which
    models Telegram having sent the message although the bot saw a timeout.
    """

    seconds: float
    deliver_if_abandoned: bool = False


@dataclass(frozen=True)
class Disconnect:
    """Close the connection without any HTTP response.

    With ``deliver=True`` the call is handled first (the message is sent), then the answer is
    lost: the bot sees a network error for a message the user did receive.
    """

    deliver: bool = False


Fault = ErrorReply | Slow | Disconnect


def too_many_requests(retry_after: int = 1) -> ErrorReply:
    """Flood control, exactly as Telegram phrases it."""
    return ErrorReply(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})


def internal_server_error() -> ErrorReply:
    return ErrorReply(500, "Internal Server Error")


def bad_gateway() -> ErrorReply:
    """What api.telegram.org's front end answers while Telegram restarts."""
    return ErrorReply(502, "Bad Gateway")


def bot_blocked() -> ErrorReply:
    return ErrorReply(403, "Forbidden: bot was blocked by the user")


@dataclass
class QueuedFault:
    """A fault waiting for its method; ``chat_id`` restricts it to calls for one chat."""

    method: str  # lower-case method name, or "*" for every method
    fault: Fault
    remaining: int
    chat_id: int | str | None = None

    def matches(self, method: str, chat_id: object) -> bool:
        if self.remaining <= 0 or self.method not in ("*", method.lower()):
            return False
        return self.chat_id is None or self.chat_id == chat_id
