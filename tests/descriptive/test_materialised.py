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
    # the bins span the indicator's range in the country: Colombia (0-100) and Guatemala (200-800) each
    # get their own twenty bins, not a few bins of a common range
    with duckdb.connect(str(demo), read_only=True) as con:
        lo, hi = con.execute("SELECT min(value), max(value) FROM observations JOIN units USING (unit_id) "
                             "WHERE indicator = ? AND level = 'all' AND country = ?", [indicator, country]).fetchone()
    width = (hi - lo) / overview.HISTOGRAM_BINS
    assert ((expected["lo"] - lo) / width).round(9).eq(expected["bin"]).all()  # on the country's grid
    if field is None:
        assert expected["lo"].min() == pytest.approx(lo) and expected["hi"].max() == pytest.approx(hi)
        assert expected["bin"].nunique() >= 12
