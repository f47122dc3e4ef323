"""Test helpers for this plugin and plugins building on it: customers, purchases and refunds via the core."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from patron.app import App
from patron.ingest import record_interactions, upsert_customers

T0 = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


def customers(app: App, n: int, prefix: str = "c") -> list[int]:
    """Insert ``n`` customers; return their ids in order."""
    with app.transaction() as session:
        return upsert_customers(app, session, [{"external_id": f"{prefix}{i}"} for i in range(n)]).inserted_ids


def purchase(app: App, customer_id: int, ext: str, amount: int, when: datetime = T0, **extra: Any) -> list[int]:
    """Record one purchase (amount in minor units)."""
    row = {
        "external_id": ext,
        "customer_id": customer_id,
        "kind": "purchase",
        "occurred_at": when,
        "amount_minor": amount,
        "currency": "EUR",
        **extra,
    }
    with app.transaction() as session:
        return record_interactions(app, session, [row])


def refund(
    app: App, customer_id: int, ext: str, of: str, amount: int, when: datetime = T0, currency: str = "EUR"
) -> list[int]:
    """Record a refund of ``amount`` (positive: the money given back) of purchase ``of`` (``patron.kinds``)."""
    row = {
        "external_id": ext,
        "customer_id": customer_id,
        "kind": "refund",
        "occurred_at": when,
        "amount_minor": amount,
        "currency": currency,
        "payload": {"refund_of": of},
    }
    with app.transaction() as session:
        return record_interactions(app, session, [row])


def balance(app: App, customer_id: int) -> int:
    from patron_loyalty.ledger import balance as get

    with app.transaction() as session:
        return get(session, customer_id)


def problems(app: App) -> list[Any]:
    from patron_loyalty.ledger import check

    with app.transaction() as session:
        return check(session)


def redeem_worker(config_path: str, customer_ids: list[int], attempts: int, seed: int, barrier: Any, out: Any) -> None:
    """Process body of the concurrency test: ``attempts`` random redemptions, results put on ``out``.

    Puts ``(granted, refused, errors)``: granted ``(customer, points)`` pairs,
    the number of clean insufficient-points refusals, and any other failure.
    """
    import random

    from patron_loyalty.redemption import InsufficientPoints, redeem

    app = App.from_config(config_path)
    rng = random.Random(seed)
    granted: list[tuple[int, int]] = []
    refused = 0
    errors: list[str] = []
    barrier.wait()
    for i in range(attempts):
        customer, points = rng.choice(customer_ids), rng.randint(1, 25)
        try:
            redeem(app, customer, points, f"load {seed}/{i}")
            granted.append((customer, points))
        except InsufficientPoints as exc:
            if "insufficient points" in str(exc):
                refused += 1
            else:
                errors.append(f"unclear refusal: {exc}")
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    app.dispose()
    out.put((granted, refused, errors))
