"""analysis.stats.trial against statsmodels (ITT: OLS with block dummies, CRV1) and a hand 2SLS (CACE)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats as sps

from analysis.stats.trial import rct_ancova


def _trial(seed: int = 7, schools: int = 40, per: int = 12, blocks: int = 4, effect: float = 0.3):
    rng = np.random.default_rng(seed)
    school = np.repeat(np.arange(schools), per)
    block = school % blocks
    assigned_school = np.zeros(schools)
    for b in range(blocks):  # half of each block's schools assigned
        idx = rng.permutation(np.flatnonzero(np.arange(schools) % blocks == b))
        assigned_school[idx[: len(idx) // 2]] = 1
    z = assigned_school[school]
    received_school = np.where(assigned_school == 1, rng.random(schools) < 0.8, rng.random(schools) < 0.1)
    d = received_school[school].astype(float)
    u = rng.normal(0, 0.45, schools)[school]
    pre = rng.normal(0, 1, school.size) + u
    post = 0.6 * pre + effect * d + 0.2 * block + u + rng.normal(0, 0.8, school.size)
    return pd.DataFrame({"y": post, "z": z, "d": d, "pre": pre, "block": block.astype(str), "school": school})


def test_itt_matches_statsmodels_ols_with_block_dummies_crv1():
    df = _trial()
    got = rct_ancova(df["y"], df["z"], df["school"], baseline=df["pre"], blocks=df["block"], wild_bootstrap=False)
    ref = smf.ols("y ~ z + pre + C(block)", df).fit(cov_type="cluster", cov_kwds={"groups": df["school"]})
    assert got.estimate == pytest.approx(ref.params["z"], abs=1e-9)
    assert got.se == pytest.approx(ref.bse["z"], abs=1e-9)
    t = ref.params["z"] / ref.bse["z"]
    assert got.p_value == pytest.approx(2 * sps.t.sf(abs(t), 39), abs=1e-9)
    assert got.df == 39 and got.n_treated_clusters == 20 and got.n_comparison_clusters == 20
    assert got.wild_reps == 0


def test_school_level_is_hc1():
    """One observation per school: CRV1 with singleton clusters is HC1."""
    df = _trial().groupby("school", as_index=False).agg(y=("y", "mean"), z=("z", "first"), pre=("pre", "mean"),
                                                           block=("block", "first"))
    got = rct_ancova(df["y"], df["z"], df["school"], baseline=df["pre"], blocks=df["block"], wild_bootstrap=False)
    ref = smf.ols("y ~ z + pre + C(block)", df).fit(cov_type="HC1")
    assert got.estimate == pytest.approx(ref.params["z"], abs=1e-9)
    assert got.se == pytest.approx(ref.bse["z"], abs=1e-9)


def test_cace_is_the_wald_ratio_with_the_2sls_cluster_se():
    df = _trial()
    got = rct_ancova(df["y"], df["z"], df["school"], baseline=df["pre"], blocks=df["block"], received=df["d"],
                     wild_bootstrap=False)
    itt = smf.ols("y ~ z + pre + C(block)", df).fit().params["z"]
    first = smf.ols("d ~ z + pre + C(block)", df).fit().params["z"]
    assert got.cace == pytest.approx(itt / first, abs=1e-9)
    assert got.compliance == pytest.approx(first, abs=1e-12)
    # 2SLS the textbook way: X̂ = P_Z X, β = (X̂'X̂)⁻¹X̂'y, sandwich with the structural residuals
    zmat = np.column_stack([np.ones(len(df)), df["z"], df["pre"] - df["pre"].mean(),
                            pd.get_dummies(df["block"], drop_first=True, dtype=float)])
    xmat = zmat.copy()
    xmat[:, 1] = df["d"]
    xhat = zmat @ np.linalg.lstsq(zmat, xmat, rcond=None)[0]
    a = np.linalg.inv(xhat.T @ xhat)
    beta = a @ xhat.T @ df["y"].to_numpy()
    u = df["y"].to_numpy() - xmat @ beta
    sums = pd.DataFrame(xhat * u[:, None]).groupby(df["school"].to_numpy()).sum().to_numpy()
    meat = sum(np.outer(s, s) for s in sums)
    n, k, g = len(df), xmat.shape[1], df["school"].nunique()
    v = g / (g - 1) * (n - 1) / (n - k) * a @ meat @ a
    assert got.cace == pytest.approx(beta[1], abs=1e-9)
    assert got.cace_se == pytest.approx(np.sqrt(v[1, 1]), abs=1e-9)
    assert got.cace_ci_low < got.cace < got.cace_ci_high


def test_degenerate_trials_get_no_inference():
    df = _trial(schools=6, blocks=1)
    few = rct_ancova(df["y"], df["z"], df["school"], baseline=df["pre"], received=df["d"])
    assert few.reason == "too_few_clusters" and np.isnan(few.p_value) and np.isnan(few.se)
    assert np.isfinite(few.estimate) and np.isnan(few.cace_p_value) and few.cace_reason == "too_few_clusters"
    df = _trial()
    flat = rct_ancova(np.full(len(df), 3.0), df["z"], df["school"], blocks=df["block"])
    assert flat.reason == "no_variation" and np.isnan(flat.p_value)
    one_arm = rct_ancova(df["y"], np.zeros(len(df)), df["school"])
    assert one_arm.reason == "empty_arm" and np.isnan(one_arm.estimate)
    nofirst = rct_ancova(df["y"], df["z"], df["school"], received=np.zeros(len(df)), wild_bootstrap=False)
    assert nofirst.cace_reason == "no_first_stage" and np.isnan(nofirst.cace) and np.isfinite(nofirst.p_value)


def test_wild_bootstrap_below_30_schools_a_side():
    df = _trial(schools=16, blocks=2)
    got = rct_ancova(df["y"], df["z"], df["school"], baseline=df["pre"], blocks=df["block"], reps=999)
    assert got.wild_weight_type == "rademacher" and 0 < got.wild_p_value <= 1
    assert got.wild_reps == 999
