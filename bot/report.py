"""The `eval` report an admin reads: as terminal text, and as one self-contained HTML page.

Pure: strings in, strings out (the CLI writes the file). The page has no scripts, fonts, images or links to
fetch: the confusion matrix is an inline SVG drawn here, so the file can be mailed or opened offline.
"""

from __future__ import annotations

import html
from collections.abc import Collection, Iterable, Mapping

from bot.evaluate import Outcome, Report

SPECIAL = ("urgent", "clarify", "fallback")  # outcomes that are not a card; listed after the cards
MAX_TEXT = 110
OUTCOME_NAMES = {
    "urgent": "the urgent card: call for help now",
    "clarify": "asked which condition (LEMS or ALS)",
    "fallback": "said it cannot answer, and who can",
}
Titles = Mapping[str, str]  # card id -> title, as the user sees it

PER_CARD_HELP = (
    "right / cases: of the cases that expected this card, how many got it.\n"
    "given instead: how many times the bot gave this card when the case expected another."
)
MISSES_HELP = (
    "Each miss: the message, then what the bot gave and what the case expected.\n"
    "A score is how closely the message matched that card's example questions\n"
    "(0-100; '-': that card was not among the close ones)."
)


def name(outcome: str, titles: Titles) -> str:
    """A card id with its title ("als-evidence: Does prednisone help in ALS?"); urgent, clarify and fallback
    with what they mean."""
    title = OUTCOME_NAMES.get(outcome) or titles.get(outcome)
    return f"{outcome}: {title}" if title else outcome


# --- shared pieces ----------------------------------------------------------------------------------


def labels(report: Report) -> list[str]:
    """Every outcome expected or given, cards alphabetically, then urgent, clarify and fallback."""
    seen = {o.case.expect[0] for o in report.outcomes} | {o.got for o in report.outcomes}
    return sorted(seen, key=lambda x: (x in SPECIAL, SPECIAL.index(x) if x in SPECIAL else 0, x))


def per_card(report: Report) -> list[tuple[str, tuple[int, int]]]:
    """(card, (right, cases)) in the matrix's order."""
    order = labels(report)
    return sorted(report.per_card.items(), key=lambda kv: order.index(kv[0]))


def expected_score(o: Outcome) -> float | None:
    """How the best acceptable card scored among the candidates: how far off a miss was."""
    scores = [c.score for c in o.decision.candidates if c.card in o.case.expect]
    return max(scores) if scores else None


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def summary_lines(report: Report) -> list[str]:
    """The last three lines, kept word for word: scripts and people compare them across runs."""
    return [
        f"urgent cases caught: {report.urgent_caught}/{len(report.urgent_cases)}",
        f"time per message: median {report.median_ms():.2f} ms",
        f"acceptable: {report.acceptable}/{report.total} ({100 * report.share:.1f}%); "
        f"wrong-condition answers: {len(report.wrong_condition)}",
    ]


# --- text -------------------------------------------------------------------------------------------


def text(report: Report, titles: Titles | None = None) -> str:
    titles = titles or {}
    wrongly = report.given_wrongly()
    width = max((len(c) for c, _ in per_card(report)), default=10) + 2
    lines = [
        "Per card (each case counts for the first outcome it expects):",
        *(f"  {line}" for line in PER_CARD_HELP.splitlines()),
        f"  {'card':<{width}} {'right':>5} / {'cases':<5}    %  {'given instead':>13}  title",
    ]
    for card, (right, total) in per_card(report):
        share = 100 * right / total if total else 0.0
        title = OUTCOME_NAMES.get(card) or titles.get(card, "")
        instead = wrongly.get(card, 0) or ""
        lines.append(f"  {card:<{width}} {right:5d} / {total:<5d} {share:4.0f}  {instead:>13}  {title}".rstrip())
    if report.misses:
        lines += ["", "Confusions (expected -> what the bot gave instead: how often):"]
        lines += [f"  {exp} -> {got}: {n}" for (exp, got), n in report.confusions().most_common()]
        lines += ["", "Misses:", *(f"  {line}" for line in MISSES_HELP.splitlines())]
        for o in report.misses:
            after = f" (after {' / '.join(repr(a) for a in o.case.after)})" if o.case.after else ""
            expected = ", ".join(name(e, titles) for e in o.case.expect)
            lines += [
                f"  {o.case.text[:MAX_TEXT]!r}{after}",
                f"      gave     {name(o.got, titles)} (score {_score(o.decision.score)})",
                f"      expected {expected} (score {_score(expected_score(o))})",
            ]
    lines += [f"  WRONG CONDITION: {o.got} for {o.case.text[:MAX_TEXT]!r}" for o in report.wrong_condition]
    return "\n".join([*lines, "", *category_lines(report), *summary_lines(report)])


def category_lines(report: Report) -> list[str]:
    """Per `cat` and per kind of emergency, when the cases carry them; in and out of scope; false alarms."""
    cats = report.per_category()
    if not cats:
        return []
    lines = ["Per category (the case's `cat`):"]
    lines += [f"  {c:<22} {r:5d} / {n:<5d} {100 * r / n:5.1f}%" for c, r, n in cats]
    kinds = report.urgent_by_kind()
    lines.append(
        f"emergencies caught: {report.urgent_caught}/{len(report.urgent_cases)} ("
        + ", ".join(f"{k} {r}/{n}" for k, r, n in kinds)
        + ")"
    )
    false, calm = len(report.false_urgent), report.not_urgent_cases
    lines.append(f"false emergencies: {false}/{calm} non-urgent cases ({100 * false / calm if calm else 0:.1f}%)")
    for scope, name in (("in", "in scope (a card is right)"), ("out", "out of scope (only a fallback is right)")):
        right, total = report.by_scope(scope)
        if total:
            lines.append(f"{name}: {right}/{total} ({100 * right / total:.1f}%)")
    wrong_drug = sum(o.prednisone_for_other_drug for o in report.outcomes)
    lines += [f"another drug's question answered with a prednisone card: {wrong_drug}", ""]
    return lines


# --- the picture ------------------------------------------------------------------------------------

CHAR_PX = 7.2  # width of one character of the 12px monospace labels
GREEN, RED, EMPTY = "22,128,61", "200,30,30", "#f3f4f6"


def confusion_svg(report: Report) -> str:
    """Rows: what the case expected; columns: what the bot gave. Green diagonal = right, red = confusions."""
    names = labels(report)
    counts = report.matrix()
    rows = {name: sum(n for (exp, _), n in counts.items() if exp == name) for name in names}
    n = len(names)
    cell = max(14, min(28, 640 // max(n, 1)))
    margin = int(max((len(x) for x in names), default=4) * CHAR_PX) + 24
    size = margin + n * cell + 8
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="confusion-matrix" role="img" width="{size}" '
        f'height="{size}" viewBox="0 0 {size} {size}" font-family="ui-monospace, monospace" font-size="12">',
        "<title>Confusion matrix: rows are the expected outcome, columns what the bot gave</title>",
        '<text x="4" y="14" font-weight="bold">expected ↓  given →</text>',
    ]
    for i, name in enumerate(names):
        y = margin + i * cell + cell / 2 + 4
        x = margin + i * cell + cell / 2 + 4
        out.append(f'<text x="{margin - 6}" y="{y:.1f}" text-anchor="end">{_e(name)}</text>')
        out.append(f'<text transform="translate({x:.1f},{margin - 6}) rotate(-90)">{_e(name)}</text>')
    for i, exp in enumerate(names):
        for j, got in enumerate(names):
            count = counts.get((exp, got), 0)
            share = count / rows[exp] if rows[exp] else 0.0
            if count:
                alpha = 0.35 + 0.65 * share  # a single confusion must still catch the eye
                fill = f"rgba({GREEN if i == j else RED},{alpha:.2f})"
            else:
                fill = EMPTY
            x, y = margin + j * cell, margin + i * cell
            kind = "right" if i == j else "confusion"
            out.append(
                f'<rect class="cell {kind if count else "empty"}" x="{x}" y="{y}" width="{cell - 1}" '
                f'height="{cell - 1}" fill="{fill}"><title>expected {_e(exp)}, given {_e(got)}: {count}'
                "</title></rect>"
            )
            if count:
                colour = "#fff" if count and share > 0.55 else "#111"
                out.append(
                    f'<text x="{x + (cell - 1) / 2:.1f}" y="{y + cell / 2 + 4:.1f}" text-anchor="middle" '
                    f'fill="{colour}" font-size="{min(12, cell - 4)}">{count}</text>'
                )
    out.append("</svg>")
    return "\n".join(out)


# --- the page ---------------------------------------------------------------------------------------

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #111; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { padding: .2rem .6rem; border-bottom: 1px solid #e5e7eb; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.figures { display: flex; gap: 2rem; flex-wrap: wrap; }
.figure b { display: block; font-size: 1.6rem; }
.bar { background: #e5e7eb; width: 8rem; height: .8rem; display: inline-block; }
.bar span { background: rgb(22,128,61); height: 100%; display: block; }
.bad { color: rgb(200,30,30); font-weight: bold; }
.matrix { overflow-x: auto; }
code { font-size: .9em; }
"""


def html_page(report: Report, *, title: str, source: str = "", titles: Titles | None = None) -> str:
    """The whole report as one page: figures, the matrix, per card, confusions, misses."""
    titles = titles or {}
    wrongly = report.given_wrongly()
    figures = [
        ("acceptable", f"{report.acceptable}/{report.total} ({100 * report.share:.1f}%)"),
        ("wrong-condition answers", str(len(report.wrong_condition))),
        ("urgent cases caught", f"{report.urgent_caught}/{len(report.urgent_cases)}"),
        ("time per message (median)", f"{report.median_ms():.2f} ms"),
    ]
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f"<p>Cases from <code>{_e(source)}</code>. Each case runs in a fresh conversation.</p>" if source else "",
        '<div class="figures">',
        *(f'<div class="figure"><b>{_e(v)}</b>{_e(k)}</div>' for k, v in figures),
        "</div>",
        "<h2>Confusion matrix</h2>",
        "<p>Rows: the outcome a case expected (its first acceptable one). Columns: what the bot gave. "
        "Green: right; red: a confusion. Darker means a larger share of the row.</p>",
        f'<div class="matrix">{confusion_svg(report)}</div>',
        "<h2>Per card</h2>",
        f"<p>Each case counts for the first outcome it expects. {_e(PER_CARD_HELP)} share: right as a part of "
        "cases, also drawn as the bar.</p>",
        _table(
            ["card", "title", "cases", "right", "share", "", "given instead"],
            (
                [
                    _e(card),
                    _e(OUTCOME_NAMES.get(card) or titles.get(card, "")),
                    str(total),
                    str(right),
                    f"{100 * right / total:.0f}%" if total else "-",
                    f'<span class="bar"><span style="width:{100 * right / total if total else 0:.0f}%"></span></span>',
                    str(wrongly.get(card, 0) or ""),
                ]
                for card, (right, total) in per_card(report)
            ),
            numeric={2, 3, 4, 6},
        ),
        "<h2>Confusions</h2>",
        "<p>Which outcome a case expected, what the bot gave instead, and how often.</p>" if report.misses else "",
        _table(
            ["expected", "the bot gave", "count"],
            (
                [_e(name(exp, titles)), _e(name(got, titles)), str(n)]
                for (exp, got), n in report.confusions().most_common()
            ),
            numeric={2},
        )
        if report.misses
        else "<p>None.</p>",
        "<h2>Misses</h2>",
        f"<p>{_e(MISSES_HELP)} after: the messages sent before it in the same conversation.</p>"
        if report.misses
        else "",
        _table(
            ["the bot gave", "score", "expected", "its score", "message", "after"],
            (
                [
                    _e(name(o.got, titles)),
                    _score(o.decision.score),
                    _e(", ".join(name(e, titles) for e in o.case.expect)),
                    _score(expected_score(o)),
                    _e(o.case.text),
                    _e(" / ".join(o.case.after)),
                ]
                for o in report.misses
            ),
            numeric={1, 3},
        )
        if report.misses
        else "<p>None.</p>",
        "<h2>Wrong-condition answers</h2>",
        _table(
            ["got", "expected", "text"],
            (
                [f'<span class="bad">{_e(o.got)}</span>', _e(", ".join(o.case.expect)), _e(o.case.text)]
                for o in report.wrong_condition
            ),
        )
        if report.wrong_condition
        else "<p>None.</p>",
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def _table(head: list[str], rows: Iterable[list[str]], numeric: Collection[int] = ()) -> str:
    """Cells are already escaped HTML."""

    def cls(i: int) -> str:
        return ' class="n"' if i in numeric else ""

    out = ["<table><thead><tr>", *(f"<th{cls(i)}>{h}</th>" for i, h in enumerate(head)), "</tr></thead><tbody>"]
    for row in rows:
        out += ["<tr>", *(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(row)), "</tr>"]
    return "".join([*out, "</tbody></table>"])


def _e(value: str) -> str:
    return html.escape(value, quote=True)
