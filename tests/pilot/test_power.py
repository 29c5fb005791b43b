"""MDES of cluster-randomised trials against PowerUpR's published cross-checks and exact power.

References: PowerUpR 1.0 vignette "Cross-checks" (Bulus, Dong, Kelcey & Spybrook), which reproduces the
PowerUp! Excel tool of Dong & Maynard (2013).
"""

from __future__ import annotations

import math

import pytest
from scipy import stats

from analysis.pilot.power import achieved_power, mdes, power_curve, schools_for_mdes


def test_bcra3f2_cross_check():
    # mdes.bcra3f2(power=.80, rho2=.10, n=20, J=44, K=5): MDES 0.145 95% CI [0.043, 0.246], df 210, SE 0.051
    # PowerUpR's J is schools per block: LabLens takes the total, 44 x 5 = 220 schools.
    r = mdes(220, 20, 0.10, blocks=5)
    assert r.df == 210
    assert round(r.mdes, 3) == 0.145
    assert round(r.standard_error, 3) == 0.051
    assert (round(r.ci_low, 3), round(r.ci_high, 3)) == (0.043, 0.246)
    assert r.design == "bcra3f2"


def test_cra2r2_cross_check():
    # mdes.cra2r2(power=.80, rho2=.17, n=15, J=20): MDES 0.629 95% CI [0.183, 1.075], df 18, SE 0.212
    r = mdes(20, 15, 0.17)
    assert (r.df, round(r.mdes, 3), round(r.standard_error, 3)) == (18, 0.629, 0.212)
    assert (round(r.ci_low, 3), round(r.ci_high, 3)) == (0.183, 1.075)
    d = r.as_dict()
    assert {"mdes", "df", "multiplier", "standard_error", "schools", "icc", "students"} <= set(d)
    assert d["multiplier"] == pytest.approx(stats.t.ppf(0.975, 18) + stats.t.ppf(0.8, 18), abs=1e-12)


def test_ira1r1_limit():
    # mdes.ira1r1(power=.80, n=250): MDES 0.356, df 248, SE 0.126 — rho = 0 with one student per school
    r = mdes(250, 1, 0.0)
    assert (r.df, round(r.mdes, 3), round(r.standard_error, 3)) == (248, 0.356, 0.126)


def test_solving_the_number_of_schools():
    # mrss.cra2r2(es=d1$mdes[1], rho2=.17, n=15) -> J = 20; mrss.bcra3f2(es=..., rho2=.10, n=20, J=44) -> K = 5
    target = mdes(20, 15, 0.17).mdes
    assert schools_for_mdes(target, 15, 0.17).schools == 20
    # the published MDES rounded to 0.629 is slightly below 20 schools' 0.62901: the smallest total is 21
    assert schools_for_mdes(0.629, 15, 0.17).schools == 21
    target = mdes(220, 20, 0.10, blocks=5).mdes
    assert schools_for_mdes(target, 20, 0.10, blocks=5).schools == 220
    # smallest: one school fewer does not reach the target
    r = schools_for_mdes(0.30, 25, 0.15, r2_schools=0.5, r2_students=0.4)
    assert r.mdes <= 0.30 < mdes(r.schools - 1, 25, 0.15, r2_schools=0.5, r2_students=0.4).mdes


@pytest.mark.parametrize("kwargs", [
    {"schools": 40, "students": 20, "icc": 0.20},
    {"schools": 24, "students": 30, "icc": 0.10, "blocks": 4, "r2_schools": 0.6, "r2_students": 0.5},
    {"schools": 60, "students": 12, "icc": 0.05, "treated_share": 0.3, "covariates": 2},
])
def test_exact_power_at_the_mdes_is_the_target(kwargs):
    """At the MDES, the exact power (noncentral t, ncp = MDES / SE) is 0.80 ± 0.01: M(df) is an approximation."""
    r = mdes(**kwargs)
    j, n, icc = kwargs.pop("schools"), kwargs.pop("students"), kwargs.pop("icc")
    exact = achieved_power(r.mdes, j, n, icc, **kwargs)
    assert exact == pytest.approx(0.80, abs=0.01)
    # the same with scipy directly
    ncp = r.mdes / r.standard_error
    crit = stats.t.ppf(0.975, r.df)
    assert stats.nct.sf(crit, r.df, ncp) + stats.nct.cdf(-crit, r.df, ncp) == pytest.approx(exact, abs=1e-12)


def test_statsmodels_individual_limit():
    """rho = 0, n = 1 student per school: an individually randomised two-sample t test (statsmodels)."""
    from statsmodels.stats.power import TTestIndPower

    r = mdes(100, 1, 0.0)
    effect = TTestIndPower().solve_power(nobs1=50, ratio=1.0, alpha=0.05, power=0.80)
    assert r.mdes == pytest.approx(effect, rel=0.005)
    assert achieved_power(effect, 100, 1, 0.0) == pytest.approx(0.80, abs=1e-5)  # solver tolerance


def test_one_tailed_and_binary():
    two = mdes(40, 20, 0.2)
    one = mdes(40, 20, 0.2, two_tailed=False)
    assert one.multiplier == pytest.approx(stats.t.ppf(0.95, 38) + stats.t.ppf(0.8, 38))
    assert one.mdes < two.mdes
    b = mdes(40, 20, 0.1, base_rate=0.12)
    assert b.mdes_points == pytest.approx(b.mdes * math.sqrt(0.12 * 0.88) * 100)


@pytest.mark.parametrize(("args", "kwargs", "reason"), [
    ((4, 20, 0.2), {"covariates": 2}, "degrees of freedom"),
    ((10, 20, 0.2), {"blocks": 5}, "degrees of freedom"),
    ((40, 20, 1.0), {}, "ICC"),
    ((40, 20, -0.1), {}, "ICC"),
    ((40, 20, 0.2), {"treated_share": 1.0}, "share treated"),
    ((40, 20, 0.2), {"treated_share": 0.0}, "share treated"),
    ((40, 0.5, 0.2), {}, "students per school"),
    ((40, 20, 0.2), {"base_rate": 1.2}, "base rate"),
    ((40, 20, 0.2), {"r2_schools": 1.0}, "R²"),
])
def test_degenerate_inputs_raise_with_the_reason(args, kwargs, reason):
    with pytest.raises(ValueError, match=reason):
        mdes(*args, **kwargs)


def test_power_curve_is_tidy_and_decreasing():
    curve = power_curve(range(2, 61), 20, 0.2, blocks=2)
    assert list(curve.columns[:5]) == ["schools", "df", "multiplier", "standard_error", "mdes"]
    assert curve["schools"].min() == 5  # 4 schools in 2 blocks leave no degrees of freedom
    assert curve["mdes"].is_monotonic_decreasing
    assert curve.loc[curve["schools"] == 40, "mdes"].item() == pytest.approx(mdes(40, 20, 0.2, blocks=2).mdes)
