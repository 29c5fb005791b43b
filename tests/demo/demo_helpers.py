"""Reading a built demo database in the demo generator's tests."""

from __future__ import annotations

from pathlib import Path

from analysis.store import open_db


def rows(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Every row of a query on the database at ``path``."""
    con = open_db(path)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def one(path: Path, sql: str, params: list | None = None):
    """The first value of a query on the database at ``path``."""
    return rows(path, sql, params)[0][0]
