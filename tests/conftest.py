"""Shared fixtures: the shipped catalog, a brain over it, and a scratch copy for tests that break it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.brain import Brain
from bot.catalog import Catalog, load
from tests.botapi import BotApiDouble

# python-telegram-bot 22 warns (DeprecationWarning) while building RetryAfter unless this is set; with
# warnings as errors, that warning would replace the RetryAfter that flood-control tests need.
os.environ.setdefault("PTB_TIMEDELTA", "1")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    result = load(ROOT)
    assert result.catalog is not None, "\n".join(map(str, result.problems))
    return result.catalog


@pytest.fixture
def brain(catalog: Catalog) -> Brain:
    return Brain(catalog)


@pytest.fixture
def catalog_copy(tmp_path: Path) -> Path:
    """A writable copy of content/ and intents/, for tests that edit or break files."""
    for name in ("content", "intents"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


def assert_disclaimer(text: str, catalog: Catalog) -> None:
    """Every message the bot sends ends with the disclaimer as its last paragraph."""
    import html

    disclaimer = html.escape(catalog.messages["disclaimer"], quote=False)
    assert text.rstrip().endswith(f"<i>{disclaimer}</i>"), f"no disclaimer at the end of: {text[-200:]!r}"


@pytest.fixture
def tg(request: pytest.FixtureRequest, catalog: Catalog) -> Iterator[BotApiDouble]:
    """A Bot API double on 127.0.0.1. Afterwards: it never failed, and every message the bot sent through
    it (delivered or not, inline results too) ended with the disclaimer, unless the test is marked
    `any_text` (tests of the double itself, which send text of their own)."""
    from tests.telegram_harness import check_every_message

    with BotApiDouble() as double:
        yield double
    assert double.internal_errors == []
    if request.node.get_closest_marker("any_text") is None:
        check_every_message(double, catalog)
