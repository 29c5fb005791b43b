"""A Parquet lake of the canonical tables: past one machine, the same SQL on files (issue 20).

``export_lake`` writes every public table as Parquet, one folder per table; observations are
Hive-partitioned by country and year (``observations/country=CO/year=2019/data_0.parquet``; rows without
a year, such as student waves, in ``year=__HIVE_DEFAULT_PARTITION__``), every observation exactly once.
``open_lake`` gives an in-memory DuckDB connection whose views carry the database's table names over those
files, so compare() and the pages' queries run on the lake unchanged (docs/DESIGN.md, "Past one machine").

The lake holds what the database holds, no more: pseudonymised student and teacher keys, never raw
identifiers, none of the import bookkeeping (rejected raw cells, duplicates, superseded rows) and none of the
field forms' free text (``comments``: a comment may name a person, so free text never leaves the database).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from analysis.db.connect import open_db
from analysis.db.schema import IMPLEMENTATION_VIEW_SQL

#: The canonical tables, in the order they are written (one entry per table: a new table is one line here);
#: observations are partitioned. A table the database lacks (an older database) is skipped.
LAKE_TABLES = (
    "meta", "indicators", "units", "unit_attributes", "assignments", "imports", "observations",
    "student_attributes", "boundaries",
    "lab_log", "teacher_training", "governance_check",  # implementation records (DESIGN.md)
)
#: Free-text columns, withheld from every table that has one (the forms' ``free_text`` fields).
FREE_TEXT_COLUMNS = ("comments",)
#: The tables implementation_school_year reads; over a lake that holds them all, open_lake creates it too.
_VIEW_NEEDS = ("units", "assignments", "lab_log", "teacher_training", "governance_check")
PARTITIONS = ("country", "year")
_HIVE_TYPES = "{'country': VARCHAR, 'year': INTEGER}"


class LakeError(RuntimeError):
    """A lake that cannot be written or read, with a one-line reason."""


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def export_lake(out: str | os.PathLike, db: str | os.PathLike | None = None, *, replace: bool = False) -> dict:
    """Write the lake to ``out``; returns {table: rows}. ``out`` must be empty or absent unless ``replace``.

    Observations are written with their unit's country (a partition column the table does not have);
    ``open_lake`` drops it again, so the views have the database's columns.
    """
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if not replace:
            raise LakeError(f"{out} is not empty: choose an empty folder (or --replace to overwrite it)")
        shutil.rmtree(out)
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    con = open_db(db)
    counts: dict[str, int] = {}
    try:
        # the connection open_db returns points at the published catalog (a plain cursor would not)
        present = {r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()").fetchall()}
        for table in LAKE_TABLES:
            if table not in present:
                continue
            if table == "observations":
                query = ("SELECT o.*, u.country FROM observations o JOIN units u USING (unit_id) "
                         "ORDER BY u.country, o.year, o.unit_id, o.indicator")
                orphans = con.execute("SELECT count(*) FROM observations o ANTI JOIN units u USING (unit_id)"
                                      ).fetchone()[0]
                if orphans:
                    raise LakeError(f"{orphans} observations name no unit: the lake would lose them")
                con.execute(f"COPY ({query}) TO {_quote(tmp / table)} "
                            f"(FORMAT parquet, PARTITION_BY ({', '.join(PARTITIONS)}), COMPRESSION zstd)")
            else:
                (tmp / table).mkdir()
                withheld = [c for (c,) in con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
                    "AND table_name = ?", [table]).fetchall() if c in FREE_TEXT_COLUMNS]
                columns = f"* EXCLUDE ({', '.join(withheld)})" if withheld else "*"
                con.execute(f"COPY (SELECT {columns} FROM {table}) TO "
                            f"{_quote(tmp / table / (table + '.parquet'))} (FORMAT parquet, COMPRESSION zstd)")
            counts[table] = int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        con.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp.rename(out)
    return counts


def open_lake(lake: str | os.PathLike, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with one view per lake table, named as in the database, and the database's
    ``implementation_school_year`` view (same SQL, analysis/db/schema.py) when the lake holds its tables."""
    lake = Path(lake)
    if not (lake / "observations").is_dir():
        raise LakeError(f"{lake} holds no observations folder: not a LabLens lake")
    con = duckdb.connect(config={"threads": threads} if threads else {})
    for table in LAKE_TABLES:
        folder = lake / table
        if not folder.is_dir():
            continue
        if table == "observations":
            files = _quote(folder / "**" / "*.parquet")
            # the partition columns come back from the folder names; the view keeps the table's own columns
            con.execute(f"CREATE VIEW observations AS SELECT * EXCLUDE (country) FROM read_parquet({files}, "
                        f"hive_partitioning = true, hive_types = {_HIVE_TYPES})")
        else:
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet({_quote(folder / (table + '.parquet'))})")
    if all((lake / t).is_dir() for t in _VIEW_NEEDS):
        con.execute(IMPLEMENTATION_VIEW_SQL)
    return con
