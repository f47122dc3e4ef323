"""8 processes redeem from the same few customers at once: nothing overdraws, every refusal is clean.

Runs on SQLite (BEGIN IMMEDIATE) and PostgreSQL (row lock + conditional UPDATE).
"""

from __future__ import annotations

import multiprocessing
from collections import Counter

import pytest

from patron_loyalty.redemption import adjust
from patron_loyalty.testing import balance, problems, redeem_worker
from patron_sdk.data import customers, purchase

PROCESSES = 8
ATTEMPTS = 50


@pytest.mark.slow
def test_concurrent_redemptions_never_overdraw(make_patron_app):
    app = make_patron_app(plugins=["loyalty"])
    ids = customers(app, 4)
    for i, c in enumerate(ids):
        purchase(app, c, f"p{i}", 20000)  # 200 points each
    adjust(app, ids[0], 100, "top-up")
    available = {c: balance(app, c) for c in ids}
    app.dispose()

    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=redeem_worker, args=(str(app.settings.path), ids, ATTEMPTS, seed, barrier, out))
        for seed in range(PROCESSES)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0

    errors = [e for _, _, es in results for e in es]
    assert errors == []
    granted: Counter[int] = Counter()
    for got, _, _ in results:
        for c, points in got:
            granted[c] += points
    refused = sum(r for _, r, _ in results)
    assert refused + sum(len(g) for g, _, _ in results) == PROCESSES * ATTEMPTS
    assert refused > 0, "the test must push the balances to their limit"
    for c in ids:
        assert balance(app, c) == available[c] - granted[c] >= 0
    assert problems(app) == []
