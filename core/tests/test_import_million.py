"""A million generated rows through the real importer: exact counts, and every reject with its line and column."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select

from patron.importer.runner import ImportOptions, run_import
from patron.models import Interaction

ROWS = 1_000_000
CUSTOMERS = 10_000
EVERY = 100_000  # one of each kind of bad row per this many rows

#: Bad rows by ``i % EVERY``: the column the reject must name.
BAD = {1: "amount", 2: "customer_external_id", 3: "occurred_at", 4: "external_id"}


def write_files(folder: Path) -> tuple[Path, Path, int]:
    """Customers and ROWS interactions; returns the paths and the expected sum of amount_minor."""
    customers = folder / "customers.csv"
    with customers.open("w", encoding="utf-8") as f:
        f.write("external_id,name\n")
        f.writelines(f"c{i},Customer {i}\n" for i in range(CUSTOMERS))
    interactions = folder / "interactions.csv"
    total = 0
    with interactions.open("w", encoding="utf-8") as f:
        f.write("external_id,customer_external_id,kind,occurred_at,amount,currency,channel\n")
        for i in range(ROWS):
            external, customer, occurred, amount = f"i{i}", f"c{i % CUSTOMERS}", f"2024-{1 + i % 12:02d}-15", i % 1000
            bad = BAD.get(i % EVERY)
            if bad == "amount":
                f.write(f"{external},{customer},purchase,{occurred},1.234,EUR,web\n")  # EUR has two decimals
                continue
            if bad == "customer_external_id":
                customer = "nobody"
            elif bad == "occurred_at":
                occurred = "yesterday"
            elif bad == "external_id":
                external = f"i{i - 4}"  # the id of a good row four lines up
            else:
                total += amount * 100
            f.write(f"{external},{customer},purchase,{occurred},{amount}.00,EUR,web\n")
    return customers, interactions, total


@pytest.mark.slow
def test_a_million_rows_import_with_exact_counts_and_rejects(patron_app, tmp_path):
    if patron_app.engine.dialect.name != "sqlite":
        # Bounded suite time: PostgreSQL's bulk path (COPY + INSERT … SELECT) is exercised by every other import
        # test on that backend; the million-row run is about counts and rejects, which the engine does not change.
        pytest.skip("the million-row import runs on SQLite only")
    customers, interactions, total = write_files(tmp_path)
    assert run_import(patron_app, ImportOptions("customers", customers)).inserted == CUSTOMERS

    summary = run_import(patron_app, ImportOptions("interactions", interactions, batch_size=10_000))

    bad_rows = len(BAD) * (ROWS // EVERY)
    assert (summary.rows, summary.inserted, summary.unchanged, summary.rejected) == (
        ROWS,
        ROWS - bad_rows,
        0,
        bad_rows,
    )
    with patron_app.transaction() as s:
        stored = s.execute(select(func.count(), func.sum(Interaction.amount_minor))).one()
    assert (stored[0], stored[1]) == (ROWS - bad_rows, total)

    assert summary.rejects_file is not None
    with open(summary.rejects_file, newline="", encoding="utf-8") as f:
        rejects = list(csv.DictReader(f))
    assert len(rejects) == bad_rows
    expected = {(i + 2, BAD[i % EVERY]) for i in range(ROWS) if i % EVERY in BAD}  # line 1 is the header
    assert {(int(r["line"]), r["column"]) for r in rejects} == expected
    assert all(r["reason"] for r in rejects)
