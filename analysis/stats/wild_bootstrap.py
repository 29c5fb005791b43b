"""Wild cluster bootstrap-t on arrays: random draws, or every weight vector when there are no more of them.

Restricted wild cluster bootstrap (WCR) of Cameron, Gelbach & Miller (2008) with Rademacher weights, or
Webb's (2014) six-point weights under 12 clusters; full enumeration of the distinct weight vectors when
there are no more than the replications asked for (as Stata's ``boottest`` and R's ``fwildclusterboot``
do; Roodman et al. 2019). No p-value, with a reason, for missing values, 3 or fewer clusters on a side, or
an undefined observed statistic (docs/METHODS.md: never a confident p). ``analysis.stats.did`` runs it for
the DiD interaction.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._common import FloatArray

__all__ = [
    "DEFAULT_SEED",
    "MIN_CLUSTERS_FOR_INFERENCE",
    "WEBB_BELOW",
    "WildBootstrapResult",
    "bootstrap_weights",
    "enumerated_weights",
    "no_variation",
    "wild_cluster_bootstrap",
]

#: Reliable inference needs more than this many clusters on each side (docs/METHODS.md).
MIN_CLUSTERS_FOR_INFERENCE = 3
#: Use Webb's six-point weights when there are fewer clusters than this in total.
WEBB_BELOW = 12
#: Default seed of the wild bootstrap, so that results are reproducible.
DEFAULT_SEED = 20240601

_WEBB_VALUES = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)], dtype=float)

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
    within a relative 1e-9 count as extreme, so rounding never decides a tie). With random draws, a p below
    1/(B + 1) is reported as that bound, never as 0.
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
    if no_variation(yy, resid):
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
    # the bootstrap scores s = alpha·v - D·cv (G x b) are never formed: their sum of squares per draw is
    # (alpha²)·v² - 2·cv'(E v) + cv'(D'D)cv with E = (alpha·D)' (k x G), so a block costs three (k x G)(G x b)
    # products instead of four passes over G x b arrays (4-5 times faster at G = 360; the same counts)
    e_mat = (alpha[:, None] * dmat).T
    dtd = dmat.T @ dmat
    alpha2 = alpha**2

    def extreme_in(v: FloatArray) -> int:  # v: (G, b)
        cv = cmat @ v  # (k, b): beta* - beta_r
        squares = alpha2 @ (v * v) - 2.0 * np.sum(cv * (e_mat @ v), axis=0) + np.sum(cv * (dtd @ cv), axis=0)
        se_b = np.sqrt(c * np.maximum(squares, 0.0))
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
    # a Monte Carlo p of 0 only says p < 1/(B + 1): report that bound, never 0 (shown "< 0.0001" at B = 9,999)
    return WildBootstrapResult(
        p_value=max(extreme / reps, 1.0 / (reps + 1)),
        t_stat=float(t_obs),
        reps=reps,
        weight_type=kind,
        n_clusters=n_clusters,
        seed=seed,
    )


def no_variation(y: FloatArray, resid: FloatArray) -> bool:
    """True when the fitted model leaves no residual variation (an outcome constant within every cell,
    0 everywhere included): the cluster-robust variance is then 0 up to rounding, and any t, p or
    interval would come from rounding noise, not from the data."""
    scale = float(np.max(np.abs(y))) if y.size else 0.0
    return bool(np.max(np.abs(resid), initial=0.0) <= 1e-9 * scale)
