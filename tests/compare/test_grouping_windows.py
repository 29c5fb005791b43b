"""compare(by=..., level=..., pre/post windows) and its one-line CompareError messages.

Every group is recomputed from the raw rows of the imported files restricted to that group
(scipy.stats.ttest_rel / ttest_ind, as in test_reference_prepost.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from compare_data import with_units
from compare_helpers import approx, paired_reference, row_of, run, school_clustered_reference, welch_reference

from analysis.compare import CompareError, compare
from analysis.db.connect import open_db

NA = "<NA>"


@pytest.fixture(scope="module")
def students(student_db):
    con = open_db(student_db.db)
    try:
        units = con.execute("SELECT code AS unit_code, unit_id AS school, department, municipality, zone "
                            "FROM units WHERE unit_type = 'school'").df()
    finally:
        con.close()
    frame = with_units(student_db.raw, student_db.schools).drop(columns=["zone"])
    return frame.merge(units, on="unit_code", how="left", validate="many_to_one")


def _key(values) -> tuple:
    return tuple(NA if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA else str(v) for v in values)


def _waves(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    pre = frame[frame["wave"] == "pre"].set_index("student_id")["score_math"]
    post = frame[frame["wave"] == "post"].set_index("student_id")["score_math"]
    return pre, post


@pytest.mark.parametrize("by", ["program", "lab_type", "sex", "grade", "school", "department", "municipality",
                                "zone", "etnia", ["sex", "grade"], ["department", "zone", "etnia"]])
def test_each_group_equals_the_test_on_its_own_students(student_db, students, by):
    out = run(student_db.db, "score_math", by=by)
    fields = [f for f in ([by] if isinstance(by, str) else by) if f != "program"]
    keys = ["program", "country", *fields]
    assert list(out.columns[: len(keys)]) == keys
    shown = {_key(r): r for r in out[keys].itertuples(index=False, name=None)}
    expected = students.groupby(keys, dropna=False)
    assert len(out) == len(shown) == expected.ngroups
    checked = 0
    for key, part in expected:
        row = out.iloc[next(i for i, r in enumerate(out[keys].itertuples(index=False, name=None))
                            if _key(r) == _key(key))]
        pre, post = _waves(part)
        linked = pre.index.intersection(post.index)
        if row["reliability"] == "suppressed":
            assert np.isnan(row["diff"]) and pd.isna(row["n_pre"])
            continue
        assert min(len(pre), len(post), len(linked) if len(linked) else len(pre)) >= 10
        ref = paired_reference(pre, post) if len(linked) >= 2 else welch_reference(pre.to_numpy(), post.to_numpy())
        assert (row["n_pre"], row["n_post"], row["n_linked"]) == (len(pre), len(post), len(linked))
        assert row["diff"] == approx(ref["diff"])
        assert row["n_units"] == part["school_code"].nunique()
        checked += 1
        if row["n_units"] <= 3:  # no inference on 3 or fewer schools (docs/METHODS.md, "Designs" 1)
            assert np.isnan(row["p_value"]) and np.isnan(row["diff_ci_low"]) and np.isnan(row["q_value"])
            continue
        # the p-value is school-clustered (CR1, t on schools − 1 df)
        assert row["p_value"] == approx(school_clustered_reference(part)["p_value"])
    assert checked >= 3


def test_program_is_always_a_key_so_by_program_changes_nothing(student_db):
    a = run(student_db.db, "score_math")
    b = run(student_db.db, "score_math", by="program")
    pd.testing.assert_frame_equal(a, b)


# --- levels --------------------------------------------------------------------------------------------------

def _level_prepost(rates_db, program: str, level: str | list[str]) -> dict:
    units = rates_db.units.loc[rates_db.units["program"] == program, "unit_code"]
    levels = [level] if isinstance(level, str) else level
    part = rates_db.rates[rates_db.rates["school_code"].isin(units) & rates_db.rates["level"].isin(levels)]
    pre = part[part["year"].between(2014, 2016)].groupby("school_code")["dropout_rate"].mean()
    post = part[part["year"].between(2017, 2019)].groupby("school_code")["dropout_rate"].mean()
    return {"mean_pre": pre.mean(), **paired_reference(pre, post)}


@pytest.mark.parametrize("level", ["all", None])
def test_level_default_all_and_none_mean_total_rows_only(rates_db, level):
    # docs/DESIGN.md, "CLI": level "all" means the total rows only (None means the same), never a pool of levels.
    out = run(rates_db.db, "dropout_rate", pre="2014-2016", post="2017-2019", level=level)
    default = run(rates_db.db, "dropout_rate", pre="2014-2016", post="2017-2019")
    pd.testing.assert_frame_equal(out, default)
    for program in ("ValleLabs", "GrowLab", "comparison"):
        total = _level_prepost(rates_db, program, "all")
        pooled = _level_prepost(rates_db, program, ["all", "primary", "secondary"])
        row = row_of(out, program=program)
        assert row["mean_pre"] == approx(total["mean_pre"])
        assert row["diff"] == approx(total["diff"])
        assert row["p_value"] == approx(total["p_value"])
        assert abs(row["mean_pre"] - pooled["mean_pre"]) > 0.01  # the fixture tells totals from a pool


def test_one_level_and_by_level(rates_db):
    one = run(rates_db.db, "dropout_rate", pre="2014-2016", post="2017-2019", level="primary")
    by = run(rates_db.db, "dropout_rate", pre="2014-2016", post="2017-2019", by="level")
    assert set(by["level"]) == {"primary", "secondary"}  # the totals are not a level of their own
    for program in ("ValleLabs", "comparison"):
        for level in ("primary", "secondary"):
            ref = _level_prepost(rates_db, program, level)
            row = row_of(by, program=program, level=level)
            assert row["n_units"] == row["n_linked"] == ref["n_linked"]
            assert row["diff"] == approx(ref["diff"])
            assert row["p_value"] == approx(ref["p_value"])
        assert row_of(one, program=program)["diff"] == approx(_level_prepost(rates_db, program, "primary")["diff"])


# --- windows -----------------------------------------------------------------------------------------------

def test_windows_as_waves_and_as_years_agree(student_db):
    default = run(student_db.db, "score_math")
    waves = run(student_db.db, "score_math", pre="pre", post="post")
    years = run(student_db.db, "score_math", pre="2017", post="2019")
    ranges = run(student_db.db, "score_math", pre="2016-2017", post=(2019, 2019))
    cols = ["program", "country", "n_pre", "n_post", "n_linked", "diff", "p_value", "effect_size"]
    pd.testing.assert_frame_equal(default[cols], waves[cols])
    pd.testing.assert_frame_equal(default[cols], years[cols])
    pd.testing.assert_frame_equal(default[cols], ranges[cols])
    assert set(years["pre_window"]) == {"2017"} and set(ranges["pre_window"]) == {"2016-2017"}
    assert set(waves["pre_window"]) == {"pre"} and set(default["pre_window"]) == {"waves"}


def test_year_windows_select_years(rates_db):
    a = run(rates_db.db, "dropout_rate", pre="2014-2015", post="2018-2019")
    row = row_of(a, program="ValleLabs")
    assert list(row["pre_years"]) == [2014, 2015] and list(row["post_years"]) == [2018, 2019]
    units = rates_db.units.loc[rates_db.units["program"] == "ValleLabs", "unit_code"]
    part = rates_db.rates[rates_db.rates["school_code"].isin(units) & (rates_db.rates["level"] == "all")]
    pre = part[part["year"].between(2014, 2015)].groupby("school_code")["dropout_rate"].mean()
    post = part[part["year"].between(2018, 2019)].groupby("school_code")["dropout_rate"].mean()
    assert row["diff"] == approx(paired_reference(pre, post)["diff"])


# --- errors: one line, naming what exists -----------------------------------------------------------------------

def _error(*args, **kwargs) -> str:
    with pytest.raises(CompareError) as info:
        compare(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message and message.strip() == message and message
    return message


def test_unknown_indicator_names_the_indicators_present(student_db, rates_db):
    assert "score_math" in _error(student_db.db, "score_physics")
    message = _error(rates_db.db, "no_such_code")
    assert "dropout_rate" in message and "score_math" in message


def test_unknown_programme_names_the_roster(student_db):
    message = _error(student_db.db, "score_math", program="FooLab")
    assert "FooLab" in message
    assert all(p in message for p in ("CohortLab", "MiLab", "ValleLabs"))


def test_unknown_group_field_names_fields_and_attributes(student_db):
    message = _error(student_db.db, "score_math", by=["sex", "colour"])
    assert "colour" in message
    assert all(f in message for f in ("sex", "grade", "school", "lab_type", "etnia"))


def test_empty_windows_name_the_years_and_waves_that_exist(student_db, rates_db):
    message = _error(student_db.db, "score_math", pre="2001-2002", post="2003-2004")
    assert "2017-2019" in message and "pre" in message and "post" in message
    message = _error(student_db.db, "score_math", pre="baseline", post="endline")
    assert "2017-2019" in message and "post, pre" in message
    assert "2014-2021" in _error(rates_db.db, "dropout_rate", pre="2005-2006", post="2007-2008")


def test_unknown_level_and_malformed_windows(rates_db):
    message = _error(rates_db.db, "dropout_rate", level="university")
    assert all(level in message for level in ("all", "primary", "secondary"))
    assert "2019-2016" in _error(rates_db.db, "dropout_rate", pre="2019-2016", post="2020")
    assert "end before" in _error(rates_db.db, "dropout_rate", pre="2014-2018", post="2017-2019")
    assert "both" in _error(rates_db.db, "dropout_rate", pre="2014-2016")
    assert "comparison" in _error(rates_db.db, "dropout_rate", program="comparison")
