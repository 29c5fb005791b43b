"""The import history and undo: list the imports, roll one back completely."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import audit
from analysis.db.connect import open_db
from analysis.db.schema import IMPLEMENTATION_TABLES, OBS_KEY
from analysis.db.sql import run, scalar
from analysis.importer.errors import ImportFailed
from analysis.precompute.publish import writable_snapshot


def list_imports(db_path: str | Path) -> pd.DataFrame:
    """The import history, newest first."""
    con = open_db(db_path)
    try:
        return con.execute("SELECT import_id, source_name, recognized_as, rows_read, rows_loaded, rows_rejected, "
                           "imported_at, status, sha256 FROM imports ORDER BY import_id DESC").df()
    finally:
        con.close()


def rollback(db_path: str | Path, import_id: int, actor: str | None = None) -> dict:
    """Remove one import completely, restoring what it superseded and what it had deduplicated."""
    with writable_snapshot(db_path) as w:
        status = scalar(w, "SELECT status FROM target.imports WHERE import_id = ?", [import_id])
        if status is None:
            raise ImportFailed(f"there is no import {import_id}")
        if status != "active":
            raise ImportFailed(f"import {import_id} is already {status.replace('_', ' ')}")
        removed = scalar(w, "SELECT count(*) FROM target.observations WHERE import_id = ?", [import_id])
        run(w, "DELETE FROM target.observations WHERE import_id = ?", [import_id])
        cols = "import_id, unit_id, student_key, indicator, year, wave, level, sex, grade, value, n"
        restored = scalar(w, "SELECT count(*) FROM target.superseded_observations WHERE superseded_by = ?",
                          [import_id])
        run(w, f"INSERT INTO target.observations SELECT {cols} FROM target.superseded_observations "
               "WHERE superseded_by = ?", [import_id])
        run(w, "DELETE FROM target.superseded_observations WHERE superseded_by = ? OR import_id = ?",
            [import_id, import_id])
        # rows another import also supplied (identical) come back under that import
        key_join = " AND ".join(f"o.{k} IS NOT DISTINCT FROM d.{k}" for k in OBS_KEY)
        run(w, f"""CREATE OR REPLACE TEMP TABLE promote AS SELECT * FROM (SELECT d.*, row_number() OVER (
            PARTITION BY {', '.join('d.' + k for k in OBS_KEY)} ORDER BY d.import_id) AS rk
            FROM target.duplicate_observations d WHERE d.import_id <> ?
            AND NOT EXISTS (SELECT 1 FROM target.observations o WHERE {key_join})) WHERE rk = 1""", [import_id])
        promoted = scalar(w, "SELECT count(*) FROM promote")
        run(w, f"INSERT INTO target.observations SELECT {cols} FROM promote")
        run(w, f"""DELETE FROM target.duplicate_observations d WHERE EXISTS (SELECT 1 FROM promote p WHERE
            p.import_id = d.import_id AND {key_join.replace('o.', 'p.')})""")
        run(w, "DELETE FROM target.duplicate_observations WHERE import_id = ?", [import_id])
        for table in ("assignments", "unit_attributes", "student_attributes", "boundaries", *IMPLEMENTATION_TABLES):
            run(w, f"DELETE FROM target.{table} WHERE import_id = ?", [import_id])
        run(w, """DELETE FROM target.units u WHERE u.import_id = ?
            AND NOT EXISTS (SELECT 1 FROM target.observations o WHERE o.unit_id = u.unit_id)
            AND NOT EXISTS (SELECT 1 FROM target.assignments a WHERE a.unit_id = u.unit_id)
            AND NOT EXISTS (SELECT 1 FROM target.lab_log r WHERE r.unit_id = u.unit_id)
            AND NOT EXISTS (SELECT 1 FROM target.teacher_training r WHERE r.unit_id = u.unit_id)
            AND NOT EXISTS (SELECT 1 FROM target.governance_check r WHERE r.unit_id = u.unit_id)
            AND NOT EXISTS (SELECT 1 FROM target.units c WHERE c.parent_id = u.unit_id AND c.import_id <> ?)""",
            [import_id, import_id])
        run(w, "UPDATE target.imports SET status = 'rolled_back' WHERE import_id = ?", [import_id])
    audit.record(db_path, "rollback", actor, import_id=import_id, observations_removed=removed,
                 observations_restored=restored + promoted)
    return {"import_id": import_id, "status": "rolled_back", "observations_removed": removed,
            "observations_restored": restored + promoted}
