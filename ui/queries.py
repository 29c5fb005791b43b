"""Inicio's descriptive tables, through the one cached query loader (ui.loaders.sql)."""

from __future__ import annotations

import pandas as pd

from analysis.disclosure import SMALL_CELL, protect
from analysis.queries import COVERAGE_SQL, PROGRAMME_OVERVIEW_SQL
from ui.i18n import number
from ui.loaders import sql


def programme_overview() -> pd.DataFrame:
    """One row per programme and country: units, students, lab types (analysis.queries)."""
    return sql(PROGRAMME_OVERVIEW_SQL)


def overview_students(overview: pd.DataFrame, k: int) -> list[str]:
    """Inicio's students per programme and country as shown: protected like every count of students, the
    programmes of a country and the countries of a programme being partitions of totals a visitor may know
    (docs/METHODS.md, "Disclosure avoidance"); "<k" for a small cell, "—" for a complementary one."""
    hidden = protect(overview, "students", [["country"], ["program"]], k)
    return [(f"<{k}" if why == SMALL_CELL else "—") if isinstance(why, str) else number(n)
            for n, why in zip(overview["students"], hidden, strict=True)]


def coverage() -> pd.DataFrame:
    """Observations per country, domain and indicator with their years (analysis.queries)."""
    return sql(COVERAGE_SQL)
