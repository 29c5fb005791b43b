"""finish.py: flags, badge, reliability and suppression are one vectorised implementation for every design.

The reference is the row-by-row rules the DiD used before the designs shared one implementation (and the
pre/post rows' vectorised copy was pinned to): each finished frame of either design must get the same
marks from finish.py as from these rules.
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from analysis import compare as cmp
from analysis import stats
from analysis.compare import did, finish, prepost, suppression
from analysis.compare.request import Request, check, open_db
from tests.conftest import demo_copy


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> str:
    return str(demo_copy(tmp_path_factory, 3000, 11, "finish", "demo.duckdb"))


# --- the row-by-row reference ---------------------------------------------------------------------------

def _years(value) -> list[int]:
    if value is None or (isinstance(value, float) and value != value):
        return []
    return [int(y) for y in value if y is not None and y == y]


def _int(value) -> int | None:
    return None if value is None or value != value else int(value)


def ref_flags(row: dict, req: Request) -> str:
    flags = []
    pre_years, post_years = _years(row.get("pre_years")), _years(row.get("post_years"))
    if any(y in finish.PANDEMIC_YEARS for y in pre_years + post_years):
        flags.append("pandemic_years")
    if (row.get("country") == "CO" and req.indicator.startswith("score_") and pre_years and post_years
            and min(pre_years) <= finish.SABER_SCALE_CHANGE <= max(post_years) and not req.student_level):
        flags.append("saber_scale_change")
    n_pre = row.get("students_pre", row.get("n_pre"))
    n_post = row.get("students_post", row.get("n_post"))
    if n_pre and n_post and n_pre == n_pre and n_post == n_post \
            and abs(n_post - n_pre) / n_pre > finish.COMPOSITION_CHANGE:
        flags.append("composition_change")
    if row.get("design") == "did" and row.get("baseline_g") is not None \
            and row.get("baseline_g") == row.get("baseline_g") and row["baseline_g"] < -0.05:
        flags.append("selection_low_baseline")
    significant = row.get("pretrend_significant")
    if row.get("design") == "did" and significant is not None and significant == significant and bool(significant):
        flags.append("pretrends_differ")
    if row.get("note_inference") == "inference_not_reliable" or (row.get("design") == "did"
                                                                 and row.get("inference_reliable") is False):
        flags.append("inference_not_reliable")
    return ", ".join(flags)


def ref_badge(row: dict, req: Request) -> tuple[str, list[str]]:
    if "no_variation" in str(row.get("flags") or "").split(", "):
        return "insufficient", ["no_variation"]
    # an empty window (a mean before or after missing) rates the row insufficient whatever its design
    why = ref_missing(row if row.get("design") == "did" else {**row, "n_treated": row.get("n_units")})
    if why in ("no_pre_data", "no_post_data"):
        return "insufficient", [why]
    if row.get("design") == "did":
        if row.get("estimate") is None or row.get("estimate") != row.get("estimate"):
            return "insufficient", [ref_missing(row)]
        facts = stats.EvidenceFacts(
            design="did", n_treated_clusters=_int(row.get("n_treated")),
            n_comparison_clusters=_int(row.get("n_comparison")),
            attrition=row.get("attrition_rating") if isinstance(row.get("attrition_rating"), str) else None,
            baseline=row.get("baseline_equivalence") if isinstance(row.get("baseline_equivalence"), str) else None,
            baseline_adjusted=None, clustering_handled=True,
            pretrends_ok=None if row.get("pretrend_significant") is None else not row.get("pretrend_significant"))
    else:
        att = row.get("attrition")
        rating = None
        if req.student_level and att == att and att is not None:
            rating = "low" if att * 100 <= 20 else "high"
        elif not req.student_level:
            rating = "not_applicable"
        facts = stats.EvidenceFacts(design="prepost", n_treated_clusters=_int(row.get("n_units")),
                                    attrition=rating, clustering_handled=True)
    return stats.evidence_badge(facts)


def ref_missing(row: dict) -> str:
    """Why a row has no estimate, checked row by row in the documented order (docs/METHODS.md, "Designs" 2)."""
    def absent(c: str) -> bool:
        return c in row and (row[c] is None or row[c] != row[c])

    if row.get("n_treated") == 0:
        return "no_programme_units"
    if row.get("n_comparison") == 0:
        return "no_comparison_units"
    if any(absent(c) for c in ("mean_treated_pre", "mean_comparison_pre", "mean_pre")):
        return "no_pre_data"
    if any(absent(c) for c in ("mean_treated_post", "mean_comparison_post", "mean_post")):
        return "no_post_data"
    return "no_estimate"


def ref_reliability(row: dict, req: Request) -> str:
    units = row.get("n_units")
    if row.get("design") == "did":
        sides = [v for v in (row.get("n_treated"), row.get("n_comparison")) if v is not None and v == v]
        units = min(sides) if sides else None
    if req.student_level:
        students = row.get("n_linked") if row.get("design") == "prepost" else row.get("n_students")
        if row.get("test") == "welch_t":
            students = min(row.get("n_pre"), row.get("n_post"))
        if students is not None and students == students and students < finish.MIN_STUDENTS_RELIABLE:
            return "low"
    if units is not None and units == units and units < finish.MIN_UNITS:
        return "low"
    return "ok"


def _records(frame: pd.DataFrame) -> list[dict]:
    columns = list(frame.columns)
    return [dict(zip(columns, values, strict=True)) for values in zip(*(frame[c].tolist() for c in columns),
                                                                       strict=True)]


def _assert_marks(frame: pd.DataFrame, req: Request, evidence: finish.Evidence) -> None:
    rows = _records(frame)
    assert list(finish.flags(frame, req)) == [ref_flags(r, req) for r in rows]
    assert finish.badges(frame, evidence) == [ref_badge(r, req) for r in rows]
    assert finish.reliability(frame, req, evidence) == [ref_reliability(r, req) for r in rows]


def _request(**changes) -> Request:
    base = {"indicator": "score_math", "kind": "score", "domain": "learning", "design": "prepost", "by": [],
            "attributes": [], "program": None, "pre": None, "post": None, "level": "all", "student_level": False,
            "uses_waves": False, "min_cell": 10, "weighted": False, "conf_level": 0.95}
    return Request(**{**base, **changes})


# --- finished frames of both designs --------------------------------------------------------------------

@pytest.mark.parametrize(("indicator", "by"), [("score_math", "school"), ("dropout_rate", "school"),
                                               ("score_math", "lab_type"), ("motivation_index", None)])
def test_prepost_marks_equal_row_by_row(demo, indicator, by):
    con = open_db(demo)
    try:
        req = check(con, indicator, prepost, by, None, None, None, "all", cmp.MIN_CELL, False, 0.95)
    finally:
        con.close()
    frame = cmp.compare(demo, indicator, by=by)
    frame = frame.astype({c: float for c in frame.columns if str(frame[c].dtype) == "Int64"})  # as before finish
    frame["students_pre"] = frame["n_pre"].astype(float) * np.where(np.arange(len(frame)) % 3 == 0, 1.5, 1.0)
    _assert_marks(prepost._finish_inputs(frame, req), req, prepost.EVIDENCE)


@pytest.mark.parametrize(("indicator", "by", "kwargs"), [
    ("score_math", "lab_type", {}), ("score_math", None, {}), ("dropout_rate", "department", {}),
    ("score_language", "sex", {}), ("motivation_index", "zone", {"icc": 0.3}),
])
def test_did_marks_equal_row_by_row(demo, monkeypatch, indicator, by, kwargs):
    seen: list[tuple[pd.DataFrame, Request]] = []
    real = did.finish

    def spy(frame, req, keys, evidence):
        seen.append((frame.copy(), req))
        return real(frame, req, keys, evidence)

    monkeypatch.setattr(did, "finish", spy)
    cmp.compare(demo, indicator, design="did", by=by, **kwargs)
    (frame, req), = seen
    _assert_marks(frame, req, did.EVIDENCE)


# --- one implementation, no design branches ---------------------------------------------------------------

def test_finish_has_no_design_branches():
    source = inspect.getsource(finish)
    for name in cmp.DESIGNS:
        assert f'"{name}"' not in source and f"'{name}'" not in source


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "program": ["A", "A", "B", "B"], "country": ["CO", "CO", "GT", "CO"],
        "pre_years": [[2019], [2012, 2013], [2016], None], "post_years": [[2020, 2021], [2015], [2017], [2018]],
        "n_pre": [100.0, 40.0, 50.0, np.nan], "n_post": [100.0, 60.0, 51.0, 10.0],
        "n_units": [12.0, 3.0, 8.0, np.nan], "n_students": [100.0, 20.0, 50.0, np.nan],
        "attrition_rating": ["low", None, "high", np.nan], "effect_size": [0.2, 0.1, np.nan, 0.3],
        "effect_size_kind": ["hedges_g", "pp", "hedges_g", "hedges_g"], "p_value": [0.01, 0.2, np.nan, 0.04],
    })


@pytest.mark.parametrize("student_level", [False, True])
def test_same_marks_whichever_design(student_level):
    frame = _frame()
    marks = {name: (list(finish.flags(frame, _request(design=name, student_level=student_level))),
                    finish.reliability(frame, _request(design=name, student_level=student_level), prepost.EVIDENCE))
             for name in cmp.DESIGNS}
    assert len({repr(v) for v in marks.values()}) == 1
    flags, reliability = marks["prepost"]
    assert flags == ["pandemic_years",
                     "composition_change" if student_level else "saber_scale_change, composition_change", "", ""]
    assert reliability == ["ok", "low", "ok", "ok"]  # 3 units (and, for students, 20 students)


def test_comparison_flags_from_columns():
    frame = pd.DataFrame({
        "country": ["GT"] * 4, "pre_years": [[2016]] * 4, "post_years": [[2017]] * 4,
        "baseline_g": [-0.1, 0.0, np.nan, None], "pretrend_significant": [True, False, np.nan, None],
        "inference_reliable": [False, True, np.nan, np.bool_(False)],
        "note_inference": [np.nan, "inference_not_reliable", np.nan, np.nan],
        "estimate": [1.0, 2.0, np.nan, 3.0], "n_treated": [5, 2, np.nan, 12], "n_comparison": [20, 30, np.nan, 4],
        "n_students": [100, 100, np.nan, 10],
    })
    req = _request(design="did", student_level=True)
    assert list(finish.flags(frame, req)) == [
        "selection_low_baseline, pretrends_differ, inference_not_reliable", "inference_not_reliable", "", ""]
    assert finish.reliability(frame, req, did.EVIDENCE) == ["ok", "low", "ok", "low"]
    assert finish.badges(frame, did.EVIDENCE)[2] == ("insufficient", ["no_estimate"])
    _assert_marks(frame.assign(design="did"), req, did.EVIDENCE)


def test_an_estimate_without_inference_has_no_evidence_level():
    """A DiD whose outcome does not vary within the cells (a rate 0 everywhere) keeps its estimate but has no
    interval or p-value: its badge was 'moderate' (every check passed but pre-trends), shown next to 'no interval'
    on Inicio and Logros; 'insufficient' with the reason instead. Same facts without the flag: unchanged."""
    frame = pd.DataFrame({"estimate": [0.0, 0.0], "n_treated": [40, 40], "n_comparison": [40, 40],
                          "attrition_rating": ["low"] * 2,
                          "baseline_equivalence": ["satisfied"] * 2, "pretrend_significant": [None, None],
                          "flags": ["no_variation, icc_assumed", "icc_assumed"]})
    assert finish.badges(frame, did.EVIDENCE) == [("insufficient", ["no_variation"]),
                                                  ("moderate", ["pretrends_not_assessed"])]


def test_pre_post_where_every_student_changes_alike_has_no_inference_and_says_why(demo, tmp_path):
    """Scores rising by exactly 5 a year for every student: compare() gave p = 0 and the interval [5, 5]; the
    difference stands, with no p, no interval, the no_variation flag and an 'insufficient' badge."""
    import shutil

    import duckdb

    db = tmp_path / "shift.duckdb"
    shutil.copyfile(demo, db)
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE observations SET value = 500 + 5 * (year - 2020) WHERE indicator = 'score_math'")
    frame = cmp.compare(str(db), "score_math", "prepost")
    assert len(frame) and np.allclose(frame["diff"].to_numpy(dtype=float) % 5, 0) and (frame["diff"] > 0).all()
    assert frame[["p_value", "diff_ci_low", "diff_ci_high", "diff_se", "df", "q_value", "es_ci_low",
                  "es_ci_high"]].isna().all().all()
    assert frame["flags"].str.contains("no_variation").all() and (frame["evidence"] == "insufficient").all()


def test_suppression_counts_the_smallest_cell_and_its_sibling():
    frame = pd.DataFrame({"program": ["A", "A", "A"], "country": ["CO"] * 3, "sex": ["F", "M", "X"],
                          "min_cell_students": [5.0, 40.0, 30.0], "mean_pre": [1.0, 2.0, 3.0],
                          "reliability": ["ok"] * 3})
    req = _request(student_level=True, by=["sex"], min_cell=10)
    out = finish.suppress(frame, req, ["program", "country", "sex"])
    assert list(out["reliability"]) == ["suppressed", "ok", "suppressed"]
    assert out["mean_pre"].isna().tolist() == [True, False, True]
    assert list(out["suppression_reason"]) == ["small_cell", None, "complementary"]
    unit_rows = finish.suppress(frame, _request(by=["sex"]), ["program", "country", "sex"])  # unit rows: none
    assert unit_rows["suppression_reason"].isna().all()
    pd.testing.assert_frame_equal(unit_rows.drop(columns="suppression_reason"), frame)


def test_a_municipality_view_is_protected_under_its_department_cells():
    """Department D = m1 (5 students) + m3 (40), E = m2 (12). Alone, the municipality view hides m1 and the
    cheapest sibling that brings the hidden total to 10, m2 (12): then D (45, shown by the department view)
    minus m3 (40) gives m1 = 5. With the department view's cells as fixed margins, D's partition needs a
    second hidden cell too: m3 is hidden, m2 is not needed any more (m1 + m3 = 45 >= 10 in both partitions)."""
    frame = pd.DataFrame({"program": ["A"] * 3, "country": ["CO"] * 3, "municipality": ["m1", "m2", "m3"],
                          "min_cell_students": [5.0, 12.0, 40.0], "mean_pre": [1.0, 2.0, 3.0],
                          "reliability": ["ok"] * 3})
    alone = suppression.suppress(frame.copy(), ["municipality"], 10)
    assert list(alone["suppression_reason"]) == ["small_cell", "complementary", None]
    assert suppression.coarser(["municipality"]) == [("department",), ("authority",)]
    assert suppression.coarser(["municipality", "sex"]) == [("sex",), ("department", "sex"), ("authority", "sex"),
                                                            ("municipality",)]
    departments = pd.DataFrame({"who": "A", "country": "CO", "cohort": "", "period": "all", "years": "",
                                "department": ["D", "E"], "n": [45.0, 12.0], "hidden": [False, False]})
    parents = pd.Series(["D", "E", "D"], index=pd.MultiIndex.from_tuples([("CO", "m1"), ("CO", "m2"), ("CO", "m3")]))
    margin = suppression.Margin(("department",), departments, {"municipality": parents})
    published = []
    linked = suppression.suppress(frame.copy(), ["municipality"], 10, (margin,), published)
    assert list(linked["suppression_reason"]) == ["small_cell", None, "complementary"]
    assert linked["mean_pre"].isna().tolist() == [True, False, True]
    assert published[0]["hidden"].tolist() == [True, False, True]  # what a finer view takes as its margin
    # a hidden department cell (here E) needs a second hidden cell below it: its only municipality m2
    hidden_e = suppression.Margin(("department",), departments.assign(hidden=[False, True]), {"municipality": parents})
    out = suppression.suppress(frame.copy(), ["municipality"], 10, (hidden_e,))
    assert list(out["suppression_reason"]) == ["small_cell", "complementary", "complementary"]


def test_binary_pre_post_rows_have_no_standard_error_or_degrees_of_freedom(demo, tmp_path):
    """docs/METHODS.md "Designs" 1: binary outcomes get Newcombe's score interval (no standard error, no t): the
    interval is given, diff_se, df and p are not. The demo's binary outcome is observed after only: half of its
    students are moved to a pre wave a year earlier (unlinked cohorts)."""
    import shutil

    import duckdb

    db = tmp_path / "binary.duckdb"
    shutil.copyfile(demo, db)
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE observations SET wave = 'pre', year = year - 1 "
                    "WHERE indicator = 'enrolled_next_year' AND hash(student_key) % 2 = 0")
    frame = cmp.compare(str(db), "enrolled_next_year", "prepost")
    assert (frame["test"] == "newcombe").all() and frame["diff_ci_low"].notna().any()
    assert frame[["diff_se", "df", "p_value"]].isna().all().all()
