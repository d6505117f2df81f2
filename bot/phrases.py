"""Whole-word phrase lookup: which lexicon phrases a normalised message contains, in one pass over its words.

The router asks this of ~460 phrases (urgent, guards, scope, drugs) for every message. Searching the text
once per phrase cost more than the fuzzy matching itself; here the message's word n-grams are looked up in
one dictionary, so the cost follows the message's length, not the lexicon's size.

A phrase is found when its words appear consecutively in the text, as `f" {phrase} " in f" {text} "`
would find it; `tests/test_phrases.py` holds the index to that definition.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PhraseIndex:
    """Named groups of phrases, each in order of preference (rank 0 first)."""

    ranks: Mapping[str, tuple[tuple[str, int], ...]]  # phrase -> (group, rank) for every place it is listed
    starts: frozenset[str]  # first words of phrases of two words or more
    longest: int  # words in the longest phrase

    @classmethod
    def build(cls, groups: Mapping[str, Sequence[str]]) -> PhraseIndex:
        ranks: dict[str, list[tuple[str, int]]] = {}
        for group, phrases in groups.items():
            for rank, phrase in enumerate(phrases):
                if phrase:
                    ranks.setdefault(" ".join(phrase.split()), []).append((group, rank))
        return cls(
            ranks={p: tuple(places) for p, places in ranks.items()},
            starts=frozenset(p.split(" ", 1)[0] for p in ranks if " " in p),
            longest=max((p.count(" ") + 1 for p in ranks), default=0),
        )

    def first(self, text: str) -> dict[str, int]:
        """Each group that has a phrase in `text`, with the best (lowest) rank among those found."""
        words = text.split()
        found: dict[str, int] = {}
        ranks, starts, count = self.ranks, self.starts, len(words)
        for i, word in enumerate(words):
            grams = [word]
            if word in starts:
                grams += (" ".join(words[i:end]) for end in range(i + 2, min(i + self.longest, count) + 1))
            for gram in grams:
                for group, rank in ranks.get(gram, ()):
                    if rank < found.get(group, rank + 1):
                        found[group] = rank
        return found

    def places(self, words: list[str]) -> list[tuple[str, int, int, int]]:
        """Every (group, rank, first word, word count) found in `words`, in the order of the words."""
        out: list[tuple[str, int, int, int]] = []
        ranks, starts, count = self.ranks, self.starts, len(words)
        for i, word in enumerate(words):
            grams = [(word, 1)]
            if word in starts:
                grams += ((" ".join(words[i:end]), end - i) for end in range(i + 2, min(i + self.longest, count) + 1))
            for gram, n in grams:
                for group, rank in ranks.get(gram, ()):
                    out.append((group, rank, i, n))
        return out
