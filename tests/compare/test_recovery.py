"""Recovery on the demo data: every planted programme effect lies inside compare()'s 99.9% interval.

docs/METHODS.md "Checking the checks": planted effects inside their 99.9% intervals (a 95% interval misses 1 in
20 by design). The planted values and their definitions are `analysis.demo.PLANTED_EFFECTS` (data/README.md,
"Planted effects"): DiD for programme effects against the comparison schools, pre/post where the planted
quantity is a pre/post change. The demo is built once (default size and seed) in a tmp directory.
"""

from __future__ import annotations

import pytest
from compare_helpers import row_of

from analysis import row_notes
from analysis.compare import compare

demo = pytest.importorskip("analysis.demo", reason="analysis/demo/ (the demo generator) is not in this tree")

LEVEL = 0.999
PROGRAMMES = (("ValleLabs", "CO"), ("MiLab", "GT"))
SCORES = ("score_math", "score_language", "score_science")
RATES = ("dropout_rate", "promotion_rate", "repetition_rate")
P = demo.PLANTED_EFFECTS


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "lablens.duckdb"
    demo.build_demo(path)  # the default size and seed
    return path


@pytest.fixture(scope="module")
def results(demo_db):
    """compare() results, computed once per request (the demo has 20,000 students)."""
    cache: dict = {}

    def get(indicator: str, design: str, **kwargs):
        key = (indicator, design, tuple(sorted(kwargs.items())))
        if key not in cache:
            cache[key] = compare(demo_db, indicator, design=design, conf_level=LEVEL, **kwargs)
        return cache[key]

    return get


def _inside(value: float, low: float, high: float, what: str) -> None:
    assert low <= value <= high, f"{what}: planted {value} outside the {LEVEL:.1%} interval [{low:.4f}, {high:.4f}]"


@pytest.mark.parametrize("indicator", SCORES)
@pytest.mark.parametrize(("program", "country"), PROGRAMMES)
def test_score_did_recovers_planted_points_and_g(results, indicator, program, country):
    planted = P[program][indicator]
    row = row_of(results(indicator, "did"), program=program, country=country)
    assert bool(row["inference_reliable"])
    _inside(planted["did_points"], row["ci_low"], row["ci_high"], f"{program} {indicator} DiD points")
    assert row["effect_size_kind"] == "hedges_g"
    _inside(planted["did_g"], row["es_ci_low"], row["es_ci_high"], f"{program} {indicator} DiD g")


def test_milab_did_leaves_the_randomised_cohort_to_the_trial_design(results):
    """METHODS.md "Designs" 2: the 2024 cohort (40 schools, one pre year) is not pooled with the 60 trial
    schools (baseline 2026, endline 2027), whose pre year is other schools' and would make a pre-trend
    'check' across different schools; so no pre-trend is assessed and the evidence is at most moderate."""
    out = results("score_math", "did")
    row = row_of(out, program="MiLab", country="GT")
    assert (row["n_treated"], row["n_comparison"]) == (40, 40)
    assert list(row["pre_years"]) == [2024] and list(row["post_years"]) == [2025]
    assert row["pretrend_p"] != row["pretrend_p"] and row["evidence"] == "moderate"
    assert "pretrends_not_assessed" in row["evidence_reasons"]
    assert row["note"] == ("60 schools of a randomised trial left out (30 programme, 30 comparison): the trial "
                           "design analyses them")
    # the territories' DiDs (Regiones) are the same rows by department: no trial school in any of them
    by_dept = results("score_math", "did", by="department", program="MiLab")
    assert by_dept["n_treated"].sum() == 40 and set(by_dept["post_years"].map(tuple)) == {(2025,)}
    # science has no trial data: nothing left out, nothing said
    assert row_of(results("score_science", "did"), program="MiLab")["note"] == ""
    # the notes in words (analysis/row_notes.py), as the Comparar page shows them
    assert row_notes.say(row["note"], "es") == ("se dejaron fuera 60 escuelas de un ensayo aleatorizado (30 del "
                                                "programa, 30 de comparación): las analiza el diseño del ensayo "
                                                "aleatorizado")
    staggered = results("dropout_rate", "did")
    notes = staggered.loc[staggered["program"] == "ValleLabs", "note"]
    assert [row_notes.say(n, "es") for n in notes] == [
        f"adopción escalonada: la cohorte que empezó en {y} se compara por separado; ventanas alineadas en el año "
        f"de inicio {y}: antes de {y}, después desde {y}" for y in (2019, 2020, 2021)]
    assert row_notes.say(notes.iloc[0], "en") == ("staggered adoption: the cohort that started in 2019 is compared "
                                                  "separately; windows aligned on start year 2019: before 2019, "
                                                  "after from 2019 on")


@pytest.mark.parametrize(("program", "country"), PROGRAMMES)
def test_score_did_by_lab_type_recovers_each_lab_types_effect(results, program, country):
    # mathematics only (the other subjects' lab-type effects are fixed multiples of it; suite time budget)
    indicator = "score_math"
    planted = P[program][indicator]
    out = results(indicator, "did", by="lab_type")
    # MiLab's randomised cohort (its own lab type, data/README.md) is left out: design rct analyses it
    assert set(out.loc[out["program"] == program, "lab_type"]) == set(planted["by_lab_type_g"])
    for lab_type, g in planted["by_lab_type_g"].items():
        row = row_of(out, program=program, country=country, lab_type=lab_type)
        _inside(g * planted["sd_points"], row["ci_low"], row["ci_high"], f"{program} {lab_type} {indicator} DiD")
        _inside(g, row["es_ci_low"], row["es_ci_high"], f"{program} {lab_type} {indicator} DiD g")


@pytest.mark.parametrize(("program", "country"), PROGRAMMES)
def test_motivation_did_recovers_planted_index_points(results, program, country):
    row = row_of(results("motivation_index", "did"), program=program, country=country)
    _inside(P[program]["motivation_index"]["did_points"], row["ci_low"], row["ci_high"], f"{program} motivation")


@pytest.mark.parametrize("indicator", RATES)
@pytest.mark.parametrize(("program", "country"), PROGRAMMES)
def test_rate_did_recovers_planted_points_per_start_year_cohort(results, indicator, program, country):
    # default windows: aligned on start year; ValleLabs' lab types start in 2019/2020/2021 (staggered
    # adoption: one row per cohort), MiLab's all in 2024
    planted = P[program][indicator]["did_points"]
    out = results(indicator, "did")
    rows = out[(out["program"] == program) & (out["country"] == country)]
    assert len(rows) == (3 if program == "ValleLabs" else 1)
    for row in rows.to_dict("records"):
        assert row["effect_size_kind"] == "pp"
        _inside(planted, row["ci_low"], row["ci_high"], f"{program} {indicator} cohort {row.get('start_year_cohort')}")


def test_rate_did_pooled_with_explicit_windows(results):
    # every ValleLabs lab type operates from 2021 on, so 2015-2018 vs 2021-2025 pools them at the same effect
    row = row_of(results("dropout_rate", "did", pre="2015-2018", post="2021-2025"), program="ValleLabs")
    _inside(P["ValleLabs"]["dropout_rate"]["did_points"], row["ci_low"], row["ci_high"], "ValleLabs dropout pooled")
    assert row["n_treated"] == 120 and "start_year_cohort" not in row.index


@pytest.mark.parametrize("indicator", SCORES)
@pytest.mark.parametrize(("program", "country"), PROGRAMMES)
def test_score_prepost_recovers_planted_prepost_g(results, indicator, program, country):
    # pre/post g = change / SD pooled over the two waves (PLANTED_EFFECTS 'prepost_g'); compare's interval
    # for g carries the design effect of schools (Hedges 2007)
    planted = P[program][indicator]
    out = results(indicator, "prepost")
    row = row_of(out, program=program, country=country)
    _inside(planted["prepost_g"], row["es_ci_low"], row["es_ci_high"], f"{program} {indicator} pre/post g")
    comparison = row_of(out, program="comparison", country=country)
    _inside(planted["comparison_prepost_g"], comparison["es_ci_low"], comparison["es_ci_high"],
            f"{country} comparison {indicator} pre/post g")


def _prepost_points(program: str, country: str, indicator: str) -> float:
    planted = P["ValleLabs" if country == "CO" else "MiLab"][indicator]
    return planted["prepost_points"] if program != "comparison" else planted["comparison_prepost_points"]


@pytest.mark.parametrize("indicator", (*SCORES, "motivation_index"))
@pytest.mark.parametrize(("program", "country"), (*PROGRAMMES, ("comparison", "CO"), ("comparison", "GT")))
def test_prepost_change_in_points_inside_the_design_effect_widened_interval(results, indicator, program, country):
    # compare's diff interval is the paired t on linked students (docs/METHODS.md Designs 1), which ignores that
    # growth is clustered in schools (reported disagreement); widened by compare's own design effect
    # 1 + (ñ − 1)ρ (Hedges 2007) it must contain the planted pre/post change.
    row = row_of(results(indicator, "prepost"), program=program, country=country)
    planted = _prepost_points(program, country, indicator)
    half = (row["diff_ci_high"] - row["diff_ci_low"]) / 2 * row["design_effect"] ** 0.5
    assert row["design_effect"] >= 1
    _inside(planted, row["diff"] - half, row["diff"] + half, f"{program} {country} {indicator} pre/post points")


@pytest.mark.parametrize(("program", "indicator"), [("comparison", "score_math"), ("ValleLabs", "score_science")])
def test_clustered_prepost_interval_covers_planted_change(results, program, indicator):
    """The student pre/post interval is cluster-robust by school (CR1, t on schools − 1 df): growth is
    clustered within schools, and the interval of a paired t over the students missed these two changes."""
    row = row_of(results(indicator, "prepost"), program=program, country="CO")
    planted = _prepost_points(program, "CO", indicator)
    _inside(planted, row["diff_ci_low"], row["diff_ci_high"], f"CO {program} {indicator} pre/post points")


@pytest.mark.parametrize(("programme", "country"), PROGRAMMES)
def test_planted_dose_response_recovered(demo_db, programme, country):
    """School math gain (scale SDs) on the post-year lab hours per term, with lab-type indicators: the
    planted slope (data/README.md, "Implementation records and the planted dose-response") lies inside the
    99.9% interval of the OLS slope (statsmodels), and is not zero."""
    import duckdb
    import statsmodels.formula.api as smf

    dose = P["dose_response"]
    sd = demo.params.SCORE_SCALE[country]["sd"]
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        frame = con.execute(
            "WITH g AS (SELECT unit_id, avg(value) FILTER (wave = 'post') - avg(value) FILTER (wave = 'pre') AS gain "
            "FROM observations WHERE indicator = 'score_math' GROUP BY unit_id) "
            "SELECT g.gain / ? AS gain, i.lab_hours_per_term AS dose, i.lab_type "
            "FROM g JOIN implementation_school_year i USING (unit_id) WHERE i.program = ? AND i.year = ?",
            [sd, programme, dose["dose_year"][programme]]).df()
    finally:
        con.close()
    assert len(frame) == {"ValleLabs": 120, "MiLab": 40}[programme]
    assert (frame["dose"] == 0).sum() == {"ValleLabs": 6, "MiLab": 12}[programme]  # labs that never work
    fit = smf.ols("gain ~ dose + C(lab_type)", frame).fit()
    low, high = fit.conf_int(alpha=1 - LEVEL).loc["dose"]
    assert low <= dose["slope_per_hour"]["score_math"] <= high
    assert low > 0


@pytest.mark.parametrize(("programme", "country"), PROGRAMMES)
def test_dose_analysis_recovers_the_planted_dose_response(demo_db, programme, country):
    """The Implementación page's analysis (analysis.implementation.dose: each school's pre/post change from
    compare() by school against its lab hours per term, HC2 OLS) finds the planted slope inside its interval
    and above zero; its slope and standard error equal statsmodels' on the same schools."""
    import duckdb
    import statsmodels.api as sm

    from analysis.implementation.dose import dose_analysis

    planted = P["dose_response"]["slope_per_hour"]["score_math"] * demo.params.SCORE_SCALE[country]["sd"]
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        result = dose_analysis(con, programme, "score_math", level=LEVEL)
    finally:
        con.close()
    fit = result.fit
    assert fit.reason is None and fit.n_schools >= {"ValleLabs": 100, "MiLab": 30}[programme]
    assert fit.ci_low <= planted <= fit.ci_high and fit.ci_low > 0
    reference = sm.OLS(result.schools["change"], sm.add_constant(result.schools["dose"])).fit(cov_type="HC2",
                                                                                               use_t=True)
    assert fit.slope == pytest.approx(reference.params["dose"], rel=1e-10)
    assert fit.se == pytest.approx(reference.bse["dose"], rel=1e-10)
    assert result.contrast["difference"] > 0


def test_demo_paired_prepost_interval_is_school_clustered(demo_db, results):
    """compare() on the demo: the linked students' interval is statsmodels' school-clustered OLS one (CR1, t on
    schools − 1 df; METHODS.md "Designs" 1) and wider than the paired t over students (scipy.stats.ttest_rel)."""
    import duckdb
    import numpy as np
    import statsmodels.api as sm
    from scipy import stats as sps

    from analysis.compare import UNIT_PROGRAM_CTE

    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        frame = con.execute(
            f"WITH {UNIT_PROGRAM_CTE} SELECT o.unit_id, avg(o.value) FILTER (o.wave = 'post') - avg(o.value) "
            "FILTER (o.wave = 'pre') AS d FROM observations o JOIN up USING (unit_id) JOIN units u USING (unit_id) "
            "WHERE o.indicator = 'score_math' AND up.program = 'comparison' AND u.country = 'CO' "
            "GROUP BY o.unit_id, o.student_key HAVING d IS NOT NULL").df()
    finally:
        con.close()
    row = row_of(results("score_math", "prepost"), program="comparison", country="CO")
    assert row["test"] == "paired_t" and row["n_linked"] == len(frame)
    schools = frame["unit_id"].nunique()
    fit = sm.OLS(frame["d"].to_numpy(), np.ones(len(frame))).fit(
        cov_type="cluster", cov_kwds={"groups": frame["unit_id"].factorize()[0]}, use_t=True)
    low, high = fit.conf_int(1 - LEVEL)[0]
    assert fit.df_resid_inference == schools - 1
    assert row["diff_ci_low"] == pytest.approx(low, rel=1e-8) and row["diff_ci_high"] == pytest.approx(high, rel=1e-8)
    assert row["p_value"] == pytest.approx(fit.pvalues[0], rel=1e-8, abs=1e-300)
    naive = sps.ttest_rel(frame["d"].to_numpy(), np.zeros(len(frame))).confidence_interval(LEVEL)
    assert high - low > 1.2 * (naive.high - naive.low)
