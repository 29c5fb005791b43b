"""Cached loaders for the pages: bounded entries, keyed by the snapshot so new imports show up."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis.overview import COVERAGE_SQL, PROGRAMME_OVERVIEW_SQL
from analysis.store import snapshot_signature
from ui.db import connection, db_path, query


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def _cached(sql: str, signature: tuple[int, int] | None) -> pd.DataFrame:
    return query(sql)


def _load(sql: str) -> pd.DataFrame:
    connection()  # make sure a database exists (demo on first run)
    return _cached(sql, snapshot_signature(db_path()))


def programme_overview() -> pd.DataFrame:
    """One row per programme and country: units, students, lab types (analysis.overview)."""
    return _load(PROGRAMME_OVERVIEW_SQL)


def coverage() -> pd.DataFrame:
    """Observations per country, domain and indicator with their years (analysis.overview)."""
    return _load(COVERAGE_SQL)
