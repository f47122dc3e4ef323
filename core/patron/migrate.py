"""Apply and inspect migrations: one Alembic version branch per plugin.

Each branch (``core`` and every enabled plugin that returns a directory from
``patron_migrations``) has its own scripts and its own version table
``patron_version_<branch>``. Branches are applied in plugin order (core first,
then plugins after the plugins they require), each in its own transaction. A
disabled plugin's branch is left as it is: its tables stay, and nothing else
needs its scripts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from patron.errors import DatabaseError

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
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "heads")
    return status(engine, branches)


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
