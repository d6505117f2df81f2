"""Score the router on a file of cases: what share is acceptable, what was missed, what crossed conditions.

A case is `{text, expect: [card id | clarify | fallback], after: [earlier messages], cat, kind}`; each runs
in a fresh conversation, so cases never leak context into each other. `cat` (paraphrase, typo, emergency,
...) and `kind` (an emergency's kind: breathing, overdose, ...) are optional and only group the figures.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from bot.context import MemoryContextStore
from bot.router import Decision, Router


@dataclass(frozen=True)
class Case:
    text: str
    expect: tuple[str, ...]
    after: tuple[str, ...] = ()
    line: int = 0
    cat: str = ""
    kind: str = ""

    @property
    def scope(self) -> str:
        """emergency, out (only an honest fallback is right) or in (a card is right)."""
        if self.expect[:1] == ("urgent",):
            return "emergency"
        return "out" if set(self.expect) <= {"fallback"} else "in"


@dataclass(frozen=True)
class Outcome:
    case: Case
    decision: Decision
    got: str
    ok: bool
    wrong_condition: bool
    seconds: float
    prednisone_for_other_drug: bool = False  # another drug's question answered with a prednisone card


@dataclass(frozen=True)
class Report:
    outcomes: tuple[Outcome, ...]
    per_card: dict[str, tuple[int, int]] = field(default_factory=dict)  # expected card → (right, total)

    @property
    def total(self) -> int:
        return len(self.outcomes)

    @property
    def acceptable(self) -> int:
        return sum(o.ok for o in self.outcomes)

    @property
    def share(self) -> float:
        return self.acceptable / self.total if self.total else 0.0

    @property
    def misses(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if not o.ok)

    @property
    def wrong_condition(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.wrong_condition)

    @property
    def urgent_cases(self) -> tuple[Outcome, ...]:
        """Cases whose first acceptable outcome is the urgent card."""
        return tuple(o for o in self.outcomes if o.case.expect[:1] == ("urgent",))

    @property
    def urgent_caught(self) -> int:
        return sum(o.got == "urgent" for o in self.urgent_cases)

    def confusions(self) -> Counter[tuple[str, str]]:
        """(expected, got) for the misses; expected is a case's first acceptable outcome."""
        return Counter((o.case.expect[0], o.got) for o in self.misses)

    def matrix(self) -> Counter[tuple[str, str]]:
        """(expected, given) for every case; a right answer counts on the diagonal, whichever of the
        acceptable outcomes it was, so each row adds up to that card's cases."""
        return Counter((o.case.expect[0], o.case.expect[0] if o.ok else o.got) for o in self.outcomes)

    def given_wrongly(self) -> Counter[str]:
        """How often each outcome was given where it was not acceptable (the other side of a confusion)."""
        return Counter(o.got for o in self.misses)

    def per_category(self) -> list[tuple[str, int, int]]:
        """(cat, right, cases) for cases that have a `cat`, by name."""
        tally: dict[str, list[int]] = {}
        for o in self.outcomes:
            if o.case.cat:
                t = tally.setdefault(o.case.cat, [0, 0])
                t[0] += o.ok
                t[1] += 1
        return [(c, r, n) for c, (r, n) in sorted(tally.items())]

    def by_scope(self, scope: str) -> tuple[int, int]:
        cases = [o for o in self.outcomes if o.case.scope == scope]
        return sum(o.ok for o in cases), len(cases)

    def urgent_by_kind(self) -> list[tuple[str, int, int]]:
        tally: dict[str, list[int]] = {}
        for o in self.urgent_cases:
            t = tally.setdefault(o.case.kind or "-", [0, 0])
            t[0] += o.got == "urgent"
            t[1] += 1
        return [(k, r, n) for k, (r, n) in sorted(tally.items())]

    @property
    def false_urgent(self) -> tuple[Outcome, ...]:
        """Cases where the urgent card is not acceptable, answered with it."""
        return tuple(o for o in self.outcomes if o.got == "urgent" and "urgent" not in o.case.expect)

    @property
    def not_urgent_cases(self) -> int:
        return sum("urgent" not in o.case.expect for o in self.outcomes)

    def median_ms(self) -> float:
        times = sorted(o.seconds for o in self.outcomes)
        return 1000 * times[len(times) // 2] if times else 0.0


def parse_cases(data: Any) -> list[Case]:
    cases = data.get("cases") if isinstance(data, dict) else None
    if not isinstance(cases, list):
        raise ValueError("expected a top-level 'cases' list")
    out = []
    for n, c in enumerate(cases, 1):
        if not isinstance(c, dict) or not isinstance(c.get("text"), str) or not c.get("expect"):
            raise ValueError(f"case {n}: needs 'text' and 'expect'")
        expect = c["expect"] if isinstance(c["expect"], list) else [c["expect"]]
        out.append(
            Case(
                text=c["text"],
                expect=tuple(map(str, expect)),
                after=tuple(c.get("after") or ()),
                line=n,
                cat=str(c.get("cat") or ""),
                kind=str(c.get("kind") or ""),
            )
        )
    return out


def parse_newer_cards(data: Any, cases: list[Case]) -> dict[str, tuple[str, ...]]:
    """Cards added after a case file was labelled that also answer some of its cases: text → card ids.

    Every entry must name a case in the file and say why, so a relabelling is a reviewed decision, never
    a quiet way to raise a figure; the strict figure is always printed beside it.
    """
    entries = data.get("cases") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ValueError("expected a top-level 'cases' list")
    texts = {c.text for c in cases}
    out: dict[str, tuple[str, ...]] = {}
    for n, e in enumerate(entries, 1):
        if not isinstance(e, dict) or not isinstance(e.get("text"), str) or not e.get("also") or not e.get("why"):
            raise ValueError(f"entry {n}: needs 'text', 'also' and 'why'")
        if e["text"] not in texts:
            raise ValueError(f"entry {n}: no case has the text {e['text']!r}")
        also = e["also"] if isinstance(e["also"], list) else [e["also"]]
        out[e["text"]] = tuple(map(str, also))
    return out


def with_newer_cards(cases: list[Case], newer: dict[str, tuple[str, ...]]) -> list[Case]:
    return [replace(c, expect=c.expect + newer.get(c.text, ())) for c in cases]


def outcome_of(d: Decision) -> str:
    return d.card or d.kind if d.kind in ("answer", "urgent") else d.kind


def _wrong_condition(router: Router, case: Case, d: Decision) -> bool:
    cards = router.catalog.cards
    if d.kind != "answer" or d.card is None or d.card not in cards or d.card in case.expect:
        return False
    got = cards[d.card].condition
    if got == "general":
        return False
    expected = {cards[e].condition for e in case.expect if e in cards} - {"general"}
    named = router.scan(case.text).conditions
    return (bool(expected - {got}) and got not in expected) or (bool(named) and got not in named)


def run(router: Router, cases: Iterable[Case]) -> Report:
    outcomes = []
    per_card: dict[str, list[int]] = {}
    for case in cases:
        store = MemoryContextStore()
        now = 0.0
        for earlier in case.after:
            router.route(earlier, "eval", store, now)
            now += 10
        start = time.perf_counter()
        d = router.route(case.text, "eval", store, now)
        seconds = time.perf_counter() - start
        got = outcome_of(d)
        ok = got in case.expect
        card = router.catalog.cards.get(d.card or "")
        other = (
            not ok
            and d.kind == "answer"
            and card is not None
            and card.topic in router.catalog.understanding.drug_topics
            and any(not dr.ours for dr in router.catalog.understanding.drugs if dr.id in router.scan(case.text).drugs)
        )
        outcomes.append(Outcome(case, d, got, ok, _wrong_condition(router, case, d), seconds, other))
        tally = per_card.setdefault(case.expect[0], [0, 0])
        tally[0] += ok
        tally[1] += 1
    return Report(tuple(outcomes), {k: (v[0], v[1]) for k, v in per_card.items()})


# --- out-of-scope requests (CLINC150 format) ---------------------------------------------------------

SMALL_TALK_INTENTS = frozenset(
    {
        "greeting",
        "goodbye",
        "thank_you",
        "what_can_i_ask_you",
        "are_you_a_bot",
        "who_made_you",
        "what_is_your_name",
        "yes",
        "no",
        "maybe",
        "repeat",
        "cancel",
    }
)


@dataclass(frozen=True)
class ScopeReport:
    total: int
    answered: tuple[tuple[str, str, str], ...]  # (text, intent label, card) answered with a content card

    @property
    def share(self) -> float:
        return len(self.answered) / self.total if self.total else 0.0


def parse_requests(data: Any) -> list[tuple[str, str]]:
    """`{split: [[text, intent], ...]}`, small talk left out (the bot may answer that)."""
    if not isinstance(data, dict):
        raise ValueError("expected a mapping of split name to [[text, intent], ...]")
    return [(t, i) for rows in data.values() for t, i in rows if i not in SMALL_TALK_INTENTS]


MID_CONVERSATION = "does prednisone help LEMS?"  # asked first, for the out-of-scope figure mid-conversation


def run_out_of_scope(router: Router, requests: Iterable[tuple[str, str]], after: str | None = None) -> ScopeReport:
    """`after`: asked first in the same chat, so each request comes mid-conversation (where the last answer's
    condition and topic could make an unrelated request look like a follow-up)."""
    answered = []
    total = 0
    for text, label in requests:
        total += 1
        store = MemoryContextStore()
        if after is not None:
            router.route(after, "oos", store, 0.0)
        d = router.route(text, "oos", store, 1.0)
        if d.kind == "answer" and d.card and router.catalog.cards[d.card].is_content:
            answered.append((text, label, d.card))
    return ScopeReport(total, tuple(answered))
