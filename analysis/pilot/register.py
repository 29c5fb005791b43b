"""Registering a random assignment: its roster and its record stored as ONE import.

The roster (programme / comparison, lab type, start year, and the `stratum` each school was drawn in) goes
through the importer like any roster file, and the assignment record (seed, frame sha256, options, strata,
LabLens version) travels in that import's summary. So `rollback` undoes a registration completely (and is
audited), and the public view ``pilot_assignments`` (docs/DESIGN.md, "Public database schema") lists every
registration with its status. A second active registration for the same programme is refused: an
assignment once registered is never silently replaced (roll it back first, which the audit log records).
Registering is an admin action: ``role`` is checked here, where it runs, and the registration is audited.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import duckdb

from analysis import audit
from analysis.db.connect import StoreError, open_db
from analysis.importer.errors import ImportFailed
from analysis.importer.staging import stage
from analysis.importer.writing import commit
from analysis.pilot.assign import Assignment

SUMMARY_KEY = "pilot_assignment"  # the record's key in the import summary (imports.summary_json)


class RegistrationRefused(ValueError):
    """A registration the rules forbid (not an admin, or an active one for the same programme)."""


def active(db_path: str | Path, program: str | None = None) -> list[dict]:
    """Active registrations (newest first), optionally of one programme: assignment_id, program, record."""
    try:
        con = open_db(db_path)
    except StoreError:
        return []
    try:
        rows = con.execute("""SELECT assignment_id, program, record_json FROM pilot_assignments
            WHERE status = 'active' AND (? IS NULL OR program = ?) ORDER BY assignment_id DESC""",
                           [program, program]).fetchall()
    except duckdb.CatalogException:  # a database made before registrations existed: none registered
        rows = []
    finally:
        con.close()
    return [{"assignment_id": int(i), "program": p, "record": json.loads(r)} for i, p, r in rows]


def record_of(db_path: str | Path, assignment_id: int) -> dict:
    """The record of registration ``assignment_id`` (with its status); ValueError when there is none."""
    con = open_db(db_path)
    try:
        row = con.execute("SELECT record_json, status FROM pilot_assignments WHERE assignment_id = ?",
                          [int(assignment_id)]).fetchone()
    except duckdb.CatalogException:
        row = None
    finally:
        con.close()
    if row is None:
        raise ValueError(f"--assignment {assignment_id}: no registered assignment with that id "
                         "(python -m analysis imports lists them)")
    record = json.loads(row[0])
    return {**record, "assignment_id": int(assignment_id), "status": row[1]}


def register(db_path: str | Path, result: Assignment, *, role: str = "admin", actor: str | None = None) -> dict:
    """Store ``result``'s roster and record as one import; returns the import summary (``import_id`` is the
    assignment id). Raises RegistrationRefused for a non-admin or an active registration of the programme."""
    program = result.record["options"]["program"]
    if role != "admin":
        audit.record(db_path, "denied", actor, what="register assignment", program=program)
        raise RegistrationRefused("registering an assignment is an admin action")
    existing = active(db_path, program)
    if existing:
        raise RegistrationRefused(
            f"programme '{program}' already has an active registered assignment (id {existing[0]['assignment_id']},"
            f" seed {existing[0]['record'].get('seed')}); roll it back first (python -m analysis rollback "
            f"{existing[0]['assignment_id']}), which the audit log records")
    name = f"assignment-{program}-seed{result.record['seed']}.csv"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(result.roster_csv())
        staged = stage(path, db_path=db_path)
        try:
            if staged.layout.target != "roster":
                raise ImportFailed("the assignment's roster was not recognised as a roster")
            staged.summary[SUMMARY_KEY] = result.record
            summary = commit(staged, db_path, "abort", actor)
        finally:
            staged.con.close()
    if summary.get("status") != "active":
        raise RegistrationRefused(f"this exact assignment is already import {summary.get('import_id')}")
    audit.record(db_path, "register", actor, import_id=summary["import_id"], program=program,
                 seed=result.record["seed"], frame_sha256=result.record.get("frame_sha256"),
                 roster_sha256=result.record.get("roster_sha256"))
    return summary
