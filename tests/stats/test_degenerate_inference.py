"""Never a confident wrong number (issue 14): degenerate and few-cluster inference gives no p-value, no
interval and a reason, and the wild bootstrap enumerates its weights where it can (exact p-values,
checked against the peer package ``wildboottest``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from analysis.stats.did import (
    did_ols,
    enumerated_weights,
    pretrend_check,
    wild_cluster_bootstrap,
    wild_cluster_bootstrap_p,
)
from analysis.stats.effect_sizes import hedges_g, small_sample_correction


def _panel(n_treated: int, n_comparison: int, outcome, per_cell: int = 5, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(n_treated + n_comparison):
        tr = int(g < n_treated)
        shock = rng.normal()
        for post in (0, 1):
            for _ in range(per_cell):
                rows.append((g, tr, post, outcome(rng, tr, post, shock)))
    return pd.DataFrame(rows, columns=["school", "treated", "post", "y"])


@pytest.mark.parametrize("value", [0.0, 37.25])
def test_an_outcome_that_never_varies_gets_no_p_and_no_interval(value):
    df = _panel(10, 10, lambda rng, tr, post, shock: value)
    r = did_ols(df, "y", "treated", "post", "school")
    assert r.estimate == pytest.approx(0.0, abs=1e-9)
    assert r.reason == "no_variation" and not r.inference_reliable
    for v in (r.se, r.p_value, r.ci_low, r.ci_high, r.wild_p_value):
        assert np.isnan(v)
    wb = wild_cluster_bootstrap_p(df, "y", "treated", "post", "school")
    assert np.isnan(wb.p_value) and wb.reason == "no_variation"


def test_cells_constant_but_different_get_the_estimate_without_inference():
    df = _panel(8, 8, lambda rng, tr, post, shock: 10.0 + 3.0 * tr * post)
    r = did_ols(df, "y", "treated", "post", "school")
    assert r.estimate == pytest.approx(3.0, abs=1e-12)
    assert r.reason == "no_variation" and np.isnan(r.p_value) and np.isnan(r.ci_low)


def _design(df: pd.DataFrame) -> np.ndarray:
    return np.column_stack([np.ones(len(df)), df.treated, df.post, df.treated * df.post]).astype(float)


def test_array_bootstrap_refuses_missing_values_and_one_treated_cluster():
    df = _panel(10, 10, lambda rng, tr, post, shock: 50 + shock + rng.normal())
    y = df.y.to_numpy().copy()
    y[3] = np.nan
    wb = wild_cluster_bootstrap(_design(df), y, df.school, 3)
    assert np.isnan(wb.p_value) and wb.reason == "missing_values"
    one = _panel(1, 19, lambda rng, tr, post, shock: 50 + shock + rng.normal())
    wb = wild_cluster_bootstrap(_design(one), one.y, one.school, 3)
    assert np.isnan(wb.p_value) and wb.reason == "too_few_clusters"


def test_pretrend_with_one_unit_a_side_and_two_years_is_an_answer_not_a_traceback():
    df = pd.DataFrame({"unit": [1, 1, 2, 2], "treated": [1, 1, 0, 0], "year": [2017, 2018, 2017, 2018],
                       "y": [3.0, 2.0, 4.0, 4.5]})
    r = pretrend_check(df, "y", "treated", "year", "unit")
    assert r.reason == "too_few_clusters" and r.significant is None and np.isnan(r.p_value)
    assert r.slope_diff == pytest.approx((2.0 - 3.0) - (4.5 - 4.0))


def test_hedges_g_with_three_observations_is_undefined_not_zero():
    assert np.isnan(small_sample_correction(3))
    assert np.isnan(hedges_g(2, 1, 5.0, 3.0, 1.0, 0.0))
    assert small_sample_correction(4) == pytest.approx(1 - 3 / 7)


def test_enumerated_weights_are_every_distinct_vector_once():
    every = enumerated_weights(4, "rademacher")
    assert every.shape == (16, 4) and len({tuple(r) for r in every}) == 16
    webb = enumerated_weights(2, "webb")
    assert webb.shape == (36, 2) and len({tuple(r) for r in webb}) == 36


def test_twelve_clusters_are_enumerated_and_the_p_is_exact_whatever_the_seed():
    df = _panel(6, 6, lambda rng, tr, post, shock: 50 + 2 * tr + post + 1.2 * tr * post + shock + rng.normal())
    a = wild_cluster_bootstrap(_design(df), df.y, df.school, 3, seed=1)
    b = wild_cluster_bootstrap(_design(df), df.y, df.school, 3, seed=99)
    assert a.enumerated and a.reps == 2 ** 12 and a.seed is None and a.weight_type == "rademacher"
    assert a.p_value == b.p_value and (a.p_value * 4096) == pytest.approx(round(a.p_value * 4096), abs=1e-9)
    assert a.p_value >= 2 / 4096  # the observed draw and its mirror are always among the extreme ones
    c = wild_cluster_bootstrap(_design(df), df.y, df.school, 3, reps=999)  # fewer draws than vectors: random
    assert not c.enumerated and c.reps == 999


@pytest.mark.parametrize("seed", [3, 4])
def test_enumerated_p_matches_the_peer_package_wildboottest(seed):
    """wildboottest (Fischer & Roodman's Python port) enumerates all 2^G Rademacher vectors when 2^G < B;
    it counts |t*| > |t| strictly, LabLens counts ties (the observed draw and its mirror) as extreme, as
    Stata's boottest does; so LabLens' count is the peer's count plus its own ties."""
    pytest.importorskip("wildboottest")
    from wildboottest.wildboottest import WildboottestCL

    df = _panel(5, 5, lambda rng, tr, post, shock: 50 + 2 * tr + post + 1.5 * tr * post + shock + rng.normal(),
                per_cell=6, seed=seed)
    x = _design(df)
    ours = wild_cluster_bootstrap(x, df.y, df.school, 3, weight_type="rademacher")
    peer = WildboottestCL(X=x, Y=df.y.to_numpy(), cluster=df.school.to_numpy(), R=np.array([0, 0, 0, 1.0]),
                          B=99999, seed=1, parallel=False)
    peer.get_scores(bootstrap_type="11", impose_null=True)
    peer.get_weights(weights_type="rademacher")
    peer.get_numer()
    peer.get_denom()
    peer.get_tboot()
    peer.get_vcov()
    peer.get_tstat()
    peer.get_pvalue()
    t_boot = np.asarray(peer.t_boot).ravel()
    assert t_boot.size == 2 ** 10 == ours.reps
    assert float(np.ravel(peer.t_stat)[0]) == pytest.approx(ours.t_stat, rel=1e-9)
    ties = int(np.sum(np.isclose(np.abs(t_boot), abs(ours.t_stat), rtol=1e-9, atol=0)))
    assert ties >= 2
    assert round(ours.p_value * ours.reps) == round(float(peer.pvalue) * t_boot.size) + ties


def test_enumerated_p_matches_brute_force_refits_with_statsmodels():
    """Independent of LabLens' vectorised algebra: refit the model for every one of the 2^9 weight vectors
    with statsmodels' CRV1 and count |t*| >= |t|."""
    df = _panel(4, 5, lambda rng, tr, post, shock: 40 + tr + post + 0.8 * tr * post + shock + rng.normal(),
                per_cell=4, seed=7)
    x, y, g = _design(df), df.y.to_numpy(), df.school.to_numpy()
    ours = wild_cluster_bootstrap(x, y, g, 3, weight_type="rademacher")
    fit = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": g})
    t_obs = fit.params[3] / fit.bse[3]
    restricted = sm.OLS(y, x[:, :3]).fit()
    extreme = 0
    for v in enumerated_weights(9, "rademacher"):
        y_star = restricted.fittedvalues + v[g] * restricted.resid
        f = sm.OLS(y_star, x).fit(cov_type="cluster", cov_kwds={"groups": g})
        extreme += abs(f.params[3] / f.bse[3]) >= abs(t_obs) * (1 - 1e-9)
    assert ours.t_stat == pytest.approx(t_obs, rel=1e-9)
    assert ours.p_value == extreme / 512


def test_a_monte_carlo_p_is_never_zero():
    """With random draws (G > 13 clusters) and no draw as extreme as the observed t, p is its bound 1/(B+1)."""
    df = _panel(8, 8, lambda rng, tr, post, shock: 50 + 40 * tr * post + 0.1 * shock + rng.normal(0, 0.01))
    wb = wild_cluster_bootstrap(_design(df), df.y, df.school, 3, reps=999, weight_type="webb")
    assert not wb.enumerated and wb.p_value == pytest.approx(1 / 1000)


@pytest.mark.parametrize("shift", [0.0, 5.0])
def test_pre_post_without_spread_gets_no_p_and_no_interval(shift):
    """Every student changing by the same amount (or not at all) leaves no spread of the differences: the paired
    and Welch t have a zero standard error, which gave p = 0 and a zero-width interval [shift, shift] through
    compare() (a demo whose scores rise by 5 each year). No p-value and no interval instead; the difference
    itself is still reported."""
    from analysis.stats import paired_from_stats, welch_from_stats

    paired = paired_from_stats([40, 40], [shift, 2.0], [0.0, 3.0], [50.0, 50.0], [8.0, 8.0], [50.0 + shift, 52.0],
                               [8.0, 8.5]).iloc[0]
    welch = welch_from_stats([30, 30], [500.0 + shift, 503.0], [0.0, 9.0], [25, 25], [500.0, 500.0],
                             [0.0, 8.0]).iloc[0]
    for r in (paired, welch):
        assert r["diff"] == pytest.approx(shift)
        for v in (r["p_value"], r["diff_ci_low"], r["diff_ci_high"], r["t"]):
            assert np.isnan(v), r.to_dict()
    spread = paired_from_stats([40], [2.0], [3.0], [50.0], [8.0], [52.0], [8.5]).iloc[0]  # a spread: an answer
    assert spread["p_value"] == pytest.approx(2 * stats.t.sf(2.0 / (3.0 / np.sqrt(40)), 39), rel=1e-12)
