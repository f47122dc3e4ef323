"""The real CDNOW purchase log imports to exactly 23,570 customers and 69,659 purchases, idempotently."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from patron.importer.cdnow import CUSTOMERS, DEFAULT_SOURCE, PURCHASES, load_cdnow, write_cdnow_csv
from patron.models import Customer, Interaction

# The data set ships beside the repository; only a checkout without it may skip, never CI.
pytestmark = pytest.mark.skipif(
    not DEFAULT_SOURCE.exists() and not os.environ.get("CI"), reason=f"{DEFAULT_SOURCE} is not available"
)


def counts(app) -> tuple[int, int, int]:
    with app.transaction() as s:
        return (
            s.scalar(select(func.count()).select_from(Customer)) or 0,
            s.scalar(select(func.count()).select_from(Interaction)) or 0,
            s.scalar(select(func.sum(Interaction.amount_minor))) or 0,
        )


@pytest.mark.slow
def test_full_cdnow_imports_exactly_and_again_changes_nothing(patron_app):
    customers, purchases = load_cdnow(patron_app)
    assert (customers.inserted, customers.rejected) == (CUSTOMERS, 0)
    assert (purchases.inserted, purchases.rejected) == (PURCHASES, 0)
    first = counts(patron_app)
    assert first[:2] == (CUSTOMERS, PURCHASES)
    again_c, again_p = load_cdnow(patron_app)
    assert (again_c.inserted, again_c.updated, again_c.unchanged) == (0, 0, CUSTOMERS)
    assert (again_p.inserted, again_p.unchanged) == (0, PURCHASES)
    assert counts(patron_app) == first


def test_a_cdnow_subset_on_every_database(patron_app, tmp_path):
    customers, purchases = load_cdnow(patron_app, limit=3000)
    assert purchases.inserted == 3000 and purchases.rejected == 0
    stored = counts(patron_app)
    assert stored[:2] == (customers.inserted, 3000)
    # The converted amounts are the file's dollar values, to the cent.
    _, interactions = write_cdnow_csv(DEFAULT_SOURCE, tmp_path, limit=3000)
    import csv
    from decimal import Decimal

    with interactions.open(encoding="utf-8") as f:
        expected = sum(int(Decimal(row["amount"]) * 100) for row in csv.DictReader(f))
    assert stored[2] == expected
    load_cdnow(patron_app, limit=3000)
    assert counts(patron_app) == stored
