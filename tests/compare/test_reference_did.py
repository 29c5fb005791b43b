"""compare(design='did') against statsmodels/pandas recomputed from the imported files.

References: docs/METHODS.md "Designs" 2 — y = a + b·treated + c·post + d·treated·post on unit-period (or
student-wave) observations, d = the difference of the four cell means in a saturated 2x2 design;
statsmodels OLS(...).fit(cov_type="cluster", cov_kwds={"groups": unit}) standard errors (CRV1, Cameron &
Miller 2015); p and interval from t with G − 1 df; ≤ 3 clusters on a side: no p; < 30: wild cluster
bootstrap p with a fixed seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from compare_data import with_units
from compare_helpers import approx, cell_means, cluster_ols, omega, row_of, run

from analysis.compare import compare


@pytest.fixture(scope="module")
def students(student_db):
    frame = with_units(student_db.raw, student_db.schools)
    frame["treated"] = (frame["program"] != "comparison").astype(int)
    frame["post"] = (frame["wave"] == "post").astype(int)
    return frame


@pytest.fixture(scope="module")
def did_students(student_db):
    return run(student_db.db, "score_math", design="did")


def _arm(students: pd.DataFrame, program: str, country: str) -> pd.DataFrame:
    return students[students["program"].isin([program, "comparison"]) & (students["country"] == country)]


def _unit_periods(frame: pd.DataFrame, y: str = "score_math", unit: str = "school_code") -> pd.DataFrame:
    return (frame.groupby([unit, "treated", "post"], as_index=False)
            .agg(y=(y, "mean"), w=(y, "size")))


@pytest.mark.parametrize(("program", "country"), [("ValleLabs", "CO"), ("MiLab", "GT")])
def test_did_students_equals_cell_means_and_cluster_robust_wls(did_students, students, program, country):
    data = _arm(students, program, country)
    period = _unit_periods(data)
    # Reference 1: the DiD of a saturated 2x2 design is the difference of the four cell means (student means)
    cells = cell_means(data, "score_math")
    # Reference 2: the student-level OLS interaction coefficient (statsmodels) is the same number
    student_ols = sm.OLS.from_formula("score_math ~ treated * post", data=data).fit()
    # Reference 3: compare works on unit-period means weighted by students; the same WLS in statsmodels with
    # cluster-robust (CRV1) errors on the unit, p and CI from t(G − 1)
    ref = cluster_ols(period, "y ~ treated * post", "treated:post", "school_code", weights="w")
    row = row_of(did_students, program=program, country=country)
    assert row["estimate"] == approx(cells["did"])
    assert row["estimate"] == approx(student_ols.params["treated:post"])
    assert row["estimate"] == approx(ref["estimate"])
    for col in ("se", "p_value", "ci_low", "ci_high"):
        assert row[col] == approx(ref[col]), col
    assert row["n_clusters"] == ref["n_clusters"] == data["school_code"].nunique()
    assert (row["n_treated"], row["n_comparison"]) == tuple(
        data.groupby("treated")["school_code"].nunique().loc[[1, 0]])
    for col, key in (("mean_treated_pre", (1, 0)), ("mean_treated_post", (1, 1)),
                     ("mean_comparison_pre", (0, 0)), ("mean_comparison_post", (0, 1))):
        assert row[col] == approx(cells[key]), col
    assert bool(row["inference_reliable"]) is True
    assert "inference_not_reliable" not in row["flags"]


def test_did_students_hedges_g_uses_student_sd_pooled_over_the_four_cells(did_students, students):
    # Reference: WWC Handbook v4.1 — g = ω·DiD / SD pooled within the four treatment x period cells
    # (student level), ω = 1 − 3/(4N − 9) with N = treated + comparison students (per wave, averaged).
    data = _arm(students, "ValleLabs", "CO")
    cells = data.groupby(["treated", "post"])["score_math"]
    pooled_sd = np.sqrt(cells.apply(lambda y: ((y - y.mean()) ** 2).sum()).sum() / (cells.size() - 1).sum())
    n_total = data.groupby("treated").size().sum() / 2
    row = row_of(did_students, program="ValleLabs", country="CO")
    expected = omega(n_total) * cell_means(data, "score_math")["did"] / pooled_sd
    assert row["effect_size_kind"] == "hedges_g"
    assert row["effect_size"] == approx(expected)


def test_three_or_fewer_clusters_on_a_side_give_no_p(student_db, students):
    # docs/METHODS.md: with 3 or fewer clusters on either side report the point estimate only (each ValleLabs lab
    # type has 2 schools here; the MEN test in test_real_data.py has a single treated department).
    out = run(student_db.db, "score_math", design="did", by="lab_type", program="ValleLabs")
    comparison = students[(students["program"] == "comparison") & (students["country"] == "CO")]
    for lab_type in ("Lab Center", "Lab Point", "Lab Spark"):
        data = pd.concat([students[(students["program"] == "ValleLabs") & (students["lab_type"] == lab_type)],
                          comparison])
        assert data.loc[data["treated"] == 1, "school_code"].nunique() <= 3
        row = row_of(out, lab_type=lab_type)
        assert row["estimate"] == approx(cell_means(data, "score_math")["did"])
        for col in ("se", "p_value", "ci_low", "ci_high", "wild_p_value", "q_value"):
            assert np.isnan(row[col]), col
        assert "inference_not_reliable" in row["flags"]
        assert bool(row["inference_reliable"]) is False
        assert row["reliability"] == "low"  # one side has fewer than 5 units


def test_wild_bootstrap_p_present_under_30_clusters_and_reproducible(student_db, did_students):
    # docs/METHODS.md: min(treated, comparison clusters) < 30 -> wild cluster bootstrap p, fixed seed.
    again = compare(student_db.db, "score_math", design="did")  # a fresh call, not the memoised one
    for program, country in (("ValleLabs", "CO"), ("MiLab", "GT"), ("CohortLab", "CO")):
        first = row_of(did_students, program=program, country=country)
        second = row_of(again, program=program, country=country)
        assert min(first["n_treated"], first["n_comparison"]) < 30
        assert 0 < first["wild_p_value"] <= 1
        assert first["wild_p_value"] == second["wild_p_value"]
        # B = 9,999 random replications: p is a multiple of 1/9,999; with 2^G <= 9,999 weight vectors all of
        # them are enumerated (stats/test_degenerate_inference.py) and p is a multiple of 1/2^G
        denominators = [9999] + ([2 ** int(first["n_clusters"])] if 2 ** int(first["n_clusters"]) <= 9999 else [])
        assert min(abs(first["wild_p_value"] * d - round(first["wild_p_value"] * d)) for d in denominators) < 1e-6


def _rate_panel(rates_db, program: str, pre: tuple[int, int], post: tuple[int, int]) -> pd.DataFrame:
    units = rates_db.units[rates_db.units["program"].isin([program, "comparison"])]
    rates = rates_db.rates[(rates_db.rates["level"] == "all")
                           & rates_db.rates["school_code"].isin(units["unit_code"])].copy()
    rates["treated"] = (rates["school_code"].map(units.set_index("unit_code")["program"]) != "comparison").astype(int)
    rates["post"] = np.where(rates["year"].between(*post), 1, np.where(rates["year"].between(*pre), 0, -1))
    return rates[rates["post"] >= 0]


@pytest.mark.parametrize("program", ["ValleLabs", "GrowLab", "WelchLab"])
def test_did_aggregate_rates_on_unit_period_means(rates_db, program):
    out = run(rates_db.db, "dropout_rate", design="did", pre="2014-2016", post="2017-2019")
    rates = _rate_panel(rates_db, program, (2014, 2016), (2017, 2019))
    period = _unit_periods(rates, "dropout_rate")
    # Reference: saturated 2x2 on unit-period means (unweighted): DiD of the four cell means of unit means;
    # statsmodels OLS with cov_type='cluster' on the unit; p and CI from t(G − 1).
    cells = cell_means(period, "y")
    ref = cluster_ols(period, "y ~ treated * post", "treated:post", "school_code")
    row = row_of(out, program=program, country="CO")
    assert row["estimate"] == approx(cells["did"])
    for col in ("estimate", "se", "p_value", "ci_low", "ci_high"):
        assert row[col] == approx(ref[col]), col
    assert row["mean_treated_pre"] == approx(cells[(1, 0)])
    assert row["mean_comparison_post"] == approx(cells[(0, 1)])
    assert row["n_clusters"] == ref["n_clusters"]
    # rates: the effect is in percentage points, no standardised effect
    assert row["effect_size_kind"] == "pp"
    assert row["effect_size"] == approx(row["estimate"])


def test_did_weighted_rates_use_n_weighted_unit_means(rates_db):
    # Reference: weighted=True -> unit-period means weighted by n, and the regression weighted by n (WLS)
    out = run(rates_db.db, "dropout_rate", design="did", pre="2014-2016", post="2017-2019", weighted=True)
    rates = _rate_panel(rates_db, "ValleLabs", (2014, 2016), (2017, 2019))
    period = (rates.groupby(["school_code", "treated", "post"])
              .apply(lambda g: pd.Series({"y": np.average(g["dropout_rate"], weights=g["n"]), "w": g["n"].sum()}),
                     include_groups=False).reset_index())
    ref = cluster_ols(period, "y ~ treated * post", "treated:post", "school_code", weights="w")
    row = row_of(out, program="ValleLabs", country="CO")
    for col in ("estimate", "se", "p_value", "ci_low", "ci_high"):
        assert row[col] == approx(ref[col]), col


def test_pretrend_is_the_cluster_robust_slope_difference(rates_db):
    # Reference: docs/METHODS.md "Designs" 2: difference of pre-period slopes (treated − comparison) on
    # unit-year means WITHIN units: statsmodels OLS y ~ year + treated:year + unit dummies on the units seen in
    # 2+ pre years, CRV1 errors on the unit, t(G − 1) interval.
    out = run(rates_db.db, "dropout_rate", design="did", pre="2014-2016", post="2017-2019")
    pre = _rate_panel(rates_db, "ValleLabs", (2014, 2016), (2017, 2019))
    pre = pre[pre["post"] == 0].assign(t=lambda f: f["year"] - 2015)  # centred: same slopes, better conditioned
    pre = pre[pre.groupby("school_code")["t"].transform("nunique") >= 2]
    ref = cluster_ols(pre, "dropout_rate ~ t + treated:t + C(school_code)", "treated:t", "school_code")
    row = row_of(out, program="ValleLabs", country="CO")
    assert row["pretrend_diff"] == approx(ref["estimate"])
    assert row["pretrend_ci_low"] == approx(ref["ci_low"])
    assert row["pretrend_ci_high"] == approx(ref["ci_high"])
    assert row["pretrend_p"] == approx(ref["p_value"])
    assert bool(row["pretrend_significant"]) == (ref["p_value"] < 0.05)
    assert ("pretrends_differ" in row["flags"]) == (ref["p_value"] < 0.05)


def test_did_by_lab_type_compares_each_lab_type_with_all_comparison_units(student_db, students):
    # Lab types describe programme schools only; each is compared with every comparison school of the
    # country (comparison schools have no lab type and must not be dropped or split off).
    out = run(student_db.db, "score_math", design="did", by="lab_type", program="ValleLabs")
    lab_types = students.loc[students["program"] == "ValleLabs", "lab_type"].unique()
    assert sorted(out["lab_type"]) == sorted(lab_types)
    comparison = students[(students["program"] == "comparison") & (students["country"] == "CO")]
    for lab in lab_types:
        data = pd.concat([students[(students["program"] == "ValleLabs") & (students["lab_type"] == lab)], comparison])
        row = row_of(out, lab_type=lab)
        assert row["estimate"] == approx(cell_means(data, "score_math")["did"])
        assert row["n_comparison"] == comparison["school_code"].nunique()
        assert row["n_treated"] == data.loc[data["treated"] == 1, "school_code"].nunique()


def test_did_by_sex_restricts_both_arms(student_db, students):
    out = run(student_db.db, "score_math", design="did", by="sex", program="ValleLabs")
    for sex in ("F", "M"):
        data = _arm(students, "ValleLabs", "CO")
        data = data[data["sex"] == sex]
        ref = cluster_ols(_unit_periods(data), "y ~ treated * post", "treated:post", "school_code", weights="w")
        row = row_of(out, sex=sex)
        assert row["estimate"] == approx(cell_means(data, "score_math")["did"])
        assert row["se"] == approx(ref["se"])


def test_programme_without_comparison_units_in_its_country(rates_db):
    # MiLab (Guatemala) has no Guatemalan comparison unit in this database: never compared with Colombia's
    out = run(rates_db.db, "dropout_rate", design="did", pre="2014-2016", post="2017-2019")
    row = row_of(out, program="MiLab", country="GT")
    assert row["note"] == "no comparison units in this country"
    assert np.isnan(row["estimate"]) and np.isnan(row["p_value"])
    assert row["flags"] == ""  # in particular no 'pretrends_differ' from a missing (NaN) pre-trend check
    assert row["evidence"] == "insufficient"


def test_programmes_and_countries_are_never_pooled(did_students):
    keys = list(zip(did_students["program"], did_students["country"], strict=True))
    assert sorted(keys) == [("CohortLab", "CO"), ("MiLab", "GT"), ("ValleLabs", "CO")]
    assert "comparison" not in set(did_students["program"])
