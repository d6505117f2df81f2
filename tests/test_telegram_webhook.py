"""Webhook mode, and the command line end to end: `python -m bot telegram` in a subprocess, against the double.

The in-process test starts the webhook server with exactly the options `run()` passes to run_webhook;
the subprocess tests run the real entry point (polling by default, `--webhook URL`), stop it with SIGTERM
as Docker would, and restart it to show that the chat context survives.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.adapters.telegram.app import ConfigError, Webhook, build_application
from bot.adapters.telegram.handlers import ALLOWED_UPDATES
from bot.adapters.telegram.webhook import WebhookServer
from bot.brain import Brain
from bot.catalog import Catalog
from tests.botapi import BotApiDouble
from tests.conftest import ROOT
from tests.process_harness import Cli, bot_env, listening, wait_for
from tests.telegram_harness import USER, bot_settings, free_port, is_card

QUESTION, CARD = "does prednisone help ALS?", "als-evidence"
HOOK = "https://bot.example.com/tg/hook"


# ---------------------------------------------------------------------- options


def test_webhook_options_for_a_reverse_proxy() -> None:
    options = Webhook(HOOK, listen="0.0.0.0", port=8080, secret="s3cret_Token-1").options()
    assert options == {
        "listen": "0.0.0.0",
        "port": 8080,
        "url_path": "tg/hook",  # the proxy forwards the public path unchanged
        "webhook_url": HOOK,
        "secret_token": "s3cret_Token-1",
        "allowed_updates": list(ALLOWED_UPDATES),
    }
    assert Webhook(HOOK, path="/internal/").options()["url_path"] == "internal"


def test_a_webhook_secret_is_made_when_none_is_given() -> None:
    first, second = (Webhook(HOOK).options()["secret_token"] for _ in range(2))
    assert first != second and re.fullmatch(r"[A-Za-z0-9_-]{32,256}", first)


@pytest.mark.parametrize(
    ("webhook", "message"),
    [
        (Webhook("http://bot.example.com/hook"), "must be an https:// URL"),
        (Webhook("https:///hook"), "must be an https:// URL"),
        (Webhook(HOOK, secret="not allowed!"), "A-Z a-z 0-9 _ -"),
        (Webhook(HOOK, port=70000), "--port must be 1-65535"),
    ],
)
def test_bad_webhook_options_are_refused_with_a_reason(webhook: Webhook, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        webhook.options()


def test_the_command_line_refuses_bad_webhook_flags(capsys: pytest.CaptureFixture[str]) -> None:
    env = {"TELEGRAM_BOT_TOKEN": "123:abc", "BOT_DATA_DIR": "/nonexistent"}
    assert main(["--root", str(ROOT), "telegram", "--webhook", "http://insecure.example/hook"], env) == 2
    assert "must be an https:// URL" in capsys.readouterr().err
    assert main(["--root", str(ROOT), "telegram"], {**env, "BOT_WEBHOOK_PORT": "http"}) == 2
    assert "BOT_WEBHOOK_PORT must be a port number" in capsys.readouterr().err


# ---------------------------------------------------------------------- in process


async def test_webhook_mode_answers_only_updates_with_the_right_secret(
    tg: BotApiDouble, catalog: Catalog, tmp_path: Path
) -> None:
    port = free_port()
    options = Webhook(HOOK, port=port, secret="s3cret").options()
    app = build_application(Brain(catalog), bot_settings(tg, tmp_path))
    url = f"http://127.0.0.1:{port}/tg/hook"
    server = WebhookServer(app, listen="127.0.0.1", port=port, path=options["url_path"], secret="s3cret")
    async with app:
        await app.start()
        await server.start()
        await app.bot.set_webhook(HOOK, secret_token="s3cret", allowed_updates=options["allowed_updates"])
        try:
            forged = tg.push_message(USER, USER, "does prednisone help LEMS?", queue=False)
            assert forged is not None
            assert await tg.post_update(url, forged, secret_token="wrong") == 403
            assert await tg.post_update(url, forged, secret_token="") == 403  # no header at all
            assert await tg.post_update(f"http://127.0.0.1:{port}/other", forged) == 404

            for n, text in enumerate([QUESTION, "what about side effects?"], start=1):
                update = tg.push_message(USER, USER, text, queue=False)
                assert update is not None
                assert await tg.post_update(url, update) == 200  # the secret setWebhook registered
                await tg.wait_for_messages_async(USER, n)
        finally:
            await server.stop()
            await app.stop()
    sent = tg.sent_messages(USER)
    assert [is_card(m, catalog, c) for m, c in zip(sent, [CARD, "als-side-effects"], strict=True)] == [True, True]
    assert tg.webhook["url"] == HOOK and tg.webhook["secret_token"] == "s3cret"
    assert tg.webhook["allowed_updates"] == list(ALLOWED_UPDATES)


# ---------------------------------------------------------------------- the real entry point


@pytest.fixture
def cli_env(tg: BotApiDouble, tmp_path: Path) -> Iterator[dict[str, str]]:
    yield bot_env(tg, tmp_path)


async def test_polling_by_default_and_a_restart_keeps_the_context(
    tg: BotApiDouble, catalog: Catalog, cli_env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    first = Cli([], cli_env, log)  # plain `python -m bot` with a token: the Telegram bot, polling
    try:
        await tg.wait_for_poller_async(timeout=20)
        tg.push_message(USER, USER, QUESTION)
        (answer,) = await tg.wait_for_messages_async(USER, 1, timeout=10)
        assert await first.stop() == 0
    finally:
        first.kill()
    assert is_card(answer, catalog, CARD)
    assert tg.pending_updates == []  # confirmed on the way down
    assert [c["command"] for c in tg.commands()][:2] == ["start", "help"]  # post_init ran

    tg.push_message(USER, USER, "what about side effects?")  # asked while the bot is down
    second = Cli(["telegram"], cli_env, log)
    try:
        follow_up = (await tg.wait_for_messages_async(USER, 2, timeout=20))[1]
        assert await second.stop() == 0
    finally:
        second.kill()
    assert is_card(follow_up, catalog, "als-side-effects")  # the context came back from BOT_DATA_DIR
    assert len(tg.sent_messages(USER)) == 2  # nothing replayed
    output = log.read_text()
    assert "Application started" in output
    assert tg.token not in output and tg.token.split(":")[1] not in output
    assert "side effects" not in output and str(USER) not in output


async def test_webhook_mode_from_the_command_line(
    tg: BotApiDouble, catalog: Catalog, cli_env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    env = {**cli_env, "BOT_WEBHOOK_SECRET": "from-the-environment"}
    cli = Cli(["telegram", "--webhook", HOOK, "--port", str(port)], env, tmp_path / "bot.log")
    try:
        await tg.wait_for_calls_async("setWebhook", timeout=20)
        await wait_for(lambda: listening(port), 10, "the webhook server")
        update = tg.push_message(USER, USER, QUESTION, queue=False)
        assert update is not None
        url = f"http://127.0.0.1:{port}/tg/hook"
        assert await tg.post_update(url, update, secret_token="guess") == 403
        assert await tg.post_update(url, update) == 200
        (answer,) = await tg.wait_for_messages_async(USER, 1, timeout=10)
        assert await cli.stop() == 0
    finally:
        cli.kill()
    assert is_card(answer, catalog, CARD)
    assert tg.webhook["url"] == HOOK and tg.webhook["secret_token"] == "from-the-environment"
    assert "from-the-environment" not in (tmp_path / "bot.log").read_text()
