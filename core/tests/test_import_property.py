"""Property: for any mix of good and bad rows, good rows land, bad rows are rejected with a reason, counts add up."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from patron.importer import ImportOptions, run_import
from patron.models import Interaction

GOOD = st.fixed_dictionaries(
    {
        "customer": st.sampled_from(["c0", "c1", "c2"]),
        "amount": st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False, allow_infinity=False),
        "day": st.integers(min_value=1, max_value=28),
    }
)
BAD_KINDS = st.sampled_from(["unknown_customer", "bad_amount", "bad_date", "empty_kind", "duplicate", "bad_currency"])
ROWS = st.lists(
    st.one_of(GOOD.map(lambda g: ("good", g)), BAD_KINDS.map(lambda b: ("bad", b))), min_size=1, max_size=25
)
_run = itertools.count()


@pytest.mark.sqlite_only
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS, batch_size=st.integers(min_value=1, max_value=7))
def test_good_rows_land_and_bad_rows_are_rejected(patron_app, patron_factory, tmp_path_factory, rows, batch_size):
    run = next(_run)
    if not getattr(patron_app, "_seeded", False):  # the app fixture outlives the examples: seed once
        f = patron_factory(patron_app)
        for c in ("c0", "c1", "c2"):
            f.customer(external_id=c)
        patron_app._seeded = True
    folder: Path = tmp_path_factory.mktemp("prop")
    path = folder / "i.csv"
    expected: dict[str, int] = {}
    bad_lines: set[int] = set()
    first_id = None
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "customer_external_id", "kind", "occurred_at", "amount", "currency"])
        for line, (label, spec) in enumerate(rows, start=2):
            ext = f"r{run}-{line}"
            if label == "good":
                day = f"2024-02-{spec['day']:02d}"
                w.writerow([ext, spec["customer"], "purchase", day, str(spec["amount"]), "EUR"])
                expected[ext] = int(spec["amount"] * 100)
                first_id = first_id or ext
                continue
            bad_lines.add(line)
            row = [ext, "c0", "purchase", "2024-01-01", "1.00", "EUR"]
            if spec == "unknown_customer":
                row[1] = "nobody"
            elif spec == "bad_amount":
                row[4] = "1.005"
            elif spec == "bad_date":
                row[3] = "01/02/2024"
            elif spec == "empty_kind":
                row[2] = ""
            elif spec == "bad_currency":
                row[5] = "EURO"
            elif spec == "duplicate":
                if first_id is None:  # nothing to duplicate yet: make it another unknown customer
                    row[1] = "nobody"
                else:
                    row[0] = first_id
            w.writerow(row)
    summary = run_import(patron_app, ImportOptions("interactions", path, batch_size=batch_size))
    assert summary.rows == len(rows)
    assert summary.inserted == len(expected)
    assert summary.rejected == len(bad_lines)
    assert summary.inserted + summary.unchanged + summary.rejected == summary.rows
    with patron_app.transaction() as s:
        stored = dict(
            s.execute(
                select(Interaction.external_id, Interaction.amount_minor).where(
                    Interaction.external_id.like(f"r{run}-%")
                )
            ).all()
        )
    assert stored == expected
    if bad_lines:
        with open(summary.rejects_file, newline="", encoding="utf-8") as f:
            rejected = list(csv.DictReader(f))
        assert {int(r["line"]) for r in rejected} == bad_lines
        assert all(r["column"] and r["reason"] for r in rejected)
    else:
        assert summary.rejects_file is None
