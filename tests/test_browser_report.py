"""The rendered HTML report in a real headless browser (Debian's chromium): charts present and painted.

``tools/ensure_chromium.py`` (run by ``make test``) installs chromium when it
can. Without it this test skips locally and fails under ``CI=true``.
The page is loaded from a ``file://`` URL with networking features off, so a
chart that needed the network would not render.
"""

from __future__ import annotations

import re
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from patron.demo.build import build_demo
from patron_sdk.browser import FLAGS as CHROMIUM_FLAGS
from patron_sdk.browser import chromium

BAR_BLUE = (0x34, 0x65, 0xA4)  # the first series colour of patron.reports.render.svg.PALETTE


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("browser-demo")
    # Core only: the page under test is the core's overview, independent of which plugins are installed.
    build_demo(folder, customers=150, plugins=[])
    return folder


def run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)


def test_dump_dom_finds_the_charts(demo_dir: Path, tmp_path: Path) -> None:
    page = demo_dir / "reports" / "overview.html"
    done = run_chromium(tmp_path, "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert "<h1>Customer base overview</h1>" in dom
    svgs = re.findall(r'<svg[^>]*class="chart chart-(\w+)"', dom)
    assert svgs == ["bar", "line", "heatmap"]
    # one per month of the default window, and one per month for the same months a year earlier
    assert len(re.findall(r'<rect class="bar"', dom)) == 12 * 2
    assert len(re.findall(r'<path class="line" d="M', dom)) == 2  # new and returning
    assert len(re.findall(r'<rect class="cell"', dom)) >= 12 * 3  # channels × months


def test_screenshot_shows_the_painted_charts(demo_dir: Path, tmp_path: Path) -> None:
    page = demo_dir / "reports" / "overview.html"
    shot = tmp_path / "overview.png"
    done = run_chromium(tmp_path, f"--screenshot={shot}", "--window-size=1000,1400", page.as_uri())
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    width, height, pixels = decode_png(shot.read_bytes())
    assert (width, height) == (1000, 1400)
    colours = {pixels[i : i + 3] for i in range(0, len(pixels), 3)}
    assert len(colours) > 50, "the page is (nearly) blank"
    assert bytes(BAR_BLUE) in colours, "no pixel has the bar colour: the bar chart was not painted"


def test_index_links_every_report(demo_dir: Path, tmp_path: Path) -> None:
    done = run_chromium(tmp_path, "--dump-dom", (demo_dir / "index.html").as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert 'href="reports/overview.html"' in done.stdout


def decode_png(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and RGB bytes of an 8-bit RGB/RGBA non-interlaced PNG (stdlib only)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, "unsupported PNG layout"
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    out = bytearray()
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        previous = line
        for x in range(width):
            out += line[x * channels : x * channels + 3]
    return width, height, bytes(out)
