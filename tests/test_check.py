"""`python -m bot check` as an admin's linter: each lint on a broken fixture, located and with a hint.

Fixtures under tests/fixtures/lint/<name>/ are laid over a copy of the shipped catalog, so each adds one
mistake to an otherwise good catalog (like tests/fixtures/broken/ for the loader's errors).
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest

from bot import checks
from bot.__main__ import cmd_check
from bot.catalog import Catalog, Problem, load
from bot.router import Router
from tests.conftest import ROOT

LINT = Path(__file__).parent / "fixtures" / "lint"
LOCATED = re.compile(r"^(content|intents)/[\w.-]+\.yaml:\d+: (error|warning): .+ \(hint: .+\)$")


def overlay(fixture: str, catalog_copy: Path) -> Catalog:
    shutil.copytree(LINT / fixture, catalog_copy, dirs_exist_ok=True)
    result = load(catalog_copy)
    assert result.catalog is not None, "\n".join(map(str, result.problems))
    return result.catalog


def in_fixture(problems: list[Problem]) -> list[Problem]:
    """Only what the fixture added: the shipped catalog's own warnings are not this test's business."""
    return [p for p in problems if "zz" in p.file or "zz-" in p.message]


def assert_located(problem: Problem) -> None:
    assert problem.line > 0, problem
    assert problem.hint, problem
    assert LOCATED.match(str(problem)), str(problem)


def example_problems(catalog: Catalog, check: str) -> list[Problem]:
    router = Router(catalog)
    everything = checks.examples(catalog, router)
    exs = [ex for ex in everything if ex.intent.file == "intents/zz.yaml"]
    return [problem for _, problem in getattr(checks, check)(router, exs, everything)]


def test_confused_example_reads_as_another_card(catalog_copy: Path) -> None:
    catalog = overlay("confused", catalog_copy)
    [problem] = example_problems(catalog, "confused")
    assert problem.file == "intents/zz.yaml"
    assert problem.line == 10
    assert problem.severity == "warning"
    assert "'what side effects does prednisone have on the stomach'" in problem.message
    assert "reads as card 'side-effects'" in problem.message
    assert_located(problem)


def test_leave_one_out_really_leaves_the_example_out(catalog: Catalog) -> None:
    """With itself in the index every example scores 100 for its own card; left out, it must not."""
    router = Router(catalog)
    ex = next(e for e in checks.examples(catalog, router) if e.intent.card == "stopping" and len(e.words) >= 2)
    [(_, match)] = list(checks.leave_one_out(router, [ex], checks.examples(catalog, router)))
    assert all(c.example != ex.normalised or c.intent != ex.intent.id for c in match.candidates)


def test_collision_between_two_intents(catalog_copy: Path) -> None:
    catalog = overlay("collision", catalog_copy)
    exs = checks.examples(catalog, Router(catalog))
    problems = in_fixture(checks.colliding(checks.pairs(catalog, exs, exact=False)))
    [problem] = problems
    assert (problem.file, problem.line, problem.severity) == ("intents/zz.yaml", 11, "warning")
    assert "collides with 'enteric coated pill timing' (intent 'zz-timing', intents/zz.yaml:7)" in problem.message
    assert_located(problem)


def test_same_phrasing_in_two_intents_is_an_error_and_blocks_a_reload(catalog_copy: Path) -> None:
    catalog = overlay("same-phrasing", catalog_copy)
    exs = checks.examples(catalog, Router(catalog))
    [problem] = in_fixture(checks.same_phrasing(checks.pairs(catalog, exs, exact=True)))
    assert (problem.file, problem.line, problem.severity) == ("intents/zz.yaml", 11, "error")
    assert_located(problem)
    result = checks.validate(catalog_copy)
    assert result.catalog is None
    assert any(p.line == 11 and p.file == "intents/zz.yaml" for p in result.errors)


def test_misrouted_example_typed_exactly(catalog_copy: Path) -> None:
    catalog = overlay("misrouted", catalog_copy)
    [problem] = example_problems(catalog, "misrouted")
    assert (problem.file, problem.line, problem.severity) == ("intents/zz.yaml", 9, "warning")
    assert "typed exactly gets 'urgent'" in problem.message
    assert "urgent or guard phrase" in problem.hint
    assert_located(problem)


def test_card_no_intent_reaches(catalog_copy: Path) -> None:
    catalog = overlay("unreachable", catalog_copy)
    problems = {p.line: p for p in in_fixture(checks.unreachable(catalog))}
    assert set(problems) == {3, 11}
    assert "not even through a button" in problems[3].message
    assert "only through buttons" in problems[11].message
    for problem in problems.values():
        assert problem.severity == "warning"
        assert_located(problem)


def test_intent_with_too_few_examples(catalog_copy: Path) -> None:
    catalog = overlay("few-examples", catalog_copy)
    [problem] = in_fixture(checks.few_examples(catalog))
    assert (problem.file, problem.line, problem.severity) == ("intents/zz.yaml", 3, "warning")
    assert "'zz-thin' has 2 example(s)" in problem.message
    assert_located(problem)


def test_card_over_the_reading_grade(catalog_copy: Path) -> None:
    catalog = overlay("hard-reading", catalog_copy)
    [problem] = in_fixture(checks.reading_grade(catalog))
    assert (problem.file, problem.line, problem.severity) == ("content/cards-zz.yaml", 3, "warning")
    assert f"over {checks.MAX_GRADE:g}" in problem.message
    assert_located(problem)


def test_check_prints_warnings_and_exits_0(catalog_copy: Path) -> None:
    shutil.copytree(LINT / "collision", catalog_copy, dirs_exist_ok=True)
    out = io.StringIO()
    assert cmd_check(catalog_copy, out) == 0
    text = out.getvalue()
    assert "intents/zz.yaml:11: warning: example 'the enteric coated pill timing'" in text
    assert "0 error(s)" in text


def test_check_exits_1_on_an_error_and_lists_errors_first(catalog_copy: Path) -> None:
    shutil.copytree(LINT / "same-phrasing", catalog_copy, dirs_exist_ok=True)
    shutil.copytree(LINT / "few-examples", catalog_copy / "extra", dirs_exist_ok=True)
    shutil.move(catalog_copy / "extra" / "intents" / "zz.yaml", catalog_copy / "intents" / "zy.yaml")
    out = io.StringIO()
    assert cmd_check(catalog_copy, out) == 1
    lines = [line for line in out.getvalue().splitlines() if re.match(r"^\S+\.yaml:\d+: ", line)]
    assert lines[0].startswith("intents/zz.yaml:11: error: example 'enteric coated pill timing'")
    assert [line for line in lines if line.startswith("intents/zz.yaml:11:")] == lines[:1]  # one finding, not two
    assert any(line.startswith("intents/zy.yaml:3: warning: intent 'zz-thin'") for line in lines)
    assert "1 error(s)" in out.getvalue()


def test_shipped_catalog_passes_and_every_finding_is_located_with_a_hint() -> None:
    out = io.StringIO()
    assert cmd_check(ROOT, out) == 0
    findings = [line for line in out.getvalue().splitlines() if re.match(r"^\S+\.yaml:\d+: ", line)]
    for line in findings:
        assert LOCATED.match(line), line
        assert ": warning: " in line


@pytest.mark.parametrize("fixture", sorted(p.name for p in LINT.iterdir()))
def test_lint_fixtures_load_cleanly(fixture: str, catalog_copy: Path) -> None:
    """Each lint fixture is well-formed: what it shows is a lint, not a loader error."""
    overlay(fixture, catalog_copy)
