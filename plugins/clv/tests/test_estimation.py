"""The estimators: analytic gradients, numerical stability, failure messages, and interval coverage.

The coverage checks simulate customers from known BG/NBD parameters with
numpy (the process itself, not the plugin's formulas): each customer buys as a
Poisson process with rate λ ~ Gamma(r, α) and drops out after each repeat
purchase with probability p ~ Beta(a, b), observed for T time units.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patron_clv.estimation import (
    FitError,
    bgnbd_loglik,
    bgnbd_loglik_and_gradient,
    bgnbd_p_alive,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_loglik,
    gamma_gamma_loglik_and_gradient,
)


def simulate(rng: np.random.Generator, n: int, r: float, alpha: float, a: float, b: float, horizon: float = 52.0):
    """(x, t_x, T) for ``n`` customers whose first purchases are spread over ``horizon`` time units."""
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    T = rng.uniform(1, horizon, n)
    events = rng.poisson(lam * T)  # purchases a never-dropping customer would make in (0, T]
    lifetime = rng.geometric(p)  # repeat purchases until (and including) the one after which they drop out
    x = np.minimum(events, lifetime)
    # The x-th of `events` uniform purchase times in (0, T] is T times a Beta(x, events − x + 1) draw.
    t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1), np.maximum(events - x + 1, 1)), 0.0)
    return x.astype(float), t_x, T


def _numerical_gradient(f, params, h=1e-6):
    return np.array([(f(params + e) - f(params - e)) / (2 * h) for e in np.eye(len(params)) * h])


def test_analytic_gradients_match_finite_differences():
    rng = np.random.default_rng(3)
    x, t_x, T = simulate(rng, 2_000, 0.5, 6.0, 1.2, 3.0)
    params = np.array([0.4, 5.0, 0.9, 2.5])
    _, grad = bgnbd_loglik_and_gradient(params, x, t_x, T)
    numeric = _numerical_gradient(lambda p: bgnbd_loglik(p, x, t_x, T).sum(), params)
    assert grad.sum(axis=1) == pytest.approx(numeric, rel=1e-5)
    m = rng.gamma(4.0, 5.0, x.size)
    xs = x + 1
    gg = np.array([5.0, 3.0, 12.0])
    _, grad = gamma_gamma_loglik_and_gradient(gg, xs, m)
    numeric = _numerical_gradient(lambda p: gamma_gamma_loglik(p, xs, m).sum(), gg)
    assert grad.sum(axis=1) == pytest.approx(numeric, rel=1e-5)


def test_log_likelihoods_stay_finite_for_extreme_customers():
    x = np.array([0.0, 1.0, 500.0, 5_000.0])
    t_x = np.array([0.0, 0.001, 999.0, 9_999.0])
    T = np.array([0.0, 10_000.0, 1_000.0, 10_000.0])
    with np.errstate(all="raise"):
        ll = bgnbd_loglik([0.25, 4.0, 0.8, 2.4], x, t_x, T)
        alive = bgnbd_p_alive([0.25, 4.0, 0.8, 2.4], x, t_x, T)
    assert np.all(np.isfinite(ll)) and np.all((alive >= 0) & (alive <= 1))
    assert alive[0] == 1.0 and alive[1] < 1e-3  # one repeat right after the first purchase, 10,000 weeks ago: gone


def test_fits_that_cannot_work_raise_fit_error_with_advice():
    with pytest.raises(FitError, match="no customer bought twice"):
        fit_bgnbd(np.zeros(10), np.zeros(10), np.full(10, 5.0))
    with pytest.raises(FitError, match="only 2 customer"):
        fit_gamma_gamma(np.array([0.0, 1.0, 2.0]), np.array([0.0, 10.0, 20.0]))
    # Everyone buys every week and never stops: the dropout probability runs off to 0 (b → ∞).
    x = np.full(50, 20.0)
    with pytest.raises(FitError, match=r"try: .*penalizer.*unit"):
        fit_bgnbd(x, np.full(50, 20.0), np.full(50, 20.0))


def test_a_penalizer_shrinks_and_still_reports_errors():
    rng = np.random.default_rng(5)
    x, t_x, T = simulate(rng, 3_000, 0.3, 4.0, 0.8, 2.5)
    plain = fit_bgnbd(x, t_x, T)
    penalised = fit_bgnbd(x, t_x, T, penalizer=0.1)
    assert sum(v**2 for v in penalised.params.values()) < sum(v**2 for v in plain.params.values())
    assert all(se > 0 for se in penalised.se.values())


def covered(estimate, truth):
    return {k: estimate.ci95[k][0] <= truth[k] <= estimate.ci95[k][1] for k in truth}


@pytest.mark.slow
def test_95_percent_intervals_cover_the_truth_at_about_the_nominal_rate():
    """40 simulated data sets of 5,000 customers: 160 intervals, about 152 should cover their parameter."""
    truth = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    rng = np.random.default_rng(2005)
    hits = []
    for _ in range(40):
        x, t_x, T = simulate(rng, 5_000, *truth.values())
        hits.extend(covered(fit_bgnbd(x, t_x, T), truth).values())
    rate = sum(hits) / len(hits)
    # Binomial(160, 0.95): mean 152, sd 2.8; the band is about ±3 sd.
    assert 0.89 <= rate <= 1.0, rate


@pytest.mark.slow
@settings(max_examples=3, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    r=st.floats(0.2, 2.0),
    alpha=st.floats(1.0, 20.0),
    a=st.floats(0.4, 3.0),
    b=st.floats(1.0, 8.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_parameters_are_recovered_from_100k_simulated_customers(r, alpha, a, b, seed):
    """For any parameters in a retail-like range, 100,000 customers recover them within 99.9 % intervals."""
    truth = {"r": r, "alpha": alpha, "a": a, "b": b}
    x, t_x, T = simulate(np.random.default_rng(seed), 100_000, r, alpha, a, b)
    estimate = fit_bgnbd(x, t_x, T)
    for name, value in truth.items():
        z = abs(np.log(estimate.params[name]) - np.log(value)) / (estimate.se[name] / estimate.params[name])
        assert z < 3.29, (name, value, estimate.params[name], estimate.se[name])
