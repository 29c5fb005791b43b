"""Degenerate data give a row with a plain reason, never a traceback or a bare blank (docs/METHODS.md,
"Designs" 2): a DiD with no comparison school (a first import of programme schools only), only comparison
schools, an empty window on one side, a randomised trial with one arm, and an outcome that never varies.

Each case is a tiny database built from files through the real importer (one or two schools, 20 students).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from compare_data import load

from analysis.cli import main
from analysis.compare import compare
from analysis.compare.finish import missing_reasons
from analysis.compare.request import Evidence
from analysis.compare.suppression import cells, suppress
from analysis.plain_language import finding, sentence
from analysis.stats import did_ols

PROG, COMP = "04-01-4578-43", "04-06-2625-43"  # MINEDUC codes (Chimaltenango)
# one database whose departments are the degenerate cases of a DiD by department (MINEDUC codes: the first two
# digits are the department): (code, programme, waves measured, the reason its department's row gives)
SCHOOLS = [
    ("01-01-0101-46", "MiLab", ("pre", "post")),  # Guatemala: a programme school and no comparison school
    ("03-01-0201-46", "comparison", ("pre", "post")),  # Sacatepéquez: a comparison school only
    ("05-01-0102-46", "MiLab", ("pre", "post")),  # Escuintla: the comparison school has no post data
    ("05-01-0202-46", "comparison", ("pre",)),
    ("07-01-0103-46", "MiLab", ("post",)),  # Sololá: the programme school has no pre data
    ("07-01-0203-46", "comparison", ("pre", "post")),
]
GROUPS = {"Guatemala": "no_comparison_units", "Sacatepéquez": "no_programme_units", "Escuintla": "no_post_data",
          "Sololá": "no_pre_data"}
# a country with programme schools only, in two departments; one school measured before only
ALONE = {"01-01-0101-46": ("pre", "post"), "05-01-0102-46": ("pre", "post"), "05-01-0103-46": ("pre",)}
WORDS = {"no_pre_data": {"es": "no hay datos de antes del programa", "en": "no data from before the programme"},
         "no_post_data": {"es": "no hay datos de después del programa", "en": "no data from after the programme"},
         "no_comparison_units": {"es": "no hay escuelas de comparación", "en": "no comparison schools"}}


def _students(schools: dict[str, tuple[str, ...]], constant: bool = False, n: int = 20) -> pd.DataFrame:
    """``n`` students per school, measured in the given waves ('pre' 2024, 'post' 2025)."""
    rng = np.random.default_rng(5)
    rows = []
    for school, waves in schools.items():
        for i in range(n):
            base = 500.0 if constant else float(np.round(rng.normal(480, 40), 1))
            for wave in waves:
                score = base if constant or wave == "pre" else float(np.round(base + rng.normal(8, 10), 1))
                rows.append((f"{school}-{i}", school, 2024 if wave == "pre" else 2025, wave, "MF"[i % 2], 5, score))
    return pd.DataFrame(rows, columns=["student_id", "school_code", "year", "wave", "sex", "grade", "score_math"])


def _roster(path, rows: list[tuple]) -> Path:
    """rows: (code, programme, stratum): Guatemalan schools starting in 2025, a randomisation stratum each."""
    pd.DataFrame([("GT", "school", code, prog, "Lab Modular" if prog != "comparison" else "",
                   2025 if prog != "comparison" else "", stratum) for code, prog, stratum in rows],
                 columns=["country", "unit_type", "unit_code", "program", "lab_type", "start_year",
                          "stratum"]).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def dbs(tmp_path_factory) -> dict[str, str]:
    """one: a single programme school and nothing else (MiLab after its first import; with a stratum, a
    one-armed trial); groups: the departments of SCHOOLS; constant: 4 schools a side, every score 500; alone:
    the schools of ALONE and no comparison school, with a language score measured in 2024 only."""
    out = {}
    cases = {
        "one": ([(PROG, "MiLab", "A")], {PROG: ("pre", "post")}, False, 20),
        "groups": ([(c, p, "") for c, p, _ in SCHOOLS], {c: w for c, _, w in SCHOOLS}, False, 12),
        "constant": ([(f"04-01-{1000 + i}-43", "MiLab" if i < 4 else "comparison", "") for i in range(8)],
                     {f"04-01-{1000 + i}-43": ("pre", "post") for i in range(8)}, True, 10),
        "alone": ([(c, "MiLab", "") for c in ALONE], ALONE, False, 12),
    }
    for name, (roster, schools, constant, n) in cases.items():
        tmp = tmp_path_factory.mktemp(name)
        students = tmp / "students.csv"
        frame = _students(schools, constant, n)
        if name == "alone":
            frame["score_language"] = frame["score_math"].where(frame["year"] == 2024) - 20
        frame.to_csv(students, index=False)
        db = tmp / "lablens.duckdb"
        load(db, students, _roster(tmp / "roster.csv", roster))
        out[name] = str(db)
    return out


def _only(frame: pd.DataFrame) -> pd.Series:
    frame = frame[frame["program"] == "MiLab"]
    assert len(frame) == 1, frame
    return frame.iloc[0]


def test_did_without_comparison_schools_is_a_row_with_its_reason(dbs):
    """MiLab's state after its first import: the reviewer's traceback (``pd.concat([])`` in
    suppression.cells) is a row with no inference and the reason, overall and by a grouping."""
    for by in (None, ["department"]):
        row = _only(compare(dbs["one"], "score_math", "did", by=by))
        assert (row["evidence_reasons"], row["evidence"], row["n_comparison"]) == (
            "no_comparison_units", "insufficient", 0)
        for column in ("estimate", "se", "ci_low", "ci_high", "p_value", "q_value", "effect_size"):
            assert pd.isna(row[column]), column  # no inference of any kind


def test_did_groups_without_a_side_or_a_window_say_which(dbs):
    """By department: no comparison school, no programme school, no post data on the comparison side, no pre
    data on the programme side — each department's row says its own reason; the one with all four cells has
    an estimate."""
    frame = compare(dbs["groups"], "score_math", "did", by=["department"]).set_index("department")
    assert frame.loc[list(GROUPS), "evidence_reasons"].to_dict() == GROUPS
    assert frame.loc[list(GROUPS), "estimate"].isna().all()
    assert frame.loc[list(GROUPS), "p_value"].isna().all()


def test_did_with_one_programme_school_is_one_line_in_the_cli(dbs, capsys):
    """The reviewer's traceback (``pd.concat([])`` in suppression.cells) is a row: exit 0, the reason in it."""
    assert main(["compare", "--db", dbs["one"], "--indicator", "score_math", "--design", "did", "--json"]) == 0
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    rows = json.loads(out.out)
    rows = rows if isinstance(rows, list) else rows["rows"]
    assert [r["evidence_reasons"] for r in rows] == ["no_comparison_units"]
    assert rows[0]["n_comparison"] == 0 and rows[0]["reliability"] == "low"


def test_rct_with_one_arm_says_there_is_no_comparison_school(dbs):
    row = _only(compare(dbs["one"], "score_math", "rct"))
    assert row["evidence_reasons"] == "no_comparison_units"
    assert pd.isna(row["estimate"]) and pd.isna(row["p_value"])


def test_constant_outcome_gives_an_exact_zero_and_no_effect_size(dbs):
    """No variation: the estimate is the difference of the cell means taken exactly (the fit gave 6.36e-14),
    no interval, and no Hedges' g (the pooled SD is 0)."""
    for by in (None, ["sex"]):
        for _, row in compare(dbs["constant"], "score_math", "did", by=by).iterrows():
            assert row["estimate"] == 0.0  # exactly
            assert "no_variation" in row["flags"]
            assert pd.isna(row["effect_size"]) and pd.isna(row["ci_low"]) and pd.isna(row["p_value"])


def test_did_ols_on_constant_cells_is_exactly_the_difference_of_means():
    """Four cells that never vary within (10 clusters a side, so the fit runs): d = (510 − 500) − (503 − 500)
    = 7 to the last bit (the cluster fit gave 7.0000000000003), and least squares agrees to rounding."""
    units = np.repeat(np.arange(20), 2)
    treated = (units < 10).astype(int)
    post = np.tile([0, 1], 20)
    y = np.where(treated == 1, np.where(post == 1, 510.0, 500.0), np.where(post == 1, 503.0, 500.0))
    frame = pd.DataFrame({"y": y, "treated": treated, "post": post, "unit": units})
    res = did_ols(frame, "y", "treated", "post", "unit").as_dict()
    assert res["estimate"] == 7.0 and res["reason"] == "no_variation"
    x = np.column_stack([np.ones_like(y), treated, post, treated * post])
    assert np.linalg.lstsq(x, y, rcond=None)[0][3] == pytest.approx(7.0, abs=1e-9)
    assert math.isnan(res["se"]) and math.isnan(res["p_value"])


def test_suppression_of_rows_resting_on_no_student_cell_does_not_raise():
    frame = pd.DataFrame({"program": ["MiLab"], "country": ["GT"], "design": ["did"], "n_comparison": [0],
                          "reliability": ["low"]})
    assert cells(frame, []).empty
    out = suppress(frame, [], 10)
    assert out["suppression_reason"].isna().all() and out.loc[0, "n_comparison"] == 0


def test_missing_reasons_are_checked_in_order():
    frame = pd.DataFrame({"n_treated": [0, 1, 1, 1, 1, 2], "n_comparison": [0, 0, 1, 1, 1, 2],
                          "mean_treated_pre": [np.nan, 1, np.nan, 1, 1, 1],
                          "mean_comparison_post": [1, 1, 1, np.nan, 1, 1],
                          "mean_treated_post": [1, 1, 1, 1, 1, 1], "mean_comparison_pre": [1, 1, 1, 1, 1, 1]})
    evidence = Evidence(design="did", treated="n_treated", comparison="n_comparison", estimate="estimate")
    assert missing_reasons(frame, evidence).tolist() == [
        "no_programme_units", "no_comparison_units", "no_pre_data", "no_post_data", "no_estimate", "no_estimate"]


@pytest.mark.parametrize(("lang", "words"), [("es", "no hay escuelas de comparación"),
                                             ("en", "no comparison schools")])
def test_the_reason_in_words(dbs, lang, words):
    """Logros' sentence and the pages' reason come from the catalogue in both languages."""
    from ui.i18n import catalogue

    templates = catalogue(lang)
    assert words in templates["reason.no_comparison_units"]
    row = _only(compare(dbs["one"], "score_math", "did")).to_dict()
    f = finding(row, "score_math", True)
    assert (f.status, f.reason, f.why) == ("not_enough", "no_estimate", "no_comparison_units")
    text = sentence(f, templates, lambda v, d: f"{v:.{d}f}", {"program": "MiLab", "indicator": "Math"})
    assert words in text and "MiLab" in text
    # the brief's own templates say it too
    from analysis.evidence.brief import _templates

    assert words in sentence(f, _templates(lang, "did", 10), lambda v, d: f"{v:.{d}f}", {"program": "MiLab"})


def _said(row: dict, indicator: str, lang: str) -> str:
    """The row's Logros sentence in ``lang``, from the pages' catalogue (ui/locales through ui/i18n.py)."""
    from ui.i18n import catalogue

    f = finding(row, indicator, True)
    assert (f.status, f.reason) == ("not_enough", "no_estimate")
    return sentence(f, catalogue(lang), lambda v, d: f"{v:.{d}f}", {"program": row["program"], "indicator": "Math"})


@pytest.mark.parametrize("lang", ["es", "en"])
def test_prepost_with_an_empty_window_says_which(dbs, lang):
    """A pre/post row with no data before (Sololá's programme school) or after (Escuintla's comparison school)
    is insufficient for that reason, not for the generic ones (no comparison group, too few clusters), by
    department and by school; the others keep their design's badge."""
    frame = compare(dbs["groups"], "score_math", "prepost", by=["department"])
    got = {(r.department, r.program): (r.evidence, r.evidence_reasons) for r in frame.itertuples()}
    assert got[("Sololá", "MiLab")] == ("insufficient", "no_pre_data")
    assert got[("Escuintla", "comparison")] == ("insufficient", "no_post_data")
    assert got[("Guatemala", "MiLab")] == ("insufficient", "no_comparison_group, too_few_clusters")
    row = frame[(frame["department"] == "Sololá") & (frame["program"] == "MiLab")].iloc[0].to_dict()
    assert pd.isna(row["diff"]) and row["n_pre"] == 0 and row["n_post"] == 12
    assert WORDS["no_pre_data"][lang] in _said(row, "score_math", lang)
    schools = compare(dbs["alone"], "score_math", "prepost", by=["school"]).set_index("school")
    only_pre = schools.loc["GT-05-01-0103-46"].to_dict()
    assert (only_pre["evidence_reasons"], only_pre["n_post"]) == ("no_post_data", 0)
    assert WORDS["no_post_data"][lang] in _said(only_pre, "score_math", lang)
    from analysis.evidence.brief import _templates  # the brief says it too

    f = finding(only_pre, "score_math", True)
    assert WORDS["no_post_data"][lang] in sentence(f, _templates(lang, "prepost", 10), lambda v, d: f"{v:.{d}f}",
                                                   {"program": "MiLab"})
    assert (schools.drop("GT-05-01-0103-46")["evidence_reasons"] == "no_comparison_group, too_few_clusters").all()


def test_an_indicator_measured_one_year_says_there_is_no_data_after(dbs):
    """score_language is measured in 2024 only: every pre/post and DiD row says there is no data after the
    programme (DiD: and, first, that the country has no comparison school)."""
    prepost = compare(dbs["alone"], "score_language", "prepost")
    assert prepost["evidence_reasons"].tolist() == ["no_post_data"] and prepost["diff"].isna().all()
    did = compare(dbs["alone"], "score_language", "did")
    assert did["evidence_reasons"].tolist() == ["no_comparison_units"]


@pytest.mark.parametrize(("by", "treated"), [(["department"], {"Escuintla": 2, "Guatemala": 1}),
                                             (["sex"], {"F": 3, "M": 3}), (None, {None: 3})])
def test_did_by_group_without_comparison_schools_counts_each_group(dbs, by, treated):
    """No comparison school in the country: one row per group of the programme with its schools counted
    (never one row with an empty group and no count), no estimate, and the reason."""
    frame = compare(dbs["alone"], "score_math", "did", by=by)
    key = by[0] if by else None
    assert dict(zip(frame[key] if key else [None] * len(frame), frame["n_treated"], strict=True)) == treated
    assert (frame["n_comparison"] == 0).all() and frame["estimate"].isna().all() and frame["p_value"].isna().all()
    assert (frame["evidence_reasons"] == "no_comparison_units").all() and (frame["flags"] == "").all()
    assert (frame["note"] == "no comparison units in this country").all()


@pytest.mark.parametrize("lang", ["es", "en"])
def test_no_comparison_reason_and_note_in_words(dbs, lang):
    """The row's reason and its note, in the reader's language (the note was quoted as untranslated text)."""
    from analysis import row_notes

    row = compare(dbs["alone"], "score_math", "did", by=["sex"]).iloc[0].to_dict()
    assert WORDS["no_comparison_units"][lang] in _said(row, "score_math", lang)
    assert row_notes.say(row["note"], lang) == {"es": "no hay escuelas de comparación en este país",
                                                "en": "there are no comparison schools in this country"}[lang]


def test_empty_window_badge_and_the_saber_scale_change():
    """finish.badges: a pre/post row whose post mean is missing is insufficient for no_post_data; a Saber 11
    scale-change row (its difference withheld, both means kept) keeps its design's badge (METHODS.md,
    "Evidence checks")."""
    from analysis.compare import prepost
    from analysis.compare.finish import badges

    frame = pd.DataFrame({"n_units": [12, 12], "mean_pre": [250.0, 250.0], "mean_post": [np.nan, 262.0],
                          "diff": [np.nan, np.nan], "attrition_rating": ["not_applicable"] * 2,
                          "flags": ["", "saber_scale_change"]})
    assert badges(frame, prepost.EVIDENCE) == [("insufficient", ["no_post_data"]),
                                               ("limited", ["no_comparison_group"])]
