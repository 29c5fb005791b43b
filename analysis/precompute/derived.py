"""Derived tables: per-school sufficient statistics of the student rows, kept with every snapshot.

Linked-student results reduce millions of student rows to a few numbers per school: compare()'s
pre/post pairs each student's pre and post values and keeps per-school moments; its DiD keeps
per school x year x period cells with the distinct students. At Colombia's scale (19 million rows)
that reduction is 5-10 s of DuckDB work, so every dashboard process paid it on the first view of
each page (issue #6). Computed once per snapshot, at write time (``analysis.precompute.publish`` passes
:func:`refresh` to the snapshot writer), the first view reads 40,000 rows instead of millions. The tables'
names, their fingerprint and the SQL reading them are in ``analysis.db.sufficient`` (compare() reads them).

The tables hold aggregates only (no student key) and cover the default windows:

- ``derived_student_cells``: per indicator, level, unit, year and *wave period* (pre = waves pre and
  baseline, post = post and endline, NULL for other or missing waves): rows, mean, sample variance
  and distinct students of the student rows. Serves the DiD cells with waves, and with year windows
  when the indicator has no waves (then a cell is a unit-year).
- ``derived_student_moments``: per indicator, level and unit, the linked pre/post moments of
  ``SCHOOL_MOMENTS_SQL`` over the per-student values of ``STUDENT_VALUES_SQL`` with wave periods.
- ``derived_student_bins``: per indicator, level, unit and wave period, the count of values in each of
  ``HISTOGRAM_BINS`` equal-width bins of the indicator's range in the unit's country (Comparar's
  distribution chart).

Besides, :func:`refresh` brings the materialised page queries up to date
(``analysis.precompute.materialised``).

Every other request (explicit wave windows, year windows on wave data, student-attribute groups)
reads the raw rows, as before. ``derived_state`` records, per indicator, the fingerprint of the rows
the tables were computed from (student rows, the sum of their import ids and years, and their values
to three decimals, as exact integers); a reader trusts the tables only when the fingerprint of the
current rows matches, so rows added, removed or changed in value outside LabLens send the reader back
to the raw rows rather than to stale numbers. An outside edit that only relabels rows (moves them to
another school or wave, keeping every count and sum) is not seen: ``python -m analysis rebuild-derived``
recomputes everything. Refresh is incremental: only indicators whose fingerprint changed are recomputed.
"""

from __future__ import annotations

import duckdb

from analysis.db.sql import ident, run
from analysis.db.sufficient import (
    BINS_TABLE,
    CELLS_TABLE,
    DERIVED_VERSION,
    INPUTS_TABLE,
    MOMENTS_TABLE,
    SCHOOL_MOMENTS_SQL,
    STATE_TABLE,
    STUDENT_VALUES_SQL,
    as_int,
    bin_sql,
)
from analysis.periods import wave_period_sql
from analysis.precompute.fingerprints import indicator_fingerprints
from analysis.precompute.materialised import INDICATOR_INPUTS_TABLE, materialise

WAVE_PERIOD_SQL = wave_period_sql("wave")


def _tables_sql(catalog: str, indicators: str) -> list[tuple[str, int]]:
    """(INSERT statement, times the indicator list is bound) recomputing the tables for the indicators
    selected by ``indicators`` (SQL placeholders)."""
    c = ident(catalog)
    obs = f"{c}.observations"
    cells = f"""INSERT INTO {c}.{CELLS_TABLE}
        SELECT indicator, level, unit_id, year, {WAVE_PERIOD_SQL} AS period, count(*) AS rows,
               avg(value) AS mean, var_samp(value) AS var, count(DISTINCT student_key) AS students
        FROM {obs} WHERE student_key IS NOT NULL AND indicator IN ({indicators})
        GROUP BY ALL"""
    moments = f"""INSERT INTO {c}.{MOMENTS_TABLE}
        WITH s AS (SELECT indicator, level, unit_id, student_key, {STUDENT_VALUES_SQL}
                   FROM (SELECT indicator, level, unit_id, student_key, year, value, {WAVE_PERIOD_SQL} AS period
                         FROM {obs} WHERE student_key IS NOT NULL AND indicator IN ({indicators}))
                   WHERE period IS NOT NULL GROUP BY indicator, level, unit_id, student_key)
        SELECT indicator, level, unit_id, {SCHOOL_MOMENTS_SQL} FROM s GROUP BY indicator, level, unit_id"""
    # the value distribution per school and wave period, on the indicator's range in the school's country
    # (all its rows there): countries report on their own scales (Saber 0-100, Guatemala 200-800)
    bins = f"""INSERT INTO {c}.{BINS_TABLE}
        WITH x AS (SELECT o.indicator, o.level, o.unit_id, u.country, o.wave, o.value FROM {obs} o
                   JOIN {c}.units u ON u.unit_id = o.unit_id
                   WHERE o.student_key IS NOT NULL AND o.indicator IN ({indicators})),
        r AS (SELECT indicator, level, country, min(value) AS lo, max(value) AS hi FROM x
              GROUP BY indicator, level, country),
        v AS (SELECT x.indicator, x.level, x.unit_id, {WAVE_PERIOD_SQL} AS period, r.lo, r.hi,
                     {bin_sql('x.value', 'r.lo', 'r.hi')} AS bin
              FROM x JOIN r ON r.indicator = x.indicator AND r.level = x.level AND r.country = x.country)
        SELECT indicator, level, unit_id, period, coalesce(bin, 0) AS bin, any_value(lo) AS lo, any_value(hi) AS hi,
               count(*) AS count
        FROM v WHERE period IS NOT NULL GROUP BY indicator, level, unit_id, period, coalesce(bin, 0)"""
    return [(cells, 1), (moments, 1), (bins, 1)]


def _create_sql(catalog: str) -> list[str]:
    c = ident(catalog)
    return [
        f"""CREATE TABLE IF NOT EXISTS {c}.{STATE_TABLE} (indicator VARCHAR PRIMARY KEY, student_rows BIGINT,
            import_sum HUGEINT, year_sum HUGEINT, value_sum HUGEINT, version VARCHAR)""",
        f"""CREATE TABLE IF NOT EXISTS {c}.{CELLS_TABLE} (indicator VARCHAR, level VARCHAR, unit_id VARCHAR,
            year INTEGER, period VARCHAR, rows BIGINT, mean DOUBLE, var DOUBLE, students BIGINT)""",
        f"""CREATE TABLE IF NOT EXISTS {c}.{MOMENTS_TABLE} (indicator VARCHAR, level VARCHAR, unit_id VARCHAR,
            n_pre BIGINT, mean_pre DOUBLE, var_pre DOUBLE, n_post BIGINT, mean_post DOUBLE, var_post DOUBLE,
            n_linked BIGINT, lmean_pre DOUBLE, lvar_pre DOUBLE, lmean_post DOUBLE, lvar_post DOUBLE, lcov DOUBLE,
            mean_j DOUBLE, dvar DOUBLE, student_years_pre HUGEINT, mask_pre UBIGINT, student_years_post HUGEINT,
            mask_post UBIGINT, year_min INTEGER, year_max INTEGER)""",
        f"""CREATE TABLE IF NOT EXISTS {c}.{BINS_TABLE} (indicator VARCHAR, level VARCHAR, unit_id VARCHAR,
            period VARCHAR, bin INTEGER, lo DOUBLE, hi DOUBLE, count BIGINT)""",
    ]


def refresh(con: duckdb.DuckDBPyConnection, catalog: str, full: bool = False) -> list[str]:
    """Bring the derived tables of ``catalog`` up to date with its observations; returns the indicators
    recomputed. Called by every writer before it publishes a snapshot (and by erasure, which rewrites
    files itself). ``full`` recomputes everything (``python -m analysis rebuild-derived``: after an edit
    made outside LabLens that moved rows between schools or waves, which the fingerprints cannot see)."""
    c = ident(catalog)
    if full:
        for table in (STATE_TABLE, INPUTS_TABLE, INDICATOR_INPUTS_TABLE):
            run(con, f"DROP TABLE IF EXISTS {c}.{table}")
    for statement in _create_sql(catalog):
        run(con, statement)
    now = indicator_fingerprints(con, catalog)
    stored = {r[0]: (tuple(as_int(v) for v in r[1:5]), r[5]) for r in con.execute(
        f"SELECT indicator, student_rows, import_sum, year_sum, value_sum, version FROM {c}.{STATE_TABLE}").fetchall()}
    stale = sorted({i for i in stored if i not in now}
                   | {i for i, fp in now.items() if stored.get(i) != (fp, DERIVED_VERSION)})
    if not stale:
        materialise(con, catalog)
        return []
    marks = ", ".join("?" for _ in stale)
    for table in (CELLS_TABLE, MOMENTS_TABLE, BINS_TABLE, STATE_TABLE):
        run(con, f"DELETE FROM {c}.{table} WHERE indicator IN ({marks})", stale)
    recompute = [i for i in stale if i in now]
    if recompute:
        marks = ", ".join("?" for _ in recompute)
        for statement, repeat in _tables_sql(catalog, marks):
            run(con, statement, recompute * repeat)
        con.executemany(f"INSERT INTO {c}.{STATE_TABLE} VALUES (?, ?, ?, ?, ?, ?)",
                        [[i, *now[i], DERIVED_VERSION] for i in recompute])
    materialise(con, catalog)
    return stale
