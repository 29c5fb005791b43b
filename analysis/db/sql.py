"""Small helpers for DuckDB 2.x, whose connections refuse new work while a result is unfinished."""

from __future__ import annotations

from typing import Any

import duckdb


def run(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None) -> None:
    """Execute a statement and drain its result (DuckDB 2.x keeps unfinished results open)."""
    con.execute(sql, params).fetchall()


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None) -> Any:
    """The first column of the first row, or None; the result is always drained."""
    rows = con.execute(sql, params).fetchall()
    return rows[0][0] if rows else None


def row(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None) -> tuple | None:
    """The first row, or None; the result is always drained."""
    rows = con.execute(sql, params).fetchall()
    return rows[0] if rows else None


def ident(name: str) -> str:
    """Quote an SQL identifier (names only: values are always bound as parameters)."""
    return '"' + name.replace('"', '""') + '"'


# A unit's programme, lab type and start year: its own assignment, else its parent's (a school of an
# assigned municipality), else 'unassigned'. One definition for compare() and the page queries.
UNIT_PROGRAM_CTE = """up AS (
    SELECT u.unit_id, coalesce(a.program, pa.program, 'unassigned') AS program,
           coalesce(a.lab_type, pa.lab_type) AS lab_type, coalesce(a.start_year, pa.start_year) AS start_year
    FROM units u
    LEFT JOIN assignments a ON a.unit_id = u.unit_id
    LEFT JOIN assignments pa ON pa.unit_id = u.parent_id AND a.unit_id IS NULL)"""
