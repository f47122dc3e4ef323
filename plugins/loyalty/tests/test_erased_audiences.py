"""Erased customers leave loyalty:members and every tier audience (the core filters every audience).

Before, an erased customer kept their points account and tier row, so
``loyalty:members`` and ``loyalty:tier:*`` still offered them to channels.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from patron.privacy import erase_customer
from patron_sdk.data import customers, purchase


@pytest.fixture
def app(make_patron_app):
    return make_patron_app(plugins=["loyalty"])


def test_erased_customers_are_in_no_loyalty_audience(app):
    keep, gone = customers(app, 2)
    purchase(app, keep, "p1", 100_000)
    purchase(app, gone, "p2", 100_000)
    from patron.refresh import refresh

    refresh(app, datetime(2030, 1, 1, tzinfo=UTC))
    with app.transaction() as s:
        assert gone in set(s.scalars(app.audiences["loyalty:members"].query(s)))
        erase_customer(app, s, gone)
    with app.transaction() as s:
        for name in app.audiences:
            members = set(s.scalars(app.audiences[name].query(s)))
            assert gone not in members, name
        assert keep in set(s.scalars(app.audiences["loyalty:members"].query(s)))
