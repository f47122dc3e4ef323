"""Scores, intervals and difference tests from a histogram of answers: plain arithmetic, no I/O.

The database counts answers per score (``scores``); everything here works on
those few integers, so SQLite and PostgreSQL give identical numbers. Formulas
(stated in the README too), with z the normal quantile of the confidence level:

- NPS = 100 (p_P − p_D), promoters 9–10, detractors 0–6. Multinomial variance
  Var = (p_P + p_D − (p_P − p_D)²) / n; interval NPS ± z·100·√Var, clipped to [−100, 100].
- CSAT = share of 4–5; CES share = share of 5–7: Wilson score interval.
- CES mean: t interval, mean ± t(n−1)·s/√n with the sample standard deviation s.
- Differences: NPS by a z test on the unpooled standard error; shares by the
  pooled two-proportion z test; CES means by Welch's t test. Two-sided p-values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist

_NORMAL = NormalDist()


@dataclass(frozen=True)
class Estimate:
    """A score with its interval; ``value`` is None when there are fewer answers than the minimum.

    ``low``/``high`` are the interval bounds, ``se`` the standard error, all in
    the score's unit (NPS points, percent, or scale points for a CES mean).
    """

    metric: str
    n: int
    value: float | None
    low: float | None
    high: float | None
    se: float | None
    min_n: int

    @property
    def enough(self) -> bool:
        """True when there are at least ``min_n`` answers."""
        return self.n >= self.min_n and self.value is not None

    def text(self, digits: int = 1) -> str:
        """``"42.0 (95% CI 35.1 to 48.9)"`` or ``"not enough answers (12 < 30)"``."""
        if not self.enough:
            return f"not enough answers ({self.n} < {self.min_n})"
        return f"{self.value:.{digits}f} (interval {self.low:.{digits}f} to {self.high:.{digits}f}, n = {self.n})"


@dataclass(frozen=True)
class Difference:
    """``a − b`` with the test's two-sided p-value; None values when either side has too few answers."""

    diff: float | None
    p_value: float | None
    significant: bool | None

    def text(self, unit: str = "points") -> str:
        """``"up 6.0 points, not significant (p = 0.31)"``."""
        if self.diff is None or self.p_value is None:
            return "not enough answers to compare"
        word = "up" if self.diff > 0 else "down" if self.diff < 0 else "unchanged,"
        size = f" {abs(self.diff):.1f} {unit}," if self.diff else ""
        verdict = "significant" if self.significant else "not significant"
        return f"{word}{size} {verdict} (p = {format_p(self.p_value)})"


def format_p(p: float) -> str:
    """p-values as people read them: ``0.31``, ``0.004``, ``< 0.001``."""
    if p < 0.001:
        return "< 0.001"
    return f"{p:.3f}" if p < 0.01 else f"{p:.2f}"


def z_value(confidence: float) -> float:
    """The two-sided normal quantile: 1.96 for 0.95."""
    return _NORMAL.inv_cdf((1 + confidence) / 2)


def _two_sided_normal(z: float) -> float:
    return 2 * (1 - _NORMAL.cdf(abs(z)))


# ---------------------------------------------------------------------------
# Histograms
# ---------------------------------------------------------------------------


def count_between(hist: Mapping[int, int], low: int, high: int) -> int:
    """Answers with a score in ``low..high``."""
    return sum(n for score, n in hist.items() if low <= score <= high)


def total(hist: Mapping[int, int]) -> int:
    """All answers."""
    return sum(hist.values())


# ---------------------------------------------------------------------------
# Scores
# ---------------------------------------------------------------------------


def nps(hist: Mapping[int, int], confidence: float = 0.95, min_n: int = 1) -> Estimate:
    """NPS with the multinomial standard error and a Wald interval clipped to [−100, 100]."""
    n = total(hist)
    if n == 0 or n < min_n:
        return Estimate("nps", n, None, None, None, None, min_n)
    p_p = count_between(hist, 9, 10) / n
    p_d = count_between(hist, 0, 6) / n
    value = 100 * (p_p - p_d)
    variance = max(p_p + p_d - (p_p - p_d) ** 2, 0.0) / n
    se = 100 * math.sqrt(variance)
    z = z_value(confidence)
    return Estimate("nps", n, value, max(-100.0, value - z * se), min(100.0, value + z * se), se, min_n)


def share(
    hist: Mapping[int, int], low: int, high: int, metric: str, confidence: float = 0.95, min_n: int = 1
) -> Estimate:
    """Percent of answers scoring ``low..high`` with a Wilson score interval."""
    n = total(hist)
    if n == 0 or n < min_n:
        return Estimate(metric, n, None, None, None, None, min_n)
    k = count_between(hist, low, high)
    low_, high_ = wilson(k, n, confidence)
    p = k / n
    return Estimate(metric, n, 100 * p, 100 * low_, 100 * high_, 100 * math.sqrt(p * (1 - p) / n), min_n)


def wilson(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (as fractions)."""
    z = z_value(confidence)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # Rounding can leave the bounds a hair inside p at 0 or 1: the interval always contains p.
    return min(max(0.0, centre - half), p), max(min(1.0, centre + half), p)


def mean(hist: Mapping[int, int], confidence: float = 0.95, min_n: int = 2) -> Estimate:
    """The mean score with a t interval (sample standard deviation, n − 1 degrees of freedom)."""
    n = total(hist)
    if n < max(min_n, 2):
        return Estimate("mean", n, None, None, None, None, max(min_n, 2))
    s1 = sum(score * k for score, k in hist.items())
    s2 = sum(score * score * k for score, k in hist.items())
    m = s1 / n
    # Exact integer arithmetic for the sum of squared deviations, then one division.
    variance = (n * s2 - s1 * s1) / (n * (n - 1))
    se = math.sqrt(max(variance, 0.0) / n)
    t = t_quantile((1 + confidence) / 2, n - 1)
    return Estimate("mean", n, m, m - t * se, m + t * se, se, min_n)


# ---------------------------------------------------------------------------
# Differences
# ---------------------------------------------------------------------------


def _verdict(diff: float, p: float, confidence: float) -> Difference:
    return Difference(diff, p, p < 1 - confidence)


def nps_difference(a: Mapping[int, int], b: Mapping[int, int], confidence: float = 0.95, min_n: int = 1) -> Difference:
    """NPS of ``a`` minus NPS of ``b``, z test on the unpooled standard error."""
    ea, eb = nps(a, confidence, min_n), nps(b, confidence, min_n)
    if not (ea.enough and eb.enough):
        return Difference(None, None, None)
    assert ea.value is not None and eb.value is not None and ea.se is not None and eb.se is not None
    diff = ea.value - eb.value
    se = math.hypot(ea.se, eb.se)
    p = (1.0 if diff == 0 else 0.0) if se == 0 else _two_sided_normal(diff / se)
    return _verdict(diff, p, confidence)


def share_difference(
    a: Mapping[int, int], b: Mapping[int, int], low: int, high: int, confidence: float = 0.95, min_n: int = 1
) -> Difference:
    """Share of ``low..high`` in ``a`` minus that in ``b`` (percentage points), pooled two-proportion z test."""
    na, nb = total(a), total(b)
    if na < max(min_n, 1) or nb < max(min_n, 1):
        return Difference(None, None, None)
    ka, kb = count_between(a, low, high), count_between(b, low, high)
    pa, pb = ka / na, kb / nb
    pooled = (ka + kb) / (na + nb)
    se = math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    diff = pa - pb
    p = (1.0 if diff == 0 else 0.0) if se == 0 else _two_sided_normal(diff / se)
    return _verdict(100 * diff, p, confidence)


def mean_difference(a: Mapping[int, int], b: Mapping[int, int], confidence: float = 0.95, min_n: int = 2) -> Difference:
    """Mean of ``a`` minus mean of ``b``, Welch's t test."""
    ea, eb = mean(a, confidence, min_n), mean(b, confidence, min_n)
    if not (ea.enough and eb.enough):
        return Difference(None, None, None)
    assert ea.value is not None and eb.value is not None and ea.se is not None and eb.se is not None
    diff = ea.value - eb.value
    va, vb = ea.se**2, eb.se**2
    if va + vb == 0:
        return _verdict(diff, 1.0 if diff == 0 else 0.0, confidence)
    t = diff / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (ea.n - 1) + vb**2 / (eb.n - 1))
    return _verdict(diff, 2 * t_sf(abs(t), df), confidence)


# ---------------------------------------------------------------------------
# Student's t distribution (no SciPy): the regularized incomplete beta function
# ---------------------------------------------------------------------------


def _beta_fraction(a: float, b: float, x: float) -> float:
    # Lentz's continued fraction for I_x(a, b) (Numerical Recipes, betacf).
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 400):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1) < eps:
            break
    return h


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _beta_fraction(a, b, x) / a
    return 1 - front * _beta_fraction(b, a, 1 - x) / b


def t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with ``df`` degrees of freedom."""
    tail = 0.5 * incomplete_beta(df / 2, 0.5, df / (df + t * t))
    return tail if t >= 0 else 1 - tail


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t (bisection on the distribution function; |error| < 1e-10)."""
    if not 0 < p < 1:
        raise ValueError(f"p = {p} must be strictly between 0 and 1")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1 - p, df)
    low, high = 0.0, 1.0
    while t_sf(high, df) > 1 - p:
        high *= 2
    for _ in range(200):
        mid = (low + high) / 2
        if t_sf(mid, df) > 1 - p:
            low = mid
        else:
            high = mid
        if high - low < 1e-10:
            break
    return (low + high) / 2
