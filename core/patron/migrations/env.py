"""Alembic environment shared by every version branch (core and plugins).

Patron drives Alembic from code (``patron.migrate``): it passes an open
connection and the branch's own version table in ``config.attributes``. Each
branch keeps its own version table so that disabling a plugin never leaves
Alembic facing revisions it cannot find.
"""

from __future__ import annotations

from alembic import context

from patron.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through 'patron db upgrade', not the alembic command")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=config.attributes["version_table"],
    # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
