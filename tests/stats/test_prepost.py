"""Group-level paired and Welch tests from sufficient statistics against scipy on raw data."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.stats import (
    cr1_diff_se_by_group,
    cr1_mean_se_by_group,
    paired_from_stats,
    prepost_table,
    welch_from_stats,
    wilcoxon_signed_rank,
)
from analysis.stats.prepost import RESULT_COLUMNS

TOL = 1e-9


def _linked(seed: int = 0, groups: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, 60, groups)
    school = np.repeat(np.arange(groups), sizes)
    pre = rng.normal(50, 10, school.size)
    post = 0.6 * pre + rng.normal(25, 6, school.size) + rng.normal(0, 2, groups)[school]
    return pd.DataFrame({"school": school, "pre": pre, "post": post})


def _paired_stats(raw: pd.DataFrame) -> pd.DataFrame:
    # what DuckDB would aggregate: count, mean/sd of differences, mean/sd per wave (ddof = 1)
    raw = raw.assign(diff=raw["post"] - raw["pre"])
    agg = raw.groupby("school").agg(
        n=("diff", "size"),
        mean_diff=("diff", "mean"),
        sd_diff=("diff", "std"),
        mean_pre=("pre", "mean"),
        sd_pre=("pre", "std"),
        mean_post=("post", "mean"),
        sd_post=("post", "std"),
    )
    return agg.reset_index()


def test_paired_matches_scipy_ttest_rel() -> None:
    # Reference: scipy.stats.ttest_rel(post, pre) and its confidence_interval(), per school.
    raw = _linked()
    agg = _paired_stats(raw)
    res = paired_from_stats(*(agg[c] for c in agg.columns[1:]))
    for i, (_, grp) in enumerate(raw.groupby("school")):
        ref = stats.ttest_rel(grp["post"], grp["pre"])
        ci = ref.confidence_interval()
        assert res.loc[i, "t"] == pytest.approx(ref.statistic, abs=TOL)
        assert res.loc[i, "p_value"] == pytest.approx(ref.pvalue, abs=TOL)
        assert res.loc[i, "df"] == ref.df
        assert res.loc[i, "diff_ci_low"] == pytest.approx(ci.low, abs=TOL)
        assert res.loc[i, "diff_ci_high"] == pytest.approx(ci.high, abs=TOL)
        # r derived from the three SDs equals the Pearson correlation of the raw pairs
        if len(grp) > 2:
            r = np.corrcoef(grp["pre"], grp["post"])[0, 1]
            assert res.loc[i, "r"] == pytest.approx(r, abs=1e-8)


def test_paired_effect_size_pooled_over_waves() -> None:
    raw = _linked(1, groups=3)
    agg = _paired_stats(raw)
    res = paired_from_stats(*(agg[c] for c in agg.columns[1:]), deff=2.0)
    g0 = raw[raw["school"] == 0]
    n = len(g0)
    sd = np.sqrt((g0["pre"].var() + g0["post"].var()) / 2)
    g = (1 - 3 / (4 * 2 * n - 9)) * (g0["post"].mean() - g0["pre"].mean()) / sd
    r = np.corrcoef(g0["pre"], g0["post"])[0, 1]
    # Becker (1988) variance times the design effect 2
    var = 2 * (2 * (1 - r) / n + g**2 / (2 * n))
    assert res.loc[0, "effect_size"] == pytest.approx(g, abs=TOL)
    assert res.loc[0, "es_var"] == pytest.approx(var, abs=1e-8)
    z = stats.norm.ppf(0.975)
    assert res.loc[0, "es_ci_low"] == pytest.approx(g - z * np.sqrt(var), abs=1e-8)


def test_welch_matches_scipy_ttest_ind() -> None:
    # Reference: scipy.stats.ttest_ind(a, b, equal_var=False) and confidence_interval().
    rng = np.random.default_rng(2)
    rows, refs = [], []
    for _ in range(40):
        a = rng.normal(52, rng.uniform(5, 15), rng.integers(2, 80))
        b = rng.normal(50, rng.uniform(5, 15), rng.integers(2, 80))
        rows.append((a.size, a.mean(), a.std(ddof=1), b.size, b.mean(), b.std(ddof=1)))
        refs.append(stats.ttest_ind(a, b, equal_var=False))
    arr = np.array(rows)
    res = welch_from_stats(*arr.T, level=0.9)
    for i, ref in enumerate(refs):
        ci = ref.confidence_interval(0.9)
        assert res.loc[i, "t"] == pytest.approx(ref.statistic, abs=TOL)
        assert res.loc[i, "p_value"] == pytest.approx(ref.pvalue, abs=TOL)
        assert res.loc[i, "df"] == pytest.approx(ref.df, abs=TOL)
        assert res.loc[i, "diff_ci_low"] == pytest.approx(ci.low, abs=TOL)
        assert res.loc[i, "diff_ci_high"] == pytest.approx(ci.high, abs=TOL)


def test_prepost_table_paired_and_welch_columns() -> None:
    agg = _paired_stats(_linked(3, groups=5))
    out = prepost_table(agg, "paired")
    assert list(out.columns) == ["school", *RESULT_COLUMNS]
    assert (out["test"] == "paired_t").all() and (out["n_pre"] == out["n_post"]).all()
    unlinked = agg.rename(columns={"n": "n_pre"}).assign(n_post=agg["n"] + 3)
    out_w = prepost_table(unlinked.drop(columns=["mean_diff", "sd_diff"]), "welch", keys=["school"])
    assert list(out_w.columns) == ["school", *RESULT_COLUMNS]
    cols = ["mean_post", "sd_post", "n_post", "mean_pre", "sd_pre", "n_pre"]
    ref = stats.ttest_ind_from_stats(*(unlinked[c].to_numpy(float) for c in cols), equal_var=False)
    np.testing.assert_allclose(out_w["t"], ref.statistic, atol=TOL)
    np.testing.assert_allclose(out_w["diff"], unlinked["mean_post"] - unlinked["mean_pre"], atol=TOL)
    with pytest.raises(KeyError):
        prepost_table(agg.drop(columns="sd_diff"), "paired")
    with pytest.raises(ValueError):
        prepost_table(agg, "anova")  # type: ignore[arg-type]


def test_too_small_groups_are_nan() -> None:
    res = paired_from_stats(1, 2.0, np.nan, 1.0, np.nan, 3.0, np.nan)
    assert res[["t", "p_value", "diff_ci_low", "effect_size"]].isna().all(axis=None)
    res_w = welch_from_stats(1, 2.0, np.nan, 10, 1.0, 1.0)
    assert res_w[["t", "p_value", "effect_size"]].isna().all(axis=None)


def test_vectorised_over_40000_groups_is_fast() -> None:
    rng = np.random.default_rng(4)
    k = 40_000
    n = rng.integers(2, 80, k).astype(float)
    sd_pre, sd_post = rng.uniform(5, 15, k), rng.uniform(5, 15, k)
    start = time.perf_counter()
    res = paired_from_stats(
        n,
        rng.normal(2, 1, k),
        rng.uniform(3, 8, k),
        rng.normal(50, 5, k),
        sd_pre,
        rng.normal(52, 5, k),
        sd_post,
    )
    welch_from_stats(n, rng.normal(52, 5, k), sd_post, n + 1, rng.normal(50, 5, k), sd_pre)
    assert len(res) == k
    # about 0.05 s here; the bound is loose for slow CI machines
    assert time.perf_counter() - start < 2.0


def test_wilcoxon_matches_scipy() -> None:
    rng = np.random.default_rng(6)
    pre = rng.normal(size=40)
    post = pre + rng.normal(0.3, 1, 40)
    post[5] = np.nan
    out = wilcoxon_signed_rank(pre, post)
    keep = ~np.isnan(post)
    ref = stats.wilcoxon(post[keep] - pre[keep])
    assert out["statistic"] == ref.statistic and out["p_value"] == pytest.approx(ref.pvalue, abs=TOL)
    assert out["n_pairs"] == 39
    same = wilcoxon_signed_rank([1, 2, 3], [1, 2, 3])
    assert np.isnan(same["p_value"]) and same["n_nonzero"] == 0


def test_t_helpers_are_scipy_stats_t_to_the_last_bit() -> None:
    """analysis.stats._common.t_sf/t_ppf (scipy.special, without importing scipy.stats) equal scipy.stats.t."""
    from analysis.stats._common import t_ppf, t_sf

    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(0, 4, 500), [0.0, np.inf, -np.inf, np.nan, 1e300]])
    df = np.concatenate([rng.uniform(0.5, 400, 500), [3.0, 3.0, 3.0, 3.0, np.inf]])
    np.testing.assert_array_equal(t_sf(x, df), stats.t.sf(x, df))
    q = np.concatenate([rng.uniform(0.5, 1.0, 500), [0.975, 0.995, 1.0, np.nan, 0.9]])
    np.testing.assert_array_equal(t_ppf(q, df), stats.t.ppf(q, df))
    assert t_sf(2.0, 5) == stats.t.sf(2.0, 5) and t_ppf(0.975, 12) == stats.t.ppf(0.975, 12)


def _clustered_sample(schools: int, seed: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Differences of students in schools of unequal sizes (5–40), a school effect on the growth."""
    rng = np.random.default_rng(seed)
    school = np.repeat(np.arange(schools), rng.integers(5, 41, schools))
    return rng.normal(2.0, 5.0, school.size) + rng.normal(0.0, 2.5, schools)[school], school


def _per_school(y: np.ndarray, school: np.ndarray, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    w = np.ones_like(y) if mask is None else mask.astype(float)
    n = np.bincount(school, weights=w)
    with np.errstate(invalid="ignore", divide="ignore"):
        return n, np.bincount(school, weights=w * y) / n


def test_cluster_robust_paired_difference_equals_statsmodels_cr1():
    # Reference: statsmodels OLS(d, ones).fit(cov_type="cluster", groups=school, use_t=True): CR1 and t on G − 1 df
    # (Cameron & Miller 2015); the paired t (df = n − 1) would be narrower.
    sm = pytest.importorskip("statsmodels.api")
    d, school = _clustered_sample(9)
    fit = sm.OLS(d, np.ones_like(d)).fit(cov_type="cluster", cov_kwds={"groups": school}, use_t=True)
    n_j, mean_j = _per_school(d, school)
    se, big_g = cr1_mean_se_by_group(np.zeros(9, dtype=int), 1, n_j, mean_j)
    assert se[0] == pytest.approx(fit.bse[0], rel=1e-10) and big_g[0] == 9
    res = paired_from_stats(len(d), d.mean(), d.std(ddof=1), 0.0, 1.0, d.mean(), 1.0, 0.5,
                                  n_clusters=big_g, cluster_se=se).iloc[0]
    low, high = fit.conf_int(0.05)[0]
    assert res["df"] == 8 and res["se"] == pytest.approx(fit.bse[0], rel=1e-10)  # the se behind p and interval
    assert res["t"] == pytest.approx(fit.tvalues[0], rel=1e-10)
    assert res["p_value"] == pytest.approx(fit.pvalues[0], rel=1e-10)
    assert (res["diff_ci_low"], res["diff_ci_high"]) == (pytest.approx(low, rel=1e-10), pytest.approx(high, rel=1e-10))
    naive = paired_from_stats(len(d), d.mean(), d.std(ddof=1), 0.0, 1.0, d.mean(), 1.0, 0.5).iloc[0]
    assert naive["diff_ci_high"] - naive["diff_ci_low"] < high - low


def test_cluster_robust_difference_of_two_means_equals_statsmodels_cr1():
    # Reference: statsmodels OLS(y, [1, post]).fit(cov_type="cluster", groups=school, use_t=True), schools holding
    # students of one or both windows (unlinked cohorts).
    sm = pytest.importorskip("statsmodels.api")
    y, school = _clustered_sample(11, seed=3)
    post = np.random.default_rng(4).random(y.size) < np.where(school < 2, 1.0, 0.5)  # schools 0, 1: post only
    y = y + 3.0 * post
    fit = sm.OLS(y, sm.add_constant(post.astype(float))).fit(cov_type="cluster", cov_kwds={"groups": school},
                                                            use_t=True)
    n1, m1 = _per_school(y, school, post)
    n2, m2 = _per_school(y, school, ~post)
    se, big_g = cr1_diff_se_by_group(np.zeros(11, dtype=int), 1, n1, m1, n2, m2)
    assert se[0] == pytest.approx(fit.bse[1], rel=1e-10) and big_g[0] == 11
    a, b = y[post], y[~post]
    res = welch_from_stats(a.size, a.mean(), a.std(ddof=1), b.size, b.mean(), b.std(ddof=1),
                                 n_clusters=big_g, cluster_se=se).iloc[0]
    low, high = fit.conf_int(0.05)[1]
    assert res["df"] == 10 and res["p_value"] == pytest.approx(fit.pvalues[1], rel=1e-10)
    assert res["se"] == pytest.approx(fit.bse[1], rel=1e-10)
    assert (res["diff_ci_low"], res["diff_ci_high"]) == (pytest.approx(low, rel=1e-10), pytest.approx(high, rel=1e-10))


def test_cluster_robust_route_keeps_no_inference_on_few_schools_and_no_spread():
    # 3 schools: no p or interval (the existing rule); every student changed alike: no inference, never p = 0
    d, school = _clustered_sample(3)
    n_j, mean_j = _per_school(d, school)
    se, big_g = cr1_mean_se_by_group(np.zeros(3, dtype=int), 1, n_j, mean_j)
    few = paired_from_stats(len(d), d.mean(), d.std(ddof=1), 0.0, 1.0, d.mean(), 1.0, 0.5,
                                  n_clusters=big_g, cluster_se=se).iloc[0]
    assert np.isfinite(se[0]) and np.isnan(few["p_value"]) and np.isnan(few["diff_ci_low"])
    assert np.isnan(few["se"]) and np.isnan(few["df"])  # no inference: no standard error or df behind it
    assert few["diff"] == pytest.approx(d.mean())
    same = np.full(40, 2.5)
    flat_school = np.repeat(np.arange(8), 5)
    n_j, mean_j = _per_school(same, flat_school)
    se, big_g = cr1_mean_se_by_group(np.zeros(8, dtype=int), 1, n_j, mean_j)
    flat = paired_from_stats(40, 2.5, 0.0, 0.0, 1.0, 2.5, 1.0, 1.0, n_clusters=big_g, cluster_se=se).iloc[0]
    assert np.isnan(flat["p_value"]) and np.isnan(flat["diff_ci_low"]) and flat["diff"] == 2.5
    assert np.isnan(flat["se"]) and np.isnan(flat["df"])
