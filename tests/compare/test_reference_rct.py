"""Design ``rct`` against statsmodels: a small randomised trial imported through the real importer (students
CSV + a roster with ``stratum`` and ``lab_operating``), analysed by compare(); the ITT against OLS with block
dummies and CRV1 errors by school (1e-9), the CACE against the Wald ratio of two statsmodels fits."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from compare_data import load
from compare_helpers import cluster_ols, run

from analysis.compare import CompareError, compare

DEPARTMENTS = ("01", "03", "04", "05")


def _trial_files(tmp, seed: int = 3, per_block: int = 10):
    rng = np.random.default_rng(seed)
    schools, rows = [], []
    for dept in DEPARTMENTS:
        codes = [f"{dept}-01-{k:04d}-46" for k in range(per_block)]
        treated = set(rng.permutation(codes)[: per_block // 2])
        for code in codes:
            z = code in treated
            operating = "yes" if z and rng.random() < 0.8 else ("yes" if rng.random() < 0.1 else "no")
            schools.append(("GT", "school", code, "MiLab" if z else "comparison", "Lab Point" if z else "",
                            2025 if z else "", dept, operating))
            u = rng.normal(0, 20)
            for i in range(int(rng.integers(8, 15))):
                pre = 470 + u + rng.normal(0, 60)
                post = pre * 0.7 + 150 + u + 25 * (operating == "yes") + rng.normal(0, 40)
                sid = f"{code}-{i:02d}"
                rows.append({"student_id": sid, "school_code": code, "wave": "pre", "year": 2024,
                             "score_math": round(pre, 2)})
                if rng.random() < 0.92:
                    rows.append({"student_id": sid, "school_code": code, "wave": "post", "year": 2025,
                                 "score_math": round(post, 2)})
    rates = [{"school_code": code, "year": year, "dropout_rate": round(float(np.clip(
                  6 + rng.normal(0, 1.5) - 1.2 * (prog == "MiLab" and year >= 2025), 0.1, 30)), 2),
              "n": int(rng.integers(40, 120))}
             for _c, _t, code, prog, *_ in schools for year in (2023, 2024, 2025, 2026)]
    pd.DataFrame(rates).to_csv(tmp / "rates.csv", index=False)
    roster = pd.DataFrame(schools, columns=["country", "unit_type", "unit_code", "program", "lab_type",
                                            "start_year", "stratum", "lab_operating"])
    students = pd.DataFrame(rows)
    students.to_csv(tmp / "students.csv", index=False)
    roster.to_csv(tmp / "roster.csv", index=False)
    return students, roster


@pytest.fixture(scope="module")
def trial(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rct")
    students, roster = _trial_files(tmp)
    db = tmp / "lablens.duckdb"
    load(db, tmp / "students.csv", tmp / "rates.csv", tmp / "roster.csv")
    wide = students.pivot_table(index=["student_id", "school_code"], columns="wave", values="score_math").reset_index()
    wide = wide.merge(roster, left_on="school_code", right_on="unit_code")
    wide["z"] = (wide["program"] == "MiLab").astype(float)
    wide["d"] = (wide["lab_operating"] == "yes").astype(float)
    return db, wide


def test_itt_matches_statsmodels_ancova_with_block_dummies(trial):
    db, wide = trial
    row = run(db, "score_math", design="rct").iloc[0]
    post = wide.dropna(subset=["post"]).copy()
    post["missing"] = post["pre"].isna().astype(float)
    assert post["missing"].sum() == 0  # every student here was seen at baseline
    ref = cluster_ols(post, "post ~ z + pre + C(stratum)", "z", "school_code")
    for k in ("estimate", "se", "p_value", "ci_low", "ci_high"):
        assert row[k] == pytest.approx(ref[k], abs=1e-9), k
    assert row["n_treated"] == 20 and row["n_comparison"] == 20 and row["n_blocks"] == 4
    assert bool(row["baseline_adjusted"]) and row["design"] == "rct"
    assert 0 < row["wild_p_value"] <= 1  # 20 schools a side: the wild bootstrap is reported too
    # CACE: the Wald ratio of the ITT and the first stage, both adjusted the same way
    itt = smf.ols("post ~ z + pre + C(stratum)", post).fit().params["z"]
    first = smf.ols("d ~ z + pre + C(stratum)", post).fit().params["z"]
    assert row["cace"] == pytest.approx(itt / first, abs=1e-9)
    assert row["compliance"] == pytest.approx(first, abs=1e-9)
    assert row["cace_ci_low"] < row["cace"] < row["cace_ci_high"]
    # attrition: the share of baseline students without an endline score
    assert row["attrition"] == pytest.approx(wide["post"].isna().mean(), abs=1e-12)
    assert row["effect_size_kind"] == "hedges_g" and row["icc_source"] == "estimated"


def test_effect_size_is_hedges_g_with_the_wwc_cluster_correction(trial):
    db, wide = trial
    row = run(db, "score_math", design="rct").iloc[0]
    post = wide.dropna(subset=["post"])
    t, c = post.loc[post["z"] == 1, "post"], post.loc[post["z"] == 0, "post"]
    n = len(t) + len(c)
    s = np.sqrt(((len(t) - 1) * t.var() + (len(c) - 1) * c.var()) / (n - 2))
    m = n / post["school_code"].nunique()
    rho = row["icc"]
    g = (1 - 3 / (4 * n - 9)) * row["estimate"] / s * np.sqrt(1 - 2 * (m - 1) * rho / (n - 2))
    assert row["effect_size"] == pytest.approx(g, rel=1e-12)


def test_school_rates_are_a_school_level_ancova_with_hc1(trial, tmp_path_factory):
    db, wide = trial
    row = run(db, "dropout_rate", design="rct").iloc[0]
    rates = pd.read_csv(db.parent / "rates.csv", dtype={"school_code": str})
    rates["period"] = np.where(rates["year"] >= 2025, "post", "pre")  # the programme's start year, 2025
    school = rates.pivot_table(index="school_code", columns="period", values="dropout_rate").reset_index()
    school = school.merge(wide[["school_code", "z", "stratum"]].drop_duplicates(), on="school_code")
    ref = smf.ols("post ~ z + pre + C(stratum)", school).fit(cov_type="HC1")
    assert row["estimate"] == pytest.approx(ref.params["z"], abs=1e-9)
    assert row["se"] == pytest.approx(ref.bse["z"], abs=1e-9)
    assert row["effect_size_kind"] == "pp" and row["effect_size"] == row["estimate"]
    assert row["attrition_rating"] == "not_applicable" and row["n_clusters"] == 40
    assert row["note"] == "windows on the start year 2025: pre < 2025 <= post"
    from analysis import row_notes

    assert row_notes.say(row["note"], "es") == ("ventanas alineadas en el año de inicio 2025: antes de 2025, después "
                                                "desde 2025")


def test_a_trial_without_start_year_reads_its_rates_on_its_baseline_and_endline_waves(tmp_path):
    """No start year in the roster (a trial registered by assignment): a yearly indicator is read on the years
    of the trial's own waves (docs/METHODS.md "Designs" 4: the waves, else the start year, else --pre/--post),
    not refused; the same school-level ANCOVA as with a start year, on baseline 2024 against endline 2025."""
    _students, roster = _trial_files(tmp_path)
    roster.assign(start_year="").to_csv(tmp_path / "roster.csv", index=False)
    db = tmp_path / "lablens.duckdb"
    load(db, tmp_path / "students.csv", tmp_path / "rates.csv", tmp_path / "roster.csv")
    row = compare(db, "dropout_rate", design="rct").iloc[0]
    rates = pd.read_csv(tmp_path / "rates.csv", dtype={"school_code": str})
    rates = rates[rates["year"].isin([2024, 2025])].assign(period=lambda r: np.where(r["year"] == 2025, "post", "pre"))
    school = rates.pivot_table(index="school_code", columns="period", values="dropout_rate").reset_index()
    school = school.merge(roster[["unit_code", "program", "stratum"]], left_on="school_code", right_on="unit_code")
    ref = smf.ols("post ~ z + pre + C(stratum)", school.assign(z=(school["program"] == "MiLab") * 1.0)).fit(
        cov_type="HC1")
    assert row["estimate"] == pytest.approx(ref.params["z"], abs=1e-9)
    assert row["se"] == pytest.approx(ref.bse["z"], abs=1e-9)
    assert row["n_clusters"] == 40
    assert row["note"] == "windows on the trial's baseline and endline waves: pre 2024, post 2025"
    from analysis import row_notes

    assert row_notes.say(row["note"], "es") == ("ventanas en los años de la línea de base y la línea final del "
                                                "ensayo: antes 2024, después 2025")


def test_a_suppressed_cell_shows_no_cace_either(trial):
    db, _ = trial
    row = run(db, "score_math", design="rct", min_cell=10_000).iloc[0]
    assert row["reliability"] == "suppressed"
    for c in ("estimate", "se", "p_value", "effect_size", "cace", "cace_ci_low", "cace_ci_high", "compliance",
              "mean_treated_post", "baseline_g"):
        assert np.isnan(row[c]), c


def test_cli_compare_design_rct(trial, capsys):
    from analysis.cli import main

    db, _ = trial
    assert main(["compare", "--db", str(db), "--indicator", "score_math", "--design", "rct", "--format", "json"]) == 0
    (got,) = json.loads(capsys.readouterr().out)
    row = run(db, "score_math", design="rct").iloc[0]
    assert got["design"] == "rct" and got["estimate"] == pytest.approx(row["estimate"], abs=1e-9)
    assert got["cace"] == pytest.approx(row["cace"], abs=1e-9) and got["n_treated"] == 20


def test_rct_needs_a_randomised_assignment(student_db):
    with pytest.raises(CompareError, match="no randomised assignment"):
        compare(student_db.db, "score_math", design="rct")
    with pytest.raises(CompareError, match="by school"):
        compare(student_db.db, "score_math", design="rct", by="school")


def test_a_did_of_a_programme_with_only_trial_schools_is_no_inference_with_the_reason(trial):
    """METHODS.md "Designs" 2: the trial's schools are design rct's; a DiD of a programme that has only trial
    schools answers with a row without an estimate and that reason (yearly rates: no student cells)."""
    from analysis import row_notes

    db, _ = trial
    out = run(db, "dropout_rate", design="did")
    assert len(out) == 1
    row = out.iloc[0]
    assert row["note"] == ("every programme school is in a randomised trial, so no observational DiD: 40 schools "
                           "of a randomised trial left out (20 programme, 20 comparison): the trial design "
                           "analyses them")
    assert np.isnan(row["estimate"]) and np.isnan(row["p_value"]) and row["evidence"] == "insufficient"
    assert row_notes.say(row["note"], "es") == (
        "todas las escuelas del programa están en un ensayo aleatorizado, así que no hay diferencias en diferencias "
        "observacional: se dejaron fuera 40 escuelas de un ensayo aleatorizado (20 del programa, 20 de "
        "comparación): las analiza el diseño del ensayo aleatorizado")
    assert row_notes.say(row["note"], "en").startswith("every programme school is in a randomised trial, so there")
    # the same schools are the trial's: design rct answers for them
    assert run(db, "dropout_rate", design="rct").iloc[0]["n_clusters"] == 40
    # a student-level outcome too (its student cells are empty: the suppression step must not fail on none)
    students = run(db, "score_math", design="did")
    assert len(students) == 1 and students.iloc[0]["note"] == row["note"]
    assert np.isnan(students.iloc[0]["estimate"]) and students.iloc[0]["evidence"] == "insufficient"
