"""Set-based writes of the core entities, each firing its batch event.

These are the only paths by which customers, interactions and consent enter
the database: the importer, the demo, the CLI and plugins all call them, so the
event hooks always fire, once per batch, inside the caller's transaction. The
caller owns the transaction (``with app.transaction() as session: ...``); an
event hook that raises rolls it back with an error naming the plugin.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import insert, select, update

from patron.contracts import ConsentChange
from patron.models import AuditEvent, Consent, Customer, Interaction, utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App

#: Customer fields an upsert may set; anything else belongs in ``attributes``.
CUSTOMER_FIELDS = ("external_id", "name", "email", "phone", "created_at", "attributes")
#: Values per ``IN (...)`` list: under the bound-parameter limits of SQLite and PostgreSQL.
_IN_CHUNK = 5000
INTERACTION_FIELDS = (
    "external_id",
    "customer_id",
    "kind",
    "channel",
    "occurred_at",
    "amount_minor",
    "currency",
    "payload",
)


@dataclass
class UpsertResult:
    """What an upsert of customers did, by internal id."""

    inserted_ids: list[int] = field(default_factory=list)
    updated_ids: list[int] = field(default_factory=list)
    unchanged: int = 0


def fire_event(app: App, hook_name: str, **kwargs: Any) -> None:
    """Call an event hook on every plugin; a failure names the plugin that raised."""
    app.call_each(hook_name, app=app, **kwargs)


def upsert_customers(
    app: App,
    session: Session,
    rows: Sequence[Mapping[str, Any]],
    *,
    on_conflict: Literal["update", "skip"] = "update",
) -> UpsertResult:
    """Insert new customers and update (or skip) known ones, matched on ``external_id``.

    A known customer is updated only where a given field differs, so re-importing
    the same data reports it unchanged. Rows must have distinct ``external_id``\\s.
    """
    result = UpsertResult()
    if not rows:
        return result
    ids = [row["external_id"] for row in rows]
    existing = {
        c.external_id: c
        for c in session.execute(
            select(
                Customer.id,
                Customer.external_id,
                Customer.name,
                Customer.email,
                Customer.phone,
                Customer.created_at,
                Customer.attributes,
            ).where(Customer.external_id.in_(ids))
        )
    }
    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for row in rows:
        current = existing.get(row["external_id"])
        if current is None:
            values = {k: row[k] for k in CUSTOMER_FIELDS if k in row}
            values.setdefault("attributes", {})
            values.setdefault("created_at", now)
            values["updated_at"] = now
            new_rows.append(values)
            continue
        if on_conflict == "skip":
            result.unchanged += 1
            continue
        diff = {k: row[k] for k in CUSTOMER_FIELDS if k in row and k != "external_id" and getattr(current, k) != row[k]}
        if diff:
            changes.append({"id": current.id, "updated_at": now, **diff})
        else:
            result.unchanged += 1
    if new_rows:
        result.inserted_ids = list(session.scalars(insert(Customer).returning(Customer.id), new_rows))
    for change in changes:
        # Rows differ in which columns changed, so each is its own UPDATE by primary key.
        session.execute(update(Customer).where(Customer.id == change["id"]).values(**change))
    result.updated_ids = [c["id"] for c in changes]
    touched = result.inserted_ids + result.updated_ids
    if touched:
        session.flush()
        fire_event(
            app, "patron_customers_upserted", session=session, customer_ids=touched, created_ids=result.inserted_ids
        )
    return result


def record_interactions(app: App, session: Session, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert interactions whose ``external_id`` is new; skip known ones. Return the new ids.

    Each row needs ``external_id``, ``customer_id``, ``kind`` and a timezone-aware
    ``occurred_at``; money as ``amount_minor`` (int) with ``currency``. Only the
    inserted interactions are passed to ``patron_interactions_recorded``.
    """
    if not rows:
        return []
    session.flush()  # the Core statements below do not autoflush pending ORM objects
    connection = session.connection()
    wanted = [r["external_id"] for r in rows]
    known = {
        external_id
        for start in range(0, len(wanted), _IN_CHUNK)
        for external_id in connection.scalars(
            select(Interaction.external_id).where(Interaction.external_id.in_(wanted[start : start + _IN_CHUNK]))
        )
    }
    known |= _erased_interactions(app, connection, wanted)
    now = utcnow()
    fresh = [
        {**{k: row.get(k) for k in INTERACTION_FIELDS}, "payload": row.get("payload") or {}, "recorded_at": now}
        for row in rows
        if row["external_id"] not in known
    ]
    if not fresh:
        return []
    # A plain executemany and one SELECT for the new ids: INSERT ... RETURNING over many rows makes
    # SQLAlchemy render multi-row VALUES statements in Python, which tripled the cost of bulk imports.
    connection.execute(insert(Interaction), fresh)
    new_ids = [r["external_id"] for r in fresh]
    ids = sorted(
        id_
        for start in range(0, len(new_ids), _IN_CHUNK)
        for id_ in connection.scalars(
            select(Interaction.id).where(Interaction.external_id.in_(new_ids[start : start + _IN_CHUNK]))
        )
    )
    session.flush()
    fire_event(app, "patron_interactions_recorded", session=session, interaction_ids=ids)
    return ids


def _erased_interactions(app: App, connection: Any, external_ids: list[str]) -> set[str]:
    """Those of ``external_ids`` stored under a pseudonym because their customer was erased.

    Erasure pseudonymises interaction external ids; recognising them keeps a
    re-import from recording the same interaction twice.
    """
    if not getattr(app.settings, "secret_key", None):
        # No key: nothing can have been pseudonymised by this installation.
        return set()
    from patron.pseudonyms import any_erased, pseudonyms

    if not any_erased(connection):
        # The common case, answered by a partial index: no HMAC per row, no second lookup.
        return set()

    by_pseudonym = pseudonyms(app, external_ids, "interaction")
    wanted = list(by_pseudonym)
    return {
        by_pseudonym[p]
        for start in range(0, len(wanted), _IN_CHUNK)
        for p in connection.scalars(
            select(Interaction.external_id).where(Interaction.external_id.in_(wanted[start : start + _IN_CHUNK]))
        )
    }


def append_consents(app: App, session: Session, changes: Sequence[ConsentChange]) -> None:
    """Append entries to the consent log and fire ``patron_consent_changed``."""
    if not changes:
        return
    session.execute(
        insert(Consent),
        [
            {
                "customer_id": c.customer_id,
                "channel": c.channel,
                "purpose": c.purpose,
                "granted": c.granted,
                "occurred_at": c.occurred_at,
                "source": c.source,
                "recorded_at": utcnow(),
            }
            for c in changes
        ],
    )
    session.flush()
    fire_event(app, "patron_consent_changed", session=session, changes=list(changes))


def audit(
    session: Session, action: str, entity: str, entity_id: str | int | None, details: Mapping[str, Any] | None = None
) -> None:
    """Record who did what to which entity. ``details`` must hold ids and counts, never personal data."""
    session.add(
        AuditEvent(
            actor=current_actor(),
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            details=dict(details or {}),
        )
    )


def current_actor() -> str:
    """The operating-system user running this process (``$PATRON_ACTOR`` overrides)."""
    import os

    try:
        return os.environ.get("PATRON_ACTOR") or getpass.getuser()
    except (KeyError, OSError):
        # No passwd entry (e.g. in some containers): still record something honest.
        return "unknown"
