"""Differential testing: the same data into SQLite and PostgreSQL, every computation compared row for row.

Set-based SQL is where the two engines quietly disagree: ``sum()`` of integers is
``numeric`` on PostgreSQL, so ``//`` divides exactly there and floors on SQLite;
casts of floats round on one and truncate on the other; month arithmetic clamps
on one and overflows on the other. Each engine agrees with itself, so a
consistency check on either passes. This harness loads one generated data set
into both engines and compares what every enabled plugin computes from it:

- every table a plugin owns, row for row (customer ids shown as external ids,
  clock-dependent and random columns left out);
- every scoring model's scores, every tier scheme's qualification and every
  audience's members as of one instant;
- every report's JSON document (the generation time left out).

A plugin author runs it against their own plugin in a few lines::

    from hypothesis import given, settings
    from patron_sdk.differential import datasets, engine_pair, differences

    @settings(max_examples=10, deadline=None)
    @given(data=datasets())
    def test_same_numbers_on_both_engines(tmp_path_factory, data):
        with engine_pair(tmp_path_factory.mktemp("diff"), plugins=["myplugin"]) as (lite, pg):
            assert differences(lite, pg, data) == []

(``engine_pair`` skips when ``$PATRON_TEST_POSTGRES_URL`` names no server, and
fails under ``CI``, like the ``patron_db_url`` fixture.)
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from patron.app import App

#: The instant every computation is made as of (after every generated date).
AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
#: Columns whose values depend on the clock, on random tokens or on internal ids, not on the data.
#: (Internal ids legitimately differ: a PostgreSQL sequence is consumed by rows ON CONFLICT skips.)
VOLATILE_COLUMNS = frozenset(
    {"recorded_at", "created_at", "updated_at", "reviewed_at", "computed_at", "batch", "review", "token"}
    | {"idempotency_key"}
)
#: Id columns that name an interaction: compared as the interaction's external id.
INTERACTION_ID_COLUMNS = frozenset({"interaction_id", "purchase_id", "refund_id"})
#: Report keys that depend on the clock, not on the data.
VOLATILE_REPORT_KEYS = frozenset({"generated_at", "fingerprint", "plugin_versions"})
_START = datetime(2023, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Dataset:
    """Customers and interactions to load, in order; ids are the source system's (external) ids."""

    customers: list[dict[str, Any]]
    interactions: list[dict[str, Any]] = field(default_factory=list)


def datasets(max_customers: int = 6, max_interactions: int = 30) -> SearchStrategy[Dataset]:
    """A hypothesis strategy of small, valid data sets: purchases, refunds of them, other kinds.

    Amounts are integer minor units (EUR), dates fall in 2023–2025, and every
    refund names an earlier purchase of the same customer for at most its amount
    (the core's refund convention, ``patron.kinds``).
    """
    from hypothesis import strategies as st

    @st.composite
    def build(draw: Any) -> Dataset:
        n = draw(st.integers(min_value=1, max_value=max_customers))
        customers = [{"external_id": f"c{i}", "name": f"Customer {i}"} for i in range(n)]
        interactions: list[dict[str, Any]] = []
        purchases: dict[str, list[tuple[str, int]]] = {}
        for j in range(draw(st.integers(min_value=0, max_value=max_interactions))):
            customer = f"c{draw(st.integers(min_value=0, max_value=n - 1))}"
            when = _START + timedelta(days=draw(st.integers(min_value=0, max_value=1000)))
            kind = draw(st.sampled_from(["purchase", "purchase", "purchase", "refund", "call"]))
            row: dict[str, Any] = {"external_id": f"i{j}", "customer": customer, "kind": kind, "occurred_at": when}
            if kind == "purchase":
                amount = draw(st.integers(min_value=1, max_value=10**7))
                row.update(amount_minor=amount, currency="EUR")
                purchases.setdefault(customer, []).append((row["external_id"], amount))
            elif kind == "refund":
                own = purchases.get(customer)
                if not own:
                    continue
                of, paid = draw(st.sampled_from(own))
                row.update(
                    amount_minor=draw(st.integers(min_value=1, max_value=paid)),
                    currency="EUR",
                    payload={"refund_of": of},
                )
            interactions.append(row)
        return Dataset(customers, interactions)

    return build()


def load(app: App, data: Dataset, prefix: str = "", batch: int = 7) -> None:
    """Write ``data`` through the core's ingest API (events fire), ``batch`` interactions per transaction.

    ``prefix`` is put before every external id, so several data sets can share one database.
    """
    from sqlalchemy import select

    from patron.ingest import record_interactions, upsert_customers
    from patron.models import Customer

    with app.transaction() as session:
        rows = [{**c, "external_id": prefix + c["external_id"]} for c in data.customers]
        upsert_customers(app, session, rows)
        ids = dict(
            session.execute(
                select(Customer.external_id, Customer.id).where(
                    Customer.external_id.in_([r["external_id"] for r in rows])
                )
            ).all()
        )
    for start in range(0, len(data.interactions), batch):
        chunk = []
        for i in data.interactions[start : start + batch]:
            row = {k: v for k, v in i.items() if k != "customer"}
            row["external_id"] = prefix + i["external_id"]
            row["customer_id"] = ids[prefix + i["customer"]]
            if "refund_of" in row.get("payload", {}):
                row["payload"] = {"refund_of": prefix + row["payload"]["refund_of"]}
            chunk.append(row)
        with app.transaction() as session:
            record_interactions(app, session, chunk)


def observe(app: App, as_of: datetime = AS_OF) -> dict[str, Any]:
    """Everything the enabled plugins compute, as plain comparable values (see the module docstring)."""
    from patron.refresh import refresh

    refresh(app, as_of)
    seen: dict[str, Any] = {}
    with app.transaction() as session:
        names = _customer_names(session)
        for name in app.scoring_models:
            query = app.scoring_models[name].scores(session, as_of=as_of)
            seen[f"scoring:{name}"] = _rows(session.execute(query), names, first_is_customer=True)
        for name in app.tier_schemes:
            query = app.tier_schemes[name].qualify(session, as_of=as_of)
            seen[f"tiers:{name}"] = _rows(session.execute(query), names, first_is_customer=True)
        for name in app.audiences:
            members = session.scalars(app.audiences[name].query(session))
            seen[f"audience:{name}"] = sorted(names.get(m, str(m)) for m in members)
        seen.update(_tables(app, session, names))
    for name in app.reports:
        seen[f"report:{name}"] = _report(app, name, as_of)
    return seen


def differences(
    first: App,
    second: App,
    data: Dataset | None = None,
    prefix: str = "",
    *,
    ignore_tables: Sequence[str] = (),
    rel_tol: float = 0.0,
) -> list[str]:
    """Load ``data`` (when given) into both apps, observe both, and describe every difference.

    :param ignore_tables: tables whose content differs by design between installations (a random
        per-installation key, for instance); they are left out of the comparison.
    :param rel_tol: relative tolerance for floating-point values (0: equal to 9 decimals). Set it for
        numerical fits, whose last digits depend on the order the engine sums in.
    """
    if data is not None:
        load(first, data, prefix)
        load(second, data, prefix)
    skipped = {f"table:{t}" for t in ignore_tables}
    a, b = observe(first), observe(second)
    found = []
    for key in sorted((set(a) | set(b)) - skipped):
        if not _equal(a.get(key), b.get(key), rel_tol):
            found.append(f"{key}: {_first_difference(a.get(key), b.get(key), rel_tol)}")
    return found


def _equal(a: Any, b: Any, rel_tol: float) -> bool:
    """``a == b``, except that floats (anywhere inside lists, tuples and dicts) may differ by ``rel_tol``."""
    if not rel_tol:
        return bool(a == b)
    if isinstance(a, float) and isinstance(b, float | int) and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=rel_tol, abs_tol=1e-9)
    if isinstance(b, float) and isinstance(a, int) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=rel_tol, abs_tol=1e-9)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_equal(x, y, rel_tol) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k], rel_tol) for k in a)
    return bool(a == b)


@contextmanager
def engine_pair(
    folder: Path, plugins: Sequence[str] = (), config: Mapping[str, Mapping[str, Any]] | None = None
) -> Iterator[tuple[App, App]]:
    """Two migrated apps with the same plugins and config: one on SQLite, one on a fresh PostgreSQL database."""
    from patron.app import App
    from patron.config import load_settings
    from patron_sdk.pytest_plugin import database_urls, render_config

    with ExitStack() as stack:
        apps: list[App] = []
        for backend in ("sqlite", "postgresql"):
            urls = database_urls(backend, folder)
            url = next(urls)
            stack.callback(next, urls, None)  # resumes the generator: it drops the PostgreSQL database
            path = folder / f"patron-{backend}.toml"
            path.write_text(render_config(url, plugins, config or {}), encoding="utf-8")
            app = App(load_settings(path, env={}))
            stack.callback(app.dispose)
            app.upgrade_database()
            apps.append(app)
        yield apps[0], apps[1]


# -- normalising ------------------------------------------------------------------------------------------------


def _customer_names(session: Any) -> dict[int, str]:
    from sqlalchemy import select

    from patron.models import Customer

    return {i: e for i, e in session.execute(select(Customer.id, Customer.external_id))}


def _value(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, Decimal):
        return round(float(value), 9)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    return value


def _rows(result: Any, names: Mapping[int, str], *, first_is_customer: bool = False) -> list[tuple[Any, ...]]:
    rows = []
    for row in result:
        values = [_value(v) for v in row]
        if first_is_customer and values and isinstance(values[0], int):
            values[0] = names.get(values[0], values[0])
        rows.append(tuple(values))
    return sorted(rows, key=repr)


def _tables(app: App, session: Any, names: Mapping[int, str]) -> dict[str, Any]:
    from sqlalchemy import MetaData, inspect, select

    from patron.models import Base, Interaction

    present = set(inspect(session.connection()).get_table_names())
    interactions = dict(session.execute(select(Interaction.id, Interaction.external_id)).all())
    core = {"customers", "interactions", "consents", "audit_events"}
    out: dict[str, Any] = {}
    tables = {t.name: t for t in Base.metadata.sorted_tables if t.name in present}
    # A plugin's models may not be imported yet in this process (they load lazily): reflect those tables,
    # so what is compared never depends on what happened to be imported before.
    missing = sorted(present - set(tables) - core)
    if missing:
        reflected = MetaData()
        reflected.reflect(session.connection(), only=missing)
        tables.update(reflected.tables)
    for _, table in sorted(tables.items()):
        if table.name in core:
            continue
        columns = [c for c in table.c if _compared(c)]
        rows = []
        for row in session.execute(select(*columns)):
            values = [_stable(c, v, names, interactions) for c, v in zip(columns, row, strict=True)]
            rows.append(tuple(values))
        out[f"table:{table.name}"] = sorted(rows, key=repr)
    return out


def _compared(column: Any) -> bool:
    name = column.name
    if name in VOLATILE_COLUMNS or name.endswith("_token"):
        return False
    if name == "id" or name.endswith("_id"):
        # Internal ids differ between engines; those naming a customer or an interaction are mapped instead.
        return name == "customer_id" or name in INTERACTION_ID_COLUMNS or _references(column, "interactions")
    return True


def _references(column: Any, table: str) -> bool:
    return any(fk.column.table.name == table for fk in column.foreign_keys)


def _stable(column: Any, value: Any, customers: Mapping[int, str], interactions: Mapping[int, str]) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        if column.name == "customer_id" or _references(column, "customers"):
            return customers.get(value, value)
        if column.name in INTERACTION_ID_COLUMNS or _references(column, "interactions"):
            return interactions.get(value, value)
    return _value(value)


def _report(app: App, name: str, as_of: datetime) -> Any:
    from patron.errors import PatronError
    from patron.reports.render import render
    from patron.reports.runner import run_report

    try:
        run = run_report(app, name, generated_at=as_of)
    except PatronError as exc:
        # A report that needs parameters the harness cannot guess: compare the error instead.
        return f"error: {exc}"
    return _strip(json.loads(render(run, "json")[""]))


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in VOLATILE_REPORT_KEYS}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    if isinstance(value, float):
        return round(value, 9)
    return value


def _first_difference(a: Any, b: Any, rel_tol: float = 0.0) -> str:
    if isinstance(a, list) and isinstance(b, list):
        for index, (x, y) in enumerate(zip(a, b, strict=False)):
            if not _equal(x, y, rel_tol):
                return f"row {index}: sqlite {x!r} != postgresql {y!r}"
        return f"sqlite has {len(a)} rows, postgresql {len(b)}"
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if not _equal(a.get(key), b.get(key), rel_tol):
                return f"[{key!r}] " + _first_difference(a.get(key), b.get(key), rel_tol)
    return f"sqlite {a!r} != postgresql {b!r}"
