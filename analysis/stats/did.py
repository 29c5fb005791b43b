"""Difference-in-differences with cluster-robust and wild-cluster-bootstrap inference.

Model y = a + b·treated + c·post + d·treated·post over unit-period (or student-wave) observations;
d is the estimate. Standard errors are clustered on the unit (CRV1, Liang & Zeger 1986, with the
small-sample factor G/(G − 1)·(N − 1)/(N − K) that statsmodels applies, as Stata does) and the
p-value and interval use t with G − 1 degrees of freedom (Cameron & Miller 2015). With few clusters
a restricted wild cluster bootstrap-t (Cameron, Gelbach & Miller 2008; Rademacher weights, or
Webb 2014 six-point weights under 12 clusters) gives the p-value. With 3 or fewer clusters on
either side no p-value or interval is reported at all.

The fit is statsmodels' ``OLS``/``WLS(...).fit(cov_type="cluster")`` computed with its own steps in numpy
(:func:`crv1_fit`), so the numbers are statsmodels' while a command or page that fits a DiD does not import
statsmodels and scipy.stats (about 1 s of start-up). p and the interval are computed here from the CRV1
standard error with t(G − 1) (statsmodels' ``use_t`` default would give normal p-values).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._common import FloatArray, check_level, t_ppf, t_sf
from .wild_bootstrap import (
    DEFAULT_SEED,
    MIN_CLUSTERS_FOR_INFERENCE,
    WEBB_BELOW,
    WildBootstrapResult,
    bootstrap_weights,
    enumerated_weights,
    no_variation,
    wild_cluster_bootstrap,
)

__all__ = [
    "DEFAULT_SEED",
    "MIN_CLUSTERS_FOR_INFERENCE",
    "WEBB_BELOW",
    "WILD_BOOTSTRAP_BELOW",
    "DidResult",
    "PretrendResult",
    "WildBootstrapResult",
    "bootstrap_weights",
    "did_ols",
    "enumerated_weights",
    "pretrend_check",
    "wild_cluster_bootstrap",
    "wild_cluster_bootstrap_p",
]

#: Report a wild cluster bootstrap p when the smaller side has fewer clusters than this.
WILD_BOOTSTRAP_BELOW = 30
_DID_COL = 3  # column of treated·post in [1, treated, post, treated·post]


@dataclass(frozen=True)
class DidResult:
    """One difference-in-differences estimate; ``as_dict()`` gives the stable column names.

    ``reason`` codes: 'too_few_clusters' (≤ 3 clusters on a side: p_value, interval and se are NaN),
    'empty_cell' (a treated/post cell has no observations: everything NaN), 'no_variation' (the outcome
    does not vary within the cells, e.g. a rate that is 0 everywhere: the estimate stands, but se, p,
    interval and the wild p are NaN, as any of them would come from rounding noise); None otherwise.
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
    mean_treated_pre: float
    mean_treated_post: float
    mean_comparison_pre: float
    mean_comparison_post: float
    inference_reliable: bool
    reason: str | None
    wild_p_value: float
    wild_weight_type: str | None
    wild_reps: int
    level: float

    def as_dict(self) -> dict[str, Any]:
        """Plain dict with stable snake_case keys (for ``pandas.DataFrame([...])``)."""
        return asdict(self)


@dataclass(frozen=True)
class PretrendResult:
    """Difference in pre-period slopes (treated minus comparison, per year) and its check.

    ``applicable`` is False (reason 'fewer_than_two_pre_years') when no unit of a side is observed in two
    or more pre-period years (the slope is identified within units); ``significant`` is None whenever no
    reliable p-value exists. The counts are of the units and rows the check used.
    """

    applicable: bool
    slope_diff: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    df: float
    significant: bool | None
    n_years: int
    n_obs: int
    n_clusters: int
    n_treated_clusters: int
    n_comparison_clusters: int
    inference_reliable: bool
    reason: str | None
    level: float

    def as_dict(self) -> dict[str, Any]:
        """Plain dict with stable snake_case keys (for ``pandas.DataFrame([...])``)."""
        return asdict(self)


# ----------------------------------------------------------------------------- data preparation


@dataclass
class _Prepared:
    y: FloatArray
    x: FloatArray
    codes: npt.NDArray[np.intp]
    w: FloatArray | None
    treated: npt.NDArray[np.bool_]
    n_clusters: int
    n_treated_clusters: int
    n_comparison_clusters: int


def _prepare(
    df: pd.DataFrame,
    y: str,
    treated: str,
    second: str,
    cluster: str,
    weights: str | None,
    *,
    second_is_binary: bool,
) -> _Prepared:
    cols = [y, treated, second, cluster] + ([weights] if weights else [])
    data = df[cols].dropna()
    yy = data[y].to_numpy(dtype=float)
    tr = data[treated].to_numpy(dtype=float)
    sv = data[second].to_numpy(dtype=float)
    if not np.isin(tr, (0.0, 1.0)).all():
        raise ValueError(f"{treated!r} must be 0/1 or boolean")
    if second_is_binary and not np.isin(sv, (0.0, 1.0)).all():
        raise ValueError(f"{second!r} must be 0/1 or boolean")
    w = None
    if weights:
        w = data[weights].to_numpy(dtype=float)
        keep = w > 0
        if not keep.all():  # zero weights carry no information: drop those rows
            yy, tr, sv, w, data = yy[keep], tr[keep], sv[keep], w[keep], data[keep]
    if not second_is_binary:
        sv = sv - sv.mean() if sv.size else sv
    x = np.column_stack([np.ones_like(yy), tr, sv, tr * sv])
    codes, uniques = pd.factorize(data[cluster], sort=True)
    is_t = tr == 1.0
    return _Prepared(
        y=yy,
        x=x,
        codes=np.asarray(codes, dtype=np.intp),
        w=w,
        treated=is_t,
        n_clusters=len(uniques),
        n_treated_clusters=int(np.unique(codes[is_t]).size),
        n_comparison_clusters=int(np.unique(codes[~is_t]).size),
    )


def _cluster_fit(p: _Prepared, col: int, level: float) -> tuple[float, float, float, float, float]:
    """OLS/WLS with CRV1 errors; returns estimate, se, p, ci_low, ci_high (t(G−1)).

    se, p and the interval are NaN when the fit leaves no residual variation (:func:`_no_variation`)."""
    est, bse, resid = crv1_fit(p.x, p.y, p.w, p.codes)
    est, se = float(est[col]), float(bse[col])
    if no_variation(p.y, resid):
        nan = float("nan")
        return est, nan, nan, nan, nan
    dof = p.n_clusters - 1
    pval = float(2.0 * t_sf(abs(est / se), dof)) if se > 0 else float("nan")
    crit = float(t_ppf(0.5 + 0.5 * level, dof))
    return est, se, pval, est - crit * se, est + crit * se


def crv1_fit(x: FloatArray, y: FloatArray, w: FloatArray | None,
             codes: npt.NDArray[np.intp]) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Coefficients, CRV1 standard errors and residuals of the (weighted) least-squares fit of ``y`` on ``x``
    clustered on ``codes`` (0..G−1): ``statsmodels`` ``OLS``/``WLS(...).fit(cov_type="cluster",
    cov_kwds={"groups": codes})`` computed with its own steps in numpy (Liang & Zeger 1986; the small-sample
    factor G/(G − 1)·(N − 1)/(N − K) as Stata's), so the figures are statsmodels' to the last bit without
    importing it (about 1 s of start-up with scipy.stats). Steps: whitened X and y (·√w); the pseudo-inverse
    by SVD with singular values under 1e-15·max set to zero (``statsmodels.tools.tools.pinv_extended``);
    β = pinv·y; bread (X'X)⁻¹ = pinv·pinv'; meat Σ_g s_g s_g' over the clusters' sums of the scores X·û;
    V = c·bread·meat·bread'. The tests check it against statsmodels itself."""
    if w is None:
        wx, wy = x, y
    else:
        root = np.sqrt(w)
        wx, wy = root[:, None] * x, y * root
    u, s, vt = np.linalg.svd(wx, False)
    cutoff = 1e-15 * np.maximum.reduce(s)
    inv = np.zeros_like(s)
    big = s > cutoff
    inv[big] = 1.0 / s[big]
    pinv = np.dot(np.transpose(vt), np.multiply(inv[:, np.newaxis], np.transpose(u)))
    bread = np.dot(pinv, np.transpose(pinv))
    beta = np.dot(pinv, wy)
    scores = wx * (wy - np.dot(wx, beta))[:, None]
    sums = np.array([np.bincount(codes, weights=scores[:, j]) for j in range(scores.shape[1])]).T
    cov = np.dot(np.dot(bread, np.dot(sums.T, sums)), bread.T)
    n, k, g = scores.shape[0], scores.shape[1], np.unique(codes).size
    cov *= g / (g - 1.0) * ((n - 1.0) / float(n - k))
    # a nuisance coefficient's cluster variance can come out slightly negative with very few units per
    # cluster; its sqrt is NaN and only that coefficient's SE is affected, so numpy's warning is noise here
    with np.errstate(invalid="ignore"):
        bse = np.sqrt(np.diag(cov))
    return beta, bse, y - np.dot(x, beta)


def _wmean(y: FloatArray, w: FloatArray | None, mask: npt.NDArray[np.bool_]) -> float:
    if not mask.any():
        return float("nan")
    return float(np.average(y[mask], weights=None if w is None else w[mask]))


def wild_cluster_bootstrap_p(
    df: pd.DataFrame,
    y: str,
    treated: str,
    post: str,
    cluster: str,
    weights: str | None = None,
    *,
    reps: int = 9999,
    seed: int | None = DEFAULT_SEED,
    weight_type: Literal["auto", "rademacher", "webb"] = "auto",
) -> WildBootstrapResult:
    """Restricted wild cluster bootstrap p-value of the DiD interaction (H0: d = 0).

    Same model, rows and clusters as :func:`did_ols` (rows with a missing value dropped); see
    :func:`wild_cluster_bootstrap` for the algorithm. B = 9,999 replications and a fixed ``seed`` by
    default, so the same data always give the same p. With 3 or fewer clusters on either side the
    p-value is NaN with reason 'too_few_clusters' (docs/METHODS.md: never a confident p).
    """
    p = _prepare(df, y, treated, post, cluster, weights, second_is_binary=True)
    return _wild_for(p, reps=reps, seed=seed, weight_type=weight_type, col=_DID_COL)


def _wild_for(
    p: _Prepared,
    *,
    reps: int,
    seed: int | None,
    weight_type: Literal["auto", "rademacher", "webb"],
    col: int,
) -> WildBootstrapResult:
    if min(p.n_treated_clusters, p.n_comparison_clusters) <= MIN_CLUSTERS_FOR_INFERENCE:
        return WildBootstrapResult(
            float("nan"),
            float("nan"),
            reps,
            None,
            p.n_clusters,
            seed,
            "too_few_clusters",
        )
    return wild_cluster_bootstrap(
        p.x,
        p.y,
        p.codes,
        col,
        weights=p.w,
        reps=reps,
        seed=seed,
        weight_type=weight_type,
    )


# ----------------------------------------------------------------------------- estimators


def _did_without_inference(estimate: float, reason: str, base: dict[str, Any]) -> DidResult:
    """A DiD row with its estimate (or NaN) and no se, p, interval or wild p, for ``reason``."""
    nan = float("nan")
    return DidResult(estimate=estimate, se=nan, ci_low=nan, ci_high=nan, p_value=nan, df=nan,
                     inference_reliable=False, reason=reason, wild_p_value=nan, wild_weight_type=None,
                     wild_reps=0, **base)


def _pretrend_without_inference(applicable: bool, slope_diff: float, reason: str,
                                base: dict[str, Any]) -> PretrendResult:
    """A pre-trend check with its slope gap (or NaN) and no se, p or interval, for ``reason``."""
    nan = float("nan")
    return PretrendResult(applicable=applicable, slope_diff=slope_diff, se=nan, ci_low=nan, ci_high=nan,
                          p_value=nan, df=nan, significant=None, inference_reliable=False, reason=reason, **base)


def did_ols(
    df: pd.DataFrame,
    y: str,
    treated: str,
    post: str,
    cluster: str,
    weights: str | None = None,
    *,
    level: float = 0.95,
    wild_bootstrap: bool | None = None,
    reps: int = 9999,
    seed: int | None = DEFAULT_SEED,
) -> DidResult:
    """Difference-in-differences y = a + b·treated + c·post + d·treated·post, clustered on ``cluster``.

    ``treated`` and ``post`` are 0/1 (or boolean) columns; ``weights`` (optional, e.g. n for unit
    rates) makes it WLS, and rows with zero weight or any missing value are dropped. The estimate d
    equals the difference of the four (weighted) cell means in this saturated design. The se is
    statsmodels' CRV1 cluster-robust ``bse``; p and the ``level`` interval use t with G − 1 df.

    Inference is declared unreliable — p_value, ci_low, ci_high and se set to NaN, reason
    'too_few_clusters' — when either side has 3 or fewer clusters; the point estimate and cell means
    are still reported. ``wild_bootstrap=None`` runs the restricted wild cluster bootstrap
    (:func:`wild_cluster_bootstrap`) when the smaller side has fewer than 30 clusters; True/False
    forces it on or off. Returns a :class:`DidResult` (``as_dict()`` for a table row).
    """
    check_level(level)
    p = _prepare(df, y, treated, post, cluster, weights, second_is_binary=True)
    is_post = p.x[:, 2] == 1.0
    means = [
        _wmean(p.y, p.w, p.treated & ~is_post),
        _wmean(p.y, p.w, p.treated & is_post),
        _wmean(p.y, p.w, ~p.treated & ~is_post),
        _wmean(p.y, p.w, ~p.treated & is_post),
    ]
    nan = float("nan")
    base: dict[str, Any] = {
        "n_obs": int(p.y.size),
        "n_clusters": p.n_clusters,
        "n_treated_clusters": p.n_treated_clusters,
        "n_comparison_clusters": p.n_comparison_clusters,
        "mean_treated_pre": means[0],
        "mean_treated_post": means[1],
        "mean_comparison_pre": means[2],
        "mean_comparison_post": means[3],
        "level": level,
    }
    no_wild = {"wild_p_value": nan, "wild_weight_type": None, "wild_reps": 0}
    if any(np.isnan(means)):
        return _did_without_inference(nan, "empty_cell", base)
    reliable = min(p.n_treated_clusters, p.n_comparison_clusters) > MIN_CLUSTERS_FOR_INFERENCE
    if not reliable:
        # Saturated 2x2: the estimate is the difference of the (weighted) cell means; no cluster fit,
        # which would divide by zero with a single cluster on a side.
        return _did_without_inference((means[1] - means[0]) - (means[3] - means[2]), "too_few_clusters", base)
    est, se, pval, lo, hi = _cluster_fit(p, _DID_COL, level)
    if np.isnan(se):
        # constant within every cell: the saturated 2x2 estimate is the difference of the cell means, taken
        # exactly (the fit's value carries rounding residue, 6e-14 where the data do not change at all)
        return _did_without_inference((means[1] - means[0]) - (means[3] - means[2]), "no_variation", base)
    run_wild = (
        min(p.n_treated_clusters, p.n_comparison_clusters) < WILD_BOOTSTRAP_BELOW
        if wild_bootstrap is None
        else wild_bootstrap
    )
    wild = no_wild
    if run_wild:
        wb = _wild_for(p, reps=reps, seed=seed, weight_type="auto", col=_DID_COL)
        wild = {
            "wild_p_value": wb.p_value,
            "wild_weight_type": wb.weight_type,
            "wild_reps": wb.reps,
        }
    return DidResult(
        estimate=est,
        se=se,
        ci_low=lo,
        ci_high=hi,
        p_value=pval,
        df=float(p.n_clusters - 1),
        inference_reliable=True,
        reason=None,
        **wild,
        **base,
    )


def pretrend_check(
    df: pd.DataFrame,
    y: str,
    treated: str,
    year: str,
    cluster: str,
    weights: str | None = None,
    *,
    level: float = 0.95,
) -> PretrendResult:
    """Parallel pre-trends: difference in pre-period linear slopes, treated minus comparison, WITHIN units.

    Pass pre-period rows only. Fits y = a_unit + c·year + d·treated·year with unit fixed effects, on the
    units observed in at least 2 distinct pre-period years (a unit seen once carries no slope: its fixed
    effect absorbs it), with CRV1 errors clustered on ``cluster`` and a t(G − 1) interval, as
    :func:`did_ols`; d is the gap in yearly slopes. The fit is the within (unit-demeaned) regression,
    which gives the coefficients, residuals and cluster scores of the least-squares fit with unit dummies
    (Frisch-Waugh-Lovell; unit effects nested in the clusters), and the small-sample factor counts the
    dummies (K = G + 2), so se and p are statsmodels' ``OLS(y ~ year + treated:year + C(unit))`` with
    ``cov_type="cluster"`` (Cameron & Miller 2015, section IV). Identified within units, the check cannot
    compare one set of schools in one year with other schools in another (a pooled slope across units
    could). ``significant`` flags p < 1 − level: the trends differ and the DiD should carry a warning.
    Not applicable (reason 'fewer_than_two_pre_years') unless each side has a unit observed in at least
    2 pre-period years; with 3 or fewer such units on a side, p and interval are NaN (reason
    'too_few_clusters').
    """
    check_level(level)
    data = df.dropna(subset=[y, treated, year, cluster] + ([weights] if weights else []))
    if weights:
        data = data[data[weights].to_numpy(dtype=float) > 0]  # zero weights carry no information
    tr_all = data[treated].to_numpy(dtype=float)
    if not np.isin(tr_all, (0.0, 1.0)).all():
        raise ValueError(f"{treated!r} must be 0/1 or boolean")
    # the units observed in two or more distinct pre-period years: the only ones that carry a slope
    codes_all, _ = pd.factorize(data[cluster], sort=True)
    yrs_all = data[year].to_numpy(dtype=float)
    n_years_of = pd.Series(yrs_all).groupby(codes_all).nunique().to_numpy() if codes_all.size else np.array([])
    keep = n_years_of[codes_all] >= 2 if codes_all.size else np.zeros(0, dtype=bool)
    codes, uniques = pd.factorize(codes_all[keep], sort=True)
    codes = np.asarray(codes, dtype=np.intp)
    yy, tr, yrs = data[y].to_numpy(dtype=float)[keep], tr_all[keep] == 1.0, yrs_all[keep]
    w = data[weights].to_numpy(dtype=float)[keep] if weights else None
    n_t, n_c = int(np.unique(codes[tr]).size), int(np.unique(codes[~tr]).size)
    nan = float("nan")
    base: dict[str, Any] = {
        "n_years": int(np.unique(yrs).size),
        "n_obs": int(yy.size),
        "n_clusters": len(uniques),
        "n_treated_clusters": n_t,
        "n_comparison_clusters": n_c,
        "level": level,
    }
    if min(n_t, n_c) < 1:
        return _pretrend_without_inference(False, nan, "fewer_than_two_pre_years", base)
    # within transformation: every column minus its (weighted) unit mean
    x = np.column_stack([yrs - yrs.mean(), tr * (yrs - yrs.mean())])
    ww = np.ones_like(yy) if w is None else w
    tot = np.bincount(codes, weights=ww)

    def within(v: FloatArray) -> FloatArray:
        return v - (np.bincount(codes, weights=ww * v) / tot)[codes]

    xd = np.column_stack([within(x[:, 0]), within(x[:, 1])])
    yd = within(yy)
    if min(n_t, n_c) <= MIN_CLUSTERS_FOR_INFERENCE:
        root = np.sqrt(ww)
        beta, *_ = np.linalg.lstsq(xd * root[:, None], yd * root, rcond=None)
        return _pretrend_without_inference(True, float(beta[1]), "too_few_clusters", base)
    beta, bse, resid = crv1_fit(xd, yd, w, codes)
    n, g = yy.size, len(uniques)
    # crv1_fit's factor (N − 1)/(N − 2) counts the two slopes; the unit dummies are G more parameters (N ≥ 2G
    # and G ≥ 8 here, so N − 2 − G > 0)
    se = float(bse[1]) * float(np.sqrt((n - 2.0) / (n - 2.0 - g)))
    est = float(beta[1])
    if no_variation(yy, resid) or np.isnan(se):
        return _pretrend_without_inference(True, est, "no_variation", base)
    dof = g - 1
    pval = float(2.0 * t_sf(abs(est / se), dof)) if se > 0 else nan
    crit = float(t_ppf(0.5 + 0.5 * level, dof))
    return PretrendResult(
        applicable=True,
        slope_diff=est,
        se=se,
        ci_low=est - crit * se,
        ci_high=est + crit * se,
        p_value=pval,
        df=float(dof),
        significant=bool(pval < 1.0 - level),
        inference_reliable=True,
        reason=None,
        **base,
    )
