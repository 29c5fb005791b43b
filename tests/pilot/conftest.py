"""One small demo database for the pilot tests (2,000 students, seed 3)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def pilot_demo_db(tmp_path_factory):
    from analysis.demo import build_demo

    path = tmp_path_factory.mktemp("pilot") / "demo.duckdb"
    build_demo(path, students=2000, seed=3)
    return path
