"""Likert scales: reverse coding, the motivation index, Cronbach's alpha and its Feldt interval.

Cronbach (1951) for alpha; Feldt (1965) and Feldt, Woodruff & Salih (1987) for the F-based interval.
Alpha is computed from an item matrix (rows = respondents, columns = items) with listwise deletion,
or — for one row per scale x wave x country aggregated in DuckDB — from the sum of the item variances
and the variance of the total score.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._common import FloatArray, as_float, check_level, scalar_or_array

__all__ = [
    "ALPHA_WARNING",
    "cronbach_alpha",
    "cronbach_alpha_from_variances",
    "feldt_ci",
    "motivation_index",
    "reverse_code",
    "scale_reliability",
]

#: Alpha below this value gets a low-reliability warning (docs/METHODS.md, "Scales").
ALPHA_WARNING = 0.7


def _item_matrix(items: Any) -> FloatArray:
    x = as_float(items.to_numpy(dtype=float) if isinstance(items, pd.DataFrame) else items)
    if x.ndim != 2:
        raise ValueError("items must be a 2-D matrix: rows are respondents, columns are items")
    return x


def cronbach_alpha_from_variances(
    k: npt.ArrayLike, sum_item_var: npt.ArrayLike, total_var: npt.ArrayLike
) -> float | FloatArray:
    """Alpha = k/(k − 1)·(1 − Σ var(item) / var(total)) (Cronbach 1951), vectorised over groups.

    Use the same ddof for both variances (the ratio does not depend on it). NaN where k < 2 or the
    total score has no variance.
    """
    kk, s, t = as_float(k), as_float(sum_item_var), as_float(total_var)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = np.where((kk >= 2) & (t > 0), kk / (kk - 1.0) * (1.0 - s / t), np.nan)
    return scalar_or_array(alpha, k, sum_item_var, total_var)


def cronbach_alpha(items: npt.ArrayLike | pd.DataFrame) -> float:
    """Cronbach's alpha of an item matrix (rows = respondents, columns = items).

    Respondents with any missing item are dropped (listwise deletion), so every item variance and the
    total-score variance come from the same people, as in the classical definition. Reverse-code items
    first (:func:`reverse_code`). NaN with fewer than 2 complete respondents or 2 items.
    """
    x = _item_matrix(items)
    x = x[~np.isnan(x).any(axis=1)]
    n, k = x.shape
    if n < 2 or k < 2:
        return float("nan")
    item_var = x.var(axis=0, ddof=1).sum()
    total_var = x.sum(axis=1).var(ddof=1)
    return float(cronbach_alpha_from_variances(k, item_var, total_var))


def feldt_ci(
    alpha: npt.ArrayLike, n: npt.ArrayLike, k: npt.ArrayLike, level: float = 0.95
) -> tuple[float | FloatArray, float | FloatArray]:
    """Feldt (1965) interval for alpha from n respondents and k items.

    [1 − (1 − α)·F(1 − a/2; n − 1, (n − 1)(k − 1)), 1 − (1 − α)·F(a/2; n − 1, (n − 1)(k − 1))],
    a = 1 − level (docs/METHODS.md; worked check α = 0.80, n = 200, k = 6 -> [0.754, 0.840]).
    """
    check_level(level)
    a, nn, kk = as_float(alpha), as_float(n), as_float(k)
    df1 = nn - 1.0
    df2 = (nn - 1.0) * (kk - 1.0)
    tail = (1.0 - level) / 2.0
    valid = (df1 > 0) & (df2 > 0)
    from scipy import stats  # imported when used (about 1 s)

    with np.errstate(invalid="ignore"):
        f_hi = stats.f.ppf(1.0 - tail, np.where(valid, df1, np.nan), np.where(valid, df2, np.nan))
        f_lo = stats.f.ppf(tail, np.where(valid, df1, np.nan), np.where(valid, df2, np.nan))
    low = 1.0 - (1.0 - a) * f_hi
    high = 1.0 - (1.0 - a) * f_lo
    return scalar_or_array(low, alpha, n, k), scalar_or_array(high, alpha, n, k)


def scale_reliability(items: npt.ArrayLike | pd.DataFrame, level: float = 0.95) -> dict[str, Any]:
    """Alpha of one item matrix with its Feldt interval and the under-0.7 warning.

    Keys: alpha, alpha_ci_low, alpha_ci_high, n (complete respondents), k (items), low_reliability
    (True when alpha < 0.7 or cannot be computed).
    """
    x = _item_matrix(items)
    n = int((~np.isnan(x).any(axis=1)).sum())
    k = int(x.shape[1])
    alpha = cronbach_alpha(x)
    low, high = feldt_ci(alpha, n, k, level)
    return {
        "alpha": alpha,
        "alpha_ci_low": float(low),
        "alpha_ci_high": float(high),
        "n": n,
        "k": k,
        "low_reliability": bool(alpha < ALPHA_WARNING) if not np.isnan(alpha) else True,
    }


def reverse_code(x: npt.ArrayLike | pd.Series | pd.DataFrame, min_value: float, max_value: float) -> Any:
    """Reverse a Likert response: min + max − x (on a 1–5 scale, 1 <-> 5, 2 <-> 4). NaN stays NaN.

    pandas objects keep their index and columns.
    """
    if isinstance(x, (pd.Series, pd.DataFrame)):
        return (min_value + max_value) - x.astype(float)
    return scalar_or_array(min_value + max_value - as_float(x), x)


def motivation_index(
    items: pd.DataFrame | npt.ArrayLike,
    reverse: Sequence[Any] | None = None,
    min_value: float | None = None,
    max_value: float | None = None,
    min_items: int | None = None,
) -> pd.Series | FloatArray:
    """Motivation index = mean of a respondent's Likert items, after reverse-coding flagged items.

    ``reverse`` names the reverse-coded items (column labels for a DataFrame, column positions for an
    array; from the indicator catalogue) and then needs ``min_value``/``max_value`` of the scale.
    The mean is over the answered items; a respondent with fewer than ``min_items`` answered items
    (default: all items) gets NaN. Returns a Series aligned on the DataFrame's index, else an array.
    """
    frame = items if isinstance(items, pd.DataFrame) else pd.DataFrame(_item_matrix(items))
    frame = frame.astype(float)
    if reverse:
        if min_value is None or max_value is None:
            raise ValueError("reverse-coded items need min_value and max_value of the scale")
        cols = list(reverse)
        frame[cols] = reverse_code(frame[cols], min_value, max_value)
    k = frame.shape[1]
    need = k if min_items is None else int(min_items)
    answered = frame.notna().sum(axis=1)
    index = frame.mean(axis=1, skipna=True).where(answered >= max(need, 1))
    if isinstance(items, pd.DataFrame):
        return index
    return index.to_numpy(dtype=float)
