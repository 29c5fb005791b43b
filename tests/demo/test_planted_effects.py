"""The demo's planted effects: consistent with their definitions, and recovered from a default build.

One test builds the default size and checks that a plain population-level difference-in-differences
lands near the planted values (tolerance: 4 cluster-robust standard errors, so a correct generator fails
by chance about once in 15,000 draws per check; the seed is fixed, so the outcome is deterministic anyway).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from analysis.demo import DEFAULT_STUDENTS, PLANTED_EFFECTS, build_demo
from analysis.demo.params import SUBJECTS
from tests.reliability.helpers import rows


@pytest.fixture(scope="module")
def default_build(tmp_path_factory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("demo_default") / "demo.duckdb"
    return path, build_demo(path)


# --- planted effects -----------------------------------------------------------------------------

def test_planted_effects_are_consistent():
    p = PLANTED_EFFECTS
    vl, ml = p["ValleLabs"], p["MiLab"]
    by_type = vl["score_math"]["by_lab_type_g"]
    assert by_type["Lab Center"] > by_type["Lab Point"] > by_type["Lab Spark"] > 0
    assert ml["score_math"]["did_g"] < vl["score_math"]["did_g"]
    for block in (vl, ml):
        shares = {k: v["share_of_schools"] for k, v in block["lab_types"].items()}
        for subject in SUBJECTS:
            s = block[subject]
            assert math.isclose(s["did_points"], s["did_g"] * s["sd_points"], abs_tol=1e-5)
            assert math.isclose(s["did_g"], sum(shares[t] * g for t, g in s["by_lab_type_g"].items()),
                                abs_tol=1e-5)
            assert s["prepost_points"] > s["did_points"]  # maturation: a naive pre/post overstates
        e = block["enrolled_next_year"]
        assert 1 < e["odds_ratio"] < e["conditional_odds_ratio"]
        assert math.isclose(e["odds_ratio"], (e["p_programme"] / (1 - e["p_programme"]))
                            / (e["p_comparison"] / (1 - e["p_comparison"])), rel_tol=1e-5)
        assert block["dropout_rate"]["did_points"] < 0 and block["repetition_rate"]["did_points"] == 0
        assert block["motivation_index"]["did_points"] > 0
    assert vl["score_math"]["did_g"] == 0.2 and vl["dropout_rate"]["did_points"] == -1.0


# --- default size: speed and recovery --------------------------------------------------------------

def _cluster_mean(values: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """Weighted mean of school-level values and its cluster-robust variance."""
    w = weights / weights.sum()
    mean = float(np.sum(w * values))
    g = values.size
    var = float(np.sum(w ** 2 * (values - mean) ** 2)) * g / (g - 1)
    return mean, var


def _school_changes(path: Path, indicator: str, program: str, country: str, lab_type: str | None = None):
    lab = "AND a.lab_type = ?" if lab_type else ""
    params = [indicator, country, program] + ([lab_type] if lab_type else [])
    data = rows(path, f"""
        SELECT avg(o.value) FILTER (WHERE o.wave = 'post') - avg(o.value) FILTER (WHERE o.wave = 'pre'),
               count(*) FILTER (WHERE o.wave = 'pre')
        FROM observations o JOIN assignments a USING (unit_id) JOIN units u USING (unit_id)
        WHERE o.indicator = ? AND u.country = ? AND a.program = ? {lab} AND o.wave IN ('pre', 'post')
        GROUP BY o.unit_id""", params)  # the randomised cohort (waves baseline/endline) is tested in its own test
    arr = np.array(data, dtype=float)
    return arr[:, 0], arr[:, 1]


def _did(path: Path, indicator: str, program: str, country: str, lab_type: str | None = None):
    t_mean, t_var = _cluster_mean(*_school_changes(path, indicator, program, country, lab_type))
    c_mean, c_var = _cluster_mean(*_school_changes(path, indicator, "comparison", country))
    return t_mean - c_mean, math.sqrt(t_var + c_var)


def test_default_size_is_fast_and_recovers_planted_effects(default_build):
    path, summary = default_build
    assert summary["students"] == DEFAULT_STUDENTS and summary["schools"] == 280
    assert summary["seconds"] < 15, summary  # hard limit; typically about 1.5 s
    planted = PLANTED_EFFECTS
    for program, country in (("ValleLabs", "CO"), ("MiLab", "GT")):
        for indicator in ("score_math", "score_science", "motivation_index"):
            est, se = _did(path, indicator, program, country)
            truth = planted[program][indicator]["did_points"]
            assert abs(est - truth) < 4 * se, (program, indicator, est, se, truth)
            assert se < max(0.6 * abs(truth), 0.05)  # precise enough for the check to mean something
        # naive pre/post is larger than the DiD (comparison schools improve too)
        pre_post = _cluster_mean(*_school_changes(path, "score_math", program, country))[0]
        assert pre_post > planted[program]["score_math"]["did_points"]
    for lab_type, g in planted["ValleLabs"]["score_math"]["by_lab_type_g"].items():
        est, se = _did(path, "score_math", "ValleLabs", "CO", lab_type)
        assert abs(est - 10.0 * g) < 4 * se, (lab_type, est, se)

    # next-year enrolment: marginal odds ratio, delta-method SE over school clusters
    for program, country in (("ValleLabs", "CO"), ("MiLab", "GT")):
        log_odds = []
        for arm in (program, "comparison"):
            data = np.array(rows(path, """
                SELECT avg(o.value), count(*) FROM observations o JOIN assignments a USING (unit_id)
                JOIN units u USING (unit_id) WHERE o.indicator = 'enrolled_next_year' AND u.country = ?
                AND a.program = ? GROUP BY o.unit_id""", [country, arm]), dtype=float)
            p, var = _cluster_mean(data[:, 0], data[:, 1])
            log_odds.append((math.log(p / (1 - p)), var / (p * (1 - p)) ** 2))
        est = log_odds[0][0] - log_odds[1][0]
        se = math.sqrt(log_odds[0][1] + log_odds[1][1])
        truth = math.log(planted[program]["enrolled_next_year"]["odds_ratio"])
        assert abs(est - truth) < 4 * se, (program, math.exp(est), se)

    # dropout: per start-year cohort, school-level (post mean - pre mean), same calendar windows
    for program, country in (("ValleLabs", "CO"), ("MiLab", "GT")):
        for lab_type, info in planted[program]["lab_types"].items():
            changes = {}
            for arm, lab in ((program, lab_type), ("comparison", None)):
                lab_sql = "AND a.lab_type = ?" if lab else ""
                data = np.array([r[0] for r in rows(path, f"""
                    SELECT avg(o.value) FILTER (WHERE o.year >= ?) - avg(o.value) FILTER (WHERE o.year < ?)
                    FROM observations o JOIN assignments a USING (unit_id) JOIN units u USING (unit_id)
                    WHERE o.indicator = 'dropout_rate' AND u.country = ? AND a.program = ? {lab_sql}
                    GROUP BY o.unit_id""", [info["start_year"], info["start_year"], country, arm]
                    + ([lab] if lab else []))])
                changes[arm] = (data.mean(), data.var(ddof=1) / data.size)
            est = changes[program][0] - changes["comparison"][0]
            se = math.sqrt(changes[program][1] + changes["comparison"][1])
            truth = planted[program]["dropout_rate"]["did_points"]
            assert abs(est - truth) < 4 * se, (program, lab_type, est, se)

    # scores: ICC near the planted 0.18 (one-way ANOVA on comparison schools' pre scores)
    data = rows(path, """SELECT o.unit_id, o.value FROM observations o JOIN assignments a USING (unit_id)
                         JOIN units u USING (unit_id) WHERE o.indicator = 'score_math' AND o.wave = 'pre'
                         AND u.country = 'CO' AND a.program = 'comparison'""")
    groups: dict[str, list[float]] = {}
    for unit, value in data:
        groups.setdefault(unit, []).append(value)
    sizes = np.array([len(v) for v in groups.values()], dtype=float)
    means = np.array([np.mean(v) for v in groups.values()])
    values = np.array([x for v in groups.values() for x in v])
    n, k = values.size, sizes.size
    msb = float(np.sum(sizes * (means - values.mean()) ** 2) / (k - 1))
    msw = float(sum(np.sum((np.array(v) - np.mean(v)) ** 2) for v in groups.values()) / (n - k))
    n0 = (n - np.sum(sizes ** 2) / n) / (k - 1)
    icc = (msb - msw) / n0 / ((msb - msw) / n0 + msw)
    assert 0.08 < icc < 0.30, icc
