"""The Telegram surface: python-telegram-bot 22 around the shared Brain. Thin on purpose; each file one concern.

* `app`: wiring — `build(settings, catalog, root)` for `run`, the tests and the benchmarks; `serve` (start,
  SIGTERM, stop in order); `run`; webhook options.
* `handlers`: what the bot does with each kind of update (private chats, groups, buttons, inline, members).
* `admin`: /reload, /why, /stats, /missed for the operator's admins, and the catalog watcher.
* `delivery`: the one way out (`send`), retries and flood control per chat, blocked chats.
* `ordering`: each chat's updates in order; a chat waiting for its turn holds no shared slot.
* `polling` / `webhook`: where updates come from; both confirm an update only after it was answered.
* `transport`: JSON bodies to the Bot API.
* `services`: the typed object the handlers share (python-telegram-bot's bot_data).
* `format`: a Reply as Telegram HTML.

Cluster mode (REDIS_URL, docs/deploy.md): `app` wires the parts in `shared/cluster.py` and
`shared/redis_store.py` — context on Redis, update claims in `webhook`, per-chat locks in `ordering`,
replica registry, counts and reloads in `admin`.

Nothing is imported here, so `check` can use `format` without loading python-telegram-bot.

Usage:
    TELEGRAM_BOT_TOKEN=123:abc python -m bot telegram             # long polling
    TELEGRAM_BOT_TOKEN=123:abc python -m bot telegram --webhook https://example.org/bot --port 8443
"""
