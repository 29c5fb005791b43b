"""The analysis of a cluster-randomised trial: ANCOVA with block fixed effects, CRV1 errors, and the
complier average causal effect by two-stage least squares.

Intention to treat (ITT): y = a + b·assigned + c·baseline + Σ_k f_k·block_k + e, fitted by least squares
on students (or schools) with standard errors clustered on the school (CRV1, Liang & Zeger 1986, with the
small-sample factor G/(G − 1)·(N − 1)/(N − K) that statsmodels and Stata apply), t with G − 1 degrees of
freedom (Cameron & Miller 2015); b is the estimate. Fixed effects of the randomisation blocks are what a
blocked design calls for (Bloom 2006; Dong & Maynard 2013). With few clusters the restricted wild cluster
bootstrap of :mod:`.wild_bootstrap` gives the p-value (fewer than 30 schools on a side); with 3 or fewer
on a side there is no inference at all (docs/METHODS.md). With one school per cluster (school-level
outcomes), CRV1 equals HC1.

Complier average causal effect (CACE; Angrist, Imbens & Rubin 1996): the just-identified 2SLS of y on
"received" (an operating lab) instrumented by "assigned", with the same covariates; β = (Z'X)⁻¹Z'y, which is
the Wald ratio of the ITT to the first-stage difference, with the CRV1 sandwich
(Z'X)⁻¹(Σ_g Z_g'u_g u_g'Z_g)(X'Z)⁻¹ on the structural residuals u = y − Xβ (Cameron & Miller 2015, §VI).
Implemented on arrays with numpy (thousands of simulated trials a second); tests compare it with
statsmodels.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._common import FloatArray, check_level, t_ppf, t_sf
from .wild_bootstrap import DEFAULT_SEED, MIN_CLUSTERS_FOR_INFERENCE, no_variation, wild_cluster_bootstrap

__all__ = ["WILD_BOOTSTRAP_BELOW", "TrialResult", "design_matrix", "rct_ancova"]

#: Report a wild cluster bootstrap p when the smaller arm has fewer schools than this (as in the DiD).
WILD_BOOTSTRAP_BELOW = 30


@dataclass(frozen=True)
class TrialResult:
    """ITT (and, when ``received`` was given, CACE) of one trial; ``as_dict()`` gives stable names.

    ``reason``: 'too_few_clusters' (≤ 3 schools in an arm: estimate only), 'no_variation' (the model
    leaves no residual variation: estimate only), 'empty_arm' (an arm has no observation: nothing),
    'collinear' (the assignment is a function of the blocks and covariates: nothing); None otherwise.
    ``cace_reason``: 'not_recorded' (no receipt data), 'no_first_stage' (assignment does not change
    receipt), or the ITT's reason; None when the CACE was estimated.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    df: float
    n_obs: int
    n_clusters: int
    n_treated_clusters: int
    n_comparison_clusters: int
    n_blocks: int
    baseline_adjusted: bool
    inference_reliable: bool
    reason: str | None
    wild_p_value: float
    wild_weight_type: str | None
    wild_reps: int
    compliance: float
    cace: float
    cace_se: float
    cace_ci_low: float
    cace_ci_high: float
    cace_p_value: float
    cace_reason: str | None
    level: float

    def as_dict(self) -> dict[str, Any]:
        """Plain dict with stable snake_case keys (for ``pandas.DataFrame([...])``)."""
        return asdict(self)


def design_matrix(assigned: npt.ArrayLike, covariates: npt.ArrayLike | None,
                  blocks: npt.ArrayLike | None) -> FloatArray:
    """[1, assigned, covariates (centred), block dummies (first block dropped)], one row per observation."""
    z = np.asarray(assigned, dtype=float)
    cols = [np.ones_like(z), z]
    if covariates is not None:
        cov = np.asarray(covariates, dtype=float).reshape(len(z), -1)
        cols.extend((cov - cov.mean(axis=0)).T)
    if blocks is not None:
        codes, uniques = pd.factorize(np.asarray(blocks), sort=True)
        for k in range(1, len(uniques)):
            cols.append((codes == k).astype(float))
    return np.column_stack(cols)


def _crv1(scores: FloatArray, bread: FloatArray, codes: npt.NDArray[np.intp], n: int) -> FloatArray:
    """CRV1 covariance: c·B(Σ_g s_g s_g')B' with c = G/(G − 1)·(N − 1)/(N − K); scores one row per obs."""
    k = bread.shape[0]
    g = int(codes.max()) + 1
    sums = np.zeros((g, k))
    np.add.at(sums, codes, scores)
    c = g / (g - 1.0) * (n - 1.0) / (n - k)
    return c * bread @ (sums.T @ sums) @ bread.T


def rct_ancova(
    y: npt.ArrayLike,
    assigned: npt.ArrayLike,
    cluster: npt.ArrayLike,
    *,
    baseline: npt.ArrayLike | None = None,
    blocks: npt.ArrayLike | None = None,
    received: npt.ArrayLike | None = None,
    weights: npt.ArrayLike | None = None,
    level: float = 0.95,
    wild_bootstrap: bool | None = None,
    reps: int = 9999,
    seed: int | None = DEFAULT_SEED,
) -> TrialResult:
    """ITT of ``assigned`` (0/1) on ``y`` adjusted for ``baseline`` and ``blocks`` fixed effects, clustered
    on ``cluster``; with ``received`` (0/1, e.g. an operating lab), also the CACE by 2SLS.

    Rows with a missing value are dropped. ``weights`` (e.g. students behind a school mean) make it WLS.
    ``wild_bootstrap=None`` runs the restricted wild cluster bootstrap when the smaller arm has fewer
    than 30 clusters. See the module docstring for the formulas and the ``reason`` codes.
    """
    check_level(level)
    yy = np.asarray(y, dtype=float)
    z = np.asarray(assigned, dtype=float)
    cl = np.asarray(cluster)
    parts = [yy, z]
    base = None if baseline is None else np.asarray(baseline, dtype=float).reshape(len(yy), -1)
    if base is not None:
        parts.extend(base.T)
    d = None if received is None else np.asarray(received, dtype=float)
    if d is not None:
        parts.append(d)
    w = None if weights is None else np.asarray(weights, dtype=float)
    if w is not None:
        parts.append(w)
    keep = np.all(np.isfinite(np.column_stack(parts)), axis=1) & ~pd.isna(cl)
    if w is not None:
        keep &= w > 0
    if not np.isin(z[keep], (0.0, 1.0)).all():
        raise ValueError("assigned must be 0/1 or boolean")
    yy, z, cl = yy[keep], z[keep], cl[keep]
    base = None if base is None else base[keep]
    d = None if d is None else d[keep]
    w = None if w is None else w[keep]
    bl = None if blocks is None else np.asarray(blocks)[keep]
    codes, uniques = pd.factorize(cl, sort=True)
    codes = np.asarray(codes, dtype=np.intp)
    is_t = z == 1.0
    n_t = int(np.unique(codes[is_t]).size)
    n_c = int(np.unique(codes[~is_t]).size)
    nan = float("nan")
    common = {"n_obs": int(yy.size), "n_clusters": len(uniques), "n_treated_clusters": n_t,
              "n_comparison_clusters": n_c, "n_blocks": 1 if bl is None else int(pd.unique(bl).size),
              "baseline_adjusted": base is not None, "level": level}
    no_cace = {"compliance": nan, "cace": nan, "cace_se": nan, "cace_ci_low": nan, "cace_ci_high": nan,
               "cace_p_value": nan}

    def without(estimate: float, reason: str, cace: dict | None = None) -> TrialResult:
        extra = cace or {**no_cace, "cace_reason": "not_recorded" if d is None else reason}
        return TrialResult(estimate=estimate, se=nan, ci_low=nan, ci_high=nan, p_value=nan, df=nan,
                           inference_reliable=False, reason=reason, wild_p_value=nan, wild_weight_type=None,
                           wild_reps=0, **extra, **common)

    if n_t == 0 or n_c == 0:
        return without(nan, "empty_arm")
    x = design_matrix(z, base, bl)
    ww = np.ones_like(yy) if w is None else w
    xtwx = x.T @ (x * ww[:, None])
    if np.linalg.matrix_rank(xtwx) < x.shape[1]:
        return without(nan, "collinear")
    bread = np.linalg.inv(xtwx)
    beta = bread @ (x.T @ (ww * yy))
    resid = yy - x @ beta
    est = float(beta[1])
    cace = _cace(yy, z, d, x, ww, codes, level) if d is not None else None
    if min(n_t, n_c) <= MIN_CLUSTERS_FOR_INFERENCE:
        return without(est, "too_few_clusters", _cace_estimate_only(cace, "too_few_clusters"))
    if no_variation(yy, resid):
        return without(est, "no_variation", _cace_estimate_only(cace, "no_variation"))
    v = _crv1(x * (ww * resid)[:, None], bread, codes, yy.size)
    se = float(np.sqrt(v[1, 1]))
    dof = len(uniques) - 1
    crit = float(t_ppf(0.5 + 0.5 * level, dof))
    pval = float(2.0 * t_sf(abs(est / se), dof)) if se > 0 else nan
    run_wild = min(n_t, n_c) < WILD_BOOTSTRAP_BELOW if wild_bootstrap is None else wild_bootstrap
    wild = {"wild_p_value": nan, "wild_weight_type": None, "wild_reps": 0}
    if run_wild:
        wb = wild_cluster_bootstrap(x, yy, codes, 1, weights=w, reps=reps, seed=seed)
        wild = {"wild_p_value": wb.p_value, "wild_weight_type": wb.weight_type, "wild_reps": wb.reps}
    return TrialResult(estimate=est, se=se, ci_low=est - crit * se, ci_high=est + crit * se, p_value=pval,
                       df=float(dof), inference_reliable=True, reason=None, **wild,
                       **(cace or {**no_cace, "cace_reason": "not_recorded"}), **common)


def _cace_estimate_only(cace: dict | None, reason: str) -> dict | None:
    if cace is None:
        return None
    nan = float("nan")
    return {**cace, "cace_se": nan, "cace_ci_low": nan, "cace_ci_high": nan, "cace_p_value": nan,
            "cace_reason": cace["cace_reason"] or reason}


def _cace(y: FloatArray, z: FloatArray, d: FloatArray, x: FloatArray, w: FloatArray,
          codes: npt.NDArray[np.intp], level: float) -> dict:
    """Just-identified 2SLS of y on [1, received, covariates, blocks] with instruments x (assignment in
    column 1): β = (Z'WX)⁻¹Z'Wy, CRV1 sandwich on the structural residuals."""
    nan = float("nan")
    if not np.isin(d, (0.0, 1.0)).all():
        raise ValueError("received must be 0/1 or boolean")
    xs = x.copy()
    xs[:, 1] = d  # the endogenous regressor takes the assignment's place; the instruments are x
    zx = x.T @ (xs * w[:, None])
    first = np.linalg.lstsq(x * np.sqrt(w)[:, None], d * np.sqrt(w), rcond=None)[0][1]
    out = {"compliance": float(first), "cace": nan, "cace_se": nan, "cace_ci_low": nan, "cace_ci_high": nan,
           "cace_p_value": nan, "cace_reason": None}
    if abs(first) < 1e-9 or np.linalg.matrix_rank(zx) < x.shape[1]:
        out["cace_reason"] = "no_first_stage"
        return out
    inv = np.linalg.inv(zx)  # (Z'WX)^-1
    beta = inv @ (x.T @ (w * y))
    u = y - xs @ beta
    est = float(beta[1])
    out["cace"] = est
    if no_variation(y, u):
        out["cace_reason"] = "no_variation"
        return out
    v = _crv1(x * (w * u)[:, None], inv, codes, y.size)
    se = float(np.sqrt(v[1, 1]))
    dof = int(codes.max())
    crit = float(t_ppf(0.5 + 0.5 * level, dof))
    out.update(cace_se=se, cace_ci_low=est - crit * se, cace_ci_high=est + crit * se,
               cace_p_value=float(2.0 * t_sf(abs(est / se), dof)) if se > 0 else nan)
    return out
