"""Turn what people type into a canonical form that matching and phrase search can rely on.

Steps: Unicode NFKC, case folding, accents folded, possessive 's dropped ("Al's" is not "ALS"),
apostrophes dropped ("can't" → "cant"), other punctuation to spaces, plurals folded; then spelling variants from the
lexicon are rewritten, and words close to a drug or condition name (same first letter, small edit
distance) are corrected to it. Condition names become one token each, `lems` or `als`, so
"Lou Gehrig's disease" and "ALS" look alike to the matcher.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.catalog import Lexicon

_APOSTROPHES = re.compile("['\u2019\u2018`\u00b4\u02bc]")  # apostrophe, right and left quote, grave, acute, modifier
_POSSESSIVE = re.compile("['\u2019\u02bc]s\\b")
_NON_WORD = re.compile(r"[^\w]+|_")
TYPO_MIN_LEN = 4
TYPO_CUTOFF = 84.0


def basic(text: str) -> str:
    """Case, accents, punctuation and white space only: the form lexicon phrases are stored in."""
    if text.isascii():  # most messages: NFKC, casefold and accent folding come down to lower()
        text = text.lower()
    else:
        text = unicodedata.normalize("NFKC", text).casefold()
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = _APOSTROPHES.sub("", _POSSESSIVE.sub("", text))
    return " ".join(_singular(w) for w in _NON_WORD.sub(" ", text).split())


def _singular(word: str) -> str:
    """A light plural fold ("treatments" → "treatment") so one example covers both forms."""
    if len(word) >= 5 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@dataclass(frozen=True)
class Normalizer:
    """Built once per catalog; `__call__` is the per-message path."""

    rewrites: tuple[tuple[str, str], ...]  # (variant phrase, canonical), longest first
    rewrite_starts: frozenset[str]  # their first words: a message with none of them skips the rewrites
    single: dict[str, str]  # one-word variants → canonical
    vocabulary: dict[str, tuple[str, ...]]  # first letter → words eligible as typo targets
    known: frozenset[str]

    @classmethod
    def from_lexicon(cls, lex: Lexicon, extra_words: Iterable[str] = ()) -> Normalizer:
        pairs: dict[str, str] = {}
        for canonical, variants in lex.spelling.items():
            for v in variants:
                pairs[basic(v)] = basic(canonical)
        for condition, names in lex.conditions.items():
            for name in names:
                pairs[basic(name)] = condition
        pairs = {k: v for k, v in pairs.items() if k and k != v}
        single = {k: v for k, v in pairs.items() if " " not in k}
        multi = tuple(sorted(((k, v) for k, v in pairs.items() if " " in k), key=lambda kv: -len(kv[0])))
        # Typos are corrected only towards drug and condition names: correcting towards everyday words
        # ("cooking" → "choking", "talking" → "taking") does more harm than good.
        phrases = [
            *lex.spelling,
            *(n for ns in lex.conditions.values() for n in ns),
            *lex.in_scope,
            *lex.out_of_scope_drugs,
            *lex.out_of_scope_conditions,
        ]
        targets = {w for p in phrases for w in basic(p).split() if len(w) >= TYPO_MIN_LEN}
        known = frozenset(targets | {w for p in extra_words for w in basic(p).split()} | set(single))
        by_letter: dict[str, list[str]] = {}
        for w in sorted(targets):
            by_letter.setdefault(w[0], []).append(w)
        return cls(
            rewrites=multi,
            rewrite_starts=frozenset(v.split(" ", 1)[0] for v, _ in multi),
            single=single,
            known=known,
            vocabulary={k: tuple(v) for k, v in by_letter.items()},
        )

    def correct(self, word: str) -> str:
        """A lexicon word this one is a likely typo of, else the word itself."""
        if word in self.known or len(word) < TYPO_MIN_LEN or word.isdigit():
            return word
        return _closest(word, self.vocabulary.get(word[0], ()))

    def __call__(self, text: str) -> str:
        words = [self.single.get(w, w) for w in basic(text).split()]
        words = [self.single.get(c, c) for c in (self.correct(w) for w in words)]
        joined = " ".join(words)
        if self.rewrite_starts.isdisjoint(joined.split()):
            return joined
        out = f" {joined} "
        for variant, canonical in self.rewrites:
            if f" {variant} " in out:
                out = out.replace(f" {variant} ", f" {canonical} ")
        return " ".join(out.split())


@lru_cache(maxsize=8192)
def _closest(word: str, candidates: tuple[str, ...]) -> str:
    hit = process.extractOne(word, candidates, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF)
    return str(hit[0]) if hit else word
