"""Score a normalised message against every intent example.

The index is built once per catalog. Each example is reduced to its content words (stop words and
condition names removed, since the router handles conditions itself). A message is scored against the
examples that share at least one content word with it (an inverted index narrows the candidates), by
weighted word overlap: rare words weigh more than common ones (IDF), and the score blends how much of
the example the message covers with how much of the message the example explains (geometrically, so
a one-word example does not win every long message that contains its word). rapidfuzz supplies
the typo tolerance (see `normalize`) and a whole-string ratio, so a near-verbatim example still wins.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

EXAMPLE_EXPONENT = 0.75  # how much covering the example's words counts ...
MESSAGE_EXPONENT = 0.25  # ... against explaining the message's words (a geometric blend: both must be high)
UNKNOWN_WORD_IDF_SHARE = 1.0  # a word no example uses weighs as much as the rarest known word
CONDITION_WEIGHT_SHARE = 0.5  # an example naming a condition, matched by a message that names none, loses this
TOP_K = 5


@dataclass(frozen=True)
class Candidate:
    intent: str
    card: str
    example: str
    score: float


@dataclass(frozen=True)
class Match:
    """Best candidates, best first, one per card; empty when nothing shares a word with the message."""

    candidates: tuple[Candidate, ...]

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


NO_MATCH = Match(())


@dataclass(frozen=True)
class _Example:
    intent: str
    card: str
    text: str
    words: frozenset[str]
    weight: float
    has_condition: bool


class Matcher:
    """The per-catalog index; `match` is the per-message path and does no I/O."""

    def __init__(
        self, examples: Iterable[tuple[str, str, str]], ignore: frozenset[str], conditions: frozenset[str]
    ) -> None:
        """`examples`: (intent id, card id, normalised example text); `ignore`: words that carry no topic;
        `conditions`: the condition tokens, which match each other (the router swaps cards by condition)."""
        self.ignore = ignore | conditions
        self.conditions = conditions
        rows = [(i, c, t, self.content(t)) for i, c, t in examples]
        df: dict[str, int] = {}
        for *_, words in rows:
            for w in words:
                df[w] = df.get(w, 0) + 1
        n = max(len(rows), 1)
        self.idf = {w: math.log(1 + n / k) for w, k in df.items()}
        self.unknown_idf = UNKNOWN_WORD_IDF_SHARE * max(self.idf.values(), default=1.0)
        self.condition_weight = CONDITION_WEIGHT_SHARE * self.unknown_idf
        self.examples = tuple(
            _Example(i, c, t, words, sum(self.idf[w] for w in words) + self._slot(t), self._slot(t) > 0)
            for i, c, t, words in rows
            if words
        )
        self.postings: dict[str, list[int]] = {}
        for idx, ex in enumerate(self.examples):
            for w in ex.words:
                self.postings.setdefault(w, []).append(idx)

    def content(self, text: str) -> frozenset[str]:
        return frozenset(w for w in text.split() if w not in self.ignore)

    def _slot(self, text: str) -> float:
        """The weight of the condition slot: any condition named fills it, whichever one."""
        return self.condition_weight if any(w in self.conditions for w in text.split()) else 0.0

    def match(self, text: str, condition: bool = False) -> Match:
        """`condition`: a condition is known for this message (named in it, or from the chat's context)."""
        words = self.content(text)
        if not words:
            return NO_MATCH
        shared: dict[int, float] = {}
        for w in words:
            weight = self.idf.get(w)
            if weight is None:
                continue
            for idx in self.postings[w]:
                shared[idx] = shared.get(idx, 0.0) + weight
        if not shared:
            return NO_MATCH
        slot = self.condition_weight if condition else 0.0
        q_weight = sum(self.idf.get(w, self.unknown_idf) for w in words) + slot
        best: dict[str, Candidate] = {}
        for idx, overlap in shared.items():
            ex = self.examples[idx]
            if slot and ex.has_condition:
                overlap += slot
            score = 100.0 * (overlap / ex.weight) ** EXAMPLE_EXPONENT * (overlap / q_weight) ** MESSAGE_EXPONENT
            if score >= 70.0:
                score = max(score, fuzz.ratio(text, ex.text))
            prev = best.get(ex.card)
            if prev is None or score > prev.score:
                best[ex.card] = Candidate(ex.intent, ex.card, ex.text, round(score, 1))
        ranked = sorted(best.values(), key=lambda c: (-c.score, c.card))
        return Match(tuple(ranked[:TOP_K]))
