"""Scores, segments and tiers on small hand-made data, checked by hand and against the plain-Python oracle.

Every test here runs on SQLite and on PostgreSQL (the app fixtures are
parametrised), so agreement with the same oracle on both is the cross-engine check.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

AS_OF = date(2024, 7, 1)


def at(y: int, m: int, d: int, hh: int = 0) -> datetime:
    return datetime(y, m, d, hh, tzinfo=UTC)


@pytest.fixture
def app(make_patron_app):
    return make_patron_app(plugins=["rfm"])


def test_ties_share_the_lowest_rank_and_the_same_score(app, rfm, rfm_score):
    R = rfm.Row
    # a and b tie on every metric; c and d are better on frequency/monetary.
    rows = [
        R("a", at(2024, 6, 1), "purchase", 1000),
        R("b", at(2024, 6, 1), "purchase", 1000),
        R("c", at(2024, 6, 20), "purchase", 3000),
        R("c", at(2024, 5, 1), "purchase", 3000),
        R("d", at(2024, 6, 30, 23), "purchase", 9000),
        R("d", at(2024, 1, 1), "purchase", 1),
    ]
    ids = rfm.load(app, rows)
    run = rfm_score(app, AS_OF)
    got = rfm.stored(app, AS_OF)
    assert run.customers == 4
    assert got["a"][3:8] == got["b"][3:8]
    # n = 4: frequency 1,1,2,2 ranks 1,1,3,3 → scores 1,1,3,3; monetary ranks 1,1,3,4 → 1,1,3,4.
    assert [got[c][4] for c in "abcd"] == [1, 1, 3, 3]
    assert [got[c][5] for c in "abcd"] == [1, 1, 3, 4]
    # recency: a,b 30 days (worst, rank 1), c 11, d 0 days (23:00 on the day before as_of floors to 0).
    assert [got[c][0] for c in "abcd"] == [30, 30, 11, 0]
    assert [got[c][3] for c in "abcd"] == [1, 1, 3, 4]
    assert got == rfm.oracle(rows, ids, AS_OF)


def test_single_customer_scores_one_everywhere_and_is_tier_a(app, rfm, rfm_score):
    rows = [rfm.Row("solo", at(2024, 6, 1), "purchase", 500)]
    rfm.load(app, rows)
    rfm_score(app, AS_OF)
    # rank 1 of n = 1 → 1 + floor(0) = 1 for every metric: the formula, not a judgement.
    assert rfm.stored(app, AS_OF) == {"solo": (30, 1, 500, 1, 1, 1, "lost", "A")}


def test_refunds_reduce_monetary_and_refund_only_customers_are_not_scored(app, rfm, rfm_score):
    R = rfm.Row
    rows = [
        R("buyer", at(2024, 6, 1), "purchase", 5000),
        R("buyer", at(2024, 6, 2), "refund", 2000),
        R("buyer", at(2024, 6, 3), "refund", 500),  # a second partial refund
        R("gave-back", at(2024, 6, 1), "purchase", 1000),
        R("gave-back", at(2024, 6, 5), "refund", 1500),
        R("refund-only", at(2024, 6, 1), "refund", 700),
    ]
    ids = rfm.load(app, rows)
    rfm_score(app, AS_OF)
    got = rfm.stored(app, AS_OF)
    assert set(got) == {"buyer", "gave-back"}
    assert got["buyer"][:3] == (30, 1, 2500)
    # Refunds do not move recency or frequency; a net-negative customer is tier D.
    assert got["gave-back"][:3] == (30, 1, -500) and got["gave-back"][7] == "D"
    assert got == rfm.oracle(rows, ids, AS_OF)


def test_empty_window_stores_an_empty_snapshot(make_patron_app, rfm, rfm_score):
    app = make_patron_app(plugins=["rfm"], config={"rfm": {"window_days": 30}})
    rfm.load(app, [rfm.Row("old", at(2023, 1, 1), "purchase", 100)])
    run = rfm_score(app, AS_OF)
    assert run.customers == 0 and rfm.stored(app, AS_OF) == {}
    # With no window, the same customer is scored.
    assert rfm_score(app, date(2023, 1, 2)).customers == 1


def test_window_counts_purchases_from_as_of_minus_window_inclusive(make_patron_app, rfm, rfm_score):
    app = make_patron_app(plugins=["rfm"], config={"rfm": {"window_days": 10}})
    R = rfm.Row
    rows = [
        R("x", at(2024, 6, 21), "purchase", 100),
        R("x", at(2024, 6, 20, 23), "purchase", 100),
        R("x", at(2024, 7, 1), "purchase", 100),
    ]  # on as_of itself: outside [as_of − 10 d, as_of)
    ids = rfm.load(app, rows)
    rfm_score(app, AS_OF)
    assert rfm.stored(app, AS_OF)["x"][:3] == (10, 1, 100)
    assert rfm.stored(app, AS_OF) == rfm.oracle(rows, ids, AS_OF, window_days=10)


def test_default_as_of_is_the_day_after_the_last_interaction(app, rfm, rfm_score):
    rfm.load(app, [rfm.Row("a", at(2024, 3, 4, 15), "purchase", 100), rfm.Row("a", at(2024, 3, 9, 8), "email", None)])
    run = rfm_score(app)
    assert run.as_of == date(2024, 3, 10)
    assert rfm.stored(app, date(2024, 3, 10))["a"][0] == 5


def test_thresholds_method_uses_the_configured_cut_points(make_patron_app, rfm, rfm_score):
    cuts = {"recency_days": [10, 20, 40, 80], "frequency": [2, 3, 4, 5], "monetary_minor": [100, 200, 300, 400]}
    app = make_patron_app(plugins=["rfm"], config={"rfm": {"method": "thresholds", "thresholds": cuts}})
    R = rfm.Row
    rows = [
        R("low", at(2024, 1, 1), "purchase", 99),
        R("edge", at(2024, 6, 21), "purchase", 200),
        R("edge", at(2024, 6, 1), "purchase", 0),
        *[R("top", at(2024, 6, 30 - i), "purchase", 100) for i in range(6)],
    ]
    ids = rfm.load(app, rows)
    rfm_score(app, AS_OF)
    got = rfm.stored(app, AS_OF)
    assert got["low"][3:6] == (1, 1, 1)
    # recency 10 days is at the first cut → 4; frequency 2 and monetary 200 reach their cut → 2 and 3.
    assert got["edge"][3:6] == (4, 2, 3)
    assert got["top"][3:6] == (5, 5, 5) and got["top"][6] == "champions"
    assert got == rfm.oracle(rows, ids, AS_OF, thresholds=cuts)


def test_random_data_equals_the_oracle(app, rfm, rfm_score):
    """Many ties, refunds, other kinds and missing amounts; the same oracle on both engines."""
    rng = random.Random(5)
    R = rfm.Row
    kinds = ["purchase"] * 6 + ["refund", "email", "call"]
    customers = [f"c{i:03d}" for i in range(150)]
    rows = [
        R(
            rng.choice(customers),
            at(2023, 1, 1) + timedelta(days=rng.randrange(560), hours=rng.randrange(24)),
            rng.choice(kinds),
            rng.choice([None, 0, 500, 999, 1000, 2500, rng.randrange(1, 50_000)]),
        )
        for _ in range(1500)
    ]
    ids = rfm.load(app, rows, customers)
    rfm_score(app, AS_OF)
    expected = rfm.oracle(rows, ids, AS_OF)
    assert len(expected) > 100
    assert rfm.stored(app, AS_OF) == expected


def test_rescoring_the_same_as_of_replaces_the_snapshot(app, rfm, rfm_score):
    rfm.load(app, [rfm.Row("a", at(2024, 6, 1), "purchase", 100)])
    first = rfm_score(app, AS_OF)
    rfm.load(app, [rfm.Row("b", at(2024, 6, 2), "purchase", 100)], ["b"])
    second = rfm_score(app, AS_OF)
    assert not first.replaced and second.replaced and second.customers == 2
    assert set(rfm.stored(app, AS_OF)) == {"a", "b"}
    from sqlalchemy import func, select

    from patron_rfm.models import RfmScore, RfmSnapshot

    with app.transaction() as s:
        assert s.scalar(select(func.count()).select_from(RfmSnapshot)) == 1
        assert s.scalar(select(func.count()).select_from(RfmScore)) == 2
