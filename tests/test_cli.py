"""The command line as a reviewer uses it: batch JSON lines, one question, the console chat."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from bot.__main__ import cmd_ask
from bot.adapters import console
from bot.brain import Brain
from bot.catalog import Catalog
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
