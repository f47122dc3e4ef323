"""Survey answers for the demo: NPS after purchases, CSAT after calls, CES after web orders.

Kept apart from ``generate`` (which calls ``add_survey_answers`` once, at the
end) with its own seeded random stream, so the rest of the data set is the same
with or without it. The answers are interactions of kind ``survey_response``
whose payload names the default surveys of the ``nps`` plugin (``nps``,
``csat``, ``ces``); without that plugin they are plain interactions.

How happy a customer is follows how they buy, so scores line up with the RFM
segments and loyalty tiers computed later from the same purchases: frequent,
recent buyers (Champions, high tiers) are mostly promoters; customers who used
to buy often and stopped (At Risk, Can't Lose Them) answered as detractors
around their last purchases; one-off buyers sit in between.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from patron.demo.generate import DemoData

PRAISE = ("Great service, thank you!", "Love the quality.", "Fast delivery.", "Friendly staff in the store.")
COMPLAINTS = (
    "Delivery took far too long.",
    "Hard to reach anyone on the phone.",
    "Prices went up again.",
    "The product broke after a week.",
    "Refund took ages.",
)


@dataclass
class _Buyer:
    purchases: list[dict[str, Any]]
    calls: list[dict[str, Any]]


def add_survey_answers(data: DemoData, seed: int, end: datetime) -> None:
    """Append survey answers to ``data.interactions`` (unsorted; the caller sorts)."""
    rng = random.Random(seed * 7919 + 14)
    buyers: dict[str, _Buyer] = {}
    for row in data.interactions:
        if row["kind"] in ("purchase", "call"):
            buyer = buyers.setdefault(row["customer_external_id"], _Buyer([], []))
            (buyer.purchases if row["kind"] == "purchase" else buyer.calls).append(row)
    answers: list[dict[str, Any]] = []
    for ext in sorted(buyers):
        buyer = buyers[ext]
        mood = _mood(buyer, end)
        purchases = sorted(buyer.purchases, key=lambda r: r["occurred_at"])
        # NPS: a quarter answer after their first purchase (a welcome survey, before any trouble),
        # half after their latest one (a relationship survey, reflecting how things went since).
        disposition = rng.gauss(0, 1.0)
        if purchases and rng.random() < 0.25:
            score = _clamp(round(rng.gauss(7.4 + disposition, 1.7)), 0, 10)
            _answer(rng, answers, ext, "nps", score, purchases[0]["occurred_at"], end, purchases[0]["channel"])
        if len(purchases) > 1 and rng.random() < 0.6:
            score = _clamp(round(rng.gauss(mood + disposition, 1.7)), 0, 10)
            _answer(rng, answers, ext, "nps", score, purchases[-1]["occurred_at"], end, purchases[-1]["channel"])
        # CSAT after most calls; CES after a few web orders.
        for call in buyer.calls:
            if rng.random() < 0.7:
                score = _clamp(round(rng.gauss(1 + 4 * mood / 10, 0.9)), 1, 5)
                _answer(rng, answers, ext, "csat", score, call["occurred_at"], end, "phone")
        web = [p for p in purchases if p["channel"] == "web"]
        if web and rng.random() < 0.3:
            score = _clamp(round(rng.gauss(2.2 + 4.6 * mood / 10, 1.1)), 1, 7)
            _answer(rng, answers, ext, "ces", score, rng.choice(web)["occurred_at"], end, "web")
    for i, row in enumerate(answers, 1):
        row["external_id"] = f"S{i:07d}"
    data.interactions.extend(answers)


def _mood(buyer: _Buyer, end: datetime) -> float:
    """The customer's expected NPS score (0–10), from how often and how recently they buy."""
    count = len(buyer.purchases)
    if not count:
        return 6.5
    days = (end - max(p["occurred_at"] for p in buyer.purchases)).days
    recent = 1.0 if days < 60 else 0.6 if days < 180 else 0.3 if days < 365 else 0.0
    mood = 4.6 + 3.4 * recent + 2.6 * min(count, 6) / 6
    if count >= 2 and days >= 180:
        mood -= 3.0  # used to buy, then stopped: something went wrong
    return mood


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _answer(
    rng: random.Random,
    answers: list[dict[str, Any]],
    ext: str,
    survey: str,
    score: int,
    after: datetime,
    end: datetime,
    touchpoint: str,
) -> None:
    at = after + timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 23), minutes=rng.randint(0, 59))
    if at >= end:
        return
    payload: dict[str, Any] = {"survey": survey, "score": score, "touchpoint": touchpoint}
    low = score <= {"nps": 6, "csat": 2, "ces": 3}[survey]
    high = score >= {"nps": 9, "csat": 5, "ces": 6}[survey]
    if (low or high) and rng.random() < 0.3:
        payload["comment"] = rng.choice(COMPLAINTS if low else PRAISE)
    answers.append(
        {
            "external_id": "",
            "customer_external_id": ext,
            "kind": "survey_response",
            "channel": "phone" if touchpoint == "phone" else "web",
            "occurred_at": at,
            "amount_minor": None,
            "currency": None,
            "payload": payload,
        }
    )
