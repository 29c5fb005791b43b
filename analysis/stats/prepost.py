"""Group-level pre/post tests from sufficient statistics (one row per school, region, subgroup…).

The caller aggregates in DuckDB and passes per-group counts, means and SDs; everything here is
vectorised over groups (no Python loop per group). Paired t for linked students (Student 1908;
identical to ``scipy.stats.ttest_rel``), Welch t for unlinked cohorts or two independent groups
(Welch 1947; identical to ``scipy.stats.ttest_ind(equal_var=False)``), effect sizes as in
:mod:`analysis.stats.effect_sizes` (WWC Handbook v4.1; Becker 1988; Morris & DeShon 2002), and the
Wilcoxon signed-rank test on raw pairs as the rank check.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._common import FloatArray, as_float, check_level, t_ppf, t_sf, z_crit
from .effect_sizes import hedges_g, hedges_g_var, prepost_g_var, small_sample_correction
from .wild_bootstrap import MIN_CLUSTERS_FOR_INFERENCE

__all__ = [
    "PAIRED_COLUMNS",
    "RESULT_COLUMNS",
    "WELCH_COLUMNS",
    "few_clusters",
    "paired_from_stats",
    "prepost_table",
    "welch_from_stats",
    "wilcoxon_signed_rank",
]

#: Input columns of :func:`prepost_table` for linked students (``r`` is optional).
PAIRED_COLUMNS = (
    "n",
    "mean_diff",
    "sd_diff",
    "mean_pre",
    "sd_pre",
    "mean_post",
    "sd_post",
)
#: Input columns of :func:`prepost_table` for independent waves or groups.
WELCH_COLUMNS = ("n_pre", "mean_pre", "sd_pre", "n_post", "mean_post", "sd_post")
#: Output columns of :func:`prepost_table`, in order (after any key columns).
RESULT_COLUMNS = (
    "test",
    "n_pre",
    "n_post",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "t",
    "df",
    "p_value",
    "effect_size",
    "es_var",
    "es_ci_low",
    "es_ci_high",
)


def _t_inference(
    diff: FloatArray, se: FloatArray, df: FloatArray, level: float
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """t, p and the interval diff ± t_{df}·se; NaN where se is not positive or df not positive."""
    check_level(level)
    df = np.where(df > 0, df, np.nan)
    # no spread (every difference the same): a zero standard error is no inference, not p = 0 and a
    # zero-width interval (docs/METHODS.md, "Designs" 1)
    se = np.where(np.asarray(se) > 0, se, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = diff / se
        p = 2.0 * t_sf(np.abs(t), df)
        crit = t_ppf(0.5 + 0.5 * level, df)
    return t, p, diff - crit * se, diff + crit * se


def _es_interval(
    g: FloatArray, var: FloatArray, deff: npt.ArrayLike | None, level: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    if deff is not None:
        var = var * as_float(deff)
    z = z_crit(level)
    se = np.sqrt(var)
    return var, g - z * se, g + z * se


def few_clusters(n_clusters: npt.ArrayLike | None, shape: tuple[int, ...]) -> np.ndarray:
    """True where a group has 3 or fewer clusters (schools): a test over its students would ignore that they
    come from so few schools, and no cluster-robust one is reliable (Cameron, Gelbach & Miller 2008; the
    DiD's rule, docs/METHODS.md "Designs" 1). False everywhere when ``n_clusters`` is None (not clustered)."""
    if n_clusters is None:
        return np.zeros(shape, dtype=bool)
    k = np.broadcast_to(as_float(n_clusters), shape)
    return ~np.isnan(k) & (k <= MIN_CLUSTERS_FOR_INFERENCE)


def _clustered(se: FloatArray, df: FloatArray, cluster_se: npt.ArrayLike | None,
               n_clusters: npt.ArrayLike | None, shape: tuple[int, ...]) -> tuple[FloatArray, FloatArray]:
    """The cluster-robust standard error and G − 1 degrees of freedom where given (finite), else the inputs."""
    if cluster_se is None:
        return se, df
    if n_clusters is None:
        raise ValueError("cluster_se needs n_clusters (its G − 1 degrees of freedom)")
    cse = np.broadcast_to(as_float(cluster_se), shape)
    big_g = np.broadcast_to(as_float(n_clusters), shape)
    use = np.isfinite(cse)
    return np.where(use, cse, se), np.where(use, big_g - 1.0, df)


def _without_inference(few: np.ndarray, *columns: FloatArray) -> list[FloatArray]:
    """The columns with NaN where ``few`` (p, intervals: no inference on too few clusters)."""
    return [np.where(few, np.nan, c) for c in columns]


def _behind(p: FloatArray, se: FloatArray, df: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The standard error and degrees of freedom the p-value and interval were computed from, NaN wherever
    those are (no spread, too few clusters, n < 2): given exactly where the inference is."""
    shown = np.isfinite(p)
    return np.where(shown, se, np.nan), np.where(shown, df, np.nan)


def paired_from_stats(
    n: npt.ArrayLike,
    mean_diff: npt.ArrayLike,
    sd_diff: npt.ArrayLike,
    mean_pre: npt.ArrayLike,
    sd_pre: npt.ArrayLike,
    mean_post: npt.ArrayLike,
    sd_post: npt.ArrayLike,
    r: npt.ArrayLike | None = None,
    *,
    deff: npt.ArrayLike | None = None,
    n_clusters: npt.ArrayLike | None = None,
    cluster_se: npt.ArrayLike | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Paired t and pre/post g for n linked students per group, from sufficient statistics.

    All inputs describe the same linked students: ``mean_diff``/``sd_diff`` of the within-student
    differences post − pre, and the pre and post means/SDs (ddof = 1). ``diff`` is the mean
    difference with its paired-t interval (df = n − 1), exactly as ``scipy.stats.ttest_rel``. The
    effect size is ω·diff / SD pooled over the two waves, ω with N = 2n, and variance
    2(1 − r)/n + g²/(2n) (Becker 1988; Morris & DeShon 2002), multiplied by ``deff`` (design effect,
    Hedges 2007) when students are clustered in schools. ``r`` (pre/post correlation) is derived
    from the three SDs when not given: r = (s_pre² + s_post² − s_diff²)/(2·s_pre·s_post).

    ``n_clusters`` (schools per group, when students are clustered): where 3 or fewer, t, p and both
    intervals are NaN — no inference, the point difference and g stand (:func:`few_clusters`).
    ``cluster_se`` (with ``n_clusters``): the cluster-robust standard error of the mean difference
    (:func:`~analysis.stats.clustering.cr1_mean_se_by_group`); it replaces σ_d/√n and the t then has
    G − 1 degrees of freedom, G = ``n_clusters`` (Cameron & Miller 2015).

    Columns: test ('paired_t'), n, diff, diff_ci_low, diff_ci_high, se, t, df, p_value, effect_size,
    es_var, es_ci_low, es_ci_high, r. NaN where n < 2; ``se`` and ``df`` (those of the t behind p and the
    interval: diff_ci_low = diff − t_{df}·se) NaN wherever p is (no spread, too few clusters).
    """
    nn, md, sdd, mpre, spre, mpost, spost = (
        np.atleast_1d(as_float(v)) for v in (n, mean_diff, sd_diff, mean_pre, sd_pre, mean_post, sd_post)
    )
    nn, md, sdd, mpre, spre, mpost, spost = np.broadcast_arrays(nn, md, sdd, mpre, spre, mpost, spost)
    if r is None:
        with np.errstate(divide="ignore", invalid="ignore"):
            rr = (spre**2 + spost**2 - sdd**2) / (2.0 * spre * spost)
        rr = np.clip(rr, -1.0, 1.0)
    else:
        rr = np.broadcast_to(as_float(r), nn.shape)
    valid = nn >= 2
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(valid, sdd / np.sqrt(nn), np.nan)
    se, df = _clustered(se, nn - 1.0, cluster_se, n_clusters, nn.shape)
    # no spread of the differences: no inference even when schools' means differ by rounding only
    se = np.where(valid & (sdd > 0), se, np.where(valid, 0.0, np.nan))
    t, p, lo, hi = _t_inference(md, se, df, level)
    sd_pooled = np.sqrt((spre**2 + spost**2) / 2.0)  # pooled over waves, n_pre = n_post = n
    omega = as_float(small_sample_correction(2.0 * nn))
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(valid & (sd_pooled > 0), omega * md / sd_pooled, np.nan)
    var, es_lo, es_hi = _es_interval(g, as_float(prepost_g_var(g, nn, rr)), deff, level)
    t, p, lo, hi, es_lo, es_hi = _without_inference(few_clusters(n_clusters, nn.shape), t, p, lo, hi, es_lo, es_hi)
    se, df = _behind(p, se, df)
    return pd.DataFrame(
        {
            "test": "paired_t",
            "n": nn,
            "diff": np.where(valid, md, np.nan),
            "diff_ci_low": lo,
            "diff_ci_high": hi,
            "se": se,
            "t": t,
            "df": df,
            "p_value": p,
            "effect_size": g,
            "es_var": var,
            "es_ci_low": es_lo,
            "es_ci_high": es_hi,
            "r": rr,
        }
    )


def welch_from_stats(
    n1: npt.ArrayLike,
    mean1: npt.ArrayLike,
    sd1: npt.ArrayLike,
    n2: npt.ArrayLike,
    mean2: npt.ArrayLike,
    sd2: npt.ArrayLike,
    *,
    deff: npt.ArrayLike | None = None,
    n_clusters: npt.ArrayLike | None = None,
    cluster_se: npt.ArrayLike | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Welch t for mean1 − mean2 and Hedges' g, from per-group n, mean and SD (ddof = 1).

    Pass post (or programme) as group 1. Same t, Welch–Satterthwaite df, p and interval as
    ``scipy.stats.ttest_ind(a, b, equal_var=False)`` and its ``confidence_interval()``. The effect size
    is Hedges' g with the pooled SD (WWC Handbook v4.1), variance (n1+n2)/(n1·n2) + g²/(2(n1+n2))
    times ``deff`` when given. ``n_clusters`` (the fewest schools on a side, when students are clustered):
    where 3 or fewer, t, p and both intervals are NaN (:func:`few_clusters`). ``cluster_se`` (with
    ``n_clusters`` then the schools of both samples, G): the cluster-robust standard error of the difference
    (:func:`~analysis.stats.clustering.cr1_diff_se_by_group`) replaces Welch's, on G − 1 degrees of freedom.

    Columns: test ('welch_t'), n1, n2, diff, diff_ci_low, diff_ci_high, se, t, df, p_value,
    effect_size, es_var, es_ci_low, es_ci_high. NaN where a group has fewer than 2 observations; ``se`` and
    ``df`` (those behind p and the interval) NaN wherever p is.
    """
    a1, m1, s1, a2, m2, s2 = (np.atleast_1d(as_float(v)) for v in (n1, mean1, sd1, n2, mean2, sd2))
    a1, m1, s1, a2, m2, s2 = np.broadcast_arrays(a1, m1, s1, a2, m2, s2)
    valid = (a1 >= 2) & (a2 >= 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        v1 = s1**2 / a1
        v2 = s2**2 / a2
        se = np.where(valid, np.sqrt(v1 + v2), np.nan)
        df = (v1 + v2) ** 2 / (v1**2 / (a1 - 1.0) + v2**2 / (a2 - 1.0))
    se, df = _clustered(se, df, cluster_se, n_clusters, a1.shape)
    se = np.where(valid & ((s1 > 0) | (s2 > 0)), se, np.where(valid, 0.0, np.nan))
    df = np.where(valid, df, np.nan)
    diff = np.where(valid, m1 - m2, np.nan)
    t, p, lo, hi = _t_inference(diff, se, df, level)
    g = np.where(valid, as_float(hedges_g(a1, a2, m1, m2, s1, s2)), np.nan)
    var, es_lo, es_hi = _es_interval(g, as_float(hedges_g_var(g, a1, a2)), deff, level)
    t, p, lo, hi, es_lo, es_hi = _without_inference(few_clusters(n_clusters, a1.shape), t, p, lo, hi, es_lo, es_hi)
    se, df = _behind(p, se, df)
    return pd.DataFrame(
        {
            "test": "welch_t",
            "n1": a1,
            "n2": a2,
            "diff": diff,
            "diff_ci_low": lo,
            "diff_ci_high": hi,
            "se": se,
            "t": t,
            "df": df,
            "p_value": p,
            "effect_size": g,
            "es_var": var,
            "es_ci_low": es_lo,
            "es_ci_high": es_hi,
        }
    )


def prepost_table(
    df: pd.DataFrame,
    design: Literal["paired", "welch"] = "paired",
    *,
    level: float = 0.95,
    keys: list[str] | None = None,
) -> pd.DataFrame:
    """Pre/post results for one row per group, from a DataFrame of sufficient statistics.

    ``design="paired"`` (linked students, or units present in both windows) needs the columns
    :data:`PAIRED_COLUMNS` (n, mean_diff, sd_diff, mean_pre, sd_pre, mean_post, sd_post) and
    optionally ``r``; n_pre and n_post in the output are then both the linked n.
    ``design="welch"`` (unlinked cohorts, or unit-periods) needs :data:`WELCH_COLUMNS`
    (n_pre, mean_pre, sd_pre, n_post, mean_post, sd_post). An optional ``design_effect`` column
    inflates the effect-size variance (Hedges 2007); an optional ``n_clusters`` column (schools per group)
    withholds inference where it is 3 or fewer. ``diff`` is always post − pre.

    Returns the ``keys`` columns (default: every column that is not a statistic input) followed by
    :data:`RESULT_COLUMNS`: test, n_pre, n_post, diff, diff_ci_low, diff_ci_high, t, df, p_value,
    effect_size, es_var, es_ci_low, es_ci_high. The index is preserved.
    """
    deff = df["design_effect"].to_numpy(dtype=float) if "design_effect" in df else None
    clusters = df["n_clusters"].to_numpy(dtype=float) if "n_clusters" in df else None
    if design == "paired":
        needed: tuple[str, ...] = PAIRED_COLUMNS
        _require(df, needed)
        r = df["r"].to_numpy(dtype=float) if "r" in df else None
        res = paired_from_stats(*(df[c].to_numpy(dtype=float) for c in needed), r, deff=deff,
                                n_clusters=clusters, level=level)
        res = res.drop(columns="r").rename(columns={"n": "n_pre"})
        res.insert(2, "n_post", res["n_pre"])
        used = set(needed) | {"r", "design_effect", "n_clusters"}
    elif design == "welch":
        needed = WELCH_COLUMNS
        _require(df, needed)
        cols = ("n_post", "mean_post", "sd_post", "n_pre", "mean_pre", "sd_pre")
        res = welch_from_stats(*(df[c].to_numpy(dtype=float) for c in cols), deff=deff, n_clusters=clusters,
                               level=level)
        res = res.rename(columns={"n1": "n_post", "n2": "n_pre"})
        used = set(needed) | {"design_effect", "n_clusters"}
    else:
        raise ValueError(f"design must be 'paired' or 'welch', got {design!r}")
    res = res[list(RESULT_COLUMNS)]
    res.index = df.index
    key_cols = [c for c in df.columns if c not in used] if keys is None else list(keys)
    return pd.concat([df[key_cols], res], axis=1)


def _require(df: pd.DataFrame, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"missing columns: {', '.join(missing)}")


def wilcoxon_signed_rank(pre: npt.ArrayLike, post: npt.ArrayLike, **kwargs: Any) -> dict[str, Any]:
    """Wilcoxon signed-rank test of post − pre on raw linked pairs (Wilcoxon 1945), the rank check.

    Wraps ``scipy.stats.wilcoxon`` (defaults: zero differences dropped, exact or normal p as scipy
    chooses; pass scipy keywords through ``kwargs``). Pairs with a missing value are dropped.
    Keys: statistic, p_value, n_pairs, n_nonzero, median_diff. NaN statistic and p when no pair
    differs.
    """
    a, b = as_float(pre).ravel(), as_float(post).ravel()
    if a.shape != b.shape:
        raise ValueError("pre and post must have the same length")
    keep = ~(np.isnan(a) | np.isnan(b))
    d = b[keep] - a[keep]
    nonzero = int(np.count_nonzero(d))
    out: dict[str, Any] = {
        "statistic": float("nan"),
        "p_value": float("nan"),
        "n_pairs": int(d.size),
        "n_nonzero": nonzero,
        "median_diff": float(np.median(d)) if d.size else float("nan"),
    }
    if nonzero:
        from scipy import stats  # imported when used (about 1 s)

        res = stats.wilcoxon(d, **kwargs)
        out["statistic"] = float(res.statistic)
        out["p_value"] = float(res.pvalue)
    return out
