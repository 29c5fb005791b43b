"""Benjamini–Hochberg q-values against statsmodels' independent implementation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from analysis.stats import bh_qvalues


def test_bh_matches_statsmodels_fdr_bh() -> None:
    # Reference: statsmodels.stats.multitest.multipletests(method="fdr_bh") (Benjamini–Hochberg 1995).
    p = np.random.default_rng(5).uniform(size=300) ** 3
    np.testing.assert_allclose(bh_qvalues(p), multipletests(p, method="fdr_bh")[1], atol=1e-12)


def test_bh_nan_aware_and_keeps_index() -> None:
    p = pd.Series([0.01, np.nan, 0.04, 0.03, np.nan], index=list("abcde"), name="p")
    q = bh_qvalues(p)
    assert isinstance(q, pd.Series) and list(q.index) == list("abcde") and q.name == "p"
    assert q.isna().tolist() == [False, True, False, False, True]
    # NaNs are not in the family
    ref = multipletests([0.01, 0.04, 0.03], method="fdr_bh")[1]
    np.testing.assert_allclose(q.dropna().to_numpy(), ref, atol=1e-12)
    assert np.isnan(bh_qvalues([np.nan, np.nan])).all()
    assert bh_qvalues(0.2) == pytest.approx(0.2)
    with pytest.raises(ValueError):
        bh_qvalues([0.5, 1.5])


def test_bh_is_bit_identical_to_scipy() -> None:
    """The numpy steps give scipy.stats.false_discovery_control(method="bh")'s values to the last bit (compare()'s
    golden hashes depend on it), with ties, ones and a single p-value."""
    from scipy import stats

    rng = np.random.default_rng(11)
    for n in (1, 2, 3, 7, 50, 400):
        p = rng.uniform(size=n) ** 3
        p[: n // 3] = p[n // 3] if n > 3 else p[: n // 3]  # ties
        p[-1:] = 1.0 if n > 2 else p[-1:]
        assert np.array_equal(bh_qvalues(p), stats.false_discovery_control(p, method="bh")), n
