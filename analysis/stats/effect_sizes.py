"""Standardised effect sizes, their variances and plain-language translations.

Sources: What Works Clearinghouse Procedures and Standards Handbook v4.1/v5.0 (Hedges' g, Cox index,
improvement index); Hedges (2007) for the cluster design effect; Becker (1988) and Morris & DeShon
(2002) for the variance of a pre/post g with linked students; Education Endowment Foundation Toolkit
for months of additional progress. Every function is vectorised over NumPy arrays (one element per
group) and returns a Python ``float`` when all of its inputs are scalars.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special

from ._common import FloatArray, as_float, scalar_or_array, z_crit

__all__ = [
    "COX_SCALE",
    "EEF_LABELS",
    "cluster_adjusted_var",
    "cox_index",
    "design_effect",
    "eef_label",
    "eef_months",
    "hedges_g",
    "hedges_g_var",
    "improvement_index",
    "independent_effect_sizes",
    "normal_ci",
    "pooled_sd",
    "prepost_g",
    "prepost_g_var",
    "small_sample_correction",
]

#: Divisor of ln(odds ratio) in the Cox index (WWC Handbook v4.1, appendix E).
COX_SCALE = 1.65

#: Stable codes of the EEF verbal labels, indexed by months 0..12.
EEF_LABELS: tuple[str, ...] = ("none",) + ("low",) * 2 + ("moderate",) * 3 + ("high",) * 3 + ("very_high",) * 4

# Upper bounds (in hundredths of g, inclusive) of months 0..11 in the EEF Toolkit table; >= 0.96 is 12.
_EEF_UPPER = np.array([1, 9, 18, 26, 35, 44, 52, 61, 69, 78, 87, 95])


def small_sample_correction(n_total: npt.ArrayLike) -> float | FloatArray:
    """Hedges' small-sample factor ω = 1 − 3/(4N − 9) (WWC Handbook v4.1, E.1).

    ``n_total`` is N: n1 + n2 for independent groups, the observations in both waves for pre/post.
    NaN where N <= 3: at N = 3 the factor is exactly 0 (it would turn any difference into g = 0, a
    confident "no effect"), and below it is negative or undefined.
    """
    n = as_float(n_total)
    with np.errstate(divide="ignore", invalid="ignore"):
        omega = np.where(n > 3, 1.0 - 3.0 / (4.0 * n - 9.0), np.nan)
    return scalar_or_array(omega, n_total)


def pooled_sd(n1: npt.ArrayLike, n2: npt.ArrayLike, sd1: npt.ArrayLike, sd2: npt.ArrayLike) -> float | FloatArray:
    """Pooled SD sqrt{[(n1−1)s1² + (n2−1)s2²] / (n1 + n2 − 2)} (WWC Handbook v4.1, E.1).

    NaN when fewer than 3 observations in total.
    """
    a1, a2, s1, s2 = (as_float(v) for v in (n1, n2, sd1, sd2))
    dof = a1 + a2 - 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(dof >= 1, np.sqrt(((a1 - 1.0) * s1**2 + (a2 - 1.0) * s2**2) / dof), np.nan)
    return scalar_or_array(out, n1, n2, sd1, sd2)


def hedges_g(
    n1: npt.ArrayLike,
    n2: npt.ArrayLike,
    mean1: npt.ArrayLike,
    mean2: npt.ArrayLike,
    sd1: npt.ArrayLike,
    sd2: npt.ArrayLike,
) -> float | FloatArray:
    """Hedges' g for independent groups, g = ω·(mean1 − mean2)/pooled SD, ω with N = n1 + n2.

    Group 1 is the programme (or post) group, so a positive g favours it. WWC Handbook v4.1, E.1;
    worked check (5, 6, 7) vs (4, 5, 6) gives d = 1, ω = 0.8, g = 0.8. NaN when the pooled SD is 0
    or undefined.
    """
    sd = as_float(pooled_sd(n1, n2, sd1, sd2))
    omega = as_float(small_sample_correction(as_float(n1) + as_float(n2)))
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(sd > 0, omega * (as_float(mean1) - as_float(mean2)) / sd, np.nan)
    return scalar_or_array(g, n1, n2, mean1, mean2, sd1, sd2)


def hedges_g_var(g: npt.ArrayLike, n1: npt.ArrayLike, n2: npt.ArrayLike) -> float | FloatArray:
    """Sampling variance of g for independent groups, (n1+n2)/(n1·n2) + g²/(2(n1+n2)).

    WWC Handbook v4.1, E.1 (Hedges & Olkin 1985). Ignores clustering: see :func:`cluster_adjusted_var`.
    """
    gg, a1, a2 = as_float(g), as_float(n1), as_float(n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = (a1 + a2) / (a1 * a2) + gg**2 / (2.0 * (a1 + a2))
    return scalar_or_array(var, g, n1, n2)


def prepost_g(
    n_pre: npt.ArrayLike,
    n_post: npt.ArrayLike,
    mean_pre: npt.ArrayLike,
    mean_post: npt.ArrayLike,
    sd_pre: npt.ArrayLike,
    sd_post: npt.ArrayLike,
) -> float | FloatArray:
    """Pre/post g = ω·(mean_post − mean_pre)/SD pooled over the two waves (docs/METHODS.md).

    Standardising by the SD pooled over waves, not the SD of the differences, keeps the effect on the
    same scale as an independent-groups g (Morris & DeShon 2002, "raw-score metric"). ω uses
    N = n_pre + n_post, the observations in the two waves; for linked students pass n for both.
    """
    return hedges_g(n_post, n_pre, mean_post, mean_pre, sd_post, sd_pre)


def prepost_g_var(g: npt.ArrayLike, n: npt.ArrayLike, r: npt.ArrayLike) -> float | FloatArray:
    """Variance of a pre/post g for n linked students, 2(1 − r)/n + g²/(2n).

    r is the pre/post correlation (Becker 1988; Morris & DeShon 2002, table 2, raw-score metric).
    """
    gg, nn, rr = as_float(g), as_float(n), as_float(r)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = 2.0 * (1.0 - rr) / nn + gg**2 / (2.0 * nn)
    return scalar_or_array(var, g, n, r)


def design_effect(cluster_size: npt.ArrayLike, icc: npt.ArrayLike) -> float | FloatArray:
    """Design effect 1 + (m − 1)ρ, m = average cluster size, ρ = intraclass correlation (Hedges 2007)."""
    m, rho = as_float(cluster_size), as_float(icc)
    return scalar_or_array(1.0 + (m - 1.0) * rho, cluster_size, icc)


def cluster_adjusted_var(var: npt.ArrayLike, cluster_size: npt.ArrayLike, icc: npt.ArrayLike) -> float | FloatArray:
    """Inflate a student-level sampling variance by the design effect 1 + (m − 1)ρ (Hedges 2007).

    Required whenever schools carry the programme: an interval that ignores clustering is too narrow.
    """
    out = as_float(var) * as_float(design_effect(cluster_size, icc))
    return scalar_or_array(out, var, cluster_size, icc)


def normal_ci(
    estimate: npt.ArrayLike, se: npt.ArrayLike, level: float = 0.95
) -> tuple[float | FloatArray, float | FloatArray]:
    """Normal-theory interval estimate ± z·se (the WWC convention for effect sizes)."""
    z = z_crit(level)
    est, s = as_float(estimate), as_float(se)
    return scalar_or_array(est - z * s, estimate, se), scalar_or_array(est + z * s, estimate, se)


def improvement_index(g: npt.ArrayLike) -> float | FloatArray:
    """WWC improvement index 100·Φ(g) − 50, in percentile points (g = 0.25 gives 9.87).

    Only meaningful for standardised effects, never for differences in percentage points.
    """
    out = 100.0 * special.ndtr(as_float(g)) - 50.0
    return scalar_or_array(out, g)


def eef_months(g: npt.ArrayLike) -> float | FloatArray:
    """EEF Toolkit months of additional progress for an effect size g ("EEF-equivalent").

    |g| is rounded to two decimals first, half away from zero on the decimal value (0.185 -> 0.19,
    with a 1e-9 tolerance for binary floating point), then looked up: ≤ 0.01 -> 0, 0.02–0.09 -> 1,
    0.10–0.18 -> 2, …, 0.88–0.95 -> 11, ≥ 0.96 -> 12. Negative effects mirror the table; NaN stays
    NaN. Calibrated on UK school years: always show it beside the raw g.
    """
    gg = as_float(g)
    hundredths = np.floor(np.abs(gg) * 100.0 + 0.5 + 1e-9)
    months = np.searchsorted(_EEF_UPPER, np.nan_to_num(hundredths), side="left").astype(float)
    out = np.where(np.isnan(gg), np.nan, np.sign(gg) * months + 0.0)
    return scalar_or_array(out, g)


def eef_label(months: npt.ArrayLike) -> str | npt.NDArray[np.object_] | None:
    """Stable code of the EEF verbal label for months of progress (magnitude; sign is not labelled).

    0 -> 'none' (very low or none), 1–2 -> 'low', 3–5 -> 'moderate', 6–8 -> 'high',
    9–12 -> 'very_high'; NaN -> None. The UI translates the codes.
    """
    m = as_float(months)
    flat = np.abs(np.atleast_1d(m))
    out = np.empty(flat.shape, dtype=object)
    ok = ~np.isnan(flat)
    idx = np.clip(np.rint(flat[ok]), 0, 12).astype(int)
    out[ok] = np.asarray(EEF_LABELS, dtype=object)[idx]
    out[~ok] = None
    if np.ndim(months) == 0:
        return out[0]
    return out.reshape(m.shape)


def independent_effect_sizes(
    n1: npt.ArrayLike,
    n2: npt.ArrayLike,
    mean1: npt.ArrayLike,
    mean2: npt.ArrayLike,
    sd1: npt.ArrayLike,
    sd2: npt.ArrayLike,
    *,
    cluster_size: npt.ArrayLike | None = None,
    icc: npt.ArrayLike | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Table of Hedges' g for independent groups with its (optionally cluster-inflated) interval.

    When ``cluster_size`` (average students per school) and ``icc`` are given, the variance is
    multiplied by the design effect 1 + (m − 1)ρ (Hedges 2007), as required when schools carry the
    programme. Columns: effect_size, es_var, es_se, es_ci_low, es_ci_high, design_effect,
    improvement_index, eef_months, eef_label — one row per element of the inputs.
    """
    g = np.atleast_1d(as_float(hedges_g(n1, n2, mean1, mean2, sd1, sd2)))
    var = np.atleast_1d(as_float(hedges_g_var(g, n1, n2)))
    if (cluster_size is None) != (icc is None):
        raise ValueError("give both cluster_size and icc, or neither")
    deff = (
        np.ones_like(var)
        if cluster_size is None
        else np.broadcast_to(as_float(design_effect(cluster_size, icc)), var.shape)
    )
    var = var * deff
    se = np.sqrt(var)
    low, high = normal_ci(g, se, level)
    months = as_float(eef_months(g))
    return pd.DataFrame(
        {
            "effect_size": g,
            "es_var": var,
            "es_se": se,
            "es_ci_low": low,
            "es_ci_high": high,
            "design_effect": np.asarray(deff, dtype=float),
            "improvement_index": improvement_index(g),
            "eef_months": months,
            "eef_label": eef_label(months),
        }
    )


def cox_index(
    events1: npt.ArrayLike,
    n1: npt.ArrayLike,
    events2: npt.ArrayLike,
    n2: npt.ArrayLike,
    level: float = 0.95,
) -> pd.DataFrame:
    """Cox index ln(OR)/1.65 for a binary outcome (group 1 vs group 2) with its variance.

    WWC Handbook v4.1 (appendix E): d_Cox = ln[p1(1−p2) / (p2(1−p1))]/1.65, variance
    (1/a + 1/b + 1/c + 1/d)/1.65² from the 2x2 counts (Woolf). As docs/METHODS.md requires, no
    small-sample correction is applied. When a group's proportion is 0 or 1 the index is undefined:
    the row gets NaN (never ±inf) and a ``reason`` code; ``reason`` is missing when defined.

    Columns: p1, p2, cox_index, cox_var, cox_se, cox_ci_low, cox_ci_high, reason
    (reason codes: 'missing_counts', 'empty_group', 'proportion_zero_or_one').
    """
    e1, a1, e2, a2 = (np.atleast_1d(as_float(v)) for v in (events1, n1, events2, n2))
    e1, a1, e2, a2 = np.broadcast_arrays(e1, a1, e2, a2)
    if np.any((e1 < 0) | (e2 < 0) | (e1 > a1) | (e2 > a2)):
        raise ValueError("events must lie between 0 and n")
    cells = np.stack([e1, a1 - e1, e2, a2 - e2])
    missing = np.isnan(cells).any(axis=0)
    empty = ~missing & ((a1 <= 0) | (a2 <= 0))
    degenerate = ~missing & ~empty & np.any(cells == 0, axis=0)
    ok = ~missing & ~empty & ~degenerate
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = np.where(a1 > 0, e1 / a1, np.nan)
        p2 = np.where(a2 > 0, e2 / a2, np.nan)
        log_or = np.log(cells[0]) - np.log(cells[1]) - np.log(cells[2]) + np.log(cells[3])
        var_log_or = np.sum(1.0 / cells, axis=0)
    cox = np.where(ok, log_or / COX_SCALE, np.nan)
    var = np.where(ok, var_log_or / COX_SCALE**2, np.nan)
    se = np.sqrt(var)
    low, high = normal_ci(cox, se, level)
    reason = np.full(cox.shape, None, dtype=object)
    reason[missing] = "missing_counts"
    reason[empty] = "empty_group"
    reason[degenerate] = "proportion_zero_or_one"
    return pd.DataFrame(
        {
            "p1": p1,
            "p2": p2,
            "cox_index": cox,
            "cox_var": var,
            "cox_se": se,
            "cox_ci_low": low,
            "cox_ci_high": high,
            "reason": reason,
        }
    )
