"""Partial pooling (analysis.stats.pooling) against published and independent references."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.stats.meta_analysis import combine_effects

from analysis import stats
from analysis.stats import pooling

# Efron & Morris (1975), JASA 70:311–319; Efron & Morris (1977), Scientific American 236(5), table "Batting
# averages": hits in the first 45 at bats of 1970 for 18 players (Clemente ... Alvis) and their James–Stein
# estimates, shrinkage factor c = 0.212 (computed with the grand mean rounded to 0.265)
HITS = np.array([18, 17, 16, 15, 14, 14, 13, 12, 11, 11, 10, 10, 10, 10, 10, 9, 8, 7])
JAMES_STEIN = np.array([.294, .289, .285, .280, .275, .275, .270, .265, .261, .261, .256, .256, .256, .256, .256,
                        .251, .247, .242])


def test_equal_variances_reproduce_efron_morris_baseball():
    y = HITS / 45
    v = np.full(len(y), y.mean() * (1 - y.mean()) / 45)  # binomial variance at the grand mean
    res = stats.partial_pool(y, v)
    rows = res.summary_frame()
    assert res.reason is None and res.k == 18
    assert 1 - rows["shrinkage"].iloc[0] == pytest.approx(0.212, abs=5e-4)
    # the closed form of the equal-variance case, B = (k − 3)V/S (positive-part James–Stein)
    s = ((y - y.mean()) ** 2).sum()
    assert rows["shrinkage"].to_numpy() == pytest.approx(np.full(18, 15 * v[0] / s), rel=1e-9)
    assert rows["pooled"].to_numpy() == pytest.approx(JAMES_STEIN, abs=1e-3)
    # Morris's variance by hand for Clemente: V(1 − (k−1)/k·B) + 2/(k−3)·B²(y − ȳ)²
    b = 15 * v[0] / s
    by_hand = v[0] * (1 - 17 / 18 * b) + 2 / 15 * b ** 2 * (y[0] - y.mean()) ** 2
    assert rows["pooled_se"].iloc[0] ** 2 == pytest.approx(by_hand, rel=1e-9)
    assert rows["pooled_ci_high"].iloc[0] - rows["pooled_ci_low"].iloc[0] == pytest.approx(
        2 * 1.959964 * np.sqrt(by_hand), rel=1e-6)


def test_between_group_variance_is_statsmodels_paule_mandel():
    rng = np.random.default_rng(3)
    y, v = rng.normal(0.3, 0.2, 9), rng.uniform(0.01, 0.05, 9)
    ref = combine_effects(y, v, method_re="pm")
    assert pooling.morris_a(y, v)[0] == pytest.approx(ref.tau2, rel=1e-7)
    res = stats.partial_pool(y, v)
    assert res.a == pytest.approx(ref.tau2, rel=1e-7)
    assert res.mu == pytest.approx(ref.mean_effect_re, rel=1e-7)  # the random-effects mean


def test_shrinkage_given_the_variances_is_the_mixedlm_blup():
    """Random-intercept model on simulated students in 10 territories of unequal size: intercept + predicted
    random effect (statsmodels MixedLM, REML) equals the shrinkage of the territory means with its variances."""
    rng = np.random.default_rng(11)
    sizes = rng.integers(4, 40, 10)
    group = np.repeat(np.arange(10), sizes)
    y = 0.3 + rng.normal(0, 0.25, 10)[group] + rng.normal(0, 1.0, group.size)
    data = pd.DataFrame({"y": y, "g": group})
    fit = smf.mixedlm("y ~ 1", data, groups="g").fit(reml=True)
    tau2, sigma2 = float(fit.cov_re.iloc[0, 0]), float(fit.scale)
    means = data.groupby("g")["y"].mean().to_numpy()
    theta, mu = pooling.shrink_given_a(means, sigma2 / sizes, tau2)
    blup = fit.fe_params["Intercept"] + np.array([fit.random_effects[g].iloc[0] for g in range(10)])
    assert mu == pytest.approx(fit.fe_params["Intercept"], abs=1e-6)
    assert theta == pytest.approx(blup, abs=1e-6)


def test_degenerate_sets_give_reasons_never_zero_width():
    three = stats.partial_pool([0.1, 0.2, 0.3], [0.01, 0.01, 0.01])
    assert three.reason == "too_few_groups" and three.frame["pooled"].isna().all()
    assert (three.frame["reason"] == "too_few_groups").all()
    one = stats.partial_pool([0.4], [0.02])
    assert one.reason == "too_few_groups" and np.isnan(one.mu)
    same = stats.partial_pool([0.25] * 6, [0.01, 0.02, 0.01, 0.03, 0.02, 0.01])
    assert same.a == 0.0 and same.reason is None
    width = same.frame["pooled_ci_high"] - same.frame["pooled_ci_low"]
    assert (width > 0.1).all()  # A = 0 still leaves the uncertainty of the mean and of A
    assert same.frame["pooled"].to_numpy() == pytest.approx(np.full(6, 0.25))
    gaps = stats.partial_pool([0.1, np.nan, 0.3, 0.2, 0.5, 0.4], [0.01, 0.01, np.nan, 0.02, 0.0, 0.01])
    assert list(gaps.frame["reason"]) == ["too_few_groups", "no_estimate", "no_variance", "too_few_groups",
                                         "no_variance", "too_few_groups"]
    assert gaps.k == 3 and gaps.reason == "too_few_groups"
    with pytest.raises(ValueError):
        pooling.pool_arrays([[0.1, 0.2, 0.3]], [[0.01, 0.01, 0.01]])


def test_intervals_cover_the_territory_effects():
    """Seeded, vectorised: 3,000 sets of 12 territories, effects N(0.3, 0.15²), standard errors 0.08–0.30;
    the 95% pooled intervals cover 93–97% of the true effects (bench/pooling_coverage.py runs a bigger grid)."""
    rng = np.random.default_rng(20261206)
    reps, k = 3000, 12
    s = rng.uniform(0.08, 0.30, (reps, k))
    theta = 0.3 + 0.15 * rng.standard_normal((reps, k))
    y = theta + s * rng.standard_normal((reps, k))
    res = pooling.pool_arrays(y, s ** 2)
    covered = (res["low"] <= theta) & (theta <= res["high"])
    assert 0.93 <= covered.mean() <= 0.97
    # narrower than the territories' own intervals: borrowing strength is the point
    assert (res["high"] - res["low"]).mean() < (2 * 1.96 * s).mean()
