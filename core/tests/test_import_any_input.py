"""Property: for any input file, an import exits 0, 6 or 8 with a message and never raises.

Arbitrary bytes, CSV and JSON Lines built from hostile cells (NUL, control
characters, quotes, huge numbers, deep nesting, objects in scalar columns, dates
at the edges of the calendar), on both engines. What was stored matches the
summary, and no output ever carries a database error's bound parameters.
"""

from __future__ import annotations

import csv
import io
import itertools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from patron.models import Customer, Interaction

CUSTOMER_COLUMNS = ["external_id", "name", "email", "phone", "created_at", "consent_email", "tier"]
INTERACTION_COLUMNS = ["external_id", "customer_external_id", "kind", "occurred_at", "amount", "currency", "note"]
NASTY_TEXT = st.sampled_from(
    [
        "",
        '"',
        '"open',
        "a\x00b",
        "\x1b[2J",
        "9" * 70,
        "1" * 5000,
        "-0.001",
        "1e400",
        "NaN",
        "ZZZ",
        "BTC",
        "XXX",
        "EUR",
        "JPY",
        "12.34",
        "9999-12-31T23:00:00-05:00",
        "0001-01-01T00:30:00+01:00",
        "2024-02-30",
        "2024-01-01",
        "c0",
        "x" * 300,
        "a@b.c",
        "yes",
        "\ud7ff\ue000",
        "line\nbreak",
    ]
)
CELL = st.one_of(NASTY_TEXT, st.text(max_size=12))
JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), CELL),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=8,
)
_run = itertools.count()
VALID = {
    "customers": ["k{run}-{n}", "Ann", "a@x.org", "+1 555", "2024-01-01", "yes", "gold"],
    "interactions": ["i{run}-{n}", "c0", "purchase", "2024-01-01T10:00:00Z", "12.34", "EUR", "n"],
}


def _csv(columns: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8", "surrogatepass")


@st.composite
def input_files(draw, kind: str) -> tuple[str, bytes]:
    columns = CUSTOMER_COLUMNS if kind == "customers" else INTERACTION_COLUMNS
    shape = draw(st.sampled_from(["bytes", "csv", "raw-csv", "jsonl"]))
    if shape == "bytes":
        return "csv", draw(st.binary(max_size=300))
    if shape == "csv":
        # Mostly valid rows with one or two hostile cells, so every column's checks are reached.
        rows = []
        for n in range(draw(st.integers(min_value=0, max_value=6))):
            row = [v.format(n=n, run=next(_run)) for v in (VALID[kind])]
            for _ in range(draw(st.integers(min_value=0, max_value=2))):
                row[draw(st.integers(min_value=0, max_value=len(row) - 1))] = draw(CELL)
            rows.append(row)
        return "csv", _csv(columns, rows)
    if shape == "raw-csv":
        lines = draw(st.lists(st.lists(CELL, max_size=len(columns) + 1).map(",".join), max_size=6))
        return "csv", (",".join(columns) + "\n" + "\n".join(lines)).encode("utf-8", "surrogatepass")
    objects = draw(st.lists(st.dictionaries(st.sampled_from(columns), JSON_VALUE, max_size=len(columns)), max_size=5))
    text = "\n".join(json.dumps(o) for o in objects) + draw(st.sampled_from(["", "\n{", "\n[1]", "\n" + "[" * 3000]))
    return "jsonl", text.encode("utf-8", "surrogatepass")


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(kind=st.sampled_from(["customers", "interactions"]), data=st.data())
def test_any_input_ends_in_a_message(patron_app, patron_factory, patron_cli, tmp_path_factory, kind, data):
    if not getattr(patron_app, "_seeded", False):  # the app outlives the examples: seed once
        patron_factory(patron_app).customer(external_id="c0")
        patron_app._seeded = True
    fmt, content = data.draw(input_files(kind))
    path = tmp_path_factory.mktemp("any") / f"in{next(_run)}.{fmt}"
    path.write_bytes(content)
    table = Customer if kind == "customers" else Interaction
    with patron_app.transaction() as s:
        before = s.scalar(select(func.count()).select_from(table))
    result = patron_cli(patron_app, "import", kind, str(path), "--json")
    assert result.exit_code in (0, 6, 8), result.output
    assert "Traceback" not in result.output and "[parameters:" not in result.output and "[SQL:" not in result.output
    with patron_app.transaction() as s:
        after = s.scalar(select(func.count()).select_from(table))
    if result.exit_code in (0, 8):
        summary = json.loads(result.stdout)
        assert after - before == summary["inserted"]
        assert summary["inserted"] + summary["updated"] + summary["unchanged"] + summary["rejected"] == summary["rows"]
    else:
        assert result.stderr.startswith("Error: ") and after == before
