"""Per-customer calibration summaries (frequency, recency, T, mean repeat value), computed in SQL.

The models count *purchase days*: several purchase lines of one customer on one
UTC day are one purchase, worth the sum of their net values. A purchase's net
value is its amount minus the refunds naming it (kind ``refund``,
``payload.refund_of`` = the purchase's ``external_id``, same customer, dated
before the period's end); a purchase refunded in full does not count at all.
Erased customers are left out.

For a period ending at ``end`` (exclusive, midnight UTC, as every ``as_of``):

- ``frequency`` x: purchase days after the first one;
- ``recency`` t_x: from the first to the last purchase day;
- ``T``: from the first purchase day to the period's last day (``end`` − 1 day),
  so a customer who bought on the last day has t_x = T, as in Fader, Hardie and
  Lee's CDNOW data (there, the 39 weeks 1997-01-01..1997-09-30 are ``end`` =
  1997-10-01 and T = 38.86 weeks for a first purchase on 1 January);
- ``mean value``: the net value of the repeat days divided by x.

All of it is one SELECT with GROUP BY and a window function; Python receives
one row per customer, ready for the fit (no per-customer queries).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Date, Integer, and_, case, cast, func, literal, or_, select, union_all

from patron.errors import InputError
from patron.models import Customer, Interaction
from patron_clv.contract import PURCHASE, REFUND, REFUND_OF

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
    from sqlalchemy import ColumnElement, Select
    from sqlalchemy.orm import Session

EPOCH = date(1970, 1, 1)


def midnight(day: date) -> datetime:
    """00:00 UTC of ``day``: the instant a date on the command line means."""
    return datetime.combine(day, time(), tzinfo=UTC)


def day_number(column: Any, dialect: str) -> ColumnElement[int]:
    """Whole UTC days since 1970-01-01 of a timestamp column, as an integer SQL expression."""
    if dialect == "sqlite":
        # Stored as naive UTC text. julianday() is exact at midnight (…​.5); CAST truncates, so shift by a
        # million days first to make it a floor for dates before 1970 too. (date() first would cost a third more.)
        return cast(func.julianday(column) - 2440587.5 + 1_000_000, Integer) - 1_000_000
    # timezone('UTC', timestamptz) is the UTC wall time, whatever the session's time zone.
    return cast(cast(func.timezone("UTC", column), Date) - literal(EPOCH, Date), Integer)


def purchase_days(end: datetime, dialect: str, currency: str | None) -> Select[Any]:
    """SELECT ``customer_id, day, value``: one row per customer and purchase day before ``end``.

    Purchases contribute ``(amount, 1 line)``; each refunded purchase contributes
    an adjustment on its own day: ``(−refunded, 0)`` for a partial refund,
    ``(−amount, −1 line)`` when refunded in full. A day whose lines sum to 0
    was refunded entirely and is dropped. So only refund rows are joined (to
    their purchase, through its unique ``external_id``), never every purchase.
    Erased customers are filtered by the callers, once per customer.
    """
    amount = func.coalesce(Interaction.amount_minor, 0)
    in_currency = [] if currency is None else [or_(Interaction.currency == currency, Interaction.currency.is_(None))]
    # SQLite: "kind || ''" keeps the planner off the kind index. A summary reads most purchases, and scanning
    # in (customer, time) order streams the GROUP BY, where the kind index costs a rowid lookup per row and a sort.
    is_purchase = (Interaction.kind + "" if dialect == "sqlite" else Interaction.kind) == PURCHASE
    purchases = select(
        Interaction.customer_id.label("customer_id"),
        day_number(Interaction.occurred_at, dialect).label("day"),
        amount.label("value"),
        literal(1).label("lines"),
    ).where(is_purchase, Interaction.occurred_at < end, *in_currency)
    refund_of = Interaction.payload[REFUND_OF].as_string()
    refunds = (
        select(
            Interaction.customer_id.label("customer_id"),
            refund_of.label("purchase"),
            func.sum(func.abs(func.coalesce(Interaction.amount_minor, 0))).label("refunded"),
        )
        .where(Interaction.kind == REFUND, Interaction.occurred_at < end)
        .group_by(Interaction.customer_id, refund_of)
        .subquery("refunds")
    )
    in_full = and_(amount > 0, refunds.c.refunded >= amount)
    adjustments = (
        select(
            Interaction.customer_id,
            day_number(Interaction.occurred_at, dialect),
            case((in_full, -amount), else_=-refunds.c.refunded),
            case((in_full, -1), else_=0),
        )
        .select_from(refunds)
        .join(
            Interaction,
            and_(Interaction.external_id == refunds.c.purchase, Interaction.customer_id == refunds.c.customer_id),
        )
        # (is_purchase, not kind = ...: on SQLite the kind index would make every purchase probe the refunds.)
        .where(is_purchase, Interaction.occurred_at < end, *in_currency)
    )
    lines = union_all(purchases, adjustments).subquery("lines")
    return (
        select(lines.c.customer_id, lines.c.day, func.sum(lines.c.value).label("value"))
        .group_by(lines.c.customer_id, lines.c.day)
        .having(func.sum(lines.c.lines) > 0)
    )


def _not_erased(customer_id: Any) -> Any:
    """``customer_id`` belongs to a customer who has not been erased (checked once per customer)."""
    return customer_id.in_(select(Customer.id).where(Customer.erased_at.is_(None)))


def summary_query(end: datetime, dialect: str, currency: str | None) -> Select[Any]:
    """SELECT ``customer_id, frequency, first_day, last_day, repeat_value, total_value`` per customer."""
    days = purchase_days(end, dialect, currency).subquery("days")
    ranked = select(
        days.c.customer_id,
        days.c.day,
        days.c.value,
        func.min(days.c.day).over(partition_by=days.c.customer_id).label("first_day"),
    ).subquery("ranked")
    return (
        select(
            ranked.c.customer_id,
            (func.count() - 1).label("frequency"),
            ranked.c.first_day,
            func.max(ranked.c.day).label("last_day"),
            cast(func.sum(case((ranked.c.day > ranked.c.first_day, ranked.c.value), else_=0)), BigInteger).label(
                "repeat_value"
            ),
            cast(func.sum(ranked.c.value), BigInteger).label("total_value"),
        )
        .where(_not_erased(ranked.c.customer_id))
        .group_by(ranked.c.customer_id, ranked.c.first_day)
        .order_by(ranked.c.customer_id)
    )


@dataclass(frozen=True)
class Summary:
    """Arrays aligned by customer: the models' inputs plus what predictions and reports need."""

    calibration_end: date
    unit_days: int
    customer_id: NDArray[np.int64]
    frequency: NDArray[np.float64]
    recency: NDArray[np.float64]
    T: NDArray[np.float64]
    mean_value: NDArray[np.float64]
    total_value: NDArray[np.int64]
    first_day: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.customer_id.size)


def check_currency(session: Session, end: datetime, currency: str | None) -> str | None:
    """The currency of the purchases before ``end``; refuse several unless one is configured."""
    if currency is not None:
        return currency
    found = sorted(
        c
        for c in session.scalars(
            select(Interaction.currency).where(Interaction.kind == PURCHASE, Interaction.occurred_at < end).distinct()
        )
        if c is not None
    )
    if len(found) > 1:
        raise InputError(
            f"purchases are in several currencies ({', '.join(found)}); CLV adds money up, so set "
            f'currency = "{found[0]}" (or another) in [plugins.clv]'
        )
    return found[0] if found else None


def summarise(session: Session, calibration_end: date, unit_days: int, currency: str | None) -> Summary:
    """The calibration summary of every customer with a purchase before ``calibration_end``."""
    import numpy as np

    end = midnight(calibration_end)
    dialect = session.get_bind().dialect.name
    rows = session.execute(summary_query(end, dialect, currency)).all()
    last_day = (calibration_end - EPOCH).days - 1
    data = np.array([tuple(r) for r in rows], dtype=np.int64).reshape(-1, 6)
    customer_id, frequency, first, last, repeat_value, total_value = data.T
    x = frequency.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_value = np.where(x > 0, repeat_value / np.maximum(x, 1), np.nan)
    return Summary(
        calibration_end=calibration_end,
        unit_days=unit_days,
        customer_id=customer_id,
        frequency=x,
        recency=(last - first) / unit_days,
        T=(last_day - first) / unit_days,
        mean_value=mean_value,
        total_value=total_value,
        first_day=first,
    )


def _cohort_days(session: Session, calibration_end: date, end: date, currency: str | None) -> Any:
    """Purchase days before ``end`` of customers whose first purchase day is before ``calibration_end``."""
    dialect = session.get_bind().dialect.name
    days = purchase_days(midnight(end), dialect, currency).subquery("days")
    ranked = select(
        days.c.customer_id,
        days.c.day,
        func.min(days.c.day).over(partition_by=days.c.customer_id).label("first_day"),
    ).subquery("ranked")
    return ranked


def holdout_actuals(session: Session, calibration_end: date, holdout_end: date, currency: str | None) -> dict[int, int]:
    """Purchase days in ``[calibration_end, holdout_end)`` per customer of the calibration cohort."""
    ranked = _cohort_days(session, calibration_end, holdout_end, currency)
    start = (calibration_end - EPOCH).days
    rows = session.execute(
        select(ranked.c.customer_id, func.count())
        .where(ranked.c.first_day < start, ranked.c.day >= start, _not_erased(ranked.c.customer_id))
        .group_by(ranked.c.customer_id)
    ).all()
    return {int(c): int(n) for c, n in rows}


def repeat_days_per_day(session: Session, calibration_end: date, end: date, currency: str | None) -> dict[int, int]:
    """Repeat purchase days of the calibration cohort per calendar day before ``end`` (day number → count)."""
    ranked = _cohort_days(session, calibration_end, end, currency)
    start = (calibration_end - EPOCH).days
    rows = session.execute(
        select(ranked.c.day, func.count())
        .where(ranked.c.first_day < start, ranked.c.day > ranked.c.first_day, _not_erased(ranked.c.customer_id))
        .group_by(ranked.c.day)
        .order_by(ranked.c.day)
    ).all()
    return {int(d): int(n) for d, n in rows}
