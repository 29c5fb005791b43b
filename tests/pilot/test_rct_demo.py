"""The demo's randomised MiLab cohort analysed with design rct: the planted effects recovered, the draw the
project's own (same seed, same roster), and its record listed as a registered assignment."""

from __future__ import annotations

import json

import numpy as np

from analysis.compare import compare
from analysis.db.connect import open_db
from analysis.demo.randomised import RCT_SEED, planted


def test_rct_recovers_the_planted_itt_and_cace(pilot_demo_db):
    row = compare(pilot_demo_db, "score_math", design="rct").iloc[0]
    truth = planted()
    con = open_db(pilot_demo_db)
    try:
        operating = con.execute("""SELECT avg(CASE WHEN o.value = 'yes' THEN 1 ELSE 0 END) FROM unit_attributes o
            JOIN assignments a USING (unit_id) WHERE o.name = 'lab_operating' AND a.program = 'MiLab'""").fetchone()[0]
        view = con.execute("SELECT assignment_id, program, seed, treated, status, record_json FROM "
                           "pilot_assignments").fetchall()
        strata = con.execute("SELECT count(DISTINCT value) FROM unit_attributes WHERE name = 'stratum'").fetchone()[0]
    finally:
        con.close()
    itt = operating * truth["cace_points"]  # this draw's compliance times the lab's effect
    assert (row["program"], row["n_treated"], row["n_comparison"], row["n_blocks"]) == ("MiLab", 30, 30, 5)
    assert row["ci_low"] < itt < row["ci_high"] and abs(row["estimate"] - itt) < 2 * row["se"]
    assert row["cace_ci_low"] < truth["cace_points"] < row["cace_ci_high"]
    assert abs(row["cace"] - truth["cace_points"]) < 2 * row["cace_se"]
    assert row["p_value"] < 0.01 and row["evidence"] in ("strong", "moderate")
    assert np.isclose(row["compliance"], operating, atol=0.05)  # adjusted first stage near the raw share
    assert strata == 5
    (aid, program, seed, treated, status, record), = view
    assert (aid, program, seed, treated, status) == (1, "MiLab", RCT_SEED, 30, "active")
    assert json.loads(record)["strata"][0]["schools"] == 12
