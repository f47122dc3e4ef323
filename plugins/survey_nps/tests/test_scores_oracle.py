"""Every score the reports print equals a plain-Python computation on a few thousand answers, on both engines."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from patron import hookimpl
from patron.contracts import Audience

AS_OF = date(2026, 1, 1)


class Groups:
    """An inline plugin offering one audience family, ``test:mod3:<0|1|2>``, by customer number."""

    def __init__(self, ids):
        self.ids = ids

    @hookimpl
    def patron_audiences(self, register):
        from patron.models import Customer

        for r in range(3):
            members = [cid for ext, cid in self.ids.items() if int(ext[1:]) % 3 == r]
            register(
                Audience(
                    f"test:mod3:{r}",
                    f"customers whose number is {r} mod 3",
                    lambda s, m=members: select(Customer.id).where(Customer.id.in_(m)),
                    # One labelled audience (contract 1.3); the others are shown by their names' last part.
                    label="Multiples of 3" if r == 0 else "",
                )
            )


@pytest.fixture
def answered(make_patron_app, nps_kit, patron_inline_plugin):
    """4,000 answers of 500 customers over 2024–2025, many answering twice in one period."""
    app = make_patron_app(
        plugins=["nps"],
        config={
            "nps": {
                "min_answers": 5,
                "surveys": {
                    "nps": {"type": "nps", "period": "month"},
                    "csat": {"type": "csat"},
                    "ces": {"type": "ces", "period": "year"},
                },
            }
        },
    )
    rng = random.Random(2024)
    A, utc = nps_kit.Answer, nps_kit.utc
    answers = []
    for _ in range(4000):
        c = rng.randrange(500)
        survey = rng.choice(["nps", "nps", "csat", "ces"])
        low, high = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}[survey]
        # Customers with a higher number are happier: groups differ.
        score = min(high, max(low, round(rng.gauss(low + (high - low) * (0.4 + c / 1000), (high - low) / 4))))
        at = utc(2024, 1, 1, 0) + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        answers.append(
            A(
                f"c{c}",
                survey,
                score if rng.random() < 0.7 else str(score),
                at,
                touchpoint=rng.choice(["web", "store", None]),
            )
        )
    ids = nps_kit.load(app, answers, [f"c{i}" for i in range(500)])
    patron_inline_plugin(app, Groups(ids), "groups")
    return app, answers, ids


def _run(app, name, **params):
    report = app.reports[name]
    full = {p.name: p.default for p in report.params} | params
    with app.transaction() as s:
        return report.run(app, s, full)


def _scores(counted):
    return [int(a.score) for a in counted]


def check_summaries(answered, nps_kit):
    app, answers, _ = answered
    utc = nps_kit.utc
    start, end = utc(2025, 1, 1, 0), utc(2026, 1, 1, 0)
    nps_answers = nps_kit.counted(answers, "nps", "month", start, end)
    value, low, high = nps_kit.oracle_nps(_scores(nps_answers))
    result = _run(app, "nps-summary", as_of=AS_OF)
    row = result.tables[0].rows[0]
    assert row[1] == len(nps_answers)
    assert row[2:5] == [round(value, 1), round(low, 1), round(high, 1)]
    assert result.summary["window"] == "2025-01-01 to 2025-12-31"
    dist = {r[0]: r[2] for r in result.tables[1].rows}
    assert dist == {s: _scores(nps_answers).count(s) for s in range(11)}

    csat = _scores(nps_kit.counted(answers, "csat", "quarter", start, end))
    row = _run(app, "csat-summary", as_of=AS_OF).tables[0].rows[0]
    assert row[1] == len(csat) and row[2] == round(nps_kit.oracle_share(csat, 4, 5), 1)

    ces = _scores(nps_kit.counted(answers, "ces", "year", start, end))
    mean, sd = nps_kit.oracle_mean(ces)
    ces_result = _run(app, "ces-summary", as_of=AS_OF)
    rows = ces_result.tables[0].rows
    assert rows[0][1] == len(ces) and rows[0][2] == round(mean, 2)
    # t interval half-width = t(0.975, n−1) · sd/√n; at n in the hundreds t ≈ 1.96–1.97.
    half = rows[0][4] - rows[0][2]
    assert half == pytest.approx(1.966 * sd / len(ces) ** 0.5, rel=0.01, abs=0.006)
    assert rows[1][2] == round(nps_kit.oracle_share(ces, 5, 7), 1)


def check_previous_window_and_trend(answered, nps_kit):
    app, answers, _ = answered
    utc = nps_kit.utc
    result = _run(app, "nps-summary", as_of=AS_OF)
    before = _scores(nps_kit.counted(answers, "nps", "month", utc(2024, 1, 1, 0), utc(2025, 1, 1, 0)))
    now = _scores(nps_kit.counted(answers, "nps", "month", utc(2025, 1, 1, 0), utc(2026, 1, 1, 0)))
    diff = nps_kit.oracle_nps(now)[0] - nps_kit.oracle_nps(before)[0]
    assert result.summary["previous_window"] == "2024-01-01 to 2024-12-31"
    assert f"{abs(diff):.1f} points" in result.summary["change"]

    trend = _run(app, "nps-trend", as_of=AS_OF, months=24, interval="quarter")
    rows = {r[0]: r for r in trend.tables[0].rows}
    assert list(rows) == [f"{y}-Q{q}" for y in (2024, 2025) for q in (1, 2, 3, 4)]
    for y in (2024, 2025):
        for q in range(4):
            start, end = utc(y, 3 * q + 1, 1, 0), utc(y + (q == 3), (3 * q + 3) % 12 + 1, 1, 0)
            # Dedup is per survey period (month here); the trend buckets by quarter.
            per_month = [
                a
                for m in range(3)
                for a in nps_kit.counted(
                    answers,
                    "nps",
                    "month",
                    utc(y, 3 * q + 1 + m, 1, 0),
                    utc(y + (q == 3 and m == 2), (3 * q + 1 + m) % 12 + 1, 1, 0),
                )
            ]
            assert start <= min(a.at for a in per_month) and max(a.at for a in per_month) < end
            value, low, high = nps_kit.oracle_nps(_scores(per_month))
            assert rows[f"{y}-Q{q + 1}"][1:5] == [len(per_month), round(value, 1), round(low, 1), round(high, 1)]


def check_breakdown_per_group(answered, nps_kit):
    app, answers, _ = answered
    utc = nps_kit.utc
    counted = nps_kit.counted(answers, "nps", "month", utc(2025, 1, 1, 0), utc(2026, 1, 1, 0))
    result = _run(app, "nps-breakdown", as_of=AS_OF, by="test:mod3")
    rows = {r[0]: r for r in result.tables[0].rows}
    whole = nps_kit.oracle_nps(_scores(counted))[0]
    for r in range(3):
        group = [a for a in counted if int(a.customer[1:]) % 3 == r]
        value, low, high = nps_kit.oracle_nps(_scores(group))
        row = rows["Multiples of 3" if r == 0 else str(r)]
        assert row[1:5] == [len(group), round(value, 1), round(low, 1), round(high, 1)]
        assert row[5] == round(value - whole, 1)
        assert 0 <= row[6] <= 1
    values = [r[2] for r in result.tables[0].rows]
    assert values == sorted(values, reverse=True)
    tp = _run(app, "nps-breakdown", as_of=AS_OF, by="touchpoint").tables[0]
    assert sum(r[1] for r in tp.rows) == len(counted)
    assert {r[0] for r in tp.rows} == {"web", "store", "(none)"}


def test_every_score_matches_the_oracle(answered, nps_kit):
    # One data set per engine (loading it is most of the time), three groups of checks.
    check_summaries(answered, nps_kit)
    check_previous_window_and_trend(answered, nps_kit)
    check_breakdown_per_group(answered, nps_kit)
