"""Coverage of the partially pooled (empirical Bayes) territory intervals in seeded simulations
(docs/METHODS.md, "Partial pooling by territory").

Each replication is one programme with k territories: true effects θᵢ ~ N(0.30, τ²), estimates
yᵢ ~ N(θᵢ, sᵢ²) with sᵢ drawn uniformly in [0.05, 0.35] (territories of very different sizes). The pooled
95% intervals (Morris 1983, analysis.stats.pooling) should contain θᵢ about 95% of the time, averaged over
territories and replications; the mean width is compared with the territories' own intervals (±1.96·sᵢ).
Morris's intervals are conservative when the territories barely differ (τ small against sᵢ).

    python bench/pooling_coverage.py [--reps 20000] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.stats import pooling

KS = (4, 6, 10, 20, 40)
TAUS = (0.0, 0.05, 0.10, 0.20, 0.40)


def run(reps: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for k in KS:
        for tau in TAUS:
            s = rng.uniform(0.05, 0.35, (reps, k))
            theta = 0.30 + tau * rng.standard_normal((reps, k))
            y = theta + s * rng.standard_normal((reps, k))
            res = pooling.pool_arrays(y, s ** 2)
            covered = (res["low"] <= theta) & (theta <= res["high"])
            rows.append({"k": k, "tau": tau, "coverage": float(covered.mean()),
                         "mc_se": float(np.sqrt(covered.mean() * (1 - covered.mean()) / covered.size)),
                         "width_ratio": float(((res["high"] - res["low"]) / (2 * 1.959964 * s)).mean()),
                         "a_zero": float((res["a"] == 0).mean())})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    start = time.perf_counter()
    rows = run(args.reps, args.seed)
    seconds = time.perf_counter() - start
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}; {args.reps} replications per cell, seed {args.seed}, "
          f"{seconds:.1f} s")
    print("| k | τ | coverage | MC s.e. | width / own width | sets with Â = 0 |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['k']} | {r['tau']:.2f} | {100 * r['coverage']:.1f} % | {100 * r['mc_se']:.2f} | "
              f"{r['width_ratio']:.2f} | {100 * r['a_zero']:.0f} % |")


if __name__ == "__main__":
    main()
