"""Suppress only what must be, say why, and carry nothing of a hidden cell (docs/METHODS.md, "Disclosure
avoidance"): complementary suppression picks the smallest cells that protect a small one, each hidden row
names its rule, and a suppressed row holds no statistic in compare(), the evidence table or the pack."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from analysis import disclosure
from analysis.compare import compare, finish, suppression
from analysis.compare.request import Request
from analysis.evidence import EvidenceRequest, evidence_table, pack_bytes
from tests.evidence.conftest import pack_context

# what a suppressed row may still say: its keys, what was asked, and why it is empty
ALLOWED = {*suppression.KEEP, "indicator", "grouping", "grade"}


def _request(**changes) -> Request:
    base = {"indicator": "score_math", "kind": "score", "domain": "learning", "design": "prepost", "by": [],
            "attributes": [], "program": None, "pre": None, "post": None, "level": "all", "student_level": True,
            "uses_waves": True, "min_cell": 10, "weighted": False, "conf_level": 0.95}
    return Request(**{**base, **changes})


def test_protect_hides_the_smallest_sibling_that_brings_the_hidden_total_to_k():
    cells = pd.DataFrame({"group": list("abcde"), "parent": 1, "n": [8, 417, 891, 20, 0]})
    assert disclosure.protect(cells, "n", [["parent"]]).tolist() == [
        "small_cell", None, None, "complementary", None]  # the garifuna (8): xinka (20), not ladino
    # 3 + 4 = 7 < 10: a third small cell is not enough either; the cheapest complement is one of 12
    cells = pd.DataFrame({"group": list("abcd"), "parent": 1, "n": [3, 4, 12, 400]})
    assert disclosure.protect(cells, "n", [["parent"]]).tolist() == ["small_cell", "small_cell", "complementary",
                                                                        None]
    # two small cells that hold k together need no complement
    cells = pd.DataFrame({"group": list("abc"), "parent": 1, "n": [4, 6, 400]})
    assert disclosure.protect(cells, "n", [["parent"]]).tolist() == ["small_cell", "small_cell", None]
    # two siblings: the only complement is the other one (documented), and it says why it is hidden
    cells = pd.DataFrame({"group": list("ab"), "parent": 1, "n": [5, 400]})
    assert disclosure.protect(cells, "n", [["parent"]]).tolist() == ["small_cell", "complementary"]


def test_a_parent_cell_is_hidden_only_when_no_sibling_can_protect_the_small_one():
    # parent 405 = children 5 + 400: a sibling is the complement (the parent, a coarser view, stays shown) ...
    n = np.array([405.0, 5.0, 400.0])
    relation = (np.array([0, 0, 0]), np.array([True, False, False]))
    assert disclosure.solve(n, [relation], 10).tolist() == [False, True, True]
    # ... unless the sibling is decided elsewhere (fixed): then the parent is hidden with its small child
    hidden = disclosure.solve(n, [relation], 10, fixed=np.array([False, False, True]))
    assert hidden.tolist() == [True, True, False]


def test_the_old_rule_hid_a_large_group_now_shown_with_the_smallest_cell_hidden_instead():
    # row r1 has 5 students before. The old rule hid the sibling with the smallest *row* minimum (r3: 11 after,
    # but 300 before); the new rule protects the small cell in its own partition (students before) with the
    # smallest cell there (r2, 12 before), and r3 stays shown.
    frame = pd.DataFrame({"program": ["A"] * 3, "country": ["CO"] * 3, "sex": ["F", "M", "X"],
                          "n_pre": [5.0, 12.0, 300.0], "n_post": [50.0, 900.0, 11.0],
                          "min_cell_students": [5.0, 12.0, 11.0], "mean_pre": [1.0, 2.0, 3.0],
                          "reliability": ["ok"] * 3})
    out = finish.suppress(frame, _request(by=["sex"]), ["program", "country", "sex"])
    assert out["suppression_reason"].tolist() == ["small_cell", "complementary", None]
    assert out["reliability"].tolist() == ["suppressed", "suppressed", "ok"]
    assert out["mean_pre"].tolist()[2] == 3.0


def test_demo_grade_rows_hidden_only_as_needed_and_each_says_why(export_db):
    out = compare(export_db, "score_math", "did", by="grade")
    keys = zip(out["program"], out["grade"], strict=True)
    reason = dict(zip(keys, out["suppression_reason"], strict=True))
    # MiLab grade 1 is a small cell; complementary suppression hides the fewest, smallest siblings that
    # protect it in each of its partitions (programme cells and comparison cells): here grades 4 and 6 (the
    # DiD without the randomised cohort's schools, which design rct analyses: METHODS.md "Designs" 2).
    # Nothing else is hidden.
    assert reason[("MiLab", "1")] == "small_cell"
    assert reason[("MiLab", "4")] == "complementary"
    assert reason[("MiLab", "6")] == "complementary"
    assert {k: v for k, v in reason.items() if v is not None}.keys() == {("MiLab", "1"), ("MiLab", "4"),
                                                                          ("MiLab", "6")}
    # the old rule counted an empty cell (no grade 11 before) as small and hid ValleLabs grade 6 (about 420
    # students a window) to protect it; an empty cell reveals nobody, and grade 6 is shown
    row = out[(out["program"] == "ValleLabs") & (out["grade"] == "6")].iloc[0]
    assert row["reliability"] == "ok" and np.isfinite(row["estimate"])


def _stat_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in ALLOWED]


def _assert_empty(rows: pd.DataFrame, keys: tuple[str, ...] = ()) -> None:
    assert len(rows)
    for column in [c for c in _stat_columns(rows) if c not in keys]:
        values = rows[column]
        assert values.isna().all() or (values.astype(str) == "").all(), (column, values.tolist())
    assert (rows["evidence"] == "insufficient").all()
    assert rows["flags"].fillna("").eq("").all() or rows["flags"].str.contains("pandemic|saber").all()


@pytest.fixture(scope="module")
def grade_pack(export_db):
    request = EvidenceRequest(indicators=("score_math",), design="did", by=("grade",), command="test")
    table = evidence_table(export_db, request)
    context = pack_context(export_db, "lablens.duckdb")
    with zipfile.ZipFile(io.BytesIO(pack_bytes(table, request, context, lang="en"))) as archive:
        csv = pd.read_csv(io.BytesIO(archive.read("evidence.csv")), encoding="utf-8-sig", keep_default_na=False,
                          na_values=[""], dtype={"grade": str})
    return table, csv


def test_a_suppressed_row_carries_no_statistic_in_compare_the_table_and_the_pack(export_db, grade_pack):
    out = compare(export_db, "score_math", "did", by="grade")
    hidden = out["reliability"] == "suppressed"
    _assert_empty(out[hidden])
    # attrition and baseline checks of a hidden cell are gone too (issue: 'pérdida de muestra alta')
    assert out.loc[hidden, ["differential_attrition", "attrition_rating", "baseline_equivalence"]].isna().all().all()
    assert out.loc[~hidden, "attrition_rating"].notna().any()  # shown rows keep them
    table, csv = grade_pack
    for frame in (table, csv):
        rows = frame[frame["reliability"] == "suppressed"]
        assert len(rows) == hidden.sum()
        _assert_empty(rows)
        assert set(rows["suppression_reason"]) == {"small_cell", "complementary"}
        assert frame.loc[frame["reliability"] != "suppressed", "suppression_reason"].isna().all()


@pytest.mark.parametrize(("design", "by", "min_cell"), [
    ("prepost", "municipality", 60), ("prepost", "grade", 60),
    ("rct", "municipality", 200), ("rct", "sex", 400)])
def test_no_other_design_leaves_a_statistic_in_a_suppressed_row(export_db, design, by, min_cell):
    """Pre-post and the trial (DiD: the test above), with a threshold that hides many rows of the demo: a hidden
    row says only its keys and why (the issue's hidden cells read 'pérdida de muestra alta · grupos no
    equivalentes')."""
    out = compare(export_db, "score_math", design, by=by, min_cell=min_cell)
    hidden = out["reliability"] == "suppressed"
    _assert_empty(out[hidden], keys=(by,))
    checks = [c for c in ("differential_attrition", "attrition_rating", "baseline_equivalence", "baseline_g",
                          "attrition") if c in out]
    assert out.loc[hidden, checks].isna().all().all()
    assert set(out.loc[hidden, "suppression_reason"]) <= {"small_cell", "complementary"}
