"""One small demo database for the pilot tests (2,000 students, seed 3)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def pilot_demo_db(tmp_path_factory):
    from tests.conftest import demo_copy

    return demo_copy(tmp_path_factory, 2000, 3, "pilot", "demo.duckdb")
