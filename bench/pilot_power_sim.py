"""Does a design LabLens says has 80% power reject 80% of the time? (issue 17, "What it must show").

Students nested in schools with the design's ICC (total variance 1, so the planted effect is in SD), half
of the schools randomised to treatment (within blocks for the blocked design), the effect planted at the
MDES `analysis.pilot.power.mdes` reports for 80% power; each simulated trial is analysed with

* a t test on school means (the analysis the PowerUp! formula describes: df = J - 2), and
* student-level OLS with standard errors clustered by school (statsmodels CRV1, t with G - 1 df), and
* the `rct` design's own estimator (`analysis.stats.rct_ancova`, what `compare(design="rct")` runs): a blocked
  pilot of 100 schools in 5 departments assigned by `analysis.pilot.assign.draw`, each student's baseline
  score explaining half of the outcome's variance at both levels (R²₁ = R²₂ = 0.5), ANCOVA with block fixed
  effects, CRV1 by school; 50 schools a side, so the cluster-robust t is the inference (no wild bootstrap).
  (Measured: the estimate's SD matches the formula's standard error; with 60 schools CRV1 standard errors
  are about 4% small, the test's size is 6.3% and a design of 80% power rejects in 83.5% of trials; at 100
  schools in 81%.)

The blocked design (K fixed blocks, PowerUpR `bcra3f2`) is analysed by school-level OLS with block and
block x treatment terms, the model behind df = K(J - 2) (the average of the block effects, equal blocks).

    python bench/pilot_power_sim.py [--trials 1000] [--seed 17]

Every rejection rate must lie in 77-83% (binomial SE at 1,000 trials: 1.26 points).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.pilot.assign import Options, draw
from analysis.pilot.power import mdes
from analysis.stats import rct_ancova


def simulate_school_means(rng: np.random.Generator, trials: int, schools: int, students: int, icc: float,
                          effect: float) -> tuple[np.ndarray, np.ndarray]:
    """Student outcomes y = effect·T + u_school + e (Var u = ICC, Var e = 1 - ICC), averaged per school.
    Returns (trials x schools) school means and the (schools,) treatment indicator (half treated)."""
    treated = np.zeros(schools, dtype=bool)
    treated[: schools // 2] = True
    u = rng.standard_normal((trials, schools)) * np.sqrt(icc)
    e = rng.standard_normal((trials, schools, students)) * np.sqrt(1 - icc)
    return effect * treated + u + e.mean(axis=2), treated


def school_t_rejection_rate(means: np.ndarray, treated: np.ndarray, alpha: float = 0.05) -> float:
    """Share of trials whose two-sample t test on school means rejects (vectorised over trials)."""
    p = stats.ttest_ind(means[:, treated], means[:, ~treated], axis=1).pvalue
    return float(np.mean(p < alpha))


def cluster_ols_rejection_rate(rng: np.random.Generator, trials: int, schools: int, students: int, icc: float,
                               effect: float, alpha: float = 0.05) -> float:
    """Student-level OLS, SE clustered by school (CRV1), t with G - 1 df (METHODS), one fit per trial."""
    import statsmodels.api as sm

    school = np.repeat(np.arange(schools), students)
    treated = (school < schools // 2).astype(float)
    x = sm.add_constant(treated)
    rejected = 0
    for _ in range(trials):
        y = effect * treated + (rng.standard_normal(schools) * np.sqrt(icc))[school] \
            + rng.standard_normal(schools * students) * np.sqrt(1 - icc)
        fit = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": school, "df_correction": True})
        t = fit.params[1] / fit.bse[1]
        rejected += 2 * stats.t.sf(abs(t), schools - 1) < alpha
    return rejected / trials


def blocked_rejection_rate(rng: np.random.Generator, trials: int, blocks: int, schools: int, students: int,
                           icc: float, effect: float, alpha: float = 0.05) -> float:
    """Fixed blocks, half of each block treated; school means regressed on block and block x treatment
    (df = J - 2K); the test is on the average block effect."""
    per = schools // blocks
    block = np.repeat(np.arange(blocks), per)
    treated = np.tile(np.arange(per) < per // 2, blocks)
    x = np.column_stack([block == b for b in range(blocks)] + [(block == b) & treated for b in range(blocks)])
    x = x.astype(float)
    xtx_inv = np.linalg.inv(x.T @ x)
    contrast = np.concatenate([np.zeros(blocks), np.full(blocks, 1 / blocks)])
    df = schools - 2 * blocks
    rejected = 0
    for _ in range(trials):
        y = effect * treated + rng.standard_normal(schools) * np.sqrt(icc) \
            + rng.standard_normal((schools, students)).mean(axis=1) * np.sqrt(1 - icc)
        beta = xtx_inv @ x.T @ y
        resid = y - x @ beta
        s2 = resid @ resid / df
        t = contrast @ beta / np.sqrt(s2 * contrast @ xtx_inv @ contrast)
        rejected += 2 * stats.t.sf(abs(t), df) < alpha
    return rejected / trials


def simulate_rct(rng: np.random.Generator, trials: int, blocks: int, schools: int, students: int, icc: float,
                 r2: float, effect: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(y, baseline) as (trials x students) arrays, and per student: school, block, assigned. Schools are
    drawn within blocks by the tool's own assignment (seed 17); the baseline x = a + w has the outcome's ICC
    and y = effect·T + c·x + v + r with c² = r2, so the baseline explains r2 of the variance at both levels."""
    school = np.repeat(np.arange(schools), students)
    block_of_school = np.arange(schools) % blocks
    assigned_school = draw(block_of_school.astype(str), Options(seed=17, strata=("block",))).astype(float)
    c = np.sqrt(r2)
    a = rng.standard_normal((trials, schools)) * np.sqrt(icc)
    w = rng.standard_normal((trials, schools * students)) * np.sqrt(1 - icc)
    v = rng.standard_normal((trials, schools)) * np.sqrt(icc * (1 - r2))
    r = rng.standard_normal((trials, schools * students)) * np.sqrt((1 - icc) * (1 - r2))
    x = a[:, school] + w
    y = effect * assigned_school[school] + c * x + v[:, school] + r
    return y, x, school, block_of_school[school], assigned_school[school]


def rct_rejection_rate(rng: np.random.Generator, trials: int, blocks: int, schools: int, students: int, icc: float,
                       r2: float, effect: float, alpha: float = 0.05) -> float:
    """Share of simulated trials whose `rct` analysis (stats.rct_ancova, ITT p-value) rejects at alpha."""
    y, x, school, block, assigned = simulate_rct(rng, trials, blocks, schools, students, icc, r2, effect)
    rejected = 0
    for k in range(trials):
        result = rct_ancova(y[k], assigned, school, baseline=x[k], blocks=block, wild_bootstrap=False)
        rejected += result.p_value < alpha
    return rejected / trials


RCT_DESIGN = {"blocks": 5, "schools": 100, "students": 20, "icc": 0.20, "r2": 0.5}


def rct_design_mdes():
    """The MDES the tool reports for the simulated rct design (blocked, baseline R² at both levels)."""
    d = RCT_DESIGN
    return mdes(d["schools"], d["students"], d["icc"], blocks=d["blocks"], r2_students=d["r2"],
                r2_schools=d["r2"], covariates=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    ok = True
    start = time.perf_counter()
    # a 2-level cluster-randomised pilot: 40 schools of 20 students, ICC 0.20
    design = mdes(40, 20, 0.20)
    means, treated = simulate_school_means(rng, args.trials, 40, 20, 0.20, design.mdes)
    rows = [("cra2r2, J=40, n=20, ICC 0.20, school-mean t test", design, school_t_rejection_rate(means, treated)),
            ("cra2r2, J=40, n=20, ICC 0.20, student OLS clustered (CRV1)", design,
             cluster_ols_rejection_rate(rng, args.trials, 40, 20, 0.20, design.mdes))]
    blocked = mdes(48, 15, 0.15, blocks=4)
    rows.append(("bcra3f2, 48 schools in 4 blocks, n=15, ICC 0.15, block x treatment OLS", blocked,
                 blocked_rejection_rate(rng, args.trials, 4, 48, 15, 0.15, blocked.mdes)))
    rct = rct_design_mdes()
    rows.append(("rct design: 100 schools in 5 blocks, n=20, ICC 0.20, baseline R² 0.5, ANCOVA + block FE", rct,
                 rct_rejection_rate(rng, args.trials, effect=rct.mdes, **RCT_DESIGN)))
    for label, d, rate in rows:
        inside = 0.77 <= rate <= 0.83
        ok &= inside
        print(f"{label}: MDES {d.mdes:.4f} (df {d.df}) -> rejected in {rate:.1%} of {args.trials} trials "
              f"[{'ok' if inside else 'OUTSIDE 77-83%'}]")
    print(f"{time.perf_counter() - start:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
