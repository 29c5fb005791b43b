"""Dose and response on the demo: the planted relation (analysis.demo.PLANTED_EFFECTS) is recovered, and the
fit equals statsmodels' HC2 OLS on the same schools."""

from __future__ import annotations

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
