"""Nothing leaks: the real `python -m bot telegram` against the Bot API double, read as an attacker would read
its output. A refused token is one line without the token; at BOT_LOG_LEVEL=DEBUG no message text, name or
raw id of a user reaches the log, whatever python-telegram-bot logs."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from telegram import Update

from bot.adapters.shared.logs import install_log_redaction
from bot.settings import Settings
from tests.botapi import BotApiDouble
from tests.process_harness import Cli, bot_env, listening, wait_for
from tests.telegram_harness import free_port

TEXT = "zebra-marmalade question about ALS"
USER_ID, FIRST, LAST, USERNAME = 987654321, "Quentinella", "Marmaladovna", "quentinella_z"
GROUP_ID, MEMBER_ID, MEMBER = -1009876543210, 876543219, "Bartholomina"
SECRETS = ("zebra-marmalade", FIRST, LAST, USERNAME, str(USER_ID), "9876543210", str(MEMBER_ID), MEMBER, "bartholomina")
HOOK = "https://bot.example.com/tg/hook"
OTHER_TOKEN = "5012345678:AAAnother-Secret_of-a-revoked-token-42"


def leaks(output: str, token: str) -> list[str]:
    """What the output gives away: the token, its secret half, or any of the people's strings."""
    found = [s for s in SECRETS if s in output]
    return found + [label for label, s in (("token", token), ("secret half", token.split(":")[1])) if s in output]


# ---------------------------------------------------------------------- a token Telegram refuses


def _unreachable(tg: BotApiDouble) -> dict[str, str]:
    return {"TELEGRAM_BASE_URL": f"http://127.0.0.1:{free_port()}/bot"}  # nothing listens there


@pytest.mark.parametrize(
    ("case", "extra", "said"),
    [
        ("revoked token", lambda tg: {"TELEGRAM_BOT_TOKEN": OTHER_TOKEN}, "refused the bot token (401 Unauthorized)"),
        ("wrong base URL", lambda tg: {"TELEGRAM_BASE_URL": tg.base_url + "nope/"}, "(404 Not Found)"),
        ("unreachable", _unreachable, "could not reach Telegram at http://127.0.0.1:"),
    ],
)
@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
async def test_a_token_telegram_refuses_is_one_line_without_the_token(
    tg: BotApiDouble, tmp_path: Path, case: str, extra: object, said: str, level: str
) -> None:
    env = bot_env(tg, tmp_path, BOT_LOG_LEVEL=level, **extra(tg))  # type: ignore[operator]
    cli = Cli(["telegram"], env, tmp_path / "bot.log")
    started = time.monotonic()
    try:
        code = await cli.wait(timeout=20)
    finally:
        cli.kill()
    output = cli.output()
    assert code == 1, output
    assert time.monotonic() - started < 20
    lines = [line for line in output.splitlines() if " DEBUG asyncio: " not in line]  # 'Using selector: ...'
    assert len(lines) == 1 and said in lines[0], output
    assert "TELEGRAM_BASE_URL" in lines[0] and "Traceback" not in output
    assert leaks(output, env["TELEGRAM_BOT_TOKEN"]) == []


async def test_a_token_revoked_while_running_stops_the_bot_with_one_line_without_the_token(
    tg: BotApiDouble, tmp_path: Path
) -> None:
    env = bot_env(tg, tmp_path)
    cli = Cli(["telegram"], env, tmp_path / "bot.log")
    try:
        await tg.wait_for_poller_async(timeout=20)
        tg.token = OTHER_TOKEN  # revoked in BotFather: every call from now on is 401
        code = await cli.wait(timeout=30)  # the long poll in hand ends first
    finally:
        cli.kill()
    output = cli.output()
    assert code == 1, output
    assert "Telegram refused the bot token (401 Unauthorized): check TELEGRAM_BOT_TOKEN" in output
    assert leaks(output, env["TELEGRAM_BOT_TOKEN"]) == []


# ---------------------------------------------------------------------- DEBUG logs of real traffic


@pytest.fixture
def debug_env(tg: BotApiDouble, tmp_path: Path) -> Iterator[dict[str, str]]:
    tg.add_user(USER_ID, FIRST, last_name=LAST, username=USERNAME)
    tg.add_user(MEMBER_ID, MEMBER, username="bartholomina_q")
    tg.add_chat(GROUP_ID, "supergroup", title=f"{FIRST}'s family")
    yield bot_env(tg, tmp_path, BOT_LOG_LEVEL="DEBUG")


def _button(message: dict[str, object]) -> str:
    markup = message.get("reply_markup")
    assert isinstance(markup, dict)
    return str(markup["inline_keyboard"][0][0]["callback_data"])


async def test_debug_logs_of_every_kind_of_update_hold_no_text_names_or_ids(
    tg: BotApiDouble, debug_env: dict[str, str], tmp_path: Path
) -> None:
    cli = Cli(["telegram"], debug_env, tmp_path / "bot.log")
    try:
        await tg.wait_for_poller_async(timeout=20)
        tg.push_message(USER_ID, USER_ID, TEXT)  # a private message
        (answer,) = await tg.wait_for_messages_async(USER_ID, 1, timeout=10)
        tg.push_callback_query(USER_ID, USER_ID, int(answer["message_id"]), _button(answer))  # a button press
        await tg.wait_for_messages_async(USER_ID, 2, timeout=10)
        tg.push_message(GROUP_ID, MEMBER_ID, f"/ask {TEXT}")  # a group /ask
        await tg.wait_for_messages_async(GROUP_ID, 1, timeout=10)
        tg.push_inline_query(USER_ID, f"{TEXT} side effects")  # an inline query
        await tg.wait_for_calls_async("answerInlineQuery", timeout=10)
        assert await cli.stop() == 0
    finally:
        cli.kill()
    output = cli.output()
    assert "DEBUG telegram" in output  # python-telegram-bot did log its requests and updates...
    assert "Calling Bot API endpoint `sendMessage`" in output
    assert leaks(output, debug_env["TELEGRAM_BOT_TOKEN"]) == []  # ...without a person or the token in them


async def test_webhook_updates_that_cannot_be_read_are_logged_without_their_content(
    tg: BotApiDouble, debug_env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    env = {**debug_env, "BOT_WEBHOOK_SECRET": "leak-test-secret"}
    cli = Cli(["telegram", "--webhook", HOOK, "--port", str(port)], env, tmp_path / "bot.log")
    person = {"id": USER_ID, "is_bot": False, "first_name": FIRST, "last_name": LAST, "username": USERNAME}
    url = f"http://127.0.0.1:{port}/tg/hook"
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "leak-test-secret"}
    bodies = [
        json.dumps({"update_id": "not a number", "message": {"text": TEXT, "from": person}}).encode(),
        json.dumps({"message": {"message_id": 1, "text": TEXT, "from": person, "chat": {"id": USER_ID}}}).encode(),
        json.dumps([{"text": TEXT, "from": person}]).encode(),
        b'{"update_id": 5, "message": {"text": "' + TEXT.encode() + b'", "from": {"first_name": "' + FIRST.encode(),
        b'{"text": "' + TEXT.encode() + b" \xff\xfe " + FIRST.encode() + b'"}',
    ]
    try:
        await tg.wait_for_calls_async("setWebhook", timeout=20)
        await wait_for(lambda: listening(port), 10, "the webhook server")
        async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
            for body in bodies:
                response = await client.post(url, content=body, headers=headers)
                assert response.status_code < 500
        update = tg.push_message(USER_ID, USER_ID, TEXT, queue=False)  # and a good one is still answered
        assert update is not None and await tg.post_update(url, update) == 200
        await tg.wait_for_messages_async(USER_ID, 1, timeout=10)
        assert await cli.stop() == 0
    finally:
        cli.kill()
    output = cli.output()
    assert "DEBUG" in output
    assert leaks(output, env["TELEGRAM_BOT_TOKEN"]) == [] and "leak-test-secret" not in output


# ---------------------------------------------------------------------- what python-telegram-bot can log


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """The root logger as `run` sets it up (DEBUG, filters installed), writing to a string."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    install_log_redaction(OTHER_TOKEN)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_every_kind_of_ptb_log_call_that_carries_data_is_withheld(log_output: io.StringIO) -> None:
    person = {"id": USER_ID, "first_name": FIRST, "last_name": LAST, "username": USERNAME}
    update = Update.de_json(
        {"update_id": 7, "message": {"message_id": 1, "date": 0, "text": TEXT, "from": {**person, "is_bot": False},
                                     "chat": {"id": USER_ID, "type": "private", "first_name": FIRST}}},
        None,
    )  # fmt: skip
    bot, app = logging.getLogger("telegram.Bot"), logging.getLogger("telegram.ext.Application")
    bot.debug("Calling Bot API endpoint `%s` with parameters `%s`", "sendMessage", {"chat_id": USER_ID, "text": TEXT})
    bot.debug("Call to Bot API endpoint `%s` finished with return value `%s`", "getUpdates", [{"message": person}])
    bot.debug("Getting updates: %s", [7, 8])
    app.debug("Processing update %s", update)
    app.debug(update)
    try:
        int(f"{FIRST} {TEXT}")
    except ValueError as exc:
        webhook = logging.getLogger("telegram.ext._utils.webhookhandler")
        webhook.critical("Received data was *not* processed! Received data was: %r", person, exc_info=exc)
        webhook.debug("Webhook received data: %s", json.dumps(person))
        app.exception("No error handlers are registered, logging exception.", exc_info=exc)  # no args, still
    logging.getLogger("telegram.request").error('Can not load invalid JSON data: "%s"', f"<html>{TEXT}")
    output = log_output.getvalue()
    assert leaks(output, OTHER_TOKEN) == [], output
    assert "Calling Bot API endpoint `sendMessage` with parameters `<dict withheld>`" in output
    assert "Getting updates: [7, 8]" in output and "Processing update <update 7>" in output
    assert "ValueError: <message withheld>" in output and "int(f" in output  # where it failed stays readable


def test_the_token_is_withheld_everywhere_in_a_record(log_output: io.StringIO) -> None:
    from telegram.error import InvalidToken

    secret = OTHER_TOKEN.split(":")[1]
    try:
        try:
            raise InvalidToken("Unauthorized")
        except InvalidToken as exc:
            raise InvalidToken(f"The token `{OTHER_TOKEN}` was rejected by the server.") from exc
    except InvalidToken as exc:
        logging.getLogger("telegram.ext.Application").exception("Invalid token. Aborting.", exc_info=exc)
    logging.getLogger("httpx").warning("POST http://x/bot%s/getMe", OTHER_TOKEN.replace(":", "%3A"))
    logging.getLogger("asyncio").error("task failed with secret %s", secret, stack_info=True)
    output = log_output.getvalue()
    assert leaks(output, OTHER_TOKEN) == [] and output.count("<token>") >= 3, output
    assert "The above exception was the direct cause" in output  # the chain is still there, token-free


def test_the_log_level_is_the_operators_choice_and_a_typo_is_refused() -> None:
    assert Settings.from_env({}).log_level == "INFO"
    assert Settings.from_env({"BOT_LOG_LEVEL": " debug "}).log_level == "DEBUG"
    with pytest.raises(ValueError, match="BOT_LOG_LEVEL must be one of DEBUG, INFO"):
        Settings.from_env({"BOT_LOG_LEVEL": "verbose"})
