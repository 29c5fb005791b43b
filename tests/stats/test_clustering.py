"""WWC clustering correction (docs/METHODS.md worked check) and ICC(1) against statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.stats.anova import anova_lm

from analysis.stats import (
    ICC_ACHIEVEMENT,
    ICC_OTHER,
    icc_from_summary,
    icc_oneway,
    t_from_g,
    wwc_cluster_correction,
)

TOL = 1e-9


def test_wwc_worked_check() -> None:
    # docs/METHODS.md: g = 0.30, 200 + 200 students in 20 schools of 20, ρ = 0.20:
    # t = 3.0, naive p = 0.0029; t_A = 1.356, h = 231.7, corrected p = 0.176.
    t = t_from_g(0.30, 200, 200)
    assert t == pytest.approx(3.0, abs=TOL)
    row = wwc_cluster_correction(t, 400, 20, ICC_ACHIEVEMENT).iloc[0]
    assert round(row["p_value"], 4) == 0.0029
    assert row["df"] == 398
    assert round(row["t_adjusted"], 3) == 1.356
    assert round(row["df_adjusted"], 1) == 231.7
    assert round(row["p_value_adjusted"], 3) == 0.176
    assert (ICC_ACHIEVEMENT, ICC_OTHER) == (0.20, 0.10)


def test_wwc_no_clustering_is_identity_and_vectorised() -> None:
    tab = wwc_cluster_correction(
        np.array([1.0, -2.5, 3.0]),
        400,
        np.array([20, 20, 1]),
        np.array([0.0, 0.0, 0.3]),
    )
    np.testing.assert_allclose(tab["t_adjusted"], [1.0, -2.5, 3.0], atol=TOL)
    np.testing.assert_allclose(tab["df_adjusted"], [398, 398, 398], atol=TOL)
    # undefined when (N − 2) − 2(m − 1)ρ ≤ 0
    assert np.isnan(wwc_cluster_correction(2.0, 6, 5, 0.9)["t_adjusted"].iloc[0])


def _icc_reference(y: np.ndarray, g: np.ndarray) -> float:
    # MSB and MSW from statsmodels' one-way ANOVA table; n0 from Snedecor & Cochran.
    data = pd.DataFrame({"y": y, "g": g})
    table = anova_lm(smf.ols("y ~ C(g)", data).fit())
    msb, msw = table["mean_sq"].iloc[0], table["mean_sq"].iloc[1]
    sizes = data.groupby("g").size().to_numpy()
    n, j = sizes.sum(), sizes.size
    n0 = (n - (sizes**2).sum() / n) / (j - 1)
    return max((msb - msw) / (msb + (n0 - 1) * msw), 0.0)


def test_icc_unequal_sizes_matches_anova_table() -> None:
    rng = np.random.default_rng(11)
    sizes = rng.integers(2, 40, 30)
    g = np.repeat(np.arange(30), sizes)
    y = rng.normal(size=30)[g] * 0.6 + rng.normal(size=g.size)
    assert icc_oneway(y, g) == pytest.approx(_icc_reference(y, g), abs=TOL)
    # from DuckDB-style summaries
    frame = pd.DataFrame({"y": y, "g": g}).groupby("g")["y"].agg(["size", "mean", "var"])
    assert icc_from_summary(frame["size"], frame["mean"], frame["var"]) == pytest.approx(icc_oneway(y, g), abs=TOL)


def test_icc_balanced_matches_mixedlm_reml() -> None:
    # Balanced one-way design: the ANOVA estimator equals REML when positive (Searle et al. 1992).
    rng = np.random.default_rng(12)
    g = np.repeat(np.arange(25), 12)
    y = rng.normal(size=25)[g] * 0.5 + rng.normal(size=g.size)
    fit = smf.mixedlm("y ~ 1", pd.DataFrame({"y": y, "g": g}), groups="g").fit(reml=True)
    tau2, sigma2 = float(fit.cov_re.iloc[0, 0]), float(fit.scale)
    assert icc_oneway(y, g) == pytest.approx(tau2 / (tau2 + sigma2), abs=1e-5)


def test_icc_clipped_at_zero_and_missing_values() -> None:
    g = np.repeat(np.arange(4), 3)
    y = np.tile([1.0, 2.0, 3.0], 4)  # identical group means: MSB = 0 < MSW
    assert icc_oneway(y, g) == 0.0
    y2 = y.copy()
    y2[0] = np.nan
    assert icc_oneway(y2, g) == 0.0
    assert np.isnan(icc_oneway([1.0, 2.0], ["a", "a"]))  # one group only
