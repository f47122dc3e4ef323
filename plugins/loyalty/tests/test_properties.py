"""Property test: random sequences of purchases, refunds, redemptions, expiries and tier reviews.

A plain-Python model of the rules (lots consumed oldest-expiring first, debt
absorbed by new lots, proportional clawback, ``immediate`` downgrades) runs
beside the database; after every sequence the ledger, the lots and the tier
must agree with it. SQLite only: the same SQL runs on PostgreSQL in the other
tests, and a fresh server database per example would make this slow.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from patron.models import utcnow
from patron_loyalty.expiry import expire
from patron_loyalty.models import LedgerEntry, LoyaltyLot, LoyaltyTier
from patron_loyalty.redemption import InsufficientPoints, redeem
from patron_loyalty.testing import balance, problems
from patron_loyalty.tiers import months_before, recompute
from patron_sdk.data import customers, purchase, refund

THRESHOLDS = {"silver": 1000, "gold": 5000, "diamond": 20000}
BASE = (utcnow() - timedelta(days=60)).replace(hour=12, minute=0, second=0, microsecond=0)
EXPIRY_MONTHS = 24

ops = st.lists(
    st.one_of(
        st.tuples(st.just("purchase"), st.integers(0, 9000), st.integers(0, 59)),
        st.tuples(st.just("reimport"), st.integers(0, 20), st.just(0)),
        st.tuples(st.just("refund"), st.integers(0, 20), st.integers(1, 9000)),
        st.tuples(st.just("redeem"), st.integers(1, 120), st.just(0)),
        st.tuples(st.just("expire"), st.integers(0, 40), st.just(0)),
        st.tuples(st.just("review"), st.integers(0, 420), st.just(0)),
    ),
    max_size=14,
)


def _expiry(when: datetime) -> datetime:
    index = when.year * 12 + when.month - 1 + EXPIRY_MONTHS + 1
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


@dataclass
class Model:
    balance: int = 0
    lots: list[list[object]] = field(default_factory=list)  # [expires, points, remaining]
    purchases: list[tuple[str, int, int, datetime]] = field(default_factory=list)  # ext, amount, earned, when
    refunded: dict[str, int] = field(default_factory=dict)
    spend_events: list[tuple[datetime, int]] = field(default_factory=list)

    def earn(self, points: int, when: datetime) -> None:
        absorbed = min(points, max(0, -self.balance))
        self.lots.append([_expiry(when), points, points - absorbed])
        self.balance += points

    def take(self, points: int) -> None:
        left = points
        for lot in sorted(self.lots, key=lambda lot: lot[0]):  # stable: same expiry keeps id order
            used = min(left, lot[2])
            lot[2] -= used
            left -= used
        self.balance -= points

    def tier(self, as_of: datetime) -> str:
        start = months_before(as_of, 12)
        spend = sum(a for when, a in self.spend_events if start <= when < as_of)
        for name in ("diamond", "gold", "silver"):
            if spend >= THRESHOLDS[name]:
                return name
        return "regular"


counter = itertools.count()


@pytest.mark.sqlite_only
@pytest.mark.slow
def test_ledger_invariants_hold_for_any_sequence(make_patron_app):
    app = make_patron_app(
        plugins=["loyalty"],
        config={
            "loyalty": {
                "classic_thresholds": THRESHOLDS,
                "downgrade": {"classic": {"policy": "immediate"}},
                "expiry_months": EXPIRY_MONTHS,
            }
        },
    )

    @settings(
        max_examples=int(os.environ.get("LOYALTY_EXAMPLES", "30")),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(ops)
    def run(sequence):
        n = next(counter)
        (c,) = customers(app, 1, prefix=f"x{n}-")
        model = Model()
        expected_tier = None
        for i, (op, a, b) in enumerate(sequence):
            if op == "purchase":
                ext, when = f"x{n}-p{i}", BASE + timedelta(days=b)
                purchase(app, c, ext, a, when=when)
                earned = a // 100
                if earned:
                    model.earn(earned, when)
                model.purchases.append((ext, a, earned, when))
                model.spend_events.append((when, a))
            elif op == "reimport" and model.purchases:
                ext, amount, _, when = model.purchases[a % len(model.purchases)]
                assert purchase(app, c, ext, amount, when=when) == []
            elif op == "refund" and model.purchases:
                ext, amount, earned, when = model.purchases[a % len(model.purchases)]
                refund(app, c, f"x{n}-r{i}", ext, b, when=when + timedelta(days=1))
                model.spend_events.append((when + timedelta(days=1), -b))
                if earned and amount:
                    prev = model.refunded.get(ext, 0)
                    claw = earned * min(amount, prev + b) // amount - earned * min(amount, prev) // amount
                    model.refunded[ext] = prev + b
                    model.take(claw)
            elif op == "redeem":
                if model.balance >= a:
                    redeem(app, c, a, "prop")
                    model.take(a)
                else:
                    with pytest.raises(InsufficientPoints, match="insufficient points"):
                        redeem(app, c, a, "prop")
            elif op == "expire":
                as_of = _expiry(BASE) + timedelta(days=31 * a)
                expire(app, as_of)
                for lot in model.lots:
                    if lot[0] <= as_of and lot[2]:
                        model.balance -= lot[2]
                        lot[2] = 0
            elif op == "review":
                as_of = BASE + timedelta(days=a)
                with app.transaction() as session:
                    recompute(app, session, as_of)
                expected_tier = model.tier(as_of)
        assert balance(app, c) == model.balance
        assert problems(app) == []
        with app.transaction() as session:
            remaining = session.scalars(
                select(LoyaltyLot.remaining).where(LoyaltyLot.customer_id == c).order_by(LoyaltyLot.id)
            ).all()
            twice = session.scalar(
                select(func.count()).select_from(
                    select(LedgerEntry.interaction_id)
                    .where(LedgerEntry.kind == "earn", LedgerEntry.customer_id == c)
                    .group_by(LedgerEntry.interaction_id)
                    .having(func.count() > 1)
                    .subquery()
                )
            )
            tier = session.scalar(select(LoyaltyTier.tier).where(LoyaltyTier.customer_id == c))
        assert remaining == [lot[2] for lot in model.lots]
        assert twice == 0
        assert tier == expected_tier

    run()
