"""Page queries kept with every snapshot (analysis.overview.MATERIALISED, analysis.derived): the stored
tables give exactly the rows of the original queries, and are only trusted while current (issue #6)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from analysis import derived, overview
from analysis.demo import build_demo
from analysis.store import writable_snapshot


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("materialised") / "demo.duckdb"
    build_demo(path, students=2500, seed=9)
    return path


def _frame(db: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).df()


def _params(statement: str) -> list[list]:
    if statement == overview.SMALL_CELLS_SQL:
        return [[5], [10], [1000]]
    if statement == overview.INDICATOR_YEARS_SQL:
        return [["score_math"], ["dropout_rate"], ["no_such_indicator"]]
    return [[]]


@pytest.mark.parametrize("statement", list(overview.MATERIALISED),
                         ids=[t for t, _, _, _ in overview.MATERIALISED.values()])
def test_stored_page_query_equals_the_query(demo, statement):
    table, _, read, _ = overview.MATERIALISED[statement]
    for params in _params(statement):
        expected = _frame(demo, statement, params)
        got = _frame(demo, read, params)
        if statement == overview.INDICATOR_YEARS_SQL:
            expected = expected.sort_values("country").reset_index(drop=True)
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)
        if params != ["no_such_indicator"]:
            assert len(got) > 0, table


@pytest.mark.parametrize(("indicator", "country", "field", "value"), [
    ("score_math", "CO", None, None),
    ("score_language", "GT", None, None),
    ("motivation_index", "CO", "department", "Valle del Cauca"),
    ("score_science", "CO", "lab_type", "Lab Center"),
    ("score_math", "GT", "zone", "rural"),
])
def test_unit_periods_pooled_from_the_cells_equal_the_rows(demo, indicator, country, field, value):
    params = overview.unit_period_params(indicator, country, None, field, value)
    expected = _frame(demo, overview.unit_period_sql(True, field), params)
    got = _frame(demo, overview.unit_period_derived_sql(field), params)
    assert len(expected) > 10
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-9, atol=1e-9)


def test_row_fields_are_not_pooled():
    assert overview.unit_period_derived_sql("sex") is None
    assert overview.unit_period_derived_sql("ethnicity") is None


def test_stored_queries_are_trusted_only_while_current(tmp_path):
    db = tmp_path / "demo.duckdb"
    build_demo(db, students=600, seed=4)
    with duckdb.connect(str(db), read_only=True) as con:
        assert derived.current(con)
    with duckdb.connect(str(db)) as con:  # a change made outside LabLens
        con.execute("DELETE FROM assignments WHERE unit_id = (SELECT min(unit_id) FROM assignments)")
        assert not derived.current(con)
    # the next LabLens write recomputes them; a write that changes nothing they read does not
    with writable_snapshot(db) as con:
        pass
    with duckdb.connect(str(db), read_only=True) as con:
        assert derived.current(con)
        assert con.execute("SELECT * FROM derived_q_programme_overview").fetchall() == \
            con.execute(overview.PROGRAMME_OVERVIEW_SQL).fetchall()
    with writable_snapshot(db) as con:
        assert derived._materialise(con, "target") == []


def test_a_database_without_derived_tables_is_not_current(tmp_path):
    with duckdb.connect(str(tmp_path / "old.duckdb")) as con:
        con.execute("CREATE TABLE observations (x INTEGER)")
        assert not derived.current(con)


@pytest.mark.parametrize(("indicator", "country", "field", "value"), [
    ("score_math", "CO", None, None),
    ("motivation_index", "GT", None, None),
    ("score_science", "CO", "lab_type", "Lab Point"),
    ("score_language", "CO", "department", "Valle del Cauca"),
])
def test_histogram_summed_from_the_school_bins_equals_the_rows(demo, indicator, country, field, value):
    expected = _frame(demo, overview.histogram_sql(True, field),
                      overview.histogram_params(indicator, country, None, field, value))
    got = _frame(demo, overview.histogram_derived_sql(field),
                 overview.unit_period_params(indicator, country, None, field, value))
    assert expected["count"].sum() > 100 and set(expected["period"]) == {"pre", "post"}
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-12)
    # the bins span the indicator's range in every country: the two countries' charts share their bins
    other = _frame(demo, overview.histogram_sql(True), overview.histogram_params(indicator, "GT" if country == "CO"
                                                                                 else "CO", None))
    edges = sorted(set(expected["lo"]) | set(other["lo"]))
    assert len(edges) <= overview.HISTOGRAM_BINS


def test_only_the_queries_whose_inputs_changed_are_recomputed(tmp_path):
    db = tmp_path / "demo.duckdb"
    build_demo(db, students=600, seed=6)
    with writable_snapshot(db) as con:  # a unit-level rate for one more year: no student row changes
        con.execute("""INSERT INTO target.observations (import_id, unit_id, indicator, year, level, value, n)
                       SELECT 1, unit_id, 'dropout_rate', 2031, 'all', 0.05, 100 FROM target.units
                       WHERE unit_type = 'school' ORDER BY unit_id LIMIT 1""")
        redone = derived._materialise(con, "target")
    assert "derived_q_coverage" in redone and "derived_q_indicator_years" in redone
    assert not {"derived_q_small_cells", "derived_q_programme_overview", "derived_q_missing_at_post"} & set(redone)
    with duckdb.connect(str(db), read_only=True) as con:
        assert derived.current(con)
        assert con.execute("SELECT last_year FROM derived_q_indicator_years WHERE indicator = 'dropout_rate' "
                           "ORDER BY last_year DESC LIMIT 1").fetchall() == [(2031,)]
