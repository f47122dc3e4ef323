"""An import batch reads that batch, not the history: every statement's SQLite plan, every shipped plugin on.

Before: the loyalty plugin found a batch's purchases through the kind index
(every purchase ever stored, once per batch) and walked the ledger's whole
customer index to group balances, and the NPS plugin found a batch's survey
answers through the same kind index; an import slowed down batch after batch.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from patron.importer.runner import ImportOptions, run_import
from patron_sdk.plans import full_reads, sqlite_plans

pytestmark = pytest.mark.sqlite_only

PLUGINS = ["loyalty", "rfm", "nps", "email", "clv"]
CUSTOMERS = 60
HEADER = ["external_id", "customer_external_id", "kind", "occurred_at", "amount", "currency", "refund_of", "survey"]


def write_customers(path: Path, suffix: str) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["external_id", "name", "email", "consent_email"])
        out.writerows([f"c{i}", f"Name {i}{suffix}", f"c{i}@example.com", "yes"] for i in range(CUSTOMERS))
    return path


def write_interactions(path: Path, first: int, count: int, year: int) -> Path:
    """Purchases, a refund of every tenth and a survey answer every seventh row."""
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow([*HEADER, "score"])
        for i in range(first, first + count):
            customer, day = f"c{i % CUSTOMERS}", f"{year}-{1 + i % 12:02d}-{1 + i % 27:02d}"
            out.writerow([f"p{i}", customer, "purchase", f"{day}T10:00:00Z", "12.50", "EUR", "", "", ""])
            if i % 10 == 0:
                out.writerow([f"r{i}", customer, "refund", f"{day}T18:00:00Z", "5.00", "EUR", f"p{i}", "", ""])
            if i % 7 == 0:
                out.writerow([f"s{i}", customer, "survey_response", f"{day}T19:00:00Z", "", "", "", "nps", i % 11])
    return path


def test_an_import_batch_never_reads_a_whole_table(make_patron_app, tmp_path):
    app = make_patron_app(plugins=PLUGINS, config={"nps": {"surveys": {"nps": {"type": "nps"}}}})
    run_import(app, ImportOptions("customers", write_customers(tmp_path / "c1.csv", "")))
    history = run_import(app, ImportOptions("interactions", write_interactions(tmp_path / "i1.csv", 0, 600, 2024)))
    assert history.rejected == 0 and history.inserted == 600 + 60 + 86

    with sqlite_plans(app) as plans:
        again = run_import(app, ImportOptions("customers", write_customers(tmp_path / "c2.csv", " (moved)")))
        later = write_interactions(tmp_path / "i2.csv", 600, 300, 2025)
        batches = run_import(app, ImportOptions("interactions", later, batch_size=100))

    assert (again.updated, batches.rejected, batches.batches) == (CUSTOMERS, 0, 4)
    statements = " ".join(plan.statement for plan in plans)
    # The hooks ran: earning, clawbacks and survey answers all went through the planned statements.
    for table in ("loyalty_ledger", "loyalty_lot_uses", "nps_answers"):
        assert f"INSERT INTO {table}" in statements
    assert [str(read) for read in full_reads(plans)] == []
