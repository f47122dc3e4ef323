"""Earning, clawback, redemption, adjustment and expiry through the public API, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from patron.errors import InputError
from patron_loyalty.redemption import InsufficientPoints, adjust, redeem
from patron_loyalty.testing import balance, problems
from patron_sdk.data import T0, customers, purchase, refund


@pytest.fixture
def app(make_patron_app):
    return make_patron_app(plugins=["loyalty"])


def test_purchase_earns_one_point_per_unit_floor(app):
    (c,) = customers(app, 1)
    purchase(app, c, "p1", 1999)
    assert balance(app, c) == 19
    assert problems(app) == []


def test_reimport_earns_nothing_twice(app):
    (c,) = customers(app, 1)
    purchase(app, c, "p1", 1000)
    assert purchase(app, c, "p1", 1000) == []
    assert balance(app, c) == 10


def test_config_multipliers_bonus_and_rounding(make_patron_app):
    app = make_patron_app(
        plugins=["loyalty"],
        config={
            "loyalty": {
                "points_per_unit": 2,
                "rounding": "half_up",
                "first_purchase_bonus": 100,
                "channel_multipliers": {"web": 1.5},
                "kind_multipliers": {"purchase": 1},
            }
        },
    )
    (c,) = customers(app, 1)
    purchase(app, c, "p1", 1025, channel="web")  # 10.25 * 2 * 1.5 = 30.75 -> 31, + 100 bonus
    purchase(app, c, "p2", 1025)  # 20.5 -> 21, no second bonus
    assert balance(app, c) == 31 + 100 + 21


def test_full_refund_claws_back_exactly_what_was_earned(app):
    (c,) = customers(app, 1)
    purchase(app, c, "p1", 1000)
    refund(app, c, "r1", "p1", 300)
    refund(app, c, "r2", "p1", 300)
    refund(app, c, "r3", "p1", 400)
    refund(app, c, "r4", "p1", 400)  # beyond the purchase amount: claws nothing more
    assert balance(app, c) == 0
    assert problems(app) == []


def test_small_partial_refunds_claw_back_whole_points_cumulatively(app):
    (c,) = customers(app, 1)
    purchase(app, c, "p1", 300)  # 3 points
    refund(app, c, "r1", "p1", 1)  # 3 * 1/300 rounds down to 0
    assert balance(app, c) == 3
    refund(app, c, "r2", "p1", 99)  # cumulative 100/300 -> 1 point
    assert balance(app, c) == 2
    assert problems(app) == []


def test_refund_of_unknown_purchase_claws_nothing(app):
    (c,) = customers(app, 1)
    purchase(app, c, "p1", 1000)
    refund(app, c, "r1", "nope", 500)
    assert balance(app, c) == 10


def test_clawback_may_go_negative_and_blocks_redemption(app):
    (c,) = customers(app, 1)
    purchase(app, c, "p1", 1000)
    redeem(app, c, 8, "gift")
    refund(app, c, "r1", "p1", 1000)
    assert balance(app, c) == -8
    with pytest.raises(InsufficientPoints, match="negative after a refund clawback"):
        redeem(app, c, 1, "gift")
    purchase(app, c, "p2", 2000)  # the new lot first absorbs the debt
    assert balance(app, c) == 12
    assert redeem(app, c, 12, "gift").balance == 0
    assert problems(app) == []


def test_redeem_refuses_overdraw_with_clean_message(app):
    (c,) = customers(app, 1)
    purchase(app, c, "p1", 500)
    with pytest.raises(InsufficientPoints, match=r"insufficient points: customer \d+ has 5 points, cannot redeem 6"):
        redeem(app, c, 6, "gift")
    assert balance(app, c) == 5


def test_redeem_key_is_idempotent_and_refuses_reuse(app):
    (c,) = customers(app, 1)
    purchase(app, c, "p1", 5000)
    first = redeem(app, c, 10, "gift", key="order-1")
    again = redeem(app, c, 10, "gift", key="order-1")
    assert again.replayed and again.entry_id == first.entry_id
    assert balance(app, c) == 40
    with pytest.raises(InputError, match="already used"):
        redeem(app, c, 11, "gift", key="order-1")


def test_redeem_input_errors(app):
    (c,) = customers(app, 1)
    with pytest.raises(InputError, match="positive"):
        redeem(app, c, 0, "gift")
    with pytest.raises(InputError, match="--reason"):
        redeem(app, c, 1, " ")


def test_redeem_consumes_oldest_expiring_first_and_expiry_takes_the_rest(app):
    from sqlalchemy import select

    from patron_loyalty.expiry import expire
    from patron_loyalty.models import LoyaltyLot

    (c,) = customers(app, 1)
    purchase(app, c, "old", 1000, when=datetime(2025, 3, 10, tzinfo=UTC))
    purchase(app, c, "new", 1000, when=datetime(2025, 8, 10, tzinfo=UTC))
    adjust(app, c, 5, "goodwill")
    # earned 2025-03 with 24 months -> expires 2027-04-01; 2025-08 -> 2027-09-01
    assert balance(app, c) == 25
    with app.transaction() as session:
        lots = session.execute(select(LoyaltyLot.expires_at).order_by(LoyaltyLot.id)).scalars().all()
    assert [x.date().isoformat() for x in lots[:2]] == ["2027-04-01", "2027-09-01"]
    redeem(app, c, 4, "gift")  # from the March lot
    assert expire(app, datetime(2027, 4, 1, tzinfo=UTC)) == 1
    assert balance(app, c) == 25 - 4 - 6
    assert expire(app, datetime(2027, 4, 1, tzinfo=UTC)) == 0
    assert balance(app, c) == 15
    assert problems(app) == []


def test_adjust_is_audited_and_negative_cannot_overdraw(app):
    from sqlalchemy import select

    from patron.models import AuditEvent

    (c,) = customers(app, 1)
    adjust(app, c, 50, "welcome")
    with pytest.raises(InsufficientPoints):
        adjust(app, c, -51, "oops")
    adjust(app, c, -50, "oops")
    with app.transaction() as session:
        actions = session.scalars(select(AuditEvent.action)).all()
    assert actions == ["loyalty.adjust", "loyalty.adjust"]
    assert balance(app, c) == 0


def test_ledger_is_append_only(app):
    from sqlalchemy import delete, update

    from patron_loyalty.models import LedgerEntry

    (c,) = customers(app, 1)
    purchase(app, c, "p1", 1000)
    with pytest.raises(Exception, match="append-only"), app.transaction() as session:
        session.execute(update(LedgerEntry).values(points=1000))
    with pytest.raises(Exception, match="append-only"), app.transaction() as session:
        session.execute(delete(LedgerEntry))
    assert balance(app, c) == 10


def test_batch_import_earns_set_based_for_many_customers(app):
    from patron.ingest import record_interactions

    ids = customers(app, 50)
    rows = [
        {
            "external_id": f"b{i}",
            "customer_id": ids[i % 50],
            "kind": "purchase",
            "occurred_at": T0,
            "amount_minor": 100 * (i + 1),
            "currency": "EUR",
        }
        for i in range(200)
    ]
    with app.transaction() as session:
        record_interactions(app, session, rows)
    total = sum(balance(app, c) for c in ids)
    assert total == sum(range(1, 201))
    assert problems(app) == []


def test_a_refund_after_expiry_does_not_take_the_expired_points_again(app):
    # Issue 9, bug 4: a full refund of a 77.00 purchase whose 77 points had expired took 77 more (balance -77).
    from patron_loyalty.expiry import expire

    (c,) = customers(app, 1)
    purchase(app, c, "p1", 7700, when=datetime(2025, 3, 10, tzinfo=UTC))
    assert expire(app, datetime(2027, 4, 1, tzinfo=UTC)) == 1
    assert balance(app, c) == 0
    refund(app, c, "r1", "p1", 7700, when=datetime(2027, 5, 1, tzinfo=UTC))
    assert balance(app, c) == 0
    assert problems(app) == []


def test_a_refund_takes_back_only_what_did_not_expire(app):
    # 30 of the 77 points were redeemed (the customer had their value), the other 47 expired:
    # a full refund takes back the 30, not 77.
    from patron_loyalty.expiry import expire

    (c,) = customers(app, 1)
    purchase(app, c, "p1", 7700, when=datetime(2025, 3, 10, tzinfo=UTC))
    redeem(app, c, 30, "gift")
    expire(app, datetime(2027, 4, 1, tzinfo=UTC))
    assert balance(app, c) == 0
    refund(app, c, "r1", "p1", 3850, when=datetime(2027, 5, 1, tzinfo=UTC))  # half: 38 points, capped at 30
    refund(app, c, "r2", "p1", 3850, when=datetime(2027, 5, 2, tzinfo=UTC))  # the rest: nothing left to take
    assert balance(app, c) == -30
    assert problems(app) == []
