"""Scores and intervals from histograms: properties, coverage of the 95 % interval, and known values."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patron_nps import stats

nps_histograms = st.dictionaries(st.integers(0, 10), st.integers(0, 500), min_size=1).filter(
    lambda h: sum(h.values()) > 0
)


@given(nps_histograms, st.sampled_from([0.8, 0.9, 0.95, 0.99]))
@settings(deadline=None)  # a loaded CI machine must not turn a slow example into a failure
def test_nps_lies_in_range_and_its_interval_contains_it(hist, confidence):
    e = stats.nps(hist, confidence)
    assert -100 <= e.value <= 100
    assert -100 <= e.low <= e.value <= e.high <= 100
    assert e.se >= 0


@given(st.dictionaries(st.integers(1, 5), st.integers(0, 300), min_size=1).filter(lambda h: sum(h.values()) > 0))
@settings(deadline=None)
def test_csat_share_lies_in_its_wilson_interval(hist):
    e = stats.share(hist, 4, 5, "csat")
    assert 0 <= e.low <= e.value <= e.high <= 100


@given(st.dictionaries(st.integers(1, 7), st.integers(0, 300), min_size=1).filter(lambda h: sum(h.values()) > 1))
@settings(deadline=None)
def test_ces_mean_lies_in_its_t_interval(hist):
    e = stats.mean(hist)
    assert 1 <= e.value <= 7
    assert e.low <= e.value <= e.high


@given(nps_histograms, nps_histograms)
@settings(max_examples=50, deadline=None)
def test_difference_p_value_is_a_probability_and_antisymmetric(a, b):
    ab, ba = stats.nps_difference(a, b), stats.nps_difference(b, a)
    assert 0 <= ab.p_value <= 1
    assert ab.diff == pytest.approx(-ba.diff) and ab.p_value == pytest.approx(ba.p_value)


def test_below_the_minimum_a_score_is_not_a_number():
    e = stats.nps({10: 3, 0: 1}, min_n=30)
    assert e.value is None and not e.enough
    assert e.text() == "not enough answers (4 < 30)"
    assert stats.nps_difference({10: 3}, {0: 40}, min_n=30).text() == "not enough answers to compare"


def test_nps_example_by_hand():
    # 50 promoters, 30 passives, 20 detractors: NPS 30; Var = (0.5 + 0.2 − 0.09)/100 = 0.0061.
    e = stats.nps({10: 50, 8: 30, 3: 20})
    assert e.value == pytest.approx(30)
    assert e.se == pytest.approx(100 * math.sqrt(0.0061))
    assert e.low == pytest.approx(30 - 1.959964 * 7.8102, abs=1e-3)


def test_wilson_and_t_against_published_values():
    low, high = stats.wilson(81, 263)  # Wilson (1927) worked example as in Newcombe (1998): 0.2553 to 0.3662
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    assert stats.t_quantile(0.975, 10) == pytest.approx(2.228139, abs=1e-6)
    assert stats.t_quantile(0.975, 1) == pytest.approx(12.7062, abs=1e-4)
    assert stats.t_quantile(0.995, 30) == pytest.approx(2.749996, abs=1e-6)
    assert stats.t_sf(2.0, 5) == pytest.approx(0.05096973, abs=1e-7)


def test_difference_text_reads_like_a_sentence():
    a = {10: 60, 8: 20, 3: 20}
    b = {10: 54, 8: 26, 3: 20}
    text = stats.nps_difference(a, b).text()
    assert text.startswith("up 6.0 points, not significant (p = 0.")
    big = stats.nps_difference({10: 600, 3: 200}, {10: 300, 3: 500})
    assert big.significant and big.text().endswith("significant (p = < 0.001)")


def test_the_95_interval_covers_the_true_nps_about_95_percent_of_the_time():
    rng = random.Random(14)
    p_promoter, p_detractor, n = 0.45, 0.25, 300
    truth = 100 * (p_promoter - p_detractor)
    covered = 0
    for _ in range(1000):
        draws = [rng.random() for _ in range(n)]
        hist = {
            10: sum(1 for u in draws if u < p_promoter),
            0: sum(1 for u in draws if u >= 1 - p_detractor),
        }
        hist[8] = n - hist[10] - hist[0]
        e = stats.nps(hist)
        covered += e.low <= truth <= e.high
    assert 920 <= covered <= 980, covered


def test_csat_and_ces_intervals_cover_too():
    rng = random.Random(7)
    csat_cover = ces_cover = 0
    weights = [0.05, 0.1, 0.15, 0.4, 0.3]
    true_mean = sum((i + 1) * w for i, w in enumerate(weights))
    for _ in range(500):
        draws = rng.choices(range(1, 6), weights, k=60)
        hist = {s: draws.count(s) for s in set(draws)}
        e = stats.share(hist, 4, 5, "csat")
        csat_cover += e.low <= 70 <= e.high
        m = stats.mean(hist)
        ces_cover += m.low <= true_mean <= m.high
    assert 460 <= csat_cover <= 490 and 455 <= ces_cover <= 490, (csat_cover, ces_cover)
