"""Audiences of the email plugin: everyone who may be emailed for a purpose.

``email:consented:<purpose>`` (one per ``audience_purposes``): customers whose
latest consent for ``(email, purpose)`` grants it, who have an address and are
not erased. Suppression is applied at send time, not here, so the audience
stays a pure statement about consent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from patron.contracts import Audience

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.orm import Session


def _consented(purpose: str) -> Any:
    def query(session: Session) -> Select[Any]:
        from patron.consent import consenting_customers
        from patron.models import Customer

        return consenting_customers("email", purpose).where(Customer.email.is_not(None))

    return query


def audiences(purposes: Sequence[str]) -> list[Audience]:
    """One audience per purpose."""
    return [
        Audience(
            f"email:consented:{purpose}",
            f"Customers with an email address who consented to email for {purpose}.",
            _consented(purpose),
            label=f"Email consent: {purpose}",
        )
        for purpose in purposes
    ]
