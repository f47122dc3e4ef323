"""Loyalty-specific test helpers: balances, ledger checks, and the concurrency test's worker process.

Customers, purchases and refunds come from the SDK's loader (``patron_sdk.data``).
The worker lives in the package, not under tests/, because the concurrency test
starts it in a fresh process that imports it by name.
"""

from __future__ import annotations

from typing import Any

from patron.app import App


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
