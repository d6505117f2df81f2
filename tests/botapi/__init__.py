"""A test double of the Telegram Bot API, served over real HTTP on 127.0.0.1.

Why a server rather than mocks: python-telegram-bot is exercised end to end (request building,
form encoding, httpx timeouts, error mapping to ``telegram.error``), so tests catch what the real
API would reject. Usage::

    from tests.botapi import BotApiDouble

    with BotApiDouble() as tg:                       # or: async with BotApiDouble() as tg
        app = Application.builder().token(tg.token).base_url(tg.base_url).build()
        ...                                          # start polling, or Bot(tg.token, base_url=...)
        tg.push_message(chat_id=42, user_id=42, text="/start")
        replies = await tg.wait_for_messages_async(42, count=1)

Inside async tests use the ``*_async`` waits: the plain ones block the event loop the bot runs on.

Reproduced (as python-telegram-bot 22.8 talks to it):

* Transport: ``POST``/``GET {base_url}{token}/{method}``; parameters from the query string,
  form-urlencoded (what PTB sends; objects JSON-encoded per field), JSON or multipart bodies;
  method names case-insensitive; answers ``{"ok": true, "result": ..., ["description"]}`` or
  ``{"ok": false, "error_code": N, "description": "...", ["parameters": {...}]}``.
* Auth: malformed token -> 404 "Not Found"; well-formed wrong token -> 401 "Unauthorized";
  unknown method -> 404 "Not Found".
* getMe (bot ``@pred_info_bot``, can_join_groups, supports_inline_queries, privacy mode on).
* getUpdates: offset confirms (drops) earlier updates, negative offset keeps the last N, limit
  1-100, long-poll timeout (blocks until an update or the timeout, then ``[]``), allowed_updates
  remembered between calls and applied when updates are created, 409 Conflict for a second
  concurrent poll ("terminated by other getUpdates request") and while a webhook is set.
* sendMessage: chat_id ("chat_id is empty", "chat not found", 403 "bot can't initiate
  conversation with a user" for a known user without a private chat), text required and
  <= 4096 code points after entity parsing and trimming ("message text is empty", "message is
  too long"), parse_mode HTML via a port of tdlib's parser with Telegram's exact error text
  ("can't parse entities: Unsupported start tag "p" at byte offset 0", unmatched/unclosed tags,
  &lt;&gt;&amp;&quot; and numeric entities, <pre><code class="language-x">, tg-spoiler,
  tg-emoji, blockquote expandable, tg://user?id= mentions), explicit ``entities``, automatic
  entities (mention, bot_command, hashtag, url, email) with UTF-16 offsets, inline keyboards
  (callback_data 1-64 bytes, "BUTTON_DATA_INVALID"; text-only buttons rejected; url buttons
  checked) echoed in the returned Message, reply keyboards/remove/force_reply accepted,
  ``reply_parameters`` and legacy ``reply_to_message_id`` (+ allow_sending_without_reply,
  "message to be replied not found"), 403 for blocked users / removed bots. Returns a full
  Message (message_id per chat, from = the bot, chat, date, text, entities, reply_markup).
* editMessageText / editMessageReplyMarkup ("message to edit not found", "message can't be
  edited", "message is not modified: ...", keyboard removed when reply_markup is omitted),
  deleteMessage, sendChatAction.
* answerCallbackQuery / answerInlineQuery: once per pushed query, else "query is too old and
  response timeout expired or query ID is invalid"; inline results <= 50 ("RESULTS_TOO_MUCH"),
  unique ids ("RESULT_ID_DUPLICATE"), article message_text parsed like sendMessage.
* setMyCommands / getMyCommands / deleteMyCommands per scope and language_code.
* setWebhook (HTTPS and ports 80/88/443/8443 only, secret_token charset, "Webhook was set"),
  deleteWebhook, getWebhookInfo (pending_update_count), drop_pending_updates; close, logOut.
* Updates from test hooks with increasing update_ids: push_message (text, sticker, photo, voice,
  document, video, audio, location, contact; reply_to; group privacy mode), push_edited_message,
  push_channel_post, push_callback_query (checks the button exists), push_inline_query,
  push_my_chat_member (block/unblock, add/remove; adds the new_chat_members service message),
  push_new_chat_members. ``queue=False`` only builds the update (for webhook tests, with
  ``post_update`` to POST it to the bot's webhook server).
* Faults for the next N calls of a method (optionally one chat): 429 with retry_after, 500,
  any ErrorReply (e.g. 403 blocked), Slow (answer after a delay; dropped if the client gave up),
  Disconnect (no response). A faulted call is not executed, so nothing is delivered, unless the
  fault explicitly models "delivered but the answer was lost" (``deliver=True``).
* Recording: every call (method, decoded params, time, status, response, fault), every
  delivered message per chat; bounded waits on a condition variable (no sleeps). A bug inside
  the double answers 500 "[botapi double] internal error: ..." and is kept in
  ``internal_errors``; ``inject()`` refuses methods the double does not emulate.

Not reproduced (tests must not rely on these):

* parse_mode Markdown/MarkdownV2 (answered with an explicit "[botapi double] ... not emulated"
  400), media sending and file download, forwarding/copying, polls, payments, games, business,
  topics, stories, reactions, chat administration, getChat/getChatMember and most other
  methods (404 like unknown methods; use ``register_method`` to add one for a test).
* Rate limits are never applied by themselves (only injected 429s); no 30 msg/s or per-chat
  throttling, no 15-second callback-answer window, no update expiry after 24 h.
* tdlib's fix_formatted_text is approximated: leading/trailing ASCII whitespace is trimmed, but
  overlapping entities are not split, control characters are not replaced, and URL/e-mail/
  mention auto-detection uses simplified patterns (no bare domains, phone numbers, cashtags).
* Error texts are Telegram's for the cases listed above; other validation messages (commands,
  secret token, inline result ids, malformed JSON fields) are close approximations.
* Chats are per-chat message counters; replies across chats, quotes, link previews, message
  threads, protected content beyond a flag, and supergroup migration are not modelled.
* Webhook delivery is not performed by the server (tests POST updates with ``post_update``).
"""

from .double import ApiError, BotApiDouble, Call, ChatType, bad_request
from .faults import (
    Disconnect,
    ErrorReply,
    Fault,
    Slow,
    bad_gateway,
    bot_blocked,
    internal_server_error,
    too_many_requests,
)
from .params import UploadedFile

__all__ = [
    "ApiError",
    "BotApiDouble",
    "Call",
    "ChatType",
    "Disconnect",
    "ErrorReply",
    "Fault",
    "Slow",
    "UploadedFile",
    "bad_gateway",
    "bad_request",
    "bot_blocked",
    "internal_server_error",
    "too_many_requests",
]
