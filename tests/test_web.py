"""The web chat in a real browser (Playwright driving Debian's /usr/bin/chromium; no browser is downloaded):
asking, buttons, clarify, follow-ups, urgent, rate limits, JavaScript off, keyboard only, an axe-core scan,
reflow at 360 px and 200% zoom, and hostile input.

Skipped with a reason where Chromium or the playwright package is missing; the axe test also where
axe-core is not installed (scripts/test installs it with npm into .venv/axe).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import tornado.httpserver
import tornado.netutil

from bot.adapters.web.app import Chat, WebConfig, make_server
from bot.adapters.web.sessions import Keys, Limits, load_secret
from bot.brain import Brain
from bot.catalog import Catalog
from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DISCLAIMER = "This is general information, not medical advice."

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip: [test])")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install -y chromium; scripts/test installs it in CI)"
)
Page = sync_api.Page
expect = sync_api.expect


class Server:
    """The web chat in a thread of its own, on 127.0.0.1 and a free port, for the browser to talk to."""

    def __init__(self, chat: Chat) -> None:
        self.chat = chat
        self.loop = asyncio.new_event_loop()
        self.server: tornado.httpserver.HTTPServer | None = None
        self.url = ""
        started = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(started,), daemon=True)
        self.thread.start()
        assert started.wait(30), "the web chat did not start"

    def _run(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)

        async def start() -> None:
            self.server = make_server(self.chat)
            sockets = tornado.netutil.bind_sockets(0, address="127.0.0.1")
            self.server.add_sockets(sockets)
            self.url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}/"

        self.loop.run_until_complete(start())
        started.set()
        self.loop.run_forever()

    def stop(self) -> None:
        async def stop() -> None:
            assert self.server is not None
            self.server.stop()
            await self.server.close_all_connections()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.loop.close()


def start_server(catalog: Catalog, tmp: Path, limits: Limits) -> Server:
    return Server(Chat(Brain(catalog), Keys(load_secret(tmp)), WebConfig(limits=limits)))


@pytest.fixture(scope="module")
def server(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = start_server(catalog, tmp_path_factory.mktemp("web"), Limits(per_session=1000, per_ip=100_000))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@dataclass
class Visit:
    page: Any
    problems: list[str]  # console errors (a CSP violation is one) and pages that failed to load


@pytest.fixture
def visit(browser: Any, server: Server) -> Iterator[Visit]:
    yield from _visit(browser, server.url)


def _visit(browser: Any, url: str, **context: Any) -> Iterator[Visit]:
    ctx = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **context})
    page = ctx.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    # a test that reached past 127.0.0.1 would fail here rather than leave the machine
    ctx.route("**/*", lambda route: route.continue_() if route.request.url.startswith(url) else route.abort())
    page.goto(url)
    try:
        yield Visit(page, problems)
    finally:
        ctx.close()


def bot_messages(page: Any) -> Any:
    return page.locator("#log > li.bot")


def ask(page: Any, text: str) -> Any:
    """Type a question and press Enter; wait for the answer to be appended; return it."""
    count = bot_messages(page).count()
    page.fill("#text", text)
    page.press("#text", "Enter")
    expect(bot_messages(page)).to_have_count(count + 1)
    return bot_messages(page).last


def test_ask_press_clarify_and_follow_up_without_reloading(visit: Visit) -> None:
    page = visit.page
    page.evaluate("window.stillTheSamePage = true")
    clarify = ask(page, "does it work?")
    expect(clarify).to_contain_text("Do you mean whether prednisone works in LEMS")
    expect(clarify.get_by_role("button")).to_have_text(["LEMS", "ALS"])
    count = bot_messages(page).count()
    clarify.get_by_role("button", name="ALS").click()
    expect(bot_messages(page)).to_have_count(count + 1)
    expect(bot_messages(page).last).to_contain_text("ALS")
    expect(page.locator("#log > li.bot").last).to_be_focused()  # the pressed-for answer, ready to read
    follow = ask(page, "what about side effects?")
    expect(follow.locator("strong").first).to_have_text("Side effects of prednisone in ALS")
    related = follow.get_by_role("button").first
    name = related.inner_text()
    related.click()
    expect(bot_messages(page)).to_have_count(count + 3)
    assert page.evaluate("window.stillTheSamePage") is True
    for message in bot_messages(page).all():
        expect(message.locator(".disclaimer")).to_contain_text(DISCLAIMER)
    assert name
    assert visit.problems == []


def test_the_urgent_card_stands_out_in_words_and_shape(visit: Visit) -> None:
    urgent = ask(visit.page, "my wife has blue lips and can't breathe")
    expect(urgent).to_have_class("msg bot kind-urgent")
    expect(urgent.locator(".badge-urgent")).to_have_text("Urgent: get help now")
    border = urgent.evaluate("e => parseFloat(getComputedStyle(e).borderTopWidth)")
    normal = visit.page.locator("#log > li.bot").first.evaluate("e => parseFloat(getComputedStyle(e).borderTopWidth)")
    assert border >= 4 * normal  # a heavy frame, not only another colour
    expect(urgent.locator(".disclaimer")).to_contain_text(DISCLAIMER)


def test_rate_limit_says_so_kindly(browser: Any, catalog: Catalog, tmp_path: Path) -> None:
    limited = start_server(catalog, tmp_path, Limits(per_session=3, per_ip=100))
    try:
        for v in _visit(browser, limited.url):
            for n in range(3):
                ask(v.page, f"is prednisone a steroid {n}")
            last = ask(v.page, "one more question")
            expect(last).to_contain_text("Please wait a minute")
            expect(last).to_contain_text("nothing here runs out")
            expect(last.locator(".disclaimer")).to_contain_text(DISCLAIMER)
    finally:
        limited.stop()


def test_everything_works_with_javascript_off(browser: Any, server: Server) -> None:
    for v in _visit(browser, server.url, java_script_enabled=False):
        page = v.page
        page.fill("#text", "does it work?")
        page.click("#send")
        expect(page.locator("#log > li.you bdi").last).to_have_text("does it work?")
        clarify = bot_messages(page).last
        expect(clarify).to_contain_text("Do you mean whether prednisone works in LEMS")
        assert page.url.endswith("#m2")  # the browser is taken to the answer
        clarify.get_by_role("button", name="LEMS").click()
        expect(bot_messages(page).last.locator("strong").first).to_contain_text("LEMS")
        page.fill("#text", "and the side effects?")
        page.click("#send")
        expect(bot_messages(page).last.locator("strong").first).to_have_text("Side effects of prednisone in LEMS")
        page.reload()  # the conversation is still there, and reloading sent nothing twice
        expect(page.locator("#log > li.you")).to_have_count(2)
        expect(bot_messages(page)).to_have_count(4)


def test_keyboard_alone_in_a_sensible_order(visit: Visit) -> None:
    page = visit.page
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()
    assert page.locator(".skip").bounding_box()["y"] >= 0  # shown when focused
    page.keyboard.press("Enter")
    expect(page.locator("#text")).to_be_focused()
    page.keyboard.type("does it work?")
    page.keyboard.press("Enter")
    expect(bot_messages(page)).to_have_count(2)
    expect(page.locator("#text")).to_be_focused()  # ready for the next question
    expect(page.locator("#text")).to_have_value("")
    page.keyboard.press("Shift+Tab")  # back into the conversation: the last answer's last button
    expect(bot_messages(page).last.get_by_role("button", name="ALS")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(bot_messages(page).last.get_by_role("button", name="LEMS")).to_be_focused()
    page.keyboard.press("Enter")
    expect(bot_messages(page)).to_have_count(3)
    expect(bot_messages(page).last).to_be_focused()
    page.keyboard.press("Tab")  # on to the new answer's first button
    focused = page.evaluate("document.activeElement.closest('li') === document.querySelector('#log').lastElementChild")
    assert focused and page.evaluate("document.activeElement.tagName") == "BUTTON"
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineWidth")
    assert float(ring.removesuffix("px")) >= 2  # a visible focus indicator
    # Tab follows the page (no positive tabindex): skip link, the conversation's buttons, question box, Send
    order = page.evaluate(
        "[...document.querySelectorAll('a[href], button, input:not([type=hidden])')].map(e => e.id || e.className)"
    )
    assert order[0] == "skip" and order[-2:] == ["text", "send"]
    assert page.evaluate("[...document.querySelectorAll('[tabindex]')].every(e => e.tabIndex <= 0)")


def test_targets_are_at_least_44_px_and_nothing_scrolls_sideways(browser: Any, server: Server, tmp_path: Path) -> None:
    for width, zoom in ((360, 1), (1280, 1), (640, 2)):  # 640 CSS px is a 1280 px window at 200% zoom
        for v in _visit(browser, server.url, viewport={"width": width, "height": 800}, device_scale_factor=zoom):
            ask(v.page, "does it work?")
            ask(v.page, "I can't breathe")
            ask(v.page, "x" * 300)  # a long unbroken word must wrap, not widen the page
            sizes = v.page.evaluate(
                "[...document.querySelectorAll('button, input:not([type=hidden])')]"
                ".map(e => [e.textContent || e.id, e.getBoundingClientRect().width, e.getBoundingClientRect().height])"
            )
            small = [s for s in sizes if s[1] < 44 or s[2] < 44]
            assert small == [], small
            assert v.page.evaluate("document.documentElement.scrollWidth") <= width
            if zoom == 1:  # to look at: the whole conversation, and the urgent card where it starts
                v.page.screenshot(path=str(tmp_path / f"web-{width}.png"), full_page=True)
                v.page.locator(".kind-urgent").evaluate("e => e.scrollIntoView({block: 'start'})")
                v.page.screenshot(path=str(tmp_path / f"web-{width}-urgent.png"))
    for width in (360, 1280):
        assert (tmp_path / f"web-{width}.png").stat().st_size > 10_000


def test_hostile_input_is_shown_as_text(visit: Visit) -> None:
    page = visit.page
    hostile = '<script>alert("x")</script><img src=x onerror="alert(1)"><b>bold?</b> \u202eevil\u202c'
    ask(page, hostile)
    mine = page.locator("#log > li.you").last.locator("bdi")
    expect(mine).to_have_text('<script>alert("x")</script><img src=x onerror="alert(1)"><b>bold?</b> evil')
    assert page.locator("#log img, #log script, #log li.you b").count() == 0
    long = ask(page, "what are the side effects of prednisone? " + "and more " * 600)
    expect(long).to_contain_text("This message was too long, so it was cut short.")
    nul = ask(page, "side\x00 effects")
    expect(nul.locator(".disclaimer")).to_contain_text(DISCLAIMER)
    broken = page.evaluate(
        """async () => { const r = await fetch('/api/message', {method: 'POST',
        headers: {'Content-Type': 'application/json'}, body: '{"text": '}); return [r.status, await r.json()]; }"""
    )
    assert broken[0] == 400 and "could not read" in json.dumps(broken[1])
    # no dialog, no script error, no CSP report; only the browser's note of the 400 just asked for
    assert [p for p in visit.problems if "status of 400" not in p] == []


def test_axe_finds_nothing_serious(browser: Any, server: Server) -> None:
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed at {AXE} (npm install --no-save --prefix .venv/axe axe-core@4)")
    for v in _visit(browser, server.url, bypass_csp=True):  # only so the test can inject axe inline
        _axe(v.page)


def _axe(page: Any) -> None:
    ask(page, "does it work?")
    ask(page, "I can't breathe")
    ask(page, "what are the side effects of prednisone?")
    page.fill("#text", "a question still being typed")
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        """async () => (await axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})).violations
        .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help}))"""
    )
    serious = [v for v in found if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
