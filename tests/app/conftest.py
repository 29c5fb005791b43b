"""App tests run the real dashboard on a database built by the test session (never data/)."""

from __future__ import annotations

import pytest
import streamlit as st


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> str:
    """A small demo database shared by the app and browser tests."""
    from analysis.demo import build_demo

    path = tmp_path_factory.mktemp("appdb") / "lablens.duckdb"
    build_demo(path, students=4000, seed=7)
    return str(path)


@pytest.fixture(autouse=True)
def _fresh_caches(demo_db, monkeypatch):
    """Caches are process-global across AppTest runs: clear them, and point the app at the test DB."""
    monkeypatch.setenv("LABLENS_DB", demo_db)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
