"""The Telegram adapter: python-telegram-bot 22 handlers around the pure core. Thin on purpose.

What users get:
* Private chats: every text message is a question; buttons under each answer lead on.
* Groups: only messages that mention the bot, reply to one of its messages, or use /ask (also
  /ask@botname) are answered, as a reply to the asker; context is kept per chat *and* user, so two
  caregivers in one group do not steer each other's follow-ups. Other people's talk, other bots and
  messages sent via this bot are ignored; a short hello when the bot is added.
* Inline mode (`@bot question` in any chat): the best cards as shareable results, urgent first.
* Stickers, photos, voice, files, locations, edited messages and service messages (a pin, an auto-delete
  timer): a short "I can only read text" in a private chat (SPEC §6), nothing in a group. Channel posts:
  nothing.

Every message goes out through `send`, and every text it sends is a `Reply` from the renderer, which
has already appended the disclaimer (inline results are rendered the same way).

Delivery (SPEC §6: no reply lost, none sent twice, other chats keep being served):
* Flood control (429 + retry_after): python-telegram-bot's AIORateLimiter throttles to Telegram's limits,
  waits retry_after and retries. Nothing was delivered, so a retry cannot duplicate.
* Timeouts and 5xx: `RetryingRateLimiter` (an AIORateLimiter) retries with exponential backoff and logs
  each retry. Three cases, told apart by what python-telegram-bot saw:
  - *refused*: Telegram answered with an error status (500, 502, ...): nothing was sent; retried.
  - *not sent*: no connection, or none free in the pool: the request never left; retried.
  - *unconfirmed*: the request was sent but no answer came (read timeout, dropped connection). Telegram
    may or may not have delivered it, and the Bot API has no idempotency key to ask. We retry: a patient
    who gets the same card twice is better off than one who gets no answer (it may be the urgent card).
    To make this case rare, the bot waits long for an answer (`Settings.request_timeout`, 20 s; Telegram
    normally answers in well under a second), so a merely slow Telegram is waited for, not re-sent to.
    A resend after an unconfirmed send is logged as a possible duplicate.
  Updates of one chat are handled in order, different chats concurrently (`PerChatUpdateProcessor`), so
  one chat's backoff never holds up another's answer.
* A user who blocked the bot (403): logged once per chat, the reply skipped, never retried.
* Restarts: on SIGINT/SIGTERM the poller (`polling.py`) stops fetching, finishes the updates in hand
  (`STOP_GRACE_SECONDS`) and confirms them to Telegram, so the next start neither replays nor loses any,
  and the whole stop fits in Docker's 10 s (its phases are logged with their times). A crash (SIGKILL)
  loses none either; it may answer again what was in hand (see `polling.py`). The chat context lives
  under BOT_DATA_DIR.

Logs say *that* something happened in a chat (chat ids as keyed hashes), never the message text, never
the token (`install_log_redaction`; httpx, which logs request URLs, is kept at WARNING).

Usage:
    TELEGRAM_BOT_TOKEN=123:abc python -m bot telegram             # long polling
    TELEGRAM_BOT_TOKEN=123:abc python -m bot telegram --webhook https://example.org/bot --port 8443
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from telegram import (
    Update,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.adapters.shared.cluster import ChatLocks, Claims, RedisMissedLog, Replica
from bot.adapters.shared.keys import ConversationKeys, derive
from bot.adapters.shared.logs import Anonymizer
from bot.adapters.shared.redis_store import Link, RedisContextStore, where
from bot.adapters.shared.reload import WATCH_SECONDS
from bot.adapters.shared.sqlite_context import FILENAME, SqliteContextStore
from bot.adapters.telegram import admin
from bot.adapters.telegram.delivery import FairRateLimiter
from bot.adapters.telegram.handlers import (
    ALLOWED_UPDATES,
    App,
    Clock,
    ask,
    button,
    gate,
    group_text,
    inline_query,
    membership,
    non_text,
    on_error,
    post_init,
    private_text,
    sources_command,
    start,
    topics_command,
    unknown_command,
)
from bot.adapters.telegram.ordering import ChatFirstProcessor
from bot.adapters.telegram.polling import Poller
from bot.adapters.telegram.services import Cluster, Services
from bot.adapters.telegram.transport import JsonRequest
from bot.adapters.telegram.webhook import WebhookServer
from bot.brain import Brain
from bot.catalog import Catalog
from bot.context import ContextStore
from bot.settings import Settings

log = logging.getLogger(__name__)

# --- wiring -----------------------------------------------------------------------------------------

# Fewer, busier connections: httpcore's pool scans every connection for every request, so 256 of them
# (python-telegram-bot's default under concurrent updates) cost more CPU than they save in waiting.
CONNECTION_POOL_SIZE = 8
MAX_CONCURRENT_UPDATES = 64  # chats handled side by side; a chat waiting for its own turn holds none


def build_application(
    brain: Brain,
    settings: Settings,
    *,
    clock: Clock = time.time,
    extra: Callable[[App], None] | None = None,
) -> App:
    """The whole bot, ready to run; tests point `settings.base_url` at a local Bot API double.

    `extra(app)` registers more handlers (admin commands) before the catch-all ones.
    """
    anonymize = Anonymizer(derive(settings.token, "log-hash"))
    app = (
        Application.builder()
        .token(settings.token)
        .base_url(settings.base_url)
        .request(JsonRequest(connection_pool_size=CONNECTION_POOL_SIZE, read_timeout=settings.request_timeout))
        .rate_limiter(
            FairRateLimiter(
                retries=settings.retries,
                base_delay=settings.retry_delay,
                anonymize=anonymize,
                per_second=settings.send_per_second,
            )
        )
        # Two polling connections: the long poll cancelled at a stop can hold its connection a while after
        # (httpcore frees it lazily), and the confirm on the way down must not wait for it.
        .get_updates_request(HTTPXRequest(connection_pool_size=2))
        .concurrent_updates(ChatFirstProcessor(MAX_CONCURRENT_UPDATES))
        .context_types(ContextTypes(bot_data=Services))
        .updater(None)  # our own Poller and WebhookServer: confirm an update only after it was handled
        .post_init(post_init)
        .build()
    )
    shared: Services = app.bot_data
    shared.brain, shared.clock, shared.anonymize = brain, clock, anonymize
    shared.keys = ConversationKeys(derive(settings.token, "conversation-key"))
    private, group = filters.ChatType.PRIVATE, filters.ChatType.GROUPS
    new = filters.UpdateType.MESSAGE  # edits of earlier messages never re-run a command
    app.add_handler(TypeHandler(Update, gate), group=-1)
    app.add_handler(CommandHandler(["start", "help"], start, filters=new))
    app.add_handler(CommandHandler("topics", topics_command, filters=new))
    app.add_handler(CommandHandler("sources", sources_command, filters=new))
    app.add_handler(CommandHandler("ask", ask, filters=new))
    if extra is not None:
        extra(app)
    app.add_handler(MessageHandler(filters.COMMAND & new, unknown_command))
    app.add_handler(MessageHandler(private & filters.TEXT & new, private_text))
    app.add_handler(MessageHandler(group & filters.TEXT & new, group_text))
    app.add_handler(MessageHandler(private & (filters.UpdateType.EDITED_MESSAGE | (new & ~filters.TEXT)), non_text))
    app.add_handler(CallbackQueryHandler(button))
    app.add_handler(InlineQueryHandler(inline_query))
    app.add_handler(ChatMemberHandler(membership, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_error_handler(on_error)
    return app


def open_store(settings: Settings, now: float | None = None) -> SqliteContextStore:
    """The chat-context store that survives restarts: BOT_DATA_DIR/context.sqlite3."""
    return SqliteContextStore(settings.data_dir / FILENAME, key_secret=derive(settings.token, "context-key"), now=now)


_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class ConfigError(ValueError):
    """A bad flag or environment value; the message names it."""


@dataclass(frozen=True)
class Webhook:
    """Webhook mode behind a reverse proxy: Telegram POSTs to `url`; we listen on listen:port at `path`.

    The proxy terminates HTTPS and forwards to http://listen:port/path (by default the URL's own path).
    Telegram sends `secret` in X-Telegram-Bot-Api-Secret-Token and python-telegram-bot answers 403 to any
    request without it; with no secret given, a random one is made for this run.
    """

    url: str
    listen: str = "127.0.0.1"
    port: int = 8443
    secret: str = ""
    path: str = ""

    def options(self) -> dict[str, Any]:
        """Keyword arguments for Application.run_webhook and Updater.start_webhook; ConfigError names a bad one."""
        parts = urlsplit(self.url)
        if parts.scheme != "https" or not parts.hostname:
            raise ConfigError(f"--webhook must be an https:// URL (Telegram requires HTTPS), got {self.url!r}")
        if not 0 < self.port < 65536:
            raise ConfigError(f"--port must be 1-65535, got {self.port}")
        if self.secret and not _SECRET_TOKEN.match(self.secret):
            raise ConfigError("the webhook secret (--secret / BOT_WEBHOOK_SECRET) must be 1-256 of A-Z a-z 0-9 _ -")
        return {
            "listen": self.listen,
            "port": self.port,
            "url_path": (self.path or parts.path).strip("/"),
            "webhook_url": self.url,
            "secret_token": self.secret or secrets.token_urlsafe(32),
            "allowed_updates": list(ALLOWED_UPDATES),
        }


def build(
    settings: Settings,
    catalog: Catalog,
    root: Path,
    *,
    clock: Clock = time.time,
    watch_seconds: float = WATCH_SECONDS,
    store: ContextStore | None = None,
) -> App:
    """The whole Telegram bot, wired once for `run`, the tests and the benchmarks alike.

    The context store (BOT_DATA_DIR/context.sqlite3 unless given) is the Brain's from the start and is closed
    when the application shuts down; the admin commands, the missed log and the catalog watcher come with it.
    With REDIS_URL (cluster mode) the context, update claims, conversation locks, counts, reloads and the
    missed log live on Redis instead (`_join_cluster`).
    """
    link = _link(settings) if settings.cluster and store is None else None
    kept: ContextStore | RedisContextStore
    if link is not None:
        kept = RedisContextStore(link)
    else:
        kept = store if store is not None else open_store(settings, now=clock())
    brain = Brain(catalog, kept)
    app = build_application(
        brain, settings, clock=clock, extra=lambda a: admin.install(a, settings, root, watch_seconds=watch_seconds)
    )
    if link is not None:
        _join_cluster(app, settings, link)
    before = app.post_shutdown

    async def close_store(a: App) -> None:
        if before is not None:
            await before(a)
        close = getattr(kept, "close", None)
        if close is not None:
            close()

    app.post_shutdown = close_store
    return app


def _link(settings: Settings) -> Link:
    """The process's connection to Redis; keys under a prefix of this bot's own, so bots can share a server."""
    return Link(settings.redis_url, prefix=f"pb:{derive(settings.token, 'redis-prefix').hex()[:12]}:")


def replica_name(settings: Settings) -> str:
    return settings.replica_id or f"{socket.gethostname()}-{os.getpid()}"


def _join_cluster(app: App, settings: Settings, link: Link) -> None:
    """Cluster mode: share what one process would keep to itself, and stop sharing at shutdown."""
    shared: Services = app.bot_data
    name = replica_name(settings)
    lock_names = ConversationKeys(derive(settings.token, "chat-lock"))
    locks = ChatLocks(link, lambda chat: lock_names("telegram", chat), settings.claim_seconds)
    processor = app.update_processor
    if isinstance(processor, ChatFirstProcessor):
        processor.remote = locks.hold
    replica = Replica(link, name, shared.stats, shared.reloader)
    shared.cluster = Cluster(Claims(link, settings.claim_seconds), replica)
    if settings.log_missed:
        shared.missed = RedisMissedLog(link)
    before_init, before_shutdown = app.post_init, app.post_shutdown

    async def post_init(a: App) -> None:
        if before_init is not None:
            await before_init(a)
        await replica.beat()  # in the registry before the first update arrives
        replica.start()
        log.info("cluster mode: replica %s, Redis at %s", name, where(settings.redis_url))

    async def post_shutdown(a: App) -> None:
        await replica.stop()
        if before_shutdown is not None:
            await before_shutdown(a)
        await link.close()

    app.post_init, app.post_shutdown = post_init, post_shutdown


def check_cluster(settings: Settings, webhook: str, secret: str) -> None:
    """Cluster mode (REDIS_URL) runs webhook replicas with one shared secret; ConfigError says what is missing."""
    if not settings.cluster:
        return
    if not webhook:
        raise ConfigError(
            "REDIS_URL is set (cluster mode), which runs in webhook mode only: give --webhook URL or BOT_WEBHOOK_URL "
            "(several replicas polling one token would take each other's updates: Telegram answers 409 Conflict)"
        )
    if not secret:
        raise ConfigError(
            "REDIS_URL is set (cluster mode): set BOT_WEBHOOK_SECRET to one secret shared by every replica "
            "(each would otherwise make its own, and Telegram's requests would be refused by all but one)"
        )


def run(
    catalog: Catalog,
    settings: Settings,
    root: Path,
    *,
    webhook: str = "",
    listen: str = "127.0.0.1",
    port: int = 8443,
    secret: str = "",
    path: str = "",
) -> None:
    """Run until SIGINT or SIGTERM; webhook mode when given a URL. The caller (the CLI) has set up logging and
    its redaction first, so that a refusal at start-up is already logged safely."""
    options = Webhook(webhook, listen, port, secret, path).options() if webhook else None  # bad flags: fail first
    check_cluster(settings, webhook, secret)
    app = build(settings, catalog, root)
    if options is not None:
        log.info("webhook mode: listening on %s:%s/%s", listen, port, options["url_path"])
    asyncio.run(serve(app, options))


STOP_GRACE_SECONDS = 8.5  # finishing what is in hand at SIGTERM and confirming it (see Poller.stop); with the
# shutdown, inside Docker's default 10 s before SIGKILL


async def serve(app: App, webhook: dict[str, Any] | None = None, *, grace: float = STOP_GRACE_SECONDS) -> None:
    """Start, serve until SIGINT or SIGTERM (or the source fails), then stop in order.

    Updates come from our `Poller` (polling) or `WebhookServer` (webhook mode); both confirm an update to
    Telegram only after it was handled, so a hard kill loses nothing.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    stopping: float | None = None
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    source: Poller | WebhookServer
    if webhook is None:
        source = Poller(app, ALLOWED_UPDATES)
    else:
        source = WebhookServer(
            app,
            listen=webhook["listen"],
            port=webhook["port"],
            path=webhook["url_path"],
            secret=webhook["secret_token"],
            claims=app.bot_data.cluster.claims if app.bot_data.cluster is not None else None,
        )
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        if isinstance(source, WebhookServer):
            await source.start()
            await app.bot.set_webhook(
                url=webhook["webhook_url"] if webhook else "",
                secret_token=webhook["secret_token"] if webhook else None,
                allowed_updates=list(ALLOWED_UPDATES),
            )
        else:
            await source.start()
        await _until(stop, source)
        stopping = loop.time()
        log.info("stopping: finishing the updates in hand and confirming them (up to %.1f s)", grace)
        await source.stop(grace)
        log.info("updates in hand done in %.1f s", loop.time() - stopping)
        await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
    finally:
        if app.running:  # the source failed (a token revoked mid-run): stop before shutting down
            await app.stop()
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        if stopping is not None:
            log.info("stopped in %.1f s", loop.time() - stopping)


async def _until(stop: asyncio.Event, source: Poller | WebhookServer) -> None:
    """Wait for a stop signal; a poller that dies (a revoked token) ends the run with its error."""
    if not isinstance(source, Poller) or source.task is None:
        await stop.wait()
        return
    waiter = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait({waiter, source.task}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if source.task in done and not stop.is_set():
        source.task.result()  # raises what ended the polling
