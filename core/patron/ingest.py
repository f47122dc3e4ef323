"""Set-based writes of the core entities, each firing its batch event.

These are the only paths by which customers, interactions and consent enter
the database: the importer, the demo, the CLI and plugins all call them, so the
event hooks always fire, once per batch, inside the caller's transaction. The
caller owns the transaction (``with app.transaction() as session: ...``); an
event hook that raises rolls it back with an error naming the plugin.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import insert, select

from patron.contracts import ConsentChange
from patron.models import AuditEvent, Consent, Customer, Interaction, utcnow
from patron.sql import in_chunks

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    from patron.app import App

#: Customer fields an upsert may set; anything else belongs in ``attributes``.
CUSTOMER_FIELDS = ("external_id", "name", "email", "phone", "created_at", "attributes")
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
    session.flush()  # the driver-level lookup below does not autoflush pending ORM objects
    # Known customers are read through the driver in one query, as stored, and compared in stored form.
    connection = session.connection()
    existing = _stored_customers(connection, [row["external_id"] for row in rows])
    now = utcnow()
    stored_time = _time_as_stored(connection)
    new_rows: list[Mapping[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for row in rows:
        current = existing.get(row["external_id"])
        if current is None:
            new_rows.append(row)
            continue
        if on_conflict == "skip":
            result.unchanged += 1
            continue
        diff = {k: row[k] for k in _COMPARED if k in row and current[k] != row[k]}
        created = row.get("created_at")
        if created is not None and stored_time(created) != current["created_at"]:
            diff["created_at"] = created
        if "attributes" in row:
            attributes, wanted = current["attributes"], row["attributes"] or {}  # None: no attributes, as on insert
            if (json.loads(attributes) if isinstance(attributes, str) else attributes) != wanted:
                diff["attributes"] = wanted
        if diff:
            changes.append({"id": current["id"], **diff})
        else:
            result.unchanged += 1
    if new_rows:
        session.flush()  # the driver-level insert below does not autoflush pending ORM objects
        result.inserted_ids = _insert_customers(connection, new_rows, now)
    _update_customers(connection, changes, now)
    result.updated_ids = [c["id"] for c in changes]
    touched = result.inserted_ids + result.updated_ids
    if touched:
        session.flush()
        fire_event(
            app, "patron_customers_upserted", session=session, customer_ids=touched, created_ids=result.inserted_ids
        )
    return result


def _update_customers(connection: Connection, changes: Sequence[Mapping[str, Any]], now: datetime) -> None:
    """Apply ``changes`` (``id`` plus the changed columns) and ``updated_at = now``, one ``executemany`` per set of
    changed columns.

    A nightly load changes the same few columns of many customers: one ORM
    UPDATE each cost half a millisecond a row. Values are converted once to what
    the driver stores (as ``_insert_customers`` does) and sent through the
    driver. The key stays out of SET: ``SET id = ?`` is a change of key to
    SQLite, which then searches every table referencing customers.
    """
    if not changes:
        return
    groups: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for change in changes:
        groups.setdefault(tuple(sorted(k for k in change if k != "id")), []).append(change)
    sqlite = connection.dialect.name == "sqlite"
    when = _time_as_stored(connection)
    mark = "?" if sqlite else "%s"
    stored: dict[str, Any] = {"created_at": when, "attributes": _payload_json}
    stamp = when(now)
    for columns, group in groups.items():
        # Column names come from CUSTOMER_FIELDS, never from input.
        sets = ", ".join(f"{c} = {mark}{'::jsonb' if c == 'attributes' and not sqlite else ''}" for c in columns)
        convert = [stored.get(c) for c in columns]
        values = []
        for change in group:
            row = [change[column] for column in columns]
            converted = (v if f is None or v is None else f(v) for f, v in zip(convert, row, strict=True))
            values.append((*converted, stamp, change["id"]))
        connection.exec_driver_sql(f"UPDATE customers SET {sets}, updated_at = {mark} WHERE id = {mark}", values)


#: Compared as they are; created_at and attributes are compared in their stored form (``upsert_customers``).
_COMPARED = tuple(f for f in CUSTOMER_FIELDS if f not in ("external_id", "created_at", "attributes"))
_STORED_COLUMNS = ("external_id", "id", "name", "email", "phone", "created_at", "attributes")


def _stored_customers(connection: Connection, external_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The stored columns of those of ``external_ids`` that some customer has, by external id: one query.

    The ids travel as one parameter (a JSON array on SQLite, an array on
    PostgreSQL) rather than as thousands of bound parameters that SQLAlchemy
    would name and render one by one; values come back as the driver gives
    them (SQLite: times and JSON as text), without SQLAlchemy's per-row processing.
    """
    if not external_ids:
        return {}
    columns = ", ".join(_STORED_COLUMNS)
    if connection.dialect.name == "postgresql":
        found = connection.exec_driver_sql(
            f"SELECT {columns} FROM customers WHERE external_id = ANY(%s)", (external_ids,)
        )
    else:
        found = connection.exec_driver_sql(
            f"SELECT {columns} FROM customers WHERE external_id IN (SELECT value FROM json_each(?))",
            (json.dumps(external_ids),),
        )
    return {row[0]: dict(zip(_STORED_COLUMNS, row, strict=True)) for row in found.all()}


_CUSTOMER_INSERT = ("external_id", "name", "email", "phone", "created_at", "updated_at", "attributes")


def _insert_customers(connection: Connection, rows: Sequence[Mapping[str, Any]], now: datetime) -> list[int]:
    """Insert new customers through the driver (as ``record_interactions`` does); return their ids.

    ``created_at`` defaults to ``now``, ``attributes`` to ``{}``; ``updated_at`` is ``now``.
    """
    sqlite = connection.dialect.name == "sqlite"
    when = _time_as_stored(connection)
    stamp = when(now)
    values = [
        (
            row["external_id"],
            row.get("name"),
            row.get("email"),
            row.get("phone"),
            stamp if row.get("created_at") is None else when(row["created_at"]),
            stamp,
            _payload_json(row.get("attributes")),
        )
        for row in rows
    ]
    columns = ", ".join(_CUSTOMER_INSERT)
    if not sqlite:
        raw = connection.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS patron_customer_stage (external_id text, name text, email text, "
                "phone text, created_at timestamptz, updated_at timestamptz, attributes jsonb) ON COMMIT DELETE ROWS"
            )
            cursor.execute("TRUNCATE patron_customer_stage")
            with cursor.copy(f"COPY patron_customer_stage ({columns}) FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)
            cursor.execute(
                f"INSERT INTO customers ({columns}) SELECT {columns} FROM patron_customer_stage RETURNING id"
            )
            return sorted(r[0] for r in cursor.fetchall())
    marks = ", ".join("?" for _ in _CUSTOMER_INSERT)
    return _new_rowids(connection, Customer.__table__, f"INSERT INTO customers ({columns}) VALUES ({marks})", values)


def record_interactions(app: App, session: Session, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert interactions whose ``external_id`` is new; skip known ones. Return the new ids.

    Each row needs ``external_id``, ``customer_id``, ``kind`` and a timezone-aware
    ``occurred_at``; money as ``amount_minor`` (int) with ``currency``. Only the
    inserted interactions are passed to ``patron_interactions_recorded``.

    Bulk by design (it is the import's write path): rows are converted once to
    driver-ready tuples and sent through the driver inside the session's
    transaction, skipping known ids in the database (``ON CONFLICT DO NOTHING``)
    rather than asking for them first. SQLite gets one ``executemany``; the new
    ids are the ones above the largest id before it, as many as its row count
    (the write lock is held; see ``_new_rowids``).
    PostgreSQL gets ``COPY`` into a temporary staging table and one
    ``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING id``.
    """
    if not rows:
        return []
    session.flush()  # the statements below do not autoflush pending ORM objects
    connection = session.connection()
    dialect = connection.dialect.name
    # Interactions of erased customers are stored under a pseudonym: a re-import must not record them again.
    erased = _erased_interactions(app, connection, [r["external_id"] for r in rows])
    if erased:
        rows = [r for r in rows if r["external_id"] not in erased]
        if not rows:
            return []
    now = utcnow()
    if dialect == "postgresql":
        ids = _insert_interactions_postgresql(connection, rows, now)
    else:
        ids = _insert_interactions_sqlite(connection, rows, now)
    if not ids:
        return []
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
        for chunk in in_chunks(wanted)
        for p in connection.scalars(select(Interaction.external_id).where(Interaction.external_id.in_(chunk)))
    }


_INSERT_COLUMNS = (*INTERACTION_FIELDS, "recorded_at")


def _stored_time(value: datetime) -> datetime:
    """An aware datetime in UTC; a naive one is refused, as ``UTCDateTime`` does."""
    if value.tzinfo is UTC:
        return value  # the importer's dates are UTC already: skip the conversion for millions of rows
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: Patron stores timezone-aware UTC times only")
    return value.astimezone(UTC)


def _sqlite_text(value: datetime) -> str:
    # The text SQLAlchemy's SQLite DATETIME stores: naive UTC, microseconds always present.
    return _stored_time(value).isoformat(" ", "microseconds")[:26]


def _time_as_stored(connection: Connection) -> Callable[[datetime], Any]:
    """How the driver is given a time for a column: SQLite's text, or an aware UTC datetime."""
    return _sqlite_text if connection.dialect.name == "sqlite" else _stored_time


def _payload_json(payload: Any) -> str:
    return json.dumps(payload) if payload else "{}"


def _insert_interactions_sqlite(connection: Connection, rows: Sequence[Mapping[str, Any]], now: datetime) -> list[int]:
    recorded = _sqlite_text(now)
    values = [
        (
            row["external_id"],
            row["customer_id"],
            row["kind"],
            row.get("channel"),
            _sqlite_text(row["occurred_at"]),
            row.get("amount_minor"),
            row.get("currency"),
            _payload_json(row.get("payload")),
            recorded,
        )
        for row in rows
    ]
    columns, marks = ", ".join(_INSERT_COLUMNS), ", ".join("?" for _ in _INSERT_COLUMNS)
    sql = f"INSERT INTO interactions ({columns}) VALUES ({marks}) ON CONFLICT (external_id) DO NOTHING"
    return _new_rowids(connection, Interaction.__table__, sql, values)


def _new_rowids(connection: Connection, table: Any, sql: str, values: list[tuple[Any, ...]]) -> list[int]:
    """Run ``sql`` for every tuple of ``values`` (one ``executemany``) and return the ids of the new rows.

    Only this transaction writes (SQLite's write lock is held) and a new rowid is
    the largest one plus one, so the new ids are the ``rowcount`` ids above the
    largest before; checked against the largest after, and asked for otherwise
    (a table whose rowids reached the 64-bit limit gets random ones).
    """
    from sqlalchemy import func

    largest = select(func.max(table.c.id))
    before = connection.scalar(largest) or 0
    count = connection.exec_driver_sql(sql, values).rowcount
    if count <= 0:
        return []
    if connection.scalar(largest) == before + count:
        return list(range(before + 1, before + count + 1))
    return list(connection.scalars(select(table.c.id).where(table.c.id > before).order_by(table.c.id)).all())


_STAGE = "patron_import_stage"


def _insert_interactions_postgresql(
    connection: Connection, rows: Sequence[Mapping[str, Any]], now: datetime
) -> list[int]:
    raw = connection.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor:
        # One staging table per connection, emptied at every commit: no catalog churn per batch.
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} (external_id text, customer_id bigint, kind text, "
            "channel text, occurred_at timestamptz, amount_minor bigint, currency text, payload jsonb) "
            "ON COMMIT DELETE ROWS"
        )
        cursor.execute(f"TRUNCATE {_STAGE}")  # a retried or nested batch starts empty
        with cursor.copy(f"COPY {_STAGE} ({', '.join(INTERACTION_FIELDS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    (
                        row["external_id"],
                        row["customer_id"],
                        row["kind"],
                        row.get("channel"),
                        _stored_time(row["occurred_at"]),
                        row.get("amount_minor"),
                        row.get("currency"),
                        _payload_json(row.get("payload")),
                    )
                )
        columns = ", ".join(INTERACTION_FIELDS)
        cursor.execute(
            f"INSERT INTO interactions ({columns}, recorded_at) SELECT {columns}, %s FROM {_STAGE} "
            "ON CONFLICT (external_id) DO NOTHING RETURNING id",
            (now,),
        )
        return sorted(r[0] for r in cursor.fetchall())


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
