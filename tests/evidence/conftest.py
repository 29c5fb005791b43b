"""Export tests run on a small demo database built once per test session (never data/)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def export_db(tmp_path_factory) -> str:
    """A small seeded demo database (4,000 students) for the export tests."""
    from tests.conftest import demo_copy

    return str(demo_copy(tmp_path_factory, 4000, 7, "exportdb"))


def pack_context(db: str, name: str = "lablens.duckdb"):
    """The pack context (imports, indicators, meta) of ``db``, named ``name``, as `export` loads it."""
    from analysis import open_db
    from analysis.evidence.request import load_context

    con = open_db(db)
    try:
        return load_context(con, name)
    finally:
        con.close()
