"""Erased customers leave loyalty:members and every tier audience (the core filters every audience).

Before, an erased customer kept their points account and tier row, so
``loyalty:members`` and ``loyalty:tier:*`` still offered them to channels.
"""

from __future__ import annotations

import pytest

from patron_sdk.data import customers, purchase


@pytest.fixture
def app(make_patron_app):
    return make_patron_app(plugins=["loyalty"])


def test_erased_customers_are_in_no_loyalty_audience(app, patron_cli):
    keep, gone = customers(app, 2)
    purchase(app, keep, "p1", 100_000)
    purchase(app, gone, "p2", 100_000)
    assert patron_cli(app, "refresh", "--as-of", "2030-01-01").exit_code == 0
    with app.transaction() as s:
        assert gone in set(s.scalars(app.audiences["loyalty:members"].query(s)))
    assert patron_cli(app, "customers", "erase", f"#{gone}", "--yes").exit_code == 0
    with app.transaction() as s:
        for name in app.audiences:
            members = set(s.scalars(app.audiences[name].query(s)))
            assert gone not in members, name
        assert keep in set(s.scalars(app.audiences["loyalty:members"].query(s)))
