"""The web chat over HTTP on 127.0.0.1 (httpx against the tornado server): what a browser, a script or an
attacker gets back. The browser itself is in tests/test_web.py."""

from __future__ import annotations

import asyncio
import html
import logging
import os
import re
import signal
import stat
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import tornado.httpserver
import tornado.netutil

from bot.adapters.shared.keys import ConversationKeys, derive
from bot.adapters.web.app import MAX_BODY, Chat, WebConfig, make_server
from bot.adapters.web.format import reply_html
from bot.adapters.web.sessions import COOKIE, SECRET_FILE, Keys, Limits, load_secret
from bot.brain import Brain
from bot.catalog import Catalog
from bot.context import MemoryContextStore
from bot.render import Block, Button, Line, Reply
from bot.settings import Settings
from tests.conftest import ROOT

DISCLAIMER = "This is general information, not medical advice."


class Clock:
    """The rate limiter's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Web:
    chat: Chat
    client: httpx.AsyncClient
    clock: Clock
    url: str
    store: MemoryContextStore

    async def ask(self, text: str, client: httpx.AsyncClient | None = None) -> httpx.Response:
        return await (client or self.client).post("/api/message", json={"text": text})

    async def press(self, card: str) -> httpx.Response:
        return await self.client.post("/api/press", json={"card": card})

    def new_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=10)


async def serve(chat: Chat) -> tuple[tornado.httpserver.HTTPServer, str]:
    server = make_server(chat)
    sockets = tornado.netutil.bind_sockets(0, address="127.0.0.1")
    server.add_sockets(sockets)
    return server, f"http://127.0.0.1:{sockets[0].getsockname()[1]}"


@pytest.fixture
async def web(catalog: Catalog, tmp_path: Path) -> AsyncIterator[Web]:
    yield_web = await _start(catalog, tmp_path, WebConfig(limits=Limits(per_session=20, per_ip=120)))
    try:
        yield yield_web[0]
    finally:
        await yield_web[0].client.aclose()
        yield_web[1].stop()
        await yield_web[1].close_all_connections()


async def _start(catalog: Catalog, tmp_path: Path, config: WebConfig) -> tuple[Web, tornado.httpserver.HTTPServer]:
    store = MemoryContextStore()
    clock = Clock()
    chat = Chat(Brain(catalog, store), Keys(load_secret(tmp_path)), config, clock=clock)
    server, url = await serve(chat)
    return Web(chat, httpx.AsyncClient(base_url=url, timeout=10), clock, url, store), server


def texts(response: httpx.Response) -> list[str]:
    """The messages of an API answer as a reader sees them (tags stripped, entities decoded)."""
    return [html.unescape(re.sub(r"<[^>]+>", " ", item)) for item in response.json()["items"]]


# --- the page and its headers --------------------------------------------------------------------------


async def test_health(web: Web) -> None:
    response = await web.client.get("/healthz")
    assert response.status_code == 200 and response.text == "ok"


async def test_every_response_carries_a_strict_policy(web: Web) -> None:
    for path in ("/", "/healthz", "/static/chat.js", "/static/chat.css", "/nowhere"):
        response = await web.client.get(path)
        policy = dict(d.strip().split(" ", 1) for d in response.headers["Content-Security-Policy"].split(";"))
        assert policy == {
            "default-src": "'none'",
            "script-src": "'self'",
            "style-src": "'self'",
            "connect-src": "'self'",
            "img-src": "'self'",
            "form-action": "'self'",
            "frame-ancestors": "'none'",
            "base-uri": "'none'",
        }, path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert (await web.client.get("/static/chat.js")).headers["Content-Type"].endswith("/javascript")


async def test_the_page_has_no_inline_script_or_style_and_no_third_party_address(web: Web) -> None:
    page = (await web.client.get("/")).text
    assert re.findall(r"<script[^>]*>", page) == [re.search(r'<script src="/static/chat\.js\?v=\w+" defer>', page)[0]]  # type: ignore[index]
    assert "<style" not in page and " style=" not in page and " on" not in re.sub(r">[^<]*<", "><", page)
    assert not re.search(r'(src|href|action)="(https?:)?//', page)
    assert '<div id="live" role="log" aria-live="polite"' in page
    assert '<label for="text">Your question</label>' in page
    assert DISCLAIMER in page  # the welcome message carries it too


async def test_the_session_cookie_is_random_httponly_and_same_site(web: Web) -> None:
    first = (await web.client.get("/")).headers["set-cookie"]
    async with web.new_client() as someone_else:
        other = (await someone_else.get("/")).headers["set-cookie"]
    assert first.startswith(f"{COOKIE}=") and "HttpOnly" in first and "SameSite=Lax" in first
    assert "Secure" not in first  # plain http here; see the proxy test
    assert first.split(";")[0] != other.split(";")[0]
    again = await web.client.get("/")
    assert "set-cookie" not in again.headers  # the session is kept, not renewed


async def test_behind_a_proxy_the_cookie_is_secure_and_the_address_is_the_visitor_s(
    catalog: Catalog, tmp_path: Path
) -> None:
    config = WebConfig(frame_ancestors="https://www.example.org", behind_proxy=True, limits=Limits(per_ip=2))
    web, server = await _start(catalog, tmp_path, config)
    try:
        response = await web.client.get("/", headers={"X-Forwarded-Proto": "https"})
        assert "Secure" in response.headers["set-cookie"]
        assert "frame-ancestors https://www.example.org;" in response.headers["Content-Security-Policy"]
        statuses = []
        for ip in ("192.0.2.7", "192.0.2.7", "192.0.2.7", "192.0.2.8"):
            async with web.new_client() as fresh:  # a new session each time: only the address is shared
                response = await fresh.post("/api/message", json={"text": "hi"}, headers={"X-Real-Ip": ip})
                statuses.append(response.status_code)
        assert statuses == [200, 200, 429, 200]
    finally:
        await web.client.aclose()
        server.stop()
        await server.close_all_connections()


# --- conversations --------------------------------------------------------------------------------------


async def test_a_question_gets_its_card_buttons_and_the_disclaimer(web: Web) -> None:
    response = await web.ask("what are the side effects of prednisone?")
    assert response.status_code == 200 and response.json()["kind"] == "answer"
    you, bot = texts(response)
    assert "what are the side effects of prednisone?" in you
    assert "What are the side effects of prednisone?" in bot and "When to call a doctor" in bot
    item = response.json()["items"][1]
    last = re.search(r'<p class="disclaimer"><em>([^<]+)</em></p></div><form class="choices"', item)
    assert last and last[1].startswith(DISCLAIMER)  # the last paragraph of the text, above the buttons
    assert 'name="card" value="when-to-call"' in item


async def test_clarify_buttons_then_press_then_follow_up_use_the_same_context(web: Web) -> None:
    clarify = await web.ask("does it work?")
    assert clarify.json()["kind"] == "clarify"
    item = clarify.json()["items"][1]
    assert re.findall(r'<button type="submit" name="card" value="([\w-]+)">(\w+)</button>', item) == [
        ("lems-evidence", "LEMS"),
        ("als-evidence", "ALS"),
    ]
    pressed = await web.press("als-evidence")
    assert pressed.json()["card"] == "als-evidence" and DISCLAIMER in texts(pressed)[0]
    follow = await web.ask("what about side effects?")
    assert follow.json()["card"] == "als-side-effects"
    stale = await web.press("no-such-card")
    assert stale.json()["kind"] == "fallback" and "no longer available" in texts(stale)[0]


async def test_urgent_gets_the_urgent_card_marked_in_words(web: Web) -> None:
    response = await web.ask("my husband can't breathe")
    assert response.json()["kind"] == "urgent"
    item = response.json()["items"][1]
    assert 'class="msg bot kind-urgent"' in item and "Urgent: get help now" in item
    assert DISCLAIMER in texts(response)[1]


async def test_the_brain_keys_conversations_by_a_keyed_hash_never_the_cookie(web: Web, tmp_path: Path) -> None:
    await web.ask("does prednisone help ALS?")
    session = web.client.cookies[COOKIE]
    keys = list(web.store._data)
    secret = (tmp_path / SECRET_FILE).read_bytes()
    expected = ConversationKeys(derive(secret, "conversation-key"))("web", session)  # as every surface keys
    assert keys == [expected] and session not in expected
    assert stat.S_IMODE(os.stat(tmp_path / SECRET_FILE).st_mode) == 0o600
    assert load_secret(tmp_path) == secret  # made once, the same after a restart


async def test_a_forged_cookie_is_replaced_not_used(web: Web) -> None:
    async with httpx.AsyncClient(base_url=web.url, cookies={COOKIE: "../../etc/passwd"}) as forged:
        response = await forged.post("/api/message", json={"text": "hi"})
    assert response.status_code == 200 and "../../etc/passwd" not in response.headers["set-cookie"]


# --- rate limits ------------------------------------------------------------------------------------------


async def test_twenty_messages_a_minute_per_session_then_a_kind_message(web: Web) -> None:
    for n in range(20):
        assert (await web.ask(f"side effects {n}")).status_code == 200
    limited = await web.ask("one more")
    assert limited.status_code == 429
    (text,) = texts(limited)
    assert "Please wait a minute" in text and DISCLAIMER in text
    async with web.new_client() as other:
        assert (await web.ask("side effects", other)).status_code == 200  # another visitor is not held up
    web.clock.now += 3.0  # one message back every 3 s
    assert (await web.ask("side effects")).status_code == 200
    assert (await web.ask("side effects")).status_code == 429
    web.clock.now += 60.0
    assert (await web.ask("side effects")).status_code == 200


async def test_120_messages_a_minute_per_address_even_with_new_sessions(web: Web) -> None:
    for _ in range(120):
        async with web.new_client() as fresh:
            assert (await web.ask("hello", fresh)).status_code == 200
    async with web.new_client() as fresh:
        assert (await web.ask("hello", fresh)).status_code == 429


# --- hostile input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"text": "unclosed', "application/json", 400),
        (b"\xff\xfe not utf-8", "application/json", 400),
        (b'["text"]', "application/json", 400),
        (b'{"text": 42}', "application/json", 400),
        (b"[" * 100_00 + b"]" * 100_00, "application/json", 400),
        (b'{"text": "hi"}', "text/plain", 415),
        (b'{"text": "' + b"a" * MAX_BODY + b'"}', "application/json", 413),
    ],
    ids=["broken-json", "not-utf8", "not-an-object", "not-a-string", "deep-nesting", "text-plain", "too-big"],
)
async def test_unreadable_requests_get_a_clear_message_with_the_disclaimer(
    web: Web, body: bytes, content_type: str, status: int
) -> None:
    response = await web.client.post("/api/message", content=body, headers={"Content-Type": content_type})
    assert response.status_code == status
    (text,) = texts(response)
    assert ("too long" if status == 413 else "could not read") in text and DISCLAIMER in text


@pytest.mark.parametrize("length", ["abc", "-5", str(10**12)])
async def test_a_lying_content_length_gets_an_answer_not_a_crash(web: Web, length: str) -> None:
    host, port = web.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        f"POST /api/message HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n{{}}".encode()
    )
    await writer.drain()
    head = await asyncio.wait_for(reader.read(200), 10)
    writer.close()
    await writer.wait_closed()
    assert head.startswith(b"HTTP/1.1 400 ")  # refused before any body is read; never a 500
    assert (await web.client.get("/healthz")).text == "ok"


async def test_a_5000_character_message_is_answered_and_said_to_be_cut(web: Web) -> None:
    response = await web.ask("what are the side effects of prednisone? " + "x" * 5000)
    assert response.status_code == 200
    you, bot = texts(response)
    assert "This message was too long, so it was cut short." in bot
    assert len(you) < 4200  # shown back only as far as the bot read it


async def test_markup_nul_and_direction_overrides_come_back_as_plain_text(web: Web) -> None:
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)> \u202eevil\u202c \x00side effects"
    response = await web.ask(hostile)
    item = response.json()["items"][0]
    assert "<script>" not in item and "<img" not in item and "&lt;script&gt;" in item
    assert "\u202e" not in item and "\x00" not in item
    assert "<bdi>" in item
    page = (await web.client.get("/")).text
    assert "<script>alert" not in page and "&lt;img src=x onerror=alert(2)&gt;" in page


# --- without JavaScript ---------------------------------------------------------------------------------


async def test_the_form_answers_and_the_page_shows_the_whole_conversation(web: Web) -> None:
    page = (await web.client.get("/")).text
    token = re.search(r'name="token" value="(\w+)"', page)[1]  # type: ignore[index]
    asked = await web.client.post("/", data={"token": token, "text": "does it work?"})
    assert asked.status_code == 303 and asked.headers["location"] == "/#m2"
    pressed = await web.client.post("/", data={"token": token, "card": "lems-evidence"})
    assert pressed.status_code == 303 and pressed.headers["location"] == "/#m3"
    page = (await web.client.get("/")).text
    assert page.index("does it work?") < page.index("Do you mean whether prednisone works") < page.index('id="m3"')
    assert page.count(DISCLAIMER) == 3  # welcome, clarify, the LEMS card


async def test_a_form_from_a_stale_or_foreign_page_is_refused(web: Web) -> None:
    await web.client.get("/")
    response = await web.client.post("/", data={"token": "0" * 32, "text": "hello"})
    assert response.status_code == 403 and "page was out of date" in response.text


async def test_a_browser_without_cookies_still_gets_its_answer(web: Web) -> None:
    async with web.new_client() as fresh:
        response = await fresh.post("/", data={"text": "what is prednisone"})
    assert response.status_code == 200 and "What is prednisone?" in response.text


# --- the Reply formatter ----------------------------------------------------------------------------------


def test_reply_html_makes_lists_and_keeps_only_its_own_tags() -> None:
    reply = Reply(
        (
            Block("title", "Title"),
            Block("lines", lines=(Line("Intro:"), Line("one", "bullet"), Line("two & three", "bullet"), Line("after"))),
            Block("text", "A <script>x</script> <u>u</u>"),
            Block("disclaimer", "Disclaimer."),
        ),
        buttons=(Button("More", "card:more"),),
        kind="answer",
    )
    out = reply_html(reply, form_token="t", anchor="m1")
    assert '<p class="title"><strong>Title</strong></p>' in out
    assert "<p>Intro:</p><ul><li>one</li><li>two &amp; three</li></ul><p>after</p>" in out
    assert "&lt;script&gt;x&lt;/script&gt; &lt;u&gt;u&lt;/u&gt;" in out
    assert out.count('<p class="disclaimer"><em>Disclaimer.</em></p>') == 1
    assert '<button type="submit" name="card" value="more">More</button>' in out


# --- logs and the command line --------------------------------------------------------------------------


async def test_logs_hold_no_message_text_session_or_address(web: Web, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await web.ask("my secret question about zebras")
    await web.client.post("/api/message", content=b"{", headers={"Content-Type": "application/json"})
    await web.client.post("/", data={"text": "zebras again"})
    await web.client.get("/nowhere?zebras")
    ours = [r for r in caplog.records if r.name.split(".")[0] in ("bot", "tornado")]  # not the test's own client
    logged = "\n".join(r.getMessage() for r in ours)
    assert "/api/message" in logged  # the access log is there, just without people in it
    for private in ("zebras", web.client.cookies[COOKIE], "127.0.0.1"):
        assert private not in logged


def test_settings_read_the_web_variables() -> None:
    settings = Settings.from_env(
        {"BOT_WEB_PORT": "9000", "BOT_WEB_FRAME_ANCESTORS": "'self' https://www.lems.example", "BOT_WEB_HOST": "::1"}
    )
    assert (settings.web_host, settings.web_port) == ("::1", 9000)
    assert settings.web_frame_ancestors == "'self' https://www.lems.example"
    assert Settings.from_env({}).web_frame_ancestors == "'none'" and Settings.from_env({}).web_port == 8080
    with pytest.raises(ValueError, match="BOT_WEB_FRAME_ANCESTORS"):
        Settings.from_env({"BOT_WEB_FRAME_ANCESTORS": "https://a.example; script-src *"})
    with pytest.raises(ValueError, match="BOT_WEB_PORT"):
        Settings.from_env({"BOT_WEB_PORT": "eighty"})


async def test_python_m_bot_web_prints_its_address_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {**os.environ, "BOT_DATA_DIR": str(tmp_path), "BOT_CATALOG_DIR": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "web", "--port", "0", cwd=ROOT, env=env, stdout=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert url, line
        async with httpx.AsyncClient(timeout=10) as client:
            assert (await client.get(url[0] + "healthz")).text == "ok"
            answer = await client.post(url[0] + "api/message", json={"text": "is prednisone a steroid?"})
            assert DISCLAIMER in answer.text
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 15) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert (tmp_path / SECRET_FILE).exists()


def test_the_web_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """bench/web.py at its smallest, so it keeps working; it judges no timing."""
    from bench import web as bench_web

    assert bench_web.main(["--visitors", "2", "--per-visitor", "2"]) == 0
    out = capsys.readouterr().out
    assert "|  fixed |" in out and "|    bot |" in out and "bot / fixed reply:" in out
