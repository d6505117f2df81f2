"""The web chat server (tornado): the page, a form that works without JavaScript, a small JSON API.

Routes:
    GET  /               the page with this session's conversation so far
    POST /               form: `text` (a question) or `card` (a button), with the form `token`;
                         answered with a redirect to the page (or the page itself for a new session)
    POST /api/message    JSON {"text": "..."}   -> {"items": [html, ...], "kind": ..., "card": ...}
    POST /api/press      JSON {"card": "id"}    -> the same
    GET  /healthz        200 "ok"
    GET  /static/...     chat.js, chat.css

tornado because python-telegram-bot[webhooks] already brings it (the webhook server uses it too): an
async, well-kept server with no new dependency. The Brain is called inline: it does no I/O and answers
in well under a millisecond. Every response carries a strict Content-Security-Policy. The access log
is tornado's own with paths and statuses only: never message text, session ids or addresses.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import signal
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web
from tornado.http1connection import HTTP1Connection

from bot.adapters.shared.keys import derive
from bot.adapters.shared.missed_log import FILE_NAME as MISSED_FILE
from bot.adapters.shared.missed_log import MissedLog
from bot.adapters.shared.reload import Reloader, Watcher
from bot.adapters.shared.sqlite_context import SqliteContextStore
from bot.adapters.shared.stats import Stats
from bot.brain import Brain
from bot.context import ContextStore
from bot.render import Reply, admin_text, welcome
from bot.router import MAX_MATCH_CHARS
from bot.settings import Settings

from .format import reply_html
from .page import embed_snippet, page, user_html
from .sessions import COOKIE, Keys, Limits, RateLimiter, Said, Transcripts, load_secret

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
WEB_CONTEXT_FILE = "web-context.sqlite3"
MAX_BODY = 32 * 1024  # 4096 characters of any script, even percent-encoded by a form, plus room
MAX_CARD_ID = 100
COOKIE_DAYS = 1  # a visit; the Brain's context forgets sooner (30 minutes)

# The web chat's own notices. The catalog has no such messages yet (they would need new keys in
# content/messages.yaml), so the text is here; render.admin_text escapes it and appends the disclaimer.
SLOW_DOWN = (
    "You are sending messages faster than I can take them. Please wait a minute, then send your question "
    "again. Take your time: nothing here runs out."
)
TOO_BIG = "That message is too long for me to receive. Please send a shorter question, one at a time."
UNREADABLE = "Sorry, I could not read that message. Please type your question and send it again."
STALE_FORM = "This page was out of date, so nothing was sent. Please type your question again."

# control characters (except tab and newline) and the Unicode direction overrides and isolates, which
# could make a message display as something other than what was typed
_HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """What the visitor typed, without invisible control and direction characters; \\r\\n → \\n."""
    return _HIDDEN.sub("", unicodedata.normalize("NFC", text.replace("\r\n", "\n")))


@dataclass(frozen=True)
class WebConfig:
    frame_ancestors: str = "'none'"
    behind_proxy: bool = False
    limits: Limits = field(default_factory=Limits)


def csp(frame_ancestors: str) -> str:
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        f"form-action 'self'; frame-ancestors {frame_ancestors}; base-uri 'none'"
    )


def _asset_version() -> str:
    digest = hashlib.sha256()
    for name in ("chat.css", "chat.js"):
        digest.update((STATIC / name).read_bytes())
    return digest.hexdigest()[:12]


class Chat:
    """What every request shares: the Brain, the keys, the limits and the transcripts (typed, not a dict)."""

    def __init__(
        self,
        brain: Brain,
        keys: Keys,
        config: WebConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.brain, self.keys, self.config, self.wall = brain, keys, config, wall
        self.stats = Stats()  # counted as on every surface
        self.missed: MissedLog | None = None  # the unmatched-question log, when the operator turned it on
        limits = config.limits
        self.per_session = RateLimiter(limits.per_session, limits.max_tracked, clock)
        self.per_ip = RateLimiter(limits.per_ip, limits.max_tracked, clock)
        self.transcripts = Transcripts()
        self.csp = csp(config.frame_ancestors)
        self.asset_version = _asset_version()

    def allowed(self, conversation: str, ip: str) -> bool:
        """Both buckets must have room; the IP's is checked first, so a flood of new sessions meets it."""
        return self.per_ip.allow(ip) and self.per_session.allow(conversation)

    async def ask(self, conversation: str, text: str) -> tuple[Said, Said]:
        text = clean(text)
        reply = (await self.brain.aturn(text, conversation, self.wall())).reply
        self.stats.count(reply)
        if reply.kind == "fallback" and self.missed is not None:
            self.missed.add(" ".join(self.brain.router.normalize.words_of(text[:MAX_MATCH_CHARS])))
        return self.transcripts.add(conversation, text=text), self.transcripts.add(conversation, reply=reply)

    async def press(self, conversation: str, card: str) -> Said:
        reply = await self.brain.apress(card[:MAX_CARD_ID], conversation, self.wall())
        self.stats.count(reply)
        return self.transcripts.add(conversation, reply=reply)

    def notice(self, conversation: str | None, text: str) -> Said:
        """One of the web chat's own notices, with the disclaimer; kept in the transcript when there is one."""
        reply = admin_text(self.brain.catalog, text)
        if conversation is None:
            return Said(0, reply=reply)
        return self.transcripts.add(conversation, reply=reply)

    def item_html(self, said: Said, session: str) -> str:
        anchor = f"m{said.seq}"
        if said.reply is not None:
            return reply_html(said.reply, form_token=self.keys.form_token(session), anchor=anchor)
        return user_html(said.text or "", anchor=anchor)

    def page_html(self, session: str, conversation: str) -> str:
        lines = self.transcripts.lines(conversation)
        first = reply_html(welcome(self.brain.catalog), form_token=self.keys.form_token(session), anchor="m0")
        items = [first, *(self.item_html(s, session) for s in lines)]
        return page(items, form_token=self.keys.form_token(session), asset_version=self.asset_version)


class ChatApp(tornado.web.Application):
    """tornado's Application with the shared state as a typed attribute."""

    def __init__(self, chat: Chat, handlers: list[Any], **settings: Any) -> None:
        self.chat = chat
        super().__init__(handlers, **settings)


def _secure_headers(handler: tornado.web.RequestHandler, chat: Chat) -> None:
    handler.set_header("Content-Security-Policy", chat.csp)
    handler.set_header("X-Content-Type-Options", "nosniff")
    handler.set_header("Referrer-Policy", "no-referrer")
    handler.clear_header("Server")


class Base(tornado.web.RequestHandler):
    """Security headers on every response; the session from its cookie (a new one when absent)."""

    application: ChatApp

    def initialize(self) -> None:
        self.session = ""
        self.known = False  # the request came with a valid session cookie

    @property
    def chat(self) -> Chat:
        return self.application.chat

    def set_default_headers(self) -> None:  # runs before initialize, and again before an error page
        _secure_headers(self, self.chat)
        self.set_header("Cache-Control", "no-store")

    def use_session(self) -> None:
        given = self.get_cookie(COOKIE)
        if given is not None and Keys.valid(given):
            self.session, self.known = given, True
            return
        self.session = Keys.new_session()
        self.set_cookie(
            COOKIE,
            self.session,
            path="/",
            httponly=True,
            samesite="Lax",
            secure=self.request.protocol == "https",  # known behind a proxy with BOT_WEB_BEHIND_PROXY=1
            expires_days=COOKIE_DAYS,
        )

    def compute_etag(self) -> str | None:
        return None  # private, never cached

    @property
    def conversation(self) -> str:
        return self.chat.keys.conversation(self.session)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"{status_code} {self._reason}\n")

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, tornado.web.HTTPError):
            return
        log.error("web: error while answering %s %s (%s)", self.request.method, self.request.path, typ.__name__)


@tornado.web.stream_request_body
class Posted(Base):
    """A POST body, capped at MAX_BODY before it is read; too big is answered with a notice."""

    max_body = MAX_BODY

    def initialize(self) -> None:
        super().initialize()
        self.chunks: list[bytes] = []
        self.size = 0
        self.too_big = False

    def prepare(self) -> None:
        length = self.request.headers.get("Content-Length", "0")
        declared = int(length) if length.isdigit() else 0  # tornado itself refuses a malformed length
        self.too_big = declared > self.max_body
        connection = self.request.connection
        if isinstance(connection, HTTP1Connection):
            # the whole body is refused by tornado past this; up to it, it is read and dropped
            connection.set_max_body_size(max(self.max_body, min(declared, 10 * self.max_body)))

    def data_received(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_body:
            self.too_big = True
            self.chunks.clear()
        elif not self.too_big:
            self.chunks.append(chunk)

    @property
    def raw(self) -> bytes:
        return b"".join(self.chunks)

    @property
    def ip(self) -> str:
        return self.request.remote_ip or "?"


class PageHandler(Posted):
    def get(self) -> None:
        self.use_session()
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(self.chat.page_html(self.session, self.conversation))

    async def post(self) -> None:
        """The form without JavaScript: answer, then show the whole conversation again."""
        self.use_session()
        conv = self.conversation
        if self.too_big:
            self.set_status(413)
            self.chat.notice(conv, TOO_BIG)
            return self._show(None)
        try:
            form = {k: v[-1] for k, v in _parse_form(self.raw, self.request.headers.get("Content-Type", "")).items()}
        except ValueError:
            self.set_status(400)
            self.chat.notice(conv, UNREADABLE)
            return self._show(None)
        if self.known and not self.chat.keys.token_ok(self.session, form.get("token", "")):
            self.set_status(403)
            return self._show(self.chat.notice(conv, STALE_FORM))
        if not self.chat.allowed(conv, self.ip):
            self.set_status(429)
            return self._show(self.chat.notice(conv, SLOW_DOWN))
        if "card" in form:
            said = await self.chat.press(conv, form["card"])
        else:
            _, said = await self.chat.ask(conv, form.get("text", ""))
        self._show(said)

    def _show(self, said: Said | None) -> None:
        """Post/redirect/get for a known session (reload does not send again); a new one gets the page."""
        if self.known and self.get_status() == 200:
            self.redirect(f"/#m{said.seq}" if said else "/", status=303)
            return
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(self.chat.page_html(self.session, self.conversation))


def _parse_form(body: bytes, content_type: str) -> dict[str, list[str]]:
    """application/x-www-form-urlencoded (what the page's forms send), strictly UTF-8."""
    from urllib.parse import parse_qs

    if content_type.split(";", 1)[0].strip().lower() != "application/x-www-form-urlencoded":
        raise ValueError("not a form")
    return parse_qs(body.decode("utf-8"), keep_blank_values=True, errors="strict", max_num_fields=10)


class ApiHandler(Posted):
    """JSON in, JSON out; every answer, refusals included, is bot messages to append to the log."""

    field_name = "text"

    async def post(self) -> None:
        self.use_session()
        conv = self.conversation
        self.set_header("Content-Type", "application/json; charset=utf-8")
        if self.too_big:
            return self._refuse(413, conv, TOO_BIG)
        media = self.request.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if media != "application/json":  # also what keeps other sites from posting here (no CORS preflight)
            return self._refuse(415, conv, UNREADABLE)
        try:
            data = json.loads(self.raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return self._refuse(400, conv, UNREADABLE)
        value = data.get(self.field_name) if isinstance(data, dict) else None
        if not isinstance(value, str):
            return self._refuse(400, conv, UNREADABLE)
        if not self.chat.allowed(conv, self.ip):
            return self._refuse(429, conv, SLOW_DOWN)
        self._answer(await self.handle(conv, value))

    async def handle(self, conv: str, value: str) -> tuple[Said, ...]:
        said, reply = await self.chat.ask(conv, value)
        return (said, reply)

    def _refuse(self, status: int, conv: str, text: str) -> None:
        self.set_status(status)
        self._answer((self.chat.notice(conv, text),))

    def _answer(self, items: tuple[Said, ...]) -> None:
        last: Reply | None = items[-1].reply
        self.finish(
            {
                "items": [self.chat.item_html(s, self.session) for s in items],
                "kind": last.kind if last else None,
                "card": last.card if last else None,
            }
        )


class PressHandler(ApiHandler):
    field_name = "card"

    async def handle(self, conv: str, value: str) -> tuple[Said, ...]:
        return (await self.chat.press(conv, value),)


class HealthHandler(Base):
    def get(self) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish("ok")


class StaticHandler(tornado.web.StaticFileHandler):
    """chat.js and chat.css with the same security headers; cached, since their URLs carry a version."""

    application: ChatApp

    def set_default_headers(self) -> None:
        _secure_headers(self, self.application.chat)

    def get_cache_time(self, path: str, modified: Any, mime_type: str) -> int:
        return 86400 if self.get_query_argument("v", "") else 0


class NoIcon(Base):
    def get(self) -> None:
        self.set_status(204)


class NotFound(Base):
    """Any other path: 404 with the same headers as everything else."""

    def prepare(self) -> None:
        raise tornado.web.HTTPError(404)


def _access_log(handler: tornado.web.RequestHandler) -> None:
    """Method, path and status only (no query, no address, no cookie)."""
    log.debug(
        "web: %s %s %d %.1f ms",
        handler.request.method,
        handler.request.path,
        handler.get_status(),
        1000.0 * handler.request.request_time(),
    )


def make_app(chat: Chat) -> ChatApp:
    return ChatApp(
        chat,
        [
            (r"/", PageHandler),
            (r"/api/message", ApiHandler),
            (r"/api/press", PressHandler),
            (r"/healthz", HealthHandler),
            (r"/favicon\.ico", NoIcon),
            (r"/static/(chat\.(?:js|css))", StaticHandler, {"path": str(STATIC)}),
        ],
        log_function=_access_log,
        default_handler_class=NotFound,
        compress_response=False,
        xsrf_cookies=False,  # the form token (sessions.Keys.form_token) does this, keyed to the session
    )


def make_server(chat: Chat) -> tornado.httpserver.HTTPServer:
    """One HTTP server; with behind_proxy it trusts X-Forwarded-For/-Proto (X-Real-Ip) from the proxy."""
    return tornado.httpserver.HTTPServer(
        make_app(chat),
        xheaders=chat.config.behind_proxy,
        max_body_size=10 * MAX_BODY,
        idle_connection_timeout=60,
        body_timeout=30,  # a body that trickles in is given up, not waited for all day
    )


def build(brain: Brain, settings: Settings, *, limits: Limits | None = None, store: ContextStore | None = None) -> Chat:
    """The web chat's shared state. With `store`, the Brain keeps context there (the SQLite store under
    BOT_DATA_DIR when run from the command line); the unmatched-question log when BOT_LOG_MISSED is on."""
    config = WebConfig(settings.web_frame_ancestors, settings.web_behind_proxy, limits or Limits())
    chat = Chat(brain if store is None else Brain(brain.catalog, store), Keys(load_secret(settings.data_dir)), config)
    if settings.log_missed:
        chat.missed = MissedLog(settings.data_dir / MISSED_FILE)
    return chat


def run(brain: Brain, settings: Settings, host: str, port: int, root: Path | None = None) -> int:
    """Serve until Ctrl-C or SIGTERM; prints the address it listens on (the real port when port is 0).

    Context is kept in BOT_DATA_DIR/web-context.sqlite3 (keyed hashes only, 30 minutes, as for Telegram); the
    catalog folder `root` is watched and reloaded like the Telegram bot's (the shared Reloader).
    """
    secret = load_secret(settings.data_dir)
    store = SqliteContextStore(
        settings.data_dir / WEB_CONTEXT_FILE, key_secret=derive(secret, "context-key"), now=time.time()
    )
    chat = build(brain, settings, store=store)

    async def serve() -> None:
        server = make_server(chat)
        sockets = tornado.netutil.bind_sockets(port, address=host)
        server.add_sockets(sockets)
        bound = sockets[0].getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        url = f"http://{shown}:{bound}/"
        print(f"Web chat on {url} (Ctrl-C to stop)", flush=True)
        print(f"Embed it with: {embed_snippet('https://chat.example.org')}", flush=True)
        watcher = Watcher(Reloader(chat.brain, root)) if root is not None else None
        if watcher is not None:
            watcher.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        if watcher is not None:
            await watcher.stop()
        server.stop()
        await server.close_all_connections()

    try:
        asyncio.run(serve())
    finally:
        store.close()
    return 0
