"""Inicio's descriptive tables, through the one cached query loader (ui.loaders.sql)."""

from __future__ import annotations

import pandas as pd

from analysis.queries import COVERAGE_SQL, PROGRAMME_OVERVIEW_SQL
from ui.loaders import sql


def programme_overview() -> pd.DataFrame:
    """One row per programme and country: units, students, lab types (analysis.queries)."""
    return sql(PROGRAMME_OVERVIEW_SQL)


def coverage() -> pd.DataFrame:
    """Observations per country, domain and indicator with their years (analysis.queries)."""
    return sql(COVERAGE_SQL)
