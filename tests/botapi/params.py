"""Request parameters the way the Bot API reads them.

Telegram accepts parameters in the query string, as ``application/x-www-form-urlencoded``,
``application/json`` or ``multipart/form-data``. In form bodies every value is a string and
objects/arrays are JSON-serialised (python-telegram-bot sends exactly that: ``httpx`` form data
built from ``RequestData.json_parameters``, multipart when files are attached). We decode by
parameter name so that ``text="123"`` stays a string while ``message_id="5"`` becomes 5.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from .server import HttpRequest

# fmt: off
JSON_PARAMS = frozenset(
    {
        "reply_markup", "reply_parameters", "entities", "caption_entities", "link_preview_options",
        "results", "commands", "scope", "allowed_updates", "button", "media", "options",
        "explanation_entities", "input_message_content", "suggested_post_parameters",
        "permissions", "rights", "reaction",
    }
)
BOOL_PARAMS = frozenset(
    {
        "disable_notification", "protect_content", "allow_sending_without_reply", "show_alert",
        "is_personal", "drop_pending_updates", "disable_web_page_preview", "allow_paid_broadcast",
        "for_channels", "only_if_banned", "revoke_messages", "is_big",
    }
)
INT_PARAMS = frozenset(
    {
        "message_id", "offset", "limit", "reply_to_message_id", "message_thread_id", "cache_time",
        "max_connections", "user_id", "direct_messages_topic_id", "from_chat_id",
    }
)
# fmt: on
FLOAT_PARAMS = frozenset({"timeout"})  # Telegram wants an int; PTB may send 0.3 for a timedelta

_INT = re.compile(r"^-?\d+$")


class BadBody(ValueError):
    """The HTTP body could not be read as parameters at all."""


@dataclass(frozen=True)
class UploadedFile:
    """A multipart file part; the content is not kept, only what a test may assert on."""

    filename: str
    content_type: str
    size: int


def normalize(name: str, value: Any) -> Any:
    """Convert one raw parameter to the type the Bot API declares for it.

    Values that do not convert are left as they are; the method then reports the error.
    """
    if name in JSON_PARAMS:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value
    if name in BOOL_PARAMS:
        if isinstance(value, str) and value.lower() in ("true", "1", "false", "0", ""):
            return value.lower() in ("true", "1")
        return value
    if name in INT_PARAMS or name == "chat_id":
        if isinstance(value, str) and _INT.match(value.strip()):
            return int(value.strip())
        return value
    if name in FLOAT_PARAMS:
        if isinstance(value, str):
            try:
                return float(value) if "." in value else int(value)
            except ValueError:
                return value
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)  # e.g. {"text": 42} in a JSON body is the text "42" for Telegram
    return value


def _multipart(content_type: str, body: bytes) -> dict[str, Any]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise BadBody("can't parse multipart/form-data")
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is None:
            fields[name] = data.decode("utf-8", "replace")
        else:
            fields[name] = UploadedFile(filename, part.get_content_type(), len(data))
    return fields


def decode_params(request: HttpRequest) -> dict[str, Any]:
    """All parameters of a request, query string first, body values overriding."""
    raw: dict[str, Any] = dict(parse_qsl(request.query, keep_blank_values=True))
    content_type = request.headers.get("content-type", "")
    mime = content_type.split(";")[0].strip().lower()
    if request.body:
        if mime == "application/json":
            try:
                body = json.loads(request.body)
            except ValueError as exc:
                raise BadBody("can't parse JSON object") from exc
            if not isinstance(body, dict):
                raise BadBody("can't parse JSON object")
            raw.update(body)
        elif mime == "application/x-www-form-urlencoded":
            raw.update(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        elif mime == "multipart/form-data":
            raw.update(_multipart(content_type, request.body))
    return {name: normalize(name, value) for name, value in raw.items()}
