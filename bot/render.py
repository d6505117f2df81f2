"""Turn a Decision into what a user is told: the ONE place the disclaimer is appended.

A `Reply` is surface-neutral: blocks of plain text (a title, paragraphs, lines and bullets, a note above a
card, the source, the disclaimer) and buttons. Each surface formats it its own way — Telegram HTML
(`bot/adapters/telegram/format.py`), web HTML (`bot/adapters/web/format.py`), plain text
(`bot/adapters/console.py`) — and escapes as its markup needs. Every outgoing message, whatever the path
(answer, clarify, fallback, urgent, error, help, notices, inline results), is built by `_reply`, which
ends it with the disclaimer block, so no surface can send without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from bot.catalog import Card, Catalog, Source
from bot.router import Decision

CALLBACK_PREFIX = "card:"
CONDITION_NAMES = {"lems": "LEMS", "als": "ALS"}

BlockKind = Literal["title", "text", "lines", "note", "alert", "source", "pre", "disclaimer"]
LineKind = Literal["plain", "bullet", "heading"]


@dataclass(frozen=True)
class Line:
    text: str
    kind: LineKind = "plain"


@dataclass(frozen=True)
class Block:
    """One paragraph of a reply, in plain text (never markup): surfaces escape and style it.

    title: a card's title; text: a paragraph; lines: lines kept together (some bullets, some headings);
    note: a note above a card (another drug's question, a message cut short); alert: what to do in this
    kind of emergency, read first; source: where the card's facts come from; pre: fixed-width text for
    admins; disclaimer: the last block of every reply.
    """

    kind: BlockKind
    text: str = ""
    lines: tuple[Line, ...] = ()


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # what a press sends back: CALLBACK_PREFIX + card id


@dataclass(frozen=True)
class Reply:
    blocks: tuple[Block, ...]  # the disclaimer is always the last
    buttons: tuple[Button, ...] = ()
    kind: str = "answer"
    card: str | None = None
    score: float | None = None
    options: tuple[str, ...] = ()


def _reply(catalog: Catalog, blocks: tuple[Block, ...], **fields: object) -> Reply:
    """The only constructor used for outgoing messages: appends the disclaimer."""
    return Reply(blocks=(*blocks, Block("disclaimer", catalog.messages["disclaimer"])), **fields)  # type: ignore[arg-type]


def card_button(card: Card) -> Button:
    return Button(label=card.label, data=f"{CALLBACK_PREFIX}{card.id}")


def card_blocks(catalog: Catalog, card: Card) -> tuple[Block, ...]:
    """Short answer first, then the detail, then the source."""
    return _card_blocks(card, tuple(catalog.sources[s] for s in card.sources if s in catalog.sources))


@lru_cache(maxsize=1024)
def _card_blocks(card: Card, sources: tuple[Source, ...]) -> tuple[Block, ...]:
    """Cards and sources are frozen: the same card is laid out once, not once per message."""
    body = tuple(Line(line[2:], "bullet") if line.startswith("- ") else Line(line) for line in card.body.splitlines())
    blocks = [Block("title", card.title), Block("text", card.short), Block("lines", lines=body)]
    if sources:
        cited = "; ".join(", ".join(x for x in _source_parts(s) if x) for s in sources)
        blocks.append(Block("source", f"Source: {cited}"))
    return tuple(blocks)


def render_card(
    catalog: Catalog,
    card_id: str,
    *,
    kind: str = "answer",
    score: float | None = None,
    lead: str = "",
    alert: bool = False,
) -> Reply:
    """A card as a message; `lead` is a note shown above it (an emergency's advice, `alert`: read first)."""
    card = catalog.cards[card_id]
    buttons = tuple(card_button(catalog.cards[r]) for r in card.related if r in catalog.cards)
    note = (Block("alert" if alert or kind == "urgent" else "note", lead),) if lead else ()
    return _reply(catalog, note + card_blocks(catalog, card), buttons=buttons, kind=kind, card=card.id, score=score)


# how a topic reads in "Do you mean {topic} in LEMS ... or in ALS?"; any other topic reads as its id
_TOPIC_NAMES = {
    "evidence": "whether prednisone works",
    "mechanism": "how prednisone works",
    "alternatives": "other treatments",
    "overview": "what the condition is",
}


def topic_name(topic: str | None) -> str:
    return _TOPIC_NAMES.get(topic or "", (topic or "this").replace("-", " "))


def render(catalog: Catalog, d: Decision) -> Reply:
    """What to send for a decision."""
    if d.kind in ("answer", "urgent") and d.card is not None and d.card in catalog.cards:
        alert = d.kind == "urgent" or d.concept is not None  # an emergency's advice stands out on every surface
        return render_card(catalog, d.card, kind=d.kind, score=d.score, lead=_lead(catalog, d), alert=alert)
    options = tuple(o for o in d.options if o in catalog.cards)
    if d.kind == "clarify":
        text = catalog.messages["clarify"].replace("{topic}", topic_name(d.topic))
        buttons = tuple(
            Button(CONDITION_NAMES.get(catalog.cards[o].condition, catalog.cards[o].label), f"{CALLBACK_PREFIX}{o}")
            for o in options
        )
        return _reply(catalog, (Block("text", text),), buttons=buttons, kind="clarify", score=d.score, options=options)
    # a notice says why, in place of the usual; a medicine no card covers is named ("what is IVIG?")
    if d.notice is None and d.drug is not None:
        text = catalog.messages["no_card_drug"].replace("{drug}", d.drug)
    else:
        text = catalog.messages[d.notice or "fallback"]
    blocks = [Block("text", text)]
    if d.language:  # and the same in the writer's language
        note = dict(catalog.understanding.languages).get(d.language)
        blocks += [Block("text", note)] if note else []
    buttons = tuple(card_button(catalog.cards[o]) for o in options)
    return _reply(catalog, tuple(blocks), buttons=buttons, kind="fallback", score=d.score, options=options)


def _lead(catalog: Catalog, d: Decision) -> str:
    """What goes above a card: what to do for this kind of emergency, why another drug's question gets
    this card, that the message was cut."""
    parts = []
    concept = next((c for c in catalog.understanding.concepts if c.id == d.concept), None) if d.concept else None
    if concept is not None and concept.advice:
        # an answer with emergency words in it (router._learned_calm): the advice stays, in case it is happening
        in_case = catalog.messages["in_case"].replace("{advice}", concept.advice)
        parts.append(concept.advice if d.kind == "urgent" else in_case)
    if d.notice == "other_drug":
        parts.append(catalog.messages["other_drug"].replace("{drug}", d.drug or "this medicine"))
    if d.truncated:
        parts.append(catalog.messages["too_long"])
    return "\n\n".join(parts)


def notice(catalog: Catalog, key: str, **values: str) -> Reply:
    """A fixed text from messages.yaml (non-text input, errors, group hello), disclaimer included."""
    text = catalog.messages[key]
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return _reply(catalog, (Block("text", text),), kind="notice")


ADMIN_MAX_CHARS = 3500  # room for the disclaimer in one message on any surface (Telegram's 4096 is the tightest)


def admin_text(catalog: Catalog, text: str, *, preformatted: bool = False) -> Reply:
    """Text for an admin (/reload, /why, /stats, /missed), or a surface's own notice: cut to fit one message."""
    if len(text) > ADMIN_MAX_CHARS:
        text = text[: ADMIN_MAX_CHARS - 2].rstrip() + "\n…"
    return _reply(catalog, (Block("pre" if preformatted else "text", text),), kind="notice")


def welcome(catalog: Catalog) -> Reply:
    return render_card(catalog, "welcome", kind="answer")


def topics(catalog: Catalog) -> Reply:
    """The topic menu: every content card, grouped by condition."""
    order = {"general": 0, "lems": 1, "als": 2}
    cards = sorted(
        (c for c in catalog.cards.values() if c.is_content and c.topic != "urgent"),
        key=lambda c: (order.get(c.condition, 3), c.id),
    )
    blocks = []
    for cond in ("general", "lems", "als"):
        names = [c.title for c in cards if c.condition == cond]
        if names:
            head = {"general": "Prednisone in general", "lems": "LEMS", "als": "ALS"}[cond]
            blocks.append(Block("lines", lines=(Line(head, "heading"), *(Line(n, "bullet") for n in names))))
    return _reply(catalog, tuple(blocks), buttons=tuple(card_button(c) for c in cards), kind="notice")


def _source_parts(s: Source) -> tuple[str, ...]:
    """How a source is cited: title, publisher, when it was updated, where, and when we read it."""
    return (s.title, s.publisher, s.date and f"updated {s.date}", s.url, s.read and f"read on {s.read}")


def sources_text(catalog: Catalog) -> Reply:
    items = tuple(Line(", ".join(x for x in _source_parts(s) if x), "bullet") for s in catalog.sources.values())
    blocks = (Block("title", "Where this information comes from"), Block("lines", lines=items))
    return _reply(catalog, blocks, kind="notice")
