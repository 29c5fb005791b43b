"""Minimum detectable effect size (MDES) of cluster-randomised trials: schools randomised, students inside.

Formulas of Bloom (2006) and Dong & Maynard (2013, PowerUp!), as PowerUpR implements them:

* 2-level cluster random assignment (`mdes.cra2r2`), J schools of n students, share P treated:
  MDES = M(df) * sqrt(rho(1-R2_2)/(P(1-P)J) + (1-rho)(1-R2_1)/(P(1-P)Jn)), df = J - g - 2.
* blocked, K fixed blocks of J schools each (`mdes.bcra3f2`): the same two terms with JK schools, and
  df = K(J - 2) - g.

M(df) = t(1 - alpha/2, df) + t(power, df) two-tailed, t(1 - alpha, df) + t(power, df) one-tailed.
LabLens takes the TOTAL number of schools (`schools`); with `blocks = K` each block holds schools / K
(PowerUpR's J), which may be an average: df = schools - 2K - g needs no divisibility.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class PowerResult:
    """One design and its MDES (standardised: in standard deviations of the student-level outcome)."""

    mdes: float
    df: int
    multiplier: float
    standard_error: float
    schools: int
    students: float
    icc: float
    blocks: int | None
    treated_share: float
    r2_students: float
    r2_schools: float
    covariates: int
    alpha: float
    power: float
    two_tailed: bool
    ci_low: float
    ci_high: float
    base_rate: float | None = None
    mdes_points: float | None = None
    design: str = "cra2r2"

    def as_dict(self) -> dict:
        """Plain dict for JSON: every input and output."""
        return asdict(self)


def _check(schools: float, students: float, icc: float, treated_share: float, r2_students: float,
           r2_schools: float, covariates: int, alpha: float, power: float, blocks: int | None) -> None:
    """Raise ValueError with the reason when a design has no meaningful MDES."""
    if not 0 <= icc < 1:
        raise ValueError(f"the ICC must be in [0, 1): got {icc}")
    if not 0 < treated_share < 1:
        raise ValueError(f"the share treated must be strictly between 0 and 1: got {treated_share}")
    if students < 1:
        raise ValueError(f"students per school must be at least 1: got {students}")
    for name, value in (("R² at student level", r2_students), ("R² at school level", r2_schools)):
        if not 0 <= value < 1:
            raise ValueError(f"the {name} must be in [0, 1): got {value}")
    if covariates < 0:
        raise ValueError(f"the number of covariates cannot be negative: got {covariates}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be strictly between 0 and 1: got {alpha}")
    if not 0 < power < 1:
        raise ValueError(f"power must be strictly between 0 and 1: got {power}")
    if blocks is not None and blocks < 1:
        raise ValueError(f"the number of blocks must be at least 1: got {blocks}")
    if schools <= 0:
        raise ValueError(f"the number of schools must be positive: got {schools}")


def degrees_of_freedom(schools: float, blocks: int | None = None, covariates: int = 0) -> float:
    """J - g - 2 (one block, `cra2r2`) or K(J/K - 2) - g = J - 2K - g (K fixed blocks, `bcra3f2`)."""
    return schools - covariates - 2 if blocks is None else schools - 2 * blocks - covariates


def multiplier(df: float, alpha: float = 0.05, power: float = 0.80, two_tailed: bool = True) -> float:
    """M(df) = t(1 - alpha/2, df) + t(power, df) (two-tailed) or t(1 - alpha, df) + t(power, df)."""
    t1 = stats.t.ppf(1 - alpha / 2 if two_tailed else 1 - alpha, df)
    return float(t1 + stats.t.ppf(power, df))


def standard_error(schools: float, students: float, icc: float, treated_share: float = 0.5,
                   r2_students: float = 0.0, r2_schools: float = 0.0) -> float:
    """Standardised SE of the impact: sqrt(rho(1-R2_2)/(P(1-P)J) + (1-rho)(1-R2_1)/(P(1-P)Jn))."""
    pq = treated_share * (1 - treated_share)
    return math.sqrt(icc * (1 - r2_schools) / (pq * schools)
                     + (1 - icc) * (1 - r2_students) / (pq * schools * students))


def mdes(schools: float, students: float, icc: float, *, blocks: int | None = None, treated_share: float = 0.5,
         r2_students: float = 0.0, r2_schools: float = 0.0, covariates: int = 0, alpha: float = 0.05,
         power: float = 0.80, two_tailed: bool = True, base_rate: float | None = None) -> PowerResult:
    """MDES for `schools` schools in total (Dong & Maynard 2013, PowerUp! models 3.1 and 4.5).

    ``base_rate`` (a proportion in (0, 1), e.g. the dropout rate) adds ``mdes_points``: the MDES in
    percentage points, standardised MDES x sqrt(p(1 - p)) x 100. This is the linear-probability (normal)
    approximation: the outcome's SD is the Bernoulli SD at the base rate, ICC and R² on the proportion scale;
    it is accurate when p·n per school is not small (say p between 0.05 and 0.95) and symmetric around p.
    """
    _check(schools, students, icc, treated_share, r2_students, r2_schools, covariates, alpha, power, blocks)
    df = degrees_of_freedom(schools, blocks, covariates)
    if df <= 0:
        need = (2 * blocks if blocks else 2) + covariates + 1
        raise ValueError(f"{schools:g} schools leave {df:g} degrees of freedom"
                         f"{f' with {blocks} blocks' if blocks else ''} and {covariates} covariates: "
                         f"at least {need} schools are needed")
    if base_rate is not None and not 0 < base_rate < 1:
        raise ValueError(f"the base rate must be a proportion strictly between 0 and 1: got {base_rate}")
    se = standard_error(schools, students, icc, treated_share, r2_students, r2_schools)
    m = multiplier(df, alpha, power, two_tailed)
    value = m * se
    half = float(stats.t.ppf(1 - alpha / 2 if two_tailed else 1 - alpha, df)) * se  # PowerUpR's interval
    points = None if base_rate is None else value * math.sqrt(base_rate * (1 - base_rate)) * 100
    return PowerResult(mdes=value, df=int(df) if float(df).is_integer() else df, multiplier=m,
                       standard_error=se, schools=int(schools), students=students, icc=icc, blocks=blocks,
                       treated_share=treated_share, r2_students=r2_students, r2_schools=r2_schools,
                       covariates=covariates, alpha=alpha, power=power, two_tailed=two_tailed,
                       ci_low=value - half, ci_high=value + half, base_rate=base_rate, mdes_points=points,
                       design="cra2r2" if blocks is None else "bcra3f2")


def achieved_power(effect: float, schools: float, students: float, icc: float, *, blocks: int | None = None,
                   treated_share: float = 0.5, r2_students: float = 0.0, r2_schools: float = 0.0,
                   covariates: int = 0, alpha: float = 0.05, two_tailed: bool = True) -> float:
    """Exact power of the t test for a standardised effect: noncentral t with ncp = effect / SE."""
    _check(schools, students, icc, treated_share, r2_students, r2_schools, covariates, alpha, 0.5, blocks)
    df = degrees_of_freedom(schools, blocks, covariates)
    if df <= 0:
        raise ValueError(f"{schools:g} schools leave no degrees of freedom")
    ncp = effect / standard_error(schools, students, icc, treated_share, r2_students, r2_schools)
    if two_tailed:
        crit = stats.t.ppf(1 - alpha / 2, df)
        return float(stats.nct.sf(crit, df, ncp) + stats.nct.cdf(-crit, df, ncp))
    return float(stats.nct.sf(stats.t.ppf(1 - alpha, df), df, ncp))


def schools_for_mdes(target: float, students: float, icc: float, *, blocks: int | None = None,
                     max_schools: int = 100_000, **options) -> PowerResult:
    """The smallest total number of schools whose MDES is at most ``target`` (exact integer search).

    PowerUpR's `mrss.*` iterate on a continuous J and round; searching integers returns the smallest
    design that actually reaches the target (MDES falls as schools are added).
    """
    if not target > 0:
        raise ValueError(f"the target MDES must be positive: got {target}")
    low = (2 * blocks if blocks else 2) + options.get("covariates", 0) + 1
    mdes(low, students, icc, blocks=blocks, **options)  # validates the inputs (raises with the reason)

    def reaches(j: int) -> bool:
        return mdes(j, students, icc, blocks=blocks, **options).mdes <= target

    if reaches(low):
        return mdes(low, students, icc, blocks=blocks, **options)
    high = low
    while not reaches(high):
        if high >= max_schools:
            raise ValueError(f"no design with at most {max_schools:,} schools reaches an MDES of {target:g} "
                             f"with {students:g} students per school and an ICC of {icc:g}")
        low, high = high, min(high * 2, max_schools)
    while high - low > 1:  # reaches(high) and not reaches(low)
        mid = (low + high) // 2
        low, high = (low, mid) if reaches(mid) else (mid, high)
    return mdes(high, students, icc, blocks=blocks, **options)


def power_curve(schools: range | list[int], students: float, icc: float, **options) -> pd.DataFrame:
    """MDES for each total number of schools: a tidy frame (schools, df, multiplier, standard_error, mdes,
    and mdes_points when a base rate is given). Counts with no degrees of freedom are left out."""
    rows = []
    for j in schools:
        try:
            rows.append(mdes(j, students, icc, **options).as_dict())
        except ValueError:
            continue
    columns = ["schools", "df", "multiplier", "standard_error", "mdes", "ci_low", "ci_high", "mdes_points"]
    return pd.DataFrame(rows, columns=columns + [c for c in PowerResult.__dataclass_fields__ if c not in columns])
