"""Wilson and Newcombe intervals against scipy and statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep

from analysis.stats import proportion_diff, wilson_ci

TOL = 1e-9


def test_wilson_worked_check() -> None:
    # docs/METHODS.md: 83/100 gives [0.7445, 0.8911].
    lo, hi = wilson_ci(83, 100)
    assert isinstance(lo, float)
    assert (round(lo, 4), round(hi, 4)) == (0.7445, 0.8911)


@pytest.mark.parametrize("level", [0.95, 0.90, 0.99])
def test_wilson_matches_scipy_binomtest_on_all_k(level: float) -> None:
    # Reference: scipy.stats.binomtest(k, n).proportion_ci(method="wilson"), every k for many n.
    ks, ns = [], []
    for n in [1, 2, 3, 5, 7, 10, 19, 30, 57, 100]:
        for k in range(n + 1):
            ks.append(k)
            ns.append(n)
    lo, hi = wilson_ci(np.array(ks), np.array(ns), level=level)
    ref = np.array(
        [tuple(stats.binomtest(k, n).proportion_ci(level, method="wilson")) for k, n in zip(ks, ns, strict=True)]
    )
    np.testing.assert_allclose(lo, ref[:, 0], rtol=0, atol=TOL)
    np.testing.assert_allclose(hi, ref[:, 1], rtol=0, atol=TOL)


def test_wilson_edges() -> None:
    lo, hi = wilson_ci([0, 5, 0], [5, 5, 0])
    assert lo[0] == 0.0 and hi[1] == 1.0
    assert np.isnan(lo[2]) and np.isnan(hi[2])
    with pytest.raises(ValueError):
        wilson_ci(6, 5)


def test_proportion_diff_matches_statsmodels_newcombe() -> None:
    # Reference: statsmodels confint_proportions_2indep(method="newcomb", compare="diff").
    rng = np.random.default_rng(3)
    n1, n2 = rng.integers(1, 300, 200), rng.integers(1, 300, 200)
    k1 = (rng.uniform(size=200) * (n1 + 1)).astype(int).clip(0, n1)
    k2 = (rng.uniform(size=200) * (n2 + 1)).astype(int).clip(0, n2)
    k1[:3], k2[:3] = 0, n2[:3]  # include the 0 and n edges
    tab = proportion_diff(k1, n1, k2, n2)
    assert list(tab.columns) == [
        "pct1",
        "pct2",
        "diff_pp",
        "diff_ci_low",
        "diff_ci_high",
    ]
    lo, hi = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff")
    np.testing.assert_allclose(tab["diff_ci_low"], 100 * lo, rtol=0, atol=1e-7)
    np.testing.assert_allclose(tab["diff_ci_high"], 100 * hi, rtol=0, atol=1e-7)
    np.testing.assert_allclose(tab["diff_pp"], 100 * (k1 / n1 - k2 / n2), atol=1e-7)


def test_proportion_diff_contains_estimate() -> None:
    tab = proportion_diff(45, 60, 30, 60)
    row = tab.iloc[0]
    assert row["diff_pp"] == pytest.approx(25.0, abs=TOL)
    assert row["diff_ci_low"] < 25.0 < row["diff_ci_high"]
