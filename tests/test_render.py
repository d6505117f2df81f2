"""The disclaimer ends every message the bot can send, and user text is never interpreted as markup."""

from __future__ import annotations

import pytest

from bot.adapters.console import plain_text
from bot.adapters.telegram.format import telegram_html
from bot.brain import Brain
from bot.catalog import REQUIRED_MESSAGES, Catalog
from bot.render import notice, render, render_card, sources_text, topics, welcome
from bot.router import Decision
from tests.conftest import assert_disclaimer


def test_every_card_ends_with_the_disclaimer_and_names_its_source(catalog: Catalog) -> None:
    for card in catalog.cards.values():
        reply = render_card(catalog, card.id)
        assert_disclaimer(telegram_html(reply), catalog)
        if card.sources:
            assert "Source: " in telegram_html(reply)
        # short answer first, then detail, then the source
        text = plain_text(reply)
        assert text.index(card.short[:30]) < text.index(card.body.splitlines()[0][2:][:20])


@pytest.mark.parametrize(
    "decision",
    [
        Decision("answer", card="lems-evidence"),
        Decision("urgent", card="urgent"),
        Decision("clarify", options=("lems-evidence", "als-evidence"), topic="evidence"),
        Decision("fallback", options=("prednisone", "lems", "als")),
        Decision("fallback", options=(), notice="stale_button"),
        Decision("answer", card="als", truncated=True),
    ],
)
def test_every_kind_of_reply_ends_with_the_disclaimer(catalog: Catalog, decision: Decision) -> None:
    assert_disclaimer(telegram_html(render(catalog, decision)), catalog)


def test_notices_help_topics_and_sources_end_with_the_disclaimer(catalog: Catalog) -> None:
    replies = [notice(catalog, key) for key in REQUIRED_MESSAGES if key != "disclaimer"]
    replies += [welcome(catalog), topics(catalog), sources_text(catalog)]
    for reply in replies:
        assert_disclaimer(telegram_html(reply), catalog)


def test_the_disclaimer_is_appended_once(catalog: Catalog) -> None:
    text = telegram_html(render_card(catalog, "prednisone"))
    assert text.count(catalog.messages["disclaimer"][:40]) == 1


def test_clarify_offers_lems_and_als_buttons(catalog: Catalog) -> None:
    reply = render(catalog, Decision("clarify", options=("lems-evidence", "als-evidence"), topic="evidence"))
    assert [b.label for b in reply.buttons] == ["LEMS", "ALS"]
    assert all(len(b.data.encode()) <= 64 for b in reply.buttons)


def test_every_button_fits_telegrams_64_bytes(catalog: Catalog) -> None:
    for card in catalog.cards.values():
        for button in render_card(catalog, card.id).buttons + topics(catalog).buttons:
            assert len(button.data.encode()) <= 64


def test_user_markup_is_escaped_in_everything_the_bot_sends(brain: Brain) -> None:
    for text in ["<b>bold</b> prednisone", "<script>alert(1)</script>", "a & b < c", "*x* _y_ [z](http://e)"]:
        reply = brain.reply(text, "chat", 0.0)
        assert "<script>" not in telegram_html(reply) and "<b>bold</b>" not in telegram_html(reply)


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("mum has a cold, should she keep taking her prednisone?", "infections"),
        ("what are my sick day rules for prednisolone?", "adrenal"),
        ("I was sick an hour after my morning pred, what now", "missed-dose"),
    ],
)
def test_someone_ill_while_on_prednisone_is_told_to_keep_taking_it_or_get_help(
    brain: Brain, text: str, card: str
) -> None:
    """Sick days: the answer they land on, wherever that is, says what to do with the tablets while ill."""
    reply = brain.reply(text, "chat", 0.0)
    said = plain_text(reply).lower()
    assert reply.card == card
    assert "keep taking your prednisone" in said or "ask a pharmacist whether to take that dose again" in said
