"""Design values observed in the database (ICC, pre/post R²) and the sampling frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.pilot.frame import (
    apply_where,
    connect,
    frame_from_db,
    frame_from_directory,
    observed_icc,
    parse_where,
    prepost_correlation,
)
from tests.conftest import require_real_data


def _raw(con, indicator):
    return con.execute("SELECT u.country, o.year, o.wave, o.unit_id, o.student_key, o.value FROM observations o "
                       "JOIN units u USING (unit_id) WHERE indicator = ? AND student_key IS NOT NULL "
                       "AND level = 'all'", [indicator]).df()


def _anova_icc(g: pd.DataFrame) -> float:
    """Donner (1986) one-way ANOVA ICC written out from the raw rows."""
    groups = [v.to_numpy() for _, v in g.groupby("unit_id")["value"]]
    k, big_n = len(groups), sum(len(x) for x in groups)
    grand = np.concatenate(groups).mean()
    ssb = sum(len(x) * (x.mean() - grand) ** 2 for x in groups)
    ssw = sum(((x - x.mean()) ** 2).sum() for x in groups)
    msb, msw = ssb / (k - 1), ssw / (big_n - k)
    n0 = (big_n - sum(len(x) ** 2 for x in groups) / big_n) / (k - 1)
    return (msb - msw) / (msb + (n0 - 1) * msw)


@pytest.mark.parametrize("indicator", ["score_math", "motivation_index"])
def test_icc_matches_the_anova_formula(pilot_demo_db, indicator):
    con = connect(pilot_demo_db)
    try:
        got = observed_icc(con, indicator)
        raw = _raw(con, indicator)
    finally:
        con.close()
    assert set(got["country"]) == {"CO", "GT"}
    for row in got.itertuples():
        g = raw[(raw.country == row.country) & (raw.year == row.year) & (raw.wave == row.wave)]
        assert row.schools == g["unit_id"].nunique() and row.students == len(g)
        assert row.icc == pytest.approx(_anova_icc(g), abs=1e-10)
        assert f"{row.students:,} students in {row.schools:,} schools" in row.source
        assert ("Guatemala" if row.country == "GT" else "Colombia") in row.source


def test_icc_matches_mixedlm_when_balanced():
    """Balanced schools: the ANOVA estimator equals the REML variance components (statsmodels MixedLM).
    (With the demo's 8 very unequal Guatemalan schools the two estimators legitimately differ.)"""
    import duckdb
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(11)
    schools, students, tau, sigma = 30, 20, 0.5, 1.0
    school = np.repeat(np.arange(schools), students)
    value = 50 + tau * rng.standard_normal(schools)[school] + sigma * rng.standard_normal(schools * students)
    rows = pd.DataFrame({"unit_id": [f"GT-01-01-{s:04d}-43" for s in school], "value": value,
                         "student_key": [f"k{i}" for i in range(len(value))]})
    con = duckdb.connect()
    con.execute("CREATE TABLE units AS SELECT DISTINCT unit_id, 'GT' AS country FROM rows")
    con.execute("CREATE TABLE observations AS SELECT unit_id, student_key, 'score_math' AS indicator, "
                "2024 AS year, 'post' AS wave, 'all' AS level, value FROM rows")
    got = observed_icc(con, "score_math").iloc[0]
    fit = smf.mixedlm("value ~ 1", rows, groups=rows["unit_id"]).fit(reml=True)
    tau2, sigma2 = float(fit.cov_re.iloc[0, 0]), float(fit.scale)
    assert got.icc == pytest.approx(tau2 / (tau2 + sigma2), abs=1e-4)
    assert got.icc == pytest.approx(_anova_icc(rows), abs=1e-12)


def test_prepost_correlation_of_linked_students(pilot_demo_db):
    con = connect(pilot_demo_db)
    try:
        got = prepost_correlation(con, "score_math")
        raw = _raw(con, "score_math")
    finally:
        con.close()
    gt = got[got.country == "GT"].iloc[0]
    pre = raw[(raw.country == "GT") & (raw.wave == "pre")]
    post = raw[(raw.country == "GT") & (raw.wave == "post")]
    linked = pre.merge(post, on=["student_key", "unit_id"], suffixes=("_pre", "_post"))
    assert gt.students == len(linked) and gt.schools == linked.unit_id.nunique()
    assert gt.r == pytest.approx(np.corrcoef(linked.value_pre, linked.value_post)[0, 1], abs=1e-12)
    means = linked.groupby("unit_id")[["value_pre", "value_post"]].mean()
    assert gt.r2_schools == pytest.approx(np.corrcoef(means.value_pre, means.value_post)[0, 1] ** 2, abs=1e-12)
    assert 0 < gt.r2_students < 1 and (gt.pre, gt.post) == ("2024 pre", "2025 post")
    assert "linked" in gt.source


def test_frame_from_db_and_where(pilot_demo_db):
    con = connect(pilot_demo_db)
    try:
        frame = frame_from_db(con, baseline="score_math")
    finally:
        con.close()
    assert list(frame["unit_code"]) == sorted(frame["unit_code"])
    assert frame["baseline"].notna().all() and (frame["students_observed"] > 0).all()
    some = frame["department"].iloc[0]
    upper = some.upper().replace("Á", "A").replace("É", "E")
    assert len(apply_where(frame, f"department={upper}")) == (frame["department"] == some).sum()
    with pytest.raises(ValueError, match="no school has department"):
        apply_where(frame, "department=Atlantis")
    with pytest.raises(ValueError, match="no field"):
        apply_where(frame, "colour=blue")
    assert parse_where("zone=rural, department=Quiché|Sololá") == {"zone": ["rural"],
                                                                   "department": ["Quiché", "Sololá"]}


def test_real_directory_frame():
    real = require_real_data() / "guatemala" / "mineduc_establecimientos_diversificado_raw_noPII.csv"
    frame = frame_from_directory(real)
    assert frame["unit_code"].is_unique and list(frame["unit_code"]) == sorted(frame["unit_code"])
    assert len(frame) == 11_868  # 11,891 lines less the header and 22 blank rows
    quiche = apply_where(frame, "zone=rural,department=Quiché")
    assert len(quiche) == 109 and set(quiche["department"]) == {"Quiché"}
    assert len(apply_where(frame, "zone=RURAL,department=14")) == 109  # by code, any case
    assert (quiche["municipality"] == "Ixcan").sum() == 30


def test_plan_icc_comes_from_the_baseline_never_the_endline(pilot_demo_db):
    """On the demo the ICC a plan uses is the 2025 baseline of the randomised cohort (60 schools), computed
    independently here from the raw baseline rows with the ANOVA estimator; the endline's ICC differs."""
    from analysis.pilot.frame import observed_values, pretreatment_icc

    con = connect(pilot_demo_db)
    try:
        got = pretreatment_icc(con, "score_math", "GT")
        seen = observed_values(con, "score_math", "GT")
        raw = _raw(con, "score_math")
        rate = observed_values(con, "dropout_rate", "GT")
        rates = con.execute("SELECT o.year, o.value FROM observations o JOIN units u USING (unit_id) WHERE "
                            "o.indicator = 'dropout_rate' AND u.country = 'GT' AND o.level = 'all' AND o.unit_id "
                            "NOT IN (SELECT unit_id FROM assignments WHERE program <> 'comparison')").df()
    finally:
        con.close()
    assert (got["basis"], got["country"], got["year"], got["wave"]) == ("baseline", "GT", 2025, "baseline")
    base = raw[(raw.country == "GT") & (raw.year == 2025) & (raw.wave == "baseline")]
    end = raw[(raw.country == "GT") & (raw.wave == "endline")]
    assert (got["schools"], got["students"]) == (base.unit_id.nunique(), len(base)) and got["schools"] == 60
    assert got["icc"] == pytest.approx(_anova_icc(base), abs=1e-10)
    assert abs(got["icc"] - _anova_icc(end)) > 1e-3  # the endline would have given another value
    assert seen["icc"] == got["icc"] and seen["sd"] == pytest.approx(base.value.std(ddof=1), rel=1e-9)
    # R² from schools untreated in both waves: the comparison arm of 2025 -> 2026, never a treated endline
    assert (seen["r2_from"]["pre"], seen["r2_from"]["post"], seen["r2_from"]["schools"]) == (
        "2025 baseline", "2026 endline", 30)
    # a school rate's SD (its MDES in points) from schools in no programme, the latest year
    latest = rates[rates.year == rates.year.max()]
    assert rate["sd_from"] == {"country": "GT", "year": int(rates.year.max()), "schools": len(latest)}
    assert rate["sd"] == pytest.approx(latest.value.std(ddof=1), rel=1e-9)


def _design_db(rows: pd.DataFrame, programmes: list[tuple[str, str, int | None]] | None):
    """An in-memory database with units, observations and (unless None) the programme table."""
    import duckdb

    con = duckdb.connect()
    con.register("rows", rows)
    con.execute("CREATE TABLE units AS SELECT DISTINCT unit_id, 'GT' AS country, 'school' AS unit_type FROM rows")
    con.execute("CREATE TABLE observations AS SELECT unit_id, student_key, 'score_math' AS indicator, year, wave, "
                "'all' AS level, value FROM rows")
    if programmes is not None:
        con.execute("CREATE TABLE assignments (unit_id VARCHAR, program VARCHAR, start_year INTEGER)")
        con.executemany("INSERT INTO assignments VALUES (?, ?, ?)", programmes)
    return con


def _rows(schools: int, years_waves: list[tuple[int, str | None]], seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    school = np.repeat(np.arange(schools), 15)
    parts = []
    for year, wave in years_waves:
        value = 400 + 30 * rng.standard_normal(schools)[school] + 60 * rng.standard_normal(len(school))
        parts.append(pd.DataFrame({"unit_id": [f"GT-01-01-{s:04d}-43" for s in school], "year": year, "wave": wave,
                                   "student_key": [f"k{i}" for i in range(len(school))], "value": value}))
    return pd.concat(parts, ignore_index=True)


def test_only_endline_data_falls_back_to_the_default_with_the_reason():
    from analysis.pilot.frame import observed_values, pretreatment_icc
    from analysis.pilot.plan import icc_source_text, indicator_power

    rows = _rows(12, [(2027, "endline")])
    treated = [(u, "MiLab", 2026) for u in sorted(rows.unit_id.unique())]
    for programmes in (treated, None):  # every school treated; no programme table at all (nothing known untreated)
        con = _design_db(rows, programmes)
        assert pretreatment_icc(con, "score_math") == {}
        seen = observed_values(con, "score_math")
        assert "icc" not in seen and "r2_students" not in seen
    p = indicator_power("score_math", {"treated": 6, "comparison": 6, "strata": []}, students=15,
                        icc=seen.get("icc"), icc_source=seen.get("icc_from"))
    assert p.result.icc == 0.20 and p.icc_source == {"basis": "default"}
    assert "no data of this indicator from before any treatment" in icc_source_text(p, "en")
    assert "no tiene datos de este indicador anteriores al tratamiento" in icc_source_text(p, "es")


def test_order_of_preference_years_before_start_then_comparison_schools():
    """No baseline wave: a year before the first programme start is used; with none, comparison schools."""
    from analysis.pilot.frame import pretreatment_icc

    rows = _rows(24, [(2020, None), (2023, None)])
    units = sorted(rows.unit_id.unique())
    con = _design_db(rows, [(u, "MiLab", 2022) for u in units[:12]] + [(u, "comparison", None) for u in units[12:]])
    got = pretreatment_icc(con, "score_math")
    assert (got["basis"], got["year"], got["schools"]) == ("before_start", 2020, 24)
    assert got["icc"] == pytest.approx(_anova_icc(rows[rows.year == 2020]), abs=1e-10)
    con = _design_db(rows, [(u, "MiLab", 2019) for u in units[:12]])  # started before every measurement
    got = pretreatment_icc(con, "score_math")
    comparison = rows[(rows.year == 2023) & rows.unit_id.isin(units[12:])]
    assert (got["basis"], got["year"], got["schools"]) == ("comparison", 2023, 12)
    assert got["icc"] == pytest.approx(_anova_icc(comparison), abs=1e-10)


def test_an_icc_on_fewer_than_ten_schools_is_not_used():
    """A baseline of 9 schools gives an ICC too unstable to plan with (Donner 1986): the plan falls back to a
    comparison group of 10 schools, and with none of that size to the default, saying so."""
    from analysis.pilot.frame import pretreatment_icc
    from analysis.pilot.plan import icc_source_text, indicator_power

    base = _rows(9, [(2026, "baseline")])
    assert pretreatment_icc(_design_db(base, None), "score_math") == {}
    p = indicator_power("score_math", {"treated": 6, "comparison": 6, "strata": []}, students=15, icc=None,
                        icc_source=None)
    assert p.result.icc == 0.20 and "in at least 10 schools" in icc_source_text(p, "en")
    assert "en al menos 10 escuelas" in icc_source_text(p, "es")
    rows = _rows(10, [(2026, "baseline")], seed=8)
    got = pretreatment_icc(_design_db(rows, None), "score_math")
    assert (got["basis"], got["schools"]) == ("baseline", 10)
    assert got["icc"] == pytest.approx(_anova_icc(rows), abs=1e-10)
