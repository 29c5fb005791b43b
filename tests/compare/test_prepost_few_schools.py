"""Pre/post on students from 3 or fewer programme schools: no inference (docs/METHODS.md, "Designs" 1).

A paired (or Welch) test over the students of one, two or three schools ignores that they come from so few
schools: the reviewer's MiLab cut to one school gave p = 0.39, to two p = 0.0089, while the badge already
said too_few_clusters. The row keeps its difference and g, with no p, q or interval and the reason
`too_few_clusters`; with four schools the test is reported as before (scipy.stats.ttest_rel / ttest_ind).
"""

from __future__ import annotations

import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest
from compare_data import with_units
from compare_helpers import approx, paired_reference, row_of, school_clustered_reference, welch_reference

from analysis.compare import compare
from analysis.stats import paired_from_stats, prepost_table, welch_from_stats

NO_INFERENCE = ("p_value", "q_value", "diff_ci_low", "diff_ci_high", "diff_se", "df", "es_ci_low", "es_ci_high")


@pytest.fixture(scope="module")
def few(student_db, tmp_path_factory):
    """compare() on copies of the student database where MiLab (GT, linked students) and CohortLab (CO,
    unlinked cohorts) keep their first k schools; the others move to another programme."""
    students = with_units(student_db.raw, student_db.schools)
    out = {}
    for k in (1, 2, 3, 4):
        db = tmp_path_factory.mktemp(f"few{k}") / "lablens.duckdb"
        shutil.copy(student_db.db, db)
        moved = [c for prog in ("MiLab", "CohortLab")
                 for c in student_db.schools.loc[student_db.schools["program"] == prog, "unit_code"].iloc[k:]]
        with duckdb.connect(str(db)) as con:
            con.execute("UPDATE assignments SET program = 'Elsewhere' WHERE unit_id IN "
                        "(SELECT unit_id FROM units WHERE code IN (SELECT unnest(?)))", [moved])
        kept = students[~students["school_code"].isin(moved)]
        out[k] = (compare(db, "score_math", design="prepost"), kept)
    return out


def _waves(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    pre = frame[frame["wave"] == "pre"].set_index("student_id")["score_math"]
    post = frame[frame["wave"] == "post"].set_index("student_id")["score_math"]
    return pre, post


@pytest.mark.parametrize("k", [1, 2, 3, 4])
@pytest.mark.parametrize(("program", "country"), [("MiLab", "GT"), ("CohortLab", "CO")])
def test_three_or_fewer_schools_give_no_inference(few, k, program, country):
    frame, students = few[k]
    part = students[(students["program"] == program) & (students["country"] == country)]
    pre, post = _waves(part)
    linked = program == "MiLab"
    ref = paired_reference(pre, post) if linked else welch_reference(pre.to_numpy(), post.to_numpy())
    row = row_of(frame, program=program, country=country)
    assert row["n_units"] == k == part["school_code"].nunique()
    assert row["test"] == ("paired_t" if linked else "welch_t")
    assert row["reliability"] != "suppressed"
    # the point difference and g are shown whatever the number of schools
    assert row["diff"] == approx(ref["diff"])
    assert row["effect_size"] == approx(ref["effect_size"])
    if k <= 3:
        for col in NO_INFERENCE:
            assert np.isnan(row[col]), col
        assert "inference_not_reliable" in row["flags"] and "no_variation" not in row["flags"]
        assert row["evidence"] == "insufficient" and "too_few_clusters" in row["evidence_reasons"]
    else:  # four schools: inference, school-clustered (CR1, t on 3 df; docs/METHODS.md "Designs" 1)
        clustered = school_clustered_reference(part)
        for col in ("diff_ci_low", "diff_ci_high", "diff_se", "df", "p_value"):
            assert row[col] == approx(clustered[col]), col
        assert row["df"] == clustered["n_clusters"] - 1 == 3
        assert np.isfinite(row["q_value"]) and row["es_ci_low"] < row["effect_size"] < row["es_ci_high"]
        assert "inference_not_reliable" not in row["flags"]
        assert "too_few_clusters" not in row["evidence_reasons"]


def test_the_cut_changes_only_the_programme_cut(few, student_db):
    # the control: ValleLabs (6 schools) keeps its test in every copy, equal to the untouched database's
    whole = compare(student_db.db, "score_math", design="prepost")
    ref = row_of(whole, program="ValleLabs", country="CO")
    for k, (frame, _) in few.items():
        row = row_of(frame, program="ValleLabs", country="CO")
        for col in ("diff", "diff_ci_low", "diff_ci_high", "p_value", "es_ci_low", "es_ci_high"):
            assert row[col] == approx(ref[col]), (k, col)


@pytest.mark.parametrize("k", [1, 2, 3, 4, np.nan])
def test_stats_withhold_inference_on_three_or_fewer_clusters(k):
    # Reference: scipy.stats.ttest_rel / ttest_ind(equal_var=False) on the same arrays when k > 3 or unknown
    rng = np.random.default_rng(3)
    a, b = rng.normal(50, 10, 40), rng.normal(50, 10, 40)
    c = a + 4 + rng.normal(0, 6, 40)
    d = c - a
    paired = paired_from_stats(40, d.mean(), d.std(ddof=1), a.mean(), a.std(ddof=1), c.mean(), c.std(ddof=1),
                               n_clusters=k).iloc[0]
    welch = welch_from_stats(40, c.mean(), c.std(ddof=1), 40, b.mean(), b.std(ddof=1), n_clusters=k).iloc[0]
    ref_p, ref_w = paired_reference(pd.Series(a), pd.Series(c)), welch_reference(b, c)
    for res, ref in ((paired, ref_p), (welch, ref_w)):
        assert res["diff"] == approx(ref["diff"]) and res["effect_size"] == approx(ref["effect_size"])
        for col in ("diff_ci_low", "diff_ci_high", "p_value"):
            assert np.isnan(res[col]) if k <= 3 else res[col] == approx(ref[col]), col
        assert np.isnan(res["es_ci_low"]) == np.isnan(res["es_ci_high"]) == (k <= 3)
    # the table form reads the same count from an n_clusters column
    stats_in = {"n_pre": [40], "mean_pre": [b.mean()], "sd_pre": [b.std(ddof=1)], "n_post": [40],
                "mean_post": [c.mean()], "sd_post": [c.std(ddof=1)], "n_clusters": [k]}
    table = prepost_table(pd.DataFrame(stats_in), "welch").iloc[0]
    assert "n_clusters" not in table.index and table["diff"] == approx(ref_w["diff"])
    assert np.isnan(table["p_value"]) if k <= 3 else table["p_value"] == approx(ref_w["p_value"])


def test_a_paired_test_counts_the_schools_with_linked_students(student_db, tmp_path):
    # MiLab keeps 4 schools, but one of them loses its post wave: the paired test's differences come from 3
    # schools (its students at pre only count in n_pre and the means), so no inference
    schools = student_db.schools.loc[student_db.schools["program"] == "MiLab", "unit_code"].tolist()
    db = tmp_path / "lablens.duckdb"
    shutil.copy(student_db.db, db)
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE assignments SET program = 'Elsewhere' WHERE unit_id IN "
                    "(SELECT unit_id FROM units WHERE code = ?)", [schools[4]])
        con.execute("DELETE FROM observations WHERE indicator = 'score_math' AND year = 2019 AND unit_id IN "
                    "(SELECT unit_id FROM units WHERE code = ?)", [schools[3]])
    row = row_of(compare(db, "score_math", design="prepost"), program="MiLab", country="GT")
    students = with_units(student_db.raw, student_db.schools)
    part = students[students["school_code"].isin(schools[:4])
                    & ~((students["school_code"] == schools[3]) & (students["wave"] == "post"))]
    pre, post = _waves(part)
    ref = paired_reference(pre, post)
    assert row["n_units"] == 4 and row["n_linked"] == ref["n_linked"] and row["n_pre"] == len(pre)
    assert row["test"] == "paired_t" and row["diff"] == approx(ref["diff"])
    for col in NO_INFERENCE:
        assert np.isnan(row[col]), col
    assert "inference_not_reliable" in row["flags"]
