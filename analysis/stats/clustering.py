"""Clustering: the WWC correction of a student-level t, the one-way ANOVA ICC and cluster-robust (CR1)
standard errors of means from per-cluster moments.

WWC Procedures Handbook v4.1 (appendix E, "clustering correction"; Hedges 2007) for the corrected t
and its degrees of freedom; Shrout & Fleiss (1979) ICC(1) with the unequal-size n0 of
Snedecor & Cochran (1989) for the intraclass correlation; Cameron & Miller (2015, "A Practitioner's
Guide to Cluster-Robust Inference", CR1 and the T(G − 1) reference with few clusters) for the
cluster-robust standard errors.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._common import FloatArray, as_float, scalar_or_array, t_sf

__all__ = [
    "ICC_ACHIEVEMENT",
    "ICC_OTHER",
    "cr1_diff_se_by_group",
    "cr1_mean_se_by_group",
    "icc_design_effect_by_group",
    "icc_from_summary",
    "icc_oneway",
    "t_from_g",
    "wwc_cluster_correction",
]

#: WWC default intraclass correlation for achievement outcomes (editable by the user).
ICC_ACHIEVEMENT = 0.20
#: WWC default intraclass correlation for other outcomes (motivation, retention…).
ICC_OTHER = 0.10


def t_from_g(g: npt.ArrayLike, n1: npt.ArrayLike, n2: npt.ArrayLike) -> float | FloatArray:
    """Student-level t implied by an effect size, t = g·sqrt(n1·n2/(n1 + n2)) (WWC Handbook v4.1, E.4)."""
    a1, a2 = as_float(n1), as_float(n2)
    out = as_float(g) * np.sqrt(a1 * a2 / (a1 + a2))
    return scalar_or_array(out, g, n1, n2)


def wwc_cluster_correction(
    t: npt.ArrayLike,
    n_total: npt.ArrayLike,
    cluster_size: npt.ArrayLike,
    icc: npt.ArrayLike,
) -> pd.DataFrame:
    """Correct a student-level two-group t for clustering (WWC Handbook v4.1; Hedges 2007).

    t_A = t·sqrt{[(N − 2) − 2(m − 1)ρ] / [(N − 2)(1 + (m − 1)ρ)]},
    h = [(N − 2) − 2(m − 1)ρ]² / [(N − 2)(1 − ρ)² + m(N − 2m)ρ² + 2(N − 2m)ρ(1 − ρ)],
    N students in total, m average students per cluster, ρ the ICC. For two-arm comparisons only,
    not single-arm pre/post. Worked check (docs/METHODS.md): t = 3.0, N = 400, m = 20, ρ = 0.20 ->
    naive p = 0.0029; t_A = 1.356, h = 231.7, corrected p = 0.176. NaN where the correction is
    undefined ((N − 2) − 2(m − 1)ρ ≤ 0).

    Columns: t, df, p_value (naive, df = N − 2), t_adjusted, df_adjusted, p_value_adjusted —
    show naive and corrected side by side.
    """
    tt, n, m, rho = (np.atleast_1d(as_float(v)) for v in (t, n_total, cluster_size, icc))
    tt, n, m, rho = np.broadcast_arrays(tt, n, m, rho)
    n2 = n - 2.0
    num = n2 - 2.0 * (m - 1.0) * rho
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = num / (n2 * (1.0 + (m - 1.0) * rho))
        t_adj = np.where(num > 0, tt * np.sqrt(ratio), np.nan)
        h_den = n2 * (1.0 - rho) ** 2 + m * (n - 2.0 * m) * rho**2 + 2.0 * (n - 2.0 * m) * rho * (1.0 - rho)
        h = np.where((num > 0) & (h_den > 0), num**2 / h_den, np.nan)
        df_naive = np.where(n2 > 0, n2, np.nan)
        p_naive = 2.0 * t_sf(np.abs(tt), df_naive)
        p_adj = 2.0 * t_sf(np.abs(t_adj), h)
    return pd.DataFrame(
        {
            "t": tt,
            "df": df_naive,
            "p_value": p_naive,
            "t_adjusted": t_adj,
            "df_adjusted": h,
            "p_value_adjusted": p_adj,
        }
    )


def icc_from_summary(n_j: npt.ArrayLike, mean_j: npt.ArrayLike, var_j: npt.ArrayLike) -> float:
    """ICC(1) from per-cluster sizes, means and variances (ddof = 1), e.g. aggregated in DuckDB.

    One-way ANOVA estimator (Shrout & Fleiss 1979): ρ = (MSB − MSW) / (MSB + (n0 − 1)·MSW) with
    n0 = [N − Σ n_j²/N] / (J − 1) for unequal cluster sizes; clipped at 0 (a negative estimate means
    no detectable clustering). Clusters with n_j < 1 are ignored; a cluster of 1 adds no
    within-cluster information (its variance may be NaN). NaN with fewer than 2 clusters or no
    within-cluster degrees of freedom.
    """
    n = as_float(n_j).ravel()
    mu = as_float(mean_j).ravel()
    v = np.nan_to_num(as_float(var_j).ravel(), nan=0.0)
    keep = n >= 1
    n, mu, v = n[keep], mu[keep], v[keep]
    j = n.size
    big_n = n.sum()
    if j < 2 or big_n - j < 1:
        return float("nan")
    grand = np.sum(n * mu) / big_n
    msb = np.sum(n * (mu - grand) ** 2) / (j - 1)
    msw = np.sum((n - 1.0) * v) / (big_n - j)
    n0 = (big_n - np.sum(n**2) / big_n) / (j - 1)
    denom = msb + (n0 - 1.0) * msw
    if not denom > 0:
        return float("nan")
    return float(max((msb - msw) / denom, 0.0))


def icc_design_effect_by_group(
    codes: npt.ArrayLike,
    n_groups: int,
    n_j: npt.ArrayLike,
    mean_j: npt.ArrayLike,
    var_j: npt.ArrayLike,
) -> tuple[FloatArray, FloatArray]:
    """ICC(1) and design effect of many groups at once, from their clusters' sizes, means and variances.

    ``codes`` gives each cluster's group (0 .. n_groups − 1). Per group, the same estimator as
    :func:`icc_from_summary` over that group's clusters, and the design effect 1 + (m − 1)ρ with m the
    size-weighted mean cluster size Σn²/Σn (Hedges 2007). A group with fewer than two clusters, or
    whose ICC is undefined, gets ICC NaN and design effect 1. Vectorised: one pass of ``np.bincount``
    instead of a Python loop per group (40,000 schools take milliseconds).
    """
    g = np.asarray(codes, dtype=np.int64).ravel()
    n = as_float(n_j).ravel()
    mu = as_float(mean_j).ravel()
    v = np.nan_to_num(as_float(var_j).ravel(), nan=0.0)
    keep = n >= 1
    g, n, mu, v = g[keep], n[keep], mu[keep], v[keep]

    def total(x: np.ndarray) -> FloatArray:
        return np.bincount(g, weights=x, minlength=n_groups).astype(float)

    j = np.bincount(g, minlength=n_groups).astype(float)
    big_n = total(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        grand = total(n * mu) / big_n
        msb = total(n * (mu - grand[g]) ** 2) / (j - 1.0)
        msw = total((n - 1.0) * v) / (big_n - j)
        n0 = (big_n - total(n**2) / big_n) / (j - 1.0)
        denom = msb + (n0 - 1.0) * msw
        rho = np.where((j >= 2) & (big_n - j >= 1) & (denom > 0), np.maximum((msb - msw) / denom, 0.0), np.nan)
        m = total(n**2) / big_n
    deff = np.where(np.isfinite(rho), 1.0 + (m - 1.0) * rho, 1.0)
    return rho, deff


def icc_oneway(values: npt.ArrayLike, groups: npt.ArrayLike) -> float:
    """ICC(1) of raw values nested in groups (students in schools), estimated by one-way ANOVA.

    Unequal group sizes use the n0 adjustment; the estimate is clipped at 0; missing values are
    dropped. Use it to estimate ρ for :func:`wwc_cluster_correction` and the design effect when students
    are nested in schools, with :data:`ICC_ACHIEVEMENT` / :data:`ICC_OTHER` as fallbacks.
    """
    y = as_float(values).ravel()
    g = pd.Series(np.asarray(groups).ravel())
    keep = ~np.isnan(y) & g.notna().to_numpy()
    codes, _ = pd.factorize(g[keep])
    y = y[keep]
    if y.size == 0:
        return float("nan")
    n = np.bincount(codes).astype(float)
    s1 = np.bincount(codes, weights=y)
    mean = s1 / n
    ss = np.bincount(codes, weights=(y - mean[codes]) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.where(n > 1, ss / (n - 1.0), np.nan)
    return icc_from_summary(n, mean, var)


def cr1_mean_se_by_group(
    codes: npt.ArrayLike, n_groups: int, n_j: npt.ArrayLike, mean_j: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Cluster-robust (CR1) standard error of each group's mean, and its number of clusters G.

    From the clusters' sizes ``n_j`` and means ``mean_j`` (``codes``: each cluster's group): V = G/(G − 1) ·
    Σ_j (n_j (ȳ_j − ȳ))² / n², with ȳ the size-weighted mean and n = Σ n_j (Cameron & Miller 2015); with
    t on G − 1 degrees of freedom this is ``statsmodels`` ``OLS(y, ones).fit(cov_type="cluster")``.
    Clusters with n_j = 0 are not counted; SE NaN where G < 2. Vectorised with ``np.bincount``.
    """
    g = np.asarray(codes, dtype=np.int64).ravel()
    n = np.nan_to_num(as_float(n_j).ravel())
    keep = n > 0
    g, n, mu = g[keep], n[keep], as_float(mean_j).ravel()[keep]
    big_g = np.bincount(g, minlength=n_groups).astype(float)
    big_n = np.bincount(g, weights=n, minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        grand = np.bincount(g, weights=n * mu, minlength=n_groups) / big_n
        scores = np.bincount(g, weights=(n * (mu - grand[g])) ** 2, minlength=n_groups)
        var = big_g / (big_g - 1.0) * scores / big_n**2
    return np.where(big_g >= 2, np.sqrt(var), np.nan), big_g


def cr1_diff_se_by_group(
    codes: npt.ArrayLike,
    n_groups: int,
    n1_j: npt.ArrayLike,
    mean1_j: npt.ArrayLike,
    n2_j: npt.ArrayLike,
    mean2_j: npt.ArrayLike,
) -> tuple[FloatArray, FloatArray]:
    """Cluster-robust (CR1) standard error of each group's difference of two means ȳ1 − ȳ2, and its G.

    Per cluster the sizes and means of both samples (a cluster may hold observations of one or both). The
    score of cluster j is u_j = n1_j (ȳ1_j − ȳ1)/n1 − n2_j (ȳ2_j − ȳ2)/n2 and V = G/(G − 1) · (N − 1)/(N − 2)
    · Σ u_j², N = n1 + n2: exactly ``statsmodels`` ``OLS(y, [1, sample1]).fit(cov_type="cluster")`` (CR1,
    Cameron & Miller 2015); t on G − 1 degrees of freedom. G counts clusters with any observation; SE NaN
    where G < 2 or a sample is empty.
    """
    g = np.asarray(codes, dtype=np.int64).ravel()
    a = np.nan_to_num(as_float(n1_j).ravel())
    b = np.nan_to_num(as_float(n2_j).ravel())
    keep = (a > 0) | (b > 0)
    g, a, b = g[keep], a[keep], b[keep]
    m1 = np.nan_to_num(as_float(mean1_j).ravel()[keep])
    m2 = np.nan_to_num(as_float(mean2_j).ravel()[keep])
    big_g = np.bincount(g, minlength=n_groups).astype(float)
    n1 = np.bincount(g, weights=a, minlength=n_groups)
    n2 = np.bincount(g, weights=b, minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        g1 = np.bincount(g, weights=a * m1, minlength=n_groups) / n1
        g2 = np.bincount(g, weights=b * m2, minlength=n_groups) / n2
        u = a * (m1 - g1[g]) / n1[g] - b * (m2 - g2[g]) / n2[g]
        big_n = n1 + n2
        var = big_g / (big_g - 1.0) * (big_n - 1.0) / (big_n - 2.0) * np.bincount(g, weights=u**2, minlength=n_groups)
    ok = (big_g >= 2) & (n1 > 0) & (n2 > 0)
    return np.where(ok, np.sqrt(var), np.nan), big_g
