"""Commit: write a staged file into a new snapshot of the database and publish it (all or nothing).

The snapshot is a private copy of the published database (``store.writable_snapshot``): staged rows
are compared with those already loaded (overlap between imports: duplicates skipped, conflicts
aborted, superseded or kept), written, checkpointed, verified and published atomically.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd

from analysis import audit
from analysis.db.schema import OBS_KEY
from analysis.db.sql import run, scalar
from analysis.importer.errors import AlreadyImported, ImportConflict, ImportFailed
from analysis.importer.staging import Staged, rejected_counts, rejects_frame
from analysis.keys import RESTORE_KEY_HINT
from analysis.precompute.publish import writable_snapshot

CONFLICT_POLICIES = ("abort", "supersede", "keep")


def commit(staged: Staged, db_path: str | Path, on_conflict: str = "abort", actor: str | None = None) -> dict:
    """Write a staged file into a new snapshot of the database and publish it (all or nothing).

    A published import is recorded in the audit log (``analysis.audit``) with ``actor``."""
    if on_conflict not in CONFLICT_POLICIES:
        raise ImportFailed(f"unknown conflict policy '{on_conflict}' (abort, supersede or keep)")
    con, s = staged.con, dict(staged.summary)
    units = s.pop("_units")
    new_indicators = s.pop("_new_indicators", pd.DataFrame())
    try:
        if not s.get("rows_loaded", 0) and staged.layout.target in ("observations", "roster"):
            rejects = rejects_frame(staged)
            raise ImportFailed(f"{staged.source.name}: nothing to load, every row was rejected "
                               f"({len(rejects)} rejected cells; --rejects-out FILE writes them); "
                               "the database is unchanged", rejects=rejects)
        with writable_snapshot(db_path, con=con) as w:
            previous = w.execute(
                "SELECT import_id FROM target.imports WHERE sha256 = ? AND status = 'active' "
                "AND coalesce(json_extract_string(summary_json, '$.mapping_sha256'), '') = ?",
                [staged.sha256, s.get("mapping_sha256") or ""]).fetchall()
            if previous:
                raise AlreadyImported(previous[0][0])
            _check_key(w, s.get("key_fingerprint"))
            import_id = scalar(w, "SELECT coalesce(max(import_id), 0) + 1 FROM target.imports")
            s["import_id"] = import_id
            # No explicit transaction: the whole snapshot is published or discarded as one piece
            # (and DuckDB lets one transaction write to only one attached database).
            if len(new_indicators):
                w.register("_new_ind", new_indicators)
                run(w, "INSERT INTO target.indicators SELECT * FROM _new_ind ON CONFLICT (code) DO NOTHING")
                w.unregister("_new_ind")
            _write_units(w, units, import_id, staged)
            if staged.layout.target == "observations":
                _write_observations(w, import_id, on_conflict, s)
            elif staged.layout.target == "roster":
                _write_roster(w, import_id, on_conflict, s)
            run(w, "INSERT INTO target.rejects SELECT ?, row_number, column_name, raw_value, reason FROM rejects",
                [import_id])
            s["rows_rejected"], s["values_rejected_in_loaded_rows"] = rejected_counts(staged, w)
            s["status"] = "active"
            s["imported_at"] = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
            run(w, "INSERT INTO target.imports VALUES (?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, 'active', ?)",
                [import_id, staged.source.name, staged.sha256, staged.layout.name, s["rows_read"],
                 s.get("rows_loaded", 0), s["rows_rejected"], json.dumps(_jsonable(s), ensure_ascii=False)])
    except AlreadyImported as done:
        s.update(status="already_imported", import_id=done.import_id, rows_loaded=0)
        same = "same sha256 and mapping" if s.get("mapping") else "same sha256"
        s["notes"] = [*s.get("notes", []), f"this exact file ({same}) is import {done.import_id}; nothing changed"]
        return _jsonable(s)
    audit.record(db_path, "import", actor, import_id=s["import_id"], source_name=staged.source.name,
                 sha256=staged.sha256, rows_loaded=s.get("rows_loaded", 0), on_conflict=on_conflict)
    return _jsonable(s)




def _check_key(w: duckdb.DuckDBPyConnection, fingerprint: str | None) -> None:
    """Refuse to mix pseudonyms made with two different keys (students would not link)."""
    if fingerprint is None:
        return
    stored = scalar(w, "SELECT value FROM target.meta WHERE key = 'key_fingerprint'")
    if stored is None:
        run(w, "INSERT INTO target.meta VALUES ('key_fingerprint', ?)", [fingerprint])
    elif stored != fingerprint:
        raise ImportFailed("the pseudonymisation key on this machine is not the one this database was built "
                           "with: students would not link across waves. Restore the original key file "
                           f"('{RESTORE_KEY_HINT}', see README) and import again")


def _write_units(w: duckdb.DuckDBPyConnection, units: pd.DataFrame, import_id: int, staged: Staged) -> None:
    if not len(units):
        return
    frame = units.copy()
    for c in frame.columns:
        frame[c] = frame[c].astype("string")
    w.register("_units", frame)
    # New units are added; known units only gain missing fields (a directory fills in names and zones).
    run(w, """INSERT INTO target.units SELECT unit_id, country, unit_type, code, name, parent_id, department,
        municipality, authority, zone, NULL, NULL, ? FROM _units u
        WHERE NOT EXISTS (SELECT 1 FROM target.units t WHERE t.unit_id = u.unit_id)""", [import_id])
    run(w, """UPDATE target.units t SET name = coalesce(t.name, u.name), parent_id = coalesce(t.parent_id, u.parent_id),
        department = coalesce(t.department, u.department), municipality = coalesce(t.municipality, u.municipality),
        authority = coalesce(t.authority, u.authority), zone = coalesce(t.zone, u.zone)
        FROM _units u WHERE t.unit_id = u.unit_id""")
    w.unregister("_units")
    lay = staged.layout
    if lay.unit_attribute_cols:
        join = " AND ".join(f"r.k{j} = km.k{j}" for j in range(len(lay.code_cols)))
        parts = [f"""SELECT DISTINCT km.unit_id, ? AS name, trim(raw.c{i}) AS value FROM rows r
                     JOIN raw USING (_row) JOIN keymap km ON {join} AND r.x0 = km.x0 AND r.x1 = km.x1
                     AND r.x2 = km.x2 WHERE km.unit_id IS NOT NULL AND coalesce(trim(raw.c{i}), '') <> ''"""
                 for i in lay.unit_attribute_cols]
        run(w, "INSERT INTO target.unit_attributes SELECT DISTINCT *, ? FROM (" + " UNION ALL ".join(parts) + ")",
            [import_id, *lay.unit_attribute_cols.values()])
        if lay.target == "units":
            # a newer directory replaces the attributes an older import gave the same units
            run(w, """DELETE FROM target.unit_attributes a WHERE a.import_id <> ? AND EXISTS (
                SELECT 1 FROM target.unit_attributes b WHERE b.import_id = ? AND b.unit_id = a.unit_id
                AND b.name = a.name)""", [import_id, import_id])


_KEY_JOIN = " AND ".join(f"o.{k} IS NOT DISTINCT FROM s.{k}" for k in OBS_KEY)


def _write_observations(w: duckdb.DuckDBPyConnection, import_id: int, on_conflict: str, s: dict) -> None:
    """Insert the staged observations, comparing them with those already loaded (overlap between imports).

    ``cmp`` holds only the staged values that meet a stored one (issue #6: it was a full copy of every
    staged value, left-joined, even into an empty database); the rest go straight from ``obs_rows``
    (staging's view of ``obs``)."""
    run(w, f"""CREATE OR REPLACE TEMP TABLE cmp AS SELECT s.*, o.value AS old_value,
        o.import_id AS old_import FROM obs_rows s JOIN target.observations o ON {_KEY_JOIN}""")
    conflicts = scalar(w, "SELECT count(*) FROM cmp WHERE old_value <> value")
    s["duplicates_skipped"] = scalar(w, "SELECT count(*) FROM cmp WHERE old_value = value")
    s["conflicts"] = conflicts
    if conflicts and on_conflict == "abort":
        frame = w.execute("""SELECT _row AS row_number, unit_id, indicator, year, wave, level, sex, grade,
            old_value, value AS new_value, old_import FROM cmp WHERE old_value <> value
            ORDER BY _row, indicator""").df()
        first = frame.iloc[0]
        raise ImportConflict(
            f"{s['source_name']}: {conflicts} value(s) differ from data already loaded (e.g. {first.unit_id} "
            f"{first.indicator} {'' if pd.isna(first.year) else int(first.year)} {first.level}: "
            f"{first.old_value:g} in import {first.old_import}, {first.new_value:g} here). Nothing was "
            "imported. Re-run with --on-conflict supersede (replace the old values, undone by rollback) or "
            "--on-conflict keep (keep the old values).", frame)
    cols = "unit_id, student_key, indicator, year, wave, level, sex, grade, value, n"
    met = scalar(w, "SELECT count(*) FROM cmp")
    # staged values that meet no stored one (all of them when nothing overlaps)
    new_rows = f"SELECT ?, {cols} FROM obs_rows" + (" WHERE _rid NOT IN (SELECT _rid FROM cmp)" if met else "")
    run(w, f"INSERT INTO target.duplicate_observations SELECT ?, {cols} FROM cmp WHERE old_value = value",
        [import_id])
    if conflicts and on_conflict == "supersede":
        run(w, f"""INSERT INTO target.superseded_observations SELECT ?, o.* FROM target.observations o
            WHERE EXISTS (SELECT 1 FROM cmp s WHERE s.old_value <> s.value AND {_KEY_JOIN})""", [import_id])
        run(w, f"""DELETE FROM target.observations o WHERE EXISTS (SELECT 1 FROM cmp s WHERE
            s.old_value <> s.value AND {_KEY_JOIN})""")
        run(w, f"INSERT INTO target.observations {new_rows} UNION ALL SELECT ?, {cols} FROM cmp "
               "WHERE old_value <> value", [import_id, import_id])
        s["superseded"] = conflicts
    else:
        run(w, f"INSERT INTO target.observations {new_rows}", [import_id])
        if conflicts:
            run(w, """INSERT INTO rejects SELECT _row, header, txt, 'conflict: kept the value ' || old_value ||
                ' already loaded by import ' || old_import FROM cmp WHERE old_value <> value""")
            s["kept_existing"] = conflicts
    s["observations_loaded"] = scalar(w, "SELECT count(*) FROM target.observations WHERE import_id = ?",
                                      [import_id])
    if scalar(w, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'attrs' "
                 "AND table_catalog = 'memory'"):
        run(w, "INSERT INTO target.student_attributes SELECT ?, student_key, name, value FROM attrs",
            [import_id])


def _write_roster(w: duckdb.DuckDBPyConnection, import_id: int, on_conflict: str, s: dict) -> None:
    run(w, """CREATE OR REPLACE TEMP TABLE rcmp AS SELECT r.*, a.lab_type AS old_lab_type,
        a.start_year AS old_start_year, a.import_id AS old_import FROM roster r
        LEFT JOIN target.assignments a ON a.unit_id = r.unit_id AND a.program = r.program""")
    differ = ("old_import IS NOT NULL AND (old_lab_type IS DISTINCT FROM lab_type OR "
              "old_start_year IS DISTINCT FROM start_year)")
    conflicts = scalar(w, f"SELECT count(*) FROM rcmp WHERE {differ}")
    s["duplicates_skipped"] = scalar(w, f"SELECT count(*) FROM rcmp WHERE old_import IS NOT NULL AND NOT ({differ})")
    s["conflicts"] = conflicts
    if conflicts and on_conflict == "abort":
        frame = w.execute(f"SELECT _row AS row_number, unit_id, program, old_lab_type, lab_type, old_start_year, "
                          f"start_year, old_import FROM rcmp WHERE {differ} ORDER BY _row").df()
        raise ImportConflict(f"{s['source_name']}: {conflicts} assignment(s) differ from the roster already "
                             "loaded. Nothing was imported. Re-run with --on-conflict supersede or keep.", frame)
    if conflicts and on_conflict == "supersede":
        run(w, f"""DELETE FROM target.assignments a WHERE EXISTS (SELECT 1 FROM rcmp r WHERE r.unit_id = a.unit_id
            AND r.program = a.program AND {differ.replace('old_import', 'r.old_import')})""")
        run(w, f"INSERT INTO target.assignments SELECT unit_id, program, lab_type, start_year, ? FROM rcmp "
               f"WHERE old_import IS NULL OR ({differ})", [import_id])
    else:
        run(w, "INSERT INTO target.assignments SELECT unit_id, program, lab_type, start_year, ? FROM rcmp "
               "WHERE old_import IS NULL", [import_id])
    s["assignments_loaded"] = scalar(w, "SELECT count(*) FROM target.assignments WHERE import_id = ?", [import_id])


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):
        return value.item()
    return value
