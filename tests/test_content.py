"""The catalog is good enough for patients: plain, faithful to the seeds in our own words, and accurate.

Figures are printed by `python -m bot eval FILE` too; these tests hold the bars.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml
from rapidfuzz import fuzz

from bot import checks, evaluate
from bot.catalog import Catalog
from bot.router import Router
from tests.conftest import ROOT, SHARED

SEEDS = sorted((SHARED / "seeds").glob("*.txt"))
REAL = SHARED / "eval" / "real-questions.yaml"
NEWER_CARDS = ROOT / "tests" / "data" / "real-questions-newer-cards.yaml"
CLINC = SHARED / "data" / "clinc150" / "tuning.json"
DEV = ROOT / "tests" / "data" / "eval.yaml"


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("\u2019", "").replace("'", ""))


def test_every_card_reads_at_grade_8_or_lower(catalog: Catalog) -> None:
    grades = checks.grades(catalog)
    too_hard = {cid: round(g, 1) for cid, g in grades.items() if g > 8.0}
    assert not too_hard
    assert set(grades) == set(catalog.cards)


@pytest.mark.skipif(not SEEDS, reason="the seed articles (../shared/seeds) are not beside this checkout")
def test_no_ten_word_run_of_a_seed_appears_in_the_content() -> None:
    runs = set()
    for seed in SEEDS:
        w = words(seed.read_text(encoding="utf-8"))
        runs |= {" ".join(w[i : i + 10]) for i in range(len(w) - 9)}
    for path in sorted((ROOT / "content").glob("*.yaml")):
        w = words(path.read_text(encoding="utf-8"))
        copied = {" ".join(w[i : i + 10]) for i in range(len(w) - 9)} & runs
        assert not copied, f"{path.name} copies seed text: {sorted(copied)[:3]}"


@pytest.mark.skipif(not REAL.exists(), reason="the real-question set (../shared/eval) is not beside this checkout")
def test_no_intent_example_is_a_copy_of_a_real_question(catalog: Catalog, router: Router) -> None:
    real = [router.normalize(c["text"]) for c in yaml.safe_load(REAL.read_text(encoding="utf-8"))["cases"]]
    for intent in catalog.intents:
        for example in intent.examples:
            norm = router.normalize(example)
            near = [q for q in real if fuzz.ratio(norm, q) >= 90]
            assert not near, f"intent {intent.id!r} example {example!r} copies a real question: {near[0]!r}"


@pytest.fixture(scope="module")
def router(catalog: Catalog) -> Router:
    return Router(catalog)


def test_development_set(router: Router) -> None:
    report = evaluate.run(router, evaluate.parse_cases(yaml.safe_load(DEV.read_text(encoding="utf-8"))))
    assert report.total >= 300
    assert report.share >= 0.96, f"{report.share:.1%}: {[(o.case.text, o.got) for o in report.misses]}"
    assert report.urgent_caught == len(report.urgent_cases) > 0
    assert report.wrong_condition == ()


@pytest.mark.skipif(not REAL.exists(), reason="the real-question set (../shared/eval) is not beside this checkout")
def test_real_questions(router: Router) -> None:
    cases = evaluate.parse_cases(yaml.safe_load(REAL.read_text(encoding="utf-8")))
    report = evaluate.run(router, cases)
    # strict labels predate the care cards: a forgotten dose, the outlook for ALS or why not stop "cold turkey"
    # now get their own card (missed-dose, prognosis, adrenal), which the strict labels count as misses; the
    # relabelled figure below is the one that must hold
    assert report.share >= 0.86, f"{report.share:.1%}"
    assert report.urgent_caught == len(report.urgent_cases) > 0
    assert report.wrong_condition == ()
    newer = evaluate.parse_newer_cards(yaml.safe_load(NEWER_CARDS.read_text(encoding="utf-8")), cases)
    relabelled = evaluate.run(router, evaluate.with_newer_cards(cases, newer))
    assert relabelled.share >= 0.95, f"{relabelled.share:.1%}"  # issue 10: real questions at least 95%


def test_a_relabelling_must_name_a_real_case_and_say_why() -> None:
    cases = [evaluate.Case(text="what if i forget a dose", expect=("dosing",))]
    with pytest.raises(ValueError, match="no case has the text"):
        evaluate.parse_newer_cards({"cases": [{"text": "other", "also": ["x"], "why": "y"}]}, cases)
    with pytest.raises(ValueError, match="needs 'text', 'also' and 'why'"):
        evaluate.parse_newer_cards({"cases": [{"text": "what if i forget a dose", "also": ["x"]}]}, cases)
    newer = evaluate.parse_newer_cards(
        {"cases": [{"text": "what if i forget a dose", "also": "missed-dose", "why": "newer card"}]}, cases
    )
    assert evaluate.with_newer_cards(cases, newer)[0].expect == ("dosing", "missed-dose")


@pytest.mark.skipif(not CLINC.exists(), reason="the CLINC150 tuning splits (../shared/data) are not here")
def test_out_of_scope_requests_get_the_fallback(router: Router) -> None:
    report = evaluate.run_out_of_scope(router, evaluate.parse_requests(json.loads(CLINC.read_text(encoding="utf-8"))))
    assert report.total > 15_000
    assert report.share <= 0.01, report.answered[:10]


@pytest.mark.skipif(not CLINC.exists(), reason="the CLINC150 tuning splits (../shared/data) are not here")
def test_out_of_scope_requests_mid_conversation_rarely_borrow_its_topic(router: Router) -> None:
    """After a LEMS answer, "help me move my money" is no follow-up: 18% got a LEMS card before the conversation
    was kept for messages that follow on from it (7% now: the ones with "it", "how much" ... still borrow)."""
    requests = evaluate.parse_requests(json.loads(CLINC.read_text(encoding="utf-8")))
    report = evaluate.run_out_of_scope(router, requests, after=evaluate.MID_CONVERSATION)
    assert report.share <= 0.08, report.answered[:10]


def test_dockerfile_copies_and_runs_what_exists() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"
    cmd = re.search(r'^CMD \["python", "-m", "(\w+)"\]', dockerfile, re.M)
    assert cmd and (ROOT / cmd.group(1) / "__main__.py").exists()
    assert re.search(r"^FROM python:3\.\d+-slim", dockerfile, re.M)
    assert re.search(r"^USER \d+", dockerfile, re.M)
