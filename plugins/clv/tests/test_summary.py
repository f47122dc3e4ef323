"""The calibration summary in SQL: purchase days, refunds netted per the core convention, the period's edges."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from patron.errors import InputError

END = date(2024, 2, 1)  # the period's last day is 2024-01-31


def at(m: int, d: int, hh: int = 12, mm: int = 0) -> datetime:
    return datetime(2024, m, d, hh, mm, tzinfo=UTC)


@pytest.fixture
def app(make_patron_app, clv):
    app = make_patron_app(plugins=["clv"])
    purchases = [
        ("A", at(1, 1, 10), 1000),  # A-p1 ┐ one purchase day worth 15.00
        ("A", at(1, 1, 15), 500),  # A-p2 ┘
        ("A", at(1, 5), 2000),  # A-p3 ┐ A-p4 is refunded in full: the day still counts, worth 20.00
        ("A", at(1, 5), 700),  # A-p4 ┘
        ("A", at(1, 10), 3000),  # A-p5: 10.00 refunded → 20.00
        ("A", at(1, 20), 4000),  # A-p6: refunded in full → not a purchase
        ("A", at(1, 15), 5000),  # A-p7: refunded after the period → still 50.00
        ("B", at(1, 31, 23, 59), 900),  # on the last day: x = 0, T = 0
        ("C", at(2, 1, 0, 0), 900),  # at the end instant: outside the period
        ("D", at(1, 3), 900),  # erased below
        ("D", at(1, 4), 900),
        ("E", at(1, 3), 900),  # refunded in full: no purchase left
        ("F", at(1, 2), 0),  # a $0 purchase is a purchase
        ("F", at(1, 3), 500),
    ]
    refunds = [
        ("A", at(1, 6), 700, "A-p4"),
        ("A", at(1, 11), 1000, "A-p5"),
        ("A", at(1, 21), 4000, "A-p6"),
        ("A", at(2, 5), 5000, "A-p7"),
        ("E", at(1, 4), 900, "E-p1"),
    ]
    ids = clv.shop(app, purchases, refunds)
    from patron.models import Customer

    with app.transaction() as s:
        s.execute(update(Customer).where(Customer.id == ids["D"]).values(erased_at=datetime.now(UTC)))
    app.test_ids = ids
    return app


def summary_rows(app, unit_days=1, currency=None):
    from patron_clv.summary import summarise

    with app.transaction() as s:
        got = summarise(s, END, unit_days, currency)
    names = {v: k for k, v in app.test_ids.items()}
    return {
        names[int(c)]: (x, tx, T, None if m != m else m, int(total))
        for c, x, tx, T, m, total in zip(
            got.customer_id, got.frequency, got.recency, got.T, got.mean_value, got.total_value, strict=True
        )
    }


def test_purchase_days_net_of_refunds_in_days(app):
    assert summary_rows(app) == {
        "A": (3, 14, 30, 3000.0, 10_500),  # days 01-01, 01-05, 01-10, 01-15; repeat value 90.00 / 3
        "B": (0, 0, 0, None, 900),
        "F": (1, 1, 29, 500.0, 500),
    }


def test_the_same_summary_in_weeks(app):
    rows = summary_rows(app, unit_days=7)
    assert rows["A"][:3] == (3, pytest.approx(2.0), pytest.approx(30 / 7))
    assert rows["F"][1:3] == (pytest.approx(1 / 7), pytest.approx(29 / 7))


def test_several_currencies_need_the_currency_setting(app, clv, make_patron_app):
    from patron.ingest import record_interactions

    with app.transaction() as s:
        record_interactions(
            app,
            s,
            [
                {
                    "external_id": "eur-1",
                    "customer_id": app.test_ids["B"],
                    "kind": "purchase",
                    "occurred_at": at(1, 2),
                    "amount_minor": 100,
                    "currency": "EUR",
                }
            ],
        )
    from patron_clv.summary import check_currency, midnight

    with app.transaction() as s, pytest.raises(InputError, match=r'several currencies \(EUR, USD\).*currency = "EUR"'):
        check_currency(s, midnight(END), None)
    # With currency = "USD" the EUR purchase is left out: B is unchanged.
    assert summary_rows(app, currency="USD")["B"] == (0, 0, 0, None, 900)
