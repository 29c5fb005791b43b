"""The Parquet lake: every observation exactly once, partitioned by country and year, and compare()'s own
SQL run over it through DuckDB with the same results as on the database (issue 20, target 6)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from analysis.compare import compare
from analysis.db.connect import open_db
from analysis.lake import FREE_TEXT_COLUMNS, LAKE_TABLES, LakeError, export_lake, open_lake

OBS = "SELECT {cols} FROM observations ORDER BY ALL"
KEY = "unit_id, student_key, indicator, year, wave, level, sex, grade, value, n, import_id"


@pytest.fixture(scope="module")
def demo_and_lake(tmp_path_factory) -> tuple[Path, Path]:
    from analysis.demo import build_demo

    folder = tmp_path_factory.mktemp("lake")
    db = folder / "lablens.duckdb"
    build_demo(db, students=1500, seed=5)
    lake = folder / "lake"
    assert main(["export-lake", "--db", str(db), "--out", str(lake), "--json"]) == 0
    return db, lake


def test_every_observation_exactly_once_in_its_partition(demo_and_lake):
    db, lake = demo_and_lake
    with open_db(db) as con:
        expected = con.execute(OBS.format(cols=KEY)).df()
    got = open_lake(lake).execute(OBS.format(cols=KEY)).df()
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    with open_db(db) as con:
        cells = con.execute("SELECT u.country, o.year, count(*) AS n FROM observations o JOIN units u "
                            "USING (unit_id) GROUP BY ALL").df()
    assert len(cells) > 10
    for row in cells.itertuples(index=False):
        year = "__HIVE_DEFAULT_PARTITION__" if pd.isna(row.year) else int(row.year)
        files = sorted((lake / "observations" / f"country={row.country}" / f"year={year}").glob("*.parquet"))
        rows = open_lake(lake).execute("SELECT count(*) FROM read_parquet(?)", [[str(f) for f in files]]).fetchone()
        assert rows[0] == row.n, (row.country, year)
    folders = {(c.name, y.name) for c in (lake / "observations").iterdir() for y in c.iterdir()}
    assert len(folders) == len(cells)
    for table in ("units", "assignments", "indicators", "student_attributes"):
        with open_db(db) as con:
            n = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        assert open_lake(lake).execute(f"SELECT count(*) FROM {table}").fetchone()[0] == n


@pytest.mark.parametrize("indicator, design, by", [
    ("score_math", "prepost", None), ("score_math", "did", "department"), ("dropout_rate", "did", None),
    ("dropout_rate", "prepost", "school"), ("motivation_index", "did", "lab_type"),
])
def test_compare_runs_unchanged_over_the_lake(demo_and_lake, indicator, design, by):
    db, lake = demo_and_lake
    con = open_db(db)
    con.execute("SET threads = 1")
    expected = compare(con, indicator, design, by=by)
    got = compare(open_lake(lake, threads=1), indicator, design, by=by)
    pd.testing.assert_frame_equal(got, expected, rtol=1e-9, check_dtype=False)


def test_a_folder_in_use_is_refused_and_a_non_lake_is_named(tmp_path, demo_and_lake):
    db, _ = demo_and_lake
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    with pytest.raises(LakeError, match="not empty"):
        export_lake(tmp_path / "busy", db)
    assert (tmp_path / "busy" / "keep.txt").read_text() == "mine"
    with pytest.raises(LakeError, match="not a LabLens lake"):
        open_lake(tmp_path / "busy")


def test_cli_prints_the_rows_of_every_table(demo_and_lake, tmp_path, capsys):
    db, _ = demo_and_lake
    assert main(["export-lake", "--db", str(db), "--out", str(tmp_path / "l"), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    with open_db(db) as con:
        assert rows["observations"] == con.execute("SELECT count(*) FROM observations").fetchone()[0]
    assert main(["export-lake", "--db", str(db), "--out", str(tmp_path / "l")]) == 1
    assert "not empty" in capsys.readouterr().err


def test_every_table_is_exported_or_stays_behind_on_purpose(demo_and_lake):
    """A new database table fails here until it is one line of LAKE_TABLES (or named as bookkeeping)."""
    db, _ = demo_and_lake
    with open_db(db) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() "
                                            "WHERE database_name = current_database()").fetchall()}
    assert {"lab_log", "teacher_training", "governance_check"} <= tables
    bookkeeping = {"rejects", "duplicate_observations", "superseded_observations"}
    derived = {t for t in tables if t.startswith("derived_")}  # rebuilt from the lake's tables (rebuild-derived)
    assert tables - set(LAKE_TABLES) - bookkeeping - derived == set()


def test_forms_free_text_is_withheld_from_the_lake():
    """Every free-text field of every records form is a column FREE_TEXT_COLUMNS withholds."""
    from analysis.forms.definitions import FORMS
    from analysis.importer.records import RECORD_TABLES

    checked = 0
    for form_id, (table, _, columns) in RECORD_TABLES.items():
        assert table in LAKE_TABLES
        for name in FORMS[form_id].free_text:
            assert name in columns and name in FREE_TEXT_COLUMNS, (form_id, name)
            checked += 1
    assert checked >= 2


@pytest.mark.parametrize("table, order", [
    ("lab_log", "submission_id"), ("teacher_training", "submission_id, entry"),
    ("governance_check", "submission_id"),
])
def test_implementation_records_exactly_once_without_free_text(demo_and_lake, table, order):
    db, lake = demo_and_lake
    with open_db(db) as con:
        expected = con.execute(f"SELECT * FROM {table} ORDER BY form_id, {order}").df()
    assert len(expected) > 20
    got = open_lake(lake).execute(f"SELECT * FROM {table} ORDER BY form_id, {order}").df()
    kept = [c for c in expected.columns if c not in FREE_TEXT_COLUMNS]
    assert list(got.columns) == kept
    pd.testing.assert_frame_equal(got, expected[kept], check_dtype=False)
    if table == "teacher_training":
        assert got["teacher_key"].notna().all() and got["teacher_key"].nunique() > 5
    else:
        assert expected["comments"].notna().any() and "comments" not in got.columns


def test_implementation_school_year_is_the_same_over_the_lake(demo_and_lake):
    db, lake = demo_and_lake
    query = "SELECT * FROM implementation_school_year ORDER BY unit_id, year"
    with open_db(db) as con:
        expected = con.execute(query).df()
    got = open_lake(lake).execute(query).df()
    assert len(expected) > 20 and expected["lab_hours_per_term"].notna().sum() > 10
    pd.testing.assert_frame_equal(got, expected, rtol=1e-12, check_dtype=False)
