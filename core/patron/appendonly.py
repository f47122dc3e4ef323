"""Append-only tables that hold on both engines: the triggers, for core and plugin migrations.

An append-only table (the consent log, the audit log, a points ledger) must
refuse every way of changing history, not only ``UPDATE`` and ``DELETE``:

- SQLite's ``INSERT OR REPLACE`` (and ``REPLACE INTO``) deletes the conflicting
  row and inserts a new one *without firing DELETE triggers* (unless
  ``recursive_triggers`` is on, a per-connection setting a sqlite3 shell never
  sets). A ``BEFORE INSERT`` trigger therefore refuses a row whose primary key
  already exists, and silently skips a row whose other unique key already
  exists — exactly what ``ON CONFLICT DO NOTHING`` / ``INSERT OR IGNORE`` would
  do, so idempotent inserts keep working, while REPLACE can never remove the
  old row. (On SQLite a plain ``INSERT`` of a duplicate unique key is thus
  skipped instead of failing; PostgreSQL still raises.)
- PostgreSQL's ``TRUNCATE`` (also reached through ``TRUNCATE other CASCADE``)
  fires no row triggers: a ``BEFORE TRUNCATE`` statement trigger refuses it.

The guards protect against mistakes and against users of the database who do
not own the schema; whoever can drop triggers (the table's owner, a superuser,
anyone who can write the SQLite file) can still rewrite history.

Use it in a plugin's Alembic migration::

    from patron.appendonly import protect, unprotect

    def upgrade() -> None:
        op.create_table("my_log", ...)
        protect("my_log")                      # refuse UPDATE, DELETE, REPLACE, TRUNCATE

    def downgrade() -> None:
        unprotect("my_log")
        op.drop_table("my_log")

``columns`` narrows the UPDATE guard to the named columns (so erasure may still
blank free text). Call ``protect`` again (after ``unprotect``) when a later
migration adds a unique key, so the REPLACE guard knows it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Literal

import sqlalchemy as sa
from sqlalchemy import Connection

Guard = Literal["update", "delete", "replace", "truncate"]
ALL_GUARDS: tuple[Guard, ...] = ("update", "delete", "replace", "truncate")
#: The one PostgreSQL function every append-only trigger calls; it raises its first argument.
PG_FUNCTION = "patron_append_only"


def default_message(table: str) -> str:
    """The error a refused change raises: names the table and says what to do instead."""
    return f"{table} is append-only: record a new entry instead of changing, replacing or removing one"


def trigger_name(table: str, guard: Guard) -> str:
    """The name of the trigger installing ``guard`` on ``table`` (stable, so ``unprotect`` finds it)."""
    return f"{table}_append_only_{guard}"


def protect(
    table: str,
    *,
    guards: Collection[Guard] = ALL_GUARDS,
    columns: Sequence[str] | None = None,
    message: str | None = None,
    bind: Connection | None = None,
) -> None:
    """Make ``table`` append-only: install the triggers for ``guards`` on the current engine.

    :param table: the table's name.
    :param guards: which changes to refuse; by default all four.
    :param columns: when given, UPDATE is refused only when it touches one of these columns.
    :param message: the error text (default: ``default_message(table)``).
    :param bind: the connection to use; by default the running Alembic migration's.
    """
    bind = bind if bind is not None else _migration_bind()
    for statement in statements(bind, table, guards=guards, columns=columns, message=message):
        _execute(bind, statement)


def unprotect(table: str, *, guards: Collection[Guard] = ALL_GUARDS, bind: Connection | None = None) -> None:
    """Drop the triggers ``protect`` installed for ``guards`` on ``table`` (for a downgrade)."""
    bind = bind if bind is not None else _migration_bind()
    on = "" if bind.dialect.name == "sqlite" else f" ON {_quote(bind, table)}"
    for guard in guards:
        if guard == "truncate" and bind.dialect.name == "sqlite":
            continue
        if guard == "replace" and bind.dialect.name != "sqlite":
            continue
        _execute(bind, f"DROP TRIGGER IF EXISTS {_quote(bind, trigger_name(table, guard))}{on}")


def statements(
    bind: Connection,
    table: str,
    *,
    guards: Collection[Guard] = ALL_GUARDS,
    columns: Sequence[str] | None = None,
    message: str | None = None,
) -> list[str]:
    """The SQL ``protect`` runs, for reading or for a migration that emits it itself."""
    unknown = set(guards) - set(ALL_GUARDS)
    if unknown:
        raise ValueError(f"unknown append-only guard(s) {sorted(unknown)}; choose from {list(ALL_GUARDS)}")
    text = _literal(message or default_message(table))
    quoted = _quote(bind, table)
    of = f" OF {', '.join(_quote(bind, c) for c in columns)}" if columns else ""
    if bind.dialect.name == "sqlite":
        return _sqlite(bind, table, quoted, guards, of, text)
    result = [
        f"CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation'; END $$ LANGUAGE plpgsql"
    ]
    events = {"update": f"UPDATE{of}", "delete": "DELETE"}
    for guard in ("update", "delete"):
        if guard in guards:
            result.append(
                f"CREATE TRIGGER {_quote(bind, trigger_name(table, guard))} BEFORE {events[guard]} ON {quoted} "
                f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}({text})"
            )
    if "truncate" in guards:
        result.append(
            f"CREATE TRIGGER {_quote(bind, trigger_name(table, 'truncate'))} BEFORE TRUNCATE ON {quoted} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}({text})"
        )
    return result


def _sqlite(bind: Connection, table: str, quoted: str, guards: Collection[Guard], of: str, text: str) -> list[str]:
    result = []
    raise_ = f"BEGIN SELECT RAISE(ABORT, {text}); END"
    for guard, event in (("update", f"UPDATE{of}"), ("delete", "DELETE")):
        if guard in guards:
            name = _quote(bind, trigger_name(table, guard))  # type: ignore[arg-type]
            result.append(f"CREATE TRIGGER {name} BEFORE {event} ON {quoted} {raise_}")
    if "replace" in guards:
        primary, uniques = _keys(bind, table)
        name = _quote(bind, trigger_name(table, "replace"))
        if primary:
            result.append(
                f"CREATE TRIGGER {name} BEFORE INSERT ON {quoted} "
                f"WHEN EXISTS (SELECT 1 FROM {quoted} WHERE {_match(bind, primary)}) {raise_}"
            )
        if uniques:
            # Another unique key taken: skip the row as ON CONFLICT DO NOTHING would, so REPLACE cannot delete it.
            keys = " OR ".join(f"({_match(bind, key)})" for key in uniques)
            result.append(
                f"CREATE TRIGGER {_quote(bind, trigger_name(table, 'replace') + '_unique')} BEFORE INSERT ON "
                f"{quoted} WHEN EXISTS (SELECT 1 FROM {quoted} WHERE {keys}) BEGIN SELECT RAISE(IGNORE); END"
            )
    return result


def _keys(bind: Connection, table: str) -> tuple[list[str], list[list[str]]]:
    primary = list(sa.inspect(bind).get_pk_constraint(table).get("constrained_columns") or [])
    # PRAGMA index_list sees every unique index, inline UNIQUE column constraints included
    # (SQLAlchemy's inspector skips those autoindexes); a partial index cannot be matched by equality alone.
    uniques: list[list[str]] = []
    for row in bind.exec_driver_sql(f"PRAGMA index_list({_quote(bind, table)})").mappings():
        if row["unique"] and not row["partial"]:
            info = bind.exec_driver_sql(f"PRAGMA index_info({_quote(bind, row['name'])})").mappings()
            key = [r["name"] for r in sorted(info, key=lambda r: r["seqno"])]
            if key and None not in key and key != primary and key not in uniques:
                uniques.append(key)
    return primary, uniques


def _match(bind: Connection, columns: Sequence[str]) -> str:
    return " AND ".join(f"{_quote(bind, c)} = NEW.{_quote(bind, c)}" for c in columns)


def _quote(bind: Connection, name: str) -> str:
    return bind.dialect.identifier_preparer.quote(name)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _execute(bind: Connection, statement: str) -> None:
    # text() would read ":name" as a bind parameter; a message may contain colons.
    bind.execute(sa.text(statement.replace(":", r"\:")))


def _migration_bind() -> Connection:
    from alembic import op

    return op.get_bind()
