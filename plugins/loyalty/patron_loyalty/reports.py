"""Reports: tier distribution and movements, points liability, earn/burn/expire by month.

Each report only reads and is deterministic for the same data and parameters:
dates are parameters (``as_of``/``since``/``until``), never "now". ``as_of`` has
the contract's meaning (``patron.contracts``): entries before 00:00 UTC of that day.
The liability's currency comes from the config or from the purchases that earned
the points, never from a default.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import case, func, literal_column, select

from patron.contracts import Column, Figure, ReportResult, Table, as_of_instant
from patron.errors import ConfigError
from patron.models import Interaction
from patron.money import ROUNDING, Money
from patron.sql import month_bucket
from patron_loyalty.config import LoyaltyConfig
from patron_loyalty.models import LedgerEntry, LoyaltyTier, LoyaltyTierChange
from patron_loyalty.report_specs import ACTIVITY, LIABILITY, TIERS
from patron_loyalty.tiers import TIERS as TIER_ORDER

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App


def _end_of(day: date | None) -> datetime | None:
    """The first instant after ``day`` (UTC), so ``< end`` includes the whole day."""
    return None if day is None else datetime.combine(day + timedelta(days=1), time(), UTC)


def _start_of(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(), UTC)


def _with_empty_tiers(dist: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """``dist`` (ranked) with a zero row for every known tier of a scheme that nobody holds."""
    out: list[tuple[str, str, int]] = []
    for scheme in dict.fromkeys(s for s, _, _ in dist):
        held = {t: n for s, t, n in dist if s == scheme}
        out += [(scheme, t, held.pop(t, 0)) for t in TIER_ORDER]
        out += [(scheme, t, n) for t, n in held.items()]
    return out


def _tier_labels(dist: list[tuple[str, str, int]]) -> list[str]:
    """``Gold`` with one scheme, ``Gold (classic)`` when several schemes share the chart."""
    several = len({s for s, _, _ in dist}) > 1
    return [f"{t.title()} ({s})" if several else t.title() for s, t, _ in dist]


class TiersReport:
    """Current tier distribution and tier movements in a period."""

    spec = TIERS
    name, title, description, params = spec.name, spec.title, spec.description, spec.params

    def run(self, app: App, session: Session, params: Mapping[str, Any]) -> ReportResult:
        dist: list[tuple[str, str, int]] = [
            (scheme, tier, n)
            for scheme, tier, n in session.execute(
                select(LoyaltyTier.scheme, LoyaltyTier.tier, func.count()).group_by(
                    LoyaltyTier.scheme, LoyaltyTier.tier
                )
            )
        ]
        # Tiers in rank order (regular → diamond), never alphabetical; the chart shows a tier nobody holds as 0.
        rank = {t: i for i, t in enumerate(TIER_ORDER)}
        dist.sort(key=lambda r: (r[0], rank.get(r[1], len(rank)), r[1]))
        shown = _with_empty_tiers(dist)
        where = []
        if params.get("since"):
            where.append(LoyaltyTierChange.changed_at >= _start_of(params["since"]))
        if params.get("until"):
            where.append(LoyaltyTierChange.changed_at < _end_of(params["until"]))
        h = LoyaltyTierChange
        # A literal, not a bound parameter: PostgreSQL must see the same expression in SELECT and GROUP BY.
        from_tier = func.coalesce(h.from_tier, literal_column("'(none)'"))
        moves = [
            tuple(r)
            for r in session.execute(
                select(h.scheme, from_tier, h.to_tier, h.reason, func.count())
                .where(*where)
                .group_by(h.scheme, from_tier, h.to_tier, h.reason)
                .order_by(h.scheme, from_tier, h.to_tier, h.reason)
            )
        ]
        return ReportResult(
            title=self.title,
            summary={"customers with a tier": sum(r[2] for r in dist), "tier changes": sum(r[4] for r in moves)},
            tables=(
                Table(
                    "distribution",
                    "Customers per tier",
                    (Column("scheme", "Scheme"), Column("tier", "Tier"), Column("customers", "Customers", "count")),
                    dist,
                ),
                Table(
                    "movements",
                    "Tier movements",
                    (
                        Column("scheme", "Scheme"),
                        Column("from", "From tier"),
                        Column("to", "To tier"),
                        Column("reason", "Reason"),
                        Column("customers", "Customers", "count"),
                    ),
                    moves,
                ),
            ),
            figures=(
                Figure(
                    "distribution",
                    "Customers per tier",
                    "bar",
                    _tier_labels(shown),
                    {"Customers": [float(n) for _, _, n in shown]},
                    x_label="Tier",
                    y_label="Customers",
                    value_format="count",
                ),
            ),
        )


class LiabilityReport:
    """Outstanding points and what they are worth."""

    spec = LIABILITY
    name, title, description, params = spec.name, spec.title, spec.description, spec.params

    def run(self, app: App, session: Session, params: Mapping[str, Any]) -> ReportResult:
        config = app.plugin_config("loyalty", LoyaltyConfig)
        where = []
        if params.get("as_of"):
            where.append(LedgerEntry.occurred_at < as_of_instant(params["as_of"]))
        per = (
            select(LedgerEntry.customer_id, func.sum(LedgerEntry.points).label("balance"))
            .where(*where)
            .group_by(LedgerEntry.customer_id)
            .subquery()
        )
        positive, negative, holders = session.execute(
            select(
                func.coalesce(func.sum(case((per.c.balance > 0, per.c.balance), else_=0)), 0),
                func.coalesce(func.sum(case((per.c.balance < 0, per.c.balance), else_=0)), 0),
                func.count().filter(per.c.balance > 0),
            )
        ).one()
        value_minor = (Decimal(int(positive)) * config.point_value_minor).quantize(Decimal(1), rounding=ROUNDING)
        currency = liability_currency(session, config, where)
        # Without a currency (no purchase earned points yet) there is no money value to state.
        value = Money(int(value_minor), currency) if currency else None
        row = (int(positive), int(negative), int(holders), value)
        return ReportResult(
            title=self.title,
            summary={
                "outstanding points": row[0],
                "liability": value,
                "customers holding points": row[2],
                "clawback debt (points)": row[1],
            },
            tables=(
                Table(
                    "liability",
                    "Points liability",
                    (
                        Column("outstanding_points", "Outstanding points", "count"),
                        Column("negative_balances", "Negative balances (points)", "count"),
                        Column("holders", "Customers holding points", "count"),
                        Column("liability", "Liability", "money"),
                    ),
                    [row],
                ),
            ),
            as_of=params.get("as_of"),
        )


def liability_currency(session: Session, config: LoyaltyConfig, where: list[Any]) -> str | None:
    """The currency points are worth: ``point_value_currency``, else ``currency``, else the earning purchases'.

    :raises ConfigError: when points were earned in several currencies and the config names none.
    """
    if config.point_value_currency or config.currency:
        return config.point_value_currency or config.currency
    # Per candidate currency, does any earn entry name a purchase in it? EXISTS stops at the first such
    # entry; a DISTINCT over the whole ledger joined to its purchases read every entry (seconds at 1M).
    candidates = select(Interaction.currency.label("code")).where(Interaction.currency.is_not(None)).distinct()
    codes = candidates.subquery()
    earned_in = (
        select(LedgerEntry.id)
        .join(Interaction, LedgerEntry.interaction_id == Interaction.id)
        .where(LedgerEntry.kind == "earn", Interaction.currency == codes.c.code, *where)
        .exists()
    )
    query = select(codes.c.code).where(earned_in).order_by(codes.c.code).limit(3)
    found = [code for code in session.scalars(query) if code]
    if len(found) > 1:
        raise ConfigError(
            f"loyalty points were earned in several currencies ({', '.join(found)}); set "
            "[plugins.loyalty] point_value_currency (and point_value_minor) to state what a point is worth"
        )
    return found[0] if found else None


class ActivityReport:
    """Earned, redeemed (burned), expired, adjusted and reversed points by month."""

    spec = ACTIVITY
    name, title, description, params = spec.name, spec.title, spec.description, spec.params
    KINDS = ("earn", "redeem", "expire", "adjust", "reverse")
    LABELS: ClassVar[dict[str, str]] = {
        "earn": "Earned",
        "redeem": "Redeemed",
        "expire": "Expired",
        "adjust": "Adjusted",
        "reverse": "Clawed back",
    }

    def run(self, app: App, session: Session, params: Mapping[str, Any]) -> ReportResult:
        where = []
        if params.get("since"):
            where.append(LedgerEntry.occurred_at >= _start_of(params["since"]))
        if params.get("until"):
            where.append(LedgerEntry.occurred_at < _end_of(params["until"]))
        month = month_bucket(LedgerEntry.occurred_at, session)
        sums = [
            func.coalesce(func.sum(case((LedgerEntry.kind == k, LedgerEntry.points), else_=0)), 0) for k in self.KINDS
        ]
        rows = [
            (m, *(int(v) for v in vals))
            for m, *vals in session.execute(select(month, *sums).where(*where).group_by(month).order_by(month))
        ]
        return ReportResult(
            title=self.title,
            summary={
                "Months": len(rows),
                **{self.LABELS[k]: sum(r[i + 1] for r in rows) for i, k in enumerate(self.KINDS)},
            },
            tables=(
                Table(
                    "by_month",
                    "Points by month",
                    (Column("month", "Month"), *(Column(k, self.LABELS[k], "count") for k in self.KINDS)),
                    rows,
                ),
            ),
            figures=(
                Figure(
                    "by_month",
                    "Points by month",
                    "bar",
                    [r[0] for r in rows],
                    {self.LABELS[k]: [float(r[i + 1]) for r in rows] for i, k in enumerate(self.KINDS)},
                    x_label="Month",
                    y_label="Points",
                ),
            ),
        )
