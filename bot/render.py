"""Turn a Decision into the text and buttons a user sees: the ONE place the disclaimer is appended.

Every outgoing message, whatever the path (answer, clarify, fallback, urgent, error, help, notices,
inline results), is a `Reply` built by `_reply`, which ends the text with the disclaimer. Card text is
plain text from YAML and is escaped here; the only markup is ours (Telegram HTML: <b>, <i>).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

from bot.catalog import Card, Catalog, Source
from bot.router import Decision

TELEGRAM_MAX_CHARS = 4096
CALLBACK_PREFIX = "card:"
CONDITION_NAMES = {"lems": "LEMS", "als": "ALS"}


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # callback data, at most 64 bytes


@dataclass(frozen=True)
class Reply:
    text: str  # Telegram HTML, disclaimer included
    buttons: tuple[Button, ...] = ()
    kind: str = "answer"
    card: str | None = None
    score: float | None = None
    options: tuple[str, ...] = ()


def _reply(catalog: Catalog, body: str, **fields: object) -> Reply:
    """The only constructor used for outgoing text: appends the disclaimer."""
    disclaimer = html.escape(catalog.messages["disclaimer"], quote=False)
    return Reply(text=f"{body.rstrip()}\n\n<i>{disclaimer}</i>", **fields)  # type: ignore[arg-type]


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def card_button(card: Card) -> Button:
    return Button(label=card.label, data=f"{CALLBACK_PREFIX}{card.id}")


def card_html(catalog: Catalog, card: Card) -> str:
    """Short answer first, then the detail, then the source."""
    return _card_html(card, tuple(catalog.sources[s] for s in card.sources if s in catalog.sources))


@lru_cache(maxsize=1024)
def _card_html(card: Card, sources: tuple[Source, ...]) -> str:
    """Cards and sources are frozen: the same card is escaped and laid out once, not once per message."""
    body = "\n".join(f"• {esc(line[2:])}" if line.startswith("- ") else esc(line) for line in card.body.splitlines())
    parts = [f"<b>{esc(card.title)}</b>", esc(card.short), body]
    if sources:
        cited = "; ".join(", ".join(x for x in _source_parts(s) if x) for s in sources)
        parts.append(f"Source: {esc(cited)}")
    return "\n\n".join(parts)


def render_card(
    catalog: Catalog, card_id: str, *, kind: str = "answer", score: float | None = None, lead: str = ""
) -> Reply:
    """A card as a message; `lead` is a note (plain text) shown above it."""
    card = catalog.cards[card_id]
    buttons = tuple(card_button(catalog.cards[r]) for r in card.related if r in catalog.cards)
    tag = "b" if kind == "urgent" else "i"  # what to do in an emergency is read first
    note = f"<{tag}>{esc(lead)}</{tag}>\n\n" if lead else ""
    return _reply(catalog, note + card_html(catalog, card), buttons=buttons, kind=kind, card=card.id, score=score)


def topic_name(topic: str | None) -> str:
    return (topic or "this").replace("-", " ")


def render(catalog: Catalog, d: Decision) -> Reply:
    """What to send for a decision."""
    if d.kind in ("answer", "urgent") and d.card is not None and d.card in catalog.cards:
        return render_card(catalog, d.card, kind=d.kind, score=d.score, lead=_lead(catalog, d))
    options = tuple(o for o in d.options if o in catalog.cards)
    if d.kind == "clarify":
        text = esc(catalog.messages["clarify"].format(topic=topic_name(d.topic)))
        buttons = tuple(
            Button(CONDITION_NAMES.get(catalog.cards[o].condition, catalog.cards[o].label), f"{CALLBACK_PREFIX}{o}")
            for o in options
        )
        return _reply(catalog, text, buttons=buttons, kind="clarify", score=d.score, options=options)
    text = esc(catalog.messages[d.notice or "fallback"])  # a notice says why, in place of the usual line
    if d.language:  # and the same in the writer's language
        note = dict(catalog.understanding.languages).get(d.language)
        text += f"\n\n{esc(note)}" if note else ""
    buttons = tuple(card_button(catalog.cards[o]) for o in options)
    return _reply(catalog, text, buttons=buttons, kind="fallback", score=d.score, options=options)


def _lead(catalog: Catalog, d: Decision) -> str:
    """What goes above a card: what to do for this kind of emergency, why another drug's question gets
    this card, that the message was cut."""
    parts = []
    if d.kind == "urgent" and d.concept:
        concept = next((c for c in catalog.understanding.concepts if c.id == d.concept), None)
        if concept is not None and concept.advice:
            parts.append(concept.advice)
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
    return _reply(catalog, esc(text), kind="notice")


ADMIN_MAX_CHARS = 3500  # room for the disclaimer within Telegram's 4096


def admin_text(catalog: Catalog, text: str, *, preformatted: bool = False) -> Reply:
    """Text for an admin (/reload, /why, /stats, /missed): escaped, cut to fit one message, disclaimer included."""
    if len(text) > ADMIN_MAX_CHARS:
        text = text[: ADMIN_MAX_CHARS - 2].rstrip() + "\n…"
    body = f"<pre>{esc(text)}</pre>" if preformatted else esc(text)
    return _reply(catalog, body, kind="notice")


def welcome(catalog: Catalog) -> Reply:
    return render_card(catalog, "welcome", kind="answer")


def topics(catalog: Catalog) -> Reply:
    """The topic menu: every content card, grouped by condition."""
    order = {"general": 0, "lems": 1, "als": 2}
    cards = sorted(
        (c for c in catalog.cards.values() if c.is_content and c.topic != "urgent"),
        key=lambda c: (order.get(c.condition, 3), c.id),
    )
    lines = []
    for cond in ("general", "lems", "als"):
        names = [esc(c.title) for c in cards if c.condition == cond]
        if names:
            head = {"general": "Prednisone in general", "lems": "LEMS", "als": "ALS"}[cond]
            lines.append(f"<b>{head}</b>\n" + "\n".join(f"• {n}" for n in names))
    return _reply(catalog, "\n\n".join(lines), buttons=tuple(card_button(c) for c in cards), kind="notice")


def _source_parts(s: Source) -> tuple[str, ...]:
    """How a source is cited: title, publisher, when it was updated, where, and when we read it."""
    return (s.title, s.publisher, s.date and f"updated {s.date}", s.url, s.read and f"read on {s.read}")


def sources_text(catalog: Catalog) -> Reply:
    items = ["• " + esc(", ".join(x for x in _source_parts(s) if x)) for s in catalog.sources.values()]
    return _reply(catalog, "<b>Where this information comes from</b>\n\n" + "\n".join(items), kind="notice")


_TAG = re.compile(r"</?(b|i|u|s|code|pre|a)(\s[^>]*)?>")


def plain(text: str) -> str:
    """Telegram HTML → terminal text (console chat)."""
    return html.unescape(_TAG.sub("", text))
