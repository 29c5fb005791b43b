"""The pages' whole-table queries stored as tables with every snapshot, and whether they may be read.

Each page query listed in :data:`MATERIALISED` (programme overview, coverage, data dictionary, missing
units, students missing at post, small cells, ...) is stored as a table when a snapshot is written
(:func:`materialise`, run by ``analysis.precompute.derived.refresh``), recomputed only when the tables it
reads change (``derived_inputs`` holds the fingerprint of those: ``analysis.precompute.fingerprints``).
The dashboard reads the stored table instead of the query when that fingerprint still matches
(:func:`current`; the rule is ``analysis.precompute.serving.served_statement``).

Most of these tables hold rows per indicator (:data:`BY_INDICATOR`). When only observations changed (the
roster, catalogue and student attributes did not), such a table is refreshed for the indicators whose rows
changed and no other: their rows are deleted and recomputed from their observations alone, the other
indicators' rows stay as they are (a write that changes one indicator no longer rescans the others).
``derived_indicator_inputs`` keeps, per indicator, the fingerprint of all its observations
(``fingerprints.indicator_inputs``, from the write's one scan) the tables were last brought up to date with.
Tables that mix indicators (programme overview, small cells) are recomputed whole when their inputs change.
"""

from __future__ import annotations

import duckdb

from analysis.db.sql import ident, run
from analysis.db.sufficient import CELLS_TABLE, DERIVED_VERSION, INPUTS_TABLE
from analysis.precompute.fingerprints import depends_signature, indicator_inputs, input_fingerprints
from analysis.queries import (
    COVERAGE_BY_YEAR_SQL,
    COVERAGE_SQL,
    DICTIONARY_SQL,
    INDICATOR_YEARS_SQL,
    INDICATORS_PRESENT_SQL,
    MISSING_AT_POST_SQL,
    MISSING_UNITS_SQL,
    PROGRAMME_OVERVIEW_SQL,
    SMALL_CELLS_CELLS_SQL,
    SMALL_CELLS_SQL,
    SMALL_CELLS_SUMMARY,
    pooled_unit_periods,
    unit_period_derived_sql,
)

# One pass over the observations that the whole-table page queries below are computed from at write time
# (one scan instead of six: at 10 million rows each scan cost a write 1-2 CPU s).
OBS_CUBE_SQL = """
SELECT indicator, level, unit_id, year, count(*) AS rows, count(student_key) AS student_rows, count(wave) AS wave_rows
FROM observations GROUP BY indicator, level, unit_id, year
"""
# derived table -> (the SQL that fills it, the input parts it depends on); filled before MATERIALISED
PREREQUISITES: dict[str, tuple[str, tuple[str, ...]]] = {
    "derived_obs_cube": (OBS_CUBE_SQL, ("observations", "student_rows"))}

_COVERAGE_FROM_CUBE = """
SELECT u.country, i.domain, c.indicator, CAST(sum(c.rows) AS BIGINT) AS observations,
       count(DISTINCT c.unit_id) AS units, min(c.year) AS first_year, max(c.year) AS last_year
FROM derived_obs_cube c JOIN units u USING (unit_id) JOIN indicators i ON i.code = c.indicator
GROUP BY ALL ORDER BY u.country, i.domain, c.indicator
"""
_INDICATORS_PRESENT_FROM_CUBE = """
SELECT i.code, i.domain, i.kind, i.unit, i.higher_is_better, i.label_es, i.label_en,
       bool_or(c.student_rows > 0) AS student_level, bool_or(c.wave_rows > 0) AS uses_waves,
       CAST(sum(c.rows) AS BIGINT) AS observations, CAST(sum(c.student_rows) AS BIGINT) AS student_observations,
       min(c.year) AS first_year, max(c.year) AS last_year
FROM derived_obs_cube c JOIN indicators i ON i.code = c.indicator
WHERE c.level = 'all'
GROUP BY ALL ORDER BY i.domain, i.code
"""
_DICTIONARY_FROM_CUBE = """
SELECT i.code, i.domain, i.kind, i.unit, i.min_value, i.max_value, i.higher_is_better, i.scale,
       i.reverse_coded, i.label_es, i.label_en, CAST(coalesce(sum(c.rows), 0) AS BIGINT) AS observations
FROM indicators i LEFT JOIN derived_obs_cube c ON c.indicator = i.code
GROUP BY ALL ORDER BY i.domain, i.code
"""
_COVERAGE_BY_YEAR_FROM_CUBE = """
SELECT u.country, c.indicator, c.year, count(DISTINCT c.unit_id) AS units, CAST(sum(c.rows) AS BIGINT) AS observations
FROM derived_obs_cube c JOIN units u USING (unit_id)
WHERE c.year IS NOT NULL
GROUP BY ALL ORDER BY u.country, c.indicator, c.year
"""
_INDICATOR_YEARS_FROM_CUBE = """
SELECT o.indicator, u.country, min(o.year) AS first_year, max(o.year) AS last_year
FROM derived_obs_cube o JOIN units u USING (unit_id)
WHERE o.level = 'all'
GROUP BY o.indicator, u.country
"""
_MISSING_UNITS_FROM_CUBE = MISSING_UNITS_SQL.replace("FROM observations o", "FROM derived_obs_cube o")
assert _MISSING_UNITS_FROM_CUBE.count("derived_obs_cube") == 2

_STUDENTS = ("student_rows", "units", "assignments")
# The rows of a table refreshed per indicator are not in the query's order any more: its read sorts them
# as the query does (every key unique, so the order is the query's).
_ORDER = {"derived_q_coverage": " ORDER BY country, domain, indicator",
          "derived_q_indicators_present": " ORDER BY domain, code",
          "derived_q_dictionary": " ORDER BY domain, code",
          "derived_q_coverage_by_year": " ORDER BY country, indicator, year",
          "derived_q_missing_units": " ORDER BY program, country, indicator",
          "derived_q_missing_at_post": " ORDER BY indicator, program, country"}
_CUBE = ("observations", "student_rows")
# statement -> (derived table, the SQL that fills it at write time, the SQL that reads it with the
# statement's own parameters, the input parts it depends on: analysis.precompute.fingerprints.INPUT_PARTS). Each scans
# every observation row; at 10 million rows they took 0.5-6.5 s per page view. Results are identical
# (tests/precompute/test_materialised.py).
MATERIALISED: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    statement: (table, fill, f"SELECT * FROM {table}{_ORDER.get(table, '')}", depends)
    for statement, table, fill, depends in (
        (PROGRAMME_OVERVIEW_SQL, "derived_q_programme_overview", PROGRAMME_OVERVIEW_SQL, _STUDENTS),
        (COVERAGE_SQL, "derived_q_coverage", _COVERAGE_FROM_CUBE, (*_CUBE, "units", "indicators")),
        (INDICATORS_PRESENT_SQL, "derived_q_indicators_present", _INDICATORS_PRESENT_FROM_CUBE,
         (*_CUBE, "indicators")),
        (DICTIONARY_SQL, "derived_q_dictionary", _DICTIONARY_FROM_CUBE, (*_CUBE, "indicators")),
        (COVERAGE_BY_YEAR_SQL, "derived_q_coverage_by_year", _COVERAGE_BY_YEAR_FROM_CUBE, (*_CUBE, "units")),
        (MISSING_UNITS_SQL, "derived_q_missing_units", _MISSING_UNITS_FROM_CUBE, (*_CUBE, "units", "assignments")),
        (MISSING_AT_POST_SQL, "derived_q_missing_at_post", MISSING_AT_POST_SQL, _STUDENTS),
    )
}
MATERIALISED[INDICATOR_YEARS_SQL] = (
    "derived_q_indicator_years", _INDICATOR_YEARS_FROM_CUBE,
    "SELECT country, first_year, last_year FROM derived_q_indicator_years WHERE indicator = ? ORDER BY country",
    (*_CUBE, "units"))
MATERIALISED[SMALL_CELLS_SQL] = ("derived_q_small_cells", SMALL_CELLS_CELLS_SQL,
                                 SMALL_CELLS_SUMMARY.format(cells="derived_q_small_cells"),
                                 ("student_rows", "student_attributes", "units"))



# Comparar's unit means (waves, no subgroup): every indicator and country stored at write time; the page
# read the pooled query per country (0.1-0.4 s at 10 million rows) on every first view.
MATERIALISED[unit_period_derived_sql(None)] = (
    "derived_q_unit_periods", pooled_unit_periods("", every_indicator=True),
    "SELECT unit_id, name, program, country, lab_type, start_year, period, n, mean, sd FROM derived_q_unit_periods "
    "WHERE indicator = ? AND country = ? ORDER BY unit_id, period",
    ("student_rows", "units", "assignments"))


# Tables whose rows are per indicator (the column naming it): an indicator's rows are computed from its own
# observations (and the roster and catalogue) only, so they can be refreshed for some indicators alone.
BY_INDICATOR: dict[str, str] = {
    "derived_obs_cube": "indicator", "derived_q_coverage": "indicator", "derived_q_indicators_present": "code",
    "derived_q_dictionary": "code", "derived_q_coverage_by_year": "indicator", "derived_q_indicator_years": "indicator",
    "derived_q_missing_units": "indicator", "derived_q_missing_at_post": "indicator",
    "derived_q_unit_periods": "indicator"}
INDICATOR_INPUTS_TABLE = "derived_indicator_inputs"
# the per-indicator tables the fills read, each replaced by the changed indicators' rows in a refresh
_ROW_SOURCES = ("observations", "derived_obs_cube", CELLS_TABLE)
_ROW_PARTS = ("observations", "student_rows")  # the INPUT_PARTS that change with an indicator's rows


def _parts_of(signature: str) -> dict[str, str]:
    """The part fingerprints a :func:`depends_signature` names."""
    return dict(item.split("=", 1) for item in signature.split("|") if "=" in item)


def _per_indicator(table: str, before: tuple[str, str] | None, parts: dict[str, str], depends: tuple[str, ...],
                   known: bool) -> bool:
    """True when ``table`` may be refreshed for the changed indicators only: it holds rows per indicator, it
    was last brought up to date by this version with the per-indicator state ``known``, and of its inputs
    only the observations changed."""
    if table not in BY_INDICATOR or before is None or before[1] != DERIVED_VERSION or not known:
        return False
    old = _parts_of(before[0])
    return set(old) == set(depends) and all(old[p] == parts[p] for p in depends if p not in _ROW_PARTS)


def _refresh_sql(catalog: str, table: str, fill: str, changed: list[str]) -> tuple[list[str], list[list]]:
    """The statements (and their parameters) replacing ``table``'s rows of the ``changed`` indicators: the fill
    reads the changed indicators' rows of each source in place of the whole table (a CTE of the same name)."""
    c = ident(catalog)
    marks = ", ".join("?" for _ in changed)
    column = BY_INDICATOR[table]
    sources = ", ".join(f"{name} AS (SELECT * FROM {c}.{name} WHERE indicator IN ({marks}))" for name in _ROW_SOURCES)
    return ([f"DELETE FROM {c}.{table} WHERE {column} IN ({marks})",
             f"INSERT INTO {c}.{table} WITH {sources} SELECT * FROM ({fill}) WHERE {column} IN ({marks})"],
            [changed, changed * (len(_ROW_SOURCES) + 1)])


def _exists(con: duckdb.DuckDBPyConnection, catalog: str) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = ?",
                                      [catalog]).fetchall()}


def materialise(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    """Bring the materialised page queries (:data:`PREREQUISITES`, then :data:`MATERIALISED`) whose inputs
    changed up to date; returns the tables refreshed (whole, or for the indicators whose rows changed)."""
    c = ident(catalog)
    columns = {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE database_name = ? "
                                         "AND table_name = ?", [catalog, INPUTS_TABLE]).fetchall()}
    if columns and "table_name" not in columns:  # written by version 2 (one fingerprint for all tables)
        run(con, f"DROP TABLE {c}.{INPUTS_TABLE}")
    tables = _exists(con, catalog)
    known = INDICATOR_INPUTS_TABLE in tables
    for name, columns in ((INPUTS_TABLE, "table_name VARCHAR"), (INDICATOR_INPUTS_TABLE, "indicator VARCHAR")):
        run(con, f"CREATE TABLE IF NOT EXISTS {c}.{name} ({columns}, fingerprint VARCHAR, version VARCHAR)")
    parts = input_fingerprints(con, catalog)
    now = indicator_inputs(con, catalog)
    before = {r[0]: (r[1], r[2]) for r in con.execute(
        f"SELECT indicator, fingerprint, version FROM {c}.{INDICATOR_INPUTS_TABLE}").fetchall()}
    changed = sorted({i for i in now if before.get(i) != (now[i], DERIVED_VERSION)} | (before.keys() - now.keys()))
    stored = {r[0]: (r[1], r[2]) for r in con.execute(
        f"SELECT table_name, fingerprint, version FROM {c}.{INPUTS_TABLE}").fetchall()}
    steps = [*((table, fill, depends) for table, (fill, depends) in PREREQUISITES.items()),
             *((table, fill, depends) for table, fill, _, depends in MATERIALISED.values())]
    todo = [(table, fill, depends, depends_signature(parts, depends)) for table, fill, depends in steps
            if stored.get(table) != (depends_signature(parts, depends), DERIVED_VERSION)]
    previous = con.execute("SELECT current_database()").fetchall()[0][0]
    run(con, f"USE {c}")  # the page queries name their tables without a catalog
    try:
        for table, fill, depends, _ in todo:
            if changed and table in tables and _per_indicator(table, stored.get(table), parts, depends, known):
                for statement, params in zip(*_refresh_sql(catalog, table, fill, changed), strict=True):
                    run(con, statement, params)
            else:
                run(con, f"CREATE OR REPLACE TABLE {c}.{table} AS {fill}")
    finally:
        run(con, f"USE {ident(previous)}")
    for table, _, _, signature in todo:
        run(con, f"DELETE FROM {c}.{INPUTS_TABLE} WHERE table_name = ?", [table])
        run(con, f"INSERT INTO {c}.{INPUTS_TABLE} VALUES (?, ?, ?)", [table, signature, DERIVED_VERSION])
    if changed or not known:
        run(con, f"DELETE FROM {c}.{INDICATOR_INPUTS_TABLE}")
        if now:  # (none left after the last import is rolled back)
            con.executemany(f"INSERT INTO {c}.{INDICATOR_INPUTS_TABLE} VALUES (?, ?, ?)",
                            [[i, fp, DERIVED_VERSION] for i, fp in sorted(now.items())])
    return [table for table, _, _, _ in todo]


def current(con: duckdb.DuckDBPyConnection) -> bool:
    """True when every materialised page query of the connection's current catalog describes its tables."""
    try:
        stored = {r[0]: (r[1], r[2]) for r in con.execute(
            f"SELECT table_name, fingerprint, version FROM {INPUTS_TABLE}").fetchall()}
    except duckdb.Error:  # a database written before the derived tables existed (or before version 2)
        return False
    parts = input_fingerprints(con)
    return all(stored.get(table) == (depends_signature(parts, depends), DERIVED_VERSION)
               for table, _, _, depends in MATERIALISED.values())
