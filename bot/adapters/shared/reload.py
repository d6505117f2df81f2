"""Reloading the catalog while the bot runs: one `Reloader` shared by every surface and the file watcher.

A reload, by an admin's command or because a file changed on disk, validates the folders exactly as
start-up does (`checks.validate`) and swaps the catalog in one assignment (`Brain.swap`) only when there
are no errors. A broken file is reported with `file:line`, and the live catalog keeps answering meanwhile.
Validation runs in a daemon thread (a file that hangs the reader — a FIFO, a network mount — must not block
the event loop or keep SIGTERM from ending the process) and is given up after RELOAD_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from bot import checks
from bot.adapters.shared.periodic import Periodic
from bot.brain import Brain
from bot.catalog import LoadResult, Problem

log = logging.getLogger(__name__)

Snapshot = tuple[tuple[str, int, int], ...]

WATCH_SECONDS = 3.0
RELOAD_SECONDS = 10.0  # the shipped catalog validates in well under a second
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
        self._periodic = Periodic("catalog watcher", interval, self.poll, first=False)

    @property
    def task(self) -> asyncio.Task[None] | None:
        return self._periodic.task

    def start(self) -> None:
        self._periodic.start()

    async def stop(self) -> None:
        await self._periodic.stop()

    async def poll(self) -> ReloadOutcome | None:
        """One look at the folders; the reload's outcome when something changed."""
        if not self.reloader.changed():
            return None
        return await self.reloader.reload()
