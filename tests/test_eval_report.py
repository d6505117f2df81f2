"""`python -m bot eval`: the report an admin reads, as text and as one self-contained HTML page."""

from __future__ import annotations

import html
import io
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from bot import evaluate, report
from bot.__main__ import cmd_eval, main
from bot.brain import Brain
from tests.conftest import ROOT

CASES = """
cases:
  - text: what is prednisone
    expect: [prednisone]
  - text: side effects of prednisone
    expect: [side-effects]
  - text: <b>does it</b> help & work in LEMS?
    expect: [thanks]
  - text: I can't breathe
    expect: [urgent]
  - text: what is the weather in Paris
    expect: [fallback]
  - text: what is the weather in Paris "<script>alert(1)</script>"
    expect: [prednisone]
"""


@pytest.fixture
def cases_file(tmp_path: Path) -> Path:
    path = tmp_path / "cases.yaml"
    path.write_text(CASES, encoding="utf-8")
    return path


@pytest.fixture
def result(brain: Brain, cases_file: Path) -> evaluate.Report:
    return evaluate.run(brain.router, evaluate.parse_cases(yaml.safe_load(cases_file.read_text())))


class Page(HTMLParser):
    """Collects what a browser would fetch and what the page draws."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.fetches: list[tuple[str, str]] = []
        self.rects: list[dict[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.fetches += [(k, v or "") for k, v in attrs if k in ("src", "href", "srcset", "data", "poster")]
        if tag == "rect":
            self.rects.append(dict(attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> Page:
    parser = Page()
    parser.feed(page)
    return parser


def test_text_report_has_per_card_confusions_misses_and_keeps_its_last_lines(result: evaluate.Report) -> None:
    text = report.text(result)
    assert "Per card" in text
    assert "prednisone" in text
    lines = text.splitlines()
    assert lines[-3] == f"urgent cases caught: {result.urgent_caught}/{len(result.urgent_cases)}"
    assert lines[-2].startswith("time per message: median ")
    assert lines[-1].startswith(f"acceptable: {result.acceptable}/6 (")
    assert result.acceptable == 4
    assert lines[-1].endswith(f"wrong-condition answers: {len(result.wrong_condition)}")
    assert "Confusions (expected -> what the bot gave instead: how often):" in text
    assert "  prednisone -> fallback: 1" in text
    assert "  thanks -> " in text
    assert "Misses" in text and "gave     fallback: said it cannot answer" in text


def test_matrix_rows_add_up_to_each_cards_cases(result: evaluate.Report) -> None:
    matrix = result.matrix()
    for card, (right, total) in result.per_card.items():
        assert sum(n for (exp, _), n in matrix.items() if exp == card) == total
        assert matrix.get((card, card), 0) == right
    assert sum(result.confusions().values()) == len(result.misses)


def test_html_page_is_self_contained_and_escapes_case_text(result: evaluate.Report) -> None:
    page = report.html_page(result, title="Evaluation <test>", source="cases.yaml")
    parsed = parse(page)
    assert parsed.fetches == []  # no scripts, styles, fonts or images to load
    assert "script" not in parsed.tags and "link" not in parsed.tags and "img" not in parsed.tags
    assert "url(" not in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;does it&lt;/b&gt; help &amp; work in LEMS?" in page
    assert "Evaluation &lt;test&gt;" in page


def test_html_matrix_has_one_cell_per_pair_and_colours_right_and_wrong(result: evaluate.Report) -> None:
    parsed = parse(report.confusion_svg(result))
    names = report.labels(result)
    assert len(parsed.rects) == len(names) ** 2
    right = [r for r in parsed.rects if "right" in (r.get("class") or "")]
    wrong = [r for r in parsed.rects if "confusion" in (r.get("class") or "")]
    assert len(right) == sum(1 for card, (ok, _) in result.per_card.items() if ok)
    assert len(wrong) == len(result.confusions())
    assert all("22,128,61" in (r.get("fill") or "") for r in right)
    assert all("200,30,30" in (r.get("fill") or "") for r in wrong)


def test_cli_eval_html_writes_the_page_and_prints_the_report(brain: Brain, cases_file: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "report.html"
    out = io.StringIO()
    assert cmd_eval(brain, cases_file, out, out_file) == 0
    page = out_file.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>")
    assert '<svg xmlns="http://www.w3.org/2000/svg" id="confusion-matrix"' in page
    assert out.getvalue().splitlines()[-1].startswith("acceptable: ")


def test_cli_eval_html_refuses_a_scope_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scope = tmp_path / "oos.json"
    scope.write_text('{"test": [["book a flight", "book_flight"]]}')
    with pytest.raises(SystemExit):
        main(["--root", str(ROOT), "eval", str(scope), "--html", str(tmp_path / "x.html")], env={})
    assert "--html works with case files" in capsys.readouterr().err


def test_an_admin_sees_titles_beside_ids_and_what_each_column_means(result: evaluate.Report, brain: Brain) -> None:
    titles = {cid: card.title for cid, card in brain.catalog.cards.items()}
    text = report.text(result, titles)
    prednisone_row = next(line for line in text.splitlines() if line.strip().startswith("prednisone "))
    assert prednisone_row.endswith(titles["prednisone"])
    assert "right / cases: of the cases that expected this card" in text
    assert "given instead: how many times the bot gave this card" in text
    assert "A score is how closely the message matched" in text
    assert "fallback: said it cannot answer, and who can" in text  # not a bare "fallback"
    page = report.html_page(result, title="t", titles=titles)
    assert f"<td>{html.escape(titles['prednisone'])}</td>" in page
    assert "given instead" in page and "after: the messages sent before it" in page
