"""compare(design='prepost') against scipy/statsmodels recomputed from the imported files.

References: docs/METHODS.md "Designs" 1 and "Effect sizes"; scipy.stats.ttest_rel / ttest_ind(equal_var=False)
and their confidence_interval(); statsmodels.stats.multitest.multipletests(method='fdr_bh')
(Benjamini & Hochberg 1995); WWC Procedures Handbook v4.1 (Hedges' g, ω, improvement index); EEF
Toolkit (months of progress); Hedges 2007 (design effect); Becker 1988 / Morris & DeShon 2002 (Var g).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from compare_data import with_units
from compare_helpers import anova_icc, approx, paired_reference, row_of, run, t_identities, welch_reference
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from analysis import stats


@pytest.fixture(scope="module")
def students(student_db):
    return with_units(student_db.raw, student_db.schools)


@pytest.fixture(scope="module")
def prepost_students(student_db):
    return run(student_db.db, "score_math")


def _clustered(y: np.ndarray, x: np.ndarray | None, school: np.ndarray, level: float = 0.95) -> dict:
    """Reference: statsmodels OLS with school-clustered (CR1) covariance and t on G − 1 df (Cameron & Miller 2015):
    the mean of y (x None) or the coefficient of x, with its p and 95% interval."""
    exog = np.ones((len(y), 1)) if x is None else sm.add_constant(x.astype(float))
    fit = sm.OLS(y, exog).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(school)[0]}, use_t=True)
    k = exog.shape[1] - 1
    low, high = fit.conf_int(1 - level)[k]
    assert fit.df_resid_inference == len(np.unique(school)) - 1  # statsmodels' t reference: G − 1 df
    return {"diff": fit.params[k], "diff_ci_low": low, "diff_ci_high": high, "p_value": fit.pvalues[k],
            "diff_se": fit.bse[k], "df": fit.df_resid_inference}


T_COLUMNS = ("diff", "diff_ci_low", "diff_ci_high", "diff_se", "df", "p_value")


def _waves(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    pre = frame[frame["wave"] == "pre"].set_index("student_id")["score_math"]
    post = frame[frame["wave"] == "post"].set_index("student_id")["score_math"]
    return pre, post


@pytest.mark.parametrize(("program", "country"), [("ValleLabs", "CO"), ("MiLab", "GT"), ("comparison", "CO"),
                                                  ("comparison", "GT")])
def test_paired_t_on_linked_students_is_cluster_robust(prepost_students, students, program, country):
    # Reference: the within-student differences of the linked students, statsmodels OLS on a constant with
    # school-clustered (CR1) covariance and t on schools − 1 df (docs/METHODS.md "Designs" 1; the paired t of
    # scipy.stats.ttest_rel treats the students as independent and is narrower);
    # n_pre/n_post/means describe everybody observed in each wave (compare's documented choice).
    part = students[(students["program"] == program) & (students["country"] == country)]
    pre, post = _waves(part)
    ref = paired_reference(pre, post)
    row = row_of(prepost_students, program=program, country=country)
    assert row["test"] == "paired_t"
    assert row["n_linked"] == ref["n_linked"]
    assert (row["n_pre"], row["n_post"]) == (len(pre), len(post))
    assert row["n_units"] == part["school_code"].nunique()
    assert row["attrition"] == approx(1 - ref["n_linked"] / len(pre))
    assert row["mean_pre"] == approx(pre.mean())
    assert row["mean_post"] == approx(post.mean())
    linked = pre.index.intersection(post.index)
    school = part[part["wave"] == "pre"].set_index("student_id")["school_code"][linked].to_numpy()
    clustered = _clustered((post[linked] - pre[linked]).to_numpy(), None, school)
    for col in T_COLUMNS:  # diff_se and df as well: the row's interval and p can be recomputed from it
        assert row[col] == approx(clustered[col]), col
    assert row["df"] == len(set(school)) - 1
    t_identities(row)
    assert row["diff"] == approx(ref["diff"])
    assert row["diff_ci_high"] - row["diff_ci_low"] != approx(ref["diff_ci_high"] - ref["diff_ci_low"])


@pytest.mark.parametrize(("program", "country"), [("ValleLabs", "CO"), ("MiLab", "GT"), ("comparison", "CO")])
def test_prepost_hedges_g_pools_sd_over_the_two_waves(prepost_students, students, program, country):
    # Reference: WWC Handbook v4.1 / docs/METHODS.md: g = ω·mean diff / SD pooled over the two waves (not the SD
    # of the differences), ω = 1 − 3/(4N − 9) with N = 2n linked observations.
    part = students[(students["program"] == program) & (students["country"] == country)]
    pre, post = _waves(part)
    linked = pre.index.intersection(post.index)
    a, b = post[linked], pre[linked]
    n = len(linked)
    expected = (1 - 3 / (4 * 2 * n - 9)) * (a - b).mean() / np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
    row = row_of(prepost_students, program=program, country=country)
    assert row["effect_size_kind"] == "hedges_g"
    assert row["effect_size"] == approx(expected)
    # the SD of the differences would give a different (larger) g: the check can tell them apart
    assert abs((1 - 3 / (8 * n - 9)) * (a - b).mean() / (a - b).std(ddof=1) - expected) > 0.05


def test_prepost_g_interval_inflated_by_design_effect(prepost_students, students):
    # Reference: Var(g) = 2(1 − r)/n + g²/(2n) (Becker 1988; Morris & DeShon 2002) times the design effect
    # 1 + (ñ − 1)ρ (Hedges 2007), ρ = one-way ANOVA ICC of the within-student differences across schools,
    # normal interval g ± z·sqrt(Var).
    part = students[(students["program"] == "ValleLabs")]
    pre, post = _waves(part)
    ref = paired_reference(pre, post)
    linked = pre.index.intersection(post.index)
    school = part[part["wave"] == "pre"].set_index("student_id")["school_code"]
    rho, n_tilde = anova_icc(post[linked] - pre[linked], school[linked])
    deff = 1 + (n_tilde - 1) * rho
    row = row_of(prepost_students, program="ValleLabs", country="CO")
    assert row["icc"] == approx(rho)
    assert row["design_effect"] == approx(deff)
    assert rho > 0  # the fixture plants a school effect on the gains, so the inflation is exercised
    half = sps.norm.ppf(0.975) * np.sqrt(ref["g_var"] * deff)
    assert row["es_ci_low"] == approx(ref["effect_size"] - half)
    assert row["es_ci_high"] == approx(ref["effect_size"] + half)


def test_unlinked_cohorts_use_two_means_clustered_by_school(prepost_students, students):
    # Reference: statsmodels OLS of the scores on a post indicator with school-clustered (CR1) covariance, t on
    # schools − 1 df (docs/METHODS.md "Designs" 1: unlinked cohorts, the schools of both windows as clusters);
    # the difference equals Welch's (scipy.stats.ttest_ind); g with ω, N = n_pre + n_post (WWC Handbook v4.1).
    part = students[students["program"] == "CohortLab"]
    pre, post = _waves(part)
    assert not pre.index.intersection(post.index).size  # the fixture really has no linked student
    ref = welch_reference(pre.to_numpy(), post.to_numpy())
    row = row_of(prepost_students, program="CohortLab", country="CO")
    assert row["test"] == "welch_t"
    assert row["reliability"] != "suppressed"
    assert (row["n_pre"], row["n_post"], row["n_linked"]) == (len(pre), len(post), 0)
    assert row["diff"] == approx(ref["diff"]) and row["effect_size"] == approx(ref["effect_size"])
    waves = part[part["wave"].isin(["pre", "post"])]
    clustered = _clustered(waves["score_math"].to_numpy(dtype=float), (waves["wave"] == "post").to_numpy(),
                           waves["school_code"].to_numpy())
    for col in T_COLUMNS:
        assert row[col] == approx(clustered[col]), col
    assert row["df"] == 4  # the 5 schools of both windows − 1
    t_identities(row)
    assert np.isnan(row["attrition"])  # cohorts are different students by design, not attrition
    assert row["n_units"] == 5 and row["reliability"] == "ok"  # 5 schools, 30+ students at each wave


def _unit_window_means(rates: pd.DataFrame, years: tuple[int, int], level: str = "all",
                       weighted: bool = False) -> pd.Series:
    part = rates[(rates["level"] == level) & rates["year"].between(*years)]
    if weighted:
        return part.groupby("school_code").apply(lambda g: np.average(g["dropout_rate"], weights=g["n"]),
                                                 include_groups=False)
    return part.groupby("school_code")["dropout_rate"].mean()


def _program_units(rates_db, program: str) -> list[str]:
    return rates_db.units.loc[rates_db.units["program"] == program, "unit_code"].tolist()


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("program", ["ValleLabs", "GrowLab", "comparison"])
def test_aggregate_rates_units_in_both_windows_paired_t(rates_db, program, weighted):
    # Reference: docs/METHODS.md Designs 1 (aggregate rates: each unit-period one observation, the mean per unit
    # over the window's years, unweighted by default, weighted by n on request; units in both windows as
    # pairs -> scipy.stats.ttest_rel over units).
    out = run(rates_db.db, "dropout_rate", pre="2014-2016", post="2017-2019", weighted=weighted)
    units = _program_units(rates_db, program)
    rates = rates_db.rates[rates_db.rates["school_code"].isin(units)]
    pre = _unit_window_means(rates, (2014, 2016), weighted=weighted)
    post = _unit_window_means(rates, (2017, 2019), weighted=weighted)
    ref = paired_reference(pre, post)
    row = row_of(out, program=program, country="CO")
    assert row["test"] == "paired_t_units"
    assert (row["n_units"], row["n_pre"], row["n_post"], row["n_linked"]) == (len(units), len(pre), len(post),
                                                                              ref["n_linked"])
    assert row["mean_pre"] == approx(pre.mean())
    assert row["mean_post"] == approx(post.mean())
    for col in ("diff", "diff_ci_low", "diff_ci_high", "p_value"):
        assert row[col] == approx(ref[col]), col
    # each unit its own observation: statsmodels OLS of the unit differences on a constant, n − 1 df
    d = (post - pre).dropna().to_numpy()
    fit = sm.OLS(d, np.ones((len(d), 1))).fit()
    assert row["diff_se"] == approx(fit.bse[0])
    assert row["df"] == fit.df_resid == ref["n_linked"] - 1
    t_identities(row)
    # rates are compared in percentage points: no standardised effect, no months or improvement index
    assert row["effect_size_kind"] == "pp"
    assert row["effect_size"] == approx(ref["diff"])
    assert np.isnan(row["improvement_index"]) and np.isnan(row["months_progress"])


def test_weighting_changes_the_answer(rates_db):
    # the weighted and unweighted unit means differ in this fixture, so the test above can tell them apart
    a = run(rates_db.db, "dropout_rate", pre="2014-2016", post="2017-2019")
    b = run(rates_db.db, "dropout_rate", pre="2014-2016", post="2017-2019", weighted=True)
    assert not np.allclose(a["diff"], b["diff"], rtol=1e-6)


def test_aggregate_rates_without_common_units_use_welch_over_unit_periods(rates_db):
    # Reference: docs/METHODS.md Designs 1 ("otherwise Welch over unit-periods"): scipy.stats.ttest_ind on the
    # unit means of each window, equal_var=False.
    out = run(rates_db.db, "dropout_rate", pre="2014-2016", post="2017-2019")
    units = _program_units(rates_db, "WelchLab")
    rates = rates_db.rates[rates_db.rates["school_code"].isin(units)]
    pre = _unit_window_means(rates, (2014, 2016))
    post = _unit_window_means(rates, (2017, 2019))
    assert not pre.index.intersection(post.index).size
    ref = welch_reference(pre.to_numpy(), post.to_numpy())
    row = row_of(out, program="WelchLab", country="CO")
    assert row["test"] == "welch_t_units"
    assert (row["n_pre"], row["n_post"], row["n_linked"]) == (3, 3, 0)
    for col in ("diff", "diff_ci_low", "diff_ci_high", "p_value"):
        assert row[col] == approx(ref[col]), col
    # Welch's standard error and Welch–Satterthwaite df: statsmodels CompareMeans, scipy's ttest_ind
    means = CompareMeans(DescrStatsW(post.to_numpy()), DescrStatsW(pre.to_numpy()))
    assert row["diff_se"] == approx(means.std_meandiff_separatevar)
    assert row["df"] == approx(sps.ttest_ind(post, pre, equal_var=False).df) and row["df"] != 4
    t_identities(row)


def test_default_windows_come_from_each_units_start_year(rates_db):
    # Reference: docs/DESIGN.md observations.wave ("NULL: pre/post comes from year vs start_year"): per unit,
    # pre = years before its start year, post = from its start year on (ValleLabs starts 2017 and 2018).
    out = run(rates_db.db, "dropout_rate")
    units = rates_db.units[rates_db.units["program"] == "ValleLabs"].set_index("unit_code")["start_year"]
    assert units.nunique() == 2
    rates = rates_db.rates[(rates_db.rates["level"] == "all") & rates_db.rates["school_code"].isin(units.index)]
    start = rates["school_code"].map(units)
    pre = rates[rates["year"] < start].groupby("school_code")["dropout_rate"].mean()
    post = rates[rates["year"] >= start].groupby("school_code")["dropout_rate"].mean()
    ref = paired_reference(pre, post)
    row = row_of(out, program="ValleLabs", country="CO")
    assert (row["pre_window"], row["post_window"]) == ("before start_year", "from start_year")
    for col in ("diff", "diff_ci_low", "diff_ci_high", "p_value"):
        assert row[col] == approx(ref[col]), col
    # comparison units have no start year: without explicit windows they have no pre/post
    assert "comparison" not in set(out["program"])


@pytest.mark.parametrize("by", [None, "etnia", ["sex", "grade"]])
def test_q_values_are_benjamini_hochberg_over_the_rows_returned(student_db, by):
    # Reference: statsmodels multipletests(method='fdr_bh') over the non-missing p-values of the rows shown
    # together (docs/METHODS.md "Many comparisons"); suppressed rows (NaN p) are not in the family.
    out = run(student_db.db, "score_math", by=by)
    p = out["p_value"].to_numpy(float)
    ok = ~np.isnan(p)
    assert ok.sum() >= 4
    expected = np.full(p.shape, np.nan)
    expected[ok] = multipletests(p[ok], method="fdr_bh")[1]
    np.testing.assert_allclose(out["q_value"].to_numpy(float), expected, rtol=1e-9, equal_nan=True)
    assert np.isnan(out.loc[~ok, "q_value"]).all()


def test_months_and_improvement_index_follow_the_effect_size(student_db):
    # Reference: docs/METHODS.md "Plain language" (EEF months, improvement index 100·Φ(g) − 50, checked against
    # the worked values in tests/stats); here compare's columns must be those functions of its g.
    for design in ("prepost", "did"):
        out = run(student_db.db, "score_math", design=design, by="sex")
        g = out["effect_size"].to_numpy(float)
        shown = out["effect_size_kind"].eq("hedges_g") & ~np.isnan(g)
        assert shown.sum() >= 2
        np.testing.assert_allclose(out.loc[shown, "months_progress"].to_numpy(float),
                                   stats.eef_months(g[shown.to_numpy()]), rtol=0, atol=0)
        np.testing.assert_allclose(out.loc[shown, "improvement_index"].to_numpy(float),
                                   stats.improvement_index(g[shown.to_numpy()]), rtol=1e-12)
        # spot check against the normal CDF directly (WWC improvement index)
        first = out[shown].iloc[0]
        assert first["improvement_index"] == approx(100 * sps.norm.cdf(first["effect_size"]) - 50)


def test_conf_level_changes_only_the_intervals(student_db, students):
    # Reference: statsmodels' school-clustered OLS interval at 0.999 (conf_int(0.001))
    out = run(student_db.db, "score_math", program="ValleLabs", conf_level=0.999)
    part = students[students["program"] == "ValleLabs"]
    pre, post = _waves(part)
    linked = pre.index.intersection(post.index)
    school = part[part["wave"] == "pre"].set_index("student_id")["school_code"][linked].to_numpy()
    ref = _clustered((post[linked] - pre[linked]).to_numpy(), None, school, level=0.999)
    row = row_of(out, program="ValleLabs", country="CO")
    assert row["diff_ci_low"] == approx(ref["diff_ci_low"])
    assert row["diff_ci_high"] == approx(ref["diff_ci_high"])
    assert row["p_value"] == approx(ref["p_value"])
    assert (row["diff_se"], row["df"]) == (approx(ref["diff_se"]), ref["df"])  # the level moves the interval only
    t_identities(row, level=0.999)
