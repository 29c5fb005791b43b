"""The demo's implementation records (analysis/demo/implementation.py; data/README.md, "Implementation records
and the planted dose-response"): exact counts of labs that never work, and a dose shift that keeps every
planted group mean. Layout only (no database): a few milliseconds."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.demo.implementation import apply_dose, plan_implementation
from analysis.demo.layout import school_layout
from analysis.demo.params import DEFAULT_SEED, DOSE_SLOPE, SUBJECT_FACTOR, SUBJECTS


@pytest.fixture(scope="module")
def planned():
    lay = school_layout(20_000, DEFAULT_SEED)
    before = lay["tau"].copy()
    plan = plan_implementation(lay, DEFAULT_SEED)
    apply_dose(lay, plan)
    return lay, plan, before


def test_labs_that_never_work(planned):
    lay, plan, _ = planned
    status = plan["status"]
    for programme, idle, missing in (("ValleLabs", 6, 0), ("MiLab", 6, 6)):
        mine = status[lay["program"] == programme]
        assert (mine == "installed_not_operating").sum() == idle
        assert (mine == "not_installed").sum() == missing
    assert all(s is None for s in status[lay["program"] == "comparison"])
    logs = plan["logs"]
    never = np.flatnonzero(np.isin(status, ["installed_not_operating", "not_installed"]))
    assert logs.loc[logs["school"].isin(never), "hours"].isna().all()
    assert (plan["dose"][never] == 0).all()


def test_dose_shift_keeps_group_means_and_has_the_planted_slope(planned):
    lay, plan, before = planned
    shift = lay["tau"] - before
    for programme, lab_type in {(p, t) for p, t in zip(lay["program"], lay["lab_type"], strict=True) if t}:
        idx = np.flatnonzero((lay["program"] == programme) & (lay["lab_type"] == lab_type))
        assert np.abs(shift[idx].mean(axis=0)).max() < 1e-12
        centred = plan["dose"][idx] - plan["dose"][idx].mean()
        for j, subject in enumerate(SUBJECTS):
            np.testing.assert_allclose(shift[idx, j], DOSE_SLOPE * SUBJECT_FACTOR[subject] * centred, atol=1e-12)
    assert (shift[lay["program"] == "comparison"] == 0).all()
    assert np.ptp(plan["dose"][lay["programme"]]) > 40  # the dose varies: a slope can be seen
