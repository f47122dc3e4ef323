"""The customer-360 panel: suppression state and the latest messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from patron.models import Customer
from patron_email.models import EmailSend

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App

LATEST = 5


class EmailPanel:
    """Whether the customer's address is suppressed, and their last messages."""

    name = "email"
    title = "Email"

    def render(self, app: App, session: Session, customer_id: int) -> Mapping[str, Any] | None:
        from patron_email.unsubscribe import suppressed_state

        customer = session.get(Customer, customer_id)
        if customer is None:
            return None
        sends = session.execute(
            select(EmailSend.campaign, EmailSend.state, EmailSend.reason, EmailSend.sent_at, EmailSend.updated_at)
            .where(EmailSend.customer_id == customer_id)
            .order_by(EmailSend.updated_at.desc(), EmailSend.id.desc())
            .limit(LATEST)
        ).all()
        entry = suppressed_state(session, customer.email) if customer.email else None
        if not sends and entry is None:
            return None
        suppressed = f"yes: {entry.reason} since {entry.created_at.date().isoformat()}" if entry is not None else "no"
        latest = "; ".join(
            f"{s.campaign}: {s.state}{f' ({s.reason})' if s.reason else ''} "
            f"{(s.sent_at or s.updated_at).date().isoformat()}"
            for s in sends
        )
        return {"suppressed": suppressed, "latest messages": latest or None}
