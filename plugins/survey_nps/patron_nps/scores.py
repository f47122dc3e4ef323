"""The SQL behind every score: answers counted once per customer and period, then histograms.

*The dedup rule.* A customer who answers one survey more than once in one of
the survey's periods (``period``: month, quarter or year, UTC) counts once, with
the latest answer (latest ``occurred_at``, then the latest recorded); answers in
different periods all count, so no survey round drops out. Only answers in the
window ``[start, end)`` are considered, so an answer at or after ``as_of`` never
replaces one before it.

Everything is counted in the database per score (a histogram of at most eleven
rows per group); ``patron_nps.stats`` turns those integers into scores, so both
engines give the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Integer, Subquery, cast, extract, func, literal, select, union_all

from patron_nps.models import NpsAnswer

if TYPE_CHECKING:
    from sqlalchemy import CTE
    from sqlalchemy.orm import Session

    from patron.contracts import Audience

Histogram = dict[int, int]
#: Group label of all answers in a breakdown query.
ALL = ""


def year_month(dialect: str, column: Any) -> tuple[ColumnElement[int], ColumnElement[int]]:
    """The UTC year and month (1–12) of a timestamp column, as integers."""
    if dialect == "sqlite":
        # SQLite holds Patron timestamps as naive UTC text.
        return cast(func.strftime("%Y", column), Integer), cast(func.strftime("%m", column), Integer)
    utc = func.timezone("UTC", column)
    return cast(extract("year", utc), Integer), cast(extract("month", utc), Integer)


def period_key(dialect: str, column: Any, period: str) -> ColumnElement[int]:
    """An integer naming the month, quarter or year of a timestamp: ``year·12 + month − 1`` etc."""
    year, month = year_month(dialect, column)
    if period == "month":
        return year * 12 + (month - 1)
    if period == "quarter":
        return year * 4 + (month - 1) // 3
    if period == "year":
        return year
    raise ValueError(f"unknown period {period!r}")


def period_label(key: int, period: str) -> str:
    """``2025-03``, ``2025-Q1`` or ``2025`` for a ``period_key`` value."""
    if period == "month":
        return f"{key // 12:04d}-{key % 12 + 1:02d}"
    if period == "quarter":
        return f"{key // 4:04d}-Q{key % 4 + 1}"
    return f"{key:04d}"


def counted_answers(
    session: Session,
    survey: str,
    period: str,
    start: datetime | None,
    end: datetime,
    *,
    cte: bool = False,
    extra: Sequence[str] = ("occurred_at", "touchpoint"),
) -> Subquery | CTE:
    """The answers that count: ``(customer_id, score, *extra)``, one per customer and period."""
    a = NpsAnswer
    dialect = session.get_bind().dialect.name
    rank = (
        func.row_number()
        .over(
            partition_by=(a.customer_id, period_key(dialect, a.occurred_at, period)),
            order_by=(a.occurred_at.desc(), a.interaction_id.desc()),
        )
        .label("rank")
    )
    where = [a.survey == survey, a.occurred_at < end]
    if start is not None:
        where.append(a.occurred_at >= start)
    carried = [getattr(a, name) for name in extra]
    ranked = select(a.customer_id, a.score, *carried, rank).where(*where).subquery("ranked")
    kept = select(ranked.c.customer_id, ranked.c.score, *(ranked.c[name] for name in extra)).where(ranked.c.rank == 1)
    return kept.cte("counted") if cte else kept.subquery("counted")


def histogram(session: Session, survey: str, period: str, start: datetime | None, end: datetime) -> Histogram:
    """Answers per score, counted once per customer and period, in ``[start, end)``."""
    answers = counted_answers(session, survey, period, start, end, extra=())
    rows = session.execute(select(answers.c.score, func.count()).group_by(answers.c.score))
    return {int(score): int(n) for score, n in rows}


def members(session: Session, audiences: Sequence[Audience]) -> Subquery:
    """``(grp, customer_id)`` for every member of each audience, in one UNION ALL."""
    parts = []
    for audience in audiences:
        query = audience.query(session).subquery()
        column = next(iter(query.c))
        parts.append(select(literal(audience.name).label("grp"), column.label("customer_id")))
    return union_all(*parts).subquery("members")


def breakdown(
    session: Session,
    survey: str,
    period: str,
    start: datetime | None,
    end: datetime,
    audiences: Sequence[Audience],
) -> tuple[Histogram, dict[str, Histogram]]:
    """The whole histogram and one per audience, from one statement (the counted answers computed once)."""
    answers = counted_answers(session, survey, period, start, end, cte=True, extra=())
    whole = select(literal(ALL).label("grp"), answers.c.score, func.count().label("n")).group_by(answers.c.score)
    if audiences:
        m = members(session, audiences)
        groups = (
            select(m.c.grp, answers.c.score, func.count().label("n"))
            .join(m, m.c.customer_id == answers.c.customer_id)
            .group_by(m.c.grp, answers.c.score)
        )
        statement: Any = union_all(whole, groups)
    else:
        statement = whole
    overall: Histogram = {}
    per_group: dict[str, Histogram] = {a.name: {} for a in audiences}
    for grp, score, n in session.execute(statement):
        target = overall if grp == ALL else per_group[grp]
        target[int(score)] = int(n)
    return overall, per_group


def by_touchpoint(
    session: Session, survey: str, period: str, start: datetime | None, end: datetime
) -> dict[str, Histogram]:
    """One histogram per touchpoint (``(none)`` for answers without one)."""
    answers = counted_answers(session, survey, period, start, end)
    label = func.coalesce(answers.c.touchpoint, "(none)")
    found: dict[str, Histogram] = {}
    for tp, score, n in session.execute(select(label, answers.c.score, func.count()).group_by(label, answers.c.score)):
        found.setdefault(str(tp), {})[int(score)] = int(n)
    return found


def trend(
    session: Session,
    survey: str,
    period: str,
    start: datetime | None,
    end: datetime,
    interval: str,
    audience: Audience | None = None,
) -> dict[int, Histogram]:
    """Histograms per month or quarter (``period_key`` of ``interval``), optionally within one audience."""
    answers = counted_answers(session, survey, period, start, end)
    dialect = session.get_bind().dialect.name
    key = period_key(dialect, answers.c.occurred_at, interval).label("bucket")
    query = select(key, answers.c.score, func.count()).group_by(key, answers.c.score)
    if audience is not None:
        m = audience.query(session).subquery()
        query = query.join(m, next(iter(m.c)) == answers.c.customer_id)
    found: dict[int, Histogram] = {}
    for bucket, score, n in session.execute(query):
        found.setdefault(int(bucket), {})[int(score)] = int(n)
    return found


def merge(histograms: Sequence[Mapping[int, int]]) -> Histogram:
    """The sum of histograms."""
    out: Histogram = {}
    for h in histograms:
        for score, n in h.items():
            out[score] = out.get(score, 0) + n
    return out


def minus(whole: Mapping[int, int], part: Mapping[int, int]) -> Histogram:
    """``whole`` without ``part`` (the answers outside a group)."""
    return {
        score: whole.get(score, 0) - part.get(score, 0) for score in whole if whole.get(score, 0) - part.get(score, 0)
    }
