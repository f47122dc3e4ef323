"""Privacy rights: find a customer, export everything held about them, erase them.

*Export* (GDPR right of access) gathers the core's data — the customer row,
interactions and the whole consent log — and each plugin's part from
``patron_customer_export``, kept under the plugin's name.

*Erasure* asks every plugin to erase its part (``patron_customer_erase``), then
pseudonymises the core row: name, email and phone are nulled, attributes
emptied, the external id replaced by a stable pseudonym and ``erased_at`` set.
Interactions keep their amounts and dates (aggregates stay right) but lose their
payload, and their external ids (which often embed the customer's id, e.g.
``C001042-ord1``) are pseudonymised the same way. The consent log stays: it is
append-only and proves what the customer agreed to, and it holds no identity
once the customer row is pseudonymised. Erasing twice is harmless. Both write
one audit row holding ids only.

Pseudonyms are keyed: HMAC-SHA-256 under the installation's secret key
(``[patron] secret_key`` or ``$PATRON_SECRET_KEY``, created by ``patron init``,
kept outside the database). An unkeyed hash of an external id is reversed by
hashing every plausible id (a million ``C000000``-style ids take seconds);
without the key nobody can. They stay stable under the key, so a later import
of the same customer or interaction is recognised and refused or skipped.
Rotation: move the old key to ``previous_secret_keys``; lookups try every listed
key, new erasures use the current one. Losing every key that erased someone
makes their former external id unrecognisable: a re-import would create them anew.

On SQLite the connection sets ``secure_delete`` so that overwritten values are
zeroed in the file; on PostgreSQL the old row versions stay on disk until
VACUUM, so ``erase_customer``'s callers vacuum the tables it touched
(``vacuum_after_erase``; also ``patron db vacuum``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from patron.errors import NotFoundError
from patron.models import Consent, Customer, Interaction, utcnow
from patron.pseudonyms import ERASED_PREFIX, pseudonym, pseudonyms, secret_keys

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App

EXPORT_FORMAT_VERSION = 1


def find_customer(session: Session, ref: str, app: App | None = None) -> Customer:
    """The customer ``ref`` names: ``#123`` for an internal id, else an external id.

    Given ``app``, an erased customer is still found by its former external id
    (through its pseudonym), so repeating an erasure is harmless.
    """
    ref = ref.strip()
    if ref.startswith("#"):
        if not ref[1:].isdigit():
            raise NotFoundError(f"{ref!r} is not an internal id: use #<number>, e.g. #42, or an external id")
        customer = session.get(Customer, int(ref[1:]))
    else:
        candidates = [ref]
        if app is not None and getattr(app.settings, "secret_key", None):
            candidates += list(pseudonyms(app, [ref]))
        customer = session.scalars(select(Customer).where(Customer.external_id.in_(candidates))).first()
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
    key = secret_keys(app)[0]
    # Plugins first: they may need the customer's identity (e.g. an email address) to find their data.
    fire_event(app, "patron_customer_erase", session=session, customer_id=customer_id)
    now = utcnow()
    new_external = customer.external_id if already else pseudonym(key, customer.external_id)
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
    _pseudonymise_interactions(session, customer_id, key)
    details = {"already_erased": already, "interactions_kept": cleared, "plugins": _implementers(app)}
    audit(session, "customer.erase", "customer", customer_id, details)
    session.expire(customer)
    return {"customer_id": customer_id, **details}


def _pseudonymise_interactions(session: Session, customer_id: int, key: str) -> None:
    rows = session.execute(
        select(Interaction.id, Interaction.external_id).where(
            Interaction.customer_id == customer_id, ~Interaction.external_id.startswith(ERASED_PREFIX, autoescape=True)
        )
    ).all()
    if rows:
        # One customer's interactions: few rows, and the HMAC needs Python.
        session.execute(
            update(Interaction), [{"id": i, "external_id": pseudonym(key, e, "interaction")} for i, e in rows]
        )


def _implementers(app: App) -> list[str]:
    return app.call_order("patron_customer_erase")


def scrub_storage(app: App, *, full: bool = False) -> list[str]:
    """Remove old row versions from storage after an erasure; return what was done, for the user.

    SQLite (``secure_delete`` on) has zeroed the erased values in the database
    file; the WAL still holds copies until a checkpoint, so it is checkpointed
    and truncated. PostgreSQL keeps old row versions until VACUUM: the tables an
    erasure touches (customers and every table with a ``customer_id``) are
    vacuumed; ``full`` rewrites them (``VACUUM FULL``, which locks them).
    Runs outside any transaction.
    """
    from sqlalchemy import inspect

    engine = app.engine
    if engine.dialect.name == "sqlite":
        done = []
        with engine.connect() as conn:
            if full:
                conn.exec_driver_sql("VACUUM")
                done.append("database rebuilt (VACUUM)")
            busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()[0]
        done.append("WAL checkpointed and truncated" if not busy else "WAL checkpointed (a reader kept it open)")
        return done
    inspector = inspect(engine)
    tables = [
        t
        for t in sorted(inspector.get_table_names())
        if t == "customers" or any(c["name"] == "customer_id" for c in inspector.get_columns(t))
    ]
    quote = engine.dialect.identifier_preparer.quote
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"VACUUM {'FULL ' if full else ''}{', '.join(quote(t) for t in tables)}")
    return [f"{'VACUUM FULL' if full else 'VACUUM'} of {len(tables)} tables"]
