"""Dose and response across programme schools: a fitted line with a robust interval, and dose groups.

One row per school: ``dose`` (lab hours, training hours, months operating …) and ``change`` (the school's
outcome change between the pre and post windows). The fitted relation is ordinary least squares of change
on dose with HC2 standard errors (MacKinnon & White 1985; Bell & McCaffrey 2002 recommend HC2 for few
units) and t inference on n − 2 degrees of freedom; the band around the line is the pointwise interval of
the fitted mean under the same covariance. Dose groups (thirds by default) compare mean change by Welch's
t (Welch 1947), highest group against lowest.

An association, not an effect: unless the dose itself was assigned at random, schools that used their lab
more may differ in other ways (METHODS.md, "Dose and response").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._common import check_level, t_ppf, t_sf

__all__ = ["MIN_SCHOOLS", "DoseResponseResult", "dose_groups", "dose_response"]

#: Fewer schools than this give no inference: a line through four points says nothing reliable.
MIN_SCHOOLS = 6


@dataclass(frozen=True)
class DoseResponseResult:
    """The fitted slope (change per unit of dose) and its inference; ``reason`` says why none exists.

    ``reason`` codes: 'too_few_schools' (fewer than MIN_SCHOOLS with a dose and a change),
    'no_dose_variation' (every school has the same dose), 'no_outcome_variation' (every school changed by
    the same amount: any interval would come from rounding noise), 'exact_fit' (every school lies on the
    line: a zero-width interval would be a confident wrong number), 'high_leverage' (a school has leverage 1
    and HC2 is undefined); None otherwise. Without inference ``se``, ``ci_*`` and ``p_value`` are NaN.
    """

    slope: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    df: float
    intercept: float
    n_schools: int
    dose_min: float
    dose_max: float
    level: float
    reason: str | None
    curve: pd.DataFrame = field(repr=False, compare=False)

    @property
    def has_inference(self) -> bool:
        return self.reason is None

    def as_dict(self) -> dict[str, Any]:
        """Stable snake_case keys, without the curve (for ``pandas.DataFrame([...])``)."""
        out = asdict(self)
        out.pop("curve")
        return out


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    missing = {"dose", "change"} - set(frame.columns)
    if missing:
        raise ValueError(f"dose_response needs columns {sorted(missing)}")
    out = frame.loc[:, [c for c in frame.columns]].copy()
    out["dose"] = pd.to_numeric(out["dose"], errors="coerce")
    out["change"] = pd.to_numeric(out["change"], errors="coerce")
    return out[np.isfinite(out["dose"]) & np.isfinite(out["change"])]


def _without_inference(slope: float, intercept: float, n: int, x: np.ndarray, level: float,
                       reason: str) -> DoseResponseResult:
    nan = float("nan")
    curve = pd.DataFrame(columns=["dose", "fit", "ci_low", "ci_high"], dtype=float)
    return DoseResponseResult(slope, nan, nan, nan, nan, nan, intercept, n,
                              float(x.min()) if n else nan, float(x.max()) if n else nan, level, reason, curve)


def dose_response(frame: pd.DataFrame, level: float = 0.95, points: int = 25) -> DoseResponseResult:
    """OLS of ``change`` on ``dose`` across schools with HC2 standard errors and a fitted band.

    Reference: equals ``statsmodels OLS(change, [1, dose]).fit(cov_type="HC2", use_t=True)`` for the slope,
    its standard error, p-value and interval (tests/stats/test_dose_response.py).
    """
    check_level(level)
    data = _clean(frame)
    x = data["dose"].to_numpy(dtype=float)
    y = data["change"].to_numpy(dtype=float)
    n = len(x)
    nan = float("nan")
    if n < MIN_SCHOOLS:
        mean = float(y.mean()) if n else nan
        return _without_inference(nan, mean, n, x, level, "too_few_schools")
    if np.ptp(x) <= 1e-12 * max(1.0, float(np.abs(x).max())):
        return _without_inference(nan, float(y.mean()), n, x, level, "no_dose_variation")
    design = np.column_stack([np.ones(n), x])
    bread = np.linalg.inv(design.T @ design)
    beta = bread @ design.T @ y
    residual = y - design @ beta
    scale = max(1.0, float(np.abs(y).max()))
    if np.ptp(y) <= 1e-12 * scale:
        return _without_inference(float(beta[1]), float(beta[0]), n, x, level, "no_outcome_variation")
    if np.abs(residual).max() <= 1e-12 * scale:
        return _without_inference(float(beta[1]), float(beta[0]), n, x, level, "exact_fit")
    leverage = np.einsum("ij,jk,ik->i", design, bread, design)
    if leverage.max() >= 1 - 1e-10:
        return _without_inference(float(beta[1]), float(beta[0]), n, x, level, "high_leverage")
    meat = (design * (residual**2 / (1 - leverage))[:, None]).T @ design
    cov = bread @ meat @ bread
    df = float(n - 2)
    se = float(np.sqrt(cov[1, 1]))
    crit = float(t_ppf(0.5 + level / 2, df))
    t_value = beta[1] / se
    grid = np.linspace(x.min(), x.max(), points)
    grid_design = np.column_stack([np.ones(points), grid])
    fit = grid_design @ beta
    fit_se = np.sqrt(np.einsum("ij,jk,ik->i", grid_design, cov, grid_design))
    curve = pd.DataFrame({"dose": grid, "fit": fit, "ci_low": fit - crit * fit_se, "ci_high": fit + crit * fit_se})
    return DoseResponseResult(
        slope=float(beta[1]), se=se, ci_low=float(beta[1] - crit * se), ci_high=float(beta[1] + crit * se),
        p_value=float(2 * t_sf(abs(t_value), df)), df=df, intercept=float(beta[0]), n_schools=n,
        dose_min=float(x.min()), dose_max=float(x.max()), level=level, reason=None, curve=curve,
    )


def dose_groups(frame: pd.DataFrame, groups: int = 3, level: float = 0.95) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Schools split into ``groups`` by dose rank (thirds by default; schools with the same dose always in one
    group, so many tied doses give fewer groups): mean change per group with a t interval, and Welch's t of
    the highest group against the lowest (``scipy.stats.ttest_ind`` with ``equal_var=False``).

    Returns (one row per group: group, dose_low, dose_high, n_schools, mean_change, ci_low, ci_high,
    reason) and the contrast as a dict (difference, ci_low, ci_high, p_value, df, reason).
    """
    check_level(level)
    # Sorted by dose alone: a tie must never be split by the outcome (sorting ties by change put the
    # lower changes of a tied dose in the lower group and manufactured a contrast out of nothing).
    data = _clean(frame).sort_values("dose", kind="mergesort").reset_index(drop=True)
    n = len(data)
    nan = float("nan")
    contrast: dict[str, Any] = {"difference": nan, "ci_low": nan, "ci_high": nan, "p_value": nan, "df": nan,
                                "reason": None}
    if n < groups * 2 or data["dose"].nunique() < groups:
        contrast["reason"] = "too_few_schools" if n < groups * 2 else "no_dose_variation"
        return pd.DataFrame(columns=["group", "dose_low", "dose_high", "n_schools", "mean_change", "ci_low",
                                     "ci_high", "reason"]), contrast
    # Equal-count groups by rank, a tied dose kept whole in the group of its first school (so groups are
    # near equal without ties; with many ties fewer, larger groups, numbered 1, 2, … in dose order).
    first = data.groupby("dose", sort=False)["dose"].transform(lambda s: s.index.min()).to_numpy()
    data["group"] = pd.factorize(first * groups // n, sort=True)[0] + 1
    if data["group"].max() < 2:
        contrast["reason"] = "no_dose_variation"
        return pd.DataFrame(columns=["group", "dose_low", "dose_high", "n_schools", "mean_change", "ci_low",
                                     "ci_high", "reason"]), contrast
    last_group = int(data["group"].max())
    rows = []
    for number, part in data.groupby("group", sort=True):
        values = part["change"].to_numpy(dtype=float)
        count = len(values)
        mean = float(values.mean())
        sd = float(values.std(ddof=1)) if count > 1 else nan
        reason = None
        if count < 2 or not sd > 0:
            low = high = nan
            reason = "too_few_schools" if count < 2 else "no_outcome_variation"
        else:
            half = float(t_ppf(0.5 + level / 2, count - 1)) * sd / np.sqrt(count)
            low, high = mean - half, mean + half
        rows.append({"group": int(number), "dose_low": float(part["dose"].min()),
                     "dose_high": float(part["dose"].max()), "n_schools": count, "mean_change": mean,
                     "ci_low": low, "ci_high": high, "reason": reason})
    table = pd.DataFrame(rows)
    low_values = data.loc[data["group"] == 1, "change"].to_numpy(dtype=float)
    high_values = data.loc[data["group"] == last_group, "change"].to_numpy(dtype=float)
    contrast["difference"] = float(high_values.mean() - low_values.mean())
    if min(len(low_values), len(high_values)) < 2:
        contrast["reason"] = "too_few_schools"
        return table, contrast
    v_low, v_high = low_values.var(ddof=1), high_values.var(ddof=1)
    se2 = v_low / len(low_values) + v_high / len(high_values)
    if not se2 > 0:
        contrast["reason"] = "no_outcome_variation"
        return table, contrast
    df = se2**2 / ((v_low / len(low_values)) ** 2 / (len(low_values) - 1)
                   + (v_high / len(high_values)) ** 2 / (len(high_values) - 1))
    half = float(t_ppf(0.5 + level / 2, df)) * np.sqrt(se2)
    contrast.update(ci_low=contrast["difference"] - half, ci_high=contrast["difference"] + half,
                    p_value=float(2 * t_sf(abs(contrast["difference"]) / np.sqrt(se2), df)), df=float(df))
    return table, contrast
