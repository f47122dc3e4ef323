"""The same numbers on both engines: hypothesis data into SQLite and PostgreSQL, every shipped plugin compared.

Found: a refund of 50.00 on a 123.45 purchase left 74 points on SQLite and 73
on PostgreSQL (``//`` on a windowed ``sum()``, numeric on PostgreSQL), and
``patron loyalty check`` passed on both.
"""

from __future__ import annotations

import itertools
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from patron_sdk.differential import Dataset, datasets, differences, engine_pair

ROOT = Path(__file__).resolve().parents[1]


def _shipped() -> list[str]:
    """Every plugin shipped in this repository: the patron entry points of plugins/*/pyproject.toml."""
    names = []
    for pyproject in sorted(ROOT.glob("plugins/*/pyproject.toml")):
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        names += list(data["project"].get("entry-points", {}).get("patron", {}))
    return names


#: tests/plugins/* are test fixtures, not shipped.
SHIPPED = _shipped()
#: email_keys holds a random per-installation key (signing unsubscribe links): different by design.
RANDOM_TABLES = ("email_keys",)
#: clv's fits are numerical optimisations: their last digits depend on the order each engine sums in.
FLOAT_TOLERANCE = 1e-6


@pytest.mark.slow
def test_every_shipped_plugin_computes_the_same_on_both_engines(tmp_path):
    counter = itertools.count()
    with engine_pair(tmp_path, plugins=SHIPPED) as (lite, pg):

        @settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(data=datasets(max_customers=5, max_interactions=20))
        def check(data: Dataset) -> None:
            found = differences(
                lite, pg, data, prefix=f"e{next(counter)}-", ignore_tables=RANDOM_TABLES, rel_tol=FLOAT_TOLERANCE
            )
            assert found == []

        check()


def test_every_shipped_plugin_is_compared():
    assert {"rfm", "loyalty", "nps", "email", "clv"} <= set(SHIPPED)


def test_the_refund_clawback_is_the_same_on_both_engines(tmp_path):
    """The reported case: 50.00 refunded of 123.45 leaves 74 points on both (123 earned, 49 clawed back)."""
    t = datetime(2024, 1, 1, tzinfo=UTC)
    data = Dataset(
        customers=[{"external_id": "c0"}],
        interactions=[
            {
                "external_id": "p",
                "customer": "c0",
                "kind": "purchase",
                "occurred_at": t,
                "amount_minor": 12345,
                "currency": "EUR",
            },
            {
                "external_id": "r",
                "customer": "c0",
                "kind": "refund",
                "occurred_at": t,
                "amount_minor": 5000,
                "currency": "EUR",
                "payload": {"refund_of": "p"},
            },
        ],
    )
    with engine_pair(tmp_path, plugins=["loyalty"]) as (lite, pg):
        assert differences(lite, pg, data) == []
