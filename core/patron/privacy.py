"""Privacy rights: find a customer, export everything held about them, erase them.

*Export* (GDPR right of access) gathers the core's data — the customer row,
interactions and the whole consent log — and each plugin's part from
``patron_customer_export``, kept under the plugin's name.

*Erasure* asks every plugin to erase its part (``patron_customer_erase``), then
pseudonymises the core row: name, email and phone are nulled, attributes
emptied, the external id replaced by a stable pseudonym and ``erased_at`` set.
Interactions keep their amounts and dates (aggregates stay right) but lose their
payload. The consent log stays: it is append-only and proves what the customer
agreed to, and it holds no identity once the customer row is pseudonymised.
Erasing twice is harmless. Both write one audit row holding ids only.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select, update

from patron.errors import NotFoundError
from patron.models import Consent, Customer, Interaction, utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App

ERASED_PREFIX = "erased:"
EXPORT_FORMAT_VERSION = 1


def pseudonym(external_id: str) -> str:
    """The stable pseudonym that replaces an erased customer's external id.

    Stable so that a later import of the same external id can be recognised and
    refused instead of bringing the person back.
    """
    digest = hashlib.sha256(b"patron-erasure\x00" + external_id.encode("utf-8")).hexdigest()
    return ERASED_PREFIX + digest[:32]


def find_customer(session: Session, ref: str) -> Customer:
    """The customer ``ref`` names: ``#123`` for an internal id, else an external id.

    An erased customer is still found by its former external id (through its
    pseudonym), so repeating an erasure is harmless.
    """
    ref = ref.strip()
    if ref.startswith("#"):
        if not ref[1:].isdigit():
            raise NotFoundError(f"{ref!r} is not an internal id: use #<number>, e.g. #42, or an external id")
        customer = session.get(Customer, int(ref[1:]))
    else:
        customer = session.scalars(
            select(Customer).where(or_(Customer.external_id == ref, Customer.external_id == pseudonym(ref)))
        ).first()
    if customer is None:
        raise NotFoundError(
            f"no customer {ref!r}: give its external id or #<internal id>; "
            "find it with 'patron customers search NAME_OR_EMAIL'"
        )
    return customer


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def customer_record(customer: Customer) -> dict[str, Any]:
    """The core fields of one customer as JSON-ready values."""
    return {
        "id": customer.id,
        "external_id": customer.external_id,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "attributes": customer.attributes,
        "created_at": _iso(customer.created_at),
        "updated_at": _iso(customer.updated_at),
        "erased_at": _iso(customer.erased_at),
    }


def interaction_record(row: Any) -> dict[str, Any]:
    """One interaction row (a ``Row`` or ``Interaction``) as JSON-ready values."""
    return {
        "id": row.id,
        "external_id": row.external_id,
        "kind": row.kind,
        "channel": row.channel,
        "occurred_at": _iso(row.occurred_at),
        "amount_minor": row.amount_minor,
        "currency": row.currency,
        "payload": row.payload,
    }


def export_customer(app: App, session: Session, customer_id: int) -> dict[str, Any]:
    """Everything held about one customer: core data and each plugin's part under its name."""
    from patron.ingest import audit

    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFoundError(f"no customer #{customer_id}")
    interactions = session.scalars(
        select(Interaction)
        .where(Interaction.customer_id == customer_id)
        .order_by(Interaction.occurred_at, Interaction.id)
    )
    consents = session.scalars(
        select(Consent).where(Consent.customer_id == customer_id).order_by(Consent.occurred_at, Consent.id)
    )
    # An export missing a plugin's part would be incomplete: a failing plugin aborts it, named.
    parts = app.call_each("patron_customer_export", app=app, session=session, customer_id=customer_id)
    plugins: dict[str, Any] = {name: part for name, part in parts if part is not None}
    audit(session, "customer.export", "customer", customer_id, {"plugins": sorted(plugins)})
    return {
        "export": {"format_version": EXPORT_FORMAT_VERSION, "exported_at": _iso(utcnow()), "customer_id": customer_id},
        "customer": customer_record(customer),
        "interactions": [interaction_record(i) for i in interactions],
        "consents": [
            {
                "channel": c.channel,
                "purpose": c.purpose,
                "granted": c.granted,
                "occurred_at": _iso(c.occurred_at),
                "source": c.source,
                "recorded_at": _iso(c.recorded_at),
            }
            for c in consents
        ],
        "plugins": plugins,
    }


def erase_customer(app: App, session: Session, customer_id: int) -> dict[str, Any]:
    """Erase one customer's personal data everywhere; return what was done (ids and counts)."""
    from patron.ingest import audit, fire_event

    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFoundError(f"no customer #{customer_id}")
    already = customer.erased_at is not None
    # Plugins first: they may need the customer's identity (e.g. an email address) to find their data.
    fire_event(app, "patron_customer_erase", session=session, customer_id=customer_id)
    now = utcnow()
    new_external = customer.external_id if already else pseudonym(customer.external_id)
    session.execute(
        update(Customer)
        .where(Customer.id == customer_id)
        .values(
            name=None,
            email=None,
            phone=None,
            attributes={},
            external_id=new_external,
            erased_at=customer.erased_at or now,
            updated_at=now,
        )
    )
    cleared = (
        session.scalar(select(func.count()).select_from(Interaction).where(Interaction.customer_id == customer_id)) or 0
    )
    session.execute(update(Interaction).where(Interaction.customer_id == customer_id).values(payload={}))
    details = {"already_erased": already, "interactions_kept": cleared, "plugins": _implementers(app)}
    audit(session, "customer.erase", "customer", customer_id, details)
    session.expire(customer)
    return {"customer_id": customer_id, **details}


def _implementers(app: App) -> list[str]:
    return app.call_order("patron_customer_erase")
