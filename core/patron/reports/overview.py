"""The core's own report, ``overview``: the customer base at a glance.

Registered by ``patron.builtin`` through ``patron_reports``, exactly like a
plugin's report. Every number is computed by set-based SQL that runs unchanged
on SQLite and PostgreSQL (month bucketing through ``sqlparts.month_bucket``).

Revenue is purchases minus refunds (``patron.kinds.net_amount``) in one currency
(default: the currency most purchases use). ``as_of`` follows the contract
(``patron.contracts``): only data before 00:00 UTC of that day counts. The monthly
window ends at ``as_of``: its last month is the one holding the day before
``as_of``, and when ``as_of`` is not the 1st that month is partial and labelled so
(``as_of=1997-03-15`` gives ``1997-03 (days 1-14)``, never a bare ``1997-03``).
Money is rounded half-even (``patron.money``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, distinct, func, literal, select

from patron.contracts import Column, Figure, ReportResult, Table, as_of_instant
from patron.errors import InputError
from patron.kinds import PURCHASE, REFUND, net_amount
from patron.models import Customer, Interaction
from patron.money import Money, round_money, to_minor
from patron.reports.periods import Period, change_label, change_pct
from patron.reports.specs import OVERVIEW
from patron.reports.sqlparts import bucket_month, main_currency, month_bucket, month_range, months_back

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App


@dataclass(frozen=True)
class _Sums:
    """What ``OverviewReport._sums`` reads: purchases and net revenue per piece, buyers per month, active per period."""

    purchases: list[int]
    revenue: list[int]
    buyers: list[int]
    active: dict[str, int]


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
        currency = params["currency"] or main_currency(session, end)
        if currency is not None:
            try:
                to_minor("0", currency)
            except ValueError as exc:  # an unknown code given as --param currency=...: say so, not a traceback
                raise InputError(f"--param currency={currency}: {exc}") from exc

        window = Period(start, end)
        active_now = Period(end - timedelta(days=active_days), end)
        spans = {"now": window, "previous": window.previous(), "year": window.year_earlier()}
        active_spans = {"now": active_now, "previous": active_now.previous(), "year": active_now.year_earlier()}
        # The window's months, the year-earlier period's months, and the pieces every money figure is a
        # sum of (see _pieces).
        month_spans = _month_cuts(window)
        year_months = _month_cuts(spans["year"])
        pieces = _pieces([*spans.values()], [p.start for p in [*month_spans, *year_months]])

        customers = self._customers(session, spans)
        sums = self._sums(session, pieces, currency, month_spans, active_spans)
        active = sums.active

        def purchases_in(period: Period) -> int:
            return _sum_within(pieces, sums.purchases, period)

        def revenue_in(period: Period) -> int:
            return _sum_within(pieces, sums.revenue, period)

        revenue_rows = [
            (labels[m], purchases_in(span), _money(revenue_in(span), currency))
            for m, span in zip(keys, month_spans, strict=True)
        ]
        # The same months a year earlier, for the revenue chart: only the year-earlier period's own days,
        # so a partial last month (days 1-5) is compared with days 1-5 a year before.
        year_by_month = {span.start.strftime("%Y-%m"): revenue_in(span) for span in year_months}
        year_earlier = [year_by_month.get(f"{int(m[:4]) - 1:04d}{m[4:]}", 0) for m in keys]
        money_then = {k: (purchases_in(p), revenue_in(p)) for k, p in spans.items()}

        first_by_month, new_then = self._first_purchases(session, dialect, start, end, spans)
        buyers = dict(zip(keys, sums.buyers, strict=True))
        # A buyer is new in the month of their first purchase ever, returning in any later month.
        mix_rows = [(labels[m], first_by_month.get(m, 0), buyers.get(m, 0) - first_by_month.get(m, 0)) for m in keys]

        bucket = month_bucket(dialect, Interaction.occurred_at).label("m")
        channel_rows = session.execute(
            select(func.coalesce(Interaction.channel, literal("unknown")).label("ch"), bucket, func.count())
            .where(Interaction.occurred_at >= start, Interaction.occurred_at < end)
            .group_by("ch", "m")
        ).all()
        channels = sorted({ch for ch, _, _ in channel_rows})
        heat = {(ch, bucket_month(m)): n for ch, m, n in channel_rows}

        top_rows = self._top_customers(session, start, end, top, currency)

        label = currency or "no purchases"
        # One row per key figure: its value now, in the previous period of the same length and a year earlier.
        kpis: list[tuple[str, dict[str, int | Money]]] = [
            ("Customers", {k: int(v) for k, v in customers.items()}),
            (f"Active customers (bought in the last {active_days} days)", {k: int(v) for k, v in active.items()}),
            (
                f"Revenue ({label}, {keys[0]} to {labels[keys[-1]]})",
                {k: _money(money_then[k][1], currency) for k in spans},
            ),
            ("Purchases in window", {k: money_then[k][0] for k in spans}),
            (
                f"Average order value ({label})",
                {k: _average(money_then[k][1], money_then[k][0], currency) for k in spans},
            ),
            ("New buyers in window", {k: int(v) for k, v in new_then.items()}),
        ]
        against = {
            "previous": f"previous {window.describe_length()}",
            "year": "a year earlier",
        }
        active_against = {"previous": f"previous {active_now.describe_length()}", "year": "a year earlier"}
        summary: dict[str, Any] = {}
        kpi_rows = []
        # Customers is a count at the end of each period: compared with the count that long before.
        stock_against = {"previous": f"{window.describe_length()} earlier", "year": "a year earlier"}
        for i, (name, values) in enumerate(kpis):
            words = {0: stock_against, 1: active_against}.get(i, against)
            changes = {k: change_pct(values["now"], values[k]) for k in ("previous", "year")}
            summary[name] = values["now"]
            summary[f"{name.split(' (')[0]}: change"] = "; ".join(
                change_label(changes[k], words[k]) for k in ("previous", "year")
            )
            kpi_rows.append(
                (name, values["now"], values["previous"], changes["previous"], values["year"], changes["year"])
            )
        compared = Table(
            "key_figures",
            (
                f"Key figures: {_span(window)} against the previous {window.describe_length()} "
                f"({_span(spans['previous'])}) and a year earlier ({_span(spans['year'])})"
            ),
            (
                Column("key_figure", "Key figure"),
                Column("value", "This period"),
                Column("previous", "Previous period"),
                Column("change_vs_previous_pct", "Change", "percent"),
                Column("year_earlier", "A year earlier"),
                Column("change_vs_year_earlier_pct", "Change", "percent"),
            ),
            kpi_rows,
        )
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
                compared,
            ),
            figures=(
                Figure(
                    "revenue",
                    f"Revenue by month ({label})",
                    "bar",
                    [labels[k] for k in keys],
                    {
                        "Revenue": [float(_amount(r[2])) for r in revenue_rows],
                        "Same months a year earlier": [float(_amount(_money(v, currency))) for v in year_earlier],
                    },
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

    # Every query below is one set-based statement over index ranges, with no join between two
    # aggregates (SQLite has no hash join). Where a value is wanted per time range (a month, a
    # period) it is one range scan per range rather than a GROUP BY over a computed month or day:
    # SQLite groups by sorting every row, which at 1,000,000 purchases costs more than reading them.

    @staticmethod
    def _customers(session: Session, spans: Mapping[str, Period]) -> dict[str, int]:
        """Customers created before the end of each period."""
        columns = [func.count().filter(Customer.created_at < p.end) for p in spans.values()]
        row = session.execute(select(*columns).where(Customer.created_at < max(p.end for p in spans.values()))).one()
        return {k: int(v or 0) for k, v in zip(spans, row, strict=True)}

    @staticmethod
    def _sums(
        session: Session,
        pieces: Sequence[Period],
        currency: str | None,
        months: Sequence[Period],
        active_spans: Mapping[str, Period],
    ) -> _Sums:
        """Purchases and net revenue per piece, distinct buyers per month, active customers per period: one statement.

        Each value is a scalar subquery over one time range, which both engines answer with a
        range scan of the ``(kind, occurred_at, customer_id, currency, amount_minor)`` index:
        no row is formatted into a day or month key and nothing is sorted into groups (on SQLite
        grouping a million rows costs more than reading them). Distinct counts per range only
        ever hold that range's customers.
        """
        t = Interaction.occurred_at

        def within(p: Period) -> ColumnElement[bool]:
            return and_(t >= p.start, t < p.end)

        columns: list[Any] = []
        for p in pieces:
            columns.append(
                select(func.count())
                .where(Interaction.kind == PURCHASE, Interaction.currency == currency, within(p))
                .scalar_subquery()
            )
            columns.append(
                select(func.sum(net_amount(Interaction)))
                .where(Interaction.kind.in_((PURCHASE, REFUND)), Interaction.currency == currency, within(p))
                .scalar_subquery()
            )
        for p in [*months, *active_spans.values()]:
            columns.append(
                select(func.count(distinct(Interaction.customer_id)))
                .where(Interaction.kind == PURCHASE, within(p))
                .scalar_subquery()
            )
        values = [int(v or 0) for v in session.execute(select(*columns)).one()]
        money, rest = values[: 2 * len(pieces)], values[2 * len(pieces) :]
        return _Sums(
            purchases=money[0::2],
            revenue=money[1::2],
            buyers=rest[: len(months)],
            active=dict(zip(active_spans, rest[len(months) :], strict=True)),
        )

    @staticmethod
    def _first_purchases(
        session: Session, dialect: str, start: datetime, end: datetime, spans: Mapping[str, Period]
    ) -> tuple[dict[str, int], dict[str, int]]:
        """New buyers: by month of the window, and in each period.

        A customer's first purchase is computed once (one GROUP BY over purchases, answered from the
        covering index), then counted per month (a cheap ``month_bucket``, grouped over one row per
        customer) with a filtered count per period.
        Purchases on or after ``end`` cannot make anyone's first purchase earlier, so they are left out.
        """
        first = (
            select(func.min(Interaction.occurred_at).label("first_at"))
            .where(Interaction.kind == PURCHASE, Interaction.occurred_at < end)
            .group_by(Interaction.customer_id)
            .subquery()
        )
        at = first.c.first_at
        month = month_bucket(dialect, at).label("m")
        columns = [func.count().filter(and_(at >= p.start, at < p.end)) for p in spans.values()]
        query = (
            select(month, func.count().filter(at >= start), *columns)
            .where(at >= min(start, *(p.start for p in spans.values())))
            .group_by("m")
        )
        by_month: dict[str, int] = {}
        per_period = dict.fromkeys(spans, 0)
        for m, n, *counts in session.execute(query):
            if n:
                by_month[bucket_month(m)] = int(n)
            for k, c in zip(spans, counts, strict=True):
                per_period[k] += int(c or 0)
        return by_month, per_period

    @staticmethod
    def _top_customers(
        session: Session, start: datetime, end: datetime, top: int, currency: str | None
    ) -> list[tuple[Any, ...]]:
        # Totals per customer first (one GROUP BY over the window), then names for the few at the top only.
        total = func.sum(net_amount(Interaction)).label("total")
        ranked = (
            select(
                Interaction.customer_id.label("cid"),
                func.count().filter(Interaction.kind == PURCHASE).label("n"),
                total,
                func.max(Interaction.occurred_at).label("last"),
            )
            .where(
                Interaction.occurred_at >= start,
                Interaction.occurred_at < end,
                Interaction.kind.in_((PURCHASE, REFUND)),
                Interaction.currency == currency,
            )
            .group_by(Interaction.customer_id)
            .order_by(total.desc(), Interaction.customer_id)
            .limit(top)
            .subquery()
        )
        query = (
            select(Customer.id, Customer.external_id, Customer.name, ranked.c.n, ranked.c.total, ranked.c.last)
            .join(ranked, ranked.c.cid == Customer.id)
            .order_by(ranked.c.total.desc(), Customer.id)
        )
        return [
            (rank, cid, ext, name, int(n or 0), _money(t, currency), last.date() if last else None)
            for rank, (cid, ext, name, n, t, last) in enumerate(session.execute(query), start=1)
        ]


def _month_cuts(period: Period) -> list[Period]:
    """``period`` cut at the first of every month inside it: its months, the first and last possibly partial."""
    cuts, moment = [period.start], period.start
    while True:
        moment = datetime(moment.year + moment.month // 12, moment.month % 12 + 1, 1, tzinfo=UTC)
        if moment >= period.end:
            break
        cuts.append(moment)
    return [Period(lo, hi) for lo, hi in zip(cuts, [*cuts[1:], period.end], strict=True)]


def _pieces(periods: Sequence[Period], cuts: Sequence[datetime]) -> list[Period]:
    """The smallest intervals the periods and cut points divide time into, those inside some period, in order.

    Every period, and every range between two cuts inside one, is then a sum of whole pieces, so one
    value per piece answers all of them without reading a row twice.
    """
    points = sorted({*(p.start for p in periods), *(p.end for p in periods), *cuts})
    return [Period(lo, hi) for lo, hi in pairwise(points) if any(p.start <= lo and hi <= p.end for p in periods)]


def _sum_within(pieces: Sequence[Period], values: Sequence[int], period: Period) -> int:
    """The sum of the values of the pieces inside ``period`` (a period is a union of whole pieces)."""
    return sum(v for q, v in zip(pieces, values, strict=True) if period.start <= q.start and q.end <= period.end)


def _span(period: Period) -> str:
    """``2024-01-01 to 2024-12-31``: the days a period covers."""
    return f"{period.start.date().isoformat()} to {(period.end - timedelta(days=1)).date().isoformat()}"


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
