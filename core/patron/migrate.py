"""Apply and inspect migrations: one Alembic version branch per plugin.

Each branch (``core`` and every enabled plugin that returns a directory from
``patron_migrations``) has its own scripts and its own version table
``patron_version_<branch>``. Branches are applied in plugin order (core first,
then plugins after the plugins they require), each in its own transaction. A
disabled plugin's branch is left as it is: its tables stay, and nothing else
needs its scripts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from patron.errors import DatabaseError
from patron.sql import IMMEDIATE_OPTION

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
CORE_VERSIONS_DIR = MIGRATIONS_DIR / "versions"


@dataclass(frozen=True)
class Branch:
    """One version branch: the plugin it belongs to and its scripts' directory."""

    name: str
    versions_dir: Path

    @property
    def version_table(self) -> str:
        """The table that records which of this branch's revisions are applied."""
        return f"patron_version_{self.name}"


@dataclass(frozen=True)
class BranchStatus:
    """Applied versus available revisions of one branch."""

    branch: str
    current: tuple[str, ...]
    heads: tuple[str, ...]

    @property
    def up_to_date(self) -> bool:
        """True when every head revision of the branch is applied."""
        return set(self.current) == set(self.heads)


def _config(branch: Branch) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("version_locations", str(branch.versions_dir))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["version_table"] = branch.version_table
    return cfg


def upgrade(engine: Engine, branches: list[Branch]) -> list[BranchStatus]:
    """Bring every branch to its heads, in order; return the statuses after."""
    for branch in branches:
        if not branch.versions_dir.is_dir():
            raise DatabaseError(
                f'plugin "{branch.name}": migrations directory {branch.versions_dir} does not exist; '
                "reinstall the plugin"
            )
        cfg = _config(branch)
        with migration_lock(engine) as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "heads")
    return status(engine, branches)


#: The advisory lock every ``patron db upgrade`` takes on PostgreSQL (any fixed 64-bit number; "patron").
PG_LOCK_KEY = 0x70617472_6F6E


@contextmanager
def migration_lock(engine: Engine) -> Iterator[Connection]:
    """One transaction that holds the database's migration lock until it ends.

    Two ``patron db upgrade`` runs must serialise: the second waits, then finds
    the schema current and does nothing. SQLite: ``BEGIN IMMEDIATE`` takes the
    write lock at the start (a deferred transaction that read the schema could
    not upgrade to a write after the other run committed: "database is locked"
    at once, whatever the busy timeout). PostgreSQL: a transaction-scoped
    advisory lock.
    """
    with engine.connect().execution_options(**{IMMEDIATE_OPTION: True}) as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
        yield connection


def status(engine: Engine, branches: list[Branch]) -> list[BranchStatus]:
    """Report, per branch, the applied revisions and the available heads."""
    result = []
    with engine.connect() as connection:
        for branch in branches:
            context = MigrationContext.configure(connection, opts={"version_table": branch.version_table})
            current = tuple(sorted(context.get_current_heads()))
            heads = tuple(sorted(ScriptDirectory.from_config(_config(branch)).get_heads()))
            result.append(BranchStatus(branch.name, current, heads))
    return result


def check_current(engine: Engine, branches: list[Branch]) -> None:
    """Raise a DatabaseError saying what to run when any branch is not up to date."""
    stale = [s for s in status(engine, branches) if not s.up_to_date]
    if stale:
        names = ", ".join(s.branch for s in stale)
        raise DatabaseError(f"the database schema is not up to date for: {names}; run 'patron db upgrade'")
