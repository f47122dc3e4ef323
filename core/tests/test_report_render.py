"""Rendering: every format for the overview and the probe's report, footer, CSV safety, determinism."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from patron import hookimpl
from patron.contracts import Figure, ReportResult, Table
from patron.models import AuditEvent, Customer
from patron.reports.render import FORMATS, render
from patron.reports.render.csv_out import safe_cell
from patron.reports.runner import run_report

FIXED = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture
def shop(patron_app, patron_factory):
    f = patron_factory(patron_app)
    a = f.customer(external_id="A", name="<b>Ann</b>", created_at=datetime(2024, 1, 5, tzinfo=UTC))
    f.interaction(a, external_id="P1", occurred_at=datetime(2024, 1, 10, tzinfo=UTC), amount_minor=12345, channel="web")
    f.interaction(
        a,
        kind="refund",
        occurred_at=datetime(2024, 1, 12, tzinfo=UTC),
        amount_minor=345,
        channel="web",
        payload={"refund_of": "P1"},
    )
    return patron_app


class TrickyReport:
    """A report whose cells are what spreadsheets would run as formulas."""

    name = "tricky"
    title = "Tricky"
    description = "Cells that look like formulas."
    params = ()
    CELLS = ("=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "\rCR", "-12.50", "plain", "- item")

    def run(self, app, session, params):
        return ReportResult(
            title=self.title,
            summary={"cells": len(self.CELLS)},
            tables=(
                Table(
                    "cells", "Cells", ("text", "int", "decimal"), [(text, -3, Decimal("-1.50")) for text in self.CELLS]
                ),
                Table("other", "Other", ("=bad header",), [("x",)]),
            ),
            figures=(Figure("f", "F <script>", "bar", ["a", "<b>"], {"s": [1.0, -2.0]}),),
        )


class TrickyPlugin:
    @hookimpl
    def patron_reports(self, register):
        register(TrickyReport())


def footer_checks(text: str, run, fmt: str) -> None:
    if fmt == "json":
        footer = json.loads(text)["footer"]
        assert footer["fingerprint"] == run.footer.fingerprint and footer["fingerprint"].startswith("sha256:")
        assert footer["plugin_versions"]["core"].startswith("patron ")
        assert footer["generated_at"] == "2030-01-02T03:04:05+00:00"
        assert footer["parameters"]["months"] == "12" and footer["as_of"] == run.footer.as_of
        return
    assert run.footer.fingerprint in text
    assert "core (patron " in text
    assert "2030-01-02T03:04:05+00:00" in text
    assert "months=12" in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_overview_renders_in_every_format_with_its_footer(shop, fmt):
    run = run_report(shop, "overview", generated_at=FIXED)
    docs = render(run, fmt)
    text = "\n".join(docs.values())
    footer_checks(text, run, fmt)
    assert run.footer.as_of == "2024-01-13" and "2024-01-13" in text
    if fmt == "html":
        assert text.startswith("<!DOCTYPE html>")
        assert "&lt;b&gt;Ann&lt;/b&gt;" in text and "<b>Ann</b>" not in text  # autoescaped
        assert text.count("<svg") == 3 and "<script" not in text
        assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing to fetch
        assert "€120.00" in text
    elif fmt == "md":
        assert text.startswith("# Customer base overview")
        assert "| 2024-01 (days 1-12) | 1 | €120.00 |" in text
    elif fmt == "json":
        doc = json.loads(text)
        assert doc["report"] == "overview" and doc["footer"]["fingerprint"] == run.footer.fingerprint
        assert doc["footer"]["plugin_versions"]["core"].startswith("patron ")
        assert doc["tables"][0]["rows"][-1] == ["2024-01 (days 1-12)", 1, {"amount": "120.00", "currency": "EUR"}]
        assert doc["parameters"]["months"] == 12
    else:
        assert set(docs) == {"revenue_by_month", "new_vs_returning", "top_customers", "key_figures"}
        rows = list(csv.reader(io.StringIO(docs["revenue_by_month"])))
        assert rows[0] == ["month", "purchases", "revenue", "revenue_currency"]
        assert ["2024-01 (days 1-12)", "1", "120.00", "EUR"] in rows
        assert ["# Table", "revenue_by_month"] in rows


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_probe_report_renders_in_every_format(make_patron_app, patron_factory, fmt):
    app = make_patron_app(plugins=["probe"])
    patron_factory(app).customer()
    run = run_report(app, "probe-notes", generated_at=FIXED)
    text = "\n".join(render(run, fmt).values())
    assert run.footer.fingerprint in text and "customers_upserted" in text
    if fmt == "json":
        doc = json.loads(text)
        assert doc["footer"]["plugin_versions"]["probe"] == "patron-probe 0.1.0"
        assert doc["parameters"] == {"event": None}
    else:
        assert "probe (patron-probe 0.1.0)" in text and "event=none" in text
        assert "not stated by this report" in text  # the probe has no as-of date


def test_csv_neutralises_formulas_but_keeps_numbers(patron_app, patron_inline_plugin):
    patron_inline_plugin(patron_app, TrickyPlugin())
    run = run_report(patron_app, "tricky", generated_at=FIXED)
    safe = list(csv.reader(io.StringIO(render(run, "csv")["cells"])))
    texts = [r[0] for r in safe[1:10]]
    assert texts == ["'=1+2", "'+SUM(A1)", "'-2+3", "'@cmd", "'\tTAB", "'\rCR", "-12.50", "plain", "'- item"]
    assert {(r[1], r[2]) for r in safe[1:10]} == {("-3", "-1.50")}  # numbers stay numbers
    header = next(csv.reader(io.StringIO(render(run, "csv")["other"])))
    assert header == ["'=bad header"]
    unsafe = list(csv.reader(io.StringIO(render(run, "csv", csv_safe=False)["cells"])))
    assert [r[0] for r in unsafe[1:10]] == list(TrickyReport.CELLS)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=A1", "'=A1"), ("-1", "-1"), ("+1.5e3", "+1.5e3"), ("-1,5", "'-1,5"), (-7, -7), (None, None), ("", "")],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_html_escapes_figure_labels_and_has_no_script(patron_app, patron_inline_plugin):
    patron_inline_plugin(patron_app, TrickyPlugin())
    html = render(run_report(patron_app, "tricky", generated_at=FIXED), "html")[""]
    assert "<script" not in html and "F &lt;script&gt;" in html and "&lt;b&gt;" in html
    parser = HTMLParser()
    parser.feed(html)  # well-formed enough to parse without error


def test_same_data_same_output_except_generated_at(shop):
    first = run_report(shop, "overview", generated_at=FIXED)
    second = run_report(shop, "overview", generated_at=datetime(2031, 5, 6, tzinfo=UTC))
    for fmt in FORMATS:
        a = "\n".join(render(first, fmt).values())
        b = "\n".join(render(second, fmt).values())
        assert a != b
        assert a.replace("2030-01-02T03:04:05+00:00", "T") == b.replace("2031-05-06T00:00:00+00:00", "T")


def test_fingerprint_changes_with_the_data(shop, patron_factory):
    before = run_report(shop, "overview", ["as_of=2024-02-01"]).footer.fingerprint
    assert run_report(shop, "overview", ["as_of=2024-02-01"]).footer.fingerprint == before
    patron_factory(shop).customer(external_id="late", created_at=datetime(2025, 1, 1, tzinfo=UTC))
    # Same result for that window (the new customer came later), but the census differs.
    assert run_report(shop, "overview", ["as_of=2024-02-01"]).footer.fingerprint != before


class WritingReport:
    name = "writer"
    title = "Writer"
    description = "Tries to write."
    params = ()

    def run(self, app, session, params):
        session.add(Customer(external_id="sneaky", name="x"))
        session.flush()
        return ReportResult(title="never", summary={})


class WritingPlugin:
    @hookimpl
    def patron_reports(self, register):
        register(WritingReport())


def test_a_report_cannot_write_and_writes_still_work_afterwards(patron_app, patron_inline_plugin, patron_factory):
    patron_inline_plugin(patron_app, WritingPlugin())
    with pytest.raises(Exception, match=r"(?i)read.?only"):
        run_report(patron_app, "writer")
    with patron_app.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == 0
    patron_factory(patron_app).customer(external_id="ok")  # the pooled connection is writable again
    with patron_app.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == 1


def test_cli_list_and_run(shop, patron_cli, tmp_path):
    listed = patron_cli(shop, "report", "list", "--json")
    assert listed.exit_code == 0
    overview = next(r for r in json.loads(listed.output) if r["name"] == "overview")
    assert (
        overview["plugin"] == "core"
        and {"name": "top", "type": "int", "default": 10}.items() <= overview["params"][2].items()
    )
    human = patron_cli(shop, "report", "list")
    assert "overview" in human.output and "months (int, default: 12)" in human.output

    out = patron_cli(shop, "report", "run", "overview", "--format", "json", "--param", "months=2")
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["parameters"]["months"] == 2

    target = tmp_path / "o.html"
    assert patron_cli(shop, "report", "run", "overview", "-o", str(target)).exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")

    folder = tmp_path / "csv"
    done = patron_cli(shop, "report", "run", "overview", "--format", "csv", "-o", str(folder))
    assert done.exit_code == 0
    assert sorted(p.name for p in folder.iterdir()) == [
        "overview-key_figures.csv",
        "overview-new_vs_returning.csv",
        "overview-revenue_by_month.csv",
        "overview-top_customers.csv",
    ]
    with shop.transaction() as s:
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.entity == "report")))
    assert actions == ["report.run"] * 3


def test_cli_errors(shop, patron_cli):
    bad = patron_cli(shop, "report", "run", "overview", "--param", "monts=2")
    assert bad.exit_code == 6 and 'has no parameter "monts"' in bad.output and "months (int, default: 12)" in bad.output
    missing = patron_cli(shop, "report", "run", "nope")
    assert missing.exit_code == 7 and "available: overview" in missing.output
    several = patron_cli(shop, "report", "run", "overview", "--format", "csv")
    assert several.exit_code == 6 and "give -o DIR" in several.output


def test_cli_no_csv_safe_switch(shop, patron_cli, tmp_path):
    with shop.transaction() as s:
        s.execute(Customer.__table__.update().values(name="=cmd|' /C calc'!A0"))
    args = ("report", "run", "overview", "--format", "csv", "-o")
    assert patron_cli(shop, *args, str(tmp_path / "safe")).exit_code == 0
    assert patron_cli(shop, *args, str(tmp_path / "raw"), "--no-csv-safe").exit_code == 0
    safe = (tmp_path / "safe" / "overview-top_customers.csv").read_text(encoding="utf-8")
    raw = (tmp_path / "raw" / "overview-top_customers.csv").read_text(encoding="utf-8")
    assert "'=cmd|" in safe and ",=cmd|" in raw
