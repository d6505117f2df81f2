"""Score a normalised message against every intent example.

The index is built once per catalog. Each example is reduced to its content words (stop words and
condition names removed, since the router handles conditions itself). A message is scored against the
examples that share at least one content word with it (an inverted index narrows the candidates), by
weighted word overlap: rare words weigh more than common ones (IDF), and the score blends how much of
the example the message covers with how much of the message the example explains (geometrically, so
a one-word example does not win every long message that contains its word). rapidfuzz supplies
the typo tolerance (see `normalize`) and a whole-string ratio, so a near-verbatim example still wins.

Speed (see docs/benchmarks.md): a common word ("prednisone") is in a third of all examples, so a loop
over its postings grows with the catalog. Two ways of doing the same sums, chosen by catalog size:
* up to `VECTORIZE_FROM` examples, plain Python, skipping most of the common word's examples: among a
  card's examples that share *only* that word with the message, a lighter example always scores higher,
  so each card's list (sorted by weight at load time) is walked only until the first score under the
  ratio floor. In a busy bot process this beats numpy, whose ~35 calls a message run with cold caches;
* from `VECTORIZE_FROM` examples on, every candidate is scored at once with numpy arrays built at load
  time, and only the few scores that decide the answer (each card's best example, anything near the ratio
  floor) are recomputed one by one in plain Python.
Both give exactly what scoring each example with `score` gives (tests/test_matcher_equivalence.py checks
both), and sums run over words in sorted order, so the same message scores the same in every process.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

EXAMPLE_EXPONENT = 0.75  # how much covering the example's words counts ...
MESSAGE_EXPONENT = 0.25  # ... against explaining the message's words (a geometric blend: both must be high)
UNKNOWN_WORD_IDF_SHARE = 1.0  # a word no example uses weighs as much as the rarest known word
CONDITION_WEIGHT_SHARE = 0.5  # an example naming a condition, matched by a message that names none, loses this
PURITY_FLOOR = 0.2  # the weight share a word keeps however evenly it is spread over topics
TOP_K = 5
RATIO_FLOOR = 70.0  # from this blended score on, the whole-string ratio may raise an example's score
_ONE_POWER = EXAMPLE_EXPONENT + MESSAGE_EXPONENT == 1.0
_SLACK = 1e-6  # array scores are within ~1e-13 of exact ones; whatever is this close to a decision is redone
VECTORIZE_FROM = 2000  # examples: numpy from here on (about 3x the shipped catalog), plain Python below
COMMON_POSTINGS = 32  # a word in at least this many examples gets the sorted walk instead of a full loop

Floats = npt.NDArray[np.float64]


@overload
def score(overlap: float, example_weight: float, message_weight: float) -> float: ...
@overload
def score(overlap: Floats, example_weight: Floats, message_weight: float) -> Floats: ...
def score(overlap: Any, example_weight: Any, message_weight: float) -> Any:
    """The blend of covering the example and explaining the message; for one example or an array of them."""
    return 100.0 * (overlap / example_weight) ** EXAMPLE_EXPONENT * (overlap / message_weight) ** MESSAGE_EXPONENT


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
    slots: int  # how many conditions the example names (0, 1 or 2)


class Matcher:
    """The per-catalog index; `match` is the per-message path and does no I/O."""

    def __init__(
        self,
        examples: Iterable[tuple[str, str, str]],
        ignore: frozenset[str],
        conditions: frozenset[str],
        *,
        topic_of: Mapping[str, str] | None = None,
        vectorize_from: int = VECTORIZE_FROM,
    ) -> None:
        """`examples`: (intent id, card id, normalised example text); `ignore`: words that carry no topic;
        `conditions`: the condition tokens, which match each other (the router swaps cards by condition)."""
        self.ignore = ignore | conditions
        self.conditions = conditions
        self._build([(i, c, t, self.content(t), self.slots(t)) for i, c, t in examples], topic_of, vectorize_from)

    def without(self, drop: Iterable[int]) -> Matcher:
        """The same index built without the rows at positions `drop` (of the examples given, in order): the
        reference `left_out` is held to (the other rows' words and condition slots are reused, not read again)."""
        gone = set(drop)
        other = Matcher.__new__(Matcher)
        other.ignore, other.conditions = self.ignore, self.conditions
        rows = [r for n, r in enumerate(self._rows) if n not in gone]
        other._build(rows, self.topic_of, self._vectorize_from)
        return other

    def left_out(self, drop: Iterable[int]) -> LeftOut:
        """What `without(drop)` gives, for `match` only, without building an index: `check` asks each of
        a hundred or more examples how the catalog reads it without that example, and a rebuild each time
        was most of `check`'s time. tests/test_matcher_equivalence.py holds it to `without`."""
        return LeftOut(self, drop)

    def _build(
        self,
        rows: list[tuple[str, str, str, frozenset[str], int]],
        topic_of: Mapping[str, str] | None,
        vectorize_from: int,
    ) -> None:
        self._rows, self._vectorize_from = rows, vectorize_from
        topics = self.topic_of = dict(topic_of or {})
        df: dict[str, int] = {}
        by_topic: dict[str, dict[str, int]] = {}
        for _, c, _, words, _ in rows:
            topic = topics.get(c, c)
            for w in words:
                df[w] = df.get(w, 0) + 1
                counts = by_topic.setdefault(w, {})
                counts[topic] = counts.get(topic, 0) + 1
        self._df, self._by_topic = df, by_topic  # kept for `left_out`
        n = max(len(rows), 1)
        # A word weighs for how rare it is AND how well it tells topics apart: "prednisone" is in every
        # topic's examples and says little; "bone" is only in side effects. A word seen once is no proof of
        # a topic, so purity is smoothed: (examples in its main topic) / (all its examples + 1).
        self.idf = {w: _idf(n, k, max(by_topic[w].values())) for w, k in df.items()}
        self.unknown_idf = UNKNOWN_WORD_IDF_SHARE * max(self.idf.values(), default=1.0)
        self.condition_weight = CONDITION_WEIGHT_SHARE * self.unknown_idf
        self.examples = tuple(
            _Example(i, c, t, words, sum(self.idf[w] for w in sorted(words)) + slots * self.condition_weight, slots)
            for i, c, t, words, slots in rows
            if words
        )
        postings: dict[str, list[int]] = {}
        for idx, ex in enumerate(self.examples):
            for w in ex.words:
                postings.setdefault(w, []).append(idx)
        self.vectorized = len(self.examples) >= vectorize_from
        self._last: tuple[str, int, Match] | None = None
        # The per-message work, moved to load time: only what this catalog's way of matching uses.
        if self.vectorized:
            self._index_arrays(postings)
        else:
            self._index_walks(postings)

    def _index_walks(self, postings: dict[str, list[int]]) -> None:
        """Postings as tuples, and each common word's examples per card and slot count, lightest first
        (ties: the earlier example first)."""
        self._plist = {w: tuple(ix) for w, ix in postings.items()}
        self._walks: dict[str, tuple[tuple[int, ...], ...]] = {}
        for w, ix in postings.items():
            if len(ix) >= COMMON_POSTINGS:
                groups: dict[tuple[str, int], list[int]] = {}
                for idx in ix:
                    groups.setdefault((self.examples[idx].card, self.examples[idx].slots), []).append(idx)
                self._walks[w] = tuple(
                    tuple(sorted(g, key=lambda i: (self.examples[i].weight, i))) for g in groups.values()
                )

    def _index_arrays(self, postings: dict[str, list[int]]) -> None:
        """Postings, cards, weights, slots and texts as numpy arrays over all examples."""
        self.postings = {w: np.array(ix, dtype=np.intp) for w, ix in postings.items()}
        self._cards = tuple(sorted({ex.card for ex in self.examples}))
        card_no = {c: n for n, c in enumerate(self._cards)}
        self._card_of = np.array([card_no[ex.card] for ex in self.examples], dtype=np.intp)
        self._scale = 100.0 * np.array([ex.weight for ex in self.examples], dtype=np.float64) ** -EXAMPLE_EXPONENT
        self._slots = np.array([ex.slots for ex in self.examples], dtype=np.float64)
        self._texts = np.array([ex.text for ex in self.examples], dtype=object)

    def content(self, text: str) -> frozenset[str]:
        return frozenset(w for w in text.split() if w not in self.ignore)

    def slots(self, text: str) -> int:
        """Condition slots: how many conditions a text names. Any condition fills a slot, whichever one,
        so an example comparing both conditions needs a message that names both to match fully."""
        return len({w for w in text.split() if w in self.conditions})

    def match(self, text: str, conditions: int = 0, *, skip: int | None = None) -> Match:
        """`conditions`: how many conditions are known for this message (named in it, or from context).

        `skip`: an example (by position in `examples`) to leave out of the results, with the word weights
        unchanged: `check`'s quick estimate of how the catalog reads a message without that example.

        The router asks the same question up to three times while reading one message (the question part,
        the part left when a denial is taken out, the whole): the last answer is kept, so a repeat is free.
        """
        if skip is not None:
            return self._match(text, conditions, skip)
        last = self._last  # one read: another thread may replace it, never change it
        if last is not None and last[0] == text and last[1] == conditions:
            return last[2]
        found = self._match(text, conditions, None)
        self._last = (text, conditions, found)
        return found

    def _match(self, text: str, conditions: int, skip: int | None) -> Match:
        words = sorted(self.content(text))  # one fixed order for the float sums
        known = [w for w in words if w in self.idf]
        if not known:
            return NO_MATCH
        q_weight = sum(self.idf.get(w, self.unknown_idf) for w in words) + conditions * self.condition_weight
        if not self.vectorized:
            return self._match_plain(text, known, q_weight, conditions, skip)
        # Every example sharing a word: overlaps summed in `known` order, so each is bit for bit the sum
        # that a loop over that example's shared words would give.
        shared = np.zeros(len(self.examples))
        for w in known:
            shared[self.postings[w]] += self.idf[w]
        if skip is not None:
            shared[skip] = 0.0
        cand = np.flatnonzero(shared != 0.0)  # (nonzero on a boolean array is several times faster)
        overlap = shared[cand]
        if conditions:
            overlap = overlap + np.minimum(self._slots[cand], conditions) * self.condition_weight
        # `score` rearranged: overlap**(a+b) * (100 * weight**-a) * q**-b, the example's factor computed at
        # load time (a+b is 1, so no power at all per candidate); approximate, numpy's pow is not libm's
        lifted = overlap if _ONE_POWER else overlap ** (EXAMPLE_EXPONENT + MESSAGE_EXPONENT)
        blended = lifted * self._scale[cand] * q_weight**-MESSAGE_EXPONENT
        final = blended
        hi = np.flatnonzero(blended >= RATIO_FLOOR - _SLACK)
        if hi.size:
            texts = self._texts[cand[hi]].tolist()
            ratios = process.cdist([text], texts, scorer=fuzz.ratio, dtype=np.float64)[0]
            final = blended.copy()
            final[hi] = np.maximum(blended[hi], ratios)
            for j in hi[blended[hi] < RATIO_FLOOR + _SLACK].tolist():  # at the floor: is it over, exactly?
                if self._exact(text, int(cand[j]), float(overlap[j]), q_weight, ratio=False) < RATIO_FLOOR:
                    final[j] = blended[j]
        cards = self._card_of[cand]
        best = np.full(len(self._cards), -np.inf)
        np.maximum.at(best, cards, final)
        # Cards more than 0.2 below the fifth best cannot reach the top five, even after rounding.
        floor = np.partition(best, -TOP_K)[-TOP_K] - 0.2 if len(self._cards) > TOP_K else -np.inf
        near = np.flatnonzero((final >= best[cards] - _SLACK) & (best[cards] >= floor))
        winners: dict[int, tuple[float, int]] = {}
        for j in near.tolist():
            idx = int(cand[j])
            exact = self._exact(text, idx, float(overlap[j]), q_weight)
            card = int(cards[j])
            prev = winners.get(card)
            if prev is None or exact > prev[0]:  # ascending indices: a tie keeps the earlier example
                winners[card] = (exact, idx)
        return self._top(winners.values())

    def _match_plain(
        self, text: str, known: list[str], q_weight: float, conditions: int, skip: int | None = None
    ) -> Match:
        """`match` in plain Python, walking each common word's examples only as far as they can win."""
        # Common words ("prednison", "steroid", "how") are walked, each as far as its examples can win; an example
        # with a rarer word, or with two common ones, is scored directly.
        commons = [w for w in known if w in self._walks]
        direct: set[int] = set()
        for w in known:
            if w not in self._walks:
                direct.update(self._plist[w])
        if len(commons) > 1:
            seen: set[int] = set()
            for w in commons:
                direct.update(seen.intersection(self._plist[w]))
                seen.update(self._plist[w])
        idf, examples, slot_weight = self.idf, self.examples, self.condition_weight
        winners: dict[str, tuple[float, int]] = {}

        def consider(idx: int, overlap: float) -> float:
            """Score one example, keep it if it is its card's best; the blended score (before the ratio)."""
            ex = examples[idx]
            if conditions and ex.slots:
                overlap += min(conditions, ex.slots) * slot_weight
            # `score`, written out: this line runs for every candidate
            blended: float = (
                100.0 * (overlap / ex.weight) ** EXAMPLE_EXPONENT * (overlap / q_weight) ** MESSAGE_EXPONENT
            )
            final = max(blended, fuzz.ratio(text, ex.text)) if blended >= RATIO_FLOOR else blended
            prev = winners.get(ex.card)
            if prev is None or final > prev[0] or (final == prev[0] and idx < prev[1]):
                winners[ex.card] = (final, idx)
            return blended

        direct.discard(-1 if skip is None else skip)
        for idx in direct:  # examples sharing a rarer word: every shared word, summed in sorted order
            words = examples[idx].words
            overlap = 0.0
            for w in known:
                if w in words:
                    overlap += idf[w]
            consider(idx, overlap)
        for common in commons:
            # Examples sharing only this common word, per card and slot count, lightest first: each scores
            # at most what the one before it scored, so after the first under the ratio floor (where the
            # whole-string ratio could no longer lift a heavier one) none can be its card's best.
            only = 0.0 + idf[common]  # the overlap of an example sharing only this word, as the loop sums it
            for walk in self._walks[common]:
                for idx in walk:
                    if idx == skip:
                        continue
                    if idx not in direct and consider(idx, only) < RATIO_FLOOR:
                        break
        return self._top(winners.values())

    def _top(self, winners: Iterable[tuple[float, int]]) -> Match:
        """Each card's (score, example index), best first (on a tie, by card id); Candidates for the top only."""
        ranked = sorted((round(sc, 1), self.examples[i].card, i) for sc, i in winners)
        ranked.sort(key=lambda r: -r[0])  # stable: equal scores stay in card order
        return Match(
            tuple(Candidate(self.examples[i].intent, c, self.examples[i].text, sc) for sc, c, i in ranked[:TOP_K])
        )

    def _exact(self, text: str, idx: int, overlap: float, q_weight: float, *, ratio: bool = True) -> float:
        """One example's score, computed exactly as the formula says."""
        ex = self.examples[idx]
        blended = score(overlap, ex.weight, q_weight)
        if ratio and blended >= RATIO_FLOOR:
            blended = max(blended, fuzz.ratio(text, ex.text))
        return blended


def _idf(n: int, k: int, in_main_topic: int) -> float:
    """A word's weight: rarity (`k` of `n` examples) times purity (`in_main_topic` of them in one topic)."""
    return math.log(1 + n / k) * (PURITY_FLOOR + (1 - PURITY_FLOOR) * in_main_topic / (k + 1))


class LeftOut:
    """A matcher less some rows, scored the slow, exact way: every example that shares a word, its weight
    summed again from the changed word weights (one row fewer changes every word's rarity)."""

    def __init__(self, base: Matcher, drop: Iterable[int]) -> None:
        self.base = base
        gone = set(drop)
        rows = base._rows
        df = dict(base._df)
        main = {w: max(t.values()) for w, t in base._by_topic.items()}
        touched = {w for n in gone for w in rows[n][3]}
        per_topic = {w: dict(base._by_topic[w]) for w in touched}
        for n in gone:
            _, c, _, words, _ = rows[n]
            topic = base.topic_of.get(c, c)
            for w in words:
                df[w] -= 1
                per_topic[w][topic] -= 1
        for w in touched:
            if df[w]:
                main[w] = max(per_topic[w].values())
            else:
                del df[w], main[w]
        n_rows = max(len(rows) - len(gone), 1)
        self.idf = {w: _idf(n_rows, k, main[w]) for w, k in df.items()}
        self.unknown_idf = UNKNOWN_WORD_IDF_SHARE * max(self.idf.values(), default=1.0)
        self.condition_weight = CONDITION_WEIGHT_SHARE * self.unknown_idf
        # the dropped rows' examples, by position in base.examples (a row without content words has none)
        with_words = [n for n, r in enumerate(rows) if r[3]]
        self._gone = frozenset(i for i, n in enumerate(with_words) if n in gone)

    def match(self, text: str, conditions: int = 0) -> Match:
        base, idf = self.base, self.idf
        words = sorted(base.content(text))
        known = [w for w in words if w in idf]
        if not known:
            return NO_MATCH
        q_weight = sum(idf.get(w, self.unknown_idf) for w in words) + conditions * self.condition_weight
        shared: set[int] = set()
        for w in known:
            shared.update(base.postings[w].tolist() if base.vectorized else base._plist[w])
        cand = sorted(shared - self._gone)
        winners: dict[str, tuple[float, int]] = {}
        for idx in cand:
            ex = base.examples[idx]
            weight = sum(idf[w] for w in sorted(ex.words)) + ex.slots * self.condition_weight
            overlap = 0.0
            for w in known:
                if w in ex.words:
                    overlap += idf[w]
            if conditions and ex.slots:
                overlap += min(conditions, ex.slots) * self.condition_weight
            final = score(overlap, weight, q_weight)
            if final >= RATIO_FLOOR:
                final = max(final, fuzz.ratio(text, ex.text))
            prev = winners.get(ex.card)
            if prev is None or final > prev[0]:  # ascending positions: a tie keeps the earlier example
                winners[ex.card] = (final, idx)
        return base._top(winners.values())
