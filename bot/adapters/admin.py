"""Admin tools in Telegram: /reload, /why, /stats, /missed; the catalog file watcher; the missed-question log.

Only user ids in BOT_ADMIN_IDS, in a private chat with the bot, reach these handlers (admin output stays
out of groups). For anyone else the handlers' filter fails, the update falls through to the adapter's
unknown-command answer, and nothing changes.

A reload, by command or because a file changed on disk, goes through one `Reloader`: it validates the
folders exactly as start-up does (`checks.validate`) off the event loop, and swaps the catalog in one
assignment (`Brain.swap`) only when there are no errors. A broken file is reported with `file:line`, and the
live catalog keeps answering meanwhile.

The catalog folder is admin-editable, so a reload must never be able to stall the bot: validation runs in a
daemon thread of its own (not asyncio's default executor, which is joined at exit, so a stuck thread there
would keep SIGTERM from ending the process), it is given up after RELOAD_SECONDS, and /reload waits for it
in a task of its own, so the admin's chat keeps being answered meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from bot import checks
from bot.adapters.missed_log import FILE_NAME, MissedLog
from bot.adapters.telegram import send
from bot.brain import Brain
from bot.catalog import LoadResult, Problem
from bot.explain import explain
from bot.render import admin_text
from bot.settings import Settings

log = logging.getLogger(__name__)

App = Application[Any, Any, Any, Any, Any, Any]
Snapshot = tuple[tuple[str, int, int], ...]

WATCH_SECONDS = 3.0
RELOAD_SECONDS = 10.0  # the shipped catalog validates in well under a second
MISSED_SHOWN = 20
PROBLEMS_SHOWN = 10
FOLDERS = ("content", "intents")


# --- reloading --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReloadOutcome:
    ok: bool
    problems: tuple[Problem, ...]  # the errors when refused, the warnings when done
    cards: int = 0
    intents: int = 0
    timed_out: float = 0.0  # seconds waited, when the reload was given up
    busy: bool = False  # an earlier reload that was given up is still running

    def text(self) -> str:
        if self.timed_out:
            return (
                f"Reload took too long (over {self.timed_out:g} s) and was given up: nothing changed, the live "
                "catalog keeps answering. `python -m bot check` shows what is wrong."
            )
        if self.busy:
            return (
                "Reload refused: an earlier reload that took too long is still running. The live catalog keeps "
                "answering; try again in a minute, and see `python -m bot check`."
            )
        if self.ok:
            head = f"Reloaded: {self.cards} cards, {self.intents} intents, now live."
            if self.problems:
                head += f" {len(self.problems)} warning(s); `python -m bot check` lists them."
            return head
        shown = [str(p) for p in self.problems[:PROBLEMS_SHOWN]]
        more = len(self.problems) - len(shown)
        return "\n".join(
            [
                f"Reload refused: {len(self.problems)} error(s). The live catalog keeps answering.",
                *shown,
                *([f"… and {more} more; `python -m bot check` lists them all."] if more > 0 else []),
            ]
        )


def snapshot(root: Path) -> Snapshot:
    """Name, mtime and size of the YAML files the loader reads: any edit, new file or deletion shows.

    Only *.yaml, as the loader: an editor's swap and backup files come and go without a reload.
    """
    out = []
    for folder in FOLDERS:
        for path in sorted((root / folder).glob("*.yaml")):
            with contextlib.suppress(OSError):  # deleted between listing and stat: the next poll sees it
                st = path.stat()
                out.append((str(path.relative_to(root)), st.st_mtime_ns, st.st_size))
    return tuple(out)


class Reloader:
    """The one way to swap the live catalog, shared by /reload and the watcher; one reload at a time.

    `validate` and `timeout` are for tests (a validation that hangs); the bot uses checks.validate.
    """

    def __init__(
        self,
        brain: Brain,
        root: Path,
        *,
        timeout: float = RELOAD_SECONDS,
        validate: Callable[[Path], LoadResult] = checks.validate,
    ) -> None:
        self.brain, self.root = brain, root
        self.timeout, self.validate = timeout, validate
        self.seen = snapshot(root)  # the files as of the last reload attempt (or start-up)
        self._lock = asyncio.Lock()
        self._finished = threading.Event()  # the last validation thread is done with the files
        self._finished.set()

    async def reload(self) -> ReloadOutcome:
        async with self._lock:
            if not self._finished.is_set():
                log.warning("reload refused: the last one, given up after %g s, is still running", self.timeout)
                return ReloadOutcome(ok=False, problems=(), busy=True)
            self.seen = snapshot(self.root)  # before reading: an edit made during the load triggers another
            try:
                result = await asyncio.wait_for(self._in_thread(), self.timeout)
            except TimeoutError:
                log.warning("reload given up after %g s; the live catalog stays", self.timeout)
                return ReloadOutcome(ok=False, problems=(), timed_out=self.timeout)
            if result.catalog is None:
                for problem in result.errors:
                    log.warning("reload refused: %s", problem)
                return ReloadOutcome(ok=False, problems=result.errors)
            self.brain.swap(result.catalog)
            warnings = tuple(p for p in result.problems if p.severity != "error")
            log.info("catalog reloaded: %d cards, %d intents", len(result.catalog.cards), len(result.catalog.intents))
            return ReloadOutcome(
                ok=True, problems=warnings, cards=len(result.catalog.cards), intents=len(result.catalog.intents)
            )

    def _in_thread(self) -> asyncio.Future[LoadResult]:
        """`validate(root)` in a daemon thread: one given up on never holds up the loop or the process exit."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[LoadResult] = loop.create_future()

        def settle(result: LoadResult | None, error: BaseException | None) -> None:
            if done.done():  # given up on meanwhile
                return
            if error is not None:
                done.set_exception(error)
            else:
                done.set_result(cast(LoadResult, result))

        def work() -> None:
            result, error = None, None
            try:
                result = self.validate(self.root)
            except Exception as exc:  # handed to the awaiting task, which logs it
                error = exc
            finally:
                finished.set()
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody is waiting
                loop.call_soon_threadsafe(settle, result, error)

        finished = self._finished = threading.Event()
        threading.Thread(target=work, name="catalog-reload", daemon=True).start()
        return done

    def changed(self) -> bool:
        return snapshot(self.root) != self.seen


class Watcher:
    """Polls the folders' mtimes and reloads when they change. An asyncio task: no new dependency."""

    def __init__(self, reloader: Reloader, interval: float = WATCH_SECONDS) -> None:
        self.reloader, self.interval = reloader, interval
        self.task: asyncio.Task[None] | None = None

    async def poll(self) -> ReloadOutcome | None:
        """One look at the folders; the reload's outcome when something changed."""
        if not self.reloader.changed():
            return None
        return await self.reloader.reload()

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.poll()
            except Exception:  # a watcher that dies silently is worse than a logged error
                log.exception("catalog watcher: reload failed")

    def start(self) -> None:
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self.run(), name="catalog-watcher")

    async def stop(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


# --- commands ---------------------------------------------------------------------------------------


def _brain(context: ContextTypes.DEFAULT_TYPE) -> Brain:
    return cast(Brain, context.bot_data["brain"])


async def _say(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, *, preformatted: bool = False) -> None:
    if update.effective_chat is not None:
        await send(
            context, update.effective_chat.id, admin_text(_brain(context).catalog, text, preformatted=preformatted)
        )


async def reload_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reload: re-read intents/ and content/; go live only if valid, else say what is wrong where.

    The reload and its answer run as a task of their own, so this handler returns at once and the admin's
    chat (whose updates are handled in order) is not held while the folders are validated.
    """
    reloader = cast(Reloader, context.bot_data["reloader"])

    async def reload_and_answer() -> None:
        try:
            text = (await reloader.reload()).text()
        except Exception:
            log.exception("reload failed")
            text = "Reload failed on our side (see the log). The live catalog keeps answering."
        try:
            await _say(update, context, text)
        except Exception:  # no handler above this task to log it
            log.exception("could not answer /reload")

    task = asyncio.get_running_loop().create_task(reload_and_answer(), name="admin-reload")
    tasks = cast("set[asyncio.Task[None]]", context.bot_data.setdefault("reload_tasks", set()))
    tasks.add(task)  # a reference, so the task is not collected while it runs
    task.add_done_callback(tasks.discard)


async def why_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/why <text>: how the router reads it, in a scratch conversation (the admin's own is untouched)."""
    text = " ".join(context.args or ())
    if not text:
        await _say(update, context, "Usage: /why <a message as a user would type it>")
        return
    await _say(update, context, explain(_brain(context).router, text), preformatted=True)


async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats: what the bot has answered since it started."""
    stats: dict[str, int] = context.bot_data.get("stats", {})
    started = cast(float, context.bot_data.get("admin_started", time.time()))
    await _say(update, context, stats_text(stats, started, time.time()), preformatted=True)


def stats_text(stats: dict[str, int], started: float, now: float) -> str:
    cards = sorted(
        ((k.removeprefix("card:"), n) for k, n in stats.items() if k.startswith("card:")), key=lambda kv: -kv[1]
    )
    hours = (now - started) / 3600
    lines = [
        f"Since {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))} ({hours:.1f} h):",
        f"messages  {stats.get('messages', 0)}",
        f"answers   {sum(n for _, n in cards)}",
        *(f"  {card:<22} {n}" for card, n in cards),
        f"clarify   {stats.get('clarify', 0)}",
        f"fallback  {stats.get('fallback', 0)}",
        f"urgent    {stats.get('urgent', 0)}",
    ]
    return "\n".join(lines)


async def missed_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/missed: the latest questions that got the fallback (when the operator turned the log on)."""
    missed_log = cast("MissedLog | None", context.bot_data.get("missed_log"))
    if missed_log is None:
        await _say(
            update, context, "The unmatched-question log is off. The operator turns it on with BOT_LOG_MISSED=1."
        )
        return
    rows = await asyncio.to_thread(missed_log.latest, MISSED_SHOWN)
    if not rows and missed_log.unavailable:
        await _say(update, context, f"The unmatched-question log is unavailable ({missed_log.unavailable}).")
        return
    if not rows:
        await _say(update, context, "No unmatched questions logged yet.")
        return
    lines = [f"Latest {len(rows)} unmatched questions (normalised; hour they came in, UTC):"]
    lines += [f"{time.strftime('%m-%d %H:00', time.gmtime(r.at))}  {r.text[:200]}" for r in rows]
    await _say(update, context, "\n".join(lines), preformatted=True)


COMMANDS: tuple[tuple[str, Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]], ...] = (
    ("reload", reload_command),
    ("why", why_command),
    ("stats", stats_command),
    ("missed", missed_command),
)


# --- wiring -----------------------------------------------------------------------------------------


def install(app: App, settings: Settings, root: Path, *, watch_seconds: float = WATCH_SECONDS) -> None:
    """Register the admin commands, the missed log (when on) and the file watcher (`watch_seconds` 0: off).

    Called through build_application's `extra` hook, so these handlers sit before the unknown-command one.
    """
    reloader = Reloader(cast(Brain, app.bot_data["brain"]), root)
    app.bot_data.update(reloader=reloader, admin_started=time.time())
    if settings.log_missed:
        missed_log = MissedLog(settings.data_dir / FILE_NAME)
        app.bot_data.update(missed_log=missed_log, on_missed=missed_log.add)
    admins = filters.ChatType.PRIVATE & filters.User(user_id=settings.admin_ids) & filters.UpdateType.MESSAGE
    for name, callback in COMMANDS:
        app.add_handler(CommandHandler(name, callback, filters=admins))
    if watch_seconds > 0:
        _watch(app, Watcher(reloader, watch_seconds))


def _watch(app: App, watcher: Watcher) -> None:
    """Start the watcher after the adapter's own post_init; stop it before its post_shutdown."""
    before_init, before_shutdown = app.post_init, app.post_shutdown

    async def post_init(a: App) -> None:
        if before_init is not None:
            await before_init(a)
        watcher.start()

    async def post_shutdown(a: App) -> None:
        await watcher.stop()
        if before_shutdown is not None:
            await before_shutdown(a)

    app.post_init, app.post_shutdown = post_init, post_shutdown
    app.bot_data["watcher"] = watcher
