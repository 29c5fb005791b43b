"""Implementation, dose and cost tests run on one small demo database built per test session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def implementation_db(tmp_path_factory) -> str:
    """The seeded demo (4,000 students, seed 7) with its lab logs, training records and governance checks."""
    from analysis.demo import build_demo

    path = tmp_path_factory.mktemp("implementationdb") / "lablens.duckdb"
    build_demo(path, students=4000, seed=7)
    return str(path)
