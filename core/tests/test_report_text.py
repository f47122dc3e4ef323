"""The terminal view of ``patron report run`` and where ``-o`` writes."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from patron.reports.render.text import render_text
from patron.reports.runner import run_report

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def shop(patron_app, patron_factory):
    f = patron_factory(patron_app)
    for i in range(12):
        c = f.customer(external_id=f"C{i}", name=f"Customer with a rather long name number {i}")
        f.interaction(
            c, occurred_at=datetime(2024, 1 + i % 6, 3, tzinfo=UTC), amount_minor=250031563 + i, channel="web"
        )
    return patron_app


def test_overview_text_fits_100_columns_with_money_and_labels(shop):
    text = render_text(run_report(shop, "overview"), width=100, color=False)
    lines = text.splitlines()
    assert lines[0] == "Customer base overview"
    assert max(len(line) for line in lines) <= 100
    assert "€2,500,315.74" in text and "Returning buyers" in text and "Top 10 customers" in text, text
    assert "_minor" not in text and "new_buyers" not in text
    assert not ANSI.search(text)


def test_no_color_is_honoured(shop, monkeypatch):
    run = run_report(shop, "overview")
    assert ANSI.search(render_text(run, width=100, color=True))
    monkeypatch.setenv("NO_COLOR", "1")
    assert not ANSI.search(render_text(run, width=100))


def test_format_follows_output(shop, patron_cli, tmp_path):
    md = tmp_path / "o.md"
    assert patron_cli(shop, "report", "run", "overview", "-o", str(md)).exit_code == 0
    assert md.read_text(encoding="utf-8").startswith("# Customer base overview")
    text = patron_cli(shop, "report", "run", "overview", "-f", "text")
    assert text.exit_code == 0 and text.output.startswith("Customer base overview")


def test_output_dir_always_means_a_folder(shop, patron_cli, tmp_path):
    # A one-table CSV report to "csvout/" once wrote a *file* named csvout.
    done = patron_cli(shop, "report", "run", "overview", "-f", "html", "-o", str(tmp_path / "htmlout") + "/")
    assert done.exit_code == 0, done.output
    assert (tmp_path / "htmlout" / "overview.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    existing = tmp_path / "existing"
    existing.mkdir()
    assert patron_cli(shop, "report", "run", "overview", "-f", "md", "-o", str(existing)).exit_code == 0
    assert (existing / "overview.md").exists()
