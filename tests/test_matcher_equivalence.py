"""The fast matcher returns exactly what scoring every example, one by one, returns.

`reference` below is the matcher's definition written the slow, obvious way: every example in catalog
order, its shared words summed in sorted order, the formula, the ratio from the floor up, the best example
per card (the earlier one on a tie), rounded, top five. `Matcher.match` must agree with it on every
candidate's intent, card, example and score. If you change the formula in bot/matcher.py, change it here
too: this file is the specification the optimisation is held to.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml
from rapidfuzz import fuzz

from bench.synth import write_catalog
from bot.catalog import Catalog, load
from bot.matcher import (
    EXAMPLE_EXPONENT,
    MESSAGE_EXPONENT,
    NO_MATCH,
    RATIO_FLOOR,
    TOP_K,
    Candidate,
    Match,
    Matcher,
    _Example,
)
from bot.normalize import basic
from bot.router import Router
from tests.conftest import ROOT, SHARED

DEV_SET = ROOT / "tests" / "data" / "eval.yaml"
REAL_QUESTIONS = SHARED / "eval" / "real-questions.yaml"


def reference(m: Matcher, text: str, conditions: int = 0) -> Match:
    words = sorted(m.content(text))
    q_weight = sum(m.idf.get(w, m.unknown_idf) for w in words) + conditions * m.condition_weight
    best: dict[str, tuple[float, _Example]] = {}
    for ex in m.examples:
        shared = [w for w in words if w in ex.words]
        if not shared:
            continue
        overlap = 0.0
        for w in shared:
            overlap += m.idf[w]
        if conditions and ex.slots:
            overlap += min(conditions, ex.slots) * m.condition_weight
        score = 100.0 * (overlap / ex.weight) ** EXAMPLE_EXPONENT * (overlap / q_weight) ** MESSAGE_EXPONENT
        if score >= RATIO_FLOOR:
            score = max(score, fuzz.ratio(text, ex.text))
        if ex.card not in best or score > best[ex.card][0]:
            best[ex.card] = (score, ex)
    if not best:
        return NO_MATCH
    ranked = sorted(
        (Candidate(ex.intent, ex.card, ex.text, round(score, 1)) for score, ex in best.values()),
        key=lambda c: (-c.score, c.card),
    )
    return Match(tuple(ranked[:TOP_K]))


def case_texts(path: Path) -> list[str]:
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    return [t for c in cases for t in (*(c.get("after") or ()), c["text"])]


def word_salad(catalog: Catalog, count: int, seed: int = 7) -> list[str]:
    """Messages made of catalog words: many candidates, many near-ties, long and short."""
    rng = random.Random(seed)
    words = sorted({w for i in catalog.intents for e in i.examples for w in basic(e).split()})
    return [" ".join(rng.choices(words, k=rng.randint(1, 14))) for _ in range(count)]


PATHS = {"plain": 10**9, "arrays": 0}  # Matcher(vectorize_from=...): the plain-Python and the numpy way


def assert_same(router: Router, texts: list[str], path: str) -> int:
    catalog, norm = router.catalog, router.normalize
    rows = ((i.id, i.card, norm(e)) for i in catalog.intents for e in i.examples)
    matcher = Matcher(rows, router.matcher.ignore, router.matcher.conditions, vectorize_from=PATHS[path])
    assert matcher.vectorized == (path == "arrays")
    compared = 0
    for raw in texts:
        scan = router.scan(raw)
        for conditions in (0, 1, 2):
            got = matcher.match(scan.text, conditions=conditions)
            want = reference(matcher, scan.text, conditions=conditions)
            assert got == want, f"{raw!r} (conditions={conditions}, {path})"
            compared += bool(want.candidates)
    return compared


@pytest.mark.parametrize("path", PATHS)
def test_same_as_reference_on_the_dev_set(catalog: Catalog, path: str) -> None:
    assert assert_same(Router(catalog), case_texts(DEV_SET), path) > 300


@pytest.mark.skipif(not REAL_QUESTIONS.exists(), reason="shared/eval/real-questions.yaml is not beside the repo")
@pytest.mark.parametrize("path", PATHS)
def test_same_as_reference_on_the_real_questions(catalog: Catalog, path: str) -> None:
    assert assert_same(Router(catalog), case_texts(REAL_QUESTIONS), path) > 100


@pytest.mark.parametrize("path", PATHS)
def test_same_as_reference_on_word_salad(catalog: Catalog, path: str) -> None:
    assert assert_same(Router(catalog), word_salad(catalog, 300), path) > 250


@pytest.mark.parametrize("path", PATHS)
def test_same_as_reference_on_a_larger_synthetic_catalog(tmp_path: Path, path: str) -> None:
    """Three times the examples: common words with hundreds of postings, many ties within a card."""
    result = load(write_catalog(tmp_path, 3))
    assert result.catalog is not None
    router = Router(result.catalog)
    texts = case_texts(DEV_SET)[::4] + word_salad(result.catalog, 60)
    assert assert_same(router, texts, path) > 100


@pytest.mark.parametrize("path", PATHS)
def test_left_out_reads_a_message_as_the_index_rebuilt_without_those_rows(catalog: Catalog, path: str) -> None:
    """`check`'s leave-one-out asks `left_out` instead of rebuilding; it must answer what the rebuild does,
    for each example read without itself (and without a second row, so two rows leave together)."""
    router = Router(catalog)
    rows = [(i.id, i.card, router.normalize(e)) for i in catalog.intents for e in i.examples]
    matcher = Matcher(rows, router.matcher.ignore, router.matcher.conditions, vectorize_from=PATHS[path])
    rng = random.Random(3)
    compared = 0
    for n in rng.sample(range(len(rows)), 60):
        drop = [n, rng.randrange(len(rows))]
        for conditions in (0, 1):
            want = matcher.without(drop).match(rows[n][2], conditions)
            assert matcher.left_out(drop).match(rows[n][2], conditions) == want, (rows[n][2], conditions)
            compared += bool(want.candidates)
    assert compared > 100


def test_no_shared_word_is_no_match(catalog: Catalog) -> None:
    matcher = Router(catalog).matcher
    assert matcher.match("") == NO_MATCH
    assert matcher.match("zzzz qqqq") == NO_MATCH
    assert reference(matcher, "zzzz qqqq") == NO_MATCH


def test_basic_takes_a_shortcut_for_ascii_that_changes_nothing() -> None:
    """`basic` skips NFKC and accent folding for ASCII text: they would have left it as lower() does."""
    import string
    import unicodedata

    from bot import normalize

    def unicode_path(text: str) -> str:
        text = unicodedata.normalize("NFKC", text).casefold()
        return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))

    rng = random.Random(3)
    texts = [
        *case_texts(DEV_SET),
        string.printable,
        *("".join(rng.choices(string.printable, k=40)) for _ in range(300)),
    ]
    for text in texts:
        if text.isascii():
            assert unicode_path(text) == text.lower()
    assert normalize.basic("Lambert-Eaton\u2019s PR\u00c9DNISONE") == normalize.basic("lambert-eaton's prednisone")
