"""Tier schemes, downgrade policies, tier history and the tier-changed event, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from patron import hookimpl
from patron.errors import ConfigError
from patron_loyalty.models import LoyaltyTier, LoyaltyTierChange
from patron_loyalty.tiers import months_before, recompute
from patron_sdk.data import customers, purchase, refund

AS_OF = datetime(2025, 12, 31, tzinfo=UTC)
THRESHOLDS = {"silver": 1000, "gold": 5000, "diamond": 10000}


def _app(make_patron_app, scheme="classic", policy="immediate", grace_days=30):
    return make_patron_app(
        plugins=["loyalty"],
        config={
            "loyalty": {
                "tier_scheme": scheme,
                "classic_thresholds": THRESHOLDS,
                "frequency_thresholds": {"silver": 2, "gold": 3, "diamond": 4},
                "downgrade": {scheme: {"policy": policy, "grace_days": grace_days}},
            }
        },
    )


def _review(app, as_of=AS_OF):
    with app.transaction() as session:
        return recompute(app, session, as_of)


def _tier(app, c):
    with app.transaction() as session:
        return session.scalar(select(LoyaltyTier.tier).where(LoyaltyTier.customer_id == c))


def test_months_before_clamps_the_day():
    assert months_before(datetime(2025, 3, 31, tzinfo=UTC), 1) == datetime(2025, 2, 28, tzinfo=UTC)
    assert months_before(datetime(2024, 2, 29, tzinfo=UTC), 12) == datetime(2023, 2, 28, tzinfo=UTC)


def test_classic_qualifies_on_rolling_net_spend_and_records_history(make_patron_app):
    app = _app(make_patron_app)
    a, b, c = customers(app, 3)
    purchase(app, a, "a1", 6000, when=AS_OF - timedelta(days=10))
    purchase(app, b, "b1", 6000, when=AS_OF - timedelta(days=400))  # outside the 12 months
    purchase(app, c, "c1", 6000, when=AS_OF - timedelta(days=10))
    refund(app, c, "c1r", "c1", 5500, when=AS_OF - timedelta(days=5))  # net 500
    result = _review(app)
    assert (result.placed, result.changed) == (3, 3)
    assert (result.upgrades, result.downgrades, result.first) == (0, 0, 3)  # first placements are neither
    assert result.describe() == "3 changed (0 up, 0 down, 3 placed for the first time)"
    assert [_tier(app, x) for x in (a, b, c)] == ["gold", "regular", "regular"]
    with app.transaction() as session:
        rows = session.execute(
            select(LoyaltyTierChange.from_tier, LoyaltyTierChange.to_tier, LoyaltyTierChange.reason).where(
                LoyaltyTierChange.customer_id == a
            )
        ).all()
    assert rows == [(None, "gold", "initial")]
    assert _review(app).changed == 0  # a second review with the same data changes nothing


def test_frequency_scheme_counts_purchases(make_patron_app):
    app = _app(make_patron_app, scheme="frequency")
    (a,) = customers(app, 1)
    for i in range(3):
        purchase(app, a, f"a{i}", 10, when=AS_OF - timedelta(days=i + 1))
    _review(app)
    assert _tier(app, a) == "gold"


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("never", ["diamond", "diamond", "diamond"]),
        ("immediate", ["diamond", "regular", "regular"]),
        ("one_step", ["diamond", "gold", "silver"]),
        ("grace_days", ["diamond", "diamond", "regular"]),
    ],
)
def test_downgrade_policies(make_patron_app, policy, expected):
    app = _app(make_patron_app, policy=policy, grace_days=30)
    (a,) = customers(app, 1)
    purchase(app, a, "a1", 20000, when=datetime(2024, 6, 1, tzinfo=UTC))
    seen = []
    for as_of in (
        datetime(2024, 7, 1, tzinfo=UTC),
        datetime(2025, 7, 1, tzinfo=UTC),
        datetime(2025, 8, 15, tzinfo=UTC),
    ):
        _review(app, as_of)
        seen.append(_tier(app, a))
    assert seen == expected


def test_unknown_scheme_is_a_config_error(make_patron_app):
    app = make_patron_app(plugins=["loyalty"], config={"loyalty": {"tier_scheme": "nope"}})
    with pytest.raises(
        ConfigError, match=r"plugins\.loyalty\.tier_scheme: no tier scheme named 'nope'; available: classic, frequency"
    ):
        _review(app)


class Listener:
    """Another plugin acting on tier changes (optionalhook: the spec is loyalty's)."""

    def __init__(self):
        self.calls = []

    @hookimpl(optionalhook=True)
    def patron_loyalty_tiers_changed(self, session, scheme, review, customer_ids):
        to = dict(
            session.execute(
                select(LoyaltyTierChange.customer_id, LoyaltyTierChange.to_tier).where(
                    LoyaltyTierChange.review == review
                )
            ).all()
        )
        self.calls.append((scheme, [to[c] for c in customer_ids]))


def test_tiers_changed_event_fires_once_per_review(make_patron_app, patron_inline_plugin):
    app = _app(make_patron_app)
    listener = patron_inline_plugin(app, Listener(), "listener")
    a, _b = customers(app, 2)
    purchase(app, a, "a1", 1500, when=AS_OF - timedelta(days=1))
    _review(app)
    _review(app)  # nothing changed: no event
    assert listener.calls == [("classic", ["silver", "regular"])]


def test_tier_multiplier_applies_after_a_review(make_patron_app):
    from patron_loyalty.testing import balance

    app = make_patron_app(
        plugins=["loyalty"], config={"loyalty": {"classic_thresholds": THRESHOLDS, "tier_multipliers": {"gold": 2}}}
    )
    a, b = customers(app, 2)
    purchase(app, a, "a1", 6000, when=AS_OF - timedelta(days=3))  # 60 points, qualifies for gold
    _review(app)
    purchase(app, a, "a2", 1000, when=AS_OF)  # gold: 10 x 2
    purchase(app, b, "b1", 1000, when=AS_OF)  # regular: 10
    assert (balance(app, a), balance(app, b)) == (80, 10)


def test_patron_refresh_expires_then_reviews_tiers_and_changes_nothing_twice(make_patron_app, patron_cli):
    app = _app(make_patron_app)
    (a,) = customers(app, 1)
    purchase(app, a, "a1", 6000, when=AS_OF - timedelta(days=10))
    first = patron_cli(app, "refresh", "--as-of", "2025-12-31")
    assert first.exit_code == 0, first.output
    assert "tier review (classic): 1 customers, 1 changed (0 up, 0 down, 1 placed for the first time)" in first.output
    assert _tier(app, a) == "gold"
    second = patron_cli(app, "refresh", "--as-of", "2025-12-31")
    assert "0 expiry entries; tier review (classic): 1 customers, 0 changed" in second.output


def test_the_tiers_changed_spec_exists_as_soon_as_the_app_is_built(make_patron_app):
    """Added through patron_addhooks before check_pending, not lazily when the event first fires."""
    app = make_patron_app(plugins=["loyalty"], migrate=False)
    assert app.pm.hook.patron_loyalty_tiers_changed.has_spec()


def test_a_misspelled_implementation_of_the_tiers_changed_hook_fails_loudly(make_patron_app, patron_inline_plugin):
    import pluggy

    class Typo:
        @hookimpl
        def patron_loyalty_tier_changed(self, session, scheme, review, customer_ids):  # type: ignore[no-untyped-def]
            """Misspelled: 'tier' for 'tiers'."""

    app = make_patron_app(plugins=["loyalty"], migrate=False)
    with pytest.raises(pluggy.PluginValidationError, match="patron_loyalty_tier_changed"):
        patron_inline_plugin(app, Typo(), name="typo")
