"""`python -m bot ask --jsonl` fed what a reviewer's files really hold: every line gets its own reply, a bad
line an error for that line only (SPEC §5, §6), and nothing in one line can stop the run."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

from bot.__main__ import MAX_LINE_BYTES, cmd_ask
from bot.brain import Brain
from tests.conftest import ROOT


def good(chat: str, text: str) -> bytes:
    return json.dumps({"chat": chat, "text": text}).encode()


def run_cli(data: bytes, **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--jsonl"], input=data, env={**os.environ, **env},
        cwd=ROOT, capture_output=True, timeout=120,
    )  # fmt: skip


def rows_of(stdout: bytes) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.decode("utf-8").splitlines()]


def test_bad_lines_get_an_error_each_and_the_rest_are_answered() -> None:
    lines = [
        good("a", "does prednisone help ALS?"),
        b"[" * 100_000,  # nested far past what the JSON reader can follow
        b'{"chat": "b", "text": "what is \xff\xfe LEMS"}',  # not UTF-8
        b'["chat", "text"]',  # JSON, but not an object
        good("a", "what about side effects?"),  # the same chat as line 1: its context survived
    ]
    result = run_cli(b"\n".join(lines) + b"\n", PYTHONIOENCODING="utf-8:strict")
    assert result.returncode == 0, result.stderr
    rows = rows_of(result.stdout)
    assert [(r["kind"], r["card"]) for r in rows] == [
        ("answer", "als-evidence"),
        ("fallback", None),
        ("fallback", None),
        ("fallback", None),
        ("answer", "als-side-effects"),
    ]
    errors = [r.get("error") for r in rows]
    assert errors[0] is None and errors[4] is None
    assert "nested too deeply" in str(errors[1])
    assert "not UTF-8" in str(errors[2])
    assert "not a JSON object" in str(errors[3])
    stderr = result.stderr.decode()
    assert "line 2:" in stderr and "line 3:" in stderr and "line 4:" in stderr and "Traceback" not in stderr


def test_the_output_is_utf8_whatever_the_locale_says() -> None:
    result = run_cli(good("a", "what is prednisone?") + b"\n", PYTHONIOENCODING="latin-1")  # no bullet in latin-1
    assert result.returncode == 0, result.stderr
    (row,) = rows_of(result.stdout)  # decoded as UTF-8
    assert row["card"] == "prednisone" and "•" in str(row["text"])


def run_bytes(brain: Brain, data: bytes) -> list[dict[str, object]]:
    out = io.StringIO()
    assert cmd_ask(brain, None, True, io.BytesIO(data), out) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_more_kinds_of_bad_line(brain: Brain) -> None:
    too_long = good("x", "side effects " * (MAX_LINE_BYTES // 10))
    rows = run_bytes(
        brain,
        b"\n".join(
            [
                b"\xef\xbb\xbf" + good("a", "what is LEMS"),  # a byte-order mark, as some editors save
                too_long,
                b"",  # blank lines are skipped, not answered
                b'{"chat": "c", "text": "what is ALS \\ud800"}',  # half a surrogate pair, spelt as an escape
                json.dumps({"chat": {"nested": "object"}, "text": "what is ALS"}).encode(),
                json.dumps({"chat": "d"}).encode(),
                good("e", "what is ALS"),  # no newline at the end of the file
            ]
        ),
    )
    assert [(r["card"], r.get("error", "")[:20]) for r in rows] == [  # type: ignore[index]
        ("lems", ""),
        (None, "line longer than 104"),
        ("als", ""),
        (None, "'chat' must be a str"),
        (None, "'text' must be a str"),
        ("als", ""),
    ]
