"""Coverage of LabLens's 95% intervals in seeded simulations (docs/METHODS.md, "Checking the checks").

Four designs, each with --reps replications (default 1,000), using the same functions compare()
calls (analysis.stats): the interval should contain the true value 93-97% of the time. The true
values are defined in the simulation's own terms: g = population mean difference / population SD,
DiD = the planted interaction.

    python bench/coverage_sim.py [--reps 1000] [--seed 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import stats


def linked_prepost(rng: np.random.Generator, reps: int) -> dict:
    """Students linked across waves, nested in 12 schools (ICC 0.15 on the gain); true g = 0.30."""
    schools, per_school, sigma, true_g = 12, 25, 10.0, 0.30
    hits = 0
    for _ in range(reps):
        school = np.repeat(np.arange(schools), per_school)
        ability = rng.normal(0, sigma * np.sqrt(0.6), school.size)
        school_gain = rng.normal(0, 2.0, schools)[school]
        noise_sd = sigma * np.sqrt(0.4)
        pre = 50 + ability + rng.normal(0, noise_sd, school.size)
        post = 50 + true_g * sigma + ability + school_gain + rng.normal(0, noise_sd, school.size)
        diff = post - pre
        frame = pd.DataFrame({"s": school, "d": diff})
        agg = frame.groupby("s")["d"].agg(["count", "mean", "var"])
        rho = stats.icc_from_summary(agg["count"], agg["mean"], agg["var"])
        m = float((agg["count"] ** 2).sum() / agg["count"].sum())
        deff = float(stats.design_effect(m, rho)) if np.isfinite(rho) else 1.0
        res = stats.paired_from_stats(len(diff), diff.mean(), diff.std(ddof=1), pre.mean(), pre.std(ddof=1),
                                      post.mean(), post.std(ddof=1), deff=deff).iloc[0]
        # population SD pooled over waves: sqrt(ability var + noise var) = sigma (school gain adds to post)
        pop_sd = np.sqrt((sigma**2 + sigma**2 + 2.0**2) / 2)
        truth = true_g * sigma / pop_sd
        hits += res["es_ci_low"] <= truth <= res["es_ci_high"]
    return {"design": "linked pre/post, 12 schools x 25 students (paired g, design effect)", "truth":
            "g = 0.30 x sigma / pooled population SD", "coverage": hits / reps}


def linked_prepost_diff(rng: np.random.Generator, reps: int) -> dict:
    """The raw difference of linked students, 12 schools x 25 (ICC of the differences 0.15): the interval of
    the paired t over students (before session 8) and the school-clustered one compare() reports (CR1, t(G-1)).
    Vectorised over replications."""
    schools, per_school, true_diff, icc = 12, 25, 3.0, 0.15
    codes = np.repeat(np.arange(schools), per_school)
    d = (true_diff + rng.normal(0, np.sqrt(icc), (reps, schools))[:, codes]
         + rng.normal(0, np.sqrt(1 - icc), (reps, codes.size))) * 10.0
    n = codes.size
    mean, sd = d.mean(axis=1), d.std(axis=1, ddof=1)
    naive = stats.paired_from_stats(n, mean, sd, 0.0, 1.0, mean, 1.0, 0.5)
    rep_codes = np.repeat(np.arange(reps), schools)  # each replication is one group of 12 schools
    school_means = d.reshape(reps, schools, per_school).mean(axis=2).ravel()
    se, big_g = stats.cr1_mean_se_by_group(rep_codes, reps, np.full(reps * schools, float(per_school)),
                                           school_means)
    clustered = stats.paired_from_stats(n, mean, sd, 0.0, 1.0, mean, 1.0, 0.5, n_clusters=big_g, cluster_se=se)
    truth = true_diff * 10.0

    def cover(res: pd.DataFrame) -> float:
        return float(((res["diff_ci_low"] <= truth) & (truth <= res["diff_ci_high"])).mean())

    return {"design": f"linked pre/post raw difference, 12 schools x 25, ICC of differences 0.15: paired t over "
                      f"students {cover(naive):.3f} (before); school-clustered CR1, t(G-1)",
            "truth": "diff = 30", "coverage": cover(clustered)}


def school_assigned(rng: np.random.Generator, reps: int) -> dict:
    """20 + 20 schools of 20 students, ICC 0.20; true g = 0.25 (difference / total population SD)."""
    per_arm, m, icc, true_g = 20, 20, 0.20, 0.25
    hits = 0
    for _ in range(reps):
        arms = []
        for arm in (1, 0):
            school_effect = rng.normal(0, np.sqrt(icc), per_arm)
            y = (true_g * arm + np.repeat(school_effect, m) + rng.normal(0, np.sqrt(1 - icc), per_arm * m))
            arms.append((y, np.repeat(np.arange(per_arm), m)))
        (yt, st), (yc, sc) = arms
        values = np.concatenate([yt, yc])
        groups = np.concatenate([st, sc + per_arm])
        rho = stats.icc_oneway(values, groups)
        deff = float(stats.design_effect(m, rho)) if np.isfinite(rho) else 1.0
        res = stats.welch_from_stats(yt.size, yt.mean(), yt.std(ddof=1), yc.size, yc.mean(), yc.std(ddof=1),
                                     deff=deff).iloc[0]
        hits += res["es_ci_low"] <= true_g <= res["es_ci_high"]
    return {"design": "school-assigned comparison, 20+20 schools x 20, ICC 0.20 (g, design effect)",
            "truth": "g = 0.25", "coverage": hits / reps}


def did_clusters(rng: np.random.Generator, reps: int) -> dict:
    """DiD on unit-period means: 24 treated + 24 comparison units, unit and unit-period noise; d = 1.5."""
    n_t, n_c, d = 24, 24, 1.5
    hits = 0
    units = np.arange(n_t + n_c)
    treated = (units < n_t).astype(int)
    for _ in range(reps):
        base = rng.normal(10, 3, units.size)
        rows = []
        for post in (0, 1):
            y = base + 0.8 * post + d * treated * post + rng.normal(0, 1.2, units.size)
            rows.append(pd.DataFrame({"unit": units, "treated": treated, "post": post, "y": y}))
        frame = pd.concat(rows, ignore_index=True)
        res = stats.did_ols(frame, "y", "treated", "post", "unit", wild_bootstrap=False)
        hits += res.ci_low <= d <= res.ci_high
    return {"design": "DiD, 24 + 24 clusters, unit-period means (cluster-robust, t(G-1))",
            "truth": "d = 1.5", "coverage": hits / reps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rows = []
    for design in (linked_prepost, linked_prepost_diff, school_assigned, did_clusters):
        rng = np.random.default_rng(args.seed)
        start = time.perf_counter()
        result = design(rng, args.reps)
        result["reps"] = args.reps
        result["seconds"] = round(time.perf_counter() - start, 1)
        result["within_93_97"] = 0.93 <= result["coverage"] <= 0.97
        rows.append(result)
    table = pd.DataFrame(rows)[["design", "truth", "reps", "coverage", "within_93_97", "seconds"]]
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
