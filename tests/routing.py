"""Helpers for tests that route messages and edit the catalog's understanding.yaml in a scratch copy."""

from __future__ import annotations

from pathlib import Path

from bot.context import MemoryContextStore
from bot.router import Decision, Router


def route(router: Router, text: str, *before: str) -> Decision:
    """`text` in a fresh conversation, after `before` (each a message of the same chat)."""
    store = MemoryContextStore()
    for n, earlier in enumerate(before):
        router.route(earlier, "t", store, float(n))
    return router.route(text, "t", store, 10.0)


def edit_understanding(root: Path, old: str, new: str) -> None:
    """Replace the first `old` in root/intents/understanding.yaml, as an admin would; `old` must be there."""
    path = root / "intents" / "understanding.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
