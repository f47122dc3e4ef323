"""What people read: no rendered report shows a snake_case label or an amount in minor units.

Runs the demo (every shipped plugin, a small customer count) and scans each
report's HTML and Markdown, footer excluded: the footer repeats parameters as
they are typed (``as_of=...``) so a run can be reproduced.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from patron.demo.build import build_demo

SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")
MINOR = re.compile(r"\bminor\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def demo_reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("readable-demo")
    build_demo(folder, customers=200)
    return folder / "reports"


def visible_text(path: Path) -> str:
    """The text a reader sees, footer excluded (HTML: tags and styles stripped; Markdown: before the last ---)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        text = text.split("<footer>")[0]
        text = re.sub(r"<style>.*?</style>", " ", text, flags=re.S)
        text = re.sub(r"<[^>]+>", " ", text)
        return html.unescape(text)
    return text.rsplit("\n---\n", 1)[0]


def test_no_snake_case_or_minor_units_in_any_rendered_report(demo_reports: Path) -> None:
    pages = sorted(demo_reports.glob("*.html")) + sorted(demo_reports.glob("*.md"))
    assert len(pages) >= 2 * 8, [p.name for p in pages]
    problems = []
    for page in pages:
        text = visible_text(page)
        problems += [f"{page.name}: {m!r}" for m in sorted(set(SNAKE.findall(text)))]
        problems += [
            f"{page.name}: 'minor' in {text[max(m.start() - 40, 0) : m.end() + 20]!r}" for m in MINOR.finditer(text)
        ]
    assert not problems, "\n".join(problems)


def test_money_is_shown_with_its_currency(demo_reports: Path) -> None:
    for name in ("overview", "rfm-segments", "rfm-pareto", "loyalty-liability"):
        text = visible_text(demo_reports / f"{name}.html")
        assert re.search(r"(?:[$€£]|[A-Z]{3}\s?)\d{1,3}(?:,\d{3})*\.\d{2}\b", text), name


def test_one_column_keeps_one_number_of_decimals(demo_reports: Path) -> None:
    text = (demo_reports / "rfm-segments.md").read_text(encoding="utf-8")
    table = text.split("## Segments", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1:-1] for line in table.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert rows
    for col in range(2, 6):  # share %, revenue share %, recency (days), mean purchases
        places = {
            len(c.strip().rstrip("%").split(".")[1]) if "." in c else 0 for c in (r[col] for r in rows) if c.strip()
        }
        assert len(places) <= 1, (col, places)
