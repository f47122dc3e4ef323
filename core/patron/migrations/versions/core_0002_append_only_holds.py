"""Append-only that holds: consents refuse REPLACE and TRUNCATE; the audit log becomes append-only.

core_0001 refused UPDATE and DELETE on consents, but SQLite's REPLACE conflict
resolution deletes without firing DELETE triggers, and PostgreSQL's TRUNCATE
fires no row triggers. The audit log (ids only, never personal data) was not
protected at all.

Revision ID: core_0002
Revises: core_0001
"""

from __future__ import annotations

from patron.appendonly import protect, unprotect

revision = "core_0002"
down_revision = "core_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # UPDATE and DELETE on consents are already refused by core_0001's triggers.
    protect(
        "consents",
        guards=("replace", "truncate"),
        message="consents is an append-only log: record a new entry instead of changing one",
    )
    protect("audit_events", message="audit_events is append-only: the audit log is never changed or removed")


def downgrade() -> None:
    unprotect("audit_events")
    unprotect("consents", guards=("replace", "truncate"))
