"""The unmatched-question log: off by default, on when the operator sets BOT_LOG_MISSED=1, holding no id, bounded."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.adapters.shared.missed_log import FILE_NAME, MAX_CHARS, MissedLog
from bot.settings import Settings
from tests.admin_harness import ADMIN, AdminBot
from tests.botapi import BotApiDouble

ASKER = 987654321  # a user id that must never reach the log
QUESTION = "How do I RENEW my passport, please?!"
NORMALISED = "how do i renew my passport please"


def env_settings(tg: BotApiDouble, data_dir: Path, **env: str) -> Settings:
    """Settings the way production builds them: from the environment."""
    base = {
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_BASE_URL": tg.base_url,
        "BOT_ADMIN_IDS": str(ADMIN),
        "BOT_DATA_DIR": str(data_dir),
    }
    return Settings.from_env({**base, **env})


async def test_off_by_default_nothing_is_stored(tg: BotApiDouble, catalog_copy: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = env_settings(tg, data)
    assert settings.log_missed is False
    async with AdminBot(tg, catalog_copy, settings) as bot:
        assert bot.app.bot_data.missed is None
        assert (await bot.say(ASKER, QUESTION)).startswith(bot.notice("fallback")[:20])
        assert (await bot.say(ADMIN, "/missed")).startswith("The unmatched-question log is off.")
    assert not (data / FILE_NAME).exists()


async def test_on_when_set_it_stores_only_normalised_text_and_the_hour(
    tg: BotApiDouble, catalog_copy: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    async with AdminBot(tg, catalog_copy, env_settings(tg, data, BOT_LOG_MISSED="1")) as bot:
        assert (await bot.say(ASKER, QUESTION)).startswith(bot.notice("fallback")[:20])
        await bot.say(ASKER, "what is prednisone")  # answered: not a missed question
        answer = await bot.say(ADMIN, "/missed")
        assert "Latest 1 unmatched questions" in answer
        assert NORMALISED in answer
    path = data / FILE_NAME
    with sqlite3.connect(path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(missed)")]
        rows = db.execute("SELECT at, text FROM missed").fetchall()
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master")]
    db.close()
    assert tables == ["missed"]
    assert columns == ["at", "text"]
    assert len(rows) == 1
    at, text = rows[0]
    assert text == NORMALISED
    assert at % 3600 == 0  # the hour, not the second: a row cannot be matched to one message in other logs
    raw = path.read_bytes()
    for identifier in (ASKER, ADMIN):
        assert str(identifier).encode() not in raw
        assert identifier.to_bytes(4, "big") not in raw and identifier.to_bytes(4, "little") not in raw


def test_bounded_in_rows(tmp_path: Path) -> None:
    """The newest hours are kept (within an hour, rows keep no order of arrival)."""
    now = [1_700_000_000.0]
    log = MissedLog(tmp_path / FILE_NAME, max_rows=5, clock=lambda: now[0])
    for n in range(12):
        log.add(f"question number {n}")
        now[0] += 3600
    assert log.count() == 5
    assert [m.text for m in log.latest(10)] == [f"question number {n}" for n in range(11, 6, -1)]


def test_bounded_in_age_and_length(tmp_path: Path) -> None:
    now = [1_000_000.0]
    log = MissedLog(tmp_path / FILE_NAME, max_age=30 * 86400, clock=lambda: now[0])
    log.add("an old question")
    now[0] += 31 * 86400
    log.add("x" * (MAX_CHARS * 3))
    assert log.count() == 1
    [row] = log.latest()
    assert row.text == "x" * MAX_CHARS
    log.add("   ")
    assert log.count() == 1  # nothing to learn from an empty message


def test_a_write_failure_never_stops_an_answer(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / FILE_NAME
    log = MissedLog(path)
    path.unlink()
    path.mkdir()  # the database file became unusable under the running bot
    log.add("a private question")
    assert "could not record an unmatched question" in caplog.text
    assert "a private question" not in caplog.text
