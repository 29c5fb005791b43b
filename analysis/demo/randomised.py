"""The randomised MiLab cohort: a school-randomised pilot in five Guatemalan departments (data/README.md).

60 invented rural primary schools, 12 in each of five departments, are assigned to MiLab or comparison by
the project's own draw (`analysis.pilot.assign`: complete randomisation within departments, public seed
`RCT_SEED`), so the roster, its `stratum` and the assignment record are exactly what `pilot assign` would
give. Students are tested in mathematics at baseline (2025) and endline (2026): waves `baseline` and
`endline`, apart from the first cohort's `pre` and `post`. An operating lab raises the endline score by
`RCT_EFFECT_G` SD (second-generation labs with teacher coaching); about 15% of the assigned
schools never get their lab running (`lab_operating` = no), so the intention-to-treat effect is the
compliance share times the lab's effect and the complier effect (CACE) is the lab's effect itself.
The record travels in the demo import's summary, so the `pilot_assignments` view lists it as registered.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from analysis.catalog import GT_DEPARTMENTS, unit_id
from analysis.demo.layout import rng_stream
from analysis.demo.params import IMPORT_ID, MATURATION, SCORE_AUTOCORR, SCORE_ICC, SCORE_SCALE
from analysis.demo.places import GT_LEVEL_SUFFIX, GT_MUNICIPALITIES
from analysis.pilot.assign import Options, assign
from analysis.pilot.frame import frame_digest

RCT_SEED = 20260115  # the public seed of the draw (chosen and published before it)
RCT_PROGRAM = "MiLab"
RCT_LAB_TYPE = "Lab Modular"  # its own lab type: the first cohort's Lab Point / Lab Spark groups stay as they were
RCT_YEARS = {"pre": 2025, "post": 2026}  # no measurement after the demo is built (December 2026)
RCT_MUNICIPALITIES = ("04-06", "07-19", "12-04", "13-26", "14-01")  # one per department
RCT_SCHOOLS_PER_DEPARTMENT = 12
RCT_STUDENTS = (18, 32)  # students per school, uniform between these
RCT_OPERATING = 0.85  # share of assigned schools whose lab operates
RCT_EFFECT_G = 0.30  # SD units, for students of schools with an operating lab (MiLab's second-generation labs)
RCT_ATTRITION = 0.08
RCT_STREAM = 900  # random stream of this cohort (layout 0, students 100+, rates 1 and 2)


def planted() -> dict:
    """The cohort's true effects in points (the ITT in expectation: operating share x the lab's effect)."""
    sd = SCORE_SCALE["GT"]["sd"]
    return {"program": RCT_PROGRAM, "seed": RCT_SEED, "indicator": "score_math", "cace_g": RCT_EFFECT_G,
            "cace_points": RCT_EFFECT_G * sd, "itt_points": RCT_OPERATING * RCT_EFFECT_G * sd,
            "operating_share": RCT_OPERATING}


def _frame(con: duckdb.DuckDBPyConnection, rng: np.random.Generator) -> pd.DataFrame:
    """The sampling frame: invented school codes that no demo school uses, in the five municipalities."""
    taken = {r[0] for r in con.execute("SELECT code FROM target.units WHERE country = 'GT'").fetchall()}
    rows = []
    for muni in RCT_MUNICIPALITIES:
        free = [n for n in range(1, 10_000) if f"{muni}-{n:04d}-{GT_LEVEL_SUFFIX}" not in taken]
        for n in sorted(rng.choice(free, size=RCT_SCHOOLS_PER_DEPARTMENT, replace=False)):
            rows.append({"country": "GT", "unit_type": "school", "unit_code": f"{muni}-{n:04d}-{GT_LEVEL_SUFFIX}",
                         "department": GT_DEPARTMENTS[muni[:2]], "municipality": GT_MUNICIPALITIES[muni][0],
                         "zone": "rural", "muni": muni})
    return pd.DataFrame(rows)


def insert_randomised(con: duckdb.DuckDBPyConnection, seed: int) -> dict:
    """Insert the cohort (units, roster, stratum and lab_operating attributes, baseline and endline scores);
    returns its summary (schools, students, observations, the assignment record)."""
    rng = rng_stream(seed, RCT_STREAM)
    frame = _frame(con, rng)
    # no start year: the trial is read by its waves, and a start year would split the yearly-rate DiD of MiLab
    # into a second start-year cohort that has no rates
    result = assign(frame.drop(columns="muni"), Options(seed=RCT_SEED, strata=("department",), program=RCT_PROGRAM,
                                                        lab_type=RCT_LAB_TYPE),
                    frame_sha256=frame_digest(frame.drop(columns="muni")), frame_file="demo: randomised MiLab frame")
    roster = result.roster.merge(frame[["unit_code", "muni"]], on="unit_code")
    j = len(roster)
    treated = (roster["program"] == RCT_PROGRAM).to_numpy()
    operating = treated & (rng.random(j) < RCT_OPERATING)
    uids = [unit_id("GT", c) for c in roster["unit_code"]]
    lat = np.array([GT_MUNICIPALITIES[m][1] for m in roster["muni"]]) + rng.uniform(-0.05, 0.05, j)
    lon = np.array([GT_MUNICIPALITIES[m][2] for m in roster["muni"]]) + rng.uniform(-0.05, 0.05, j)
    units = pd.DataFrame({
        "unit_id": uids, "country": "GT", "unit_type": "school", "code": roster["unit_code"],
        "name": [f"EORM Aldea {k + 1:02d} ({GT_MUNICIPALITIES[m][0]})" for k, m in enumerate(roster["muni"])],
        "parent_id": [unit_id("GT", m) for m in roster["muni"]],
        "department": [GT_DEPARTMENTS[m[:2]] for m in roster["muni"]],
        "municipality": [GT_MUNICIPALITIES[m][0] for m in roster["muni"]],
        "authority": [f"DIDEDUC {GT_DEPARTMENTS[m[:2]]}" for m in roster["muni"]], "zone": "rural",
        "lat": lat, "lon": lon})
    con.register("rct_units", units)
    con.execute("INSERT INTO target.units SELECT *, $id FROM rct_units", {"id": IMPORT_ID})
    con.unregister("rct_units")
    rct_assign = pd.DataFrame({"unit_id": uids, "program": roster["program"],
                               "lab_type": np.where(treated, RCT_LAB_TYPE, None),
                               "start_year": pd.array([pd.NA] * j, dtype="Int32")})
    rct_attrs = pd.DataFrame({"unit_id": uids * 2, "name": ["stratum"] * j + ["lab_operating"] * j,
                              "value": list(roster["stratum"]) + list(np.where(operating, "yes", "no"))})
    con.register("rct_assign", rct_assign)
    con.register("rct_attrs", rct_attrs)
    con.execute("INSERT INTO target.assignments SELECT *, $id FROM rct_assign", {"id": IMPORT_ID})
    con.execute("INSERT INTO target.unit_attributes SELECT *, $id FROM rct_attrs", {"id": IMPORT_ID})
    con.unregister("rct_assign")
    con.unregister("rct_attrs")
    n_obs, n_students = _students(con, rng, uids, operating, seed)
    return {"schools": j, "students": n_students, "observations": n_obs, "treated": int(treated.sum()),
            "operating": int(operating.sum()), "assignment": result.record}


def _students(con: duckdb.DuckDBPyConnection, rng: np.random.Generator, uids: list[str], operating: np.ndarray,
              seed: int) -> tuple[int, int]:
    """Baseline and endline mathematics scores on the DIGEDUCA-like scale: a school effect (ICC as in the
    demo), persistence of the student's deviation, common growth, and the lab's effect where it operates."""
    scale = SCORE_SCALE["GT"]
    sizes = rng.integers(RCT_STUDENTS[0], RCT_STUDENTS[1] + 1, len(uids))
    school = np.repeat(np.arange(len(uids)), sizes)
    n = school.size
    u = rng.normal(0, np.sqrt(SCORE_ICC), len(uids))[school]
    e_pre = rng.normal(0, np.sqrt(1 - SCORE_ICC), n)
    e_post = SCORE_AUTOCORR * e_pre + np.sqrt(1 - SCORE_AUTOCORR ** 2) * rng.normal(0, np.sqrt(1 - SCORE_ICC), n)
    growth = rng.normal(0, 0.10, len(uids))[school]
    pre = scale["mean"] + scale["sd"] * (u + e_pre)
    post = scale["mean"] + scale["sd"] * (u + MATURATION["GT"] + growth + e_post + RCT_EFFECT_G * operating[school])
    pre, post = (np.clip(np.round(v), scale["min"], scale["max"]) for v in (pre, post))
    stays = rng.random(n) >= RCT_ATTRITION
    male = rng.random(n) < 0.51
    keys = con.execute("SELECT md5($p || i::VARCHAR) AS k FROM range($n) t(i) ORDER BY i",
                       {"p": f"lablens-demo-rct:{seed}:", "n": n}).df()["k"].to_numpy(dtype=object)
    uid = np.asarray(uids, dtype=object)[school]
    key = keys
    sex = np.where(male, "M", "F")
    kept = int(stays.sum())
    table = pa.table({
        "unit_id": np.concatenate([uid, uid[stays]]).tolist(),
        "student_key": np.concatenate([key, key[stays]]).tolist(),
        "year": np.concatenate([np.full(n, RCT_YEARS["pre"]), np.full(kept, RCT_YEARS["post"])]).astype(np.int32),
        "wave": ["baseline"] * n + ["endline"] * kept,
        "sex": np.concatenate([sex, sex[stays]]).tolist(),
        "grade": ["3"] * n + ["4"] * kept,
        "value": np.concatenate([pre, post[stays]]).astype(float)})
    con.register("rct_obs", table)
    con.execute("INSERT INTO target.observations SELECT $id, unit_id, student_key, 'score_math', year, wave, 'all', "
                "sex, grade, value, NULL FROM rct_obs", {"id": IMPORT_ID})
    con.unregister("rct_obs")
    return table.num_rows, n
