"""One read-only DuckDB handle per process, reopened when a new snapshot is published.

Streamlit serves many sessions from threads; a DuckDB connection is not thread-safe, so every query
runs on its own `cursor()` that is closed once its result is fully fetched (docs/STACK_NOTES.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from analysis.db.connect import cursor as catalog_cursor
from analysis.db.connect import default_db_path, open_db, snapshot_signature


@st.cache_resource(max_entries=2, show_spinner=False)
def _connection(path: str, signature: tuple[int, int] | None) -> duckdb.DuckDBPyConnection:
    """Open the snapshot identified by `signature`; a new publication yields a new cache key."""
    return open_db(path)


@st.cache_resource(show_spinner=False)
def _ensure_demo(path: str) -> dict | None:
    """Build the synthetic demo database once when no database exists (docs/DESIGN.md, "Demo data")."""
    if Path(path).exists():
        return None
    from analysis.demo import build_demo

    return build_demo(path)


def db_path() -> Path:
    """The published database this process serves ($LABLENS_DB or data/lablens.duckdb)."""
    return default_db_path()


RUN_SIGNATURE_KEY = "_lablens_run_signature"


def pin_snapshot() -> None:
    """Fix, for the rest of this script run, which published snapshot the page reads.

    Called first thing in every page run (ui.layout.page_header): every query and cached result of the
    run is then keyed by, and read from, that one snapshot, so an import published halfway through a
    run cannot give a page half old and half new results. The next run pins the new snapshot.
    """
    path = db_path()
    if path.exists():
        st.session_state[RUN_SIGNATURE_KEY] = (str(path), snapshot_signature(path))


def signature() -> tuple[int, int] | None:
    """The snapshot this run reads: the pinned one, else (outside a page run) the published one."""
    path = db_path()
    pinned = st.session_state.get(RUN_SIGNATURE_KEY)
    if pinned and pinned[0] == str(path):
        return pinned[1]
    return snapshot_signature(path)


def connection() -> duckdb.DuckDBPyConnection:
    """The connection of the snapshot this run reads (building the demo first if there is no database)."""
    path = db_path()
    if not path.exists():
        from ui.i18n import t

        with st.spinner(t("db.building_demo")):
            _ensure_demo(str(path))
    return _connection(str(path), signature())


@contextlib.contextmanager
def cursor() -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh cursor on the snapshot this run reads, pointed at its catalog and closed after use."""
    cur = catalog_cursor(connection())
    try:
        yield cur
    finally:
        cur.close()


def query(sql: str, params: list | None = None) -> pd.DataFrame:
    """Run one bound query on a fresh cursor and return all rows as a DataFrame."""
    with cursor() as cur:
        return cur.execute(sql, params or []).df()


def is_demo() -> bool:
    """True when the published database is the synthetic demo."""
    frame = query("SELECT value FROM meta WHERE key = 'demo'")
    return bool(len(frame)) and frame.iloc[0, 0] == "true"
