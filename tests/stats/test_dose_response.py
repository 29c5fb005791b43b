"""Dose and response against statsmodels (HC2 OLS) and scipy (Welch), and its degenerate cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from analysis.stats.dose_response import MIN_SCHOOLS, dose_groups, dose_response


def _schools(n: int = 30, slope: float = 0.4, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dose = rng.gamma(4.0, 10.0, n)
    change = 2.0 + slope * dose + rng.normal(0, 4 + 0.1 * dose, n)  # heteroskedastic on purpose
    return pd.DataFrame({"unit_id": [f"S{i}" for i in range(n)], "dose": dose, "change": change})


def test_slope_se_interval_and_p_equal_statsmodels_hc2():
    data = _schools()
    result = dose_response(data, level=0.9)
    reference = sm.OLS(data["change"], sm.add_constant(data["dose"])).fit(cov_type="HC2", use_t=True)
    assert result.slope == pytest.approx(reference.params["dose"], rel=1e-10)
    assert result.intercept == pytest.approx(reference.params["const"], rel=1e-10)
    assert result.se == pytest.approx(reference.bse["dose"], rel=1e-10)
    assert result.p_value == pytest.approx(reference.pvalues["dose"], rel=1e-8)
    low, high = reference.conf_int(alpha=0.1).loc["dose"]
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), rel=1e-10)
    assert result.df == 28 and result.n_schools == 30 and result.reason is None


def test_fitted_band_equals_statsmodels_prediction_interval_of_the_mean():
    data = _schools(n=12, seed=9)
    result = dose_response(data, points=5)
    reference = sm.OLS(data["change"], sm.add_constant(data["dose"])).fit(cov_type="HC2", use_t=True)
    frame = reference.get_prediction(sm.add_constant(result.curve["dose"].to_numpy(), has_constant="add"))
    summary = frame.summary_frame(alpha=0.05)
    np.testing.assert_allclose(result.curve["fit"], summary["mean"], rtol=1e-10)
    np.testing.assert_allclose(result.curve["ci_low"], summary["mean_ci_lower"], rtol=1e-9)
    np.testing.assert_allclose(result.curve["ci_high"], summary["mean_ci_upper"], rtol=1e-9)


def test_planted_slope_is_recovered_within_its_interval():
    data = _schools(n=400, slope=0.25, seed=11)
    result = dose_response(data)
    assert result.ci_low < 0.25 < result.ci_high
    assert result.slope == pytest.approx(0.25, abs=0.05)


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (pd.DataFrame({"dose": [1.0, 2, 3], "change": [1.0, 2, 4]}), "too_few_schools"),
        (pd.DataFrame({"dose": [5.0] * 8, "change": np.arange(8.0)}), "no_dose_variation"),
        (pd.DataFrame({"dose": np.arange(8.0), "change": [3.0] * 8}), "no_outcome_variation"),
        (pd.DataFrame({"dose": np.arange(8.0), "change": 2 + 0.5 * np.arange(8.0)}), "exact_fit"),
        (pd.DataFrame({"dose": [0.0] * 7 + [50.0], "change": np.arange(8.0)}), "high_leverage"),
        (pd.DataFrame({"dose": [np.nan] * 8, "change": np.arange(8.0)}), "too_few_schools"),
    ],
)
def test_degenerate_data_gives_no_inference_and_a_reason(frame, reason):
    result = dose_response(frame)
    assert result.reason == reason
    assert math.isnan(result.se) and math.isnan(result.ci_low) and math.isnan(result.p_value)
    assert result.curve.empty


def test_min_schools_boundary():
    data = _schools(n=MIN_SCHOOLS, seed=5)
    assert dose_response(data).reason is None
    assert dose_response(data.iloc[:-1]).reason == "too_few_schools"


def test_dose_thirds_and_the_top_against_bottom_contrast_equal_scipy_welch():
    data = _schools(n=31, seed=2)
    table, contrast = dose_groups(data, groups=3)
    assert table["n_schools"].tolist() == [11, 10, 10]  # equal-count groups by rank: 31 = 11 + 10 + 10
    ordered = data.sort_values("dose", kind="mergesort")
    low, high = ordered["change"].iloc[:11], ordered["change"].iloc[-10:]
    reference = stats.ttest_ind(high, low, equal_var=False)
    assert contrast["p_value"] == pytest.approx(reference.pvalue, rel=1e-10)
    assert contrast["difference"] == pytest.approx(high.mean() - low.mean(), rel=1e-12)
    interval = reference.confidence_interval(0.95)
    assert (contrast["ci_low"], contrast["ci_high"]) == pytest.approx((interval.low, interval.high), rel=1e-10)
    first = table.iloc[0]
    t_interval = stats.t.interval(0.95, 10, loc=low.mean(), scale=stats.sem(low))
    assert (first["ci_low"], first["ci_high"]) == pytest.approx(t_interval, rel=1e-10)
    assert first["dose_high"] <= table.iloc[1]["dose_low"]


def test_dose_groups_degenerate():
    table, contrast = dose_groups(pd.DataFrame({"dose": [1.0, 2, 3, 4], "change": [1.0, 2, 3, 4]}))
    assert table.empty and contrast["reason"] == "too_few_schools" and math.isnan(contrast["p_value"])
    table, contrast = dose_groups(pd.DataFrame({"dose": np.arange(9.0), "change": [1.0] * 9}))
    assert contrast["reason"] == "no_outcome_variation" and math.isnan(contrast["ci_low"])
    assert table["reason"].eq("no_outcome_variation").all()


def test_dose_groups_keep_tied_doses_together():
    """Twenty schools at dose 0 (labs never used) and ten above, change independent of dose: a tie split by
    the outcome put the low changes in the bottom third and found a 'dose effect' in half of null draws."""
    rng = np.random.default_rng(11)
    dose = np.r_[np.zeros(20), np.arange(1.0, 11.0)]
    changes = rng.normal(size=(60, 30))
    table, _ = dose_groups(pd.DataFrame({"dose": dose, "change": changes[0]}))
    assert table["n_schools"].tolist() == [20, 10] and table["dose_high"].tolist() == [0.0, 10.0]
    diffs, rejected = [], 0
    for change in changes:
        _, contrast = dose_groups(pd.DataFrame({"dose": dose, "change": change}))
        reference = stats.ttest_ind(change[20:], change[:20], equal_var=False)
        assert contrast["p_value"] == pytest.approx(reference.pvalue, rel=1e-9)
        diffs.append(contrast["difference"])
        rejected += contrast["p_value"] < 0.05
    assert abs(np.mean(diffs)) < 0.15 and rejected <= 8  # about 3 of 60 under the null (was 0.76 SD and half)


def test_dose_groups_top_dose_one_school():
    """The highest dose held by one school: its group has no interval and there is no contrast."""
    table, contrast = dose_groups(pd.DataFrame({"dose": [0.0] * 4 + [1.0] * 5 + [2.0], "change": np.arange(10.0)}))
    assert contrast["reason"] == "too_few_schools" and math.isnan(contrast["p_value"])
    assert table["n_schools"].tolist() == [4, 5, 1] and table["reason"].tolist()[-1] == "too_few_schools"
