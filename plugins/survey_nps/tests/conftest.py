"""Shared helpers for the survey tests: an app with the plugin, a batch loader, and a plain-Python oracle.

The oracle re-implements the issue's rules directly (dedup per customer and
period, NPS/CSAT/CES from lists of scores) with no SQL and no code from
``patron_nps``, so agreement with it is evidence the SQL is right on both engines.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

BATCH = 5_000
_ids = itertools.count()


@dataclass(frozen=True)
class Answer:
    """One survey answer for the loader and the oracle."""

    customer: str
    survey: str
    score: int | str
    at: datetime
    comment: str | None = None
    touchpoint: str | None = None


def utc(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


def load(app: Any, answers: Sequence[Answer], customers: Iterable[str] | None = None) -> dict[str, int]:
    """Customers then answers through ``patron.ingest`` in batches; returns external id → id."""
    from sqlalchemy import select

    from patron.ingest import record_interactions, upsert_customers
    from patron.models import Customer

    names = list(dict.fromkeys(customers if customers is not None else (a.customer for a in answers)))
    with app.transaction() as session:
        for i in range(0, len(names), BATCH):
            upsert_customers(app, session, [{"external_id": n, "name": n} for n in names[i : i + BATCH]])
        ids = {ext: cid for ext, cid in session.execute(select(Customer.external_id, Customer.id))}
    for i in range(0, len(answers), BATCH):
        rows = []
        for a in answers[i : i + BATCH]:
            payload: dict[str, Any] = {"survey": a.survey, "score": a.score}
            if a.comment is not None:
                payload["comment"] = a.comment
            if a.touchpoint is not None:
                payload["touchpoint"] = a.touchpoint
            rows.append(
                {
                    "external_id": f"ans-{next(_ids)}",
                    "customer_id": ids[a.customer],
                    "kind": "survey_response",
                    "occurred_at": a.at,
                    "payload": payload,
                }
            )
        with app.transaction() as session:
            record_interactions(app, session, rows)
    return ids


# ---------------------------------------------------------------------------
# The oracle
# ---------------------------------------------------------------------------


def period_of(at: datetime, period: str) -> tuple[int, ...]:
    if period == "month":
        return (at.year, at.month)
    if period == "quarter":
        return (at.year, (at.month - 1) // 3)
    return (at.year,)


def counted(answers: Sequence[Answer], survey: str, period: str, start: datetime, end: datetime) -> list[Answer]:
    """The latest answer per customer and period within [start, end); ties: the later one in the list."""
    latest: dict[tuple[Any, ...], tuple[int, Answer]] = {}
    for order, a in enumerate(answers):
        if a.survey != survey or not start <= a.at < end:
            continue
        key = (a.customer, period_of(a.at, period))
        if key not in latest or (a.at, order) >= (latest[key][1].at, latest[key][0]):
            latest[key] = (order, a)
    return [a for _, a in latest.values()]


def oracle_nps(scores: Sequence[int], z: float = 1.959963984540054) -> tuple[float, float, float]:
    n = len(scores)
    promoters = sum(1 for s in scores if s >= 9) / n
    detractors = sum(1 for s in scores if s <= 6) / n
    value = 100 * (promoters - detractors)
    se = 100 * math.sqrt((promoters + detractors - (promoters - detractors) ** 2) / n)
    return value, max(-100, value - z * se), min(100, value + z * se)


def oracle_share(scores: Sequence[int], low: int, high: int) -> float:
    return 100 * sum(1 for s in scores if low <= s <= high) / len(scores)


def oracle_mean(scores: Sequence[int]) -> tuple[float, float]:
    n = len(scores)
    m = sum(scores) / n
    sd = math.sqrt(sum((s - m) ** 2 for s in scores) / (n - 1))
    return m, sd


@pytest.fixture
def nps_kit() -> SimpleNamespace:
    """The helpers above (conftest modules are not importable under importlib mode)."""
    return SimpleNamespace(
        Answer=Answer,
        utc=utc,
        load=load,
        counted=counted,
        oracle_nps=oracle_nps,
        oracle_share=oracle_share,
        oracle_mean=oracle_mean,
    )


@pytest.fixture
def nps_app(make_patron_app: Any) -> Any:
    """An app with only the survey plugin, default surveys (nps, csat, ces) and min_answers 5."""
    return make_patron_app(plugins=["nps"], config={"nps": {"min_answers": 5}})
