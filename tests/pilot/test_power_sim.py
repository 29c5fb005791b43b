"""A design the tool says has 80% power rejects in about 80% of simulated trials (vectorised, seeded).

400 trials: the binomial SE of a rejection rate near 0.80 is sqrt(0.8·0.2/400) = 0.020, so the band
0.72-0.88 is ±4 SE (a correct MDES fails it with probability under 1e-4 for any seed; a formula off by
10% in the MDES moves the power by about 7 points and is caught by the exact-power tests in test_power.py).
The full 1,000-trial check with clustered OLS and the rct design is bench/pilot_power_sim.py (77-83%).
"""

from __future__ import annotations

import numpy as np

from analysis.pilot.power import mdes
from bench.pilot_power_sim import (
    RCT_DESIGN,
    blocked_rejection_rate,
    rct_design_mdes,
    rct_rejection_rate,
    school_t_rejection_rate,
    simulate_school_means,
)

TRIALS = 400
BAND = (0.80 - 4 * 0.02, 0.80 + 4 * 0.02)


def test_cluster_randomised_trials_reject_80_percent():
    design = mdes(40, 20, 0.20)
    means, treated = simulate_school_means(np.random.default_rng(17), TRIALS, 40, 20, 0.20, design.mdes)
    rate = school_t_rejection_rate(means, treated)
    assert BAND[0] <= rate <= BAND[1], rate
    # no effect: the test keeps its size (5%, SE 1.1 points)
    null, treated = simulate_school_means(np.random.default_rng(18), TRIALS, 40, 20, 0.20, 0.0)
    assert school_t_rejection_rate(null, treated) <= 0.05 + 4 * 0.011


def test_blocked_trials_reject_80_percent():
    design = mdes(48, 15, 0.15, blocks=4)
    rate = blocked_rejection_rate(np.random.default_rng(19), TRIALS, 4, 48, 15, 0.15, design.mdes)
    assert BAND[0] <= rate <= BAND[1], rate


def test_rct_design_rejects_80_percent_and_keeps_its_size():
    """Trials analysed with the rct design's own estimator (stats.rct_ancova: ANCOVA, block fixed effects,
    CRV1), planted at the MDES the tool reports for the blocked design with a baseline covariate."""
    design = rct_design_mdes()
    rate = rct_rejection_rate(np.random.default_rng(21), TRIALS, effect=design.mdes, **RCT_DESIGN)
    assert BAND[0] <= rate <= BAND[1], rate
    size = rct_rejection_rate(np.random.default_rng(22), TRIALS, effect=0.0, **RCT_DESIGN)
    assert size <= 0.05 + 4 * 0.011, size
