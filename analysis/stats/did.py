"""Difference-in-differences with cluster-robust and wild-cluster-bootstrap inference.

Model y = a + b·treated + c·post + d·treated·post over unit-period (or student-wave) observations;
d is the estimate. Standard errors are clustered on the unit (CRV1, Liang & Zeger 1986, with the
small-sample factor G/(G − 1)·(N − 1)/(N − K) that statsmodels applies, as Stata does) and the
p-value and interval use t with G − 1 degrees of freedom (Cameron & Miller 2015). With few clusters
a restricted wild cluster bootstrap-t (Cameron, Gelbach & Miller 2008; Rademacher weights, or
Webb 2014 six-point weights under 12 clusters) gives the p-value. With 3 or fewer clusters on
either side no p-value or interval is reported at all.

statsmodels 0.15 note: ``OLS.fit(cov_type="cluster")`` defaults to ``use_t=False`` (normal
p-values) even though ``df_correction=True`` sets ``df_resid_inference = G − 1``; only with
``use_t=True`` are ``pvalues``/``conf_int`` based on t(G − 1). We fit with ``use_t=True`` and
recompute p and the interval from ``bse`` with t(G − 1) explicitly, so the result does not depend
on that default (``use_correction=True``, the CRV1 factor above, is kept).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats
from statsmodels.regression.linear_model import OLS, WLS

from ._common import FloatArray, check_level

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

#: Reliable inference needs more than this many clusters on each side (docs/METHODS.md).
MIN_CLUSTERS_FOR_INFERENCE = 3
#: Report a wild cluster bootstrap p when the smaller side has fewer clusters than this.
WILD_BOOTSTRAP_BELOW = 30
#: Use Webb's six-point weights when there are fewer clusters than this in total.
WEBB_BELOW = 12
#: Default seed of the wild bootstrap, so that results are reproducible.
DEFAULT_SEED = 20240601

_WEBB_VALUES = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)], dtype=float)
_DID_COL = 3  # column of treated·post in [1, treated, post, treated·post]


@dataclass(frozen=True)
class WildBootstrapResult:
    """Wild cluster bootstrap-t result; ``p_value`` is NaN (with ``reason``) when not computed."""

    p_value: float
    t_stat: float
    reps: int
    weight_type: str | None
    n_clusters: int
    seed: int | None
    reason: str | None = None
    enumerated: bool = False  # every distinct weight vector was used: the p-value is exact

    def as_dict(self) -> dict[str, Any]:
        """Plain dict with stable snake_case keys (for ``pandas.DataFrame([...])``)."""
        return asdict(self)


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

    ``applicable`` is False (reason 'fewer_than_two_pre_years') when either side has fewer than two
    pre-period years; ``significant`` is None whenever no reliable p-value exists.
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
    """statsmodels OLS/WLS with CRV1 errors; returns estimate, se, p, ci_low, ci_high (t(G−1)).

    se, p and the interval are NaN when the fit leaves no residual variation (:func:`_no_variation`)."""
    model = OLS(p.y, p.x) if p.w is None else WLS(p.y, p.x, weights=p.w)
    res = model.fit(cov_type="cluster", cov_kwds={"groups": p.codes}, use_t=True)
    est = float(res.params[col])
    if _no_variation(p.y, np.asarray(res.resid)):
        nan = float("nan")
        return est, nan, nan, nan, nan
    # a nuisance coefficient's cluster variance can come out slightly negative with very few units per
    # cluster; its sqrt is NaN and only that coefficient's SE is affected, so numpy's warning is noise here
    with np.errstate(invalid="ignore"):
        se = float(res.bse[col])
    dof = p.n_clusters - 1
    pval = float(2.0 * stats.t.sf(abs(est / se), dof)) if se > 0 else float("nan")
    crit = float(stats.t.ppf(0.5 + 0.5 * level, dof))
    return est, se, pval, est - crit * se, est + crit * se


def _slope_gap(p: _Prepared) -> float:
    """The interaction coefficient of the (weighted) least-squares fit, without any variance."""
    sw = np.ones_like(p.y) if p.w is None else np.sqrt(p.w)
    beta, *_ = np.linalg.lstsq(p.x * sw[:, None], p.y * sw, rcond=None)
    return float(beta[_DID_COL])


def _wmean(y: FloatArray, w: FloatArray | None, mask: npt.NDArray[np.bool_]) -> float:
    if not mask.any():
        return float("nan")
    return float(np.average(y[mask], weights=None if w is None else w[mask]))


# ----------------------------------------------------------------------------- wild bootstrap


def _chunk_size(n_clusters: int) -> int:
    """Replications per block of draws: about 4 million cluster weights at a time."""
    return max(1, 4_000_000 // max(n_clusters, 1))


def bootstrap_weights(
    rng: np.random.Generator,
    reps: int,
    n_clusters: int,
    kind: Literal["rademacher", "webb"],
) -> FloatArray:
    """Draw a (reps, n_clusters) matrix of wild-bootstrap cluster weights.

    Rademacher: ±1 with probability 1/2 (Cameron, Gelbach & Miller 2008). Webb (2014): ±sqrt(1/2),
    ±1, ±sqrt(3/2), each with probability 1/6, which has many more distinct draws when clusters are
    few. Column j belongs to the j-th cluster in sorted order of the cluster labels.
    :func:`wild_cluster_bootstrap` draws its weights with this function from
    ``numpy.random.default_rng(seed)`` in consecutive blocks of ⌊4,000,000 / G⌋ replications (one
    block whenever G ≤ 400 and B = 9,999), so a result can be reproduced outside LabLens.
    """
    if kind == "rademacher":
        return rng.integers(0, 2, size=(reps, n_clusters), dtype=np.int8).astype(float) * 2.0 - 1.0
    if kind == "webb":
        return _WEBB_VALUES[rng.integers(0, 6, size=(reps, n_clusters), dtype=np.int8)]
    raise ValueError(f"unknown bootstrap weight type {kind!r}")


def enumerated_weights(n_clusters: int, kind: Literal["rademacher", "webb"]) -> FloatArray:
    """Every distinct weight vector, one per row: 2^G Rademacher or 6^G Webb vectors (in lexicographic
    order of the value indices, first cluster slowest). Used instead of random draws whenever there are no
    more of them than replications, as Stata's ``boottest`` and R's ``fwildclusterboot`` do: the p-value
    is then exact, not a Monte Carlo estimate (Webb 2014; Roodman et al. 2019, section 3.2)."""
    values = np.array([-1.0, 1.0]) if kind == "rademacher" else _WEBB_VALUES
    grids = np.meshgrid(*[np.arange(values.size)] * n_clusters, indexing="ij")
    return values[np.stack([g.ravel() for g in grids], axis=1)]


def _distinct_vectors(n_clusters: int, kind: str) -> int:
    return (2 if kind == "rademacher" else 6) ** n_clusters


def _no_wild(reps: int, kind: str | None, n_clusters: int, seed: int | None, reason: str) -> WildBootstrapResult:
    return WildBootstrapResult(float("nan"), float("nan"), reps, kind, n_clusters, seed, reason)


def wild_cluster_bootstrap(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    codes: npt.ArrayLike,
    col: int,
    *,
    weights: npt.ArrayLike | None = None,
    reps: int = 9999,
    seed: int | None = DEFAULT_SEED,
    weight_type: Literal["auto", "rademacher", "webb"] = "auto",
) -> WildBootstrapResult:
    """Restricted wild cluster bootstrap-t p-value for H0: β[col] = 0, on arrays.

    WCR of Cameron, Gelbach & Miller (2008): fit the model with the null imposed (column ``col``
    dropped), build y* = ŷ_r + v_g·û_r with one weight v_g per cluster and replication, and compare
    the CRV1 t-statistics of β*[col] with the observed one: p = share of |t*| ≥ |t| (symmetric; ties
    within a relative 1e-9 count as extreme, so rounding never decides a tie).
    ``codes`` are cluster labels, one per row (draw column j goes to the j-th label in sorted
    order, so the result does not depend on row order). ``weight_type="auto"``
    uses Webb six-point weights when G < 12, else Rademacher. When the weight type has no more distinct
    vectors than ``reps`` (2^G Rademacher vectors for G ≤ 13 at B = 9,999), all of them are enumerated
    and the p-value is exact (``reps`` is then their number and ``seed`` None). Vectorised: everything is
    reduced to cluster sums first, so each replication costs O(G·K), not O(N) (no refit, no loop over B).

    No p-value (NaN, with ``reason``) when: a value is missing ('missing_values'); 3 or fewer clusters
    carry the tested regressor, or 3 or fewer do not ('too_few_clusters': the clusters where
    ``x[:, col]`` is non-zero are the treated side of a DiD); or the observed t is undefined because the
    residuals are all zero ('no_variation': an outcome with no variation within the cells).
    """
    xx = np.asarray(x, dtype=float)
    yy = np.asarray(y, dtype=float)
    g_codes, _ = pd.factorize(np.asarray(codes), sort=True)
    g = np.asarray(g_codes, dtype=np.intp)
    n, k = xx.shape
    n_clusters = int(g.max()) + 1 if g.size else 0
    kind: Literal["rademacher", "webb"]
    if weight_type == "auto":
        kind = "webb" if n_clusters < WEBB_BELOW else "rademacher"
    else:
        kind = weight_type
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if np.isnan(yy).any() or np.isnan(xx).any() or np.isnan(w).any() or (g < 0).any():
        return _no_wild(reps, kind, n_clusters, seed, "missing_values")
    carrying = np.bincount(g, weights=(xx[:, col] != 0).astype(float), minlength=n_clusters) > 0
    if min(int(carrying.sum()), int((~carrying).sum())) <= MIN_CLUSTERS_FOR_INFERENCE:
        return _no_wild(reps, kind, n_clusters, seed, "too_few_clusters")
    sw = np.sqrt(w)
    # unrestricted fit: A = (X'WX)^-1 X'W, beta = A y
    xtwx_inv = np.linalg.inv(xx.T @ (xx * w[:, None]))
    a = xtwx_inv @ (xx * w[:, None]).T  # (k, n)
    beta = a @ yy
    resid = yy - xx @ beta
    if _no_variation(yy, resid):
        return _no_wild(reps, kind, n_clusters, seed, "no_variation")
    c = n_clusters / (n_clusters - 1.0) * (n - 1.0) / (n - k)
    a_d = a[col]
    s_obs = np.bincount(g, weights=a_d * resid, minlength=n_clusters)
    t_obs = beta[col] / np.sqrt(c * np.sum(s_obs**2))
    if not np.isfinite(t_obs):
        return _no_wild(reps, kind, n_clusters, seed, "no_variation")
    # restricted fit (null imposed): drop column col
    xr = np.delete(xx, col, axis=1)
    beta_r, *_ = np.linalg.lstsq(xr * sw[:, None], yy * sw, rcond=None)
    yhat_r = xr @ beta_r
    u_r = yy - yhat_r
    base_d = a_d @ yhat_r  # 0 up to rounding: yhat_r lies in the column space with beta_d = 0
    # cluster sums: C[j, g] = sum_i∈g A[j, i] u_r,i ; D[g, :] = sum_i∈g A[col, i] x_i
    cmat = np.vstack([np.bincount(g, weights=a[j] * u_r, minlength=n_clusters) for j in range(k)])
    dmat = np.column_stack([np.bincount(g, weights=a_d * xx[:, j], minlength=n_clusters) for j in range(k)])
    alpha = cmat[col]
    # a draw that reproduces the observed t exactly (all the clusters that carry the estimate flipped the
    # same way: frequent with few treated clusters) is a tie, counted as extreme; a relative 1e-9 keeps
    # rounding in the last digits (which DuckDB's parallel sums vary between runs) from deciding it
    threshold = abs(t_obs) * (1.0 - 1e-9)

    def extreme_in(v: FloatArray) -> int:  # v: (G, b)
        cv = cmat @ v  # (k, b): beta* - beta_r
        s = alpha[:, None] * v - dmat @ cv  # (G, b): cluster scores of the bootstrap residuals
        se_b = np.sqrt(c * np.sum(s**2, axis=0))
        with np.errstate(divide="ignore", invalid="ignore"):
            t_b = (base_d + cv[col]) / se_b
        t_b = np.where(np.isnan(t_b), 0.0, t_b)
        return int(np.count_nonzero(np.abs(t_b) >= threshold))

    if _distinct_vectors(n_clusters, kind) <= reps:
        every = enumerated_weights(n_clusters, kind)
        extreme = extreme_in(every.T)
        return WildBootstrapResult(extreme / every.shape[0], float(t_obs), every.shape[0], kind, n_clusters, None,
                                   enumerated=True)
    rng = np.random.default_rng(seed)
    chunk = _chunk_size(n_clusters)
    extreme = 0
    for start in range(0, reps, chunk):  # blocks bound memory (about 32 MB per array)
        extreme += extreme_in(bootstrap_weights(rng, min(chunk, reps - start), n_clusters, kind).T)
    return WildBootstrapResult(
        p_value=extreme / reps,
        t_stat=float(t_obs),
        reps=reps,
        weight_type=kind,
        n_clusters=n_clusters,
        seed=seed,
    )


def _no_variation(y: FloatArray, resid: FloatArray) -> bool:
    """True when the fitted model leaves no residual variation (an outcome constant within every cell,
    0 everywhere included): the cluster-robust variance is then 0 up to rounding, and any t, p or
    interval would come from rounding noise, not from the data."""
    scale = float(np.max(np.abs(y))) if y.size else 0.0
    return bool(np.max(np.abs(resid), initial=0.0) <= 1e-9 * scale)


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
        return DidResult(
            estimate=nan,
            se=nan,
            ci_low=nan,
            ci_high=nan,
            p_value=nan,
            df=nan,
            inference_reliable=False,
            reason="empty_cell",
            **no_wild,
            **base,
        )
    reliable = min(p.n_treated_clusters, p.n_comparison_clusters) > MIN_CLUSTERS_FOR_INFERENCE
    if not reliable:
        # Saturated 2x2: the estimate is the difference of the (weighted) cell means; no cluster fit,
        # which would divide by zero with a single cluster on a side.
        return DidResult(
            estimate=(means[1] - means[0]) - (means[3] - means[2]),
            se=nan,
            ci_low=nan,
            ci_high=nan,
            p_value=nan,
            df=nan,
            inference_reliable=False,
            reason="too_few_clusters",
            **no_wild,
            **base,
        )
    est, se, pval, lo, hi = _cluster_fit(p, _DID_COL, level)
    if np.isnan(se):
        return DidResult(
            estimate=est,
            se=nan,
            ci_low=nan,
            ci_high=nan,
            p_value=nan,
            df=nan,
            inference_reliable=False,
            reason="no_variation",
            **no_wild,
            **base,
        )
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
    """Parallel pre-trends: difference in pre-period linear slopes, treated minus comparison.

    Pass pre-period rows only. Fits y = a + b·treated + c·year + d·treated·year (year centred) with
    CRV1 errors clustered on ``cluster`` and a t(G − 1) interval, as :func:`did_ols`; d is the gap in
    yearly slopes. ``significant`` flags p < 1 − level (5% by default): the trends differ and the DiD
    should carry a warning. Not applicable (reason 'fewer_than_two_pre_years') unless both sides have
    at least 2 distinct pre-period years; with 3 or fewer clusters on a side, p and interval are NaN
    (reason 'too_few_clusters').
    """
    check_level(level)
    data = df.dropna(subset=[y, treated, year, cluster] + ([weights] if weights else []))
    tr = data[treated].to_numpy(dtype=float) == 1.0
    yrs = data[year].to_numpy(dtype=float)
    years_t, years_c = np.unique(yrs[tr]).size, np.unique(yrs[~tr]).size
    n_years = int(np.unique(yrs).size)
    p = _prepare(data, y, treated, year, cluster, weights, second_is_binary=False)
    nan = float("nan")
    base: dict[str, Any] = {
        "n_years": n_years,
        "n_obs": int(p.y.size),
        "n_clusters": p.n_clusters,
        "n_treated_clusters": p.n_treated_clusters,
        "n_comparison_clusters": p.n_comparison_clusters,
        "level": level,
    }
    if min(years_t, years_c) < 2:
        return PretrendResult(
            applicable=False,
            slope_diff=nan,
            se=nan,
            ci_low=nan,
            ci_high=nan,
            p_value=nan,
            df=nan,
            significant=None,
            inference_reliable=False,
            reason="fewer_than_two_pre_years",
            **base,
        )
    if min(p.n_treated_clusters, p.n_comparison_clusters) <= MIN_CLUSTERS_FOR_INFERENCE:
        # no cluster fit: with as many observations as coefficients (1 unit a side, 2 years) the CRV1
        # factor (N − 1)/(N − K) divides by zero; the slope gap is still the difference of OLS slopes
        return PretrendResult(
            applicable=True,
            slope_diff=_slope_gap(p),
            se=nan,
            ci_low=nan,
            ci_high=nan,
            p_value=nan,
            df=nan,
            significant=None,
            inference_reliable=False,
            reason="too_few_clusters",
            **base,
        )
    est, se, pval, lo, hi = _cluster_fit(p, _DID_COL, level)
    if np.isnan(se):
        return PretrendResult(
            applicable=True,
            slope_diff=est,
            se=nan,
            ci_low=nan,
            ci_high=nan,
            p_value=nan,
            df=nan,
            significant=None,
            inference_reliable=False,
            reason="no_variation",
            **base,
        )
    return PretrendResult(
        applicable=True,
        slope_diff=est,
        se=se,
        ci_low=lo,
        ci_high=hi,
        p_value=pval,
        df=float(p.n_clusters - 1),
        significant=bool(pval < 1.0 - level),
        inference_reliable=True,
        reason=None,
        **base,
    )
