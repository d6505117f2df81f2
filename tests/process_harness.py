"""The real `python -m bot ...` in a subprocess, against the Bot API double: for tests that kill, restart or
starve the process as an operator's worst day would.

Usage::

    env = bot_env(tg, tmp_path)                      # token, base URL, data dir, catalog dir
    cli = Cli(["telegram"], env, tmp_path / "bot.log")
    try:
        await tg.wait_for_poller_async(timeout=20)
        ...
        assert await cli.stop() == 0                 # SIGTERM, as docker stop sends
    finally:
        cli.kill()                                   # SIGKILL if still running
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.cluster import listening as listening  # re-exported: one copy, shared with the benchmarks
from tests.botapi import BotApiDouble
from tests.conftest import ROOT


def bot_env(tg: BotApiDouble, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment a deployment would set, pointed at the double; no TELEGRAM_/BOT_ leaks in from ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=tg.token,
        TELEGRAM_BASE_URL=tg.base_url,
        BOT_DATA_DIR=str(tmp_path / "data"),
        BOT_CATALOG_DIR=str(ROOT),
        PTB_TIMEDELTA="1",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class Cli:
    """`python -m bot ...` in a subprocess; its output goes to a file (a full pipe would stall it)."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path, *, cwd: Path = ROOT) -> None:
        self.log = log
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", *args], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    async def stop(self, timeout: float = 15) -> int:
        """SIGTERM, as `docker stop` sends; the bot finishes what it holds and exits 0."""
        self.proc.send_signal(signal.SIGTERM)
        return await asyncio.to_thread(self.proc.wait, timeout)

    async def wait(self, timeout: float = 15) -> int:
        return await asyncio.to_thread(self.proc.wait, timeout)

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, as a crash or an OOM kill."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


async def wait_for(predicate: Callable[[], object], timeout: float, what: str) -> None:
    """Until `predicate()` holds (checked every 50 ms), or fail naming `what`: a condition, never a blind sleep."""
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
