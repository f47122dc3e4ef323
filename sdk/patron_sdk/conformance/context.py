"""What the conformance rules work on: an app with the plugin, seeded data, and probes.

``ConformanceContext.prepare(app, plugin)`` seeds a small, fixed data set
(customers with purchases over 2025, a few without any) through the core's
ingest API so events fire, and offers the helpers rules share: the plugin's
own contributions, a table fingerprint to prove a call wrote nothing, and a
runner that executes a call in its own session and reports any write.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App

T = TypeVar("T")

#: Every seeded interaction happens in 2025; rules evaluate "as of" the start of 2026.
AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
#: A purchase after ``AS_OF``, added (and rolled back) to prove ``as_of`` is respected.
AFTER_AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
SEED_CUSTOMERS = 12


@dataclass
class ConformanceContext:
    """An app with ``plugin`` registered, its database migrated and seeded."""

    app: App
    plugin: str
    customer_ids: list[int] = field(default_factory=list)
    channel_template: str = "conformance"
    upgrade_error: BaseException | None = None

    @classmethod
    def prepare(cls, app: App, plugin: str, *, seed: bool = True, **options: Any) -> ConformanceContext:
        """Seed ``app`` (already migrated) and return the context for ``plugin``."""
        ctx = cls(app, plugin, **options)
        if seed and ctx.upgrade_error is None:
            ctx.customer_ids = seed_data(app)
        return ctx

    # -- the plugin ---------------------------------------------------------

    @property
    def module(self) -> object:
        """The registered plugin object (a module for installed plugins)."""
        return self.app.pm.get_plugin(self.plugin)

    @property
    def module_name(self) -> str | None:
        """The importable module name of the plugin, or None for an inline object."""
        module = self.module
        return module.__name__ if isinstance(module, ModuleType) else None

    @property
    def package_root(self) -> str:
        """The top-level package the plugin's code lives in (for finding its tables)."""
        module = self.module
        name = module.__name__ if isinstance(module, ModuleType) else type(module).__module__
        return name.split(".")[0]

    def implements(self, hook_name: str) -> bool:
        """True when the plugin implements ``hook_name``."""
        return self.app.caller_for(self.plugin, hook_name) is not None

    def call(self, hook_name: str, **kwargs: Any) -> Any:
        """Call ``hook_name`` on this plugin only; None when it does not implement it."""
        caller = self.app.caller_for(self.plugin, hook_name)
        if caller is None:
            return None
        results = caller(**kwargs)
        return results[0] if results else None

    def contributions(self, kind: str) -> list[tuple[str, Any]]:
        """``(name, object)`` of this plugin's contributions of ``kind`` (e.g. ``"reports"``).

        Collecting can fail (bad or duplicate names); rule ``registration``
        reports that, so here a failure yields nothing to check.
        """
        from patron.errors import PatronError

        try:
            found = getattr(self.app, kind)
        except (PatronError, ValueError):
            # Reported by the ``registration`` rule with the full message.
            return []
        return [(name, found[name]) for name, who in found.suppliers.items() if who == self.plugin]

    # -- probes -------------------------------------------------------------

    def fingerprint(self) -> dict[str, str]:
        """Row count and content hash of every table in the database."""
        from sqlalchemy import inspect, text

        prints: dict[str, str] = {}
        with self.app.engine.connect() as conn:
            for table in sorted(inspect(conn).get_table_names()):
                rows = sorted(repr(tuple(r)) for r in conn.execute(text(f'SELECT * FROM "{table}"')))
                digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()[:12]
                prints[table] = f"{len(rows)} rows/{digest}"
        return prints

    def read_only(self, call: Callable[[Session], T]) -> tuple[T, list[str]]:
        """Run ``call`` in its own session, commit, and return its result and any writes found.

        A write shows up either as pending ORM changes in the session or as a
        table whose rows differ after the commit (which catches Core-level SQL).
        """
        before = self.fingerprint()
        writes: list[str] = []
        with self.app.sessions() as session:
            result = call(session)
            pending = len(session.new) + len(session.dirty) + len(session.deleted)
            if pending:
                writes.append(f"left {pending} added/changed/deleted ORM object(s) in the session")
            session.commit()
        writes.extend(describe_changes(before, self.fingerprint()))
        return result, writes

    @contextmanager
    def rolled_back(self) -> Iterator[Session]:
        """A session whose transaction is always rolled back (for probes that must write)."""
        with self.app.sessions() as session:
            try:
                yield session
            finally:
                session.rollback()


def describe_changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """One line per table whose fingerprint changed, appeared or disappeared."""
    lines = []
    for table in sorted(set(before) | set(after)):
        if before.get(table) != after.get(table):
            lines.append(f"changed table {table!r} ({before.get(table, 'absent')} -> {after.get(table, 'absent')})")
    return lines


def seed_data(app: App) -> list[int]:
    """Insert the fixed conformance data set through the ingest API; return the customer ids.

    Twelve customers; the first ten have between one and eight purchases spread
    over 2025 (fixed pseudo-random amounts), two have none; a few marketing
    emails too. Idempotent on external ids, so seeding twice changes nothing.
    """
    from patron.ingest import record_interactions, upsert_customers

    rng = random.Random(4)
    customers = [
        {
            "external_id": f"conf-{i:02d}",
            "name": f"Conformance Customer {i}",
            "email": f"customer{i}@example.test",
            "attributes": {"city": rng.choice(["Lyon", "Porto", "Turin"])},
        }
        for i in range(1, SEED_CUSTOMERS + 1)
    ]
    with app.transaction() as session:
        upsert_customers(app, session, customers)
    with app.transaction() as session:
        from sqlalchemy import select

        from patron.models import Customer

        ids: dict[str, int] = {
            external_id: cid
            for external_id, cid in session.execute(
                select(Customer.external_id, Customer.id).where(Customer.external_id.like("conf-%"))
            )
        }
    rows: list[dict[str, Any]] = []
    for i in range(1, SEED_CUSTOMERS - 1):
        for n in range(rng.randint(1, 8)):
            rows.append(
                {
                    "external_id": f"conf-p-{i:02d}-{n}",
                    "customer_id": ids[f"conf-{i:02d}"],
                    "kind": "purchase",
                    "occurred_at": datetime(2025, rng.randint(1, 12), rng.randint(1, 28), 12, tzinfo=UTC),
                    "amount_minor": rng.randint(5, 500) * 100,
                    "currency": "EUR",
                    "payload": {"items": rng.randint(1, 6)},
                }
            )
        if i % 3 == 0:
            rows.append(
                {
                    "external_id": f"conf-e-{i:02d}",
                    "customer_id": ids[f"conf-{i:02d}"],
                    "kind": "email_sent",
                    "channel": "email",
                    "occurred_at": datetime(2025, 6, 1, 9, tzinfo=UTC),
                }
            )
    with app.transaction() as session:
        record_interactions(app, session, rows)
    return sorted(ids.values())


def purchases_at_and_after_as_of(customer_id: int) -> list[dict[str, Any]]:
    """Two purchases the ``as_of`` contract excludes: one at the ``AS_OF`` instant itself, one after it."""
    at = {**later_purchase(customer_id), "external_id": "conf-at-as-of", "occurred_at": AS_OF}
    return [at, later_purchase(customer_id)]


def later_purchase(customer_id: int) -> dict[str, Any]:
    """A purchase after ``AS_OF`` for one customer (used inside rolled-back probes)."""
    return {
        "external_id": "conf-later-purchase",
        "customer_id": customer_id,
        "kind": "purchase",
        "occurred_at": AFTER_AS_OF,
        "amount_minor": 999_900,
        "currency": "EUR",
    }
