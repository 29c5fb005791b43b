"""Dose and response on the demo: the planted relation (analysis.demo.PLANTED_EFFECTS) is recovered, and the
fit equals statsmodels' HC2 OLS on the same schools."""

from __future__ import annotations

import math

import duckdb
import pytest
import statsmodels.api as sm

from analysis.compare import CompareError
from analysis.implementation.dose import dose_analysis


@pytest.fixture(scope="module")
def demo(implementation_db):
    con = duckdb.connect(implementation_db, read_only=True)
    yield con
    con.close()


def test_the_fit_equals_statsmodels_on_the_same_schools(demo):
    """(The planted slope's recovery is in tests/compare/test_recovery.py, on the default-size demo.)"""
    result = dose_analysis(demo, "ValleLabs", "score_math")
    fit = result.fit
    assert fit.reason is None and fit.n_schools == len(result.schools) >= 6
    reference = sm.OLS(result.schools["change"], sm.add_constant(result.schools["dose"])).fit(cov_type="HC2",
                                                                                               use_t=True)
    assert fit.slope == pytest.approx(reference.params["dose"], rel=1e-10)
    assert fit.p_value == pytest.approx(reference.pvalues["dose"], rel=1e-8)
    assert result.groups["n_schools"].sum() == fit.n_schools
    assert result.schools_suppressed >= 0 and result.first_year == result.last_year == 2023  # post wave


def test_training_hours_carry_no_planted_relation_and_say_association(demo):
    result = dose_analysis(demo, "MiLab", "score_math", dose="training_hours_per_teacher")
    assert result.summary_row()["interpretation"] == "association"
    assert result.fit.reason is None or result.fit.reason == "too_few_schools"


def test_unknown_dose_and_programme_without_schools(demo):
    with pytest.raises(CompareError):
        dose_analysis(demo, "MiLab", "score_math", dose="minutes")
    with pytest.raises(CompareError):
        dose_analysis(demo, "NoSuchProgramme", "score_math")


def test_the_sentence_names_the_schools_left_out(demo):
    """Training hours are recorded in the post year for a third of ValleLabs' schools only: the sentence stated
    'association in 8 schools' without saying that the other 16 had no dose in those years."""
    from ui import implementation_view as view
    from ui.i18n import catalogue

    result = dose_analysis(demo, "ValleLabs", "score_math", dose="training_hours_per_teacher")
    assert result.schools_without_dose > 0 and result.first_year == result.last_year == 2023
    sentence = view.dose_sentence(result, "puntos")
    left = catalogue("es")["impl.dose_left_out"].format(n=result.schools_without_dose, years="2023")
    assert sentence.endswith(left) and f"{result.fit.n_schools} escuelas" in sentence
    full = dose_analysis(demo, "ValleLabs", "score_math")
    assert full.schools_without_dose == 0 and "Quedan fuera" not in view.dose_sentence(full, "puntos")


def test_the_dose_table_shows_the_schools_official_code(demo):
    """The table under the dose chart showed LabLens' internal id ('GT-04-01-6544-43'), not the MINEDUC code."""
    from ui import implementation_view as view
    from ui.i18n import catalogue

    result = dose_analysis(demo, "MiLab", "score_math")
    scatter, _ = view.dose_charts(result, "Matemáticas", "puntos")
    codes = scatter.table[catalogue("es")["impl.col.code"]].tolist()
    assert codes == result.schools["code"].tolist() and not any(c.startswith("GT-") for c in codes)


def test_a_small_slope_on_a_likert_scale_keeps_its_interval_visible(demo):
    """Motivation (1–5 scale): +0.010 [−0.008, +0.028] per 10 hours was written '+0,0 (−0,0 a +0,0)', an
    interval of zero width; the decimals now follow the interval's width (two significant digits)."""
    from ui import implementation_view as view
    from ui.i18n import catalogue

    result = dose_analysis(demo, "ValleLabs", "motivation_index")
    fit = result.fit
    width = 10 * (fit.ci_high - fit.ci_low)
    assert fit.reason is None and 0.01 < width < 0.1
    assert view.decimals(width) == 3 and view.decimals(20.0) == 1 and view.decimals(0.5) == 2
    sentence = view.dose_sentence(result, "puntos")
    template = catalogue("es")["impl.dose_sentence_unclear"]
    low, high = (f"{10 * v:+.3f}".replace(".", ",").replace("-", "\u2212") for v in (fit.ci_low, fit.ci_high))
    assert f"{low} a {high}" in sentence and low != high, (sentence, template)
    if not result.groups.empty and result.contrast["reason"] is None:
        assert "0,0 a " not in view.contrast_sentence(result, "puntos")


def test_two_dose_groups_are_not_called_thirds():
    """Twenty labs never used and ten used: two groups, labelled and compared as groups, not 'thirds'."""
    import numpy as np
    import pandas as pd

    from analysis.implementation.dose import DoseAnalysis
    from analysis.stats.dose_response import dose_groups, dose_response
    from ui import implementation_view as view
    from ui.i18n import catalogue

    frame = pd.DataFrame({"dose": np.r_[np.zeros(20), np.arange(1.0, 11.0)],
                          "change": np.random.default_rng(5).normal(size=30),
                          "name": [f"E{i}" for i in range(30)], "code": [str(i) for i in range(30)],
                          "unit_id": [f"GT-{i}" for i in range(30)], "n_linked": 20})
    table, contrast = dose_groups(frame)
    result = DoseAnalysis("MiLab", "score_math", "lab_hours_per_term", frame, dose_response(frame), table, contrast,
                          2025, 2025, 0, 0, None)
    words = catalogue("es")
    assert len(table) == 2 and contrast["reason"] is None
    assert view.contrast_sentence(result, "puntos").startswith(words["impl.contrast_sentence_groups"].split("{")[0])
    _, groups_chart = view.dose_charts(result, "Matemáticas", "puntos")
    assert groups_chart.table[words["impl.col.group"]].tolist() == ["Grupo 1 (0–0)", "Grupo 2 (1–10)"]


# --- standard-deviation units (two programmes' tests are on different scales) ------------------------------

SMALL_DOSE = [0.0, 12, 20, 25, 33, 41, 48, 60]
SMALL_CHANGE = [4.0, 9.5, 6.0, 14.0, 11.0, 19.5, 15.0, 26.0]


def _analysis(dose, change, sd, country="GT"):
    import pandas as pd

    from analysis.implementation.dose import DoseAnalysis
    from analysis.stats.dose_response import dose_groups, dose_response

    n = len(dose)
    frame = pd.DataFrame({"dose": dose, "change": change, "name": [f"E{i}" for i in range(n)],
                          "code": [str(i) for i in range(n)], "unit_id": [f"GT-{i}" for i in range(n)],
                          "n_linked": 20})
    table, contrast = dose_groups(frame)
    fit = dose_response(frame)
    return DoseAnalysis("MiLab", "score_math", "lab_hours_per_term", frame, fit, table, contrast, 2025, 2025, 0, 0,
                        fit.reason, sd, country)


def test_the_slope_in_student_sds_equals_statsmodels_hc2_on_changes_in_sds():
    """Eight schools, student SD 12.5 points. Reference: statsmodels OLS(change / 12.5, [1, dose]) with HC2
    (one row per school: HC2 is the school-clustered CR2 of Bell & McCaffrey with clusters of one), t on 6 df:
    slope 0.0263312 SD per hour, 95% interval 0.0141828 to 0.0384796 (raw: 0.32914 points, 0.17729 to 0.48100)."""
    import numpy as np

    result = _analysis(SMALL_DOSE, SMALL_CHANGE, 12.5)
    z = result.standardized()
    assert z["slope_sd"] == pytest.approx(0.026331221384636727, rel=1e-9)
    assert (z["ci_low_sd"], z["ci_high_sd"]) == pytest.approx((0.01418282, 0.03847962), rel=1e-6)
    assert result.fit.slope == pytest.approx(0.3291402673079591, rel=1e-9)
    reference = sm.OLS(np.array(SMALL_CHANGE) / 12.5, sm.add_constant(np.array(SMALL_DOSE))).fit(
        cov_type="HC2", use_t=True)
    assert (z["ci_low_sd"], z["ci_high_sd"]) == pytest.approx(tuple(reference.conf_int(0.05)[1]), rel=1e-10)
    assert z["top_minus_bottom_sd"] == pytest.approx(result.contrast["difference"] / 12.5, rel=1e-12)
    row = result.summary_row()
    assert row["slope_sd"] == z["slope_sd"] and row["student_sd"] == 12.5


def test_the_student_sd_is_the_standardiser_of_comparars_prepost_g(demo):
    """The SD the dose slope is divided by is the one behind Comparar's pre/post Hedges' g over the same
    students: over every programme school, ω·diff/g of compare()'s programme row (ω = 1 − 3/(4·2n − 9))."""
    from analysis.compare import compare
    from analysis.implementation.dose import student_sd

    for program in ("MiLab", "ValleLabs"):
        row = compare(demo, "score_math", design="prepost", program=program).iloc[0]
        omega = 1 - 3 / (4 * 2 * row["n_linked"] - 9)
        assert student_sd(demo, program, "score_math") == pytest.approx(omega * row["diff"] / row["effect_size"],
                                                                        rel=1e-9)
    result = dose_analysis(demo, "ValleLabs", "score_math")
    reference = sm.OLS(result.schools["change"] / result.student_sd,
                       sm.add_constant(result.schools["dose"])).fit(cov_type="HC2", use_t=True)
    z = result.standardized()
    assert result.country == "CO" and 5 < result.student_sd < 20  # Colombia's 0–100 scale
    assert (z["slope_sd"], z["ci_low_sd"], z["ci_high_sd"]) == pytest.approx(
        (reference.params["dose"], *reference.conf_int(0.05).loc["dose"]), rel=1e-9)
    assert dose_analysis(demo, "MiLab", "score_math").student_sd > 40  # Guatemala's 200–800 scale


@pytest.mark.parametrize(("dose", "change", "reason"), [
    ([30.0], [12.0], "too_few_schools"),
    ([30.0] * 8, SMALL_CHANGE, "no_dose_variation"),
    (SMALL_DOSE, [5.0] * 8, "no_outcome_variation"),
])
def test_degenerate_schools_give_no_inference_in_any_unit(dose, change, reason):
    from ui import implementation_view as view
    from ui.i18n import catalogue

    result = _analysis(dose, change, 12.5)
    z = result.standardized()
    assert result.fit.reason == reason and all(math.isnan(z[k]) for k in ("ci_low_sd", "ci_high_sd"))
    sentence = view.dose_sentence(result)
    assert sentence.startswith(catalogue("es")["impl.dose_none"].split("(")[0])
    assert ("(1 escuela)" in sentence) == (len(dose) == 1)
    assert catalogue("es")[f"impl.reason.{reason}"] in sentence and " DE" not in sentence


def test_without_a_student_sd_the_raw_points_are_said_not_comparable():
    """A unit-level indicator (no students) or no spread: no SD, the sentence stays in the test's points and
    says so; never a division by zero."""
    from ui import implementation_view as view
    from ui.i18n import catalogue

    words = catalogue("es")
    for sd in (math.nan, 0.0):
        result = _analysis(SMALL_DOSE, SMALL_CHANGE, sd)
        assert math.isnan(result.standardized()["slope_sd"])
        sentence = view.dose_sentence(result)
        scale = words["impl.points_of"].format(country="Guatemala")
        assert words["impl.dose_no_sd"].format(scale=scale) in sentence and "+3,3 puntos de la prueba" in sentence
