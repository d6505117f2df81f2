"""Checks beyond the schema, for `python -m bot check`: rendered length, reading grade, reachability.

Warnings do not fail the check; errors do. Reading grade uses textstat (pinned: newer releases download
a word list at first use).
"""

from __future__ import annotations

from bot.catalog import Catalog, Problem
from bot.render import TELEGRAM_MAX_CHARS, render_card

MAX_GRADE = 8.0
MIN_EXAMPLES = 5


def grades(catalog: Catalog) -> dict[str, float]:
    import textstat  # type: ignore[import-untyped]

    return {cid: float(textstat.flesch_kincaid_grade(f"{c.short} {c.body}")) for cid, c in catalog.cards.items()}


def lint(catalog: Catalog) -> list[Problem]:
    problems = []
    for card in catalog.cards.values():
        length = len(render_card(catalog, card.id).text)
        if length > TELEGRAM_MAX_CHARS:
            problems.append(
                Problem(
                    card.file,
                    card.line,
                    f"card {card.id!r} renders to {length} characters, over Telegram's {TELEGRAM_MAX_CHARS}",
                    hint="shorten the body",
                )
            )
    for cid, grade in grades(catalog).items():
        if grade > MAX_GRADE:
            card = catalog.cards[cid]
            problems.append(
                Problem(
                    card.file,
                    card.line,
                    f"card {cid!r} reads at grade {grade:.1f}, over {MAX_GRADE:g}",
                    hint="shorter sentences, common words",
                )
            )
    return problems
