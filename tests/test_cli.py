"""The command line as a reviewer uses it: batch JSON lines, one question, the console chat."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.__main__ import cmd_ask
from bot.adapters import console
from bot.brain import Brain
from bot.catalog import Catalog, load
from tests.conftest import ROOT, assert_disclaimer


def run_jsonl(brain: Brain, lines: list[str]) -> list[dict[str, object]]:
    out = io.StringIO()
    assert cmd_ask(brain, None, True, io.StringIO("\n".join(lines) + "\n"), out) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_jsonl_answers_in_order_with_shared_context_per_chat(brain: Brain, catalog: Catalog) -> None:
    rows = run_jsonl(
        brain,
        [
            json.dumps({"chat": "a", "text": "does prednisone help ALS?"}),
            json.dumps({"chat": "b", "text": "does prednisone help lambert eaton?"}),
            json.dumps({"chat": "a", "text": "what about side effects?"}),
            json.dumps({"chat": "b", "text": "what about side effects?"}),
            json.dumps({"chat": "c", "text": "does it work?"}),
            json.dumps({"chat": "d", "text": "book a flight"}),
            json.dumps({"chat": "e", "text": "I can't breathe"}),
        ],
    )
    assert [(r["kind"], r["card"]) for r in rows] == [
        ("answer", "als-evidence"),
        ("answer", "lems-evidence"),
        ("answer", "als-side-effects"),
        ("answer", "lems-side-effects"),
        ("clarify", None),
        ("fallback", None),
        ("urgent", "urgent"),
    ]
    assert set(rows[4]["options"]) == {"lems-evidence", "als-evidence"}  # type: ignore[arg-type]
    for row in rows:
        assert set(row) == {"kind", "card", "score", "options", "text"}
        assert row["score"] is None or 0 <= row["score"] <= 100  # type: ignore[operator]
        assert_disclaimer(str(row["text"]), catalog)


def test_jsonl_bad_lines_still_get_an_answer_each(brain: Brain) -> None:
    rows = run_jsonl(brain, ["not json", json.dumps({"chat": 1, "text": 5}), json.dumps({"text": "what is ALS"})])
    assert [r["kind"] for r in rows] == ["fallback", "fallback", "answer"]


def test_ask_one_question_from_the_shell() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "what are the side effects of prednisone?"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert "Source:" in result.stdout
    assert "<" not in result.stdout  # plain text in the terminal, no HTML tags


def test_ask_jsonl_from_the_shell() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--jsonl"], input='{"chat": "x", "text": "what is LEMS"}\n',
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert json.loads(result.stdout)["card"] == "lems"


def test_bare_command_without_a_token_says_so_and_starts_the_chat() -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "bot"], input="does prednisone help ALS?\n", env=env,
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    first = result.stdout.splitlines()[0]
    assert "TELEGRAM_BOT_TOKEN is not set" in first
    assert "trials" in result.stdout.lower() or "studies" in result.stdout.lower()


def test_console_conversation_with_buttons(brain: Brain) -> None:
    inputs = iter(["does prednisone help ALS?", "what about side effects?", "1", ""])
    out = io.StringIO()

    def read(prompt: str) -> str:
        try:
            return next(inputs)
        except StopIteration:
            raise EOFError from None

    console.run(brain, read, out, clock=lambda: 0.0)
    text = out.getvalue()
    assert text.count("not medical advice") >= 5  # welcome, two answers, a button, the empty line's fallback
    assert "[1]" in text


@pytest.mark.parametrize("args", [["check"], ["eval", "tests/data/eval.yaml"]])
def test_cli_commands_exit_zero(args: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


# --- the first minutes for a newcomer (issue 13): run from the wrong folder, --root anywhere, --help, no token


def bot(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` in `cwd`, with no token and no BOT_CATALOG_DIR, as on a newcomer's machine."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(cwd)}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_a_folder_without_the_catalog_is_said_once_per_folder_with_where_and_what_to_do(tmp_path: Path) -> None:
    problems = load(tmp_path).problems
    assert [(p.file, p.line) for p in problems] == [("content", 0), ("intents", 0)]  # not one per missing file
    for p in problems:
        assert str(tmp_path.resolve()) in p.message
        assert "--root DIR" in p.hint and "BOT_CATALOG_DIR" in p.hint and "repository folder" in p.hint
    assert "which does not exist" in load(tmp_path / "nope").problems[0].message


@pytest.mark.parametrize("args", [["check"], ["ask", "does prednisone help ALS?"], ["why", "hi"], ["review"]])
def test_run_from_another_folder_says_where_it_looked_and_what_to_do(tmp_path: Path, args: list[str]) -> None:
    result = bot(*args, cwd=tmp_path)
    assert result.returncode == 1
    said = result.stdout + result.stderr
    assert f"content:0: error: missing folder: no content/ folder in {tmp_path.resolve()}" in said
    assert "(hint: run it from the repository folder, or pass --root DIR, or set BOT_CATALOG_DIR)" in said
    assert "missing file" not in said and "Traceback" not in said


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["check", "--root", str(ROOT)], "0 error(s)"),
        (["ask", "does prednisone help ALS?", "--root", str(ROOT)], "Source:"),
        (["ask", "--root", str(ROOT), "does prednisone help ALS?"], "Source:"),
        (["why", "does prednisone help ALS?", "--root", str(ROOT)], "decision:"),
        (["--root", str(ROOT), "check"], "0 error(s)"),  # before the command, as it always was
    ],
)
def test_root_is_taken_after_the_command_too(tmp_path: Path, args: list[str], expected: str) -> None:
    result = bot(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert expected in result.stdout


def test_root_after_the_command_wins_over_the_one_before(tmp_path: Path) -> None:
    result = bot("--root", str(tmp_path), "check", "--root", str(ROOT), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_command_takes_root() -> None:
    for command in ("chat", "ask", "check", "review", "eval", "why", "telegram", "web"):
        result = bot(command, "--help", cwd=ROOT)
        assert result.returncode == 0 and "--root DIR" in result.stdout, command


def test_help_is_written_for_the_user() -> None:
    result = bot("--help", cwd=ROOT)
    assert result.returncode == 0
    assert "only place that exits" not in result.stdout.lower()
    assert "prednisone" in result.stdout and "TELEGRAM_BOT_TOKEN" in result.stdout and "--root DIR" in result.stdout


def test_no_token_names_the_web_chat_in_one_line() -> None:
    result = bot(cwd=ROOT, stdin="does prednisone help ALS?\n")
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()[:2]
    assert "TELEGRAM_BOT_TOKEN is not set" in first
    assert f"{sys.executable} -m bot web" in second or ".venv/bin/python -m bot web" in second
    assert second.endswith("then open http://127.0.0.1:8080/")


def test_eval_of_a_file_that_is_not_there_says_so_without_a_traceback(tmp_path: Path) -> None:
    result = bot("eval", "tests/data/eval.yaml", "--root", str(ROOT), cwd=tmp_path)
    assert result.returncode == 2
    assert f"eval: no file tests/data/eval.yaml in {tmp_path}" in result.stderr
    assert "Traceback" not in result.stderr


def test_eval_with_newer_cards_prints_the_strict_figure_then_the_relabelled_one(tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "cases:\n"
        "  - {text: 'what should i do if i forgot my prednisone this morning', expect: [dosing]}\n"
        "  - {text: 'what is LEMS?', expect: [lems]}\n",
        encoding="utf-8",
    )
    newer = tmp_path / "newer.yaml"
    newer.write_text(
        "cases:\n"
        "  - {text: 'what should i do if i forgot my prednisone this morning', also: [missed-dose],"
        " why: the missed-dose card came later}\n",
        encoding="utf-8",
    )
    result = bot("eval", str(cases), "--newer-cards", str(newer), "--root", str(ROOT), cwd=ROOT)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "acceptable: 1/2 (50.0%)" in lines[-2]
    assert lines[-1].endswith("1 cases): 2/2 (100.0%)")
