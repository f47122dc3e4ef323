"""The seeded synthetic data set: customers, interactions and consent choices.

Everything comes from one ``random.Random(seed)``, in a fixed order, and the
period is fixed (2024-01-01 to 2025-12-31), so the same seed and size always
give the same rows, whatever the day the demo runs. Shape:

- sign-ups spread over two years, growing over time;
- purchase counts per customer long-tailed (Pareto): most buy once or twice,
  a few buy dozens of times; spend per order log-normal, scaled by a
  per-customer value factor, so revenue concentrates in a minority (Pareto-like);
- seasonality: November and December peak, January dips;
- about 4% of purchases refunded in full, following ``patron.kinds``' refund convention
  (kind ``refund``, the positive amount given back, ``payload.refund_of`` = the purchase);
- channels: web, store and phone purchases, web visits, phone calls, and email
  campaigns sent only to customers whose email consent was granted at that time;
- consent choices on ``email`` and ``sms`` (purpose ``marketing``) at sign-up,
  and some later email opt-outs.

This is Python generating rows, not Python looping over the database: rows are
written in batches through ``patron.ingest`` by ``patron.demo.build``.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from patron.demo.names import CITIES, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES
from patron.demo.surveys import add_survey_answers
from patron.kinds import PURCHASE, REFUND, REFUND_OF

START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 1, tzinfo=UTC)
PERIOD_SECONDS = int((END - START).total_seconds())
CURRENCY = "EUR"
#: Relative purchase intensity per calendar month (index 1-12): the seasonality.
MONTH_WEIGHT = (0, 0.75, 0.8, 0.95, 1.0, 1.0, 0.95, 0.9, 0.95, 1.0, 1.1, 1.7, 2.2)
PURCHASE_CHANNELS = (("web", 0.55), ("store", 0.35), ("phone", 0.10))
CAMPAIGN_MONTHS = ((2024, 3), (2024, 6), (2024, 9), (2024, 11), (2025, 3), (2025, 6), (2025, 9), (2025, 11))


@dataclass
class DemoData:
    """All generated rows; customer references use external ids (mapped to ids when loading)."""

    customers: list[dict[str, Any]] = field(default_factory=list)
    interactions: list[dict[str, Any]] = field(default_factory=list)
    #: ``(customer external id, channel, granted, occurred_at, source)``
    consents: list[tuple[str, str, bool, datetime, str]] = field(default_factory=list)


def ascii_slug(text: str) -> str:
    """``"Zoë O'Brien"`` → ``"zoeobrien"``: for email local parts."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed.lower() if ch.isascii() and ch.isalnum())


def generate(customers: int = 3000, seed: int = 42) -> DemoData:
    """Generate the data set for ``customers`` customers from ``seed``."""
    rng = random.Random(seed)
    data = DemoData()
    email_windows: dict[str, tuple[datetime, datetime]] = {}
    counter = _Counter()
    for i in range(1, customers + 1):
        ext = f"C{i:06d}"
        # Triangular with its mode late in the period: the business grows.
        signup = START + timedelta(seconds=int(rng.triangular(0, PERIOD_SECONDS * 0.97, PERIOD_SECONDS * 0.45)))
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        data.customers.append(
            {
                "external_id": ext,
                "name": f"{first} {last}",
                "email": f"{ascii_slug(first)}.{ascii_slug(last)}{i}@{rng.choice(EMAIL_DOMAINS)}",
                "phone": f"+44 7700 900{rng.randrange(1000):03d}",
                "created_at": signup,
                "attributes": {"city": rng.choice(CITIES), "source": "demo"},
            }
        )
        _consent(rng, data, ext, signup, email_windows)
        _purchases(rng, data, ext, signup, counter)
        _contacts(rng, data, ext, signup, counter)
    _campaigns(data, email_windows, counter)
    add_survey_answers(data, seed, END)  # survey answers: patron.demo.surveys, its own random stream
    data.interactions.sort(key=lambda r: (r["occurred_at"], r["external_id"]))
    return data


class _Counter:
    """Sequential external ids per interaction kind: P0000001, R0000001, …"""

    def __init__(self) -> None:
        self.n: dict[str, int] = {}

    def next(self, prefix: str) -> str:
        self.n[prefix] = self.n.get(prefix, 0) + 1
        return f"{prefix}{self.n[prefix]:07d}"


def _seasonal_time(rng: random.Random, after: datetime) -> datetime:
    # Rejection sampling against the month weights: uniform in time, thinned off-season.
    span = int((END - after).total_seconds())
    top = max(MONTH_WEIGHT)
    while True:
        t = after + timedelta(seconds=rng.randrange(max(span, 1)))
        if rng.random() * top <= MONTH_WEIGHT[t.month]:
            return t


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in weighted], weights=[w for _, w in weighted])[0]


def _purchases(rng: random.Random, data: DemoData, ext: str, signup: datetime, counter: _Counter) -> None:
    if rng.random() < 0.12:
        return  # signed up, never bought
    count = min(int(rng.paretovariate(1.3)), 40)
    value = rng.lognormvariate(0, 0.55)  # some customers spend more per order than others
    home_channel = _pick(rng, PURCHASE_CHANNELS)
    for _ in range(count):
        at = _seasonal_time(rng, signup)
        cents = max(299, min(int(rng.lognormvariate(3.7, 0.75) * value * 100), 250_000))
        channel = home_channel if rng.random() < 0.7 else _pick(rng, PURCHASE_CHANNELS)
        pid = counter.next("P")
        data.interactions.append(
            {
                "external_id": pid,
                "customer_external_id": ext,
                "kind": PURCHASE,
                "channel": channel,
                "occurred_at": at,
                "amount_minor": cents,
                "currency": CURRENCY,
                "payload": {"items": 1 + int(rng.expovariate(0.8))},
            }
        )
        if rng.random() < 0.04:
            refund_at = at + timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 23))
            if refund_at < END:
                data.interactions.append(
                    {
                        "external_id": counter.next("R"),
                        "customer_external_id": ext,
                        "kind": REFUND,
                        "channel": channel,
                        "occurred_at": refund_at,
                        "amount_minor": cents,
                        "currency": CURRENCY,
                        "payload": {REFUND_OF: pid},
                    }
                )


def _contacts(rng: random.Random, data: DemoData, ext: str, signup: datetime, counter: _Counter) -> None:
    for _ in range(int(rng.expovariate(1 / 3))):
        data.interactions.append(
            {
                "external_id": counter.next("V"),
                "customer_external_id": ext,
                "kind": "visit",
                "channel": "web",
                "occurred_at": _seasonal_time(rng, signup),
                "amount_minor": None,
                "currency": None,
                "payload": {"pages": 1 + int(rng.expovariate(0.4))},
            }
        )
    if rng.random() < 0.25:
        data.interactions.append(
            {
                "external_id": counter.next("K"),
                "customer_external_id": ext,
                "kind": "call",
                "channel": "phone",
                "occurred_at": _seasonal_time(rng, signup),
                "amount_minor": None,
                "currency": None,
                "payload": {"topic": rng.choice(("delivery", "returns", "product question", "billing"))},
            }
        )


def _consent(
    rng: random.Random, data: DemoData, ext: str, signup: datetime, email_windows: dict[str, tuple[datetime, datetime]]
) -> None:
    email = rng.random() < 0.62
    sms = rng.random() < 0.28
    data.consents.append((ext, "email", email, signup, "signup form"))
    data.consents.append((ext, "sms", sms, signup, "signup form"))
    if email:
        until = END
        if rng.random() < 0.1:
            until = signup + timedelta(seconds=rng.randrange(max(int((END - signup).total_seconds()), 1)))
            data.consents.append((ext, "email", False, until, "preference centre"))
        email_windows[ext] = (signup, until)


def _campaigns(data: DemoData, email_windows: dict[str, tuple[datetime, datetime]], counter: _Counter) -> None:
    for year, month in CAMPAIGN_MONTHS:
        sent_at = datetime(year, month, 10, 9, 0, tzinfo=UTC)
        campaign = f"newsletter-{year}-{month:02d}"
        for ext, (since, until) in email_windows.items():
            if since <= sent_at < until:
                data.interactions.append(
                    {
                        "external_id": counter.next("E"),
                        "customer_external_id": ext,
                        "kind": "email_sent",
                        "channel": "email",
                        "occurred_at": sent_at,
                        "amount_minor": None,
                        "currency": None,
                        "payload": {"campaign": campaign},
                    }
                )


def batches(rows: list[Any], size: int) -> Iterator[list[Any]]:
    """``rows`` in consecutive slices of at most ``size``."""
    for i in range(0, len(rows), size):
        yield rows[i : i + size]
