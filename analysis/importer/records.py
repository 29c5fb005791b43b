"""Import of the kit's per-school records — lab log, teacher training record, governance checklist — from ODK
Central and KoboToolbox exports, into ``lab_log``, ``teacher_training`` and ``governance_check``
(DESIGN.md, "Implementation records").

``analysis.forms.odk`` reads the export as it is (recognises the form and its version by its own fields,
keeps one record per instance ID, drops enumerator columns, pseudonymises teacher codes with this
database's key). Here each record gets its school (`normalise_unit`, the school added to ``units`` when it
is new, like a student file does), a record whose school or date is missing or invalid is rejected whole,
a value that does not fit its field is rejected alone (the rest of the record loads, the value NULL), and
a submission already in the database is skipped: re-importing a fuller export of the same form adds only
what is new. Everything lands in one snapshot or nothing does (``writable_snapshot``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from analysis import audit
from analysis.catalog import unit_id
from analysis.db.sql import run, scalar
from analysis.forms.definitions import CO_SCHOOL_REGEX, FORMS, GT_SCHOOL_REGEX, leaves
from analysis.forms.odk import FormExportError, ParsedExport, parse_export
from analysis.importer import normalise as nz
from analysis.importer.errors import AlreadyImported, ImportFailed, file_sha256
from analysis.importer.writing import _check_key
from analysis.keys import key_for_import
from analysis.precompute.publish import writable_snapshot
from analysis.privacy import KeyError_, key_fingerprint

__all__ = ["RECORD_TABLES", "StagedRecords", "commit_records", "import_records", "stage_records"]

#: form id -> (table, its date column, the columns of the table after the bookkeeping ones)
RECORD_TABLES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "lablens_lab_log": ("lab_log", "visit_date", (
        "period", "lab_installed", "installed_on", "lab_type", "operating", "sessions_held", "hours_of_use",
        "students_attending", "equipment_status", "connectivity", "comments")),
    "lablens_training": ("teacher_training", "training_date", ("module", "teacher_key", "hours", "completed")),
    "lablens_governance": ("governance_check", "checklist_date", (
        "committee_in_place", "committee_members", "meetings_held", "families_take_part", "community_takes_part",
        "territorial_articulation", "comments")),
}
#: the form's own school-code patterns (a record names a school, never a municipality or department)
SCHOOL_PATTERNS = {"GT": GT_SCHOOL_REGEX, "CO": CO_SCHOOL_REGEX}
SCHOOL_SHAPES = {"GT": "DD-MM-NNNN-NN", "CO": "NNNNNNNNNNNN"}
UNIT_COLUMNS = ("unit_id", "country", "unit_type", "code", "name", "parent_id", "department", "municipality",
                "authority", "zone")


class _NothingNew(Exception):
    """Every submission of the export is already in the database: no import is recorded."""


def _units(frame: pd.DataFrame, origins: dict, rejects: list[dict]) -> tuple[list, pd.DataFrame]:
    """Each record's unit_id (None when the record is rejected) and the ``units`` rows of its schools."""
    ids, rows = [], {}
    for rec in frame[["submission_id", "country", "unit_code", "date"]].itertuples(index=False):
        code, country, _kind, problem = nz.normalise_unit(rec.unit_code, rec.country, "school")
        column, raw = "school_code", rec.unit_code
        pattern = SCHOOL_PATTERNS.get(country or "")
        if problem is None and pattern and not re.fullmatch(pattern, code):
            problem = f"'{rec.unit_code}' is not a school code of {country} ({SCHOOL_SHAPES[country]})"
        if problem is None and rec.date is None:
            problem, column, raw = "no valid date", "date", None
        if problem is not None:
            source, row = origins.get(rec.submission_id, (None, None))
            reject = {"source": source, "row": row, "column": column, "raw_value": raw,
                      "reason": f"record not loaded: {problem}"}
            if reject not in rejects:  # a training session's teachers share the session's school
                rejects.append(reject)
            ids.append(None)
            continue
        ids.append(unit_id(country, code))
        for r in nz.unit_rows(code, country, "school"):
            rows.setdefault(r["unit_id"], r)
    return ids, pd.DataFrame(list(rows.values()), columns=list(UNIT_COLUMNS))


def _rejects_frame(rejects: pd.DataFrame) -> pd.DataFrame:
    """The rejects as the ``rejects`` table holds them (row_number, column_name, raw_value, reason)."""
    return pd.DataFrame({"row_number": rejects["row"], "column_name": rejects["column"],
                         "raw_value": rejects["raw_value"], "reason": rejects["reason"]}).astype(
        {"row_number": "Int64", "column_name": "string", "raw_value": "string", "reason": "string"})


_CONDITION = re.compile(r"\$\{(\w+)\}\s*=\s*'(\w+)'")


def _relevant(frame: pd.DataFrame, form_id: str) -> pd.DataFrame:
    """Answers to questions the form did not ask (their ``relevant`` is false) become NULL, as on the phone:
    a lab not installed has no type, a lab not operating no hours. Conditions are the kit's own
    ``${field} = 'choice'`` joined by ``and``; a yes/no field holds True/False."""
    out = frame.copy()
    for leaf in leaves(FORMS[form_id]):
        name = leaf.field.name
        if not leaf.field.relevant or name not in out.columns:
            continue
        asked = pd.Series(True, index=out.index)
        for field_name, choice in _CONDITION.findall(leaf.field.relevant):
            if field_name not in out.columns:
                continue
            want = {"yes": True, "no": False}.get(choice, choice)
            asked &= out[field_name].map(lambda v, w=want: v is not None and v == w)
        out[name] = out[name].where(asked, None)
    return out


def _prepare(parsed: ParsedExport, rejects: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """(the table's rows, the units they name, records rejected whole)."""
    table, date_col, columns = RECORD_TABLES[parsed.form_id]
    frame = _relevant(parsed.frame, parsed.form_id)
    training = table == "teacher_training"
    if training:
        frame["entry"] = frame.groupby("submission_id", sort=False).cumcount() + 1
    ids, units = _units(frame, parsed.origins, rejects)
    frame["unit_id"] = ids
    rejected = frame.loc[frame["unit_id"].isna(), "submission_id"].nunique()
    kept = frame[frame["unit_id"].notna()].rename(columns={"date": date_col})
    out = kept[["form_id", "form_version", "submission_id", *(["entry"] if training else []), "submitted_at",
                "unit_id", date_col, *columns]].copy()
    out["submitted_at"] = pd.to_datetime(out["submitted_at"], errors="coerce", utc=True, format="mixed"
                                         ).dt.tz_localize(None)
    for col in (date_col, *(c for c in columns if c == "installed_on")):
        out[col] = pd.to_datetime(out[col], errors="coerce", format="%Y-%m-%d").dt.date
    return out.reset_index(drop=True), units, int(rejected)


@dataclass
class StagedRecords:
    """A records export read and checked in memory, not yet written (the Datos page previews it)."""

    name: str
    sha256: str
    table: str
    records: pd.DataFrame  # the table's rows, without import_id
    units: pd.DataFrame  # the schools (and places) they name
    rejects: pd.DataFrame  # row_number, column_name, raw_value, reason
    summary: dict
    fingerprint: str
    origins: dict = field(default_factory=dict)  # submission -> (table, row), to drop rejects of known ones


def stage_records(path: str | Path, db_path: str | Path | None, name: str | None = None) -> StagedRecords:
    """Read and check one export of a per-school records form; nothing is written."""
    path = Path(path)
    name = name or path.name
    try:
        key = key_for_import(db_path)
        parsed = parse_export(path, key)
    except (FormExportError, KeyError_) as exc:
        raise ImportFailed(f"{name}: {exc}") from exc
    if parsed.form_id not in RECORD_TABLES:
        raise ImportFailed(f"{name}: {parsed.form_id} is not a per-school records form")
    table = RECORD_TABLES[parsed.form_id][0]
    rejects = [dict(r) for r in parsed.rejects]
    values_rejected = len(rejects)
    out, units, rows_rejected = _prepare(parsed, rejects)
    server = {"odk_central": "ODK Central", "kobotoolbox": "KoboToolbox"}.get(parsed.server, parsed.server)
    summary = {"source_name": name, **parsed.summary(), "layout": f"{server} export of {parsed.form_id}",
               "target": table, "rows_rejected": rows_rejected, "values_rejected": values_rejected,
               "units_in_file": int(out["unit_id"].nunique())}
    frame = pd.DataFrame(rejects, columns=["source", "row", "column", "raw_value", "reason"])
    if table == "teacher_training" and out["teacher_key"].isna().all():
        raise ImportFailed(f"{name}: the teachers of a training session are in its repeat group 'participants', "
                           "which this file does not hold: import ODK Central's .zip, or KoboToolbox's XLS with its "
                           "'participants' sheet")
    if out.empty:
        raise ImportFailed(f"{name}: nothing to load, every record was rejected ({rows_rejected}; "
                           "--rejects-out FILE writes them); the database is unchanged",
                           rejects=_rejects_frame(frame))
    return StagedRecords(name, file_sha256(path), table, out, units, frame, summary, key_fingerprint(key),
                         parsed.origins)


def import_records(path: str | Path, db_path: str | Path, actor: str | None = None, name: str | None = None) -> dict:
    """Import one export of a per-school records form; the summary is what ``import --json`` prints."""
    return commit_records(stage_records(path, db_path, name), db_path, actor)


def commit_records(staged: StagedRecords, db_path: str | Path, actor: str | None = None) -> dict:
    """Write the new records (submissions not yet in the database) in one snapshot, or nothing."""
    s, table, name = dict(staged.summary), staged.table, staged.name
    keys = ["submission_id", *(["entry"] if table == "teacher_training" else [])]
    try:
        with writable_snapshot(db_path) as w:
            previous = scalar(w, "SELECT import_id FROM target.imports WHERE sha256 = ? AND status = 'active'",
                              [staged.sha256])
            if previous is not None:
                raise AlreadyImported(previous)
            _check_key(w, staged.fingerprint)
            import_id = scalar(w, "SELECT coalesce(max(import_id), 0) + 1 FROM target.imports")
            out = staged.records
            new = _new_records(w, out, table, keys)
            known = set(out["submission_id"]) - set(new["submission_id"])
            s.update(import_id=import_id, rows_loaded=int(new["submission_id"].nunique()), records_loaded=len(new),
                     already_in_database=len(known), duplicates_skipped=int(s["duplicates_skipped"] + len(known)))
            if known:
                s["notes"] = [*s["notes"], f"{len(known)} submission(s) already in the database skipped"]
            if new.empty:
                raise _NothingNew()
            s["units_added"] = _write_new_units(w, staged.units[staged.units["unit_id"].isin(
                _with_parents(staged.units, new))], import_id)
            new.insert(0, "import_id", import_id)
            w.register("_new", new)
            run(w, f"INSERT INTO target.{table} BY NAME SELECT * FROM _new")
            w.unregister("_new")
            skip = {staged.origins[k] for k in known if k in staged.origins}
            rejects = staged.rejects[[(src, row) not in skip for src, row in
                                      zip(staged.rejects["source"], staged.rejects["row"], strict=True)]]
            s["values_rejected"] = max(0, len(rejects) - s["rows_rejected"])
            if len(rejects):
                w.register("_rej", _rejects_frame(rejects))
                run(w, "INSERT INTO target.rejects SELECT ?, row_number, column_name, raw_value, reason FROM _rej",
                    [import_id])
                w.unregister("_rej")
            s["status"] = "active"
            run(w, "INSERT INTO target.imports VALUES (?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, 'active', ?)",
                [import_id, name, staged.sha256, s["recognized_as"], s["rows_read"], s["rows_loaded"],
                 s["rows_rejected"], json.dumps(s, ensure_ascii=False, default=str)])
    except AlreadyImported as done:
        s.update(status="already_imported", import_id=done.import_id, rows_loaded=0)
        s["notes"] = [*s["notes"], f"this exact file (same sha256) is import {done.import_id}; nothing changed"]
        return s
    except _NothingNew:
        s.update(status="nothing_new", import_id=None, rows_loaded=0)
        return s
    audit.record(db_path, "import", actor, import_id=s["import_id"], source_name=name, sha256=staged.sha256,
                 rows_loaded=s["rows_loaded"])
    return s


def _new_records(w: duckdb.DuckDBPyConnection, out: pd.DataFrame, table: str, keys: list[str]) -> pd.DataFrame:
    """The records whose submission (and entry) the table does not hold yet."""
    w.register("_records", out)
    join = " AND ".join(f"t.{k} = r.{k}" for k in keys)
    try:
        return w.execute(f"SELECT r.* FROM _records r WHERE NOT EXISTS (SELECT 1 FROM target.{table} t "
                         f"WHERE t.form_id = r.form_id AND {join})").df()
    finally:
        w.unregister("_records")


def _with_parents(units: pd.DataFrame, new: pd.DataFrame) -> set[str]:
    """The schools of the new records and their municipalities and departments."""
    wanted = set(new["unit_id"])
    parent = dict(zip(units["unit_id"], units["parent_id"], strict=True))
    for uid in list(wanted):
        while (uid := parent.get(uid)) is not None and not pd.isna(uid):
            wanted.add(uid)
    return wanted


def _write_new_units(w: duckdb.DuckDBPyConnection, units: pd.DataFrame, import_id: int) -> int:
    """Add the schools (and places) the database does not know yet; known units are left as they are."""
    if units.empty:
        return 0
    w.register("_units", units.astype("string"))
    try:
        run(w, f"""INSERT INTO target.units SELECT {', '.join(UNIT_COLUMNS)}, NULL, NULL, ? FROM _units u
            WHERE NOT EXISTS (SELECT 1 FROM target.units t WHERE t.unit_id = u.unit_id)""", [import_id])
    finally:
        w.unregister("_units")
    return int(scalar(w, "SELECT count(*) FROM target.units WHERE import_id = ?", [import_id]))
