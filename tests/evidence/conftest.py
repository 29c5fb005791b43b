"""Export tests run on a small demo database built once per test session (never data/)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def export_db(tmp_path_factory) -> str:
    """A small seeded demo database (4,000 students) for the export tests."""
    from analysis.demo import build_demo

    path = tmp_path_factory.mktemp("exportdb") / "lablens.duckdb"
    build_demo(path, students=4000, seed=7)
    return str(path)
