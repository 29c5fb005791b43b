"""Context flags, disclosure control and reliability marks of compare() (docs/METHODS.md "Context flags",
"Disclosure avoidance", "Plain language": reliability; NCES 2011-603 for the minimum cell of 10)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from compare_data import with_units
from compare_helpers import row_of, run

from analysis.compare import VALUE_COLUMNS_SUPPRESSED

BLANKED_BY_SCALE_CHANGE = ("diff", "diff_ci_low", "diff_ci_high", "diff_se", "df", "p_value", "q_value",
                           "effect_size", "es_ci_low", "es_ci_high")


def _flags(row) -> set[str]:
    return {f.strip() for f in str(row["flags"]).split(",") if f.strip()}


# --- pandemic years --------------------------------------------------------------------------------------

@pytest.mark.parametrize("design", ["prepost", "did"])
def test_pandemic_flag_when_a_window_includes_2020_or_2021(rates_db, design):
    with_pandemic = run(rates_db.db, "dropout_rate", design=design, pre="2014-2016", post="2019-2021")
    without = run(rates_db.db, "dropout_rate", design=design, pre="2014-2016", post="2017-2019")
    only_2020 = run(rates_db.db, "dropout_rate", design=design, pre="2014-2016", post="2020")
    assert "pandemic_years" in _flags(row_of(with_pandemic, program="ValleLabs"))
    assert "pandemic_years" in _flags(row_of(only_2020, program="ValleLabs"))
    assert "pandemic_years" not in _flags(row_of(without, program="ValleLabs"))


# --- composition ---------------------------------------------------------------------------------------------

def _tested_per_year(rates_db, program: str, years: tuple[int, int]) -> float:
    units = rates_db.units.loc[rates_db.units["program"] == program, "unit_code"]
    part = rates_db.rates[rates_db.rates["school_code"].isin(units) & (rates_db.rates["level"] == "all")
                          & rates_db.rates["year"].between(*years)]
    return part.groupby("school_code")["n"].mean().sum()  # students counted per year, summed over units


@pytest.mark.parametrize(("program", "pre", "post"), [("GrowLab", (2014, 2016), (2017, 2019)),
                                                      ("ValleLabs", (2014, 2016), (2017, 2018)),
                                                      ("ValleLabs", (2014, 2014), (2015, 2019)),
                                                      ("comparison", (2014, 2016), (2017, 2018))])
def test_composition_flag_when_counts_tested_per_year_change_by_more_than_20_percent(rates_db, program, pre, post):
    # docs/METHODS.md: flag when the number of students tested changes by more than 20% between windows. Windows of
    # different lengths must not trigger it by themselves: counts are compared per year.
    out = run(rates_db.db, "dropout_rate", pre=f"{pre[0]}-{pre[1]}", post=f"{post[0]}-{post[1]}")
    a, b = _tested_per_year(rates_db, program, pre), _tested_per_year(rates_db, program, post)
    expected = abs(b - a) / a > 0.20
    assert expected == (program == "GrowLab")  # the fixture: only GrowLab's counts grow (by half)
    assert ("composition_change" in _flags(row_of(out, program=program))) == expected


def test_composition_flag_on_students(student_db):
    # ValleLabs loses about 5% of its students between waves: no flag; by sex, MiLab's groups are tiny and
    # suppressed; nothing in the default table changes by more than 20%.
    out = run(student_db.db, "score_math")
    raw = with_units(student_db.raw, student_db.schools)
    for row in out.itertuples():
        part = raw[(raw["program"] == row.program) & (raw["country"] == row.country)]
        n_pre, n_post = (part["wave"] == "pre").sum(), (part["wave"] == "post").sum()
        assert ("composition_change" in row.flags) == (abs(n_post - n_pre) / n_pre > 0.2)


# --- Saber 11 scale change ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("pre", "post", "straddles"), [("2012-2013", "2015-2016", True), ("2013", "2014", True),
                                                        ("2014", "2015", True), ("2015", "2016", False),
                                                        ("2012", "2013", False)])
def test_saber_scale_change_blanks_colombian_aggregate_scores(rates_db, pre, post, straddles):
    # docs/METHODS.md: Saber 11 scores before and after the second half of 2014 are on different scales: never
    # difference them (2014 itself holds both scales). Guatemalan scores are not Saber 11.
    out = run(rates_db.db, "score_math", pre=pre, post=post)
    co, gt = row_of(out, program="ValleLabs", country="CO"), row_of(out, program="MiLab", country="GT")
    assert ("saber_scale_change" in _flags(co)) == straddles
    assert "saber_scale_change" not in _flags(gt)
    assert not np.isnan(gt["diff"]) and not np.isnan(gt["p_value"])
    for col in BLANKED_BY_SCALE_CHANGE:
        assert np.isnan(co[col]) == straddles, col
    assert not np.isnan(co["mean_pre"]) and not np.isnan(co["mean_post"])  # levels are shown, never differenced


# --- disclosure -----------------------------------------------------------------------------------------------

def _assert_suppressed(row) -> None:
    assert row["reliability"] == "suppressed"
    for col in VALUE_COLUMNS_SUPPRESSED:
        if col in row.index:
            assert pd.isna(row[col]), col


def _linked_counts(raw: pd.DataFrame, program: str, field: str) -> pd.Series:
    part = raw[raw["program"] == program]
    both = part.groupby("student_id")["wave"].nunique() == 2
    return part[part["student_id"].isin(both[both].index) & (part["wave"] == "pre")].groupby(field).size()


def test_tiny_sex_group_is_suppressed_with_its_sibling(student_db):
    # NCES 2011-603: fewer than 10 students -> no values; complementary suppression: with one of two sexes
    # suppressed, the other would reveal it from the programme total, so both are hidden.
    raw = with_units(student_db.raw, student_db.schools)
    milab = _linked_counts(raw, "MiLab", "sex")
    assert milab["F"] < 10 <= milab["M"]
    out = run(student_db.db, "score_math", by="sex")
    assert {"diff_se", "df"} <= set(out.columns)  # checked by _assert_suppressed with every statistic
    for sex in ("F", "M"):
        _assert_suppressed(row_of(out, program="MiLab", sex=sex))
        row = row_of(out, program="ValleLabs", sex=sex)  # both sexes large: shown
        assert row["reliability"] != "suppressed" and not np.isnan(row["diff"])
        assert row["diff_se"] > 0 and row["df"] == row["n_units"] - 1
    assert out.loc[out["program"] == "MiLab", "q_value"].isna().all()


def test_tiny_attribute_group_hides_the_next_smallest_sibling(student_db):
    raw = with_units(student_db.raw, student_db.schools)
    counts = _linked_counts(raw, "ValleLabs", "etnia")
    assert counts["rom"] < 10 and (counts.drop("rom") >= 10).all()
    out = run(student_db.db, "score_math", by="etnia")
    next_smallest = counts.drop("rom").idxmin()
    for etnia in counts.index:
        row = row_of(out, program="ValleLabs", etnia=etnia)
        if etnia in ("rom", next_smallest):
            _assert_suppressed(row)
        else:
            assert row["reliability"] != "suppressed"


# ["sex", "etnia"] and ["grade", "etnia"] need more than one pass over the by-fields in this fixture
@pytest.mark.parametrize("by", [["sex", "grade"], ["etnia", "sex"], ["sex", "etnia"], ["grade", "etnia"],
                                ["zone", "etnia"]])
def test_complementary_suppression_leaves_no_lone_suppressed_cell(student_db, by):
    # In every set of siblings (all keys equal but one by-field) the number of suppressed cells is 0 or >= 2,
    # so no suppressed cell can be recovered from a margin.
    out = run(student_db.db, "score_math", by=by)
    keys = ["program", "country", *by]
    suppressed = out["reliability"].eq("suppressed")
    small = out["n_pre"].isna()
    assert suppressed.any()
    assert (suppressed == small).all()
    for field in by:
        others = [k for k in keys if k != field]
        per_set = suppressed.groupby([out[k].astype(str) for k in others]).sum()
        sizes = suppressed.groupby([out[k].astype(str) for k in others]).size()
        assert not ((per_set == 1) & (sizes >= 2)).any(), (field, per_set[per_set == 1])


def test_did_cells_under_ten_students_are_suppressed(student_db):
    # A DiD shows the mean of each treatment x period cell: MiLab's 6 girls are one such cell.
    out = run(student_db.db, "score_math", design="did", by="sex")
    for sex in ("F", "M"):
        _assert_suppressed(row_of(out, program="MiLab", sex=sex))
        assert row_of(out, program="ValleLabs", sex=sex)["reliability"] != "suppressed"


def test_min_cell_is_a_parameter(student_db):
    out = run(student_db.db, "score_math", by="etnia", min_cell=3)
    assert (out["reliability"] != "suppressed").all()
    assert not out["diff"].isna().any()


def test_territory_aggregates_are_not_suppressed_but_low_reliability_under_5_units(rates_db):
    # docs/METHODS.md: published territory aggregates are not suppressed; fewer than 5 units -> low reliability.
    out = run(rates_db.db, "dropout_rate", pre="2014-2016", post="2017-2019")
    territory = row_of(out, program="TerritoryLab")
    assert territory["n_units"] == 3
    assert territory["reliability"] == "low"
    assert not np.isnan(territory["diff"]) and not np.isnan(territory["p_value"])
    assert territory["df"] == 2 and territory["diff_se"] > 0  # a test over its 3 units: n − 1 df, kept
    terr = rates_db.territories
    pre = terr[terr["anno"].between(2014, 2016)].groupby("codmpio")["desercion"].mean()
    post = terr[terr["anno"].between(2017, 2019)].groupby("codmpio")["desercion"].mean()
    assert territory["diff"] == pytest.approx((post - pre).mean(), rel=1e-9)
    assert row_of(out, program="ValleLabs")["reliability"] == "ok"  # 5 units
    by_level = run(rates_db.db, "dropout_rate", pre="2014-2016", post="2017-2019", level="secondary")
    assert (by_level["reliability"] != "suppressed").all()


def test_did_with_one_small_side_is_low_reliability(rates_db):
    out = run(rates_db.db, "dropout_rate", design="did", pre="2014-2016", post="2017-2019")
    assert row_of(out, program="TerritoryLab")["reliability"] == "low"  # 3 treated units
    assert row_of(out, program="ValleLabs")["reliability"] == "ok"  # 5 vs 8
