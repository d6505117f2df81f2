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
* Restarts: on SIGINT/SIGTERM python-telegram-bot finishes the updates it has fetched and confirms them
  to Telegram, so the next start neither replays nor loses any; the chat context lives in SQLite under
  BOT_DATA_DIR (`bot/adapters/sqlite_context.py`). A crash (SIGKILL) can lose the few updates in flight.

Logs say *that* something happened in a chat (chat ids as keyed hashes), never the message text, never
the token (`install_log_redaction`; httpx, which logs request URLs, is kept at WARNING).

Usage:
    TELEGRAM_BOT_TOKEN=123:abc python -m bot telegram             # long polling
    TELEGRAM_BOT_TOKEN=123:abc python -m bot telegram --webhook https://example.org/bot --port 8443
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import signal
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
from telegram import (
    BotCommand,
    ChatMember,
    ChatMemberRestricted,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest, RequestData

from bot.adapters.delivery import ChatFirstProcessor, FairRateLimiter
from bot.adapters.logs import Anonymizer, _secret, install_log_redaction
from bot.adapters.polling import Poller
from bot.adapters.sqlite_context import FILENAME, SqliteContextStore
from bot.adapters.webhook import WebhookServer
from bot.brain import Brain
from bot.inline import TtlCache, inline_cards
from bot.render import CALLBACK_PREFIX, Button, Reply, notice, render_card, sources_text, topics, welcome
from bot.router import MAX_MATCH_CHARS
from bot.settings import Settings

log = logging.getLogger(__name__)

App = Application[Any, Any, Any, Any, Any, Any]
Clock = Callable[[], float]

COMMANDS = (
    ("start", "What I can answer"),
    ("help", "How to ask"),
    ("topics", "All topics"),
    ("sources", "Where the answers come from"),
    ("ask", "Ask a question (in groups: /ask your question)"),
)
# What Telegram sends us; everything else (channel posts, reactions, ...) it need not send at all.
ALLOWED_UPDATES = (
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.INLINE_QUERY,
    Update.MY_CHAT_MEMBER,
)
GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)
INLINE_CACHE_SECONDS = 60  # Telegram's cache_time, and how long our own cache keeps a ranking
FLOOD_RETRIES = 5  # AIORateLimiter: how often to wait out a 429 before giving up
MAX_RETRY_DELAY = 30.0
MAX_REMEMBERED_BLOCKS = 10_000


# --- logging without secrets or people: bot/adapters/logs.py (Anonymizer, install_log_redaction) -----


# --- pure helpers -----------------------------------------------------------------------------------


def conversation_key(chat_id: int, user_id: int | None, chat_type: str) -> str:
    """Private chats share one context; in groups each asker has their own."""
    return f"{chat_id}" if chat_type not in GROUPS or user_id is None else f"{chat_id}:{user_id}"


def addressed_text(message: Message, username: str, bot_id: int) -> str | None:
    """The question in a group message, or None when the message is not for the bot.

    Addressed means: a reply to one of the bot's messages, an @mention of it, or a text mention of it.
    Entity offsets are UTF-16 (python-telegram-bot's parse_entities handles that). The mention itself is
    cut out of the question.
    """
    text = message.text or ""
    replied = message.reply_to_message
    to_bot = replied is not None and replied.from_user is not None and replied.from_user.id == bot_id
    handle = f"@{username}".casefold()
    mentioned = any(v.casefold() == handle for v in message.parse_entities([MessageEntity.MENTION]).values())
    named = [
        value
        for entity, value in message.parse_entities([MessageEntity.TEXT_MENTION]).items()
        if entity.user is not None and entity.user.id == bot_id
    ]
    if not (to_bot or mentioned or named):
        return None
    for value in named:
        text = text.replace(value, " ", 1)
    text = re.sub(rf"@{re.escape(username)}\b", " ", text, flags=re.IGNORECASE)
    return " ".join(text.split())


def sent_by_a_bot(message: Message) -> bool:
    """Another bot wrote it (anonymous group admins post as a bot on the group's behalf: they are people)."""
    user = message.from_user
    if user is None or not user.is_bot:
        return False
    return message.sender_chat is None or message.sender_chat.id != message.chat.id


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    return _keyboard(reply.buttons) if reply.buttons else None


@lru_cache(maxsize=256)
def _keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup:
    """The same few keyboards again and again: python-telegram-bot's objects are immutable, so share them."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data)] for b in buttons])


# --- HTTP: JSON bodies --------------------------------------------------------------------------------


class JsonRequest(HTTPXRequest):
    """python-telegram-bot's HTTPXRequest, sending parameters as one JSON body instead of a form.

    PTB form-encodes every request, and percent-encoding a 1-2 KB HTML card byte by byte in Python
    (urllib's quote) cost more than building the reply. The Bot API takes `application/json` for every
    method and reads a JSON body's string values exactly as form fields (tdlib's HttpReader::
    parse_json_parameters), so PTB's `json_payload` (objects as JSON strings, as in its forms) means the
    same thing. Uploads (which need multipart) still go through PTB's own path. Timeouts and errors map to
    the same `telegram.error` exceptions, with the httpx error as the cause (see `failure_kind`).
    """

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        write_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        connect_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        pool_timeout: Any = HTTPXRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if request_data is None or request_data.contains_files or self._client.is_closed:
            return await super().do_request(
                url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
            )
        default = self._client.timeout  # what the caller left unset (PTB's DefaultValue) comes from the client
        unset = type(HTTPXRequest.DEFAULT_NONE)
        timeout = httpx.Timeout(
            connect=default.connect if isinstance(connect_timeout, unset) else connect_timeout,
            read=default.read if isinstance(read_timeout, unset) else read_timeout,
            write=default.write if isinstance(write_timeout, unset) else write_timeout,
            pool=default.pool if isinstance(pool_timeout, unset) else pool_timeout,
        )
        try:
            response = await self._client.request(
                method=method,
                url=url,
                headers={"User-Agent": self.USER_AGENT, "Content-Type": "application/json"},
                timeout=timeout,
                content=request_data.json_payload,
            )
        except httpx.TimeoutException as exc:
            raise TimedOut("Pool timeout" if isinstance(exc, httpx.PoolTimeout) else None) from exc
        except httpx.HTTPError as exc:
            raise NetworkError(f"httpx.{type(exc).__name__}: {exc}") from exc
        return response.status_code, response.content


# --- sending: the one way out -----------------------------------------------------------------------


async def send(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, reply: Reply, reply_to: int | None = None
) -> Message | None:
    """Send one Reply (retries happen below, in RetryingRateLimiter); None when it could not be delivered.

    A chat that blocked the bot or removed it is logged once and skipped. A failure that retries could not
    fix is logged as a lost reply, never dropped silently. A Bad Request (a bug on our side) is raised.
    """
    params = ReplyParameters(message_id=reply_to, allow_sending_without_reply=True) if reply_to else None
    try:
        message = await context.bot.send_message(
            chat_id=chat_id,
            text=reply.text,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard(reply),
            reply_parameters=params,
        )
    except Forbidden:
        _blocked(context, chat_id)
        return None
    except ChatMigrated as exc:  # a group became a supergroup: same people, new id
        return await send(context, exc.new_chat_id, reply)
    except BadRequest:
        raise
    except (NetworkError, RetryAfter) as exc:
        log.error(
            "reply LOST chat=%s kind=%s card=%s: %s",
            _anon(context, chat_id),
            reply.kind,
            reply.card,
            type(exc).__name__,
        )
        return None
    _blocks(context).pop(chat_id, None)
    return message


def _blocks(context: ContextTypes.DEFAULT_TYPE) -> OrderedDict[int, None]:
    return cast("OrderedDict[int, None]", context.bot_data.setdefault("blocked", OrderedDict()))


def _blocked(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
    """Log a chat that blocked or removed the bot once, and remember it (bounded)."""
    blocked = _blocks(context)
    if chat_id not in blocked:
        log.warning("chat=%s blocked the bot or removed it; not sending there", _anon(context, chat_id))
    blocked[chat_id] = None
    blocked.move_to_end(chat_id)
    while len(blocked) > MAX_REMEMBERED_BLOCKS:
        blocked.popitem(last=False)


def _anon(context: ContextTypes.DEFAULT_TYPE, chat_id: object) -> str:
    return cast(Anonymizer, context.bot_data["anonymize"])(chat_id)


def _brain(context: ContextTypes.DEFAULT_TYPE) -> Brain:
    return cast(Brain, context.bot_data["brain"])


def _clock(context: ContextTypes.DEFAULT_TYPE) -> float:
    return cast(Clock, context.bot_data["clock"])()


def _count(context: ContextTypes.DEFAULT_TYPE, reply: Reply) -> None:
    stats: dict[str, int] = context.bot_data.setdefault("stats", {})
    stats["messages"] = stats.get("messages", 0) + 1
    key = f"card:{reply.card}" if reply.kind == "answer" else reply.kind
    stats[key] = stats.get(key, 0) + 1


def _reply_to(update: Update) -> int | None:
    """In groups the bot answers as a reply to the asker's message; in private chats it just answers."""
    chat, message = update.effective_chat, update.effective_message
    return message.message_id if chat is not None and message is not None and chat.type in GROUPS else None


async def _answer(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return
    if not text.strip():  # "/ask" or a bare mention: how to ask
        await send(context, chat.id, welcome(_brain(context).catalog), _reply_to(update))
        return
    key = conversation_key(chat.id, user.id if user else None, chat.type)
    turn = await _brain(context).aturn(text, key, _clock(context))
    _count(context, turn.reply)
    log.info("answered chat=%s kind=%s card=%s", _anon(context, chat.id), turn.reply.kind, turn.reply.card)
    on_missed = context.bot_data.get("on_missed")
    if turn.reply.kind == "fallback" and on_missed is not None:
        on_missed(" ".join(_brain(context).router.normalize.words_of(text[:MAX_MATCH_CHARS])))  # as matched, unstemmed
    await send(context, chat.id, turn.reply, _reply_to(update))


# --- handlers ---------------------------------------------------------------------------------------


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs first: drop messages from other bots and messages sent via this bot (inline results)."""
    message = update.message or update.edited_message
    if message is None:
        return
    via = message.via_bot
    if sent_by_a_bot(message) or (via is not None and via.id == context.bot.id):
        raise ApplicationHandlerStop


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start and /help: what the bot answers, with topic buttons."""
    if update.effective_chat:
        await send(context, update.effective_chat.id, welcome(_brain(context).catalog), _reply_to(update))


async def topics_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/topics: every card as a button."""
    if update.effective_chat:
        await send(context, update.effective_chat.id, topics(_brain(context).catalog), _reply_to(update))


async def sources_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/sources: the articles behind the answers."""
    if update.effective_chat:
        catalog = _brain(context).catalog
        reply = render_card(catalog, "sources") if "sources" in catalog.cards else sources_text(catalog)
        await send(context, update.effective_chat.id, reply, _reply_to(update))


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask <question>, in any chat."""
    await _answer(update, context, " ".join(context.args or ()))


async def private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any text in a private chat is a question."""
    if update.message and update.message.text is not None:
        await _answer(update, context, update.message.text)


async def group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In groups, only messages addressed to the bot; other people's talk is none of its business."""
    message = update.message
    if message is None or message.text is None:
        return
    question = addressed_text(message, context.bot.username, context.bot.id)
    if question is not None:
        await _answer(update, context, question)


async def non_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice, files, locations, edits, service messages in a private chat: what the bot reads."""
    if update.effective_chat:
        await send(context, update.effective_chat.id, notice(_brain(context).catalog, "non_text"))


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A card button: answer the callback first (so the spinner stops), then send the card.

    A button whose card the catalog no longer has (a stale button) gets a short note and topic buttons.
    """
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer()
    except BadRequest as exc:  # pressed long ago, or answered already: the card is still worth sending
        log.info("could not acknowledge a button press: %s", exc)
    chat = update.effective_chat
    if chat is None or not query.data:  # a button under an inline message: nothing to send into that chat
        return
    key = conversation_key(chat.id, query.from_user.id, chat.type)
    reply = await _brain(context).apress(query.data.removeprefix(CALLBACK_PREFIX), key, _clock(context))
    _count(context, reply)
    log.info("button chat=%s kind=%s card=%s", _anon(context, chat.id), reply.kind, reply.card)
    reply_to = query.message.message_id if chat.type in GROUPS and query.message else None
    await send(context, chat.id, reply, reply_to)


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """@bot question: the best cards as shareable results; urgent first when the query is urgent."""
    query = update.inline_query
    if query is None:
        return
    brain = _brain(context)
    catalog = brain.catalog
    now = _clock(context)
    cache = cast(
        "TtlCache[tuple[int, str], tuple[object, list[InlineQueryResultArticle]]]", context.bot_data["inline_cache"]
    )
    key = (id(catalog), brain.router.normalize(query.query[:300]))  # a reloaded catalog ranks afresh
    cached = cache.get(key, now)
    if cached is not None and cached[0] is catalog:
        results = cached[1]
    else:
        results = [_article(brain, cid) for cid in inline_cards(brain.router, query.query, now)]
        cache.put(key, (catalog, results), now)
    try:
        await query.answer(results, cache_time=INLINE_CACHE_SECONDS, is_personal=False)
    except BadRequest as exc:  # the user typed on, or we were too slow: Telegram no longer wants this answer
        log.info("inline query not answered: %s", exc)


def _article(brain: Brain, card_id: str) -> InlineQueryResultArticle:
    """One inline result: title and short answer in the list; choosing it posts the whole card."""
    catalog = brain.catalog
    card = catalog.cards[card_id]
    reply = render_card(catalog, card_id)
    return InlineQueryResultArticle(
        id=card_id,
        title=card.title,
        description=card.short,
        input_message_content=InputTextMessageContent(reply.text, parse_mode=ParseMode.HTML),
    )


def _present(member: ChatMember) -> bool:
    if isinstance(member, ChatMemberRestricted):
        return member.is_member
    return member.status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER)


async def membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot's own membership: a short hello when added to a group; a block is noted, not answered."""
    change = update.my_chat_member
    if change is None:
        return
    chat = change.chat
    was, now = _present(change.old_chat_member), _present(change.new_chat_member)
    if chat.type == ChatType.PRIVATE:
        if not now:
            _blocked(context, chat.id)
        else:
            _blocks(context).pop(chat.id, None)
    elif chat.type in GROUPS:
        if now and not was:
            log.info("added to a group chat=%s", _anon(context, chat.id))
            hello = notice(_brain(context).catalog, "group_hello", bot=f"@{context.bot.username}")
            await send(context, chat.id, hello)
        elif was and not now:
            log.info("removed from a group chat=%s", _anon(context, chat.id))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Commands the bot does not have; in groups only when addressed to this bot."""
    chat, message = update.effective_chat, update.message
    if chat is None or message is None:
        return
    command = (message.text or "").split()[0]
    if chat.type in GROUPS and not command.casefold().endswith(f"@{context.bot.username}".casefold()):
        return
    await send(context, chat.id, notice(_brain(context).catalog, "unknown_command"), _reply_to(update))


def _was_for_us(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Would the user expect an answer to this update? (Then they deserve to hear that something failed.)"""
    chat = update.effective_chat
    if chat is None or update.inline_query is not None:
        return False
    if chat.type == ChatType.PRIVATE or update.callback_query is not None:
        return True
    message = update.message
    if message is None or chat.type not in GROUPS:
        return False
    text = message.text or ""
    return text.startswith("/") or addressed_text(message, context.bot.username, context.bot.id) is not None


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log with the traceback and keep serving; tell the asker that something went wrong."""
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None or not _was_for_us(update, context):
        return
    try:
        await send(context, update.effective_chat.id, notice(_brain(context).catalog, "error"), _reply_to(update))
    except TelegramError:
        log.warning("could not send the error notice either")


async def post_init(app: App) -> None:
    """The command menu users see; a failure here must not stop the bot from answering."""
    try:
        await app.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
    except TelegramError as exc:
        log.warning("could not set the command menu: %s", exc)


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
    anonymize = Anonymizer(_secret(settings.token, "log-hash"))
    app = (
        Application.builder()
        .token(settings.token)
        .base_url(settings.base_url)
        .request(JsonRequest(connection_pool_size=CONNECTION_POOL_SIZE, read_timeout=settings.request_timeout))
        .rate_limiter(FairRateLimiter(retries=settings.retries, base_delay=settings.retry_delay, anonymize=anonymize))
        .concurrent_updates(ChatFirstProcessor(MAX_CONCURRENT_UPDATES))
        .updater(None)  # our own Poller and WebhookServer: confirm an update only after it was handled
        .post_init(post_init)
        .build()
    )
    app.bot_data.update(
        brain=brain,
        clock=clock,
        anonymize=anonymize,
        inline_cache=TtlCache[str, Any](max_items=512, ttl=INLINE_CACHE_SECONDS),
    )
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
    return SqliteContextStore(settings.data_dir / FILENAME, key_secret=_secret(settings.token, "context-key"), now=now)


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


def run(
    brain: Brain,
    settings: Settings,
    root: Path,
    *,
    webhook: str = "",
    listen: str = "127.0.0.1",
    port: int = 8443,
    secret: str = "",
    path: str = "",
) -> None:
    """Run until SIGINT or SIGTERM (python-telegram-bot stops cleanly on both); webhook mode when given a URL."""
    options = Webhook(webhook, listen, port, secret, path).options() if webhook else None  # bad flags: fail first
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=settings.log_level)
    install_log_redaction(settings.token)
    store = open_store(settings, now=time.time())
    brain.store = store
    from bot.adapters import admin  # imported here: admin uses this module's send()

    app = build_application(brain, settings, extra=lambda a: admin.install(a, settings, root))
    try:
        if options is not None:
            log.info("webhook mode: listening on %s:%s/%s", listen, port, options["url_path"])
        asyncio.run(serve(app, options))
    finally:
        store.close()


STOP_GRACE_SECONDS = 8.0  # finishing what is in hand at SIGTERM: inside Docker's default 10 s before SIGKILL


async def serve(app: App, webhook: dict[str, Any] | None = None, *, grace: float = STOP_GRACE_SECONDS) -> None:
    """Start, serve until SIGINT or SIGTERM (or the source fails), then stop in order.

    Updates come from our `Poller` (polling) or `WebhookServer` (webhook mode); both confirm an update to
    Telegram only after it was handled, so a hard kill loses nothing.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
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
        log.info("stopping: finishing the updates in hand (up to %.0f s)", grace)
        await source.stop(grace)
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
