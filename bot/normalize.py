"""Turn what people type into a canonical form that matching and phrase search can rely on.

Steps: Unicode NFKC, case folding, accents folded, possessive 's dropped ("Al's" is not "ALS"),
apostrophes dropped ("can't" → "cant"), other punctuation to spaces, plurals folded; then stretched words
("hiii", "plsss") shrunk to a word the catalog knows, spelling and text-speak variants from the lexicon
rewritten ("u" → "you"), and words close to a catalog word (same first letter, small edit distance)
corrected to it, unless it is a common English word of its own ("shopping" is no typo of "stopping").
Condition names become one token each, `lems` or `als`, so "Lou Gehrig's disease" and
"ALS" look alike to the matcher. Last, every word is cut to its Snowball stem ("helping", "helps" → "help";
"weaker" stays apart from "weak" only where English says so), so one example covers a word's forms; the
lexicon's phrases and the examples go through the same steps, so they meet the message in the same form.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources

import Stemmer  # PyStemmer: the Snowball stemmers compiled; ~0.3 us a word
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.catalog import Lexicon

_APOSTROPHES = re.compile("['\u2019\u2018`\u00b4\u02bc]")  # apostrophe, right and left quote, grave, acute, modifier
_POSSESSIVE = re.compile("['\u2019\u02bc]s\\b")
_NON_WORD = re.compile(r"[^\w]+|_")
# French and Italian elision before a vowel: "d'un coup", "l'œil", "s'est", "all'improvviso" are two words each,
# written apart in the lexicon ("can't" and "I'm" stay one word: no such prefix starts them)
_ELISION = re.compile(
    "\\b(l|d|m|n|s|j|t|c|qu|lorsqu|jusqu|puisqu|all|dell|nell|dall|sull|un|quest|quell)['\u2019\u02bc](?=[aeiouhy\u0153\u00e6])"
)
_LIGATURES = str.maketrans({"\u0153": "oe", "\u00e6": "ae"})  # "œil", "sœur" as typed without the ligature
TYPO_MIN_LEN = 4
TYPO_CUTOFF = 84.0  # towards drug and condition names
WORD_TYPO_MIN_LEN = 6  # towards any other catalog word: longer words only, and closer
WORD_TYPO_CUTOFF = 88.0
LONG_WORD = 8
EDIT_MIN_LEN = 5  # one slip of the keys is corrected in words this long: "gday" is no "gray"
LONG_WORD_TYPO_CUTOFF = 85.0
_STRETCH = re.compile(r"([^\W\d_])\1{2,}")  # three or more of one letter: "hiii", "plsss", "sooo"; never "999"
SEEN_MAX = 20_000  # normal forms kept: the catalog's phrases and recent messages
EVERYDAY_MIN_COUNT = 500  # an English word this common is what it says, never a typo ("shopping", "spelling")
# tokens the stemmer must not touch: "als" is not a plural of "al"; "several" is no "severe", "handful" no "handed",
# and a "confusing" label is no confused person
KEEP = frozenset({"lems", "als", "several", "handful", "confusing"})
_stemmer = Stemmer.Stemmer("english")


def basic(text: str) -> str:
    """Case, accents, punctuation and white space only: the form lexicon phrases are stored in."""
    if text.isascii():  # most messages: NFKC, casefold and accent folding come down to lower()
        text = text.lower()
    else:
        text = unicodedata.normalize("NFKC", text).casefold()
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
        text = text.translate(_LIGATURES)
    if "'" in text or "\u2019" in text or "\u02bc" in text:
        text = _ELISION.sub(r"\1 ", text)
    text = _APOSTROPHES.sub("", _POSSESSIVE.sub("", text))
    return " ".join(_singular(w) for w in _NON_WORD.sub(" ", text).split())


def _singular(word: str) -> str:
    """A light plural fold ("treatments" → "treatment") so one example covers both forms."""
    if len(word) >= 5 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A word's Snowball stem; condition tokens and numbers stay as they are."""
    if word in KEEP or not word.isalpha():
        return word
    return str(_stemmer.stemWord(word))


def fold(text: str) -> str:
    """`basic` and stems, without the lexicon's rewrites: the form stop words are compared in."""
    return " ".join(stem(w) for w in basic(text).split())


def _shrink(word: str, known: frozenset[str]) -> str:
    """ "hiii" → "hi", "plsss" → "pls", "sooo" → "so": a stretched word shrunk to one the catalog knows."""
    if not _STRETCH.search(word):
        return word
    two = _STRETCH.sub(r"\1\1", word)
    one = _STRETCH.sub(r"\1", word)
    for candidate in (two, one):
        if candidate in known:
            return candidate
    return one


@dataclass(frozen=True)
class Normalizer:
    """Built once per catalog; `__call__` is the per-message path."""

    rewrites: tuple[tuple[str, str], ...]  # (variant phrase, canonical), longest first
    rewrite_starts: frozenset[str]  # their first words: a message with none of them skips the rewrites
    single: dict[str, str]  # one-word variants → canonical
    vocabulary: dict[str, tuple[str, ...]]  # first letter → drug and condition words, typo targets
    words: dict[str, tuple[str, ...]]  # first letter → other catalog words, typo targets for longer words
    # first letter → every catalog word of five letters or more: targets of one slip of the keys ("sleap", "thnak")
    edits: dict[str, tuple[str, ...]]
    known: frozenset[str]
    seen: dict[str, str] = field(default_factory=dict, compare=False, repr=False)  # text → its normal form

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
            *lex.out_of_scope_services,
        ]
        targets = {w for p in phrases for w in basic(p).split() if len(w) >= TYPO_MIN_LEN}
        split = [set(basic(p).split()) for p in extra_words]  # each phrase's words, read once
        example_words = set().union(*split)
        known = frozenset(targets | example_words | set(single) | set(pairs.values()))
        by_letter: dict[str, list[str]] = {}
        for w in sorted(targets):
            by_letter.setdefault(w[0], []).append(w)
        # Other catalog words are typo targets too ("efects", "treatmant"), but only long ones: a short
        # everyday word is too often one letter from a catalog word ("cooking" → "choking").
        by_letter_words: dict[str, list[str]] = {}
        for w in sorted(example_words - targets):
            if len(w) >= WORD_TYPO_MIN_LEN and w.isalpha():
                by_letter_words.setdefault(w[0], []).append(w)
        uses = Counter(w for ws in split for w in ws)
        by_letter_edits: dict[str, list[str]] = {}
        # the words the catalog uses most come first: of two words one slip away, the likelier meant
        for w in sorted(example_words | targets, key=lambda w: (-uses[w], w)):
            if len(w) >= EDIT_MIN_LEN and w.isalpha():
                by_letter_edits.setdefault(w[0], []).append(w)
        return cls(
            rewrites=multi,
            rewrite_starts=frozenset(v.split(" ", 1)[0] for v, _ in multi),
            single=single,
            known=known,
            vocabulary={k: tuple(v) for k, v in by_letter.items()},
            words={k: tuple(v) for k, v in by_letter_words.items()},
            edits={k: tuple(v) for k, v in by_letter_edits.items()},
        )

    def correct(self, word: str) -> str:
        """A catalog word this one is a likely typo of, else the word itself."""
        if word in self.known or len(word) < TYPO_MIN_LEN or not word.isalpha():
            return word
        if word.endswith("in") and word + "g" in self.known:
            return word + "g"  # a dropped g: "startin", "gettin"
        fixed = _closest(word, self.vocabulary.get(word[0], ()), TYPO_CUTOFF)
        if fixed == word and len(word) >= WORD_TYPO_MIN_LEN:
            # one wrong letter in eight ("pregnent", "evidense") scores 87.5; shorter words need to be closer
            cutoff = LONG_WORD_TYPO_CUTOFF if len(word) >= LONG_WORD else WORD_TYPO_CUTOFF
            fixed = _closest(word, self.words.get(word[0], ()), cutoff)
        if fixed == word and len(word) >= EDIT_MIN_LEN:
            # one slip of the keys (a letter wrong, missing, extra, or two swapped: "sied", "sleap", "thnak"),
            # two in a long word ("catarax"); of several such words, the one English uses most
            fixed = _nearest(word, self.edits.get(word[0], ()), 2 if len(word) >= LONG_WORD else 1)
        # asked last, so the word list is read only when a correction is in view
        return word if fixed != word and word in everyday_words() else fixed

    def _fixed(self, word: str) -> str:
        """`correct`, and for a word the plural fold cut short ("diseas" → "disea"), `correct` of it whole."""
        fixed = self.correct(word)
        if fixed != word or word in self.known or len(word) < TYPO_MIN_LEN or not word.isalpha():
            return fixed
        whole = self.correct(word + "s")
        return whole if whole != word + "s" and whole.startswith(word) else word  # "disea" → "disease"

    def __call__(self, text: str) -> str:
        # the catalog's own phrases are read many times while it loads and is checked: each once is enough
        done = self.seen.get(text)
        if done is None:
            if len(self.seen) >= SEEN_MAX:
                self.seen.clear()
            done = self.seen[text] = " ".join(stem(w) for w in self.words_of(text))
        return done

    def words_of(self, text: str) -> list[str]:
        """The message's words after every step but stemming."""
        known = self.known
        words = [self.single.get(w, w) for w in (_shrink(w, known) for w in basic(text).split())]
        words = [self.single.get(c, c) for c in (self._fixed(w) for w in words)]
        # a word rewritten to two ("rn" -> "right now") is two words: phrase search reads word by word
        words = [part for w in words for part in w.split()] if any(" " in w for w in words) else words
        if self.rewrite_starts.isdisjoint(words):
            return words
        out = f" {' '.join(words)} "
        for variant, canonical in self.rewrites:
            if f" {variant} " in out:
                out = out.replace(f" {variant} ", f" {canonical} ")
        return out.split()


@cache
def everyday_words() -> frozenset[str]:
    """Common English words, which are never corrected (see `word_counts`)."""
    common = [w for w, n in word_counts().items() if n >= EVERYDAY_MIN_COUNT]
    return frozenset([*common, *(w.replace("'", "") for w in common if "'" in w)])  # "who've" read as "whove"


@cache
def word_counts() -> dict[str, int]:
    """How often English uses each word. A common word is never corrected: one letter from a catalog word is no
    typo of it ("shopping" is no "stopping", "spelling" no "swelling", "paint" no "pain"). Rare forms stay
    correctable ("eton" for "Eaton", "accidently"). From pyspellchecker's English word
    frequency list (shipped in the package, no download); read once, at the first word that needs it. The
    list's file is read directly (0.08 s, a third less than building a SpellChecker: `check` pays it)."""
    packed = resources.files("spellchecker") / "resources" / "en.json.gz"
    if packed.is_file():
        counts: dict[str, int] = json.loads(gzip.decompress(packed.read_bytes()))
    else:  # a release that stores it elsewhere
        from spellchecker import SpellChecker

        counts = dict(SpellChecker(language="en", distance=1).word_frequency.dictionary)
    return counts


@lru_cache(maxsize=8192)
def _nearest(word: str, candidates: tuple[str, ...], edits: int) -> str:
    """The first of the fewest edits away: `candidates` come most used first."""
    found = process.extract(word, candidates, scorer=OSA.distance, score_cutoff=edits, limit=None)
    return str(min(found, key=lambda f: (f[1], f[2]))[0]) if found else word


@lru_cache(maxsize=8192)
def _closest(word: str, candidates: tuple[str, ...], cutoff: float) -> str:
    hit = process.extractOne(word, candidates, scorer=fuzz.ratio, score_cutoff=cutoff)
    return str(hit[0]) if hit else word
