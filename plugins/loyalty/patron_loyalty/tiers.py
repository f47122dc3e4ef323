"""Tier schemes (the core's ``TierScheme`` contract) and the set-based tier review.

Built-in schemes, both over a rolling 12 months before ``as_of`` (the contract's
meaning: only interactions that occurred strictly before the ``as_of`` instant count):

- ``classic``: net spend (purchases minus refunds, minor units) against
  ``classic_thresholds``;
- ``frequency``: number of purchases against ``frequency_thresholds``.

``recompute`` applies the configured scheme and its downgrade policy to every
customer it places in a handful of statements, records each change in
``loyalty_tier_history`` and fires ``patron_loyalty_tiers_changed`` once.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, String, and_, case, delete, func, insert, literal, null, or_, select, update

from patron.errors import ConfigError, InputError
from patron.kinds import REFUND, net_amount
from patron.models import Customer, Interaction, UTCDateTime
from patron_loyalty.config import Downgrade, LoyaltyConfig, Thresholds
from patron_loyalty.models import LoyaltyTier, LoyaltyTierChange, LoyaltyTierReview

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.orm import InstrumentedAttribute, Session

    from patron.app import App
    from patron.contracts import AnySelect, TierScheme

    #: An ORM attribute (``Interaction.kind``) or any SQL column expression.
    ColumnExpression = ColumnElement[Any] | InstrumentedAttribute[Any]

TIERS = ("regular", "silver", "gold", "diamond")


def months_before(when: datetime, months: int) -> datetime:
    """``when`` minus ``months`` calendar months, the day clamped to the month's length."""
    index = when.year * 12 + when.month - 1 - months
    year, month = divmod(index, 12)
    day = min(when.day, calendar.monthrange(year, month + 1)[1])
    return when.replace(year=year, month=month + 1, day=day)


def _by_thresholds(value: ColumnElement[Any], t: Thresholds) -> ColumnElement[str]:
    return case(
        (value >= t.diamond, "diamond"), (value >= t.gold, "gold"), (value >= t.silver, "silver"), else_="regular"
    )


@dataclass(frozen=True)
class ClassicScheme:
    """Regular, Silver, Gold, Diamond on net spend over the 12 months before ``as_of``."""

    config: LoyaltyConfig
    name: str = "classic"
    description: str = "Regular/Silver/Gold/Diamond on net spend over a rolling 12 months."
    tiers: Sequence[str] = TIERS

    def metric(self, as_of: datetime) -> AnySelect:
        """``(customer_id, value)``: net spend in minor units in the window."""
        cfg = self.config
        # Earning kinds add their amount; refunds are subtracted by the core convention (patron.kinds).
        signed = case((Interaction.kind.in_(cfg.earn_kinds), Interaction.amount_minor), else_=net_amount(Interaction))
        where = [
            Interaction.kind.in_([*cfg.earn_kinds, REFUND]),
            Interaction.amount_minor.is_not(None),
            Interaction.occurred_at >= months_before(as_of, 12),
            Interaction.occurred_at < as_of,
        ]
        if cfg.currency:
            where.append(Interaction.currency == cfg.currency)
        return (
            select(Interaction.customer_id, func.sum(signed).label("value"))
            .where(*where)
            .group_by(Interaction.customer_id)
        )

    def qualify(self, session: Session, *, as_of: datetime) -> AnySelect:
        """Every customer with the tier their spend earns (``regular`` without any)."""
        m = self.metric(as_of).subquery()
        return select(
            Customer.id.label("customer_id"),
            _by_thresholds(func.coalesce(m.c.value, 0), self.config.classic_thresholds).label("tier"),
        ).outerjoin(m, m.c.customer_id == Customer.id)


@dataclass(frozen=True)
class FrequencyScheme(ClassicScheme):
    """Regular, Silver, Gold, Diamond on the number of purchases over the 12 months before ``as_of``."""

    name: str = "frequency"
    description: str = "Regular/Silver/Gold/Diamond on purchase count over a rolling 12 months."

    def metric(self, as_of: datetime) -> AnySelect:
        """``(customer_id, value)``: purchases in the window."""
        where = [
            Interaction.kind.in_(self.config.earn_kinds),
            Interaction.occurred_at >= months_before(as_of, 12),
            Interaction.occurred_at < as_of,
        ]
        return (
            select(Interaction.customer_id, func.count().label("value")).where(*where).group_by(Interaction.customer_id)
        )

    def qualify(self, session: Session, *, as_of: datetime) -> AnySelect:
        """Every customer with the tier their purchase count earns."""
        m = self.metric(as_of).subquery()
        return select(
            Customer.id.label("customer_id"),
            _by_thresholds(func.coalesce(m.c.value, 0), self.config.frequency_thresholds).label("tier"),
        ).outerjoin(m, m.c.customer_id == Customer.id)


def builtin_schemes(config: LoyaltyConfig) -> list[ClassicScheme]:
    """The schemes this plugin registers."""
    return [ClassicScheme(config), FrequencyScheme(config)]


def active_scheme(app: App) -> TierScheme:
    """The scheme named by ``tier_scheme``; a clear error when no enabled plugin provides it."""
    config = app.plugin_config("loyalty", LoyaltyConfig)
    if config.tier_scheme not in app.tier_schemes:
        raise ConfigError(
            f"plugins.loyalty.tier_scheme: no tier scheme named {config.tier_scheme!r}; available: "
            f"{', '.join(app.tier_schemes) or 'none'}"
        )
    return app.tier_schemes[config.tier_scheme]


def _rank(column: ColumnExpression, tiers: Sequence[str]) -> ColumnElement[int]:
    return case(*((column == t, i) for i, t in enumerate(tiers)), else_=None)


def _tier(rank: ColumnElement[Any], tiers: Sequence[str]) -> ColumnElement[str]:
    return case(*((rank == i, t) for i, t in enumerate(tiers)), else_=None)


@dataclass(frozen=True)
class ReviewResult:
    """What one recompute did."""

    review: str
    scheme: str
    placed: int
    changed: int
    upgrades: int
    downgrades: int
    #: customers who had no tier in this scheme before (counted in ``changed``, neither up nor down)
    first: int = 0

    def describe(self) -> str:
        """``12 changed (5 up, 7 down, 3 placed for the first time)``, for the commands' one-line summary."""
        first = f", {self.first} placed for the first time" if self.first else ""
        return f"{self.changed} changed ({self.upgrades} up, {self.downgrades} down{first})"


def propose(session: Session, scheme: TierScheme, policy: Downgrade, as_of: datetime) -> Select[Any]:
    """``(customer_id, old_tier, new_tier, below_since, reason)``: the scheme's rule and the downgrade policy."""
    tiers = list(scheme.tiers)
    q = scheme.qualify(session, as_of=as_of).subquery()
    q_id, q_tier = q.c[0], q.c[1]
    cur = select(LoyaltyTier).where(LoyaltyTier.scheme == scheme.name).subquery()
    qr, cr = _rank(q_tier, tiers), _rank(cur.c.tier, tiers)
    below = cur.c.below_since
    lower = and_(cr.is_not(None), qr < cr)
    new_rank: ColumnElement[Any]
    new_below: ColumnElement[Any]
    if policy.policy == "never":
        new_rank, new_below, why_down = cr, literal(None, UTCDateTime()), "kept (never)"
    elif policy.policy == "immediate":
        new_rank, new_below, why_down = qr, literal(None, UTCDateTime()), "downgrade"
    elif policy.policy == "one_step":
        new_rank, new_below, why_down = cr - 1, literal(None, UTCDateTime()), "downgrade one step"
    else:
        expired = and_(below.is_not(None), below <= as_of - timedelta(days=policy.grace_days))
        new_rank = case((expired, qr), else_=cr)
        new_below = case(
            (expired, literal(None, UTCDateTime())), (below.is_(None), literal(as_of, UTCDateTime())), else_=below
        )
        why_down = "downgrade after grace"
    rank = case((cr.is_(None), qr), (qr >= cr, qr), else_=new_rank)
    reason = case(
        (cr.is_(None), "initial"),
        (qr > cr, "qualified"),
        (qr == cr, "unchanged"),
        else_=case((rank < cr, why_down), else_="grace"),
    )
    return (
        select(
            q_id.label("customer_id"),
            cur.c.tier.label("old_tier"),
            _tier(rank, tiers).label("new_tier"),
            case((lower, new_below), else_=literal(None, UTCDateTime())).label("below_since"),
            reason.label("reason"),
        )
        .select_from(q)
        .outerjoin(cur, cur.c.customer_id == q_id)
        .where(qr.is_not(None))
    )


def recompute(app: App, session: Session, as_of: datetime) -> ReviewResult:
    """Review every customer's tier as of ``as_of`` under the active scheme (one transaction)."""
    import uuid

    from patron.ingest import fire_event

    config = app.plugin_config("loyalty", LoyaltyConfig)
    scheme = active_scheme(app)
    review = uuid.uuid4().hex
    proposal = propose(session, scheme, config.downgrade_for(scheme.name), as_of).subquery()
    session.execute(
        insert(LoyaltyTierReview).from_select(
            ["review", "customer_id", "old_tier", "new_tier", "below_since", "reason"],
            select(literal(review), *proposal.c),
        )
    )
    bad = session.scalar(
        select(func.count()).where(LoyaltyTierReview.review == review, LoyaltyTierReview.new_tier.is_(None))
    )
    if bad:
        raise InputError(f"tier scheme {scheme.name!r} placed {bad} customers in a tier not in its tiers list")
    r = LoyaltyTierReview
    changed = and_(r.review == review, or_(r.old_tier.is_(None), r.old_tier != r.new_tier))
    session.execute(
        insert(LoyaltyTierChange).from_select(
            ["customer_id", "scheme", "from_tier", "to_tier", "changed_at", "reason", "review"],
            select(
                r.customer_id,
                literal(scheme.name),
                r.old_tier,
                r.new_tier,
                literal(as_of, UTCDateTime()),
                r.reason,
                literal(review),
            ).where(changed),
        )
    )
    # Customers kept under another scheme's tier are re-placed from scratch under this one.
    session.execute(delete(LoyaltyTier).where(LoyaltyTier.scheme != scheme.name))
    pending = select(r).where(r.review == review, r.customer_id == LoyaltyTier.customer_id)
    session.execute(
        update(LoyaltyTier)
        .where(LoyaltyTier.customer_id.in_(select(r.customer_id).where(r.review == review, r.old_tier.is_not(None))))
        .values(
            tier=pending.with_only_columns(r.new_tier).scalar_subquery(),
            below_since=pending.with_only_columns(r.below_since).scalar_subquery(),
            since=case(
                (LoyaltyTier.tier == pending.with_only_columns(r.new_tier).scalar_subquery(), LoyaltyTier.since),
                else_=literal(as_of, UTCDateTime()),
            ),
            reviewed_at=literal(as_of, UTCDateTime()),
        )
    )
    session.execute(
        insert(LoyaltyTier).from_select(
            ["customer_id", "scheme", "tier", "since", "below_since", "reviewed_at"],
            select(
                r.customer_id,
                literal(scheme.name, String),
                r.new_tier,
                literal(as_of, UTCDateTime()),
                null(),
                literal(as_of, UTCDateTime()),
            ).where(r.review == review, r.old_tier.is_(None)),
        )
    )
    counts = session.execute(
        select(
            func.count(),
            func.count().filter(changed),
            func.count().filter(and_(changed, r.old_tier.is_not(None), _up(r, scheme.tiers))),
            func.count().filter(and_(changed, r.old_tier.is_not(None), ~_up(r, scheme.tiers))),
            func.count().filter(and_(changed, r.old_tier.is_(None))),
        ).where(r.review == review)
    ).one()
    changed_ids = list(session.scalars(select(r.customer_id).where(changed).order_by(r.customer_id)))
    session.execute(delete(LoyaltyTierReview).where(LoyaltyTierReview.review == review))
    if changed_ids:
        fire_event(
            app,
            "patron_loyalty_tiers_changed",
            session=session,
            scheme=scheme.name,
            review=review,
            customer_ids=changed_ids,
        )
    return ReviewResult(review, scheme.name, counts[0], counts[1], counts[2], counts[3], counts[4])


def _up(r: type[LoyaltyTierReview], tiers: Sequence[str]) -> ColumnElement[bool]:
    return _rank(r.new_tier, tiers) > _rank(r.old_tier, tiers)
