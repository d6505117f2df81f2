"""The catalog loads, and every kind of broken file is reported with file:line, all at once."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from bot.__main__ import cmd_check
from bot.catalog import REQUIRED_CARD_IDS, load
from tests.conftest import ROOT

FIXTURES = Path(__file__).parent / "fixtures" / "broken"


def test_shipped_catalog_has_no_errors_and_every_required_card() -> None:
    result = load(ROOT)
    assert result.errors == ()
    assert result.catalog is not None
    assert set(REQUIRED_CARD_IDS) <= set(result.catalog.cards)


def test_check_passes_on_the_shipped_catalog_and_prints_grades() -> None:
    out = io.StringIO()
    assert cmd_check(ROOT, out) == 0
    assert "lems-evidence" in out.getvalue()
    assert "0 error(s)" in out.getvalue()


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("unknown-key", "content/cards-zz.yaml:5: error: card 'extra-card': unknown key 'colour'"),
        ("missing-field", "content/cards-zz.yaml:2: error: card 'extra-card': missing field 'short'"),
        ("bad-card-ref", "intents/zz.yaml:2: error: intent 'points-nowhere': card 'no-such-card' does not exist"),
        ("duplicate-id", "content/cards-zz.yaml:2: error: duplicate card id 'prednisone'"),
        ("duplicate-example", "intents/zz.yaml:6: error: duplicate example 'What on earth is  this pill'"),
        ("too-long", "content/cards-zz.yaml:2: error: card 'very-long' renders to"),
        ("yaml-syntax", "intents/zz.yaml:6: error: YAML syntax"),
        (
            "bad-related",
            "content/cards-zz.yaml:2: error: card 'extra-card': related card 'no-such-card' does not exist",
        ),
    ],
)
def test_check_fails_with_file_and_line(fixture: str, expected: str, catalog_copy: Path) -> None:
    shutil.copytree(FIXTURES / fixture, catalog_copy, dirs_exist_ok=True)
    out = io.StringIO()
    assert cmd_check(catalog_copy, out) == 1
    assert expected in out.getvalue()


def test_all_errors_are_reported_at_once(catalog_copy: Path) -> None:
    for fixture in ("unknown-key", "bad-card-ref"):
        shutil.copytree(FIXTURES / fixture, catalog_copy, dirs_exist_ok=True)
    (catalog_copy / "content" / "cards-zy.yaml").write_text(
        (FIXTURES / "bad-related/content/cards-zz.yaml").read_text().replace("extra-card", "other-card")
    )
    result = load(catalog_copy)
    messages = "\n".join(map(str, result.errors))
    assert "unknown key 'colour'" in messages
    assert "card 'no-such-card' does not exist" in messages
    assert "related card 'no-such-card'" in messages
    assert result.catalog is None
