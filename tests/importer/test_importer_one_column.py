"""One-indicator files (issue #20): the projection that replaces the unpivot, the constant columns kept once,
the narrowed row-rejects pass and the Parquet view give exactly what the general path gives.

The reference is the general path itself (unpivot, every column in every row, every key column hashed),
forced by monkeypatching, on a file with every kind of problem one column can have.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from importer_helpers import write

from analysis.db.schema import OBS_KEY
from analysis.importer import staging
from analysis.importer.pipeline import import_file
from analysis.importer.readers import read_into

TEXT = ("school_code,country,year,grade,sex,dropout_rate\n"
        "176126000001,CO,2010,1,F,1.11\n"        # 1: loads
        "176126000001,CO,2010,1,F,1.11\n"        # 2: duplicate of 1 (the same value)
        "176126000001,CO,2010,1,X,4\n"           # 3: unknown sex, loads without it
        "176126000001,CO,20x0,1,F,4\n"           # 4: not a year
        "TOTAL,CO,2010,,,9\n"                    # 5: a total row, excluded
        "14-01-2001-46,GT,2010,,,5\n"            # 6: loads (NULL grade and sex)
        "14-01-2001-46,GT,2010,,,abc\n"          # 7: not a number
        "14-01-2001-46,GT,2011,,,101\n"          # 8: outside the valid range
        "14-01-2001-46,GT,2012,,,n/a\n"          # 9: a missing marker, no value, no reject
        "176126000002,XX,2010,1,F,3\n")          # 10: unknown country

TABLES = {"observations": "SELECT unit_id, student_key, indicator, year, wave, level, sex, grade, value, n "
                          "FROM observations ORDER BY ALL",
          "rejects": "SELECT row_number, column_name, raw_value, reason FROM rejects ORDER BY ALL",
          "units": "SELECT * EXCLUDE (import_id) FROM units ORDER BY ALL"}


def _tables(db: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {name: con.execute(sql).fetchall() for name, sql in TABLES.items()}


def _general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(staging, "_stage_one_value_column",
                        lambda con, lay, col, markers: staging._stage_value_columns(con, [col], f"c{col}", markers))
    monkeypatch.setattr(staging, "_varying_key", lambda lay: list(OBS_KEY))


@pytest.fixture(scope="module")
def one_column(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("one_column")
    csv = write(folder / "agg.csv", TEXT)
    parquet = folder / "agg.parquet"
    with duckdb.connect() as con:  # the same text as Parquet (text columns, as a ministry export might be)
        con.execute(f"COPY (SELECT * FROM read_csv('{csv}', all_varchar = true)) TO '{parquet}' (FORMAT parquet)")
    summary = import_file(csv, folder / "fast.duckdb")
    return {"folder": folder, "csv": csv, "parquet": parquet, "summary": summary,
            "fast": _tables(folder / "fast.duckdb")}


def test_one_column_gives_what_the_unpivot_gives(one_column: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = one_column["fast"]
    assert fast["rejects"] == [
        (2, "dropout_rate", "1.11", "duplicate of row 1 (same unit, indicator, year, wave, level, subgroup and "
                                    "student)"),
        (3, "sex", "X", "unknown sex (expected F or M); loaded without sex"),
        (4, "year", "20x0", "not a year"),
        (7, "dropout_rate", "abc", "not a number"),
        (8, "dropout_rate", "101", "outside the valid range of dropout_rate [0.0, 100.0]"),
        (10, "school_code", "176126000002", "unknown country 'XX' (expected an ISO 3166-1 code such as CO, GT, CL "
                                            "or PE)")]
    assert fast["observations"] == [
        ("CO-176126000001", None, "dropout_rate", 2010, None, "all", "F", "1", 1.11, None),
        ("CO-176126000001", None, "dropout_rate", 2010, None, "all", None, "1", 4.0, None),
        ("GT-14-01-2001-46", None, "dropout_rate", 2010, None, "all", None, None, 5.0, None)]
    assert (one_column["summary"]["rows_excluded_totals"], one_column["summary"]["rows_loaded"]) == (1, 3)
    _general_path(monkeypatch)
    import_file(one_column["csv"], one_column["folder"] / "general.duckdb")
    assert _tables(one_column["folder"] / "general.duckdb") == fast


def test_parquet_is_read_through_a_view_with_the_same_result(one_column: dict) -> None:
    with duckdb.connect() as con:  # no copy of the file in staging: raw is a view with the file's row numbers
        source = read_into(con, one_column["parquet"])
        assert source.n_rows == 10
        assert con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = 'raw'").fetchall() \
            == [("VIEW",)]
        assert con.execute("SELECT _row, c0, c5 FROM raw WHERE _row IN (1, 10) ORDER BY 1").fetchall() == [
            (1, "176126000001", "1.11"), (10, "176126000002", "3")]
    import_file(one_column["parquet"], one_column["folder"] / "parquet.duckdb")
    assert _tables(one_column["folder"] / "parquet.duckdb") == one_column["fast"]
