"""Settings from a mapping: `os.environ` in production, a plain dict in tests. Nothing here reads it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_BASE_URL = "https://api.telegram.org/bot"


@dataclass(frozen=True)
class Settings:
    token: str = ""
    base_url: str = DEFAULT_BASE_URL
    admin_ids: frozenset[int] = frozenset()
    data_dir: Path = Path("data")
    catalog_dir: Path = Path(".")
    log_missed: bool = False
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_path: str = ""  # the local path the webhook server answers on; default: the path of webhook_url
    # Bot API calls: how long to wait for an answer, and how often to retry timeouts and 5xx (see telegram.py)
    request_timeout: float = 20.0
    retries: int = 5
    retry_delay: float = 1.0  # first backoff; doubles each time, at most 30 s
    log_level: str = "INFO"  # BOT_LOG_LEVEL; at any level the log holds no message text, names or raw ids
    # the web chat (python -m bot web, docs/web.md)
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    web_frame_ancestors: str = "'none'"  # CSP frame-ancestors: the sites allowed to embed the chat in an iframe
    web_behind_proxy: bool = False  # trust X-Forwarded-For / X-Forwarded-Proto from a reverse proxy
    # cluster mode (docs/deploy.md): several webhook replicas sharing Valkey/Redis; off when empty
    redis_url: str = ""
    claim_seconds: float = 60.0  # BOT_CLAIM_SECONDS: how long a replica that died keeps an update from the others
    replica_id: str = ""  # BOT_REPLICA_ID: the name /stats and the logs give this replica; default host and pid
    # BOT_SEND_PER_SECOND: this process's share of Telegram's ~30 messages a second for one bot token (with N
    # replicas on one token, give each 30/N)
    send_per_second: float = 30.0

    @property
    def cluster(self) -> bool:
        """Several replicas share state through REDIS_URL."""
        return bool(self.redis_url)

    def __repr__(self) -> str:  # never show the token, even in a traceback
        return f"Settings(token={'<set>' if self.token else '<unset>'}, base_url={self.base_url!r})"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        ids = frozenset(
            int(x) for x in env.get("BOT_ADMIN_IDS", "").replace(" ", "").split(",") if x.lstrip("-").isdigit()
        )
        return cls(
            token=env.get("TELEGRAM_BOT_TOKEN", "").strip(),
            base_url=env.get("TELEGRAM_BASE_URL", "").strip() or DEFAULT_BASE_URL,
            admin_ids=ids,
            data_dir=Path(env.get("BOT_DATA_DIR", "") or "data"),
            catalog_dir=Path(env.get("BOT_CATALOG_DIR", "") or "."),
            log_missed=env.get("BOT_LOG_MISSED", "") in ("1", "true", "yes", "on"),
            webhook_url=env.get("BOT_WEBHOOK_URL", ""),
            webhook_secret=env.get("BOT_WEBHOOK_SECRET", ""),
            webhook_listen=env.get("BOT_WEBHOOK_LISTEN", "") or "127.0.0.1",
            webhook_port=_port(env.get("BOT_WEBHOOK_PORT", "")),
            webhook_path=env.get("BOT_WEBHOOK_PATH", "").strip(),
            log_level=_log_level(env.get("BOT_LOG_LEVEL", "")),
            web_host=env.get("BOT_WEB_HOST", "").strip() or "127.0.0.1",
            web_port=_port(env.get("BOT_WEB_PORT", ""), "BOT_WEB_PORT", 8080),
            web_frame_ancestors=_frame_ancestors(env.get("BOT_WEB_FRAME_ANCESTORS", "")),
            web_behind_proxy=env.get("BOT_WEB_BEHIND_PROXY", "") in ("1", "true", "yes", "on"),
            redis_url=env.get("REDIS_URL", "").strip(),
            claim_seconds=_seconds(env.get("BOT_CLAIM_SECONDS", ""), "BOT_CLAIM_SECONDS", 60.0),
            replica_id=env.get("BOT_REPLICA_ID", "").strip(),
            send_per_second=_rate(env.get("BOT_SEND_PER_SECOND", "")),
        )


def _port(value: str, name: str = "BOT_WEBHOOK_PORT", default: int = 8443) -> int:
    if not value.strip():
        return default
    if not value.strip().isdigit() or not 0 < int(value) < 65536:
        raise ValueError(f"{name} must be a port number (1-65535), got {value!r}")
    return int(value)


def _number(value: str, name: str, default: float, low: float, high: float, unit: str) -> float:
    """A number within [low, high], or the default when unset; the error names the variable and the range."""
    if not value.strip():
        return default
    try:
        number = float(value)
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise ValueError(f"{name} must be {unit} ({low:g}-{high:g}), got {value!r}")
    return number


def _rate(value: str) -> float:
    return _number(value, "BOT_SEND_PER_SECOND", 30.0, 1, 30, "messages a second, Telegram's limit")


def _seconds(value: str, name: str, default: float) -> float:
    return _number(value, name, default, 0.5, 3600, "a number of seconds")


_FRAME_SOURCE = re.compile(r"'self'|'none'|(https?://)?(\*\.)?[A-Za-z0-9.-]+(:(\d{1,5}|\*))?")


def _frame_ancestors(value: str) -> str:
    """BOT_WEB_FRAME_ANCESTORS: space-separated sites (https://www.example.org) or 'self'; default 'none'.
    Checked word by word, since it goes into the Content-Security-Policy header as written."""
    words = value.split()
    if not words:
        return "'none'"
    bad = [w for w in words if not _FRAME_SOURCE.fullmatch(w)]
    if bad:
        raise ValueError(
            f"BOT_WEB_FRAME_ANCESTORS must list sites like https://www.example.org or 'self', got {bad[0]!r}"
        )
    return " ".join(words)


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _log_level(value: str) -> str:
    """BOT_LOG_LEVEL by name, any case; a typo stops the start rather than silently logging at INFO."""
    level = value.strip().upper() or "INFO"
    if level not in LOG_LEVELS:
        raise ValueError(f"BOT_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return level
