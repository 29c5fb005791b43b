"""The public schema (DESIGN.md, "Public database schema"): tables, the observation key, the schema version."""

from __future__ import annotations

import duckdb

from analysis.catalog import indicator_rows
from analysis.db.sql import UNIT_PROGRAM_CTE

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

# --- Implementation records (DESIGN.md, "Implementation records") ---------------------------------------
# One row per submission of the kit's lab log and governance checklist, one per teacher of a training
# session; columns are the forms' field names (analysis/forms/definitions.py). (form_id, submission_id[,
# entry]) is the dedupe key: one submission instance arriving twice is one record.
IMPLEMENTATION_SQL = """
CREATE TABLE IF NOT EXISTS lab_log (
    import_id INTEGER NOT NULL, form_id VARCHAR NOT NULL, form_version VARCHAR,
    submission_id VARCHAR NOT NULL, submitted_at TIMESTAMP, unit_id VARCHAR NOT NULL,
    visit_date DATE NOT NULL, period VARCHAR, lab_installed BOOLEAN, installed_on DATE, lab_type VARCHAR,
    operating BOOLEAN, sessions_held INTEGER, hours_of_use DOUBLE, students_attending INTEGER,
    equipment_status VARCHAR, connectivity VARCHAR, comments VARCHAR);
CREATE TABLE IF NOT EXISTS teacher_training (
    import_id INTEGER NOT NULL, form_id VARCHAR NOT NULL, form_version VARCHAR,
    submission_id VARCHAR NOT NULL, entry INTEGER NOT NULL, submitted_at TIMESTAMP, unit_id VARCHAR NOT NULL,
    training_date DATE NOT NULL, module VARCHAR, teacher_key VARCHAR, hours DOUBLE, completed BOOLEAN);
CREATE TABLE IF NOT EXISTS governance_check (
    import_id INTEGER NOT NULL, form_id VARCHAR NOT NULL, form_version VARCHAR,
    submission_id VARCHAR NOT NULL, submitted_at TIMESTAMP, unit_id VARCHAR NOT NULL,
    checklist_date DATE NOT NULL, committee_in_place BOOLEAN, committee_members INTEGER,
    meetings_held INTEGER, families_take_part BOOLEAN, community_takes_part BOOLEAN,
    territorial_articulation VARCHAR, comments VARCHAR);
"""
#: the per-school-year view over the three tables (also created over the Parquet lake, analysis/lake.py)
IMPLEMENTATION_VIEW_SQL = f"""
CREATE OR REPLACE VIEW implementation_school_year AS
WITH {UNIT_PROGRAM_CTE},
lab AS (
    SELECT unit_id, year(visit_date) AS year, count(*) AS lab_records,
           count(DISTINCT month(visit_date)) AS months_reported,
           bool_or(lab_installed) AS lab_installed, min(installed_on) AS installed_on,
           count(DISTINCT CASE WHEN operating THEN month(visit_date) END) AS months_operating,
           arg_max(coalesce(operating, false), visit_date) AS operating_at_last_record,
           coalesce(sum(hours_of_use), 0) AS lab_hours, coalesce(sum(sessions_held), 0)::BIGINT AS sessions,
           coalesce(sum(students_attending), 0)::BIGINT AS students_attending
    FROM lab_log GROUP BY ALL),
training AS (
    SELECT unit_id, year(training_date) AS year, count(DISTINCT teacher_key) AS teachers_trained,
           sum(hours) AS training_hours,
           count(DISTINCT CASE WHEN completed THEN teacher_key END) AS teachers_completed_module
    FROM teacher_training GROUP BY ALL),
gov AS (
    SELECT unit_id, year(checklist_date) AS year, count(*) AS governance_checks,
           avg((coalesce(committee_in_place, false)::INTEGER + (coalesce(meetings_held, 0) > 0)::INTEGER
                + coalesce(families_take_part, false)::INTEGER + coalesce(community_takes_part, false)::INTEGER
                + (coalesce(territorial_articulation, 'none') <> 'none')::INTEGER) / 5.0) AS governance_score,
           coalesce(sum(meetings_held), 0)::BIGINT AS meetings_held
    FROM governance_check GROUP BY ALL),
keys AS (SELECT unit_id, year FROM lab UNION SELECT unit_id, year FROM training
         UNION SELECT unit_id, year FROM gov)
SELECT k.unit_id, k.year, up.program, up.lab_type,
       coalesce(lab.lab_records, 0) AS lab_records, coalesce(lab.months_reported, 0) AS months_reported,
       lab.lab_installed, lab.installed_on, coalesce(lab.months_operating, 0) AS months_operating,
       lab.operating_at_last_record,
       coalesce(lab.lab_hours, 0) AS lab_hours, coalesce(lab.sessions, 0) AS sessions,
       coalesce(lab.students_attending, 0) AS students_attending,
       CASE WHEN lab.months_reported > 0 THEN 3.0 * lab.lab_hours / lab.months_reported END
           AS lab_hours_per_term,
       coalesce(training.teachers_trained, 0) AS teachers_trained,
       coalesce(training.training_hours, 0) AS training_hours,
       CASE WHEN training.teachers_trained > 0 THEN training.training_hours / training.teachers_trained END
           AS training_hours_per_teacher,
       coalesce(training.teachers_completed_module, 0) AS teachers_completed_module,
       coalesce(gov.governance_checks, 0) AS governance_checks, gov.governance_score,
       coalesce(gov.meetings_held, 0) AS meetings_held
FROM keys k
LEFT JOIN up ON up.unit_id = k.unit_id
LEFT JOIN lab ON lab.unit_id = k.unit_id AND lab.year = k.year
LEFT JOIN training ON training.unit_id = k.unit_id AND training.year = k.year
LEFT JOIN gov ON gov.unit_id = k.unit_id AND gov.year = k.year;
"""
IMPLEMENTATION_SQL += IMPLEMENTATION_VIEW_SQL
IMPLEMENTATION_TABLES = ("lab_log", "teacher_training", "governance_check")
# --- end of implementation records ----------------------------------------------------------------------

OBS_KEY = ("unit_id", "indicator", "year", "wave", "level", "sex", "grade", "student_key")
OBS_COLUMNS = ("import_id", "unit_id", "student_key", "indicator", "year", "wave", "level", "sex",
               "grade", "value", "n")


def create_schema(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> None:
    """Create the public tables (idempotent) and refresh the shipped indicator catalogue."""
    if catalog:
        con.execute(f"USE {catalog}")
    con.execute(SCHEMA_SQL)
    con.execute(IMPLEMENTATION_SQL)
    # one multi-row statement: executemany ran one statement per indicator (~0.3 s on every snapshot)
    rows = indicator_rows()
    placeholders = ", ".join("(" + ", ".join("?" * len(rows[0])) + ")" for _ in rows)
    con.execute(f"INSERT INTO indicators VALUES {placeholders} ON CONFLICT (code) DO NOTHING",
                [value for row in rows for value in row]).fetchall()
    con.execute(
        "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = ?",
        [SCHEMA_VERSION, SCHEMA_VERSION],
    )
