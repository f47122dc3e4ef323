"""The follow-up queue: list, assign, close, and how long closing took.

A follow-up is opened when an answer scores at or below its survey's
``followup_at_or_below`` (see ``answers``). Someone assigns it, calls the
customer and closes it with a note. Time to close is ``closed_at − opened_at``
(opened = when the customer answered), in days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import ColumnElement, and_, func, select, update

from patron.errors import InputError, NotFoundError
from patron.models import Customer, Interaction
from patron_nps.models import NpsFollowup

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

Status = Literal["open", "closed", "all"]


def days_between(dialect: str, start: Any, end: Any) -> ColumnElement[Any]:
    """``end − start`` in (fractional) days, computed by the database."""
    if dialect == "sqlite":
        return func.julianday(end) - func.julianday(start)
    return func.extract("epoch", end - start) / 86400.0


def listing(
    session: Session, status: Status = "open", survey: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Follow-ups, oldest first: id, customer, survey, score, opened, assignee, closed, note, comment."""
    f = NpsFollowup
    query = (
        select(
            f.id,
            Customer.external_id,
            f.survey,
            f.score,
            f.opened_at,
            f.assignee,
            f.closed_at,
            f.note,
            Interaction.payload,
        )
        .join(Customer, Customer.id == f.customer_id)
        .join(Interaction, Interaction.id == f.interaction_id)
        .order_by(f.opened_at, f.id)
        .limit(limit)
    )
    if status == "open":
        query = query.where(f.closed_at.is_(None))
    elif status == "closed":
        query = query.where(f.closed_at.is_not(None))
    if survey:
        query = query.where(f.survey == survey)
    return [
        {
            "id": r.id,
            "customer": r.external_id,
            "survey": r.survey,
            "score": r.score,
            "opened_at": r.opened_at.isoformat(),
            "assignee": r.assignee,
            "closed_at": r.closed_at.isoformat() if r.closed_at else None,
            "note": r.note,
            "comment": (r.payload or {}).get("comment"),
        }
        for r in session.execute(query)
    ]


def _get(session: Session, followup_id: int) -> NpsFollowup:
    found = session.get(NpsFollowup, followup_id)
    if found is None:
        raise NotFoundError(f"no follow-up {followup_id}; list them with 'patron nps followups list'")
    return found


def assign(session: Session, followup_id: int, assignee: str, now: datetime) -> NpsFollowup:
    """Give an open follow-up to ``assignee`` (reassigning is allowed)."""
    if not assignee.strip():
        raise InputError("the assignee is empty; give a name or email, e.g. 'patron nps followups assign 12 ana'")
    found = _get(session, followup_id)
    if found.closed_at is not None:
        raise InputError(f"follow-up {followup_id} was closed on {found.closed_at.date()}; it cannot be assigned")
    session.execute(
        update(NpsFollowup).where(NpsFollowup.id == followup_id).values(assignee=assignee.strip(), assigned_at=now)
    )
    session.refresh(found)
    return found


def close(session: Session, followup_id: int, note: str, now: datetime) -> NpsFollowup:
    """Close an open follow-up with a note saying what was done."""
    if not note.strip():
        raise InputError("--note is empty; say what was done, e.g. --note 'called, refunded the delivery fee'")
    found = _get(session, followup_id)
    if found.closed_at is not None:
        raise InputError(f"follow-up {followup_id} is already closed (on {found.closed_at.date()})")
    if now < found.opened_at:
        raise InputError(f"follow-up {followup_id} was opened at {found.opened_at.isoformat()}, after the close time")
    session.execute(
        update(NpsFollowup)
        .where(NpsFollowup.id == followup_id, NpsFollowup.closed_at.is_(None))
        .values(closed_at=now, note=note.strip())
    )
    session.refresh(found)
    return found


@dataclass(frozen=True)
class QueueStats:
    """One survey's follow-ups as of a moment."""

    survey: str
    opened: int
    open: int
    overdue: int
    closed: int
    median_days_to_close: float | None
    mean_days_to_close: float | None


def queue_stats(session: Session, as_of: datetime, sla_days: int) -> list[QueueStats]:
    """Per survey: opened before ``as_of``, still open at it, overdue, closed, and days to close."""
    f = NpsFollowup
    dialect = session.get_bind().dialect.name
    closed_by = and_(f.closed_at.is_not(None), f.closed_at < as_of)
    duration = days_between(dialect, f.opened_at, f.closed_at)
    rows = session.execute(
        select(
            f.survey,
            func.count(),
            func.count().filter(~closed_by),
            func.count().filter(~closed_by, f.opened_at < as_of - timedelta(days=sla_days)),
            func.count().filter(closed_by),
            func.avg(duration).filter(closed_by),
        )
        .where(f.opened_at < as_of)
        .group_by(f.survey)
        .order_by(f.survey)
    ).all()
    found = []
    for survey, opened, still_open, overdue, closed, mean_days in rows:
        median = None
        if closed:
            # The median by ordering in the database: the middle one (or the two middle ones) of the durations.
            ordered = (
                select(duration.label("d")).where(f.survey == survey, f.opened_at < as_of, closed_by).order_by(duration)
            )
            middle = [float(d) for d in session.scalars(ordered.offset((closed - 1) // 2).limit(2 - closed % 2))]
            median = round(sum(middle) / len(middle), 2)
        found.append(
            QueueStats(
                survey,
                opened,
                still_open,
                overdue,
                closed,
                median,
                None if mean_days is None else round(float(mean_days), 2),
            )
        )
    return found
