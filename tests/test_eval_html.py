"""`eval --html` opened in headless Chromium: the page renders, with its confusion-matrix picture.

Skipped where no Chromium is installed (`apt-get install -y chromium`; scripts/test installs it in CI).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from bot.__main__ import main
from tests.conftest import ROOT

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM = next((path for name in BROWSERS if (path := shutil.which(name))), None)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium binary on PATH (apt-get install -y chromium); scripts/test installs it in CI"
)

CASES = """
cases:
  - text: what is prednisone
    expect: [prednisone]
  - text: side effects of prednisone
    expect: [side-effects]
  - text: I can't breathe
    expect: [urgent]
  - text: what is the weather in Paris
    expect: [fallback]
  - text: what is the weather in Rome
    expect: [prednisone]
  - text: does prednisone help in LEMS
    expect: [thanks]
"""


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("eval-html")
    cases = tmp / "cases.yaml"
    cases.write_text(CASES, encoding="utf-8")
    out = tmp / "report.html"
    assert main(["--root", str(ROOT), "eval", str(cases), "--html", str(out)], env={}) == 0
    return out


def chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp / 'profile'}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_chromium_parses_the_inline_svg(page: Path, tmp_path: Path) -> None:
    done = chromium(tmp_path, "--dump-dom", page.as_uri())
    dom = done.stdout
    assert done.returncode == 0, done.stderr[-2000:]
    assert '<svg xmlns="http://www.w3.org/2000/svg" id="confusion-matrix"' in dom
    assert dom.count('<rect class="cell') >= 25  # at least a 5 x 5 matrix
    assert "Confusion matrix" in dom and "acceptable" in dom


def test_chromium_draws_the_matrix(page: Path, tmp_path: Path) -> None:
    png = tmp_path / "shot.png"
    done = chromium(tmp_path, "--window-size=1000,1400", "--hide-scrollbars", f"--screenshot={png}", page.as_uri())
    assert done.returncode == 0 and png.exists(), done.stderr[-2000:]
    width, height, pixels = decode_png(png.read_bytes())
    assert (width, height) == (1000, 1400)
    green = sum(1 for r, g, b in pixels if g > r + 50 and g > b + 40)  # right answers (and the share bars)
    red = sum(1 for r, g, b in pixels if r > g + 40 and r > b + 40)  # confusions: only the matrix is red
    assert green > 500, "no green cells drawn"
    assert red > 200, "no red confusion cells drawn"


def decode_png(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Enough of PNG for a browser screenshot: 8-bit RGB or RGBA, not interlaced."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    height = depth = colour = interlace = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    rows: list[bytearray] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(line)
        prev = line
    pixels = [(row[x], row[x + 1], row[x + 2]) for row in rows for x in range(0, stride, bpp)]
    return width, height, pixels
