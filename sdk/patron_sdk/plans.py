"""Per-batch work that stays per batch: the SQLite query plans of what runs for one batch.

An import calls every plugin's ``patron_interactions_recorded`` once per batch.
A hook that finds the batch's rows by something other than their ids can make
SQLite read far more than the batch: SQLite plans without statistics, so
``kind = 'purchase'`` on an indexed ``kind`` reads every purchase ever stored,
and a ``GROUP BY customer_id`` may walk a whole customer index to save a sort.
Each batch then costs more than the one before, which no test on a small
database notices by its speed. The plans show it at any size::

    from patron_sdk.plans import full_reads, sqlite_plans

    def test_a_batch_reads_only_itself(patron_app):
        ...  # some history first, so a whole-table read has something to read
        with sqlite_plans(patron_app) as plans:
            purchase(patron_app, customer, "p1", 2500)
        assert full_reads(plans) == []

``patron.sql.unindexed(column, dialect)`` is the usual cure: it keeps a term out
of SQLite's index choice, so the batch's id range is used.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import event

if TYPE_CHECKING:
    from patron.app import App

__all__ = ["FullRead", "Plan", "full_reads", "sqlite_plans"]

_PLANNED = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


@dataclass(frozen=True)
class Plan:
    """One statement and the detail lines of its ``EXPLAIN QUERY PLAN``."""

    statement: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class FullRead:
    """A plan line that reads a stored table whole, or every interaction of one kind."""

    line: str
    statement: str

    def __str__(self) -> str:
        return f"{self.line}  in  {self.statement.strip().splitlines()[0][:160]}"


@contextmanager
def sqlite_plans(app: App) -> Iterator[list[Plan]]:
    """Collect the plan of every statement ``app`` runs while inside (SQLite only).

    An ``executemany`` is a plain insert of given rows and is not planned. The
    plans are taken with the statement's own parameters, on its own connection,
    just before it runs.
    """
    if app.engine.dialect.name != "sqlite":
        raise ValueError(f"sqlite_plans reads SQLite's query plans; this app runs on {app.engine.dialect.name}")
    plans: list[Plan] = []

    def explain(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if executemany or not statement.lstrip().upper().startswith(_PLANNED):
            return
        raw = conn.connection.driver_connection.cursor()
        try:
            lines = tuple(str(row[3]) for row in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters))
        finally:
            raw.close()
        plans.append(Plan(statement, lines))

    event.listen(app.engine, "before_cursor_execute", explain)
    try:
        yield plans
    finally:
        event.remove(app.engine, "before_cursor_execute", explain)


def full_reads(plans: Iterable[Plan], tables: Iterable[str] | None = None) -> list[FullRead]:
    """The plan lines that read a whole table (``SCAN <table>``) or an index of ``kind`` by kind alone.

    ``tables``: only these names count (default: every table or alias a plan
    scans; the rows of a subquery or CTE, which the plan materialises or runs as
    a co-routine first, are not a full read, nor is a table-valued function
    such as ``json_each``). A search of an index whose name contains ``kind``
    by ``kind=?`` alone reads every interaction of that kind ever stored, and
    counts too.
    """
    watched = None if tables is None else set(tables)
    found = []
    for plan in plans:
        derived = {line.split()[1] for line in plan.lines if line.startswith(("MATERIALIZE ", "CO-ROUTINE "))}
        for line in plan.lines:
            if _whole(line, derived, watched) or ("_kind" in line and "(kind=?)" in line):
                found.append(FullRead(line, plan.statement))
    return found


def _whole(line: str, derived: set[str], watched: set[str] | None) -> bool:
    words = line.split()
    if len(words) < 2 or words[0] != "SCAN" or "VIRTUAL TABLE" in line or words[1] == "CONSTANT":
        return False
    name = words[1]
    if watched is not None:
        return name in watched
    return name not in derived and not name.startswith("(")
