"""Settings from a mapping: `os.environ` in production, a plain dict in tests. Nothing here reads it."""

from __future__ import annotations

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
            webhook_port=int(env.get("BOT_WEBHOOK_PORT", "") or 8443),
        )
