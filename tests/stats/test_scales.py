"""Cronbach's alpha, the Feldt interval, reverse coding and the motivation index."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.stats import (
    cronbach_alpha,
    cronbach_alpha_from_variances,
    feldt_ci,
    motivation_index,
    reverse_code,
    scale_reliability,
)

TOL = 1e-9


def _likert(n: int, k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    trait = rng.normal(size=(n, 1))
    return np.clip(np.rint(3 + trait + rng.normal(scale=0.9, size=(n, k))), 1, 5)


def _alpha_two_way_anova(x: np.ndarray) -> float:
    # Independent route (Hoyt 1941): alpha = 1 − MS_residual / MS_respondents of the two-way
    # respondents x items ANOVA without interaction (= ICC(3,k), Shrout & Fleiss 1979).
    n, k = x.shape
    grand = x.mean()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_res = ((x - grand) ** 2).sum() - ss_rows - ss_cols
    return 1 - (ss_res / ((n - 1) * (k - 1))) / (ss_rows / (n - 1))


def test_alpha_matches_anova_route() -> None:
    for seed, (n, k) in enumerate([(50, 4), (300, 6), (12, 10)]):
        x = _likert(n, k, seed)
        assert cronbach_alpha(x) == pytest.approx(_alpha_two_way_anova(x), abs=TOL)


def test_alpha_listwise_deletion_and_frames() -> None:
    x = _likert(100, 5, 7)
    with_gaps = x.copy()
    with_gaps[[3, 10, 50], [0, 4, 2]] = np.nan
    complete = np.delete(x, [3, 10, 50], axis=0)
    assert cronbach_alpha(with_gaps) == pytest.approx(_alpha_two_way_anova(complete), abs=TOL)
    assert cronbach_alpha(pd.DataFrame(x)) == pytest.approx(cronbach_alpha(x), abs=TOL)
    rel = scale_reliability(with_gaps)
    assert rel["n"] == 97 and rel["k"] == 5
    assert np.isnan(cronbach_alpha(x[:1]))
    assert np.isnan(cronbach_alpha(x[:, :1]))


def test_alpha_from_variances_vectorised() -> None:
    xs = [_likert(80, 6, s) for s in range(4)]
    k = np.full(4, 6)
    item = np.array([x.var(axis=0, ddof=1).sum() for x in xs])
    total = np.array([x.sum(axis=1).var(ddof=1) for x in xs])
    np.testing.assert_allclose(
        cronbach_alpha_from_variances(k, item, total),
        [cronbach_alpha(x) for x in xs],
        atol=TOL,
    )


def test_feldt_worked_check() -> None:
    # docs/METHODS.md: α = 0.80, n = 200, k = 6 -> [0.754, 0.840].
    lo, hi = feldt_ci(0.80, 200, 6)
    assert (round(lo, 3), round(hi, 3)) == (0.754, 0.840)
    lo90, hi90 = feldt_ci(0.80, 200, 6, level=0.90)
    assert lo < lo90 < 0.80 < hi90 < hi
    arr_lo, _ = feldt_ci(np.array([0.8, 0.7]), np.array([200, 50]), 6)
    assert arr_lo[0] == pytest.approx(lo, abs=TOL)


def test_scale_reliability_warning() -> None:
    # unrelated items
    weak = np.random.default_rng(2).integers(1, 6, size=(200, 4)).astype(float)
    rel = scale_reliability(weak)
    assert rel["low_reliability"] is True
    assert rel["alpha_ci_low"] < rel["alpha"] < rel["alpha_ci_high"]
    assert scale_reliability(_likert(300, 8, 1))["low_reliability"] is False


def test_reverse_code_and_motivation_index() -> None:
    assert list(reverse_code(np.array([1, 2, 3, 4, 5]), 1, 5)) == [5, 4, 3, 2, 1]
    assert reverse_code(2, 1, 4) == 3
    items = pd.DataFrame(
        {"m1": [4, 5, np.nan], "m2": [2, 1, 3], "m3": [5, 5, 4]},
        index=["s1", "s2", "s3"],
    )
    idx = motivation_index(items, reverse=["m2"], min_value=1, max_value=5)
    # m2 reversed: 4, 5, 3 -> means (4+4+5)/3, (5+5+5)/3, NaN (one item missing, all required)
    assert list(idx.index) == ["s1", "s2", "s3"]
    assert idx["s1"] == pytest.approx(13 / 3, abs=TOL) and idx["s2"] == 5.0
    assert np.isnan(idx["s3"])
    relaxed = motivation_index(items, reverse=["m2"], min_value=1, max_value=5, min_items=2)
    assert relaxed["s3"] == pytest.approx(3.5, abs=TOL)
    assert np.allclose(motivation_index(np.array([[1, 2], [3, 5]])), [1.5, 4.0])
    with pytest.raises(ValueError):
        motivation_index(items, reverse=["m2"])
