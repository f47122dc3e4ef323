"""BG/NBD and Gamma-Gamma: log-likelihoods, maximum-likelihood fits with standard errors, predictions.

Pure numerics on arrays (numpy/scipy), no database: ``summary`` produces the
inputs, ``snapshots`` stores the outputs. Parameters are fitted on their logs
(so they stay positive without bounds), the log-likelihoods are written with
``gammaln``/``betaln``/``log1p``/``logsumexp`` so they stay finite for large
frequencies, and standard errors come from a numerical Hessian of the negative
log-likelihood in log-space, mapped to the natural parameters by the delta
method (``se(θ) = θ · se(log θ)``). The 95 % intervals are computed on the log
scale, ``exp(log θ ± 1.96 se)``, so they never include zero or negative values.

References: Fader, Hardie and Lee (2005), "Counting your customers the easy
way", Marketing Science 24(2) (BG/NBD, equations 6, 10 and 13); Fader and Hardie
(2013), "The Gamma-Gamma model of monetary value" (the likelihood and the
conditional expectation of mean spend).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Array = NDArray[np.float64]
    #: Model parameters in their declared order, as a sequence or an array.
    Params = Sequence[float] | NDArray[np.float64]

Z95 = 1.959963984540054


class FitError(Exception):
    """A fit that did not converge; the message says what to try (the CLI maps it to an InputError)."""


@dataclass(frozen=True)
class Estimate:
    """A fitted model: parameters by name, their standard errors and 95 % intervals, the log-likelihood."""

    model: str
    params: dict[str, float]
    se: dict[str, float]
    ci95: dict[str, tuple[float, float]]
    log_likelihood: float
    n: int
    iterations: int
    penalizer: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form (intervals as two-element lists)."""
        return {
            "model": self.model,
            "params": dict(self.params),
            "se": dict(self.se),
            "ci95": {k: [lo, hi] for k, (lo, hi) in self.ci95.items()},
            "log_likelihood": self.log_likelihood,
            "n": self.n,
            "iterations": self.iterations,
            "penalizer": self.penalizer,
            **({"extra": dict(self.extra)} if self.extra else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Estimate:
        """The inverse of ``as_dict``."""
        return cls(
            model=data["model"],
            params={k: float(v) for k, v in data["params"].items()},
            se={k: float(v) for k, v in data["se"].items()},
            ci95={k: (float(v[0]), float(v[1])) for k, v in data["ci95"].items()},
            log_likelihood=float(data["log_likelihood"]),
            n=int(data["n"]),
            iterations=int(data["iterations"]),
            penalizer=float(data.get("penalizer", 0.0)),
            extra=dict(data.get("extra", {})),
        )


# ---------------------------------------------------------------------------
# BG/NBD
# ---------------------------------------------------------------------------

BGNBD_PARAMS = ("r", "alpha", "a", "b")


def bgnbd_loglik(params: Params, x: Array, t_x: Array, T: Array) -> Array:
    """Per-customer log-likelihood of BG/NBD (FHL 2005, eq. 6), ``params = (r, alpha, a, b)``.

    ``ln L = lnΓ(r+x) − lnΓ(r) + r ln α + ln[B(a, b+x)/B(a,b) (α+T)^−(r+x)
    + δ(x>0) B(a+1, b+x−1)/B(a,b) (α+t_x)^−(r+x)]``,
    the bracket summed with ``logaddexp`` so neither term under- or overflows.
    """
    import numpy as np
    from scipy.special import betaln, gammaln

    r, alpha, a, b = params
    base = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    first = betaln(a, b + x) - (r + x) * np.log(alpha + T)
    repeat = x > 0
    # For x = 0 the second term is absent; give betaln valid arguments and mask it out.
    second = np.where(repeat, betaln(a + 1, b + np.where(repeat, x, 1) - 1) - (r + x) * np.log(alpha + t_x), -np.inf)
    result: Array = base + np.logaddexp(first, second)
    return result


def bgnbd_p_alive(params: Params, x: Array, t_x: Array, T: Array) -> Array:
    """P(alive at T | x, t_x, T) (FHL 2005, eq. 13, as in their note on computing it)."""
    import numpy as np
    from scipy.special import expit

    r, alpha, a, b = params
    repeat = x > 0
    log_odds_dead = (
        np.log(a) - np.log(b + np.where(repeat, x, 1) - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    )
    result: Array = np.where(repeat, expit(-log_odds_dead), 1.0)
    return result


def bgnbd_expected_purchases(params: Params, t: float | Array, x: Array, t_x: Array, T: Array) -> Array:
    """E[Y(t) | x, t_x, T]: expected repeat purchases in the next ``t`` time units (FHL 2005, eq. 10)."""
    import numpy as np
    from scipy.special import hyp2f1

    r, alpha, a, b = params
    t = np.asarray(t, dtype=float)
    z = t / (alpha + T + t)
    head = (a + b + x - 1) / (a - 1)
    bracket = 1 - np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t))) * hyp2f1(r + x, b + x, a + b + x - 1, z)
    result: Array = head * bracket * bgnbd_p_alive(params, x, t_x, T)
    return result


def bgnbd_unconditional(params: Params, t: float | Array) -> Array:
    """E[X(t)]: expected repeat purchases of a new customer in ``t`` time units (FHL 2005, eq. 9)."""
    import numpy as np
    from scipy.special import hyp2f1

    r, alpha, a, b = params
    t = np.asarray(t, dtype=float)
    result = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))
    return np.asarray(result, dtype=np.float64)


def bgnbd_loglik_and_gradient(params: Params, x: Array, t_x: Array, T: Array) -> tuple[Array, Array]:
    """Per-customer log-likelihood and its gradient with respect to ``(r, alpha, a, b)`` (rows: parameters)."""
    import numpy as np

    levels, index = np.unique(x, return_inverse=True)
    return _bgnbd_terms(params, levels, index, x, t_x, T)


def _bgnbd_terms(params: Params, levels: Array, index: Any, x: Array, t_x: Array, T: Array) -> tuple[Array, Array]:
    """``bgnbd_loglik_and_gradient`` with the distinct frequencies given (``x == levels[index]``).

    With ``A`` and ``B`` the two terms inside the bracket of ``bgnbd_loglik`` and
    ``w_A``, ``w_B`` their shares of the sum, the derivatives of ``betaln`` and
    ``gammaln`` are digamma differences. Every special function depends on the
    frequency only, so it is evaluated once per distinct frequency (a few dozen)
    instead of once per customer; per customer only logarithms remain.
    """
    import numpy as np
    from scipy.special import betaln, digamma, gammaln

    r, alpha, a, b = params
    lx = levels
    lxb = np.where(lx > 0, lx, 1)
    psi_abx = digamma(a + b + lx)

    def per_customer(values: NDArray[Any]) -> Array:
        result: Array = np.take(values, index)
        return result

    # Per distinct frequency, then spread to customers.
    const = per_customer(gammaln(r + lx) - gammaln(r) + r * np.log(alpha) - betaln(a, b))
    beta_first = per_customer(betaln(a, b + lx))
    beta_second = per_customer(betaln(a + 1, b + lxb - 1))
    d_r_const = per_customer(digamma(r + lx) - digamma(r) + np.log(alpha))
    d_a_first, d_a_second = per_customer(digamma(a) - psi_abx), per_customer(digamma(a + 1) - psi_abx)
    d_b_first, d_b_second = per_customer(digamma(b + lx) - psi_abx), per_customer(digamma(b + lxb - 1) - psi_abx)
    # Per customer: the second term exists for repeat buyers only; w_first = 1 − w_second.
    log_aT, log_atx = np.log(alpha + T), np.log(alpha + t_x)
    bracket = beta_first - (r + x) * log_aT
    w_second = np.zeros_like(bracket)
    repeat = x > 0
    second = beta_second[repeat] - (r + x[repeat]) * log_atx[repeat]
    both = np.logaddexp(bracket[repeat], second)
    w_second[repeat] = np.exp(second - both)
    bracket[repeat] = both
    w_first = 1 - w_second
    grad = np.stack(
        [
            d_r_const - w_first * log_aT - w_second * log_atx,
            r / alpha - (r + x) * (w_first / (alpha + T) + w_second / (alpha + t_x)),
            -(digamma(a) - digamma(a + b)) + w_first * d_a_first + w_second * d_a_second,
            -(digamma(b) - digamma(a + b)) + w_first * d_b_first + w_second * d_b_second,
        ]
    )
    return const + bracket, grad


def fit_bgnbd(x: Array, t_x: Array, T: Array, *, weights: Array | None = None, penalizer: float = 0.0) -> Estimate:
    """Maximum-likelihood BG/NBD on one summary (``weights``: how many customers share each row)."""
    import numpy as np

    w = np.ones_like(x, dtype=float) if weights is None else np.asarray(weights, dtype=float)
    if w.sum() == 0:
        raise FitError("no customers to fit: the calibration period holds no purchases; check --calibration-end")
    if not (x > 0).any():
        raise FitError(
            "no customer bought twice in the calibration period, so BG/NBD cannot be fitted; "
            "use a later --calibration-end or a longer history"
        )

    # Customers with the same (x, t_x, T) contribute the same term: fit the distinct rows, weighted.
    # (np.unique(axis=0) sorts a structured view and is ten times slower than this lexsort.)
    order = np.lexsort((T, t_x, x))
    xs, txs, Ts, ws = x[order], t_x[order], T[order], w[order]
    new_row = np.ones(xs.size, dtype=bool)
    new_row[1:] = (np.diff(xs) != 0) | (np.diff(txs) != 0) | (np.diff(Ts) != 0)
    starts = np.flatnonzero(new_row)
    ux, ut_x, uT = xs[starts], txs[starts], Ts[starts]
    w = np.add.reduceat(ws, starts)
    levels, index = np.unique(ux, return_inverse=True)

    def loglik(params: Array) -> tuple[float, Array]:
        value, grad = _bgnbd_terms(params, levels, index, ux, ut_x, uT)
        # Elementwise products, not BLAS: a BLAS call's threads stall on a busy machine for no gain here.
        return float((w * value).sum()), (grad * w).sum(axis=1)

    # Start from the usual scale of retail data: r, a, b near 1, alpha near the mean of T.
    start = np.log([1.0, max(float(np.average(uT, weights=w)), 1e-3), 1.0, 1.0])
    return _fit("BG/NBD", BGNBD_PARAMS, loglik, start, int(w.sum()), penalizer)


# ---------------------------------------------------------------------------
# Gamma-Gamma
# ---------------------------------------------------------------------------

GAMMA_GAMMA_PARAMS = ("p", "q", "gamma")


def gamma_gamma_loglik(params: Params, x: Array, m: Array) -> Array:
    """Per-customer log-likelihood of the mean spend ``m`` over ``x`` repeat purchases (Fader and Hardie 2013).

    ``ln L = lnΓ(px+q) − lnΓ(px) − lnΓ(q) + q ln γ + (px−1) ln m + px ln x − (px+q) ln(γ + x m)``.
    """
    import numpy as np
    from scipy.special import gammaln

    p, q, gamma = params
    px = p * x
    result: Array = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(gamma + x * m)
    )
    return result


def gamma_gamma_expected_spend(params: Params, x: Array, m: Array, population_mean: float) -> Array:
    """E[M | x, m]: the expected mean spend per purchase; customers with ``x = 0`` get the population mean."""
    import numpy as np

    p, q, gamma = params
    conditional = p * (gamma + x * m) / (p * x + q - 1)
    result: Array = np.where(x > 0, conditional, population_mean)
    return result


def gamma_gamma_population_mean(params: Params) -> float:
    """E[M] = p γ / (q − 1) (infinite when q ≤ 1: spend has no finite mean)."""
    p, q, gamma = params
    return float("inf") if q <= 1 else p * gamma / (q - 1)


def gamma_gamma_loglik_and_gradient(params: Params, x: Array, m: Array) -> tuple[Array, Array]:
    """Per-customer log-likelihood and its gradient with respect to ``(p, q, gamma)`` (rows: parameters)."""
    import numpy as np

    levels, index = np.unique(x, return_inverse=True)
    return _gamma_gamma_terms(params, levels, index, x, np.log(m))


def _gamma_gamma_terms(params: Params, levels: Array, index: Any, x: Array, log_m: Array) -> tuple[Array, Array]:
    """``gamma_gamma_loglik_and_gradient`` with the distinct frequencies given; special functions once per level."""
    import numpy as np
    from scipy.special import digamma, gammaln

    p, q, gamma = params
    lpx = p * levels
    log_x = np.log(levels)[index]
    const = (gammaln(lpx + q) - gammaln(lpx) - gammaln(q))[index]
    psi_sum = digamma(lpx + q)
    d_p_const = (psi_sum - digamma(lpx))[index]
    d_q_const = (psi_sum - digamma(q))[index]
    px = p * x
    total = gamma + x * np.exp(log_m)
    log_total = np.log(total)
    value = const + q * np.log(gamma) + (px - 1) * log_m + px * log_x - (px + q) * log_total
    grad = np.stack(
        [
            x * (d_p_const + log_m + log_x - log_total),
            d_q_const + np.log(gamma) - log_total,
            q / gamma - (px + q) / total,
        ]
    )
    return value, grad


def fit_gamma_gamma(x: Array, m: Array, *, penalizer: float = 0.0) -> Estimate:
    """Maximum-likelihood Gamma-Gamma on customers with ``x > 0`` repeat purchases and mean spend ``m > 0``.

    The model assumes spend is independent of frequency; the Pearson correlation
    of ``x`` and ``m`` over the fitted customers is returned in ``extra`` so a
    user can check it (near 0 is what the model needs).
    """
    import numpy as np

    keep = (x > 0) & (m > 0)
    xs, ms = x[keep].astype(float), m[keep].astype(float)
    if xs.size < 3:
        raise FitError(
            f"only {xs.size} customer(s) have repeat purchases with a positive mean value; Gamma-Gamma needs "
            "more: use a later --calibration-end or a longer history"
        )
    correlation = float(np.corrcoef(xs, ms)[0, 1]) if xs.std() > 0 and ms.std() > 0 else 0.0

    levels, index = np.unique(xs, return_inverse=True)
    log_ms = np.log(ms)

    def loglik(params: Array) -> tuple[float, Array]:
        value, grad = _gamma_gamma_terms(params, levels, index, xs, log_ms)
        return float(value.sum()), grad.sum(axis=1)

    # Spend shape near 1, q a little above 1, γ the scale of the mean spend.
    start = np.log([1.0, 2.0, max(float(ms.mean()), 1e-6)])
    estimate = _fit("Gamma-Gamma", GAMMA_GAMMA_PARAMS, loglik, start, int(xs.size), penalizer)
    extra = {
        "frequency_spend_correlation": correlation,
        "excluded_non_positive_spend": int(((x > 0) & ~(m > 0)).sum()),
    }
    return replace(estimate, extra=extra)


# ---------------------------------------------------------------------------
# The maximiser and the Hessian
# ---------------------------------------------------------------------------

LogLik = Callable[["Array"], tuple[float, "Array"]]


def _fit(model: str, names: Sequence[str], loglik: LogLik, start: Array, n: int, penalizer: float) -> Estimate:
    """Maximise ``loglik`` (value and gradient on natural parameters) over log-parameters.

    The optimiser works on ``v = log θ`` with the chain rule ``∂ℓ/∂v = θ ∂ℓ/∂θ``
    and on the mean per customer, so tolerances mean the same for 100 or 10⁶
    customers. Standard errors: the Hessian of the negative log-likelihood in
    log-space by central differences of the analytic gradient, inverted, then the
    delta method. The optional penalty is lifetimes' ``penalizer · Σ θ²``; with it
    the standard errors describe the penalised fit.
    """
    import numpy as np
    from scipy.optimize import minimize

    scale = 1.0 / max(n, 1)

    def negative(v: Array) -> tuple[float, Array]:
        theta = np.exp(v)
        value, grad = loglik(theta)
        value -= penalizer * float(np.sum(theta**2))
        grad = (grad - 2 * penalizer * theta) * theta
        return -value, -grad

    def objective(v: Array) -> tuple[float, Array]:
        if not np.all(np.isfinite(v)) or np.any(np.abs(v) > 30):
            return float("inf"), np.zeros_like(v)
        value, grad = negative(v)
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            return float("inf"), np.zeros_like(v)
        return value * scale, grad * scale

    hint = _hint(model)
    with np.errstate(all="ignore"):
        result = minimize(objective, start, jac=True, method="BFGS", options={"gtol": 1e-9, "maxiter": 1000})
        v = np.asarray(result.x, dtype=float)
        value, grad = objective(v)
        # BFGS may stop on "precision loss" at the optimum; accept it when the gradient is flat there.
        if not np.isfinite(value) or float(np.max(np.abs(grad))) > 1e-5:
            raise FitError(f"{model} fit did not converge ({result.message}); {hint}")
        hessian = _hessian(lambda u: negative(u)[1], v)
    try:
        cov = np.linalg.inv(hessian)
    except np.linalg.LinAlgError as exc:
        raise FitError(f"{model} fit found no well-defined optimum (singular Hessian); {hint}") from exc
    variances = np.diag(cov)
    if not np.all(np.isfinite(variances)) or np.any(variances <= 0):
        raise FitError(f"{model} fit found no proper maximum (the Hessian is not positive definite); {hint}")
    natural, se_log = np.exp(v), np.sqrt(variances)
    return Estimate(
        model=model,
        params={k: float(t) for k, t in zip(names, natural, strict=True)},
        se={k: float(t * s) for k, t, s in zip(names, natural, se_log, strict=True)},
        ci95={
            k: (float(np.exp(u - Z95 * s)), float(np.exp(u + Z95 * s)))
            for k, u, s in zip(names, v, se_log, strict=True)
        },
        log_likelihood=float(loglik(natural)[0]),
        n=n,
        iterations=int(result.nit),
        penalizer=penalizer,
    )


def _hint(model: str) -> str:
    if model == "BG/NBD":
        return (
            "try: fitting with fewer customers of frequency 0 (a later cohort start), a small penalizer "
            '(penalizer = 0.001 in [plugins.clv]), or another time unit (unit = "day" or "week")'
        )
    return (
        "try: a small penalizer (penalizer = 0.001 in [plugins.clv]), a longer calibration period, "
        "or checking that purchase amounts are net values in minor units"
    )


def _hessian(gradient: Callable[[Array], Array], v: Array, h: float = 1e-5) -> Array:
    """Hessian at ``v`` by central differences of ``gradient`` (2k evaluations), symmetrised."""
    import numpy as np

    k = v.size
    hess = np.empty((k, k))
    for j in range(k):
        step = np.zeros(k)
        step[j] = h
        hess[:, j] = (gradient(v + step) - gradient(v - step)) / (2 * h)
    result: Array = (hess + hess.T) / 2
    return result
