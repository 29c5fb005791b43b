"""Effect sizes against docs/METHODS.md worked checks, statsmodels and hand-computed WWC formulas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import Table2x2
from statsmodels.stats.meta_analysis import effectsize_smd

from analysis.stats import (
    cluster_adjusted_var,
    cox_index,
    design_effect,
    eef_label,
    eef_months,
    hedges_g,
    hedges_g_var,
    improvement_index,
    independent_effect_sizes,
    normal_ci,
    pooled_sd,
    prepost_g,
    prepost_g_var,
    small_sample_correction,
)

TOL = 1e-9


def test_hedges_g_worked_check_from_raw_data() -> None:
    # docs/METHODS.md worked check (independent groups): (5,6,7) vs (4,5,6) -> d = 1, ω = 0.8, g = 0.8.
    a, b = np.array([5.0, 6.0, 7.0]), np.array([4.0, 5.0, 6.0])
    sd1, sd2 = a.std(ddof=1), b.std(ddof=1)
    assert pooled_sd(3, 3, sd1, sd2) == pytest.approx(1.0, abs=TOL)
    assert small_sample_correction(6) == pytest.approx(0.8, abs=TOL)
    g = hedges_g(3, 3, a.mean(), b.mean(), sd1, sd2)
    assert isinstance(g, float)
    assert g == pytest.approx(0.8, abs=TOL)
    # WWC variance (n1+n2)/(n1 n2) + g²/(2(n1+n2)) = 6/9 + 0.64/12 = 0.72 (by hand).
    assert hedges_g_var(g, 3, 3) == pytest.approx(0.72, abs=TOL)


def test_hedges_g_matches_statsmodels_vectorised() -> None:
    # Reference: statsmodels.stats.meta_analysis.effectsize_smd uses the same ω = 1 − 3/(4N − 9).
    rng = np.random.default_rng(0)
    k = 500
    n1, n2 = rng.integers(3, 200, k), rng.integers(3, 200, k)
    m1, m2 = rng.normal(50, 10, k), rng.normal(50, 10, k)
    s1, s2 = rng.uniform(1, 20, k), rng.uniform(1, 20, k)
    g = hedges_g(n1, n2, m1, m2, s1, s2)
    ref, _ = effectsize_smd(m1, s1, n1, m2, s2, n2)
    np.testing.assert_allclose(g, ref, rtol=0, atol=TOL)
    var = hedges_g_var(g, n1, n2)
    np.testing.assert_allclose(var, (n1 + n2) / (n1 * n2) + g**2 / (2 * (n1 + n2)), atol=TOL)


def test_hedges_g_degenerate_is_nan() -> None:
    assert np.isnan(hedges_g(3, 3, 1.0, 0.0, 0.0, 0.0))  # no spread
    assert np.isnan(hedges_g(1, 1, 1.0, 0.0, 1.0, 1.0))  # N = 2: pooled SD undefined
    assert np.isnan(small_sample_correction(2))


def test_prepost_g_uses_sd_pooled_over_waves_not_sd_of_differences() -> None:
    # docs/METHODS.md: standardise by the SD pooled over the two waves, ω with N = n_pre + n_post.
    rng = np.random.default_rng(1)
    pre = rng.normal(50, 10, 80)
    post = pre * 0.7 + rng.normal(20, 5, 80)
    n = pre.size
    sd_pool = np.sqrt((pre.var(ddof=1) + post.var(ddof=1)) / 2)
    omega = 1 - 3 / (4 * (2 * n) - 9)
    expected = omega * (post.mean() - pre.mean()) / sd_pool
    g = prepost_g(n, n, pre.mean(), post.mean(), pre.std(ddof=1), post.std(ddof=1))
    assert g == pytest.approx(expected, abs=TOL)
    d_z = (post - pre).mean() / (post - pre).std(ddof=1)
    assert abs(g - d_z) > 0.05  # a different standardiser
    r = np.corrcoef(pre, post)[0, 1]
    # Becker (1988), Morris & DeShon (2002): Var(g) ≈ 2(1 − r)/n + g²/(2n).
    assert prepost_g_var(g, n, r) == pytest.approx(2 * (1 - r) / n + g**2 / (2 * n), abs=TOL)


def test_design_effect_and_inflated_variance() -> None:
    # Hedges (2007): 1 + (m − 1)ρ; m = 20, ρ = 0.20 -> 4.8.
    assert design_effect(20, 0.2) == pytest.approx(4.8, abs=TOL)
    assert cluster_adjusted_var(0.01, 20, 0.2) == pytest.approx(0.048, abs=TOL)
    np.testing.assert_allclose(design_effect([1, 10], [0.5, 0.0]), [1.0, 1.0], atol=TOL)


def test_normal_ci_level() -> None:
    lo, hi = normal_ci(0.3, 0.1)
    z = stats.norm.ppf(0.975)
    assert (lo, hi) == pytest.approx((0.3 - z * 0.1, 0.3 + z * 0.1), abs=TOL)
    lo90, _ = normal_ci(0.3, 0.1, level=0.90)
    assert lo90 == pytest.approx(0.3 - stats.norm.ppf(0.95) * 0.1, abs=TOL)
    with pytest.raises(ValueError):
        normal_ci(0.3, 0.1, level=95)


def test_independent_effect_sizes_table_with_clustering() -> None:
    tab = independent_effect_sizes([3, 100], [3, 100], [6, 10], [5, 9], [1, 2], [1, 2], cluster_size=20, icc=0.2)
    assert list(tab.columns) == [
        "effect_size",
        "es_var",
        "es_se",
        "es_ci_low",
        "es_ci_high",
        "design_effect",
        "improvement_index",
        "eef_months",
        "eef_label",
    ]
    assert tab.loc[0, "effect_size"] == pytest.approx(0.8, abs=TOL)
    assert tab.loc[0, "es_var"] == pytest.approx(0.72 * 4.8, abs=TOL)
    assert tab.loc[0, "eef_label"] == "very_high"
    with pytest.raises(ValueError):
        independent_effect_sizes(3, 3, 6, 5, 1, 1, icc=0.2)


def test_cox_index_matches_statsmodels_log_odds_ratio() -> None:
    # WWC Handbook v4.1: d_Cox = ln(OR)/1.65; reference ln(OR) and its SE from statsmodels Table2x2.
    e1, n1, e2, n2 = (
        np.array([30, 5, 90]),
        np.array([100, 40, 120]),
        np.array([20, 9, 70]),
        np.array([100, 35, 110]),
    )
    tab = cox_index(e1, n1, e2, n2)
    for i in range(3):
        t = Table2x2(np.array([[e1[i], n1[i] - e1[i]], [e2[i], n2[i] - e2[i]]]))
        assert tab.loc[i, "cox_index"] == pytest.approx(t.log_oddsratio / 1.65, abs=TOL)
        assert tab.loc[i, "cox_var"] == pytest.approx(t.log_oddsratio_se**2 / 1.65**2, abs=TOL)
    assert tab["reason"].isna().all()


def test_cox_index_undefined_at_zero_or_one_never_inf() -> None:
    tab = cox_index([0, 10, 5, 0], [10, 10, 10, 0], [5, 5, 10, 0], [10, 10, 10, 0])
    assert np.isnan(tab["cox_index"]).all()
    assert not np.isinf(tab.select_dtypes("number").to_numpy()).any()
    assert tab["reason"].tolist()[:3] == ["proportion_zero_or_one"] * 3
    assert tab.loc[3, "reason"] == "empty_group"
    assert cox_index(np.nan, 10, 1, 10).loc[0, "reason"] == "missing_counts"
    with pytest.raises(ValueError):
        cox_index(11, 10, 1, 10)


def test_improvement_index() -> None:
    # docs/METHODS.md: g = 0.25 gives 9.87; reference scipy.stats.norm.cdf.
    assert improvement_index(0.25) == pytest.approx(9.87, abs=0.005)
    g = np.linspace(-2, 2, 41)
    np.testing.assert_allclose(improvement_index(g), 100 * stats.norm.cdf(g) - 50, atol=TOL)


# fmt: off
EEF_CASES = [
    # docs/METHODS.md / EEF Toolkit table, both ends of each band.
    (0.0, 0), (0.01, 0), (0.02, 1), (0.09, 1), (0.10, 2), (0.18, 2), (0.19, 3), (0.26, 3),
    (0.27, 4), (0.35, 4), (0.36, 5), (0.44, 5), (0.45, 6), (0.52, 6), (0.53, 7), (0.61, 7),
    (0.62, 8), (0.69, 8), (0.70, 9), (0.78, 9), (0.79, 10), (0.87, 10), (0.88, 11),
    (0.95, 11), (0.96, 12), (2.5, 12),
    # rounding to two decimals first (half up on the decimal value)
    (0.014, 0), (0.015, 1), (0.094, 1), (0.185, 3), (0.955, 12), (0.9549, 11),
    # negative effects mirror the table
    (-0.19, -3), (-0.185, -3), (-0.005, 0),
]
# fmt: on


@pytest.mark.parametrize(("g", "months"), EEF_CASES)
def test_eef_months_table(g: float, months: int) -> None:
    assert eef_months(g) == months


def test_eef_months_nan_and_labels() -> None:
    out = eef_months(np.array([np.nan, 0.3, -0.3]))
    assert np.isnan(out[0]) and out[1] == 4 and out[2] == -4
    # Labels: 0 very low/none; 1–2 low; 3–5 moderate; 6–8 high; 9–12 very high (docs/METHODS.md).
    # fmt: off
    expected = ["none", "low", "low", "moderate", "moderate", "moderate", "high", "high", "high",
                "very_high", "very_high", "very_high", "very_high"]
    # fmt: on
    assert list(eef_label(np.arange(13))) == expected
    assert eef_label(-7) == "high"
    assert eef_label(np.nan) is None
    assert pd.isna(eef_label([np.nan, 1])[0])
