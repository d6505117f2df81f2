"""What the bot does with each kind of update: one handler each, a one-line docstring saying what for.

Every message goes out through `delivery.send`, and every text it sends is a `Reply` from the renderer,
which has already appended the disclaimer (inline results are rendered the same way). Shared state is the
typed `Services` object (`services(context)`), never string keys.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from telegram import (
    BotCommand,
    ChatMember,
    ChatMemberRestricted,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import (
    BadRequest,
    TelegramError,
)
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
)

from bot.adapters.telegram.delivery import blocked, send
from bot.adapters.telegram.format import telegram_html
from bot.adapters.telegram.services import Context, services
from bot.brain import Brain
from bot.inline import inline_cards
from bot.render import CALLBACK_PREFIX, notice, render_card, sources_text, topics, welcome
from bot.router import MAX_MATCH_CHARS

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


def _reply_to(update: Update) -> int | None:
    """In groups the bot answers as a reply to the asker's message; in private chats it just answers."""
    chat, message = update.effective_chat, update.effective_message
    return message.message_id if chat is not None and message is not None and chat.type in GROUPS else None


async def _answer(update: Update, context: Context, text: str) -> None:
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return
    if not text.strip():  # "/ask" or a bare mention: how to ask
        await send(context, chat.id, welcome(services(context).brain.catalog), _reply_to(update))
        return
    shared = services(context)
    key = shared.keys("telegram", conversation_key(chat.id, user.id if user else None, chat.type))
    turn = await shared.brain.aturn(text, key, shared.clock())
    shared.stats.count(turn.reply)
    log.info("answered chat=%s kind=%s card=%s", shared.anonymize(chat.id), turn.reply.kind, turn.reply.card)
    if turn.reply.kind == "fallback" and shared.missed is not None:
        shared.missed.add(" ".join(shared.brain.router.normalize.words_of(text[:MAX_MATCH_CHARS])))  # as matched
    await send(context, chat.id, turn.reply, _reply_to(update))


# --- handlers ---------------------------------------------------------------------------------------


async def gate(update: Update, context: Context) -> None:
    """Runs first: drop messages from other bots and messages sent via this bot (inline results)."""
    message = update.message or update.edited_message
    if message is None:
        return
    via = message.via_bot
    if sent_by_a_bot(message) or (via is not None and via.id == context.bot.id):
        raise ApplicationHandlerStop


async def start(update: Update, context: Context) -> None:
    """/start and /help: what the bot answers, with topic buttons."""
    if update.effective_chat:
        await send(context, update.effective_chat.id, welcome(services(context).brain.catalog), _reply_to(update))


async def topics_command(update: Update, context: Context) -> None:
    """/topics: every card as a button."""
    if update.effective_chat:
        await send(context, update.effective_chat.id, topics(services(context).brain.catalog), _reply_to(update))


async def sources_command(update: Update, context: Context) -> None:
    """/sources: the articles behind the answers."""
    if update.effective_chat:
        catalog = services(context).brain.catalog
        reply = render_card(catalog, "sources") if "sources" in catalog.cards else sources_text(catalog)
        await send(context, update.effective_chat.id, reply, _reply_to(update))


async def ask(update: Update, context: Context) -> None:
    """/ask <question>, in any chat."""
    await _answer(update, context, " ".join(context.args or ()))


async def private_text(update: Update, context: Context) -> None:
    """Any text in a private chat is a question."""
    if update.message and update.message.text is not None:
        await _answer(update, context, update.message.text)


async def group_text(update: Update, context: Context) -> None:
    """In groups, only messages addressed to the bot; other people's talk is none of its business."""
    message = update.message
    if message is None or message.text is None:
        return
    question = addressed_text(message, context.bot.username, context.bot.id)
    if question is not None:
        await _answer(update, context, question)


async def non_text(update: Update, context: Context) -> None:
    """Stickers, photos, voice, files, locations, edits, service messages in a private chat: what the bot reads."""
    if update.effective_chat:
        await send(context, update.effective_chat.id, notice(services(context).brain.catalog, "non_text"))


async def button(update: Update, context: Context) -> None:
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
    shared = services(context)
    key = shared.keys("telegram", conversation_key(chat.id, query.from_user.id, chat.type))
    reply = await shared.brain.apress(query.data.removeprefix(CALLBACK_PREFIX), key, shared.clock())
    shared.stats.count(reply)
    log.info("button chat=%s kind=%s card=%s", shared.anonymize(chat.id), reply.kind, reply.card)
    reply_to = query.message.message_id if chat.type in GROUPS and query.message else None
    await send(context, chat.id, reply, reply_to)


async def inline_query(update: Update, context: Context) -> None:
    """@bot question: the best cards as shareable results; urgent first when the query is urgent."""
    query = update.inline_query
    if query is None:
        return
    shared = services(context)
    brain = shared.brain
    catalog = brain.catalog
    now = shared.clock()
    cache = shared.inline_cache
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
        input_message_content=InputTextMessageContent(telegram_html(reply), parse_mode=ParseMode.HTML),
    )


def _present(member: ChatMember) -> bool:
    if isinstance(member, ChatMemberRestricted):
        return member.is_member
    return member.status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER)


async def membership(update: Update, context: Context) -> None:
    """The bot's own membership: a short hello when added to a group; a block is noted, not answered."""
    change = update.my_chat_member
    if change is None:
        return
    chat = change.chat
    was, now = _present(change.old_chat_member), _present(change.new_chat_member)
    if chat.type == ChatType.PRIVATE:
        if not now:
            blocked(context, chat.id)
        else:
            services(context).blocked.pop(chat.id, None)
    elif chat.type in GROUPS:
        if now and not was:
            log.info("added to a group chat=%s", services(context).anonymize(chat.id))
            hello = notice(services(context).brain.catalog, "group_hello", bot=f"@{context.bot.username}")
            await send(context, chat.id, hello)
        elif was and not now:
            log.info("removed from a group chat=%s", services(context).anonymize(chat.id))


async def unknown_command(update: Update, context: Context) -> None:
    """Commands the bot does not have; in groups only when addressed to this bot."""
    chat, message = update.effective_chat, update.message
    if chat is None or message is None:
        return
    command = (message.text or "").split()[0]
    if chat.type in GROUPS and not command.casefold().endswith(f"@{context.bot.username}".casefold()):
        return
    await send(context, chat.id, notice(services(context).brain.catalog, "unknown_command"), _reply_to(update))


def _was_for_us(update: Update, context: Context) -> bool:
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


async def on_error(update: object, context: Context) -> None:
    """Log with the traceback and keep serving; tell the asker that something went wrong."""
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None or not _was_for_us(update, context):
        return
    try:
        await send(
            context, update.effective_chat.id, notice(services(context).brain.catalog, "error"), _reply_to(update)
        )
    except TelegramError:
        log.warning("could not send the error notice either")


async def post_init(app: App) -> None:
    """The command menu users see; a failure here must not stop the bot from answering."""
    try:
        await app.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
    except TelegramError as exc:
        log.warning("could not set the command menu: %s", exc)
