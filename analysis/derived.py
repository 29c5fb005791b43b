"""Derived tables: per-school sufficient statistics of the student rows, kept with every snapshot.

Linked-student results reduce millions of student rows to a few numbers per school: compare()'s
pre/post pairs each student's pre and post values and keeps per-school moments; its DiD keeps
per school x year x period cells with the distinct students. At Colombia's scale (19 million rows)
that reduction is 5-10 s of DuckDB work, so every dashboard process paid it on the first view of
each page (issue #6). Computed once per snapshot, at write time (``store.writable_snapshot`` calls
:func:`refresh` before publishing), the first view reads 40,000 rows instead of millions.

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

Besides, the page queries listed in ``analysis.overview.MATERIALISED`` (programme overview, coverage,
data dictionary, missing units, students missing at post, small cells, ...) are stored as tables,
recomputed when the tables they read change (``derived_inputs`` holds the fingerprint of those); the
dashboard reads them when that fingerprint still matches (:func:`current`).

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

from analysis.periods import wave_period_sql
from analysis.sqlutil import ident, run

DERIVED_VERSION = "6"
CELLS_TABLE = "derived_student_cells"
MOMENTS_TABLE = "derived_student_moments"
STATE_TABLE = "derived_state"
INPUTS_TABLE = "derived_inputs"
BINS_TABLE = "derived_student_bins"
HISTOGRAM_BINS = 20  # analysis.overview.histogram_sql's bins; the bin formula below is the same there

# Fingerprint of an indicator's student rows: exact integers, so two computations of the same rows
# always agree (a float sum's last digit depends on DuckDB's thread scheduling). Values are cast to BIGINT,
# not HUGEINT, before the (HUGEINT) sum: the same number, a third less of the scan (0.30 -> 0.20 s at 10 M).
FINGERPRINT_SQL = """count(student_key) AS student_rows,
       sum(import_id) FILTER (WHERE student_key IS NOT NULL) AS import_sum,
       sum(year) FILTER (WHERE student_key IS NOT NULL) AS year_sum,
       sum(TRY_CAST(round(value * 1000) AS BIGINT)) FILTER (WHERE student_key IS NOT NULL) AS value_sum"""

# Fingerprints of what the materialised page queries read (analysis.overview.MATERIALISED names, per
# query, the parts it depends on): exact integers per table, cheap enough to check once per snapshot when
# a dashboard process opens it (0.1-0.3 s at 10 million rows). Values of unit rows are left out; those
# of student rows are in, because the pooled means and bins read from the student tables.
INPUT_PARTS: dict[str, str] = {
    "observations": "SELECT count(*), sum(import_id), sum(year), count(wave) FROM {c}observations",
    # the per-indicator fingerprint of compare(), over every indicator at once, and the rows with a wave
    "student_rows": f"""SELECT {FINGERPRINT_SQL}, count(wave) FILTER (WHERE student_key IS NOT NULL)
        FROM {{c}}observations""",
    "units": """SELECT count(*), sum(hash(unit_id, country, unit_type, code, name, parent_id, department, municipality,
        authority, zone)) FROM {c}units""",
    "assignments": "SELECT count(*), sum(hash(unit_id, program, lab_type, start_year)) FROM {c}assignments",
    "student_attributes": """SELECT count(*), sum(import_id), sum(hash(student_key, name, value))
        FROM {c}student_attributes""",
    "indicators": """SELECT count(*), sum(hash(code, domain, kind, unit, label_es, label_en, min_value, max_value,
        higher_is_better, scale, reverse_coded)) FROM {c}indicators""",
}

WAVE_PERIOD_SQL = wave_period_sql("wave")


# Per student: the mean value in each period, a bit mask of ``year % 64`` of each period, the year span.
STUDENT_VALUES_SQL = """avg(value) FILTER (WHERE period = 'pre') AS v_pre,
               avg(value) FILTER (WHERE period = 'post') AS v_post,
               bit_or(1::UBIGINT << (year % 64)::INTEGER) FILTER (WHERE period = 'pre') AS m_pre,
               bit_or(1::UBIGINT << (year % 64)::INTEGER) FILTER (WHERE period = 'post') AS m_post,
               min(year) AS year_min, max(year) AS year_max"""

_LINKED = "FILTER (WHERE v_pre IS NOT NULL AND v_post IS NOT NULL)"
# Per school, over the per-student values: everybody and the linked students (both periods present).
SCHOOL_MOMENTS_SQL = f"""count(v_pre) AS n_pre, avg(v_pre) AS mean_pre, var_pop(v_pre) AS var_pre,
               count(v_post) AS n_post, avg(v_post) AS mean_post, var_pop(v_post) AS var_post,
               count(*) {_LINKED} AS n_linked,
               avg(v_pre) {_LINKED} AS lmean_pre, var_pop(v_pre) {_LINKED} AS lvar_pre,
               avg(v_post) {_LINKED} AS lmean_post, var_pop(v_post) {_LINKED} AS lvar_post,
               covar_pop(v_pre, v_post) {_LINKED} AS lcov,
               avg(v_post - v_pre) AS mean_j, var_pop(v_post - v_pre) AS dvar,
               sum(bit_count(m_pre)) AS student_years_pre, bit_or(m_pre) AS mask_pre,
               sum(bit_count(m_post)) AS student_years_post, bit_or(m_post) AS mask_post,
               min(year_min) AS year_min, max(year_max) AS year_max"""


def bin_sql(value: str, lo: str, hi: str, bins: int = HISTOGRAM_BINS) -> str:
    """Equal-width bin of ``value`` on [lo, hi] (the last bin includes hi); shared with the page query."""
    return f"least(CAST(floor(({value} - {lo}) / nullif(({hi} - {lo}) / {int(bins)}, 0)) AS INTEGER), {int(bins) - 1})"


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


def fingerprints(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, tuple]:
    """Per indicator with student rows: (student rows, import-id sum, year sum, value sum)."""
    rows = con.execute(f"SELECT indicator, {FINGERPRINT_SQL} FROM {ident(catalog)}.observations "
                       "GROUP BY indicator HAVING count(student_key) > 0").fetchall()
    return {r[0]: tuple(_int(v) for v in r[1:]) for r in rows}


def _int(value) -> int | None:
    return None if value is None else int(value)


def refresh(con: duckdb.DuckDBPyConnection, catalog: str, full: bool = False) -> list[str]:
    """Bring the derived tables of ``catalog`` up to date with its observations; returns the indicators
    recomputed. Called by every writer before it publishes a snapshot (and by erasure, which rewrites
    files itself). ``full`` recomputes everything (``python -m analysis rebuild-derived``: after an edit
    made outside LabLens that moved rows between schools or waves, which the fingerprints cannot see)."""
    c = ident(catalog)
    if full:
        for table in (STATE_TABLE, INPUTS_TABLE):
            run(con, f"DROP TABLE IF EXISTS {c}.{table}")
    for statement in _create_sql(catalog):
        run(con, statement)
    now = fingerprints(con, catalog)
    stored = {r[0]: (tuple(_int(v) for v in r[1:5]), r[5]) for r in con.execute(
        f"SELECT indicator, student_rows, import_sum, year_sum, value_sum, version FROM {c}.{STATE_TABLE}").fetchall()}
    stale = sorted({i for i in stored if i not in now}
                   | {i for i, fp in now.items() if stored.get(i) != (fp, DERIVED_VERSION)})
    if not stale:
        _materialise(con, catalog)
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
    _materialise(con, catalog)
    return stale


def input_fingerprints(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> dict[str, str]:
    """The fingerprint of each part of :data:`INPUT_PARTS` in ``catalog`` (the current catalog if None)."""
    prefix = f"{ident(catalog)}." if catalog else ""
    sql = " UNION ALL ".join(
        f"SELECT '{name}' AS part, (SELECT concat_ws(':', *COLUMNS(*)) FROM ({q.format(c=prefix)}))"
        for name, q in INPUT_PARTS.items())
    return {part: str(value) for part, value in con.execute(sql).fetchall()}


def _signature(parts: dict[str, str], depends: tuple[str, ...]) -> str:
    return "|".join(f"{p}={parts[p]}" for p in depends)


def _materialise(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    """Recompute the materialised page queries (analysis.overview.MATERIALISED) whose inputs changed;
    returns the tables recomputed."""
    from analysis.overview import MATERIALISED, PREREQUISITES  # overview imports compare, which imports us

    c = ident(catalog)
    columns = {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE database_name = ? "
                                         "AND table_name = ?", [catalog, INPUTS_TABLE]).fetchall()}
    if columns and "table_name" not in columns:  # written by version 2 (one fingerprint for all tables)
        run(con, f"DROP TABLE {c}.{INPUTS_TABLE}")
    run(con, f"CREATE TABLE IF NOT EXISTS {c}.{INPUTS_TABLE} (table_name VARCHAR, fingerprint VARCHAR, "
             "version VARCHAR)")
    parts = input_fingerprints(con, catalog)
    stored = {r[0]: (r[1], r[2]) for r in con.execute(
        f"SELECT table_name, fingerprint, version FROM {c}.{INPUTS_TABLE}").fetchall()}
    steps = [*((table, fill, depends) for table, (fill, depends) in PREREQUISITES.items()),
             *((table, fill, depends) for table, fill, _, depends in MATERIALISED.values())]
    todo = [(table, fill, _signature(parts, depends)) for table, fill, depends in steps
            if stored.get(table) != (_signature(parts, depends), DERIVED_VERSION)]
    if not todo:
        return []
    previous = con.execute("SELECT current_database()").fetchall()[0][0]
    run(con, f"USE {c}")  # the page queries name their tables without a catalog
    try:
        for table, fill, _ in todo:
            run(con, f"CREATE OR REPLACE TABLE {c}.{table} AS {fill}")
    finally:
        run(con, f"USE {ident(previous)}")
    for table, _, signature in todo:
        run(con, f"DELETE FROM {c}.{INPUTS_TABLE} WHERE table_name = ?", [table])
        run(con, f"INSERT INTO {c}.{INPUTS_TABLE} VALUES (?, ?, ?)", [table, signature, DERIVED_VERSION])
    return [table for table, _, _ in todo]


def current(con: duckdb.DuckDBPyConnection) -> bool:
    """True when every materialised page query of the connection's current catalog describes its tables."""
    from analysis.overview import MATERIALISED

    try:
        stored = {r[0]: (r[1], r[2]) for r in con.execute(
            f"SELECT table_name, fingerprint, version FROM {INPUTS_TABLE}").fetchall()}
    except duckdb.Error:  # a database written before the derived tables existed (or before version 2)
        return False
    parts = input_fingerprints(con)
    return all(stored.get(table) == (_signature(parts, depends), DERIVED_VERSION)
               for table, _, _, depends in MATERIALISED.values())


def usable(con: duckdb.DuckDBPyConnection, indicator: str, fingerprint: tuple) -> bool:
    """True when the derived tables hold ``indicator`` computed from exactly the rows whose fingerprint
    (the FINGERPRINT_SQL columns, in order) is given."""
    try:
        found = con.execute(f"SELECT student_rows, import_sum, year_sum, value_sum, version FROM {STATE_TABLE} "
                            "WHERE indicator = ?", [indicator]).fetchall()
    except duckdb.CatalogException:
        return False  # a database written before the derived tables existed
    if not found:
        return False
    *stored, version = found[0]
    return version == DERIVED_VERSION and tuple(_int(v) for v in stored) == tuple(_int(v) for v in fingerprint)
