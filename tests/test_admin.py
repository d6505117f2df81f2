"""Admin commands in Telegram: /reload (valid and broken), /why, /stats, /missed; refused for everyone else.

End to end: the real Application from build_application, with admin.install as its `extra` hook, polling
the Bot API double over HTTP.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from bot.adapters.telegram import admin
from bot.brain import Brain
from bot.catalog import load
from tests.admin_harness import ADMIN, GROUP, USER, AdminBot, settings_for
from tests.botapi import BotApiDouble

BROKEN = Path(__file__).parent / "fixtures" / "broken"
NEW_PHRASING = "what colour are the tablets"
PREDNISONE_TITLE = "What is prednisone?"


def add_phrasing(root: Path, text: str = NEW_PHRASING) -> None:
    """What an admin does: one more example under the prednisone intent."""
    path = root / "intents" / "general.yaml"
    before = path.read_text(encoding="utf-8")
    anchor = "  - id: prednisone-q\n    card: prednisone\n    examples:\n"
    assert anchor in before
    path.write_text(before.replace(anchor, f"{anchor}      - {text}\n"), encoding="utf-8")
    touch(path)


def touch(path: Path) -> None:
    """Move the mtime on by a second, so even a coarse file system shows the change."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


async def test_reload_with_a_valid_change_answers_the_new_phrasing_at_once(
    tg: BotApiDouble, catalog_copy: Path, tmp_path: Path
) -> None:
    async with AdminBot(tg, catalog_copy, settings_for(tg, tmp_path / "data")) as bot:
        assert PREDNISONE_TITLE not in await bot.say(USER, NEW_PHRASING)
        add_phrasing(catalog_copy)
        answer = await bot.say(ADMIN, "/reload")
        assert answer.startswith("Reloaded: ")
        assert "now live" in answer
        assert (await bot.say(USER, NEW_PHRASING)).startswith(PREDNISONE_TITLE)


async def test_reload_of_a_broken_file_is_refused_and_the_old_catalog_answers(
    tg: BotApiDouble, catalog_copy: Path, tmp_path: Path
) -> None:
    async with AdminBot(tg, catalog_copy, settings_for(tg, tmp_path / "data")) as bot:
        live = bot.brain.router
        add_phrasing(catalog_copy)  # a good edit in the same reload must not go live either
        shutil.copytree(BROKEN / "yaml-syntax", catalog_copy, dirs_exist_ok=True)
        answer = await bot.say(ADMIN, "/reload")
        assert answer.startswith("Reload refused: ")
        assert "error(s). The live catalog keeps answering." in answer
        assert "intents/zz.yaml:6: error: YAML syntax" in answer
        assert bot.brain.router is live
        assert PREDNISONE_TITLE not in await bot.say(USER, NEW_PHRASING)
        assert (await bot.say(USER + 1, "what is prednisone")).startswith(PREDNISONE_TITLE)


async def test_a_lint_error_also_refuses_a_reload(tg: BotApiDouble, catalog_copy: Path, tmp_path: Path) -> None:
    """The same validation as at start-up: a card too long to send is refused, not only YAML mistakes."""
    async with AdminBot(tg, catalog_copy, settings_for(tg, tmp_path / "data")) as bot:
        live = bot.brain.router
        shutil.copytree(BROKEN / "too-long", catalog_copy, dirs_exist_ok=True)
        answer = await bot.say(ADMIN, "/reload")
        assert "content/cards-zz.yaml:2: error: card 'very-long' renders to" in answer
        assert bot.brain.router is live


@pytest.mark.parametrize("command", ["/reload", "/why does it help", "/stats", "/missed"])
async def test_admin_commands_are_unknown_commands_for_everyone_else(
    command: str, tg: BotApiDouble, catalog_copy: Path, tmp_path: Path
) -> None:
    async with AdminBot(tg, catalog_copy, settings_for(tg, tmp_path / "data")) as bot:
        live = bot.brain.router
        add_phrasing(catalog_copy)
        assert await bot.say(USER, command) == bot.notice("unknown_command") + "\n\n" + bot.notice("disclaimer")
        assert bot.brain.router is live  # nothing changed
        assert PREDNISONE_TITLE not in await bot.say(USER, NEW_PHRASING)


async def test_no_admins_configured_means_no_admin_commands(
    tg: BotApiDouble, catalog_copy: Path, tmp_path: Path
) -> None:
    settings = settings_for(tg, tmp_path / "data", admins=frozenset())
    async with AdminBot(tg, catalog_copy, settings) as bot:
        live = bot.brain.router
        assert (await bot.say(ADMIN, "/reload")).startswith(bot.notice("unknown_command"))
        assert bot.brain.router is live


async def test_admin_commands_stay_out_of_groups(tg: BotApiDouble, catalog_copy: Path, tmp_path: Path) -> None:
    async with AdminBot(tg, catalog_copy, settings_for(tg, tmp_path / "data")) as bot:
        live = bot.brain.router
        add_phrasing(catalog_copy)
        answer = await bot.say(ADMIN, "/reload@pred_info_bot", chat=GROUP)
        assert answer.startswith(bot.notice("unknown_command"))
        assert bot.brain.router is live


async def test_why_shows_candidates_condition_context_and_decision(
    tg: BotApiDouble, catalog_copy: Path, tmp_path: Path
) -> None:
    async with AdminBot(tg, catalog_copy, settings_for(tg, tmp_path / "data")) as bot:
        answer = await bot.say(ADMIN, "/why does prednisone help in Lambert-Eaton?")
        assert answer.startswith("Answer:     answered with 'Does prednisone work in LEMS?' (card lems-evidence)")
        assert "condition:  LEMS (named in the message)" in answer
        assert "Closest example questions (score out of 100" in answer
        assert "decision:   answer, card lems-evidence" in answer
        assert answer.endswith(bot.notice("disclaimer"))
        assert (await bot.say(ADMIN, "/why")).startswith("Usage: /why")


async def test_stats_counts_since_start(tg: BotApiDouble, catalog_copy: Path, tmp_path: Path) -> None:
    async with AdminBot(tg, catalog_copy, settings_for(tg, tmp_path / "data")) as bot:
        await bot.say(USER, "what is prednisone")
        await bot.say(USER, "what is prednisone")
        await bot.say(USER, "how do I renew my passport")
        await bot.say(USER, "I can't breathe")
        await bot.say(USER, "does it work?")
        answer = await bot.say(ADMIN, "/stats")
        assert "messages  5" in answer
        assert "answers   2" in answer
        assert "prednisone             2" in answer
        assert "clarify   1" in answer
        assert "fallback  1" in answer
        assert "urgent    1" in answer


async def test_missed_says_when_the_log_is_off(tg: BotApiDouble, catalog_copy: Path, tmp_path: Path) -> None:
    async with AdminBot(tg, catalog_copy, settings_for(tg, tmp_path / "data")) as bot:
        await bot.say(USER, "how do I renew my passport")
        answer = await bot.say(ADMIN, "/missed")
        assert answer.startswith("The unmatched-question log is off.")
        assert not (tmp_path / "data").exists()


# --- the file watcher -------------------------------------------------------------------------------


async def test_watcher_reloads_a_valid_change_and_refuses_a_broken_one(catalog_copy: Path) -> None:
    catalog = load(catalog_copy).catalog
    assert catalog is not None
    brain = Brain(catalog)
    watcher = admin.Watcher(admin.Reloader(brain, catalog_copy), interval=0.01)
    assert await watcher.poll() is None  # nothing changed

    add_phrasing(catalog_copy)
    outcome = await watcher.poll()
    assert outcome is not None and outcome.ok
    assert brain.reply(NEW_PHRASING, "u", 0.0).card == "prednisone"

    live = brain.router
    shutil.copytree(BROKEN / "yaml-syntax", catalog_copy, dirs_exist_ok=True)
    outcome = await watcher.poll()
    assert outcome is not None and not outcome.ok
    assert "intents/zz.yaml:6" in outcome.text()
    assert brain.router is live
    assert brain.reply(NEW_PHRASING, "u", 0.0).card == "prednisone"
    assert await watcher.poll() is None  # the same broken files are not retried every few seconds

    (catalog_copy / "intents" / "zz.yaml").unlink()  # fixed by removing the file: that is a change too
    outcome = await watcher.poll()
    assert outcome is not None and outcome.ok


async def test_watcher_runs_from_post_init_until_shutdown(tg: BotApiDouble, catalog_copy: Path, tmp_path: Path) -> None:
    """In production python-telegram-bot calls post_init and post_shutdown around polling; here we do."""
    bot = AdminBot(tg, catalog_copy, settings_for(tg, tmp_path / "data"), watch_seconds=0.02)
    app = bot.app
    assert app.post_init is not None and app.post_shutdown is not None
    async with app:
        await app.post_init(app)
        watcher = app.bot_data.watcher
        assert watcher is not None
        assert watcher.task is not None and not watcher.task.done()
        assert tg.commands(), "the adapter's own post_init ran first (command menu)"
        add_phrasing(catalog_copy)
        for _ in range(250):
            if bot.brain.reply(NEW_PHRASING, "u", 0.0).card == "prednisone":
                break
            await asyncio.sleep(0.02)
        assert bot.brain.reply(NEW_PHRASING, "u", 0.0).card == "prednisone"
        task = watcher.task
        await app.post_shutdown(app)
        assert task.done() and watcher.task is None


async def test_watcher_ignores_files_the_loader_does_not_read(catalog_copy: Path) -> None:
    """An editor's swap or backup file next to the YAML is not a reason to reload."""
    catalog = load(catalog_copy).catalog
    assert catalog is not None
    watcher = admin.Watcher(admin.Reloader(Brain(catalog), catalog_copy))
    (catalog_copy / "intents" / ".general.yaml.swp").write_bytes(b"\0swap")
    (catalog_copy / "content" / "cards-general.yaml~").write_text("backup")
    assert await watcher.poll() is None
