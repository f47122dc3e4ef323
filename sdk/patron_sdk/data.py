"""Test data for Patron plugins: one loader, small helpers, a synthetic generator and the CDNOW log.

Everything writes through the core's public ingest API (``patron.ingest``), so
plugins' events fire exactly as they do for a real import, in batches so that
a large data set does not pay a transaction per row.

- ``Row`` is one interaction of a customer named by external id; ``load(app,
  rows)`` creates the customers (in the order given, so their ids follow it) and
  records the interactions, and returns external id → internal id.
- ``customers``, ``purchase`` and ``refund`` write one thing at a time, for
  tests that build a story step by step (refunds follow the core's convention:
  a positive amount and ``payload["refund_of"]`` naming the purchase).
- ``synthetic(n, seed=...)`` is a reproducible purchase history with refunds.
- ``read_cdnow``/``load_cdnow`` read Fader and Hardie's CDNOW purchase log
  (``find_cdnow()`` says where it is: ``$PATRON_CDNOW``, else
  ``shared/data/CDNOW_master.txt`` beside the checkout).
"""

from __future__ import annotations

import itertools
import os
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from patron.app import App

#: The default moment of ``purchase`` and ``refund``.
T0 = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
BATCH = 5_000
#: The CDNOW master file's size: customers and purchase lines.
CDNOW_CUSTOMERS = 23_570
CDNOW_PURCHASES = 69_659
CDNOW_RELATIVE = Path("shared/data/CDNOW_master.txt")

_row_ids = itertools.count()


@dataclass(frozen=True)
class Row:
    """One interaction of customer ``customer`` (an external id), for ``load``.

    ``currency`` applies only when there is an amount; ``external_id`` defaults to
    a fresh ``row-<n>``.
    """

    customer: str
    occurred_at: datetime
    kind: str = "purchase"
    amount_minor: int | None = None
    currency: str = "USD"
    external_id: str | None = None
    payload: Mapping[str, Any] | None = field(default=None, compare=False)

    def as_interaction(self, customer_id: int) -> dict[str, Any]:
        """The row for ``patron.ingest.record_interactions``."""
        row: dict[str, Any] = {
            "external_id": self.external_id or f"row-{next(_row_ids)}",
            "customer_id": customer_id,
            "kind": self.kind,
            "occurred_at": self.occurred_at,
            "amount_minor": self.amount_minor,
            "currency": None if self.amount_minor is None else self.currency,
        }
        if self.payload is not None:
            row["payload"] = dict(self.payload)
        return row


def load(
    app: App, rows: Sequence[Row], customers: Iterable[str] | None = None, *, batch_size: int = BATCH
) -> dict[str, int]:
    """Create the customers (``customers``, else those of ``rows`` in order) and record ``rows``, in batches.

    Returns external id → internal id of every customer in the database.
    """
    from sqlalchemy import select

    from patron.ingest import record_interactions, upsert_customers
    from patron.models import Customer

    names = list(dict.fromkeys(customers if customers is not None else (r.customer for r in rows)))
    with app.transaction() as session:
        for i in range(0, len(names), batch_size):
            upsert_customers(app, session, [{"external_id": n, "name": n} for n in names[i : i + batch_size]])
        ids = {str(ext): int(cid) for ext, cid in session.execute(select(Customer.external_id, Customer.id))}
    for i in range(0, len(rows), batch_size):
        with app.transaction() as session:
            record_interactions(app, session, [r.as_interaction(ids[r.customer]) for r in rows[i : i + batch_size]])
    return ids


def customers(app: App, n: int, prefix: str = "c") -> list[int]:
    """Insert customers ``<prefix>0`` … ``<prefix>{n-1}``; return their ids in order."""
    from patron.ingest import upsert_customers

    with app.transaction() as session:
        return upsert_customers(app, session, [{"external_id": f"{prefix}{i}"} for i in range(n)]).inserted_ids


def purchase(
    app: App,
    customer_id: int,
    external_id: str,
    amount_minor: int,
    when: datetime = T0,
    currency: str = "EUR",
    **extra: Any,
) -> list[int]:
    """Record one purchase; return the new interaction ids (empty when ``external_id`` was already recorded)."""
    return _record(app, customer_id, external_id, "purchase", amount_minor, when, currency, extra)


def refund(
    app: App, customer_id: int, external_id: str, of: str, amount_minor: int, when: datetime = T0, currency: str = "EUR"
) -> list[int]:
    """Record a refund of ``amount_minor`` (positive: the money given back) of purchase ``of`` (its external id)."""
    return _record(
        app, customer_id, external_id, "refund", amount_minor, when, currency, {"payload": {"refund_of": of}}
    )


def _record(
    app: App, cid: int, ext: str, kind: str, amount: int, when: datetime, currency: str, extra: Mapping[str, Any]
) -> list[int]:
    from patron.ingest import record_interactions

    row = {
        "external_id": ext,
        "customer_id": cid,
        "kind": kind,
        "occurred_at": when,
        "amount_minor": amount,
        "currency": currency,
        **extra,
    }
    with app.transaction() as session:
        return record_interactions(app, session, [row])


def synthetic(
    n_customers: int,
    *,
    seed: int = 0,
    start: datetime = datetime(2024, 1, 1, tzinfo=UTC),
    days: int = 365,
    refund_rate: float = 0.05,
    currency: str = "USD",
) -> list[Row]:
    """A reproducible purchase history: ``c0`` … customers with skewed purchase counts, amounts and some refunds.

    The same arguments always give the same rows (refunds come after their
    purchase, for the whole amount or part of it, naming it in ``refund_of``).
    """
    rng = random.Random(seed)
    rows: list[Row] = []
    for c in range(n_customers):
        customer = f"c{c}"
        for p in range(min(1 + int(rng.paretovariate(1.5)), 40)):
            when = start + timedelta(seconds=rng.randrange(days * 86_400))
            amount = int(rng.lognormvariate(8, 0.8))  # minor units, median ~30.00
            ext = f"{customer}-p{p}"
            rows.append(Row(customer, when, "purchase", amount, currency, ext))
            if rng.random() < refund_rate:
                back = amount if rng.random() < 0.5 else max(1, amount // 2)
                later = when + timedelta(days=rng.randint(1, 30))
                rows.append(Row(customer, later, "refund", back, currency, f"{ext}-r", {"refund_of": ext}))
    rows.sort(key=lambda r: (r.occurred_at, r.external_id or ""))
    return rows


def find_cdnow(start: Path | None = None) -> Path:
    """Where the CDNOW log is: ``$PATRON_CDNOW``, else ``shared/data/`` in the working directory or a parent.

    Returns the first candidate even when it does not exist, so a skip message
    can say where it was looked for.
    """
    if os.environ.get("PATRON_CDNOW"):
        return Path(os.environ["PATRON_CDNOW"])
    here = (start or Path.cwd()).resolve()
    candidates = [folder / CDNOW_RELATIVE for folder in (here, *here.parents)]
    return next((c for c in candidates if c.is_file()), here.parent / CDNOW_RELATIVE)


def read_cdnow(path: Path | None = None, *, limit: int | None = None) -> list[Row]:
    """The purchases of the CDNOW log (customer ``cdnow-<id>``, interaction ``cdnow-<line>``, USD cents).

    ``limit`` keeps the first ``limit`` purchase lines. Raises ``ValueError``
    naming the line of a malformed record.
    """
    source = path or find_cdnow()
    rows: list[Row] = []
    with source.open(encoding="ascii") as lines:
        for number, line in enumerate(lines, 1):
            parts = line.split()
            if not parts or not parts[0].isdigit():
                continue  # the header line, or a blank one
            if len(parts) != 4:
                raise ValueError(f"{source}: line {number}: expected 'customer_id YYYYMMDD cds dollars', got {line!r}")
            if limit is not None and len(rows) >= limit:
                break
            customer, day, _cds, dollars = parts
            when = datetime.strptime(day, "%Y%m%d").replace(tzinfo=UTC)
            cents = int(Decimal(dollars) * 100)
            rows.append(Row(f"cdnow-{int(customer)}", when, "purchase", cents, "USD", f"cdnow-{number}"))
    return rows


def load_cdnow(app: App, path: Path | None = None, *, limit: int | None = None) -> tuple[list[Row], dict[str, int]]:
    """Load the CDNOW log into ``app``: returns the rows and external id → internal id (customers sorted by id)."""
    rows = read_cdnow(path, limit=limit)
    customers_in_order = sorted({r.customer for r in rows}, key=lambda c: int(c.split("-")[1]))
    return rows, load(app, rows, customers_in_order)
