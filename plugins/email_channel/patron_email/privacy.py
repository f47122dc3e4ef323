"""GDPR export and erasure of the email data about one customer.

Erasure keeps what stops the person being mailed again and what the reports
count: send-log rows and bounces lose their address; the suppression entry
loses its address but keeps its keyed hash (``address_hash``), so an erased
address that comes back in an import is still never mailed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from patron.models import Customer
from patron_email.models import EmailBounce, EmailSend, EmailSuppression
from patron_email.suppression import Hasher

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def export(session: Session, customer_id: int) -> dict[str, Any] | None:
    """Everything the plugin holds about the customer, JSON-serialisable."""
    sends = session.execute(
        select(EmailSend.campaign, EmailSend.state, EmailSend.reason, EmailSend.address, EmailSend.message_id,
               EmailSend.template, EmailSend.purpose, EmailSend.sent_at, EmailSend.updated_at)
        .where(EmailSend.customer_id == customer_id)
        .order_by(EmailSend.id)
    ).all()  # fmt: skip
    bounces = session.execute(
        select(EmailBounce.kind, EmailBounce.address, EmailBounce.status, EmailBounce.campaign, EmailBounce.occurred_at)
        .where(EmailBounce.customer_id == customer_id)
        .order_by(EmailBounce.id)
    ).all()
    suppressions = _suppressions(session, customer_id)
    if not sends and not bounces and not suppressions:
        return None
    return {
        "sends": [{k: _iso(v) for k, v in row._mapping.items()} for row in sends],
        "bounces": [{k: _iso(v) for k, v in row._mapping.items()} for row in bounces],
        "suppressions": [
            {"address": s.address, "reason": s.reason, "campaign": s.campaign, "since": _iso(s.created_at)}
            for s in suppressions
        ],
    }


def _suppressions(session: Session, customer_id: int) -> list[EmailSuppression]:
    email = session.scalar(select(Customer.email).where(Customer.id == customer_id))
    condition = EmailSuppression.customer_id == customer_id
    if email:
        condition = condition | (EmailSuppression.address_hash == Hasher(session)(email))
    return list(session.scalars(select(EmailSuppression).where(condition).order_by(EmailSuppression.id)))


def erase(session: Session, customer_id: int) -> None:
    """Drop addresses; keep suppression hashes, states, dates and counts. Idempotent."""
    for entry in _suppressions(session, customer_id):
        entry.address = None
    session.execute(update(EmailSend).where(EmailSend.customer_id == customer_id).values(address=None))
    session.execute(update(EmailBounce).where(EmailBounce.customer_id == customer_id).values(address=None))
    session.flush()
