"""Difference-in-differences, wild cluster bootstrap and pre-trend checks against statsmodels
and a slow, straightforward reference implementation of the wild bootstrap."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from analysis.stats import (
    bootstrap_weights,
    did_ols,
    pretrend_check,
    wild_cluster_bootstrap,
    wild_cluster_bootstrap_p,
)
from analysis.stats.did import crv1_fit

TOL = 1e-9


def _panel(
    n_treated: int = 12,
    n_comparison: int = 15,
    per_cell: int = 6,
    effect: float = 0.0,
    seed: int = 0,
) -> pd.DataFrame:
    """Student-wave rows: units (clusters) with a random effect, unbalanced cells."""
    rng = np.random.default_rng(seed)
    rows = []
    n_units = n_treated + n_comparison
    unit_effect = rng.normal(0, 0.5, n_units)
    for u in range(n_units):
        treated = int(u < n_treated)
        for post in (0, 1):
            m = per_cell + int(rng.integers(0, 4))
            y = (
                1.0
                + 0.3 * treated
                + 0.2 * post
                + effect * treated * post
                + unit_effect[u]
                + rng.normal(0, 1 + 0.5 * treated, m)
            )
            rows.append(pd.DataFrame({"y": y, "treated": treated, "post": post, "unit": u}))
    df = pd.concat(rows, ignore_index=True)
    df["w"] = rng.uniform(0.5, 3.0, len(df))
    return df


def _cell_means_diff(df: pd.DataFrame, weights: str | None = None) -> float:
    def mean(t: int, p: int) -> float:
        cell = df[(df.treated == t) & (df.post == p)]
        return float(np.average(cell.y, weights=None if weights is None else cell[weights]))

    return (mean(1, 1) - mean(1, 0)) - (mean(0, 1) - mean(0, 0))


@pytest.mark.parametrize("weights", [None, "w"])
def test_saturated_did_equals_cell_means_and_statsmodels_cluster_se(
    weights: str | None,
) -> None:
    df = _panel(effect=0.4)
    res = did_ols(df, "y", "treated", "post", "unit", weights, wild_bootstrap=False)
    # docs/METHODS.md: in a saturated 2x2, d equals the difference of the four cell means.
    assert res.estimate == pytest.approx(_cell_means_diff(df, weights), abs=TOL)
    # Reference: statsmodels OLS/WLS formula fit with cov_type="cluster", t(G − 1) inference.
    model = (
        smf.ols("y ~ treated * post", df) if weights is None else smf.wls("y ~ treated * post", df, weights=df[weights])
    )
    ref = model.fit(cov_type="cluster", cov_kwds={"groups": df["unit"]}, use_t=True)
    assert res.se == pytest.approx(ref.bse["treated:post"], abs=TOL)
    assert res.p_value == pytest.approx(ref.pvalues["treated:post"], abs=TOL)
    ci = ref.conf_int().loc["treated:post"]
    assert (res.ci_low, res.ci_high) == pytest.approx((ci[0], ci[1]), abs=TOL)
    g = df["unit"].nunique()
    assert res.df == g - 1 and res.n_clusters == g
    t = res.estimate / res.se
    assert res.p_value == pytest.approx(2 * stats.t.sf(abs(t), g - 1), abs=TOL)
    assert (res.n_treated_clusters, res.n_comparison_clusters) == (12, 15)
    assert res.inference_reliable and res.reason is None
    treated_post = df[(df.treated == 1) & (df.post == 1)]
    w = None if weights is None else treated_post[weights]
    assert res.mean_treated_post == pytest.approx(np.average(treated_post.y, weights=w), abs=TOL)


def test_crv1_fit_is_statsmodels_cluster_fit() -> None:
    """The numpy fit behind did_ols and pretrend_check against statsmodels OLS/WLS(cov_type="cluster") on 40
    random designs (binary and centred second regressor, unweighted and weighted, 5-60 clusters, a
    rank-deficient design): coefficients, CRV1 standard errors and residuals to 1e-10 relative (the fit
    repeats statsmodels' own steps, so they agree to the last bit on this machine's numpy)."""
    from statsmodels.regression.linear_model import OLS, WLS

    rng = np.random.default_rng(20)
    for case in range(40):
        g = int(rng.integers(5, 60))
        n = int(rng.integers(3 * g, 12 * g))
        codes = np.unique(rng.integers(0, g, n), return_inverse=True)[1].astype(np.intp)
        tr = (codes % 2).astype(float)
        second = rng.integers(0, 2, n).astype(float) if case % 3 else rng.normal(size=n)
        x = np.column_stack([np.ones(n), tr, second, tr * second])
        if case == 39:
            x[:, 3] = x[:, 1]  # collinear: both take statsmodels' pseudo-inverse
        y = rng.normal(size=n) * rng.uniform(0.1, 30) + 2.0 * tr * second
        w = rng.uniform(1, 40, n).round() if case % 2 else None
        with warnings.catch_warnings():  # statsmodels warns about the rank-deficient case, as it should
            warnings.simplefilter("ignore")
            ref = (OLS(y, x) if w is None else WLS(y, x, weights=w)).fit(
                cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
        beta, bse, resid = crv1_fit(x, y, w, codes)
        np.testing.assert_allclose(beta, ref.params, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(bse, ref.bse, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(resid, ref.resid, rtol=1e-10, atol=1e-10)


def test_did_result_row_and_string_clusters() -> None:
    df = _panel(seed=1)
    df["unit"] = "school-" + df["unit"].astype(str)
    row = did_ols(df, "y", "treated", "post", "unit", reps=199).as_dict()
    for key in (
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "p_value",
        "n_clusters",
        "n_treated_clusters",
        "n_comparison_clusters",
        "mean_treated_pre",
        "mean_treated_post",
        "mean_comparison_pre",
        "mean_comparison_post",
        "inference_reliable",
        "reason",
        "wild_p_value",
    ):
        assert key in row
    # 27 clusters: Rademacher weights
    assert row["wild_weight_type"] == "rademacher" and row["wild_reps"] == 199
    assert 0 <= row["wild_p_value"] <= 1
    frame = pd.DataFrame([row, row])
    assert frame.shape[0] == 2


def test_three_or_fewer_clusters_gives_no_confident_p() -> None:
    # docs/METHODS.md: 3 or fewer clusters on either side -> estimate only, no p, no interval.
    df = _panel(n_treated=3, n_comparison=10, seed=2)
    res = did_ols(df, "y", "treated", "post", "unit")
    assert np.isfinite(res.estimate)
    assert np.isnan(res.p_value) and np.isnan(res.ci_low) and np.isnan(res.ci_high)
    assert np.isnan(res.se) and np.isnan(res.wild_p_value)
    assert not res.inference_reliable and res.reason == "too_few_clusters"
    wb = wild_cluster_bootstrap_p(df, "y", "treated", "post", "unit", reps=99)
    assert np.isnan(wb.p_value) and wb.reason == "too_few_clusters"


def test_few_clusters_use_webb_weights() -> None:
    df = _panel(n_treated=4, n_comparison=5, seed=3)
    res = did_ols(df, "y", "treated", "post", "unit", reps=999)
    assert res.inference_reliable
    assert res.wild_weight_type == "webb" and 0 <= res.wild_p_value <= 1


def test_empty_cell() -> None:
    df = _panel(seed=4)
    df = df[~((df.treated == 1) & (df.post == 1))]
    res = did_ols(df, "y", "treated", "post", "unit")
    assert res.reason == "empty_cell" and np.isnan(res.estimate)
    with pytest.raises(ValueError):
        did_ols(df.assign(post=2), "y", "treated", "post", "unit")


def _slow_wild_p(x, y, codes, col, w, draws) -> tuple[float, float]:
    """Reference: refit WLS and rebuild the CRV1 sandwich, one replication at a time."""
    n, k = x.shape
    g_count = draws.shape[1]
    sw = np.sqrt(w)
    c = g_count / (g_count - 1) * (n - 1) / (n - k)
    bread = np.linalg.inv(x.T @ (x * w[:, None]))

    def t_stat(yv: np.ndarray) -> float:
        beta = np.linalg.lstsq(x * sw[:, None], yv * sw, rcond=None)[0]
        e = yv - x @ beta
        meat = np.zeros((k, k))
        for g in range(g_count):
            m = codes == g
            s = (x[m] * (w[m] * e[m])[:, None]).sum(axis=0)
            meat += np.outer(s, s)
        cov = c * bread @ meat @ bread
        return beta[col] / np.sqrt(cov[col, col])

    t_obs = t_stat(y)
    xr = np.delete(x, col, axis=1)
    yhat = xr @ np.linalg.lstsq(xr * sw[:, None], y * sw, rcond=None)[0]
    u = y - yhat
    hits = sum(abs(t_stat(yhat + u * draws[b, codes])) >= abs(t_obs) for b in range(len(draws)))
    return hits / len(draws), t_obs


@pytest.mark.parametrize(
    ("n_t", "n_c", "kind", "weighted"),
    [(4, 4, "webb", False), (7, 7, "rademacher", True), (4, 6, "auto", True)],
)
def test_wild_bootstrap_equals_slow_loop(n_t: int, n_c: int, kind: str, weighted: bool) -> None:
    df = _panel(n_treated=n_t, n_comparison=n_c, per_cell=3, effect=0.5, seed=n_t + n_c)
    x = np.column_stack([np.ones(len(df)), df.treated, df.post, df.treated * df.post]).astype(float)
    y = df["y"].to_numpy()
    codes = df["unit"].to_numpy()  # 0..G-1, as the slow reference indexes draws
    w = df["w"].to_numpy() if weighted else np.ones(len(df))
    reps, seed = 299, 12345
    fast = wild_cluster_bootstrap(
        x,
        y,
        codes,
        3,
        weights=w if weighted else None,
        reps=reps,
        seed=seed,
        weight_type=kind,
    )
    used = fast.weight_type
    assert used == ("webb" if kind == "auto" else kind)
    draws = bootstrap_weights(np.random.default_rng(seed), reps, n_t + n_c, used)
    p_slow, t_slow = _slow_wild_p(x, y, codes, 3, w, draws)
    assert fast.t_stat == pytest.approx(t_slow, abs=TOL)
    assert fast.p_value == p_slow
    # cluster labels need not be integers: the same sorted order gives the same draws
    labels = np.array([f"school-{c:03d}" for c in codes])
    labelled = wild_cluster_bootstrap(
        x, y, labels, 3, weights=w if weighted else None, reps=reps, seed=seed, weight_type=kind
    )
    assert labelled.p_value == fast.p_value and labelled.n_clusters == n_t + n_c
    # observed t is statsmodels' cluster-robust t
    res = did_ols(
        df,
        "y",
        "treated",
        "post",
        "unit",
        "w" if weighted else None,
        wild_bootstrap=False,
    )
    assert fast.t_stat == pytest.approx(res.estimate / res.se, abs=TOL)


def test_wild_bootstrap_reproducible_and_dataframe_wrapper() -> None:
    df = _panel(seed=5, effect=0.3)
    a = wild_cluster_bootstrap_p(df, "y", "treated", "post", "unit", reps=999, seed=7)
    b = wild_cluster_bootstrap_p(
        df.sample(frac=1.0, random_state=1),
        "y",
        "treated",
        "post",
        "unit",
        reps=999,
        seed=7,
    )
    # same seed, same clusters (sorted labels): row order is irrelevant
    assert a.p_value == b.p_value
    c = did_ols(df, "y", "treated", "post", "unit", reps=999, seed=7)
    assert c.wild_p_value == a.p_value


def test_wild_bootstrap_9999_reps_on_1000_rows_is_fast() -> None:
    df = _panel(n_treated=20, n_comparison=20, per_cell=11, seed=6).head(1000)
    assert len(df) == 1000
    start = time.perf_counter()
    res = wild_cluster_bootstrap_p(df, "y", "treated", "post", "unit")
    assert res.reps == 9999
    assert time.perf_counter() - start < 1.0


def test_wild_bootstrap_p_roughly_uniform_under_null() -> None:
    # Sanity check (Cameron, Gelbach & Miller 2008): with 40 clusters and d = 0 the p-values are
    # roughly uniform. 200 seeded datasets x 199 replications; loose bounds keep this cheap.
    rng = np.random.default_rng(2024)
    g, per = 40, 8
    codes = np.repeat(np.arange(g), per)
    treated = (codes < 20).astype(float)
    post = np.tile(np.repeat([0.0, 1.0], per // 2), g)
    x = np.column_stack([np.ones_like(post), treated, post, treated * post])
    ps = []
    for i in range(200):
        y = rng.normal(0, 0.7, g)[codes] + rng.normal(0, 1 + treated, codes.size)
        ps.append(wild_cluster_bootstrap(x, y, codes, 3, reps=199, seed=i).p_value)
    ps = np.array(ps)
    assert 0.01 <= np.mean(ps <= 0.05) <= 0.11
    assert 0.40 <= np.mean(ps <= 0.5) <= 0.60
    assert stats.kstest(ps, "uniform").pvalue > 0.001


def _yearly(slope_gap: float, seed: int, years: tuple[int, ...] = (2015, 2016, 2017)) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(30):
        treated = int(u < 14)
        level = rng.normal(0, 1)
        for yr in years:
            y = level + 0.2 * (yr - 2015) + slope_gap * treated * (yr - 2015) + rng.normal(0, 0.3)
            rows.append({"unit": u, "treated": treated, "year": yr, "y": y})
    return pd.DataFrame(rows)


# statsmodels OLS/WLS("y ~ year + treated:year + C(unit)", cov_type="cluster", groups=unit, use_t=True) on
# the units seen in 2+ pre years of _yearly(gap, seed=8) with units 0, 7, ..., 28 kept in 2016 only and
# w = 1 + unit % 3: coefficient, se and p of treated:year (75 rows, 25 clusters)
PRETREND_FE_REF = {
    (0.0, None): (0.026675550596602232, 0.0823576238196429, 0.7488203016063603),
    (0.0, "w"): (0.03136448012785218, 0.09067871638721314, 0.7324422398544228),
    (0.6, None): (0.6266755505963183, 0.08235762381964258, 7.569399257935119e-08),
    (0.6, "w"): (0.6313644801278355, 0.09067871638721478, 3.363006318186904e-07),
}


def test_pretrend_check_within_units_against_statsmodels() -> None:
    """The slope gap is identified within units (unit fixed effects); a unit seen in one pre year carries
    no slope and is left out of the clusters."""
    for (gap, weights), (coef, se, p) in PRETREND_FE_REF.items():
        df = _yearly(gap, seed=8)
        df = df[~((df.unit % 7 == 0) & (df.year != 2016))].assign(w=lambda d: 1.0 + d.unit % 3)
        res = pretrend_check(df, "y", "treated", "year", "unit", weights)
        assert res.applicable and res.inference_reliable
        assert (res.n_clusters, res.n_obs, res.n_years, res.df) == (25, 75, 3, 24.0)
        assert res.slope_diff == pytest.approx(coef, abs=TOL)
        assert res.se == pytest.approx(se, abs=TOL)
        assert res.p_value == pytest.approx(p, abs=TOL)
        assert res.significant is (gap > 0)
    # the live reference on the same frame: the fit with unit dummies, one-year units included or not,
    # gives the same coefficient
    df = _yearly(0.6, seed=8)
    df = df[~((df.unit % 7 == 0) & (df.year != 2016))]
    full = smf.ols("y ~ year + treated:year + C(unit)", df).fit()
    assert pretrend_check(df, "y", "treated", "year", "unit").slope_diff == pytest.approx(
        full.params["treated:year"], abs=TOL)


def test_pretrend_not_assessed_when_each_unit_has_one_pre_year() -> None:
    """Each unit seen in ONE pre year, half in 2024 and half in 2026 (two cohorts of schools with different
    pre years pooled): a slope across units compares different schools and "passes" (the pooled fit, p
    0.45); within units there is no slope to compare, so the check is not assessed."""
    rng = np.random.default_rng(3)
    units = np.arange(40)
    treated = (units < 20).astype(int)
    year = np.where(units % 2 == 0, 2024, 2026)
    df = pd.DataFrame({"unit": units, "treated": treated, "year": year,
                       "y": 50 + 8 * (year == 2026) + rng.normal(0, 3, units.size)})
    pooled = smf.ols("y ~ treated * I(year - year.mean())", df).fit(
        cov_type="cluster", cov_kwds={"groups": df["unit"]}, use_t=True)
    assert pooled.pvalues["treated:I(year - year.mean())"] > 0.05  # the old, pooled check "passed"
    res = pretrend_check(df, "y", "treated", "year", "unit")
    assert not res.applicable and res.reason == "fewer_than_two_pre_years"
    assert res.significant is None and np.isnan(res.p_value) and np.isnan(res.slope_diff)
    assert res.n_clusters == 0


def test_pretrend_not_applicable_or_unreliable() -> None:
    one_year = _yearly(0.0, seed=9, years=(2016,))
    res = pretrend_check(one_year, "y", "treated", "year", "unit")
    assert not res.applicable and res.reason == "fewer_than_two_pre_years"
    assert res.significant is None and np.isnan(res.p_value)
    few = _yearly(0.0, seed=10)
    few = few[(few.treated == 0) | (few.unit < 2)]
    res2 = pretrend_check(few, "y", "treated", "year", "unit")
    assert res2.applicable and not res2.inference_reliable and res2.reason == "too_few_clusters"
    assert np.isnan(res2.p_value) and res2.significant is None


def test_wild_bootstrap_many_clusters_agrees_with_t_and_stays_small() -> None:
    # With thousands of clusters the wild bootstrap-t and the CRV1 t(G − 1) p-values converge
    # (Cameron, Gelbach & Miller 2008); this also exercises the blocked draws (G > 400).
    rng = np.random.default_rng(21)
    g = 3000
    codes = np.repeat(np.arange(g), 2)
    treated = (codes < 1500).astype(float)
    post = np.tile([0.0, 1.0], g)
    y = rng.normal(0, 1, g)[codes] + 0.05 * treated * post + rng.normal(0, 1, codes.size)
    df = pd.DataFrame({"y": y, "treated": treated, "post": post, "unit": codes})
    res = did_ols(df, "y", "treated", "post", "unit", wild_bootstrap=True, reps=1999)
    assert abs(res.wild_p_value - res.p_value) < 0.03


def test_single_cluster_per_side_gives_cell_mean_difference_without_error():
    """One programme and one comparison school: no fit (it would divide by zero), estimate = cell means."""
    import pandas as pd

    from analysis.stats import did_ols

    df = pd.DataFrame({"u": [1, 1, 2, 2], "t": [1, 1, 0, 0], "p": [0, 1, 0, 1], "y": [10.0, 14.0, 9.0, 10.5]})
    res = did_ols(df, "y", "t", "p", "u")
    assert res.estimate == pytest.approx((14 - 10) - (10.5 - 9), abs=1e-12)
    assert res.reason == "too_few_clusters" and np.isnan(res.p_value) and np.isnan(res.se)
