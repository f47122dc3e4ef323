"""The core's own report, ``overview``: the customer base at a glance.

Registered by ``patron.builtin`` through ``patron_reports``, exactly like a
plugin's report. Every number is computed by set-based SQL that runs unchanged
on SQLite and PostgreSQL (month bucketing through ``sqlparts.month_key``).

Revenue is purchases minus refunds (``patron.kinds.net_amount``) in one currency
(default: the currency most purchases use). ``as_of`` follows the contract
(``patron.contracts``): only data before 00:00 UTC of that day counts. The monthly
window ends at ``as_of``: its last month is the one holding the day before
``as_of``, and when ``as_of`` is not the 1st that month is partial and labelled so
(``as_of=1997-03-15`` gives ``1997-03 (days 1-14)``, never a bare ``1997-03``).
Money is rounded half-even (``patron.money``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, distinct, func, literal, select

from patron.contracts import Column, Figure, ReportResult, Table, as_of_instant
from patron.errors import InputError
from patron.kinds import PURCHASE, REFUND, net_amount
from patron.models import Customer, Interaction
from patron.money import Money, round_money, to_minor
from patron.reports.specs import OVERVIEW
from patron.reports.sqlparts import month_key, month_range, months_back

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App


class OverviewReport:
    """Customers, active customers, revenue by month, new vs returning buyers, top customers."""

    spec = OVERVIEW
    name, title, description, params = spec.name, spec.title, spec.description, spec.params

    def run(self, app: App, session: Session, params: Mapping[str, Any]) -> ReportResult:
        months, top, active_days = params["months"], params["top"], params["active_days"]
        for key, value, low, high in (
            ("months", months, 1, 120),
            ("top", top, 0, 1000),
            ("active_days", active_days, 1, 3660),
        ):
            if not low <= value <= high:
                raise InputError(f"--param {key}={value}: must be between {low} and {high}")
        dialect = session.get_bind().dialect.name
        as_of: date = params["as_of"] or _default_as_of(session)
        end = as_of_instant(as_of)
        last_day = as_of - timedelta(days=1)
        first_month = months_back(last_day, months)
        start = datetime(first_month.year, first_month.month, 1, tzinfo=UTC)
        keys = month_range(first_month, months)
        # The SQL buckets are keyed 'YYYY-MM'; what people read says when the last month is partial.
        labels = dict(zip(keys, keys, strict=True))
        if as_of.day != 1:
            labels[keys[-1]] = f"{keys[-1]} (days 1-{last_day.day})"
        currency = params["currency"] or _main_currency(session, end)
        if currency is not None:
            try:
                to_minor("0", currency)
            except ValueError as exc:  # an unknown code given as --param currency=...: say so, not a traceback
                raise InputError(f"--param currency={currency}: {exc}") from exc

        in_window = and_(Interaction.occurred_at >= start, Interaction.occurred_at < end)
        money = and_(in_window, Interaction.kind.in_((PURCHASE, REFUND)), Interaction.currency == currency)
        net = net_amount(Interaction)
        is_purchase = case((Interaction.kind == PURCHASE, 1), else_=0)
        month = month_key(dialect, Interaction.occurred_at)

        customers = session.scalar(select(func.count()).select_from(Customer).where(Customer.created_at < end)) or 0
        active = (
            session.scalar(
                select(func.count(distinct(Interaction.customer_id))).where(
                    Interaction.kind == PURCHASE,
                    Interaction.occurred_at >= end - timedelta(days=active_days),
                    Interaction.occurred_at < end,
                )
            )
            or 0
        )

        by_month = {
            m: (int(n or 0), int(total or 0))
            for m, n, total in session.execute(
                select(month.label("m"), func.sum(is_purchase), func.sum(net)).where(money).group_by(month)
            )
        }
        revenue_rows = [
            (labels[m], by_month.get(m, (0, 0))[0], _money(by_month.get(m, (0, 0))[1], currency)) for m in keys
        ]

        mix = self._new_vs_returning(session, dialect, start, end)
        mix_rows = [(labels[m], *mix.get(m, (0, 0))) for m in keys]

        channel_rows = session.execute(
            select(func.coalesce(Interaction.channel, literal("unknown")).label("ch"), month.label("m"), func.count())
            .where(in_window)
            .group_by("ch", "m")
        ).all()
        channels = sorted({ch for ch, _, _ in channel_rows})
        heat = {(ch, m): n for ch, m, n in channel_rows}

        top_rows = self._top_customers(session, money, net, is_purchase, top, currency)

        purchases = sum(n for _, n, _ in revenue_rows)
        revenue_minor = sum(v[1] for v in by_month.values())
        label = currency or "no purchases"
        summary: dict[str, Any] = {
            "Customers": int(customers),
            f"Active customers (bought in the last {active_days} days)": int(active),
            f"Revenue ({label}, {keys[0]} to {labels[keys[-1]]})": _money(revenue_minor, currency),
            "Purchases in window": purchases,
            f"Average order value ({label})": _average(revenue_minor, purchases, currency),
            "New buyers in window": sum(r[1] for r in mix_rows),
        }
        return ReportResult(
            title=self.title,
            summary=summary,
            as_of=as_of,
            tables=(
                Table(
                    "revenue_by_month",
                    f"Revenue by month ({label})",
                    (
                        Column("month", "Month"),
                        Column("purchases", "Purchases", "count"),
                        Column("revenue", "Revenue", "money"),
                    ),
                    revenue_rows,
                ),
                Table(
                    "new_vs_returning",
                    "New vs returning buyers by month",
                    (
                        Column("month", "Month"),
                        Column("new_buyers", "New buyers", "count"),
                        Column("returning_buyers", "Returning buyers", "count"),
                    ),
                    mix_rows,
                ),
                Table(
                    "top_customers",
                    f"Top {top} customers by revenue ({label})",
                    (
                        Column("rank", "Rank", "id"),
                        Column("customer_id", "Customer ID", "id"),
                        Column("external_id", "External ID"),
                        Column("name", "Name"),
                        Column("purchases", "Purchases", "count"),
                        Column("revenue", "Revenue", "money"),
                        Column("last_purchase", "Last purchase", "date"),
                    ),
                    top_rows,
                ),
            ),
            figures=(
                Figure(
                    "revenue",
                    f"Revenue by month ({label})",
                    "bar",
                    [labels[k] for k in keys],
                    {"Revenue": [float(_amount(r[2])) for r in revenue_rows]},
                    "Month",
                    f"Revenue ({label})",
                    value_format="money" if currency else None,
                    currency=currency or "",
                ),
                Figure(
                    "buyers",
                    "New vs returning buyers",
                    "line",
                    [labels[k] for k in keys],
                    {"New": [float(r[1]) for r in mix_rows], "Returning": [float(r[2]) for r in mix_rows]},
                    "Month",
                    "Buyers",
                    value_format="count",
                ),
                Figure(
                    "channels",
                    "Interactions by channel and month",
                    "heatmap",
                    [labels[k] for k in keys],
                    {ch: [float(heat.get((ch, m), 0)) for m in keys] for ch in channels},
                    "Month",
                    "",
                    value_format="count",
                ),
            ),
        )

    @staticmethod
    def _new_vs_returning(session: Session, dialect: str, start: datetime, end: datetime) -> dict[str, tuple[int, int]]:
        # A buyer is new in the month of their first purchase ever, returning in any later month.
        first = (
            select(Interaction.customer_id.label("cid"), func.min(Interaction.occurred_at).label("first_at"))
            .where(Interaction.kind == PURCHASE)
            .group_by(Interaction.customer_id)
            .subquery()
        )
        buyers = (
            select(Interaction.customer_id.label("cid"), month_key(dialect, Interaction.occurred_at).label("m"))
            .where(Interaction.kind == PURCHASE, Interaction.occurred_at >= start, Interaction.occurred_at < end)
            .distinct()
            .subquery()
        )
        is_new = month_key(dialect, first.c.first_at) == buyers.c.m
        query = (
            select(buyers.c.m, func.sum(case((is_new, 1), else_=0)), func.sum(case((is_new, 0), else_=1)))
            .join(first, first.c.cid == buyers.c.cid)
            .group_by(buyers.c.m)
        )
        return {m: (int(new or 0), int(old or 0)) for m, new, old in session.execute(query)}

    @staticmethod
    def _top_customers(
        session: Session, money: Any, net: Any, is_purchase: Any, top: int, currency: str | None
    ) -> list[tuple[Any, ...]]:
        total = func.sum(net).label("total")
        query = (
            select(
                Customer.id,
                Customer.external_id,
                Customer.name,
                func.sum(is_purchase),
                total,
                func.max(Interaction.occurred_at),
            )
            .join(Interaction, Interaction.customer_id == Customer.id)
            .where(money)
            .group_by(Customer.id, Customer.external_id, Customer.name)
            .order_by(total.desc(), Customer.id)
            .limit(top)
        )
        return [
            (rank, cid, ext, name, int(n or 0), _money(t, currency), last.date() if last else None)
            for rank, (cid, ext, name, n, t, last) in enumerate(session.execute(query), start=1)
        ]


def _default_as_of(session: Session) -> date:
    last: datetime | None = session.scalar(select(func.max(Interaction.occurred_at)))
    if last is None:
        return datetime.now(UTC).date() + timedelta(days=1)
    return last.date() + timedelta(days=1)


def _money(minor: int | None, currency: str | None) -> Money | int:
    """A revenue cell: ``Money`` in the report's currency; plain 0 when there is no currency (no purchases)."""
    if currency is None:
        return int(minor or 0)
    return Money(int(minor or 0), currency)


def _amount(value: Money | int) -> Decimal:
    return value.amount if isinstance(value, Money) else Decimal(value)


def _average(total_minor: int, count: int, currency: str | None) -> Money | int:
    """Average order value, rounded half-even to the minor unit (never truncated)."""
    if currency is None or not count:
        return _money(0, currency)
    mean = round_money(Money(total_minor, currency).amount / count, currency)
    return Money(to_minor(mean, currency), currency)


def _main_currency(session: Session, end: datetime) -> str | None:
    query = (
        select(Interaction.currency)
        .where(Interaction.kind == PURCHASE, Interaction.currency.is_not(None), Interaction.occurred_at < end)
        .group_by(Interaction.currency)
        .order_by(func.count().desc(), Interaction.currency)
        .limit(1)
    )
    return session.scalar(query)
