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
from analysis.lake import LakeError, export_lake, open_lake

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
