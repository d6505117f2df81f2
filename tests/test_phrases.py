"""The phrase index finds exactly what searching the text once per phrase finds.

`reference_scan` is what `Router.scan` looked for, written the slow, obvious way (one whole-word substring
search per lexicon phrase, in the lexicon's order). If you change what scan looks for, change it here too.
"""

from __future__ import annotations

import random

from bot.catalog import Catalog
from bot.normalize import _shrink as shrink
from bot.normalize import basic, stem
from bot.phrases import PhraseIndex
from bot.router import MAX_MATCH_CHARS, Router
from tests.test_matcher_equivalence import DEV_SET, REAL_QUESTIONS, case_texts


def contains(padded: str, phrase: str) -> bool:
    return f" {phrase} " in padded


def plain(r: Router, text: str) -> bool:
    """One sentence, one clause, no negation word: where scan's phrase finding is plain substring search."""
    cues = {w for c in r.catalog.understanding.negation for w in r.normalize(c).split()}
    return not any(ch in text for ch in ".!?;,:()\n-") and not cues & set(r.normalize(text).split())


def reference_scan(r: Router, text: str) -> tuple[object, ...]:
    norm = r.normalize(text[:MAX_MATCH_CHARS])
    padded = f" {norm} "
    named = frozenset(c for c in ("lems", "als") if c in set(norm.split()))
    conditions = named or frozenset(c for c, p in r._condition_drugs if contains(padded, p))
    in_scope = any(contains(padded, p) for p in r._in_scope)
    alone = None if in_scope or conditions else next((p for p in r._oos_alone if contains(padded, p)), None)
    return (
        norm,
        conditions,
        bool(named),
        next((c for c, p in r._guards if contains(padded, p)), None),
        next((p for p in r._oos_drugs if contains(padded, p)), None)
        or next((p for p in r._oos_conditions if contains(padded, p)), None)
        or alone,
        in_scope,
    )


def fast_scan(r: Router, text: str) -> tuple[object, ...]:
    s = r.scan(text)
    return (s.full, s.conditions, s.named, s.guard, s.out_of_scope, s.in_scope)


def lexicon_salad(r: Router, count: int, seed: int = 11) -> list[str]:
    """Messages stitched from lexicon phrases and filler: overlapping phrases, exceptions, repeats."""
    rng = random.Random(seed)
    pieces = [
        *r._urgent,
        *r._urgent_except,
        *(p for _, p in r._guards),
        *r._oos_drugs,
        *r._oos_conditions,
        *r._in_scope,
        *(p for _, p in r._condition_drugs),
        "lems",
        "als",
        "prednisone",
        "and",
        "my",
        "not",
        "today",
    ]
    texts = [" ".join(rng.choices(pieces, k=rng.randint(1, 8))) for _ in range(count)]
    # long messages: urgent words past the matched start, within the text checked for urgency
    filler = " ".join(rng.choices(["prednisone", "taper", "week", "doctor", "my"], k=MAX_MATCH_CHARS // 5))
    texts += [f"{filler} {t}" for t in texts[:40]]  # (over MAX_MATCH_CHARS: left out of the comparison)
    return texts


def test_scan_finds_what_one_search_per_phrase_finds(catalog: Catalog) -> None:
    """In a plain one-sentence message, scan finds the lexicon's phrases exactly where substring search does."""
    router = Router(catalog)
    texts = case_texts(DEV_SET) + lexicon_salad(router, 600)
    if REAL_QUESTIONS.exists():
        texts += case_texts(REAL_QUESTIONS)
    checked = guards = 0
    for text in texts:
        if not plain(router, text) or len(text) > MAX_MATCH_CHARS:
            continue
        want = reference_scan(router, text)
        assert fast_scan(router, text) == want, text
        checked += 1
        guards += want[3] is not None
    assert checked > 400 and guards > 50  # the salad exercises the phrases


def test_normalising_skips_the_rewrites_only_when_none_can_apply(catalog: Catalog) -> None:
    norm = Router(catalog).normalize

    def slow(text: str) -> str:  # every multi-word variant tried, as before the shortcut
        words = [norm.single.get(w, w) for w in (shrink(w, norm.known) for w in basic(text).split())]
        out = f" {' '.join(norm.single.get(c, c) for c in (norm.correct(w) for w in words))} "
        for variant, canonical in norm.rewrites:
            out = out.replace(f" {variant} ", f" {canonical} ")
        return " ".join(stem(w) for w in out.split())

    texts = case_texts(DEV_SET) + [f"my {v} and {v}" for v, _ in norm.rewrites]
    assert all(norm(t) == slow(t) for t in texts)
    assert sum(norm(t) != " ".join(map(stem, basic(t).split())) for t in texts) > len(norm.rewrites)  # rewritten


def test_index_ranks_and_groups() -> None:
    index = PhraseIndex.build({"a": ("chest pain", "pain"), "b": ("pain", "can not breathe"), "c": ()})
    assert index.first("some chest pain today") == {"a": 0, "b": 0}
    assert index.first("pain") == {"a": 1, "b": 0}
    assert index.first("i can not breathe") == {"b": 1}
    assert index.first("chest") == {}  # part of a phrase is not the phrase
    assert index.first("can not") == {}  # a phrase longer than the text
    assert index.first("") == {}


def test_index_agrees_with_substring_search_on_random_phrases() -> None:
    rng = random.Random(5)
    vocab = ["a", "b", "c", "d", "e"]
    for _ in range(300):
        groups = {
            g: tuple(" ".join(rng.choices(vocab, k=rng.randint(1, 4))) for _ in range(rng.randint(0, 6)))
            for g in ("x", "y")
        }
        text = " ".join(rng.choices(vocab, k=rng.randint(0, 12)))
        want = {}
        for g, phrases in groups.items():
            ranks = [i for i, p in enumerate(phrases) if contains(f" {text} ", p)]
            if ranks:
                want[g] = ranks[0]
        assert PhraseIndex.build(groups).first(text) == want, (groups, text)


def test_places_lists_every_occurrence_with_its_rank() -> None:
    rng = random.Random(7)
    vocab = ["a", "b", "c", "d"]
    for _ in range(300):
        phrases = tuple(dict.fromkeys(" ".join(rng.choices(vocab, k=rng.randint(1, 3))) for _ in range(4)))
        words = rng.choices(vocab, k=rng.randint(0, 10))
        want = sorted(
            ("x", rank, i, len(p.split()))
            for rank, p in enumerate(phrases)
            for i in range(len(words))
            if words[i : i + len(p.split())] == p.split()
        )
        assert sorted(PhraseIndex.build({"x": phrases}).places(words)) == want, (phrases, words)
