"""Cards are reviewed as a medicine leaflet is: `review: {status, by, date, due}` on every card, `check` warns
on drafts and on reviews past due (against a date passed in, never the clock), and `python -m bot review`
lists what needs a clinician's eye with the sources of each card."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest

from bot import checks
from bot.__main__ import cmd_check, cmd_review, main
from bot.catalog import Catalog, Review, load
from tests.conftest import ROOT

LOCATED = re.compile(r"^content/[\w.-]+\.yaml:\d+: warning: .+ \(hint: .+\)$")
TODAY = dt.date(2026, 12, 2)

CARDS = """\
cards:
  - id: zz-signed
    title: A signed-off card
    condition: general
    topic: zz-signed
    short: Short answer.
    body: Body text.
    sources: [nhs-steroid-tablets]
    related: []
    review: {status: reviewed, by: Dr A. Clinician, date: 2026-06-01, due: 2027-06-01}

  - id: zz-overdue
    title: A card past its review date
    condition: general
    topic: zz-overdue
    short: Short answer.
    body: Body text.
    sources: [nhs-steroid-tablets, lems-news-2019]
    related: []
    review:
      status: reviewed
      by: Dr B. Clinician
      date: 2025-01-10
      due: 2026-01-10

  - id: zz-draft
    title: A draft card
    condition: general
    topic: zz-draft
    short: Short answer.
    body: Body text.
    sources: [nhs-steroid-tablets]
    related: []
    review: {status: draft}

  - id: zz-unrecorded
    title: A card with no review at all
    condition: general
    topic: zz-unrecorded
    short: Short answer.
    body: Body text.
    sources: [nhs-steroid-tablets]
    related: []
"""


def write_cards(root: Path, text: str) -> None:
    (root / "content" / "cards-zz.yaml").write_text(text, encoding="utf-8")


@pytest.fixture
def reviewed(catalog_copy: Path) -> Path:
    write_cards(catalog_copy, CARDS)
    return catalog_copy


# --- parsing ----------------------------------------------------------------------------------------


def test_review_fields_are_parsed(reviewed: Path) -> None:
    result = load(reviewed)
    assert result.catalog is not None, "\n".join(map(str, result.errors))
    cards = result.catalog.cards
    assert cards["zz-signed"].review == Review("reviewed", "Dr A. Clinician", dt.date(2026, 6, 1), dt.date(2027, 6, 1))
    assert cards["zz-overdue"].review.due == dt.date(2026, 1, 10)
    assert cards["zz-draft"].review == Review(status="draft")
    assert not cards["zz-unrecorded"].review.recorded


def test_why_a_card_needs_a_clinician() -> None:
    signed = Review("reviewed", "Dr A", dt.date(2026, 1, 1), dt.date(2027, 1, 1))
    assert signed.needs_eye(dt.date(2026, 12, 31)) == ""
    assert signed.needs_eye(dt.date(2027, 1, 1)) == ""  # due today is still in date
    assert signed.needs_eye(dt.date(2027, 1, 2)) == "review was due 2027-01-01"
    assert "draft" in Review().needs_eye(TODAY)
    assert "no review record" in Review(recorded=False).needs_eye(TODAY)


@pytest.mark.parametrize(
    ("review", "message"),
    [
        ("{status: approved}", "status 'approved' is not one of draft, reviewed"),
        ("{status: reviewed, date: 2026-01-01, due: 2027-01-01}", "missing field 'by'"),
        ("{status: reviewed, by: Dr A, due: 2027-01-01}", "a reviewed card needs 'date'"),
        ("{status: reviewed, by: Dr A, date: 2026-01-01}", "a reviewed card needs 'due'"),
        (
            "{status: reviewed, by: Dr A, date: 1 March 2026, due: 2027-01-01}",
            "'date' must be a date written YYYY-MM-DD",
        ),
        ("{status: reviewed, by: Dr A, date: 2026-01-01, due: 2025-01-01}", "is not after the review date"),
        ("{status: draft, signed: yes}", "unknown key 'signed'"),
        ("{by: Dr A}", "missing field 'status'"),
        ("yes", "must be a mapping"),
    ],
)
def test_a_broken_review_is_an_error_with_file_and_line(catalog_copy: Path, review: str, message: str) -> None:
    write_cards(
        catalog_copy,
        "cards:\n  - id: zz-bad\n    title: Bad\n    condition: general\n    topic: zz-bad\n    short: S.\n"
        f"    body: B.\n    sources: [nhs-steroid-tablets]\n    related: []\n    review: {review}\n",
    )
    result = load(catalog_copy)
    assert result.catalog is None
    [problem] = [p for p in result.errors if p.file == "content/cards-zz.yaml"]
    assert problem.line == 10
    assert "card 'zz-bad' review" in problem.message
    assert message in str(problem)


def test_every_shipped_card_has_a_review_record(catalog: Catalog) -> None:
    missing = [cid for cid, card in catalog.cards.items() if not card.review.recorded]
    assert not missing


def test_shipped_sources_of_new_facts_say_when_they_were_read(catalog: Catalog) -> None:
    for source in catalog.sources.values():
        if source.url:
            assert dt.date.fromisoformat(source.read), source.id


# --- check ------------------------------------------------------------------------------------------


def test_check_warns_on_drafts_and_on_reviews_past_due(reviewed: Path) -> None:
    result = load(reviewed)
    assert result.catalog is not None
    found = {p.message.split("'")[1]: p for p in checks.needs_review(result.catalog, TODAY) if "zz" in p.file}
    assert set(found) == {"zz-overdue", "zz-draft", "zz-unrecorded"}
    assert "review was due 2026-01-10" in found["zz-overdue"].message
    assert "draft" in found["zz-draft"].message
    for problem in found.values():
        assert problem.severity == "warning"
        assert LOCATED.match(str(problem)), str(problem)
    # the date is the caller's: a year earlier the overdue card was still in date
    earlier = checks.needs_review(result.catalog, dt.date(2025, 12, 2))
    assert not any("zz-overdue" in p.message for p in earlier)


def test_check_command_prints_the_review_warnings_and_still_exits_0(reviewed: Path) -> None:
    out = io.StringIO()
    assert cmd_check(reviewed, out, TODAY) == 0
    text = out.getvalue()
    assert "warning: card 'zz-overdue' needs a clinician's review: review was due 2026-01-10" in text
    assert "card 'zz-signed' needs a clinician's review" not in text
    assert "0 error(s)" in text


# --- review -----------------------------------------------------------------------------------------


def test_review_lists_what_needs_a_clinician_with_sources(reviewed: Path) -> None:
    out = io.StringIO()
    assert cmd_review(reviewed, out, TODAY) == 0
    text = out.getvalue()
    assert "zz-signed" not in text
    overdue = text.split("zz-overdue: A card past its review date")[1].split("\n\n")[0]
    assert "review was due 2026-01-10" in overdue
    assert "content/cards-zz.yaml:" in overdue
    assert "last signed off by Dr B. Clinician (2025-01-10)" in overdue
    assert "Steroid tablets (NHS (UK National Health Service), read 2026-12-02): https://www.nhs.uk/" in overdue
    assert "Lambert-Eaton News" in overdue and "no web address" in overdue
    assert "zz-draft: A draft card" in text
    assert "zz-unrecorded: A card with no review at all" in text
    assert "review: {status: reviewed, by: <your name>, date: <today>, due: <next review date>}" in text


def test_review_of_the_shipped_catalog_lists_the_drafts(catalog: Catalog) -> None:
    out = io.StringIO()
    assert cmd_review(ROOT, out, TODAY) == 0
    drafts = [cid for cid, card in catalog.cards.items() if card.review.needs_eye(TODAY)]
    assert out.getvalue().startswith(f"{len(drafts)} of {len(catalog.cards)} cards need a clinician's review")
    for cid in drafts:
        assert f"\n{cid}: " in out.getvalue()


def test_review_refuses_a_broken_catalog(catalog_copy: Path) -> None:
    write_cards(catalog_copy, "cards:\n  - id: zz-bad\n    title: only a title\n")
    out = io.StringIO()
    assert cmd_review(catalog_copy, out, TODAY) == 1
    assert "content/cards-zz.yaml:2: error:" in out.getvalue()


def test_review_from_the_command_line(reviewed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(reviewed), "review"], env={}) == 0
    assert "zz-draft: A draft card" in capsys.readouterr().out
