"""App tests run the real dashboard on a database built by the test session (never data/)."""

from __future__ import annotations

import shutil

import pytest
import streamlit as st
from streamlit.runtime.media_file_manager import MediaFileManager


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> str:
    """A small demo database shared by the app and browser tests."""
    from tests.conftest import demo_copy

    return str(demo_copy(tmp_path_factory, 4000, 7, "appdb"))


@pytest.fixture(scope="session", autouse=True)
def _fresh_data_cache():
    """Results cached by another test session (or process state) never leak in: clear at start and end."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(autouse=True)
def _fresh_caches(demo_db, monkeypatch):
    """Caches are process-global across AppTest runs: point the app at the test DB and reopen it.

    Connections are cleared before every test. Results (st.cache_data, and the query and compare() results
    in st.cache_resource) are kept between tests on purpose:
    every loader is keyed by the database's snapshot signature (inode, mtime) and all its arguments, so
    a test on another file (the rollback and upload copies) or after an import gets its own entries,
    and the suite does not recompute the same compare() calls 20 times.
    """
    monkeypatch.setenv("LABLENS_DB", demo_db)
    _reopen()
    yield
    _reopen()


def _reopen() -> None:
    """Forget the open connections (and the demo-built flag); query, compare() and chart caches are keyed
    by the snapshot and kept (the query and compare() results moved to cache_resource in issue #6)."""
    import ui.db

    ui.db._connection.clear()
    ui.db._ensure_demo.clear()


@pytest.fixture
def router_active(monkeypatch):
    """Run AppTest as a long-running server does once st.navigation has been called.

    AppTest resets ``PagesManager.uses_pages_directory`` before every run, so with a ``pages/`` folder
    each rerun first goes through ui.layout.ensure_router's one-off rerun (the deep-link fix), which
    drops the trigger of a clicked button. Tests that click buttons use this fixture.
    """
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import app_test

    class RouterPagesManager(PagesManager):
        def __init__(self, *args, **kwargs):
            PagesManager.uses_pages_directory = False
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(app_test, "PagesManager", RouterPagesManager)


@pytest.fixture
def copy_db(demo_db, tmp_path, monkeypatch):
    """A private copy of the demo database for a test that writes (import, rollback, audit log)."""
    path = tmp_path / "lablens.duckdb"
    shutil.copyfile(demo_db, path)
    monkeypatch.setenv("LABLENS_DB", str(path))
    return path


@pytest.fixture
def downloads(monkeypatch) -> dict:
    """File name -> the deferred callable of every download button drawn (built on click in the browser)."""
    found: dict = {}
    original = MediaFileManager.add_deferred

    def record(self, data, mimetype, coordinates, file_name=None, **kwargs):
        found[file_name] = data
        return original(self, data, mimetype, coordinates, file_name=file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    return found
