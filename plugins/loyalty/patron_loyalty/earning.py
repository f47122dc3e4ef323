"""Earning and clawback from recorded interactions, set-based, inside the import transaction.

``patron_interactions_recorded`` passes only newly inserted interactions, and
every entry written here has a unique idempotency key derived from its source
(``earn:<interaction id>``, ``first-purchase:<customer id>``,
``reverse:<refund interaction id>``), so nothing is ever earned or clawed back twice.

Refunds follow the core convention (``patron.kinds``): kind ``refund``, a
positive amount, ``payload.refund_of`` naming the purchase's external id, same
customer. A refund claws back the purchase's earned points proportionally;
cumulative refunds never claw back more than was earned, nor more than is still
unexpired from that purchase (points that already expired are not taken twice).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Float, String, and_, case, cast, func, literal, select
from sqlalchemy.orm import InstrumentedAttribute, aliased

from patron.kinds import REFUND, REFUND_OF
from patron.models import Interaction, utcnow
from patron.sql import floor_nonnegative, insert_ignore, unindexed
from patron_loyalty import ledger
from patron_loyalty.config import LoyaltyConfig
from patron_loyalty.models import LedgerEntry, LoyaltyTier

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.orm import InstrumentedAttribute, Session

    #: An ORM attribute (``Interaction.kind``) or any SQL column expression.
    ColumnExpression = ColumnElement[Any] | InstrumentedAttribute[Any]

#: Tolerance for double-precision products: 19.99 x 1.0 must give 1999/100 = 19 points, not 18.
EPSILON = 1e-6
LEDGER_COLUMNS = [
    "customer_id",
    "kind",
    "points",
    "source",
    "interaction_id",
    "purchase_id",
    "amount_minor",
    "idempotency_key",
    "batch",
    "occurred_at",
    "recorded_at",
]


def _multiplier(column: ColumnExpression, factors: Mapping[str, Decimal]) -> ColumnElement[Any]:
    if not factors:
        return literal(1.0, Float)
    return case(*((column == name, literal(float(f), Float)) for name, f in factors.items()), else_=literal(1.0, Float))


def _round(session: Session, value: ColumnElement[Any], rule: str) -> ColumnElement[int]:
    if rule == "ceil":
        return floor_nonnegative(value + (1 - EPSILON), session)
    if rule == "half_up":
        return floor_nonnegative(value + (0.5 + EPSILON), session)
    return floor_nonnegative(value + EPSILON, session)


def on_interactions_recorded(session: Session, config: LoyaltyConfig, interaction_ids: Sequence[int]) -> None:
    """Earn points for the purchases and claw back points for the refunds among ``interaction_ids``."""
    if not interaction_ids:
        return
    in_batch = _among(Interaction.id, interaction_ids)
    # Every statement below finds its rows by the batch's id range: never by the kind index (all purchases ever).
    relevant = and_(in_batch, unindexed(Interaction.kind, session).in_([*config.earn_kinds, REFUND]))
    if session.scalar(select(Interaction.id).where(relevant).limit(1)) is None:
        return
    ledger.lock_accounts(session, select(Interaction.customer_id).where(relevant))
    # One batch for earnings and clawbacks: lots open before clawbacks consume them, balances move once.
    batch = ledger.new_batch(session)
    _earn(session, config, in_batch, batch)
    _claw_back(session, config, list(interaction_ids), batch)
    ledger.apply_balances(session, batch)


def _among(column: ColumnExpression, ids: Sequence[int]) -> ColumnElement[bool]:
    """``column IN ids``; a BETWEEN when the ids are one contiguous run (the usual bulk insert), much cheaper."""
    low, high = min(ids), max(ids)
    if high - low + 1 == len(ids) and len(set(ids)) == len(ids):
        return column.between(low, high)
    return column.in_(list(ids))


def _earn(session: Session, config: LoyaltyConfig, in_batch: ColumnElement[bool], batch: ledger.Batch) -> None:
    now = utcnow()
    earning = and_(
        in_batch,
        unindexed(Interaction.kind, session).in_(config.earn_kinds),
        Interaction.amount_minor > 0,
        Interaction.currency == config.currency if config.currency else literal(True),
    )
    rate = float(config.points_per_unit) / config.minor_per_unit
    raw = (
        cast(Interaction.amount_minor, Float)
        * literal(rate, Float)
        * _multiplier(Interaction.kind, config.kind_multipliers)
        * _multiplier(Interaction.channel, config.channel_multipliers)
        * _multiplier(LoyaltyTier.tier, config.tier_multipliers)
    )
    points = _round(session, raw, config.rounding)
    rows = select(
        Interaction.customer_id,
        literal("earn"),
        points,
        literal("interaction"),
        Interaction.id,
        literal(None, BigInteger),
        Interaction.amount_minor,
        literal("earn:") + cast(Interaction.id, String),
        literal(batch.token),
        Interaction.occurred_at,
        literal(now, LedgerEntry.recorded_at.type),
    ).where(earning, points > 0)
    if config.tier_multipliers:
        # Only join the tiers when they change the rate: most programmes have no tier multipliers.
        rows = rows.outerjoin(LoyaltyTier, LoyaltyTier.customer_id == Interaction.customer_id)
    ignore = insert_ignore(LedgerEntry, session, index_elements=["idempotency_key"])
    session.execute(ignore.from_select(LEDGER_COLUMNS, rows))
    if config.first_purchase_bonus:
        first = (
            select(
                Interaction.customer_id,
                func.min(Interaction.id).label("id"),
                func.min(Interaction.occurred_at).label("occurred_at"),
            )
            .where(earning)
            .group_by(Interaction.customer_id)
            .subquery()
        )
        bonus = select(
            first.c.customer_id,
            literal("earn"),
            literal(config.first_purchase_bonus, BigInteger),
            literal("interaction"),
            first.c.id,
            literal(None, BigInteger),
            literal(None, BigInteger),
            literal("first-purchase:") + cast(first.c.customer_id, String),
            literal(batch.token),
            first.c.occurred_at,
            literal(now, LedgerEntry.recorded_at.type),
        ).where(first.c.customer_id.is_not(None))
        ignore = insert_ignore(LedgerEntry, session, index_elements=["idempotency_key"])
        session.execute(ignore.from_select(LEDGER_COLUMNS, bonus))
    ledger.open_lots(session, batch, config.expiry_months)


def _claw_back(session: Session, config: LoyaltyConfig, interaction_ids: list[int], batch: ledger.Batch) -> None:
    refund = aliased(Interaction, name="refund")
    purchase = aliased(Interaction, name="purchase")
    earned = aliased(LedgerEntry, name="earned")
    prior = aliased(LedgerEntry, name="prior")
    lapsed = aliased(LedgerEntry, name="lapsed")
    refunded_before = (
        select(func.coalesce(func.sum(prior.amount_minor), 0))
        .where(prior.purchase_id == purchase.id, prior.kind == "reverse")
        .scalar_subquery()
    )
    # What expired from the purchase's own lot (its id is the earn entry's) is no longer there to take back.
    expired = (
        select(func.coalesce(-func.sum(lapsed.points), 0))
        .where(lapsed.lot_id == earned.id, lapsed.kind == "expire")
        .scalar_subquery()
    )
    amount = refund.amount_minor
    pairs = (
        select(
            refund.id.label("refund_id"),
            refund.customer_id,
            refund.occurred_at,
            purchase.id.label("purchase_id"),
            amount.label("amount"),
            earned.points.label("earned"),
            (earned.points - expired).label("unexpired"),
            earned.amount_minor.label("base"),
            # sum() of integers is numeric on PostgreSQL, where ``//`` would then divide exactly and the
            # insert round: cast back to an integer so both engines floor (74 points, not 73 on PostgreSQL).
            cast(
                refunded_before + func.sum(amount).over(partition_by=purchase.id, order_by=refund.id, rows=(None, 0)),
                BigInteger,
            ).label("cum"),
        )
        .select_from(refund)
        .join(
            purchase,
            and_(
                purchase.external_id == refund.payload[REFUND_OF].as_string(),
                purchase.customer_id == refund.customer_id,
            ),
        )
        .join(earned, earned.idempotency_key == literal("earn:") + cast(purchase.id, String))
        .where(_among(refund.id, interaction_ids), unindexed(refund.kind, session) == REFUND, refund.amount_minor > 0)
        .subquery()
    )
    after = ledger.least(pairs.c.cum, pairs.c.base)
    before = ledger.least(pairs.c.cum - pairs.c.amount, pairs.c.base)
    # ``//``: SQLAlchemy 2 renders ``/`` as true division; clawbacks are whole points. The cumulative
    # targets are capped at what has not expired, so a refund after expiry never takes points twice.
    cap = pairs.c.unexpired
    points = ledger.least(pairs.c.earned * after // pairs.c.base, cap) - ledger.least(
        pairs.c.earned * before // pairs.c.base, cap
    )
    rows = select(
        pairs.c.customer_id,
        literal("reverse"),
        -points,
        literal("interaction"),
        pairs.c.refund_id,
        pairs.c.purchase_id,
        pairs.c.amount,
        literal("reverse:") + cast(pairs.c.refund_id, String),
        literal(batch.token),
        pairs.c.occurred_at,
        literal(utcnow(), LedgerEntry.recorded_at.type),
    ).where(pairs.c.base > 0)
    ignore = insert_ignore(LedgerEntry, session, index_elements=["idempotency_key"])
    session.execute(ignore.from_select(LEDGER_COLUMNS, rows))
    ledger.consume(session, batch)
