"""Done-when: on the CDNOW sample, the fit reproduces Fader, Hardie and Lee's published estimates.

The sample (2,357 customers, 6,919 purchases) is loaded through the core's
ingest API (the SDK's CDNOW loader) and fitted with calibration end 1997-10-01 (the 39 weeks
1997-01-01..1997-09-30; a date means midnight UTC, so 30 September is in) and
a holdout to 1998-07-01, in weeks. Published: BG/NBD r = 0.243, α = 4.414,
a = 0.793, b = 2.426, log-likelihood −9582.4 (FHL 2005); Gamma-Gamma p = 6.25,
q = 3.74, γ = 15.44 (Fader and Hardie 2013 note). The predictions for a few
customers are checked against the closed forms computed here with the
standard library only (math.lgamma and a hypergeometric series), not with the
plugin's functions.
"""

from __future__ import annotations

import csv
import os
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from patron_sdk.data import find_cdnow
from patron_sdk.pytest_plugin import BACKENDS

SAMPLE = find_cdnow(Path(__file__).parent).parent / "CDNOW_sample.txt"

pytestmark = [
    pytest.mark.slow,
    # The data set ships beside the repository; only a checkout without it may skip, never CI.
    pytest.mark.skipif(not SAMPLE.is_file() and not os.environ.get("CI"), reason=f"CDNOW sample not found at {SAMPLE}"),
]

CALIBRATION_END, HOLDOUT_END = date(1997, 10, 1), date(1998, 7, 1)


@pytest.fixture(scope="module", params=BACKENDS)
def fitted(request, tmp_path_factory, clv_helpers):
    """Import and fit once per backend for the whole module (the import and fit take seconds)."""
    from patron.app import App
    from patron_sdk.pytest_plugin import database_urls, render_config

    folder = tmp_path_factory.mktemp("cdnow")
    for url in database_urls(request.param, folder, request.node):
        path = folder / "patron.toml"
        path.write_text(render_config(url, ["clv"], {}), encoding="utf-8")
        app = App.from_config(path)
        app.upgrade_database()
        sample_ids = clv_helpers.load_sample(app, folder)
        run = clv_helpers.fit(app, CALIBRATION_END, HOLDOUT_END)
        yield app, run, sample_ids
        app.dispose()


def stored(app):
    from patron.models import Customer
    from patron_clv.models import ClvScore

    with app.transaction() as s:
        rows = s.execute(select(Customer.external_id, ClvScore).join(Customer, Customer.id == ClvScore.customer_id))
        return {ext: score for ext, score in rows}


def test_published_estimates_are_reproduced(fitted):
    _, run, _ = fitted
    bg, gg = run.bgnbd, run.gamma_gamma
    assert run.customers == bg.n == 2_357
    assert {k: round(v, 3) for k, v in bg.params.items()} == {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert round(bg.log_likelihood, 1) == -9582.4
    assert gg.n == 946
    assert {k: round(v, 2) for k, v in gg.params.items()} == {"p": 6.25, "q": 3.74, "gamma": 15.44}
    # Standard errors exist and every published value lies inside its 95 % interval.
    for estimate in (bg, gg):
        for name, (lo, hi) in estimate.ci95.items():
            assert estimate.se[name] > 0 and lo < estimate.params[name] < hi
    # The independence check of Gamma-Gamma is reported (weakly positive on CDNOW).
    assert 0 < gg.extra["frequency_spend_correlation"] < 0.3


def test_summary_equals_the_papers_calibration_summary(fitted, clv_helpers):
    app, _, sample_ids = fitted
    got = stored(app)
    with clv_helpers.PAPER_SUMMARY.open(encoding="utf-8") as f:
        paper = {row["ID"]: row for row in csv.DictReader(f)}
    assert len(paper) == len(got) == 2_357
    for sample_id, row in paper.items():
        score = got[sample_ids[sample_id]]
        assert score.frequency == int(row["frequency"])
        assert round(score.recency, 2) == pytest.approx(float(row["recency"]), abs=0.006)
        assert round(score.tenure, 2) == pytest.approx(float(row["T"]), abs=0.006)


def _hyp2f1(a: float, b: float, c: float, z: float) -> float:
    """Gauss's series, summed until the terms vanish (|z| < 1)."""
    term, total, n = 1.0, 1.0, 0
    while abs(term) > 1e-16 * abs(total):
        term *= (a + n) * (b + n) / ((c + n) * (n + 1)) * z
        total += term
        n += 1
    return total


def closed_form(params, x, t_x, T, t):
    """P(alive) (FHL eq. 13) and E[Y(t) | x, t_x, T] (FHL eq. 10), written out with the standard library."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    p_alive = 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)) if x > 0 else 1.0
    hyp = _hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    expected = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp) * p_alive
    return p_alive, expected


def test_p_alive_and_expected_purchases_equal_the_closed_forms(fitted):
    app, run, sample_ids = fitted
    got = stored(app)
    horizon_weeks = 12 * (365.25 / 12) / 7  # the default horizon: 12 months, in weeks
    # Sample customers 1 (2 repeats), 2 (1 repeat, long ago), 3 (none), and the most frequent buyer.
    heaviest = max(got, key=lambda ext: got[ext].frequency)
    chosen = [sample_ids["1"], sample_ids["2"], sample_ids["3"], heaviest]
    for ext in chosen:
        s = got[ext]
        p_alive, expected = closed_form(run.bgnbd.params, s.frequency, s.recency, s.tenure, horizon_weeks)
        assert s.p_alive == pytest.approx(p_alive, rel=1e-9)
        assert s.expected_purchases == pytest.approx(expected, rel=1e-7)
    # Customer 1 of the sample: x = 2, t_x = 30.43, T = 38.86 weeks — alive with probability about 0.8.
    assert 0.7 < got[sample_ids["1"]].p_alive < 0.9
    assert got[sample_ids["3"]].p_alive == 1.0


def test_holdout_validation_is_stored_and_reported(fitted):
    app, run, _ = fitted
    conditional = run.validation["conditional"]
    assert conditional["holdout_length"] == 39.0
    assert conditional["customers"] == 2_357
    # The model tracks the holdout: the totals agree within 15 %, the cumulative curve within a few %.
    assert abs(conditional["total_error_pct"]) < 15
    assert run.validation["tracking"]["holdout_mape_pct"] < 10
    assert [g["frequency"] for g in conditional["groups"]] == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert sum(g["customers"] for g in conditional["groups"]) == 2_357
    with app.transaction() as s:
        result = app.reports["clv-holdout"].run(app, s, {"calibration_end": None})
    assert result.summary["actual_total"] == conditional["actual_total"]
    assert len(result.tables[1].rows) == 78  # 78 weeks from 1997-01-01 to 1998-06-30
