"""Consent: the current state derived from the append-only consent log.

The log (``patron.models.Consent``) is never updated or deleted (database
triggers refuse it); the current consent of a customer for a ``(channel,
purpose)`` is the latest entry by ``occurred_at``, then ``id``. Everything here is
a set-based query, so a channel can ask "who may I email for marketing?" for a
million customers in one statement (``consenting_customers``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, select

from patron.contracts import ConsentChange
from patron.models import Consent, Customer, utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App


@dataclass(frozen=True)
class ConsentState:
    """The current consent of one customer for one channel and purpose."""

    customer_id: int
    channel: str
    purpose: str
    granted: bool
    occurred_at: datetime
    source: str


def latest_entries(
    *, channel: str | None = None, purpose: str | None = None, customer_ids: Iterable[int] | None = None
) -> Select[Any]:
    """A SELECT of the latest log entry per (customer, channel, purpose), optionally filtered.

    Columns: ``customer_id, channel, purpose, granted, occurred_at, source``.
    """
    conditions = []
    if channel is not None:
        conditions.append(Consent.channel == channel)
    if purpose is not None:
        conditions.append(Consent.purpose == purpose)
    if customer_ids is not None:
        conditions.append(Consent.customer_id.in_(list(customer_ids)))
    ranked = (
        select(
            Consent.customer_id,
            Consent.channel,
            Consent.purpose,
            Consent.granted,
            Consent.occurred_at,
            Consent.source,
            func.row_number()
            .over(
                partition_by=(Consent.customer_id, Consent.channel, Consent.purpose),
                order_by=(Consent.occurred_at.desc(), Consent.id.desc()),
            )
            .label("rank"),
        )
        .where(*conditions)
        .subquery("ranked_consents")
    )
    return select(
        ranked.c.customer_id,
        ranked.c.channel,
        ranked.c.purpose,
        ranked.c.granted,
        ranked.c.occurred_at,
        ranked.c.source,
    ).where(ranked.c.rank == 1)


def consenting_customers(channel: str, purpose: str) -> Select[Any]:
    """A SELECT of one column, ``customer_id``: customers whose latest entry grants consent.

    Customers with no entry have not consented; erased customers never appear.
    Use it as an audience or a subquery: ``Customer.id.in_(consenting_customers("email", "marketing"))``.
    """
    latest = latest_entries(channel=channel, purpose=purpose).subquery("latest_consents")
    return (
        select(latest.c.customer_id)
        .join(Customer, Customer.id == latest.c.customer_id)
        .where(latest.c.granted.is_(True), Customer.erased_at.is_(None))
    )


def current_states(session: Session, customer_ids: Iterable[int]) -> list[ConsentState]:
    """The current consent states of some customers, ordered by customer, channel, purpose."""
    ids = list(customer_ids)
    if not ids:
        return []
    query = latest_entries(customer_ids=ids).order_by("customer_id", "channel", "purpose")
    return [ConsentState(*row) for row in session.execute(query)]


def record(
    app: App,
    session: Session,
    customer_id: int,
    *,
    channel: str,
    purpose: str,
    granted: bool,
    source: str,
    occurred_at: datetime | None = None,
) -> ConsentChange:
    """Append one grant or revocation to the log (events fire) and return it."""
    from patron.ingest import append_consents

    change = ConsentChange(customer_id, channel, purpose, granted, occurred_at or utcnow(), source)
    append_consents(app, session, [change])
    return change
