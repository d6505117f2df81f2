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
import logging
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from bot.adapters.shared.cluster import ACK_SECONDS, RedisMissedLog, Reloaded
from bot.adapters.shared.missed_log import FILE_NAME, MissedLog
from bot.adapters.shared.reload import WATCH_SECONDS, Reloader, Watcher
from bot.adapters.telegram.delivery import send
from bot.adapters.telegram.services import Context, services
from bot.explain import explain
from bot.render import admin_text
from bot.settings import Settings

log = logging.getLogger(__name__)

App = Application[Any, Any, Any, Any, Any, Any]
Snapshot = tuple[tuple[str, int, int], ...]

MISSED_SHOWN = 20


# --- commands ---------------------------------------------------------------------------------------


async def _say(update: Update, context: Context, text: str, *, preformatted: bool = False) -> None:
    if update.effective_chat is not None:
        await send(
            context,
            update.effective_chat.id,
            admin_text(services(context).brain.catalog, text, preformatted=preformatted),
        )


async def reload_command(update: Update, context: Context) -> None:
    """/reload: re-read intents/ and content/; go live only if valid, else say what is wrong where.

    The reload and its answer run as a task of their own, so this handler returns at once and the admin's
    chat (whose updates are handled in order) is not held while the folders are validated.
    """
    reloader = services(context).reloader
    if reloader is None:
        return

    cluster = services(context).cluster

    async def reload_and_answer() -> None:
        try:
            outcome = await reloader.reload()
            text = outcome.text()
            if outcome.ok and cluster is not None:
                text += "\n" + _across(await cluster.replica.announce_reload())
        except Exception:
            log.exception("reload failed")
            text = "Reload failed on our side (see the log). The live catalog keeps answering."
        try:
            await _say(update, context, text)
        except Exception:  # no handler above this task to log it
            log.exception("could not answer /reload")

    task = asyncio.get_running_loop().create_task(reload_and_answer(), name="admin-reload")
    tasks = services(context).tasks
    tasks.add(task)  # a reference, so the task is not collected while it runs
    task.add_done_callback(tasks.discard)


def _across(reloaded: Reloaded | None) -> str:
    if reloaded is None:
        return "Reloaded on this replica only: Redis is unreachable, so the others keep their catalog for now."
    text = f"Reloaded on {reloaded.confirmed} of {reloaded.live} replicas."
    if reloaded.confirmed < reloaded.live:
        text += f" {reloaded.live - reloaded.confirmed} did not confirm within {ACK_SECONDS:g} s: see their logs."
    return text


async def why_command(update: Update, context: Context) -> None:
    """/why <text>: how the router reads it, in a scratch conversation (the admin's own is untouched)."""
    text = " ".join(context.args or ())
    if not text:
        await _say(update, context, "Usage: /why <a message as a user would type it>")
        return
    await _say(update, context, explain(services(context).brain.router, text), preformatted=True)


async def stats_command(update: Update, context: Context) -> None:
    """/stats: what the bot has answered since it started (in cluster mode: summed over the live replicas)."""
    shared = services(context)
    if shared.cluster is None:
        await _say(update, context, shared.stats.text(time.time()), preformatted=True)
        return
    total, replicas = await shared.cluster.replica.total()
    text = total.text(time.time()) + f"\nsummed over {replicas} live replica{'s' if replicas != 1 else ''}"
    await _say(update, context, text, preformatted=True)


async def missed_command(update: Update, context: Context) -> None:
    """/missed: the latest questions that got the fallback (when the operator turned the log on)."""
    missed_log = services(context).missed
    if missed_log is None:
        await _say(
            update, context, "The unmatched-question log is off. The operator turns it on with BOT_LOG_MISSED=1."
        )
        return
    if isinstance(missed_log, RedisMissedLog):
        rows = await missed_log.latest(MISSED_SHOWN)
    else:
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


COMMANDS: tuple[tuple[str, Callable[[Update, Context], Coroutine[Any, Any, None]]], ...] = (
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
    shared = app.bot_data
    reloader = shared.reloader = Reloader(shared.brain, root)
    if settings.log_missed and not settings.cluster:  # cluster mode: one log on Redis (app._join_cluster)
        missed_log = MissedLog(settings.data_dir / FILE_NAME)
        shared.missed = missed_log
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
    app.bot_data.watcher = watcher
