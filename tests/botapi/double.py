"""The Bot API double: state, method emulation, update builders, fault queue and waits.

See the package docstring (``tests/botapi/__init__.py``) for what is and is not reproduced.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import httpx

from . import entities as ent
from .faults import (
    Disconnect,
    ErrorReply,
    Fault,
    QueuedFault,
    Slow,
    internal_server_error,
    too_many_requests,
)
from .params import BadBody, decode_params
from .server import HttpRequest, HttpServer, Reply

JSON = dict[str, Any]
ChatType = Literal["private", "group", "supergroup", "channel"]
Attachment = Literal["sticker", "photo", "voice", "document", "location", "video", "audio", "contact"]
T = TypeVar("T")

MAX_MESSAGE_LENGTH = 4096  # code points after entity parsing, as tdlib counts
MAX_CALLBACK_DATA = 64  # bytes
MAX_INLINE_RESULTS = 50
DEFAULT_TOKEN = "5012345678:AAFake-Test-Token_for-the-BotApi-Double"
DEFAULT_ADMIN_ID = 1000001  # who adds or removes the bot in groups when a test does not say
# fmt: off
# Telegram's default allowed_updates: everything except chat_member and message reactions.
_DEFAULT_ALLOWED = frozenset(
    {
        "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
        "business_message", "edited_business_message", "deleted_business_messages",
        "inline_query", "chosen_inline_result", "callback_query", "shipping_query",
        "pre_checkout_query", "purchased_paid_media", "poll", "poll_answer", "my_chat_member",
        "chat_join_request", "chat_boost", "removed_chat_boost",
    }
)
_CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note",
        "upload_video_note",
    }
)
_INLINE_BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)
# Fixed fields of the file-like attachments push_message can build; ids are added per message.
_MEDIA_FIELDS: dict[str, JSON] = {
    "sticker": {"type": "regular", "width": 512, "height": 512, "is_animated": False,
                "is_video": False, "emoji": "\N{THUMBS UP SIGN}"},
    "voice": {"duration": 3, "mime_type": "audio/ogg", "file_size": 9000},
    "document": {"file_name": "report.pdf", "mime_type": "application/pdf", "file_size": 52000},
    "video": {"width": 640, "height": 360, "duration": 5, "mime_type": "video/mp4"},
    "audio": {"duration": 120, "mime_type": "audio/mpeg", "title": "Track"},
}
_ADMIN_RIGHTS = (
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
    "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
    "can_delete_stories", "can_pin_messages", "can_post_messages", "can_edit_messages",
)
# fmt: on
_TOKEN_SHAPE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,64}$")
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


class ApiError(Exception):
    """A Bot API error answer; raised inside method handlers."""

    def __init__(self, error_code: int, description: str, parameters: JSON | None = None):
        super().__init__(description)
        self.reply = ErrorReply(error_code, description, parameters)


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class Call:
    """One request as the double saw it; ``status`` is None when the connection was dropped."""

    method: str
    params: JSON
    http_verb: str
    at: float  # time.monotonic()
    status: int | None = None
    response: JSON | None = None
    fault: Fault | None = None
    finished: bool = False


@dataclass
class _Described:
    """A successful result that also carries Telegram's ``description`` (setWebhook & co)."""

    result: Any
    description: str


@dataclass
class _Chat:
    data: JSON  # the Chat object as it appears in messages
    bot_status: str = "member"  # member | administrator | left | kicked (kicked = blocked in private)
    messages: dict[int, JSON] = field(default_factory=dict)
    sent: list[JSON] = field(default_factory=list)  # bot messages, in delivery order
    next_message_id: int = 1

    @property
    def id(self) -> int:
        return int(self.data["id"])

    @property
    def type(self) -> str:
        return str(self.data["type"])

    def allocate_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class _Query:
    """A pushed callback or inline query, answerable once."""

    kind: Literal["callback_query", "inline_query"]
    update: JSON
    answer: JSON | None = None


_Handler = Callable[["BotApiDouble", JSON], Any]
_METHODS: dict[str, tuple[str, _Handler]] = {}


def _api(name: str) -> Callable[[_Handler], _Handler]:
    """Register a Bot API method; Telegram method names are case-insensitive."""

    def register(fn: _Handler) -> _Handler:
        _METHODS[name.lower()] = (name, fn)
        return fn

    return register


class BotApiDouble:
    """A fake api.telegram.org on 127.0.0.1 for python-telegram-bot tests.

    Use as ``with BotApiDouble() as tg:`` (or ``async with``) and build the bot with
    ``Bot(tg.token, base_url=tg.base_url)``.
    """

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        username: str = "pred_info_bot",
        first_name: str = "Prednisone Info",
        privacy_mode: bool = True,
        first_update_id: int = 100_000_001,
    ) -> None:
        if not _TOKEN_SHAPE.match(token):
            raise ValueError("token must look like a Telegram token: '<bot id>:<secret>'")
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.username = username
        self.privacy_mode = privacy_mode
        self.bot_user: JSON = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": not privacy_mode,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self._cond = threading.Condition(threading.RLock())
        self._closing = threading.Event()
        self._server: HttpServer | None = None
        self._extra_methods: dict[str, tuple[str, _Handler]] = {}

        self._users: dict[int, JSON] = {}
        self._chats: dict[int, _Chat] = {}
        self._updates: list[JSON] = []
        self._update_ids = itertools.count(first_update_id)
        self._allowed_updates: frozenset[str] = _DEFAULT_ALLOWED
        self._queries: dict[str, _Query] = {}
        self._query_ids = itertools.count(4_300_000_000_000_000_001)
        self._file_ids = itertools.count(1)
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._webhook: JSON = {}
        self._faults: list[QueuedFault] = []
        self._calls: list[Call] = []
        self._internal_errors: list[Exception] = []
        self._in_flight = 0
        self._pollers = 0
        self._poll_generation = 0

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        """The value for ``Bot(base_url=...)``: PTB appends the token, then ``/method``."""
        if self._server is None:
            raise RuntimeError("the double is not started")
        return f"http://127.0.0.1:{self._server.port}/bot"

    @property
    def api_url(self) -> str:
        """``{base_url}{token}``, handy for raw HTTP calls."""
        return f"{self.base_url}{self.token}"

    def start(self) -> BotApiDouble:
        if self._server is not None:
            raise RuntimeError("already started")
        self._closing.clear()
        self._server = HttpServer(self._handle_http)
        self._server.start()
        return self

    def stop(self) -> None:
        """Wake every blocked request (long polls, slow faults), then close all sockets."""
        server, self._server = self._server, None
        if server is None:
            return
        with self._cond:
            self._closing.set()
            self._cond.notify_all()
        server.stop()

    def __enter__(self) -> BotApiDouble:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> BotApiDouble:
        return self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # Joining handler threads may take a moment; keep the event loop (and the bot) running.
        await asyncio.to_thread(self.stop)

    # ------------------------------------------------------------------ HTTP entry point

    def _handle_http(self, request: HttpRequest, client_gone: Callable[[], bool]) -> Reply | None:
        with self._cond:
            self._in_flight += 1
        try:
            return self._route(request, client_gone)
        except Exception as exc:  # a bug in the double must not pass for a network error
            with self._cond:
                self._internal_errors.append(exc)
            description = f"[botapi double] internal error: {exc!r}"
            return 500, {"ok": False, "error_code": 500, "description": description}
        finally:
            with self._cond:
                self._in_flight -= 1
                self._cond.notify_all()

    def _route(self, request: HttpRequest, client_gone: Callable[[], bool]) -> Reply | None:
        not_found: Reply = (404, {"ok": False, "error_code": 404, "description": "Not Found"})
        match = re.fullmatch(r"/bot([^/]*)/([^/]*)", request.path)
        if match is None:
            return not_found
        token, method_name = match.groups()
        body_error: str | None = None
        try:
            params = decode_params(request)
        except BadBody as exc:
            params, body_error = {}, str(exc)
        entry = self._extra_methods.get(method_name.lower()) or _METHODS.get(method_name.lower())
        call = Call(entry[0] if entry else method_name, params, request.verb, time.monotonic())
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

        if not _TOKEN_SHAPE.match(token):  # Telegram answers 404 to malformed tokens...
            return self._finish(call, not_found)
        if token != self.token:  # ...and 401 to well-formed but wrong ones
            return self._finish(call, (401, {"ok": False, "error_code": 401, "description": "Unauthorized"}))
        if entry is None or not method_name:
            return self._finish(call, not_found)
        if body_error is not None:
            return self._finish(call, (400, bad_request(body_error).reply.payload()))

        with self._cond:
            fault = self._take_fault(call.method, params.get("chat_id"))
            call.fault = fault
        handler = entry[1]
        if isinstance(fault, ErrorReply):
            return self._finish(call, (fault.error_code, fault.payload()))
        if isinstance(fault, Disconnect):
            if fault.deliver:
                self._run(handler, params)
            return self._finish(call, None)
        if isinstance(fault, Slow):
            if self._closing.wait(fault.seconds):
                return self._finish(call, None)
            if client_gone():
                if fault.deliver_if_abandoned:
                    self._run(handler, params)
                return self._finish(call, None)
        return self._finish(call, self._run(handler, params))

    def _run(self, handler: _Handler, params: JSON) -> Reply:
        """Run a method under the state lock and shape Telegram's answer."""
        try:
            with self._cond:
                result = handler(self, params)
                result = copy.deepcopy(result)
                self._cond.notify_all()
        except ApiError as exc:
            return exc.reply.error_code, exc.reply.payload()
        if isinstance(result, _Described):
            return 200, {"ok": True, "result": result.result, "description": result.description}
        return 200, {"ok": True, "result": result}

    def _finish(self, call: Call, reply: Reply | None) -> Reply | None:
        with self._cond:
            call.status, call.response = (reply[0], reply[1]) if reply else (None, None)
            call.finished = True
            self._cond.notify_all()
        return reply

    def _take_fault(self, method: str, chat_id: object) -> Fault | None:
        for queued in self._faults:
            if queued.matches(method, chat_id):
                queued.remaining -= 1
                if queued.remaining == 0:
                    self._faults.remove(queued)
                return queued.fault
        return None

    # ------------------------------------------------------------------ fault injection

    def inject(self, method: str, fault: Fault, *, times: int = 1, chat_id: int | str | None = None) -> None:
        """Apply ``fault`` to the next ``times`` calls of ``method`` ("*" = any method).

        With ``chat_id`` only calls for that chat count. Faults queue up in order.
        """
        if times < 1:
            raise ValueError("times must be >= 1")
        if method != "*" and method.lower() not in _METHODS and method.lower() not in self._extra_methods:
            raise ValueError(f"the double does not emulate {method!r}; a fault on it would never fire")
        with self._cond:
            self._faults.append(QueuedFault(method.lower(), fault, times, chat_id))

    def inject_retry_after(
        self, method: str, retry_after: int = 1, *, times: int = 1, chat_id: int | str | None = None
    ) -> None:
        """429 Too Many Requests with ``parameters.retry_after``."""
        self.inject(method, too_many_requests(retry_after), times=times, chat_id=chat_id)

    def inject_server_error(self, method: str, *, times: int = 1, chat_id: int | str | None = None) -> None:
        """500 Internal Server Error."""
        self.inject(method, internal_server_error(), times=times, chat_id=chat_id)

    def inject_slow(
        self,
        method: str,
        seconds: float,
        *,
        times: int = 1,
        chat_id: int | str | None = None,
        deliver_if_abandoned: bool = False,
    ) -> None:
        """Answer only after ``seconds``; see :class:`~botapi.faults.Slow`."""
        self.inject(method, Slow(seconds, deliver_if_abandoned), times=times, chat_id=chat_id)

    def inject_disconnect(
        self, method: str, *, times: int = 1, chat_id: int | str | None = None, deliver: bool = False
    ) -> None:
        """Close the connection without answering; see :class:`~botapi.faults.Disconnect`."""
        self.inject(method, Disconnect(deliver), times=times, chat_id=chat_id)

    def inject_blocked(self, chat_id: int, *, method: str = "sendMessage", times: int = 1) -> None:
        """403 "Forbidden: bot was blocked by the user" for calls to one chat.

        For a lasting block (and the my_chat_member update Telegram sends), use
        ``push_my_chat_member(chat_id, added=False)`` instead.
        """
        self.inject(
            method,
            ErrorReply(403, "Forbidden: bot was blocked by the user"),
            times=times,
            chat_id=chat_id,
        )

    def pending_faults(self) -> list[QueuedFault]:
        with self._cond:
            return [copy.copy(q) for q in self._faults]

    def clear_faults(self) -> None:
        with self._cond:
            self._faults.clear()

    def register_method(self, name: str, handler: Callable[[BotApiDouble, JSON], Any]) -> None:
        """Emulate one more method for a test; raise :class:`ApiError` for error answers."""
        self._extra_methods[name.lower()] = (name, handler)

    # ------------------------------------------------------------------ recorded state

    @property
    def calls(self) -> list[Call]:
        """Every request so far (snapshots), including rejected and faulted ones."""
        with self._cond:
            return [copy.copy(c) for c in self._calls]

    def calls_to(self, method: str) -> list[Call]:
        with self._cond:
            return [copy.copy(c) for c in self._calls if c.method.lower() == method.lower()]

    @property
    def internal_errors(self) -> list[Exception]:
        """Exceptions raised by the double itself (answered as 500); should stay empty."""
        with self._cond:
            return list(self._internal_errors)

    def sent_messages(self, chat_id: int) -> list[JSON]:
        """Messages the bot delivered to a chat, in order, as they are now (edits applied)."""
        with self._cond:
            chat = self._chats.get(chat_id)
            return copy.deepcopy(chat.sent) if chat else []

    def sent_texts(self, chat_id: int) -> list[str]:
        return [m.get("text", "") for m in self.sent_messages(chat_id)]

    def message(self, chat_id: int, message_id: int) -> JSON:
        """Any message of a chat (user's or bot's) as it is now."""
        with self._cond:
            return copy.deepcopy(self._chats[chat_id].messages[message_id])

    def query_answer(self, query_id: str) -> JSON | None:
        """The parameters of answerCallbackQuery/answerInlineQuery for a pushed query."""
        with self._cond:
            query = self._queries.get(query_id)
            return copy.deepcopy(query.answer) if query else None

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by getUpdates(offset=...)."""
        with self._cond:
            return copy.deepcopy(self._updates)

    @property
    def webhook(self) -> JSON:
        """The registered webhook (url, secret_token, ...) or {} if none."""
        with self._cond:
            return dict(self._webhook)

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        with self._cond:
            return copy.deepcopy(self._commands.get(_commands_key(scope, language_code), []))

    def bot_status(self, chat_id: int) -> str:
        """member / administrator / left / kicked (kicked in a private chat = blocked)."""
        with self._cond:
            return self._chats[chat_id].bot_status

    # ------------------------------------------------------------------ waiting (no sleeps)

    def wait_until(self, predicate: Callable[[], T | None], timeout: float = 5.0, what: str = "") -> T:
        """Block until ``predicate()`` is truthy (re-checked on every state change)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate()
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"timed out after {timeout}s waiting for {what or predicate}")
                self._cond.wait(remaining)

    def wait_for_messages(self, chat_id: int, count: int, timeout: float = 5.0) -> list[JSON]:
        """Wait until the bot has delivered at least ``count`` messages to ``chat_id`` in total."""

        def enough() -> list[JSON] | None:
            chat = self._chats.get(chat_id)
            sent = chat.sent if chat else []
            return copy.deepcopy(sent) if len(sent) >= count else None

        try:
            return self.wait_until(enough, timeout)
        except TimeoutError:
            got = self.sent_texts(chat_id)
            raise TimeoutError(
                f"expected {count} message(s) in chat {chat_id} within {timeout}s, got {len(got)}: {got!r}"
            ) from None

    def wait_for_calls(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until ``count`` calls of ``method`` have been answered (or dropped)."""

        def done() -> list[Call] | None:
            calls = [c for c in self._calls if c.method.lower() == method.lower() and c.finished]
            return calls if len(calls) >= count else None

        return self.wait_until(done, timeout, f"{count} finished {method} call(s)")

    def wait_for_poller(self, timeout: float = 5.0) -> None:
        """Wait until a getUpdates long poll is blocked waiting for updates."""
        self.wait_until(lambda: self._pollers > 0, timeout, "a waiting getUpdates")

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Wait until no request is being handled (e.g. a slow fault has played out)."""
        self.wait_until(lambda: self._in_flight == 0 or None, timeout, "no request in flight")

    async def wait_for_messages_async(self, chat_id: int, count: int, timeout: float = 5.0) -> list[JSON]:
        """``wait_for_messages`` without blocking the event loop the bot runs on."""
        return await asyncio.to_thread(self.wait_for_messages, chat_id, count, timeout)

    async def wait_for_calls_async(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        return await asyncio.to_thread(self.wait_for_calls, method, count, timeout)

    async def wait_for_poller_async(self, timeout: float = 5.0) -> None:
        await asyncio.to_thread(self.wait_for_poller, timeout)

    async def wait_idle_async(self, timeout: float = 5.0) -> None:
        await asyncio.to_thread(self.wait_idle, timeout)

    # ------------------------------------------------------------------ users and chats

    def add_user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> JSON:
        """Register (or replace) a user; push_* create unknown users with default names."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name or f"User{user_id}"}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        with self._cond:
            self._users[user_id] = user
        return dict(user)

    def add_chat(
        self,
        chat_id: int,
        chat_type: ChatType | None = None,
        *,
        title: str | None = None,
        username: str | None = None,
    ) -> JSON:
        """Make a chat known, so the bot can send to it (Telegram: "chat not found" otherwise)."""
        with self._cond:
            return dict(self._ensure_chat(chat_id, chat_type, title=title, username=username).data)

    def _ensure_user(self, user_id: int) -> JSON:
        if user_id not in self._users:
            self.add_user(user_id)
        return self._users[user_id]

    def _ensure_chat(
        self,
        chat_id: int,
        chat_type: ChatType | None = None,
        *,
        title: str | None = None,
        username: str | None = None,
    ) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is not None:
            if chat_type is not None and chat.type != chat_type:
                raise ValueError(f"chat {chat_id} is a {chat.type}, not a {chat_type}")
            return chat
        if chat_type is None:
            if chat_id > 0:
                chat_type = "private"
            elif chat_id <= -1_000_000_000_000:
                chat_type = "supergroup"
            else:
                chat_type = "group"
        data: JSON
        if chat_type == "private":
            if chat_id <= 0:
                raise ValueError("a private chat's id is the user's id (positive)")
            user = self._ensure_user(chat_id)
            data = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
            for key in ("last_name", "username"):
                if key in user:
                    data[key] = user[key]
        else:
            if chat_id >= 0:
                raise ValueError("group, supergroup and channel ids are negative")
            data = {"id": chat_id, "type": chat_type, "title": title or f"Test {chat_type} {-chat_id}"}
            if username:
                data["username"] = username
        status = "administrator" if chat_type == "channel" else "member"
        chat = _Chat(data=data, bot_status=status)
        self._chats[chat_id] = chat
        return chat

    def _bot_public(self) -> JSON:
        return {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")}

    # ------------------------------------------------------------------ updates (test hooks)

    def _next_update(self, kind: str, payload: JSON, queue: bool) -> JSON | None:
        """Number an update and queue it unless getUpdates' allowed_updates filters it out."""
        if kind not in self._allowed_updates and queue:
            return None  # Telegram does not even store filtered updates
        update = {"update_id": next(self._update_ids), kind: copy.deepcopy(payload)}
        if queue:
            self._updates.append(update)
            self._cond.notify_all()
        return copy.deepcopy(update)

    def _bot_sees(self, chat: _Chat, message: JSON) -> bool:
        """Who gets what: blocked/removed bots nothing, privacy mode only what addresses them."""
        if chat.bot_status in ("left", "kicked"):
            return False
        if chat.type in ("private", "channel") or not self.privacy_mode:
            return True
        if any(key in message for key in ("new_chat_members", "left_chat_member", "group_chat_created")):
            return True
        reply = message.get("reply_to_message")
        if reply and reply.get("from", {}).get("id") == self.bot_id:
            return True
        text = message.get("text") or message.get("caption") or ""
        found = message.get("entities") or message.get("caption_entities") or []
        for entity in found:
            value = ent.entity_text(text, entity).lower()
            if entity["type"] == "mention" and value == f"@{self.username.lower()}":
                return True
            if entity["type"] == "bot_command" and entity["offset"] == 0:
                _, _, target = value.partition("@")
                return target in ("", self.username.lower())
        return False

    def _attachment(self, kind: Attachment) -> JSON:
        n = next(self._file_ids)
        file_id, unique_id = f"FAKE-{kind}-{n}", f"U{kind[:3]}{n}"
        if kind in _MEDIA_FIELDS:
            return {kind: {"file_id": file_id, "file_unique_id": unique_id, **_MEDIA_FIELDS[kind]}}
        if kind == "photo":  # Telegram sends several sizes, smallest first
            sizes = [(90, 67, 1200), (1280, 960, 90000)]
            return {
                "photo": [
                    {"file_id": f"{file_id}-{w}", "file_unique_id": f"{unique_id}{w}", "width": w,
                     "height": h, "file_size": size}
                    for w, h, size in sizes
                ]
            }  # fmt: skip
        if kind == "location":
            return {"location": {"latitude": 52.520008, "longitude": 13.404954}}
        if kind == "contact":
            return {"contact": {"phone_number": "+15555550100", "first_name": "Alex"}}
        raise ValueError(f"unknown attachment {kind!r}")

    def _user_message(
        self,
        chat: _Chat,
        user: JSON | None,
        text: str | None,
        *,
        entities: list[JSON] | None,
        attachment: Attachment | None,
        caption: str | None,
        reply_to: int | None,
    ) -> JSON:
        message: JSON = {"message_id": chat.allocate_message_id()}
        if user is not None:
            message["from"] = copy.deepcopy(user)
        else:
            message["sender_chat"] = copy.deepcopy(chat.data)
        message["chat"] = copy.deepcopy(chat.data)
        message["date"] = int(time.time())
        if reply_to is not None:
            target = chat.messages.get(reply_to)
            if target is None:
                raise ValueError(f"no message {reply_to} in chat {chat.id} to reply to")
            message["reply_to_message"] = _without_reply(target)
        if attachment is not None:
            message.update(self._attachment(attachment))
            if caption:
                message["caption"] = caption
                found = entities if entities is not None else ent.with_auto_entities(caption, [])
                if found:
                    message["caption_entities"] = found
        elif text is not None:
            if not text:
                raise ValueError("Telegram never delivers an empty text message")
            message["text"] = text
            found = entities if entities is not None else ent.with_auto_entities(text, [])
            if found:
                message["entities"] = found
        else:
            raise ValueError("give text or an attachment")
        chat.messages[message["message_id"]] = message
        return message

    def push_message(
        self,
        chat_id: int,
        user_id: int,
        text: str | None = None,
        *,
        chat_type: ChatType | None = None,
        reply_to: int | None = None,
        entities: list[JSON] | None = None,
        attachment: Attachment | None = None,
        caption: str | None = None,
        queue: bool = True,
    ) -> JSON | None:
        """A user writes in a chat; returns the Update, or None if the bot would not get it.

        ``entities=None`` detects mentions, /commands, #hashtags, URLs and e-mails as Telegram
        does. In groups, privacy mode (default) only delivers /commands, @mentions of the bot
        and replies to the bot. ``queue=False`` builds the update without queueing it (webhook
        tests POST it themselves).
        """
        with self._cond:
            user = self._ensure_user(user_id)
            chat = self._ensure_chat(chat_id, chat_type)
            if chat.type == "private" and chat_id != user_id:
                raise ValueError("in a private chat, chat_id is the user's id")
            if chat.type == "channel":
                raise ValueError("use push_channel_post for channels")
            message = self._user_message(
                chat,
                user,
                text,
                entities=entities,
                attachment=attachment,
                caption=caption,
                reply_to=reply_to,
            )
            if not self._bot_sees(chat, message):
                return None
            return self._next_update("message", message, queue)

    def push_edited_message(self, chat_id: int, message_id: int, text: str, *, queue: bool = True) -> JSON | None:
        """The author edits an earlier pushed text message."""
        with self._cond:
            chat = self._chats[chat_id]
            message = chat.messages[message_id]
            if message.get("from", {}).get("id") == self.bot_id or "text" not in message:
                raise ValueError("only a user's text message can be edited this way")
            message["text"] = text
            found = ent.with_auto_entities(text, [])
            message.pop("entities", None)
            if found:
                message["entities"] = found
            message["edit_date"] = int(time.time())
            if not self._bot_sees(chat, message):
                return None
            return self._next_update("edited_message", message, queue)

    def push_channel_post(
        self, chat_id: int, text: str, *, title: str | None = None, queue: bool = True
    ) -> JSON | None:
        """A post in a channel where the bot is an administrator."""
        with self._cond:
            chat = self._ensure_chat(chat_id, "channel", title=title)
            message = self._user_message(chat, None, text, entities=None, attachment=None, caption=None, reply_to=None)
            if not self._bot_sees(chat, message):
                return None
            return self._next_update("channel_post", message, queue)

    def push_callback_query(
        self,
        chat_id: int,
        user_id: int,
        message_id: int,
        data: str,
        *,
        check_button: bool = True,
        queue: bool = True,
    ) -> JSON | None:
        """A user presses an inline button of a bot message (answer it via the query id).

        With ``check_button`` the message must carry a button with this callback_data, as in
        real life; a message Telegram no longer has becomes an InaccessibleMessage (date 0).
        """
        with self._cond:
            user = self._ensure_user(user_id)
            chat = self._chats.get(chat_id)
            if chat is None:
                raise ValueError(f"unknown chat {chat_id}")
            message = chat.messages.get(message_id)
            if message is not None and check_button:
                rows = message.get("reply_markup", {}).get("inline_keyboard", [])
                if data not in [b.get("callback_data") for row in rows for b in row]:
                    raise ValueError(f"message {message_id} has no button with data {data!r}")
            query_id = str(next(self._query_ids))
            payload: JSON = {
                "id": query_id,
                "from": copy.deepcopy(user),
                "message": copy.deepcopy(message)
                if message is not None
                else {"chat": copy.deepcopy(chat.data), "message_id": message_id, "date": 0},
                "chat_instance": str(abs(chat_id) * 7919 + self.bot_id),
                "data": data,
            }
            update = self._next_update("callback_query", payload, queue)
            if update is not None:
                self._queries[query_id] = _Query("callback_query", update)
            return update

    def push_inline_query(
        self,
        user_id: int,
        query: str,
        *,
        offset: str = "",
        chat_type: str | None = None,
        queue: bool = True,
    ) -> JSON | None:
        """A user types ``@bot query`` in any chat."""
        with self._cond:
            user = self._ensure_user(user_id)
            query_id = str(next(self._query_ids))
            payload: JSON = {"id": query_id, "from": copy.deepcopy(user), "query": query, "offset": offset}
            if chat_type is not None:
                payload["chat_type"] = chat_type
            update = self._next_update("inline_query", payload, queue)
            if update is not None:
                self._queries[query_id] = _Query("inline_query", update)
            return update

    def push_my_chat_member(
        self,
        chat_id: int,
        added: bool = True,
        *,
        by_user_id: int | None = None,
        chat_type: ChatType | None = None,
        as_admin: bool = False,
        service_message: bool = True,
        queue: bool = True,
    ) -> JSON | None:
        """The bot is added to / removed from a chat; in a private chat: (un)blocked.

        Sending to the chat afterwards fails with Telegram's 403 errors. When the bot is added
        to a group, Telegram also sends a ``new_chat_members`` service message; so does this
        (``service_message=False`` to skip it). Returns the my_chat_member update.
        """
        with self._cond:
            chat = self._ensure_chat(chat_id, chat_type)
            if by_user_id is None:
                by_user_id = chat_id if chat.type == "private" else DEFAULT_ADMIN_ID
            user = self._ensure_user(by_user_id)
            old = chat.bot_status
            if added:
                new = "administrator" if as_admin or chat.type == "channel" else "member"
            else:  # blocked by the user / banned from a supergroup or channel / removed from a group
                new = "left" if chat.type == "group" else "kicked"
            chat.bot_status = new
            payload = {
                "chat": copy.deepcopy(chat.data),
                "from": copy.deepcopy(user),
                "date": int(time.time()),
                "old_chat_member": self._bot_member(old),
                "new_chat_member": self._bot_member(new),
            }
            update = self._next_update("my_chat_member", payload, queue)
            if added and service_message and chat.type in ("group", "supergroup"):
                self._push_service(chat, user, {"new_chat_members": [self._bot_public()]}, queue)
            return update

    def _bot_member(self, status: str) -> JSON:
        member: JSON = {"user": self._bot_public(), "status": status}
        if status == "kicked":
            member["until_date"] = 0
        elif status == "administrator":
            member.update({"can_be_edited": False, "is_anonymous": False, "can_promote_members": False})
            member.update(dict.fromkeys(_ADMIN_RIGHTS, True))
        return member

    def _push_service(self, chat: _Chat, user: JSON, content: JSON, queue: bool) -> JSON | None:
        message: JSON = {
            "message_id": chat.allocate_message_id(),
            "from": copy.deepcopy(user),
            "chat": copy.deepcopy(chat.data),
            "date": int(time.time()),
            **copy.deepcopy(content),
        }
        chat.messages[message["message_id"]] = message
        if not self._bot_sees(chat, message):
            return None
        return self._next_update("message", message, queue)

    def push_new_chat_members(
        self,
        chat_id: int,
        user_ids: Iterable[int],
        *,
        by_user_id: int | None = None,
        chat_type: ChatType | None = None,
        queue: bool = True,
    ) -> JSON | None:
        """Service message: users joined (or were added to) a group."""
        with self._cond:
            chat = self._ensure_chat(chat_id, chat_type)
            if chat.type not in ("group", "supergroup"):
                raise ValueError("new_chat_members only exists in groups")
            ids = list(user_ids)
            members = [
                self._bot_public() if uid == self.bot_id else copy.deepcopy(self._ensure_user(uid)) for uid in ids
            ]
            if self.bot_id in ids:
                chat.bot_status = "member"
            adder = self._ensure_user(by_user_id if by_user_id is not None else ids[0])
            return self._push_service(chat, adder, {"new_chat_members": members}, queue)

    async def post_update(
        self, url: str, update: JSON, *, secret_token: str | None = None, timeout: float = 5.0
    ) -> int:
        """POST an update to a bot's webhook server, as Telegram would; returns the HTTP status.

        The secret defaults to the one registered with setWebhook.
        """
        headers = {"Content-Type": "application/json"}
        secret = secret_token if secret_token is not None else self.webhook.get("secret_token")
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        async with httpx.AsyncClient(trust_env=False, timeout=timeout) as client:
            response = await client.post(url, content=json.dumps(update), headers=headers)
        return response.status_code

    # ------------------------------------------------------------------ shared validation

    def _chat_for(self, params: JSON, key: str = "chat_id") -> _Chat:
        raw = params.get(key)
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        if isinstance(raw, str) and raw.startswith("@"):
            for chat in self._chats.values():
                if str(chat.data.get("username", "")).lower() == raw[1:].lower():
                    return chat
            raise bad_request("chat not found")
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise bad_request("chat not found")
        known = self._chats.get(raw)
        if known is None:
            if raw in self._users:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            raise bad_request("chat not found")
        return known

    def _check_can_write(self, chat: _Chat) -> None:
        if chat.type == "private" and chat.bot_status == "kicked":
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat.type != "private" and chat.bot_status in ("left", "kicked"):
            if chat.type == "channel":
                raise ApiError(403, "Forbidden: bot is not a member of the channel chat")
            if chat.bot_status == "kicked":
                raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")

    def _formatted(
        self, params: JSON, text_key: str = "text", entities_key: str = "entities"
    ) -> tuple[str, list[JSON]]:
        """Text after parse_mode/entities handling, trimmed, with auto-detected entities."""
        raw = params.get(text_key)
        if raw is None or raw == "":
            raise bad_request("message text is empty")
        text = str(raw)
        given = params.get(entities_key)
        if given is not None:
            if not isinstance(given, list) or not all(_is_entity(e) for e in given):
                raise bad_request("can't parse entities JSON object")
            found: list[JSON] = [dict(e) for e in given]
        else:
            mode = str(params.get("parse_mode") or "")
            if mode.lower() == "html":
                try:
                    text, found = ent.parse_html(text)
                except ent.EntityParseError as exc:
                    raise bad_request(f"can't parse entities: {exc}") from None
            elif mode.lower() in ("markdown", "markdownv2"):
                raise bad_request(f"[botapi double] parse_mode {mode} is not emulated; use HTML or extend tests/botapi")
            elif mode:
                raise bad_request("unsupported parse_mode")
            else:
                found = []
        text, found = ent.trim(text, found)
        if not text:
            raise bad_request("message text is empty")
        for entity in found:
            if entity["type"] == "text_mention":
                uid = entity["user"]["id"]
                entity["user"] = copy.deepcopy(self._users.get(uid, {"id": uid, "is_bot": False, "first_name": ""}))
        return text, ent.with_auto_entities(text, found)

    def _reply_markup(self, params: JSON) -> JSON | None:
        raw = params.get("reply_markup")
        if raw is None:
            return None
        if not isinstance(raw, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in raw:
            rows = raw["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
            for button in (b for row in rows for b in row):
                _check_inline_button(button)
            return {"inline_keyboard": copy.deepcopy(rows)}
        if "keyboard" in raw:
            rows = raw["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
            return None  # reply keyboards are not echoed in the returned Message
        if "remove_keyboard" in raw or "force_reply" in raw:
            return None
        raise bad_request("can't parse reply keyboard markup JSON object")

    def _reply_target(self, chat: _Chat, params: JSON) -> JSON | None:
        reply = params.get("reply_parameters")
        if reply is not None:
            if not isinstance(reply, dict) or not isinstance(reply.get("message_id"), int):
                raise bad_request("can't parse reply parameters JSON object")
            target_chat = self._chat_for(reply) if "chat_id" in reply else chat
            if target_chat is not chat:
                raise bad_request("[botapi double] replies to other chats are not emulated")
            message_id = reply["message_id"]
            allow = bool(reply.get("allow_sending_without_reply", False))
        elif params.get("reply_to_message_id") is not None:
            message_id = params["reply_to_message_id"]
            allow = params.get("allow_sending_without_reply") is True
        else:
            return None
        target = chat.messages.get(message_id) if isinstance(message_id, int) else None
        if target is None and not allow:
            raise bad_request("message to be replied not found")
        return _without_reply(target) if target is not None else None

    def _message_to_edit(self, params: JSON) -> tuple[_Chat, JSON]:
        message_id = params.get("message_id")
        if params.get("chat_id") is None and message_id is None:
            raise bad_request("message identifier is not specified")
        chat = self._chat_for(params)
        if not isinstance(message_id, int):
            raise bad_request("message identifier is not specified")
        message = chat.messages.get(message_id)
        if message is None:
            raise bad_request("message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id and chat.type != "channel":
            raise bad_request("message can't be edited")
        return chat, message

    # ------------------------------------------------------------------ Bot API methods

    @_api("getMe")
    def _get_me(self, params: JSON) -> Any:
        return self.bot_user

    @_api("logOut")
    def _log_out(self, params: JSON) -> Any:
        return True

    @_api("close")
    def _close(self, params: JSON) -> Any:
        return True

    @_api("getUpdates")
    def _get_updates(self, params: JSON) -> Any:
        if self._webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = _as_int(params.get("offset", 0), "offset")
        limit = min(max(_as_int(params.get("limit", 100), "limit"), 1), 100)
        timeout = params.get("timeout", 0)
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool):
            raise bad_request("invalid timeout specified")
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):  # kept for later calls, as Telegram does
            self._allowed_updates = frozenset(allowed) if allowed else _DEFAULT_ALLOWED

        if offset < 0:
            del self._updates[: max(0, len(self._updates) + offset)]
        elif offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

        self._poll_generation += 1
        generation = self._poll_generation
        self._cond.notify_all()  # terminates an older long poll (409 below)
        deadline = time.monotonic() + max(0.0, min(float(timeout), 50.0))
        self._pollers += 1
        self._cond.notify_all()
        try:
            while True:
                if generation != self._poll_generation:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that only "
                        "one bot instance is running",
                    )
                remaining = deadline - time.monotonic()
                if self._updates or remaining <= 0 or self._closing.is_set():
                    return self._updates[:limit]
                self._cond.wait(remaining)
        finally:
            self._pollers -= 1

    @_api("sendMessage")
    def _send_message(self, params: JSON) -> Any:
        text, found = self._formatted(params)
        markup = self._reply_markup(params)
        chat = self._chat_for(params)
        self._check_can_write(chat)
        if len(text) > MAX_MESSAGE_LENGTH:
            raise bad_request("message is too long")
        reply_to = self._reply_target(chat, params)
        message: JSON = {"message_id": chat.allocate_message_id()}
        if chat.type == "channel":
            message["sender_chat"] = copy.deepcopy(chat.data)
        else:
            message["from"] = self._bot_public()
        message.update({"chat": copy.deepcopy(chat.data), "date": int(time.time())})
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        message["text"] = text
        if found:
            message["entities"] = found
        if markup is not None:
            message["reply_markup"] = markup
        if params.get("protect_content") is True:
            message["has_protected_content"] = True
        chat.messages[message["message_id"]] = message
        chat.sent.append(message)
        return message

    @_api("editMessageText")
    def _edit_message_text(self, params: JSON) -> Any:
        text, found = self._formatted(params)
        markup = self._reply_markup(params)
        if params.get("inline_message_id"):
            return True
        _, message = self._message_to_edit(params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        if len(text) > MAX_MESSAGE_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        # Omitting reply_markup in an edit removes the inline keyboard, as on Telegram.
        unchanged = (
            message["text"] == text and message.get("entities", []) == found and message.get("reply_markup") == markup
        )
        if unchanged:
            raise bad_request(NOT_MODIFIED)
        message["text"] = text
        _set_or_drop(message, "entities", found or None)
        _set_or_drop(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        return message

    @_api("editMessageReplyMarkup")
    def _edit_message_reply_markup(self, params: JSON) -> Any:
        markup = self._reply_markup(params)
        if params.get("inline_message_id"):
            return True
        _, message = self._message_to_edit(params)
        if message.get("reply_markup") == markup:
            raise bad_request(NOT_MODIFIED)
        _set_or_drop(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        return message

    @_api("deleteMessage")
    def _delete_message(self, params: JSON) -> Any:
        chat = self._chat_for(params)
        message_id = params.get("message_id")
        if not isinstance(message_id, int) or message_id not in chat.messages:
            raise bad_request("message to delete not found")
        del chat.messages[message_id]  # stays in sent_messages(): it *was* delivered
        return True

    @_api("sendChatAction")
    def _send_chat_action(self, params: JSON) -> Any:
        chat = self._chat_for(params)
        self._check_can_write(chat)
        if params.get("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    @_api("answerCallbackQuery")
    def _answer_callback_query(self, params: JSON) -> Any:
        query = self._queries.get(str(params.get("callback_query_id", "")))
        if query is None or query.kind != "callback_query" or query.answer is not None:
            raise bad_request(QUERY_TOO_OLD)
        if len(str(params.get("text", ""))) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answer = dict(params)
        return True

    @_api("answerInlineQuery")
    def _answer_inline_query(self, params: JSON) -> Any:
        query = self._queries.get(str(params.get("inline_query_id", "")))
        if query is None or query.kind != "inline_query" or query.answer is not None:
            raise bad_request(QUERY_TOO_OLD)
        results = params.get("results")
        if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
            raise bad_request("can't parse JSON encoded inline query results")
        if len(results) > MAX_INLINE_RESULTS:
            raise bad_request("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            result_id = result.get("id")
            if not isinstance(result_id, str) or not 1 <= len(result_id.encode()) <= 64:
                raise bad_request("RESULT_ID_INVALID")
            if result_id in seen:
                raise bad_request("RESULT_ID_DUPLICATE")
            seen.add(result_id)
            content = result.get("input_message_content")
            if isinstance(content, dict) and "message_text" in content:
                self._formatted(content, "message_text")
            if isinstance(result.get("reply_markup"), dict):
                self._reply_markup({"reply_markup": result["reply_markup"]})
        query.answer = dict(params)
        return True

    @_api("setMyCommands")
    def _set_my_commands(self, params: JSON) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list) or not all(isinstance(c, dict) for c in commands):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not _COMMAND_NAME.match(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = _commands_key(params.get("scope"), str(params.get("language_code", "")))
        self._commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
        return True

    @_api("getMyCommands")
    def _get_my_commands(self, params: JSON) -> Any:
        key = _commands_key(params.get("scope"), str(params.get("language_code", "")))
        return self._commands.get(key, [])

    @_api("deleteMyCommands")
    def _delete_my_commands(self, params: JSON) -> Any:
        key = _commands_key(params.get("scope"), str(params.get("language_code", "")))
        self._commands.pop(key, None)
        return True

    @_api("setWebhook")
    def _set_webhook(self, params: JSON) -> Any:
        url = str(params.get("url", "")).strip()
        if not url:
            return self._delete_webhook(params)
        parts = urlsplit(url)
        if parts.scheme.lower() != "https" or not parts.hostname:
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if parts.port not in (None, 80, 88, 443, 8443):
            raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN.match(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        max_connections = _as_int(params.get("max_connections", 40), "max_connections")
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else _DEFAULT_ALLOWED
        if params.get("drop_pending_updates") is True:
            self._updates.clear()
        already = self._webhook.get("url") == url
        self._webhook = {
            "url": url,
            "secret_token": secret,
            "max_connections": min(max(max_connections, 1), 100),
            "ip_address": params.get("ip_address"),
            "has_custom_certificate": "certificate" in params,
            "allowed_updates": allowed if isinstance(allowed, list) else None,
        }
        return _Described(True, "Webhook is already set" if already else "Webhook was set")

    @_api("deleteWebhook")
    def _delete_webhook(self, params: JSON) -> Any:
        if params.get("drop_pending_updates") is True:
            self._updates.clear()
        had = bool(self._webhook.get("url"))
        self._webhook = {}
        return _Described(True, "Webhook was deleted" if had else "Webhook is already deleted")

    @_api("getWebhookInfo")
    def _get_webhook_info(self, params: JSON) -> Any:
        info: JSON = {
            "url": self._webhook.get("url", ""),
            "has_custom_certificate": bool(self._webhook.get("has_custom_certificate")),
            "pending_update_count": len(self._updates),
        }
        if self._webhook.get("url"):
            info["max_connections"] = self._webhook["max_connections"]
            for key in ("ip_address", "allowed_updates"):
                if self._webhook.get(key):
                    info[key] = self._webhook[key]
        return info


# ---------------------------------------------------------------------- helpers


def _without_reply(message: JSON) -> JSON:
    """Telegram nests reply_to_message one level deep only."""
    return {k: copy.deepcopy(v) for k, v in message.items() if k != "reply_to_message"}


def _set_or_drop(message: JSON, key: str, value: Any) -> None:
    if value is None:
        message.pop(key, None)
    else:
        message[key] = value


def _as_int(value: Any, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise bad_request(f"invalid {name} specified")


def _is_entity(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("type"), str)
        and isinstance(value.get("offset"), int)
        and isinstance(value.get("length"), int)
    )


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
    actions = [key for key in _INLINE_BUTTON_ACTIONS if key in button]
    if not actions:
        raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = str(button["url"])
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https", "tg") or not (parts.netloc or parts.path):
            raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def _commands_key(scope: Any, language_code: str) -> tuple[str, str]:
    scope = scope if isinstance(scope, dict) else {"type": "default"}
    return json.dumps(scope, sort_keys=True), language_code
