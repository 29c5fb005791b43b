"""The public schema (DESIGN.md, "Public database schema"): tables, the observation key, the schema version."""

from __future__ import annotations

import duckdb

from analysis.catalog import indicator_rows

SCHEMA_VERSION = "1"

# Public schema (DESIGN.md, "Public database schema"). Column names are a contract with researchers.
SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS units (
    unit_id VARCHAR PRIMARY KEY, country VARCHAR NOT NULL, unit_type VARCHAR NOT NULL,
    code VARCHAR NOT NULL, name VARCHAR, parent_id VARCHAR, department VARCHAR,
    municipality VARCHAR, authority VARCHAR, zone VARCHAR, lat DOUBLE, lon DOUBLE,
    import_id INTEGER);
CREATE TABLE IF NOT EXISTS unit_attributes (
    unit_id VARCHAR NOT NULL, name VARCHAR NOT NULL, value VARCHAR, import_id INTEGER);
CREATE TABLE IF NOT EXISTS assignments (
    unit_id VARCHAR NOT NULL, program VARCHAR NOT NULL, lab_type VARCHAR, start_year INTEGER,
    import_id INTEGER);
CREATE TABLE IF NOT EXISTS indicators (
    code VARCHAR PRIMARY KEY, domain VARCHAR NOT NULL, kind VARCHAR NOT NULL, unit VARCHAR,
    higher_is_better BOOLEAN, min_value DOUBLE, max_value DOUBLE, scale VARCHAR,
    reverse_coded BOOLEAN DEFAULT false, label_es VARCHAR, label_en VARCHAR);
CREATE TABLE IF NOT EXISTS observations (
    import_id INTEGER NOT NULL, unit_id VARCHAR NOT NULL, student_key VARCHAR,
    indicator VARCHAR NOT NULL, year INTEGER, wave VARCHAR, level VARCHAR NOT NULL DEFAULT 'all',
    sex VARCHAR, grade VARCHAR, value DOUBLE NOT NULL, n DOUBLE);
CREATE TABLE IF NOT EXISTS student_attributes (
    import_id INTEGER NOT NULL, student_key VARCHAR NOT NULL, name VARCHAR NOT NULL, value VARCHAR);
CREATE TABLE IF NOT EXISTS duplicate_observations (
    import_id INTEGER NOT NULL, unit_id VARCHAR NOT NULL, student_key VARCHAR,
    indicator VARCHAR NOT NULL, year INTEGER, wave VARCHAR, level VARCHAR NOT NULL,
    sex VARCHAR, grade VARCHAR, value DOUBLE NOT NULL, n DOUBLE);
CREATE TABLE IF NOT EXISTS superseded_observations (
    superseded_by INTEGER NOT NULL, import_id INTEGER NOT NULL, unit_id VARCHAR NOT NULL,
    student_key VARCHAR, indicator VARCHAR NOT NULL, year INTEGER, wave VARCHAR,
    level VARCHAR NOT NULL, sex VARCHAR, grade VARCHAR, value DOUBLE NOT NULL, n DOUBLE);
CREATE TABLE IF NOT EXISTS imports (
    import_id INTEGER PRIMARY KEY, source_name VARCHAR, sha256 VARCHAR, recognized_as VARCHAR,
    rows_read BIGINT, rows_loaded BIGINT, rows_rejected BIGINT, imported_at TIMESTAMP,
    status VARCHAR, summary_json VARCHAR);
CREATE TABLE IF NOT EXISTS rejects (
    import_id INTEGER NOT NULL, row_number BIGINT, column_name VARCHAR, raw_value VARCHAR,
    reason VARCHAR);
CREATE TABLE IF NOT EXISTS boundaries (
    country VARCHAR NOT NULL, unit_type VARCHAR NOT NULL, code VARCHAR, name VARCHAR,
    geojson VARCHAR NOT NULL, import_id INTEGER);
-- databases made before boundaries carried territory codes
ALTER TABLE boundaries ADD COLUMN IF NOT EXISTS code VARCHAR;
ALTER TABLE boundaries ALTER COLUMN name DROP NOT NULL;
-- registered random assignments (analysis.pilot.register): each one is an import of its roster, the record
-- in the import's summary; status follows the import (a rollback makes it 'rolled_back')
CREATE OR REPLACE VIEW pilot_assignments AS SELECT import_id AS assignment_id,
    json_extract_string(summary_json, '$.pilot_assignment.options.program') AS program,
    json_extract_string(summary_json, '$.pilot_assignment.country') AS country,
    CAST(json_extract_string(summary_json, '$.pilot_assignment.seed') AS BIGINT) AS seed,
    json_extract_string(summary_json, '$.pilot_assignment.frame_sha256') AS frame_sha256,
    json_extract_string(summary_json, '$.pilot_assignment.roster_sha256') AS roster_sha256,
    json_extract_string(summary_json, '$.pilot_assignment.lablens_version') AS lablens_version,
    CAST(json_extract_string(summary_json, '$.pilot_assignment.schools') AS INTEGER) AS schools,
    CAST(json_extract_string(summary_json, '$.pilot_assignment.treated') AS INTEGER) AS treated,
    json_extract(summary_json, '$.pilot_assignment')::VARCHAR AS record_json, status, imported_at AS registered_at
    FROM imports WHERE json_extract(summary_json, '$.pilot_assignment') IS NOT NULL;
"""

OBS_KEY = ("unit_id", "indicator", "year", "wave", "level", "sex", "grade", "student_key")
OBS_COLUMNS = ("import_id", "unit_id", "student_key", "indicator", "year", "wave", "level", "sex",
               "grade", "value", "n")


def create_schema(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> None:
    """Create the public tables (idempotent) and refresh the shipped indicator catalogue."""
    if catalog:
        con.execute(f"USE {catalog}")
    con.execute(SCHEMA_SQL)
    # one multi-row statement: executemany ran one statement per indicator (~0.3 s on every snapshot)
    rows = indicator_rows()
    placeholders = ", ".join("(" + ", ".join("?" * len(rows[0])) + ")" for _ in rows)
    con.execute(f"INSERT INTO indicators VALUES {placeholders} ON CONFLICT (code) DO NOTHING",
                [value for row in rows for value in row]).fetchall()
    con.execute(
        "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = ?",
        [SCHEMA_VERSION, SCHEMA_VERSION],
    )
