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
