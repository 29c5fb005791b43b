"""Build: clear a snapshot, insert units, students and rates in a fixed order, record the import, publish."""

from __future__ import annotations

import hashlib
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from analysis.catalog import indicator_rows
from analysis.db.connect import default_db_path
from analysis.db.schema import create_schema
from analysis.demo.implementation import apply_dose, insert_implementation, plan_implementation
from analysis.demo.layout import school_layout
from analysis.demo.params import DEFAULT_SEED, DEFAULT_STUDENTS, DEMO_VERSION, IMPORT_ID, MIN_STUDENTS
from analysis.demo.randomised import insert_randomised
from analysis.demo.rates import municipality_rates, school_rates
from analysis.demo.students import insert_students
from analysis.demo.units import insert_units
from analysis.precompute.publish import writable_snapshot


def _clear(con: duckdb.DuckDBPyConnection) -> None:
    """Empty every table of the snapshot, then restore the shipped catalogue and schema version.

    A new file already holds exactly that (create_schema ran when the snapshot opened): then nothing
    is done, which saves the slow catalogue insert on a first run.
    """
    tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'target' "
                         "ORDER BY ALL").fetchall()
    if _is_fresh(con, tables):
        return
    for schema, table in tables:
        con.execute(f'DELETE FROM target."{schema}"."{table}"')
    create_schema(con, "target")
    con.execute("USE memory")


def _is_fresh(con: duckdb.DuckDBPyConnection, tables: list[tuple[str, str]]) -> bool:
    """True when the snapshot holds only what `create_schema` writes into an empty file."""
    for schema, table in tables:
        if (schema, table) == ("main", "indicators"):
            shipped = sorted(indicator_rows())
            if sorted(con.execute("SELECT * FROM target.main.indicators").fetchall()) != shipped:
                return False
            continue
        keep = " WHERE key <> 'schema_version'" if (schema, table) == ("main", "meta") else ""
        if con.execute(f'SELECT count(*) FROM target."{schema}"."{table}"{keep}').fetchall()[0][0]:
            return False
    return True


def build_demo(path: str | os.PathLike | None = None, students: int = DEFAULT_STUDENTS,
               seed: int = DEFAULT_SEED) -> dict:
    """Build (or rebuild) the synthetic demo database at ``path`` and publish it atomically.

    ``path`` None means `store.default_db_path()`. Any content already at ``path`` is replaced.
    Returns a summary: units, schools, students, observations, student_attributes, seed, seconds.
    """
    started = time.perf_counter()
    students, seed = int(students), int(seed)
    if students < MIN_STUDENTS:
        raise ValueError(f"students must be at least {MIN_STUDENTS}, got {students}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    db = Path(path) if path is not None else default_db_path()
    lay = school_layout(students, seed)
    plan = plan_implementation(lay, seed)
    apply_dose(lay, plan)  # the planted dose-response, before the students' scores are drawn
    with writable_snapshot(db) as con:
        con.execute("SET enable_progress_bar = false")
        _clear(con)
        n_units, n_schools = insert_units(con, lay)
        n_students = insert_students(con, lay, seed)
        trial = insert_randomised(con, seed)  # the randomised MiLab cohort (its record: a registered assignment)
        school_rates(con, lay, seed)
        municipality_rates(con, seed)
        implementation = insert_implementation(con, lay, plan, seed)
        n_obs = con.execute("SELECT count(*) FROM target.observations").fetchall()[0][0]
        n_attr = con.execute("SELECT count(*) FROM target.student_attributes").fetchall()[0][0]
        summary = {"units": n_units, "schools": n_schools, "students": n_students, "observations": n_obs,
                   "student_attributes": n_attr, **implementation, "seed": seed, "demo_version": DEMO_VERSION,
                   "randomised": {k: v for k, v in trial.items() if k != "assignment"},
                   "pilot_assignment": trial["assignment"]}
        described = f"lablens demo v{DEMO_VERSION}: seed={seed} students={students}"
        con.execute(
            "INSERT INTO target.imports VALUES ($id, $source, $sha, 'demo', $rows, $rows, 0, $at, 'active', "
            "$summary)",
            {"id": IMPORT_ID, "source": f"demo: synthetic data (seed {seed})",
             "sha": hashlib.sha256(described.encode("utf-8")).hexdigest(), "rows": n_obs,
             "at": datetime.now(UTC).replace(tzinfo=None), "summary": json.dumps(summary, sort_keys=True)},
        )
        con.executemany(
            "INSERT INTO target.meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [("demo", "true"), ("demo_seed", str(seed)), ("demo_students", str(students))],
        )
    summary["seconds"] = round(time.perf_counter() - started, 3)
    return summary
