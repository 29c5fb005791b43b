"""Partial pooling of per-group effects toward their common mean: parametric empirical Bayes (Morris 1983).

Each group i (a territory) has an estimate yᵢ with a sampling variance Vᵢ taken as known. The model is
yᵢ | θᵢ ~ N(θᵢ, Vᵢ), θᵢ ~ N(μ, A); the shrunken estimate is

    θ̂ᵢ = B̂ᵢ·μ̂ + (1 − B̂ᵢ)·yᵢ,    B̂ᵢ = ((k − 3)/(k − 1)) · Vᵢ / (Vᵢ + Â),

with μ̂ = Σwᵢyᵢ / Σwᵢ, wᵢ = 1/(Vᵢ + Â). Â is the Paule–Mandel (1982) moment estimate of the between-group
variance, the root of Σ(yᵢ − μ̂(A))²/(Vᵢ + A) = k − 1, truncated at 0 (Morris's own is a weighted moment
iteration; the coverage bench checks the Paule–Mandel root in his formulas). The
variance of θᵢ given the data accounts for the estimation of μ and A (Morris 1983):

    vᵢ = Vᵢ·(1 − ((k − 1)/k)·B̂ᵢ) + (2/(k − 3))·B̂ᵢ²·(yᵢ − μ̂)²,

and the interval is θ̂ᵢ ± z·√vᵢ. With equal variances this is the Efron & Morris (1975) positive-part
James–Stein rule, B̂ = (k − 3)V/Σ(yᵢ − ȳ)². The (k − 3) factor needs k ≥ 4 groups: with fewer, no pooled
estimate. Â = 0 (groups no more different than their noise) still gives positive-width intervals, because
B̂ᵢ < 1 and the estimation of μ is counted.

Every function takes arrays whose last axis is the groups, so a simulation pools thousands of replications
at once (``pool_arrays``); :func:`partial_pool` is the tidy, one-set face
(docs/METHODS.md, "Partial pooling by territory").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._common import FloatArray, as_float, z_crit

MIN_GROUPS = 4  # Morris's (k − 3) factor: at least four groups with an estimate and a variance
_BISECTIONS = 100

#: why a group has no pooled estimate (codes; the interface words them)
REASONS = ("no_estimate", "no_variance", "too_few_groups")


def morris_a(y: Any, v: Any) -> FloatArray:
    """Between-group variance Â (the Paule–Mandel 1982 root of Q(A) = k − 1), over the last axis.

    Q(A) = Σ(yᵢ − μ̂(A))²/(Vᵢ + A) decreases in A; Â = 0 when Q(0) ≤ k − 1, else found by bisection on
    [0, 2·range(y)²] (Q < k − 1 beyond it). Needs at least two groups and finite Vᵢ > 0.
    """
    y, v = np.atleast_2d(as_float(y)), np.atleast_2d(as_float(v))
    k = y.shape[-1]

    def q(a: FloatArray) -> FloatArray:
        w = 1.0 / (v + a[..., None])
        mu = (w * y).sum(-1) / w.sum(-1)
        return (w * (y - mu[..., None]) ** 2).sum(-1)

    lo = np.zeros(y.shape[:-1])
    spread = np.ptp(y, axis=-1)
    hi = 2.0 * spread ** 2 + np.finfo(float).tiny
    positive = q(lo) > k - 1
    for _ in range(_BISECTIONS):
        mid = 0.5 * (lo + hi)
        above = q(mid) > k - 1
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    return np.where(positive, 0.5 * (lo + hi), 0.0)


def pool_arrays(y: Any, v: Any, level: float = 0.95) -> dict[str, FloatArray]:
    """Morris (1983) pooled estimates and intervals for complete sets (last axis = k ≥ 4 groups, finite y,
    finite V > 0): ``mu``, ``mu_se``, ``a`` (per set) and ``shrinkage``, ``pooled``, ``se``, ``low``,
    ``high`` (per group)."""
    y, v = np.atleast_2d(as_float(y)), np.atleast_2d(as_float(v))
    k = y.shape[-1]
    if k < MIN_GROUPS:
        raise ValueError(f"partial pooling needs at least {MIN_GROUPS} groups, got {k}")
    a = morris_a(y, v)
    w = 1.0 / (v + a[..., None])
    mu = (w * y).sum(-1) / w.sum(-1)
    b = (k - 3) / (k - 1) * v / (v + a[..., None])
    resid = y - mu[..., None]
    pooled = y - b * resid
    var = v * (1.0 - (k - 1) / k * b) + 2.0 / (k - 3) * b ** 2 * resid ** 2
    se = np.sqrt(var)
    z = z_crit(level)
    return {"mu": mu, "mu_se": np.sqrt(1.0 / w.sum(-1)), "a": a, "shrinkage": b, "pooled": pooled, "se": se,
            "low": pooled - z * se, "high": pooled + z * se}


def shrink_given_a(y: Any, v: Any, a: float) -> tuple[FloatArray, float]:
    """(θ̂, μ̂) for a given between-group variance A: the best linear unbiased predictor of the random-intercept
    model, θ̂ᵢ = μ̂ + (A/(A + Vᵢ))·(yᵢ − μ̂) with μ̂ the generalised least squares mean (Henderson 1975;
    what statsmodels MixedLM reports as fixed intercept + random effect, given its variance components)."""
    y, v = as_float(y), as_float(v)
    w = 1.0 / (v + a)
    mu = float((w * y).sum() / w.sum())
    return mu + a / (a + v) * (y - mu), mu


@dataclass(frozen=True)
class PoolingResult:
    """One set of groups pooled: the overall mean, the between-group variance, and one tidy row per group
    (``frame``: label, estimate, variance, shrinkage, pooled, pooled_se, pooled_ci_low, pooled_ci_high,
    reason). ``reason`` is None when the set was pooled, else why not (one of :data:`REASONS`)."""

    mu: float
    mu_se: float
    a: float
    k: int
    level: float
    reason: str | None
    frame: pd.DataFrame = field(repr=False)

    def summary_frame(self) -> pd.DataFrame:
        """The tidy rows, one per group (a copy)."""
        return self.frame.copy()

    def as_dict(self) -> dict[str, Any]:
        return {"mu": self.mu, "mu_se": self.mu_se, "a": self.a, "tau": float(np.sqrt(self.a)) if self.a == self.a
                else float("nan"), "k": self.k, "level": self.level, "reason": self.reason}


def partial_pool(estimate: Any, variance: Any, labels: Any = None, level: float = 0.95) -> PoolingResult:
    """Pool one set of group estimates (Morris 1983). Groups without an estimate (NaN) or a usable variance
    (NaN, infinite, ≤ 0) get no pooled value and say why; fewer than :data:`MIN_GROUPS` usable groups: none
    is pooled (``too_few_groups``). Never a zero-width interval."""
    y, v = as_float(estimate).ravel(), as_float(variance).ravel()
    if y.shape != v.shape:
        raise ValueError("estimate and variance must have the same length")
    labels = list(range(len(y))) if labels is None else list(labels)
    reason = np.full(len(y), None, dtype=object)
    reason[~np.isfinite(y)] = "no_estimate"
    reason[np.isfinite(y) & ~(np.isfinite(v) & (v > 0))] = "no_variance"
    usable = np.array([r is None for r in reason], dtype=bool)
    k = int(usable.sum())
    out = pd.DataFrame({"label": labels, "estimate": y, "variance": v, "shrinkage": np.nan, "pooled": np.nan,
                        "pooled_se": np.nan, "pooled_ci_low": np.nan, "pooled_ci_high": np.nan})
    if k < MIN_GROUPS:
        reason[usable] = "too_few_groups"
        out["reason"] = reason
        return PoolingResult(float("nan"), float("nan"), float("nan"), k, level, "too_few_groups", out)
    res = pool_arrays(y[usable], v[usable], level)
    for column, key in (("shrinkage", "shrinkage"), ("pooled", "pooled"), ("pooled_se", "se"),
                        ("pooled_ci_low", "low"), ("pooled_ci_high", "high")):
        out.loc[usable, column] = res[key][0]
    out["reason"] = reason
    return PoolingResult(float(res["mu"][0]), float(res["mu_se"][0]), float(res["a"][0]), k, level, None, out)
