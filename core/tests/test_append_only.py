"""Append-only that holds: the consent log and the audit log refuse every way of rewriting history.

Before core_0002, SQLite's ``INSERT OR REPLACE`` rewrote a consent row (granted
1 → 0, source "forged") without firing the DELETE trigger, PostgreSQL's
``TRUNCATE consents CASCADE`` emptied the log, and the audit log could be
changed freely. ``patron.appendonly`` gives plugins the same guards.
"""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy import select, text

from patron.appendonly import protect, statements, unprotect
from patron.consent import record
from patron.models import AuditEvent, Consent


def _one_consent(app, factory):
    cid = factory(app).customer()
    with app.transaction() as s:
        record(app, s, cid, channel="email", purpose="marketing", granted=True, source="import")
    with app.transaction() as s:
        return s.scalars(select(Consent)).one()


def _sqlite_path(app) -> str:
    return app.engine.url.database


def test_insert_or_replace_cannot_rewrite_a_consent(patron_app, patron_factory):
    if patron_app.engine.dialect.name != "sqlite":
        pytest.skip("INSERT OR REPLACE is SQLite syntax")
    row = _one_consent(patron_app, patron_factory)
    forged = (
        "INSERT OR REPLACE INTO consents "
        "(id, customer_id, channel, purpose, granted, occurred_at, source, recorded_at) "
        f"VALUES ({row.id}, {row.customer_id}, 'email', 'marketing', 0, '2020-01-01', 'forged', '2020-01-01')"
    )
    with pytest.raises(sa_exc.DatabaseError, match="append-only"), patron_app.transaction() as s:
        s.execute(text(forged))
    # Not only through Patron's connections: a sqlite3 shell (no recursive_triggers) is refused too.
    raw = sqlite3.connect(_sqlite_path(patron_app))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute(forged.replace("INSERT OR REPLACE", "REPLACE"))
    raw.close()
    with patron_app.transaction() as s:
        assert [(c.granted, c.source) for c in s.scalars(select(Consent))] == [(True, "import")]


def test_truncate_cannot_empty_the_logs(patron_app, patron_factory):
    if patron_app.engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's")
    _one_consent(patron_app, patron_factory)
    with patron_app.transaction() as s:
        s.add(AuditEvent(actor="t", action="x", entity="customer", details={}))
    for statement in (
        "TRUNCATE consents CASCADE",
        "TRUNCATE customers CASCADE",
        "TRUNCATE audit_events",
    ):
        with pytest.raises(sa_exc.DatabaseError, match="append-only"), patron_app.transaction() as s:
            s.execute(text(statement))
    with patron_app.transaction() as s:
        assert s.scalar(select(sa.func.count()).select_from(Consent)) == 1
        assert s.scalar(select(sa.func.count()).select_from(AuditEvent)) >= 1


def test_the_audit_log_is_append_only(patron_app):
    with patron_app.transaction() as s:
        s.add(AuditEvent(actor="t", action="x", entity="customer", details={}))
    with patron_app.transaction() as s:
        event_id = s.scalars(select(AuditEvent.id)).first()
    attacks = ["UPDATE audit_events SET actor = 'someone else'", "DELETE FROM audit_events"]
    if patron_app.engine.dialect.name == "sqlite":
        attacks.append(
            "INSERT OR REPLACE INTO audit_events (id, occurred_at, actor, action, entity, details) "
            f"VALUES ({event_id}, '2020-01-01', 'x', 'y', 'z', '{{}}')"
        )
    for statement in attacks:
        with pytest.raises(sa_exc.DatabaseError, match="append-only"), patron_app.transaction() as s:
            s.execute(text(statement))
    with patron_app.transaction() as s:
        assert s.scalars(select(AuditEvent.actor)).all() == ["t"]


def test_plugins_get_the_same_guards_for_their_own_tables(patron_app):
    """``patron.appendonly.protect`` on a plugin's table: every rewrite refused, idempotent inserts still work."""
    engine = patron_app.engine
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as conn:
        conn.execute(
            text("CREATE TABLE my_log (id INTEGER PRIMARY KEY, k VARCHAR(20) NOT NULL UNIQUE, note VARCHAR(20))")
        )
        protect("my_log", columns=["k"], bind=conn)
        conn.execute(text("INSERT INTO my_log (id, k, note) VALUES (1, 'a', 'x')"))
    attacks = ["UPDATE my_log SET k = 'b'", "DELETE FROM my_log"]
    attacks += (
        ["INSERT OR REPLACE INTO my_log (id, k, note) VALUES (1, 'z', 'forged')"] if sqlite else ["TRUNCATE my_log"]
    )
    for statement in attacks:
        with pytest.raises(sa_exc.DatabaseError, match="my_log is append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.begin() as conn:
        # Columns outside ``columns`` may change (erasure blanks free text).
        conn.execute(text("UPDATE my_log SET note = NULL"))
        # An idempotent insert on the unique key still skips the duplicate on both engines.
        conflict = "INSERT INTO my_log (id, k, note) VALUES (2, 'a', 'dup') ON CONFLICT (k) DO NOTHING"
        conn.execute(text(conflict))
        if sqlite:
            # REPLACE on another unique key leaves the old row in place.
            conn.execute(text("INSERT OR REPLACE INTO my_log (id, k, note) VALUES (3, 'a', 'forged')"))
        assert conn.execute(text("SELECT id, k, note FROM my_log")).all() == [(1, "a", None)]
        unprotect("my_log", bind=conn)
        conn.execute(text("DELETE FROM my_log"))


def test_unknown_guard_is_refused(patron_app):
    with patron_app.engine.connect() as conn, pytest.raises(ValueError, match="unknown append-only guard"):
        statements(conn, "consents", guards=("drop",))  # type: ignore[arg-type]
