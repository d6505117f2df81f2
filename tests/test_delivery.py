"""Nothing lost, no chat held up by another: the real `python -m bot telegram`, killed, stopped and starved.

Each test drives the process as an operator's worst day would (SIGKILL with hundreds of messages waiting,
SIGTERM mid-backlog, one chat stuck in retries) against the Bot API double, and checks what users got.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections import Counter
from pathlib import Path

import httpx

from bot.adapters.telegram.polling import PAGE
from bot.brain import Brain
from bot.catalog import Catalog
from tests.botapi import BotApiDouble
from tests.process_harness import Cli, bot_env, listening, wait_for
from tests.telegram_harness import USER, free_port, is_card

# Ten questions with ten different cards, each whole on its own (no follow-up context needed).
QUESTIONS = (
    "does prednisone help ALS?",
    "what is LEMS?",
    "what is ALS?",
    "what is prednisone?",
    "side effects of prednisone in LEMS",
    "what else besides prednisone is used for ALS?",
    "how does prednisone work in LEMS?",
    "what does the research say about prednisone for LEMS?",
    "how does prednisone work in ALS?",
    "side effects of prednisone in ALS",
)


def cards_of(catalog: Catalog) -> list[str]:
    """The card each question gets in a fresh conversation, checked to be ten different ones."""
    brain = Brain(catalog)
    cards = [brain.reply(q, f"probe-{n}", 0.0).card for n, q in enumerate(QUESTIONS)]
    assert None not in cards and len(set(cards)) == len(QUESTIONS), cards
    return [c for c in cards if c is not None]


def answered_cards(tg: BotApiDouble, catalog: Catalog, chat: int, cards: list[str]) -> Counter[str]:
    """How many times each of `cards` reached the chat."""
    got: Counter[str] = Counter()
    for message in tg.sent_messages(chat):
        for card in cards:
            if is_card(message, catalog, card):
                got[card] += 1
    return got


def backlog(tg: BotApiDouble, chats: list[int]) -> None:
    """Every chat asks every question, all queued at Telegram before the bot starts."""
    for question in QUESTIONS:
        for chat in chats:
            tg.push_message(chat, chat, question)


def stop_phases(log: Path) -> list[str]:
    """The bot's own account of a stop (each phase with its time), for a failure message."""
    words = ("stopping", "in hand", "confirm", "stopped", "Application")
    return [line for line in log.read_text().splitlines() if any(w in line for w in words)]


def replies(tg: BotApiDouble) -> int:
    return sum(1 for c in tg.calls_to("sendMessage") if c.status == 200)


async def test_sigkill_with_600_queued_loses_no_message(tg: BotApiDouble, catalog: Catalog, tmp_path: Path) -> None:
    """600 messages from 60 chats wait; the bot is killed (SIGKILL) mid-backlog, restarted; every one is answered."""
    cards = cards_of(catalog)
    chats = [USER + 1000 + n for n in range(60)]
    backlog(tg, chats)
    env = bot_env(tg, tmp_path)
    log = tmp_path / "bot.log"
    first = Cli(["telegram"], env, log)
    try:
        await wait_for(lambda: replies(tg) >= 60, 30, "the first replies")  # a few seconds in
        first.kill()
    finally:
        first.kill()
    before_restart = replies(tg)
    assert before_restart < 600, "the kill came too late to prove anything"
    second = Cli(["telegram"], env, log)
    try:
        await wait_for(
            lambda: all(set(answered_cards(tg, catalog, c, cards)) == set(cards) for c in chats), 90, "every answer"
        )
        assert await second.stop() == 0
    finally:
        second.kill()
    total = sum(sum(answered_cards(tg, catalog, c, cards).values()) for c in chats)
    duplicates = total - 600
    assert 0 <= duplicates <= PAGE  # the documented window: answered again after a hard kill, at most one page
    assert tg.pending_updates == []  # everything confirmed at the clean stop


async def test_sigterm_mid_backlog_finishes_what_it_holds_and_repeats_nothing(
    tg: BotApiDouble, catalog: Catalog, tmp_path: Path
) -> None:
    cards = cards_of(catalog)
    chats = [USER + 2000 + n for n in range(20)]
    backlog(tg, chats)
    env = bot_env(tg, tmp_path)
    log = tmp_path / "bot.log"
    first = Cli(["telegram"], env, log)
    try:
        await wait_for(lambda: replies(tg) >= 20, 30, "the first replies")
        started = time.monotonic()
        assert await first.stop() == 0  # as `docker stop` does
        took = time.monotonic() - started
        assert took < 10, f"stop took {took:.1f} s: {stop_phases(log)}"  # inside Docker's default grace period
    finally:
        first.kill()
    second = Cli(["telegram"], env, log)
    try:
        await wait_for(
            lambda: all(set(answered_cards(tg, catalog, c, cards)) == set(cards) for c in chats), 60, "every answer"
        )
        assert await second.stop() == 0
    finally:
        second.kill()
    for chat in chats:
        assert answered_cards(tg, catalog, chat, cards) == Counter(cards)  # each once: nothing repeated


async def test_a_chat_in_retries_with_20_queued_does_not_hold_up_another(
    tg: BotApiDouble, catalog: Catalog, tmp_path: Path
) -> None:
    slow, other = USER + 3000, USER + 3001
    cli = Cli(["telegram"], bot_env(tg, tmp_path), tmp_path / "bot.log")
    try:
        await tg.wait_for_poller_async(timeout=20)
        tg.inject_server_error("sendMessage", times=4, chat_id=slow)  # backs off 1 + 2 + 4 + 8 s
        tg.inject_retry_after("sendMessage", 20, chat_id=slow)  # then flood control for this chat
        for n in range(20):
            tg.push_message(slow, slow, QUESTIONS[n % len(QUESTIONS)])
        await tg.wait_for_calls_async("sendMessage", 2, timeout=10)  # the slow chat is in its retries
        asked = time.monotonic()
        tg.push_message(other, other, QUESTIONS[0])
        (answer,) = await tg.wait_for_messages_async(other, 1, timeout=10)
        assert time.monotonic() - asked < 3
        assert is_card(answer, catalog, "als-evidence")
        assert tg.sent_messages(slow) == []  # still waiting its turn
    finally:
        cli.kill()


# ---------------------------------------------------------------------- webhook mode

HOOK = "https://bot.example.com/tg/hook"
SECRET = "the-shared-secret"


def _raw_post(port: int, headers: dict[str, str], body: bytes = b"") -> tuple[int, float]:
    """Send a request's headers (and maybe part of a body); the status and how long the answer took."""
    lines = ["POST /tg/hook HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall("\r\n".join(lines).encode() + body)
        status_line = sock.recv(4096).split(b"\r\n", 1)[0]
    return int(status_line.split()[1]), time.monotonic() - started


async def test_webhook_answers_after_handling_refuses_early_and_never_replies_twice(
    tg: BotApiDouble, catalog: Catalog, tmp_path: Path
) -> None:
    port = free_port()
    env = bot_env(tg, tmp_path, BOT_WEBHOOK_SECRET=SECRET)
    log = tmp_path / "bot.log"
    cli = Cli(["telegram", "--webhook", HOOK, "--port", str(port)], env, log)
    url = f"http://127.0.0.1:{port}/tg/hook"
    try:
        await tg.wait_for_calls_async("setWebhook", timeout=20)
        await wait_for(lambda: listening(port), 10, "the webhook server")

        # 90 MB announced, no secret: refused on the headers alone, no body read
        status, took = await asyncio.to_thread(
            _raw_post, port, {"Content-Type": "application/json", "Content-Length": str(90 * 2**20)}
        )
        assert status == 403 and took < 1
        # with the secret but over the size cap: refused before the body too
        big = {
            "Content-Type": "application/json",
            "Content-Length": str(90 * 2**20),
            "X-Telegram-Bot-Api-Secret-Token": SECRET,
        }
        status, took = await asyncio.to_thread(_raw_post, port, big)
        assert status == 413 and took < 1

        # charset in the content type is fine; 200 comes only once the answer went out
        update = tg.push_message(USER, USER, QUESTIONS[0], queue=False)
        assert update is not None
        async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
            headers = {"Content-Type": "application/json; charset=utf-8", "X-Telegram-Bot-Api-Secret-Token": SECRET}
            response = await client.post(url, content=json.dumps(update), headers=headers)
            assert response.status_code == 200
            assert len(tg.sent_messages(USER)) == 1  # already answered when Telegram hears 200
            # Telegram retries when it did not hear 200: the same update again, twice
            for _ in range(2):
                assert (await client.post(url, content=json.dumps(update), headers=headers)).status_code == 200
        assert len(tg.sent_messages(USER)) == 1
        assert is_card(tg.sent_messages(USER)[0], catalog, "als-evidence")

        # killed while handling: Telegram never heard 200, so it sends the update again to the next process
        tg.inject_slow("sendMessage", 30, chat_id=USER + 1)
        held = tg.push_message(USER + 1, USER + 1, QUESTIONS[1], queue=False)
        assert held is not None
        pending = asyncio.ensure_future(tg.post_update(url, held, timeout=30))
        await wait_for(
            lambda: any(c.method == "sendMessage" and c.params.get("chat_id") == USER + 1 for c in tg.calls),
            10,
            "the reply being sent",
        )
        cli.kill()
        assert pending.done() or await _fails(pending)
    finally:
        cli.kill()
    restarted = Cli(["telegram", "--webhook", HOOK, "--port", str(port)], env, log)
    try:
        await wait_for(lambda: listening(port), 20, "the webhook server again")
        assert await tg.post_update(url, held) == 200
        (answer,) = tg.sent_messages(USER + 1)
        assert is_card(answer, catalog, "lems")
        assert await restarted.stop() == 0
    finally:
        restarted.kill()


async def _fails(pending: asyncio.Future[int]) -> bool:
    """The POST of a killed process never gets its 200."""
    try:
        return await pending != 200
    except httpx.HTTPError:
        return True
