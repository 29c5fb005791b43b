"""Intervals for proportions and for differences of proportions.

Wilson score interval (Wilson 1927; Newcombe 1998, method 3) as implemented by
``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``, and Newcombe's hybrid-score interval
for a difference of two independent proportions (Newcombe 1998, method 10). Vectorised over arrays.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._common import FloatArray, as_float, scalar_or_array, z_crit

__all__ = ["proportion_diff", "wilson_ci"]


def wilson_ci(k: npt.ArrayLike, n: npt.ArrayLike, level: float = 0.95) -> tuple[float | FloatArray, float | FloatArray]:
    """Wilson score interval for k successes out of n (no continuity correction).

    Same formula and edge handling as scipy's ``proportion_ci(method="wilson")``: the lower bound is
    exactly 0 when k = 0 and the upper bound exactly 1 when k = n (83/100 -> [0.7445, 0.8911]).
    NaN where n = 0.
    """
    kk, nn = np.broadcast_arrays(as_float(k), as_float(n))
    if np.any((kk < 0) | (kk > nn)):
        raise ValueError("k must lie between 0 and n")
    z = z_crit(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = kk / nn
        q = 1.0 - p
        denom = 2.0 * (nn + z**2)
        center = (2.0 * nn * p + z**2) / denom
        delta = z / denom * np.sqrt(4.0 * nn * p * q + z**2)
    lo = np.where(kk == 0, 0.0, center - delta)
    hi = np.where(kk == nn, 1.0, center + delta)
    bad = ~(nn > 0)
    lo = np.where(bad, np.nan, lo)
    hi = np.where(bad, np.nan, hi)
    return scalar_or_array(lo, k, n), scalar_or_array(hi, k, n)


def proportion_diff(
    k1: npt.ArrayLike,
    n1: npt.ArrayLike,
    k2: npt.ArrayLike,
    n2: npt.ArrayLike,
    level: float = 0.95,
) -> pd.DataFrame:
    """Difference p1 − p2 in percentage points with Newcombe's hybrid Wilson interval.

    Newcombe (1998, method 10): with Wilson limits (l1, u1), (l2, u2),
    low = d − sqrt[(p1 − l1)² + (u2 − p2)²], high = d + sqrt[(u1 − p1)² + (p2 − l2)²].
    Matches ``statsmodels.stats.proportion.confint_proportions_2indep(method="newcomb")``.
    Columns, in percent or percentage points (×100): pct1, pct2, diff_pp, diff_ci_low,
    diff_ci_high; one row per element.
    """
    a1, b1, a2, b2 = (np.atleast_1d(as_float(v)) for v in (k1, n1, k2, n2))
    a1, b1, a2, b2 = np.broadcast_arrays(a1, b1, a2, b2)
    l1, u1 = wilson_ci(a1, b1, level)
    l2, u2 = wilson_ci(a2, b2, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = a1 / b1
        p2 = a2 / b2
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return pd.DataFrame(
        {
            "pct1": 100.0 * p1,
            "pct2": 100.0 * p2,
            "diff_pp": 100.0 * d,
            "diff_ci_low": 100.0 * low,
            "diff_ci_high": 100.0 * high,
        }
    )
