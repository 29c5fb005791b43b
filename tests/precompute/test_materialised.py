"""Page queries kept with every snapshot (analysis.precompute.materialised): the stored
tables give exactly the rows of the original queries, and are only trusted while current (issue #6)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from analysis import queries
from analysis.db import sufficient
from analysis.demo import build_demo
from analysis.precompute import materialised
from analysis.precompute.publish import writable_snapshot


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("materialised") / "demo.duckdb"
    build_demo(path, students=2500, seed=9)
    return path


def _frame(db: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).df()


def _params(statement: str) -> list[list]:
    if statement == queries.SMALL_CELLS_SQL:
        return [[5], [10], [1000]]
    if statement == queries.INDICATOR_YEARS_SQL:
        return [["score_math"], ["dropout_rate"], ["no_such_indicator"]]
    if statement == queries.unit_period_derived_sql(None):
        return [["score_math", "CO"], ["motivation_index", "GT"], ["no_such_indicator", "CO"]]
    return [[]]


@pytest.mark.parametrize("statement", list(materialised.MATERIALISED),
                         ids=[t for t, _, _, _ in materialised.MATERIALISED.values()])
def test_stored_page_query_equals_the_query(demo, statement):
    table, _, read, _ = materialised.MATERIALISED[statement]
    for params in _params(statement):
        expected = _frame(demo, statement, params)
        got = _frame(demo, read, params)
        if statement == queries.INDICATOR_YEARS_SQL:
            expected = expected.sort_values("country").reset_index(drop=True)
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)
        if "no_such_indicator" not in params:
            assert len(got) > 0, table


@pytest.mark.parametrize(("indicator", "country", "field", "value"), [
    ("score_math", "CO", None, None),
    ("score_language", "GT", None, None),
    ("motivation_index", "CO", "department", "Valle del Cauca"),
    ("score_science", "CO", "lab_type", "Lab Center"),
    ("score_math", "GT", "zone", "rural"),
])
def test_unit_periods_pooled_from_the_cells_equal_the_rows(demo, indicator, country, field, value):
    params = queries.unit_period_params(indicator, country, None, field, value)
    expected = _frame(demo, queries.unit_period_sql(True, field), params)
    got = _frame(demo, queries.unit_period_derived_sql(field), params)
    assert len(expected) > 10
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-9, atol=1e-9)


def test_a_unit_in_two_programmes_is_one_row_per_period(tmp_path):
    """A unit assigned to two programmes (the roster allows it) keeps one row per period in the pooled
    unit means, stored or not, as in the query on the rows."""
    path = tmp_path / "two.duckdb"
    build_demo(path, students=800, seed=4)
    with writable_snapshot(path) as con:
        con.execute("INSERT INTO target.assignments SELECT unit_id, 'OtherLab', 'Lab Point', 2022, NULL "
                    "FROM target.assignments WHERE program = 'ValleLabs' LIMIT 3")
    params = ["score_math", "CO"]
    rows = _frame(path, queries.unit_period_sql(True, None), params)
    for statement in (queries.unit_period_derived_sql(None), materialised.MATERIALISED[
            queries.unit_period_derived_sql(None)][2]):
        got = _frame(path, statement, params)
        assert not got.duplicated(["unit_id", "period"]).any()
        assert sorted(got["unit_id"].unique()) == sorted(rows["unit_id"].unique())


def test_row_fields_are_not_pooled():
    assert queries.unit_period_derived_sql("sex") is None
    assert queries.unit_period_derived_sql("ethnicity") is None


def test_stored_queries_are_trusted_only_while_current(tmp_path):
    db = tmp_path / "demo.duckdb"
    build_demo(db, students=600, seed=4)
    with duckdb.connect(str(db), read_only=True) as con:
        assert materialised.current(con)
    with duckdb.connect(str(db)) as con:  # a change made outside LabLens
        con.execute("DELETE FROM assignments WHERE unit_id = (SELECT min(unit_id) FROM assignments)")
        assert not materialised.current(con)
    # the next LabLens write recomputes them; a write that changes nothing they read does not
    with writable_snapshot(db) as con:
        pass
    with duckdb.connect(str(db), read_only=True) as con:
        assert materialised.current(con)
        assert con.execute("SELECT * FROM derived_q_programme_overview").fetchall() == \
            con.execute(queries.PROGRAMME_OVERVIEW_SQL).fetchall()
    with writable_snapshot(db) as con:
        assert materialised.materialise(con, "target") == []


def test_a_database_without_derived_tables_is_not_current(tmp_path):
    with duckdb.connect(str(tmp_path / "old.duckdb")) as con:
        con.execute("CREATE TABLE observations (x INTEGER)")
        assert not materialised.current(con)


@pytest.mark.parametrize(("indicator", "country", "field", "value"), [
    ("score_math", "CO", None, None),
    ("motivation_index", "GT", None, None),
    ("score_science", "CO", "lab_type", "Lab Point"),
    ("score_language", "CO", "department", "Valle del Cauca"),
])
def test_histogram_summed_from_the_school_bins_equals_the_rows(demo, indicator, country, field, value):
    expected = _frame(demo, queries.histogram_sql(True, field),
                      queries.histogram_params(indicator, country, None, field, value))
    got = _frame(demo, queries.histogram_derived_sql(field),
                 queries.unit_period_params(indicator, country, None, field, value))
    assert expected["count"].sum() > 100 and set(expected["period"]) == {"pre", "post"}
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-12)
    # the bins span the indicator's range in the country: Colombia (0-100) and Guatemala (200-800) each
    # get their own twenty bins, not a few bins of a common range
    with duckdb.connect(str(demo), read_only=True) as con:
        lo, hi = con.execute("SELECT min(value), max(value) FROM observations JOIN units USING (unit_id) "
                             "WHERE indicator = ? AND level = 'all' AND country = ?", [indicator, country]).fetchone()
    width = (hi - lo) / queries.HISTOGRAM_BINS
    assert ((expected["lo"] - lo) / width).round(9).eq(expected["bin"]).all()  # on the country's grid
    if field is None:
        assert expected["lo"].min() == pytest.approx(lo) and expected["hi"].max() == pytest.approx(hi)
        assert expected["bin"].nunique() >= 12


def test_subgroup_histogram_bins_on_the_subgroup_range(tmp_path):
    """A sex filter on unit rows bins the subgroup rows on their own range (the totals' range left
    girls' lower rates below the first bin: negative bin numbers)."""
    db = tmp_path / "demo.duckdb"
    build_demo(db, students=400, seed=8)
    with writable_snapshot(db) as con:
        con.execute("""INSERT INTO target.observations (import_id, unit_id, indicator, year, level, sex, value, n)
                       SELECT 1, o.unit_id, 'dropout_rate', o.year, 'all', 'F', o.value / 10, 50
                       FROM target.observations o JOIN target.units u USING (unit_id)
                       WHERE o.indicator = 'dropout_rate' AND u.country = 'CO' AND o.sex IS NULL""")
    windows = (2015, 2018, 2021, 2025)
    frame = _frame(db, queries.histogram_sql(False, "sex"),
                   queries.histogram_params("dropout_rate", "CO", windows, "sex", "F"))
    with duckdb.connect(str(db), read_only=True) as con:
        lo, hi = con.execute("SELECT min(value), max(value) FROM observations JOIN units USING (unit_id) "
                             "WHERE indicator = 'dropout_rate' AND sex IS NOT NULL AND country = 'CO'").fetchone()
    assert frame["count"].sum() > 100
    assert frame["bin"].between(0, queries.HISTOGRAM_BINS - 1).all()
    assert frame["lo"].min() == pytest.approx(lo) and frame["hi"].max() <= hi + 1e-9


def test_outside_edits_values_are_seen_and_relabelling_needs_a_rebuild(tmp_path):
    from analysis.cli import main

    db = tmp_path / "demo.duckdb"
    build_demo(db, students=600, seed=12)
    with duckdb.connect(str(db)) as con:  # values changed outside LabLens: the page tables are not trusted
        con.execute("UPDATE observations SET value = value + 5 WHERE indicator = 'score_math' AND wave = 'post'")
        assert not materialised.current(con)
    assert main(["rebuild-derived", "--db", str(db)]) == 0
    with duckdb.connect(str(db)) as con:
        assert materialised.current(con)
        # rows moved between two schools keep every count and sum: only a rebuild brings the tables back
        a, b = con.execute("SELECT min(unit_id), max(unit_id) FROM observations "
                           "WHERE indicator = 'score_math' AND unit_id LIKE 'CO-%'").fetchone()
        con.execute("UPDATE observations SET unit_id = ? WHERE unit_id = ? AND indicator = 'score_math'", [b, a])
        stale = con.execute(f"SELECT count(*) FROM {sufficient.MOMENTS_TABLE} WHERE unit_id = ? "
                            "AND indicator = 'score_math'", [a]).fetchone()
        assert stale == (1,)
    assert main(["rebuild-derived", "--db", str(db)]) == 0
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute(f"SELECT count(*) FROM {sufficient.MOMENTS_TABLE} WHERE unit_id = ? "
                           "AND indicator = 'score_math'", [a]).fetchone() == (0,)
        got = con.execute(f"SELECT n_pre FROM {sufficient.MOMENTS_TABLE} WHERE unit_id = ? "
                          "AND indicator = 'score_math'",
                          [b]).fetchone()[0]
        expected = con.execute("SELECT count(DISTINCT student_key) FROM observations WHERE unit_id = ? "
                               "AND indicator = 'score_math' AND wave IN ('pre', 'baseline')", [b]).fetchone()[0]
        assert got == expected


def test_only_the_queries_whose_inputs_changed_are_recomputed(tmp_path):
    db = tmp_path / "demo.duckdb"
    build_demo(db, students=600, seed=6)
    with writable_snapshot(db) as con:  # a unit-level rate for one more year: no student row changes
        con.execute("""INSERT INTO target.observations (import_id, unit_id, indicator, year, level, value, n)
                       SELECT 1, unit_id, 'dropout_rate', 2031, 'all', 0.05, 100 FROM target.units
                       WHERE unit_type = 'school' ORDER BY unit_id LIMIT 1""")
        redone = materialised.materialise(con, "target")
    assert "derived_q_coverage" in redone and "derived_q_indicator_years" in redone
    assert not {"derived_q_small_cells", "derived_q_programme_overview", "derived_q_missing_at_post"} & set(redone)
    with duckdb.connect(str(db), read_only=True) as con:
        assert materialised.current(con)
        assert con.execute("SELECT last_year FROM derived_q_indicator_years WHERE indicator = 'dropout_rate' "
                           "ORDER BY last_year DESC LIMIT 1").fetchall() == [(2031,)]
