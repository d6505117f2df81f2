"""The Telegram adapter: python-telegram-bot 22 handlers around the pure core. Thin on purpose.

Private chats: every text message is a question. Groups: only messages that mention the bot, reply to
it, or use /ask (also /ask@botname) — answered as a reply to the asker, with context kept per chat and
user. Inline mode lists matching cards. Every message goes out through `send`, and every text it sends is
a `Reply` from the renderer, which has already appended the disclaimer.

Usage:
    TELEGRAM_BOT_TOKEN=123:abc python -m bot telegram             # long polling
    TELEGRAM_BOT_TOKEN=123:abc python -m bot telegram --webhook https://example.org/bot --port 8443
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from telegram import (
    BotCommand,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.brain import Brain
from bot.render import CALLBACK_PREFIX, Reply, notice, render_card, sources_text, topics, welcome
from bot.settings import Settings

log = logging.getLogger(__name__)

COMMANDS = (
    ("start", "What I can answer"),
    ("help", "How to ask"),
    ("topics", "All topics"),
    ("sources", "Where the answers come from"),
    ("ask", "Ask a question (in groups: /ask your question)"),
)
INLINE_CACHE_SECONDS = 60
INLINE_MAX_RESULTS = 5
GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)

Clock = Callable[[], float]


class _RedactToken(logging.Filter):
    """Last line of defence: no log record leaves with the token in it."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token and self.token in record.getMessage():
            record.msg, record.args = record.getMessage().replace(self.token, "<token>"), None
        return True


def install_log_redaction(token: str) -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # httpx logs request URLs, which hold the token
    for handler in logging.getLogger().handlers:
        handler.addFilter(_RedactToken(token))


# --- pure helpers -----------------------------------------------------------------------------------


def conversation_key(chat_id: int, user_id: int | None, chat_type: str) -> str:
    """Private chats share one context; in groups each asker has their own."""
    return f"{chat_id}" if chat_type not in GROUPS or user_id is None else f"{chat_id}:{user_id}"


def addressed_text(message: Message, username: str, bot_id: int) -> str | None:
    """The question in a group message, or None when the message is not for the bot."""
    text = message.text or ""
    mention = f"@{username}".casefold()
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return text.replace(f"@{username}", " ").strip()
    for entity in message.entities or ():
        if entity.type == "mention":
            piece = text[entity.offset : entity.offset + entity.length]
            if piece.casefold() == mention:
                return (text[: entity.offset] + text[entity.offset + entity.length :]).strip()
        elif entity.type == "text_mention" and entity.user is not None and entity.user.id == bot_id:
            return text.strip()
    return None


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data)] for b in reply.buttons])


# --- sending: the one way out -----------------------------------------------------------------------


async def send(context: ContextTypes.DEFAULT_TYPE, chat_id: int, reply: Reply, reply_to: int | None = None) -> None:
    """Send one Reply; a user who blocked the bot is logged once and skipped."""
    blocked: set[int] = context.bot_data.setdefault("blocked", set())
    params = ReplyParameters(message_id=reply_to, allow_sending_without_reply=True) if reply_to else None
    try:
        await context.bot.send_message(
            chat_id=chat_id,
            text=reply.text,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard(reply),
            reply_parameters=params,
        )
        blocked.discard(chat_id)
    except Forbidden:
        if chat_id not in blocked:
            log.warning("chat %s blocked the bot or removed it; not sending", _anon(chat_id))
            blocked.add(chat_id)


def _anon(chat_id: int) -> str:
    """Logs may say *that* something happened in a chat, not which user it was."""
    return hashlib.sha256(str(chat_id).encode()).hexdigest()[:8]


def _brain(context: ContextTypes.DEFAULT_TYPE) -> Brain:
    return cast(Brain, context.bot_data["brain"])


def _clock(context: ContextTypes.DEFAULT_TYPE) -> float:
    clock = cast(Clock, context.bot_data.get("clock", time.time))
    return clock()


def _count(context: ContextTypes.DEFAULT_TYPE, reply: Reply) -> None:
    stats: dict[str, int] = context.bot_data.setdefault("stats", {})
    stats["messages"] = stats.get("messages", 0) + 1
    key = f"card:{reply.card}" if reply.kind == "answer" else reply.kind
    stats[key] = stats.get(key, 0) + 1


async def _answer(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    if message is None or chat is None:
        return
    key = conversation_key(chat.id, user.id if user else None, chat.type)
    turn = _brain(context).turn(text, key, _clock(context))
    _count(context, turn.reply)
    log.info("answered chat=%s kind=%s card=%s", _anon(chat.id), turn.reply.kind, turn.reply.card)
    on_missed = context.bot_data.get("on_missed")
    if turn.reply.kind == "fallback" and on_missed is not None:
        on_missed(_brain(context).router.normalize(text[:1000]))
    await send(context, chat.id, turn.reply, reply_to=message.message_id if chat.type in GROUPS else None)


# --- handlers ---------------------------------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start and /help: what the bot answers, with topic buttons."""
    if update.effective_chat and update.effective_message:
        reply_to = update.effective_message.message_id if update.effective_chat.type in GROUPS else None
        await send(context, update.effective_chat.id, welcome(_brain(context).catalog), reply_to)


async def topics_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/topics: every card as a button."""
    if update.effective_chat and update.effective_message:
        reply_to = update.effective_message.message_id if update.effective_chat.type in GROUPS else None
        await send(context, update.effective_chat.id, topics(_brain(context).catalog), reply_to)


async def sources_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/sources: the articles behind the answers."""
    if update.effective_chat and update.effective_message:
        catalog = _brain(context).catalog
        reply = render_card(catalog, "sources") if "sources" in catalog.cards else sources_text(catalog)
        reply_to = update.effective_message.message_id if update.effective_chat.type in GROUPS else None
        await send(context, update.effective_chat.id, reply, reply_to)


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask <question>, in any chat."""
    await _answer(update, context, " ".join(context.args or ()))


async def private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any text in a private chat is a question."""
    if update.effective_message and update.effective_message.text is not None:
        await _answer(update, context, update.effective_message.text)


async def group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In groups, only messages addressed to the bot; other people's talk is none of its business."""
    message = update.effective_message
    if message is None or message.text is None or (message.from_user and message.from_user.is_bot):
        return
    question = addressed_text(message, context.bot.username, context.bot.id)
    if question is not None:
        await _answer(update, context, question)


async def non_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice, files, locations, edits in a private chat: say what the bot can read."""
    if update.effective_chat:
        await send(context, update.effective_chat.id, notice(_brain(context).catalog, "non_text"))


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A card button: answer the callback first (so the spinner stops), then send the card."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    chat = update.effective_chat
    if chat is None or not query.data or not query.data.startswith(CALLBACK_PREFIX):
        return
    key = conversation_key(chat.id, query.from_user.id, chat.type)
    reply = _brain(context).press(query.data.removeprefix(CALLBACK_PREFIX), key, _clock(context))
    _count(context, reply)
    reply_to = query.message.message_id if chat.type in GROUPS and query.message else None
    await send(context, chat.id, reply, reply_to)


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """@bot question: the best cards as shareable results; urgent first when the query is urgent."""
    query = update.inline_query
    if query is None:
        return
    brain = _brain(context)
    catalog = brain.catalog
    ids = inline_card_ids(brain, query.query)
    results = []
    for cid in ids[:INLINE_MAX_RESULTS]:
        reply = render_card(catalog, cid)
        card = catalog.cards[cid]
        results.append(
            InlineQueryResultArticle(
                id=cid,
                title=card.title,
                description=card.short[:200],
                input_message_content=InputTextMessageContent(reply.text, parse_mode=ParseMode.HTML),
            )
        )
    await query.answer(results, cache_time=INLINE_CACHE_SECONDS, is_personal=False)


def inline_card_ids(brain: Brain, text: str) -> list[str]:
    """Cards for an inline query, best first; topics when empty; the urgent card first when urgent."""
    catalog = brain.catalog
    main = [c for c in ("prednisone", "lems", "als", "side-effects", "compare") if c in catalog.cards]
    if not text.strip():
        return main
    router = brain.router
    scan = router.scan(text)
    if scan.urgent:
        return ["urgent"]
    cond = next(iter(scan.conditions)) if len(scan.conditions) == 1 else None
    ids: list[str] = []
    for cand in router.matcher.match(scan.text).candidates:
        card = catalog.cards[cand.card]
        if card.topic in ("welcome", "smalltalk", "urgent") or cand.score < 40:
            continue
        if card.condition == "general":
            target = catalog.variant(card.topic, cond) if cond else card
            target = target or card
            ids.append(target.id)
        elif cond:
            variant = catalog.variant(card.topic, cond)
            if variant:
                ids.append(variant.id)
        else:
            ids += [v.id for c in ("lems", "als") if (v := catalog.variant(card.topic, c))]
    if cond and not ids:
        ids.append(cond)
    return list(dict.fromkeys(ids)) or main


async def membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A short hello when added to a group; nothing when removed."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None or change.chat.type not in GROUPS:
        return
    was = change.old_chat_member.status in ("member", "administrator", "creator")
    now = change.new_chat_member.status in ("member", "administrator")
    if now and not was:
        await send(
            context, change.chat.id, notice(_brain(context).catalog, "group_hello", bot=f"@{context.bot.username}")
        )


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Commands the bot does not have; in groups only when addressed to this bot."""
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return
    command = (message.text or "").split()[0]
    if chat.type in GROUPS and not command.casefold().endswith(f"@{context.bot.username}".casefold()):
        return
    await send(
        context,
        chat.id,
        notice(_brain(context).catalog, "unknown_command"),
        message.message_id if chat.type in GROUPS else None,
    )


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log with the traceback and keep serving; tell a private chat that something went wrong."""
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat and update.effective_chat.type == ChatType.PRIVATE:
        try:
            await send(context, update.effective_chat.id, notice(_brain(context).catalog, "error"))
        except TelegramError:
            log.warning("could not send the error notice")


async def post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    await app.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])


# --- wiring -----------------------------------------------------------------------------------------


def build_application(
    brain: Brain,
    settings: Settings,
    *,
    clock: Clock = time.time,
    extra: Callable[[Application[Any, Any, Any, Any, Any, Any]], None] | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The whole bot, ready to run; tests point `settings.base_url` at a local Bot API double."""
    app = (
        Application.builder()
        .token(settings.token)
        .base_url(settings.base_url)
        .rate_limiter(AIORateLimiter(max_retries=5))
        .post_init(post_init)
        .build()
    )
    app.bot_data.update(brain=brain, clock=clock)
    private, group = filters.ChatType.PRIVATE, filters.ChatType.GROUPS
    app.add_handler(CommandHandler(["start", "help"], start))
    app.add_handler(CommandHandler("topics", topics_command))
    app.add_handler(CommandHandler("sources", sources_command))
    app.add_handler(CommandHandler("ask", ask))
    if extra is not None:
        extra(app)
    app.add_handler(MessageHandler(filters.COMMAND & filters.UpdateType.MESSAGE, unknown_command))
    app.add_handler(MessageHandler(private & filters.TEXT & filters.UpdateType.MESSAGE, private_text))
    app.add_handler(MessageHandler(group & filters.TEXT & filters.UpdateType.MESSAGE, group_text))
    app.add_handler(
        MessageHandler(
            private & (filters.UpdateType.EDITED_MESSAGE | (~filters.TEXT & ~filters.StatusUpdate.ALL)), non_text
        )
    )
    app.add_handler(CallbackQueryHandler(button))
    app.add_handler(InlineQueryHandler(inline_query))
    app.add_handler(ChatMemberHandler(membership, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_error_handler(on_error)
    return app


def run(
    brain: Brain,
    settings: Settings,
    root: Path,
    *,
    webhook: str = "",
    listen: str = "127.0.0.1",
    port: int = 8443,
    secret: str = "",
) -> None:
    """Run until SIGINT or SIGTERM (python-telegram-bot stops cleanly on both)."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    install_log_redaction(settings.token)
    from bot.adapters import admin  # imported here: admin uses this module's send()

    app = build_application(brain, settings, extra=lambda a: admin.install(a, settings, root))
    if webhook:
        app.run_webhook(
            listen=listen,
            port=port,
            webhook_url=webhook,
            secret_token=secret or None,
            allowed_updates=Update.ALL_TYPES,
            url_path=webhook.rstrip("/").rsplit("/", 1)[-1] if "/" in webhook.split("//", 1)[-1] else "",
        )
    else:
        app.run_polling(allowed_updates=Update.ALL_TYPES)
