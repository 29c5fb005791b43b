"""Read what comes back from the field: ODK Central and KoboToolbox exports of the kit's forms.

Header conventions (checked against each server's own code and tests):

- **ODK Central** (central-backend ``lib/data/briefcase.js`` and its tests): the main CSV is
  ``SubmissionDate``, the form's fields in form order with group paths joined by ``-`` (``grp-name``,
  ``meta-instanceID``), then ``KEY, SubmitterID, SubmitterName, AttachmentsPresent, AttachmentsExpected,
  Status, ReviewState, DeviceID, Edits, FormVersion``. Each repeat group is another CSV,
  ``<formId>-<group>-<repeat>.csv``, whose fields are followed by ``PARENT_KEY`` (the submission's KEY) and
  ``KEY`` (``<instanceID>/<group>/<repeat>[n]``).
- **KoboToolbox** (formpack / KPI exports, "XML values and headers"): fields with group paths joined by
  ``/`` (``grp/name``), then ``_id, _uuid, _submission_time, _validation_status, _notes, _status,
  _submitted_by, __version__, _tags, _index``; repeat groups are other sheets with their fields then
  ``_index, _parent_table_name, _parent_index, _submission__id, _submission__uuid, ...``. Exports with
  label headers (Spanish or English) are read through the form's labels.

The form (and its version) is recognised by its own fields, never by the file name: the hidden fields
``lablens_form`` and ``lablens_version`` first, else the set of field names; a version LabLens does not
know is an error naming the versions found and known. One submission is one instance ID
(``meta-instanceID``/``KEY``/``_uuid``, with or without the ``uuid:`` prefix): seen twice, it is kept
once. Enumerator names and IDs are dropped with a notice; student and teacher codes leave as keyed
pseudonyms (:func:`analysis.privacy.pseudonym`). Text is data: it is never evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.forms.definitions import FORMS, FormDef, leaves
from analysis.forms.frames import META_FIELDS, Submission, fold, records_frame, students_frame
from analysis.forms.tables import ExportReadError, Table, peek_tables, read_tables
from analysis.privacy import is_personal_column
from analysis.safe_export import parquet_bytes

#: columns that name or identify the enumerator or the device (folded to lower case): dropped, with a notice
ENUMERATOR_COLUMNS = frozenset({"submitterid", "submittername", "deviceid", "_submitted_by", "username",
                                "_submission__submitted_by", "phonenumber", "simserial", "subscriberid", "email"})
#: server metadata understood or deliberately ignored (lower case)
SERVER_COLUMNS = frozenset({
    "submissiondate", "key", "parent_key", "attachmentspresent", "attachmentsexpected", "status", "reviewstate",
    "edits", "formversion", "instanceid", "instancename", "rootuuid", "deprecatedid", "_id", "_uuid",
    "_submission_time", "_validation_status", "_notes", "_status", "__version__", "_version_", "_tags", "_index",
    "_parent_table_name", "_parent_index", "_submission__id", "_submission__uuid", "_submission__submission_time",
    "_submission__validation_status", "_submission__notes", "_submission__status", "_submission___version__",
    "_submission__tags", "_submission_meta/rootuuid", "_xform_id_string", "_attachments", "_geolocation",
    "formhub/uuid", "_duration", "_edited"})


class FormExportError(ValueError):
    """An export that cannot be read as one of the kit's forms, with a one-line reason."""


class UnknownFormVersion(FormExportError):
    """The export holds a version of a form that this LabLens does not know; nothing is guessed."""

    def __init__(self, form_id: str, found: list[str], known: Sequence[str]):
        self.form_id, self.found, self.known = form_id, found, list(known)
        super().__init__(f"form {form_id}: version(s) {', '.join(found)} unknown to this LabLens "
                         f"(known: {', '.join(self.known)}); update LabLens or collect with the current kit")


@dataclass
class ParsedExport:
    """One form's submissions, tidy and pseudonymised, with what the importer reports."""

    form_id: str
    form_version: str
    kind: str  # "students" | "records"
    server: str  # "odk_central" | "kobotoolbox" | "unknown"
    frame: pd.DataFrame  # canonical student rows, or per-school dated records
    rows_read: int  # submission rows read (duplicates included)
    rows_loaded: int  # submissions kept
    duplicates_skipped: int
    sources: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    dropped_columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    free_text: list[str] = field(default_factory=list)
    rejects: list[dict] = field(default_factory=list)  # row, column, raw_value, reason (records only)
    origins: dict[str, tuple[str, int]] = field(default_factory=dict)  # submission -> (table, row) it was read at

    def canonical_parquet(self) -> bytes:
        """The student rows as a Parquet file of text columns: what the importer reads as a canonical file."""
        if self.kind != "students":
            raise FormExportError(f"{self.form_id} holds per-school records, not student rows")
        return parquet_bytes(self.frame.astype("string"))

    def summary(self) -> dict:
        """What `import --json` reports for this export (no values, so no code or name can leak)."""
        return {"recognized_as": self.form_id, "form_version": self.form_version, "server": self.server,
                "rows_read": self.rows_read, "rows_loaded": self.rows_loaded,
                "duplicates_skipped": self.duplicates_skipped, "records": len(self.frame),
                "values_rejected": len(self.rejects), "dropped_columns": self.dropped_columns,
                "ignored_columns": self.ignored_columns, "notes": self.notices}


# --- headers ------------------------------------------------------------------------------------------

def _last(header: str) -> str:
    """'identification-student_id' (Central) or 'identification/student_id' (Kobo) -> 'student_id'."""
    return re.split(r"[/-]", header.strip())[-1]


def _label_index(form: FormDef) -> dict[str, str]:
    """Folded Spanish and English labels -> field name, for exports with label headers."""
    index: dict[str, str] = {}
    for leaf in leaves(form):
        for label in (leaf.field.label_es, leaf.field.label_en):
            if label:
                index.setdefault(fold(label), leaf.field.name)
    return index


def _column_map(headers: Sequence[str], form: FormDef) -> dict[int, str]:
    """Column index -> field name of ``form`` (names first, then labels, with or without group paths)."""
    names = {leaf.field.name for leaf in leaves(form)}
    labels = _label_index(form)
    out: dict[int, str] = {}
    for i, header in enumerate(headers):
        name = _last(header)
        if name not in names:
            name = labels.get(fold(header)) or labels.get(fold(header.rsplit("/", 1)[-1]))
        if name and name not in out.values():
            out[i] = name
    return out


def _server_column(headers: Sequence[str], *names: str) -> int | None:
    lower = [h.strip().lower() for h in headers]
    for name in names:
        if name.lower() in lower:
            return lower.index(name.lower())
    return None


def _is_repeat_table(table: Table) -> bool:
    return _server_column(table.headers, "PARENT_KEY", "_parent_index", "_submission__uuid") is not None


def identify(table: Table) -> FormDef | None:
    """The kit form a main table holds, from its own fields: ``lablens_form``, else the field names."""
    col = next((i for i, h in enumerate(table.headers) if _last(h) == "lablens_form"), None)
    if col is not None:
        ids = {r[col].strip() for r in table.rows if r[col] and r[col].strip()}
        if len(ids) > 1:
            raise FormExportError(f"{table.source}: rows of several forms in one table ({', '.join(sorted(ids))})")
        if ids:
            form_id = ids.pop()
            if form_id not in FORMS:
                raise FormExportError(f"{table.source}: form '{form_id}' is not one of LabLens' forms "
                                      f"({', '.join(FORMS)})")
            return FORMS[form_id]
    best, best_share = None, 0.0
    for form in FORMS.values():
        wanted = {leaf.field.name for leaf in leaves(form)
                  if leaf.repeat is None and leaf.field.name not in META_FIELDS}
        share = len(wanted & set(_column_map(table.headers, form).values())) / len(wanted)
        if share > best_share:
            best, best_share = form, share
    return best if best_share >= 0.8 else None


def recognise_path(path: str | Path) -> str | None:
    """The form id of an export file, or None when it is not a kit export.

    Cheap enough to ask of every file the importer sees: only headers and a few rows are read
    (:func:`analysis.forms.tables.peek_tables`), Parquet and JSON not at all.
    """
    try:
        tables = peek_tables(path)
    except ExportReadError:
        return None
    return recognise_tables(tables)


def recognise_tables(tables: Sequence[Table]) -> str | None:
    """The form id of an export's tables (headers and first rows are enough), or None."""
    for table in tables:
        if not _is_repeat_table(table):
            try:
                form = identify(table)
            except FormExportError:
                return None
            if form is not None:
                return form.form_id
    return None


# --- values -------------------------------------------------------------------------------------------

def instance_id(value: str | None) -> str | None:
    """'uuid:ab-12' and 'ab-12' are one submission (Central keeps the prefix, Kobo's _uuid drops it)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    return text[5:] if text.lower().startswith("uuid:") else text


# --- parsing ------------------------------------------------------------------------------------------

def _file(table: Table) -> str:
    return table.source.split(" › ")[0]


def _server(tables: Iterable[Table]) -> str:
    headers = {h.strip().lower() for t in tables for h in t.headers}
    if {"key", "submissiondate"} & headers:
        return "odk_central"
    if {"_uuid", "_index", "_submission_time"} & headers:
        return "kobotoolbox"
    return "unknown"


class _Collector:
    """Reads the main and repeat tables of one form: dedupes, links repeats, notes dropped columns."""

    def __init__(self, form: FormDef):
        self.form = form
        self.subs: dict[str, Submission] = {}
        self.refs: dict[tuple[str, str], str] = {}  # (file, Kobo _index) -> kept submission
        self.dup_refs: set[tuple[str, str]] = set()
        self.rows_read = self.duplicates = self.differing = self.no_id = 0
        self.repeat_duplicates = self.orphans = 0
        self.dropped: dict[str, None] = {}
        self.ignored: dict[str, None] = {}
        self.personal: dict[str, None] = {}

    def _sort_columns(self, headers: Sequence[str], used: set[int]) -> None:
        for i, h in enumerate(headers):
            low = h.strip().lower()
            if i in used or not h.strip():
                continue
            if low in ENUMERATOR_COLUMNS or _last(low) in ENUMERATOR_COLUMNS:
                self.dropped[h] = None
            elif is_personal_column(h) or is_personal_column(_last(h)):
                self.personal[h] = None
            elif low not in SERVER_COLUMNS and _last(low) not in SERVER_COLUMNS:
                self.ignored[h] = None

    def add_main(self, table: Table) -> None:
        cmap = _column_map(table.headers, self.form)
        h = table.headers
        # Central's KEY and Kobo's meta/rootUuid stay the same when a submission is edited; the others change
        id_cols = [i for i in (_server_column(h, name) for name in ("KEY", "meta/rootUuid", "_uuid", "meta-instanceID",
                                                                    "meta/instanceID", "instanceID")) if i is not None]
        idx_col = _server_column(h, "_index")
        at_col = _server_column(h, "SubmissionDate", "_submission_time")
        ver_col = _server_column(h, "FormVersion")
        self._sort_columns(h, set(cmap))
        for n, row in enumerate(table.rows, start=1):
            self.rows_read += 1
            values = {name: row[i] for i, name in cmap.items()}
            iid = next((v for v in (instance_id(row[i]) for i in id_cols) if v), None)
            ref = (_file(table), row[idx_col]) if idx_col is not None and row[idx_col] else None
            if iid is not None and iid in self.subs:
                self.duplicates += 1
                self.differing += self.subs[iid].values != values
                if ref:
                    self.dup_refs.add(ref)
                continue
            if iid is None:
                self.no_id += 1
            key = iid or f"{table.source}#{n}"
            version = values.get("lablens_version") or (row[ver_col] if ver_col is not None else None)
            self.subs[key] = Submission(key, values, table.source, n, row[at_col] if at_col is not None else None,
                                         version.strip() if version else None)
            if ref:
                self.refs[ref] = key

    def add_repeat(self, table: Table) -> None:
        cmap = _column_map(table.headers, self.form)
        h = table.headers
        parent_key, own_key = _server_column(h, "PARENT_KEY"), _server_column(h, "KEY")
        parent_index, sub_uuid = _server_column(h, "_parent_index"), _server_column(h, "_submission__uuid")
        self._sort_columns(h, set(cmap))
        seen: set[str] = set()
        for n, row in enumerate(table.rows, start=1):
            if own_key is not None and row[own_key]:
                if row[own_key] in seen:
                    self.repeat_duplicates += 1
                    continue
                seen.add(row[own_key])
            target = None
            if parent_key is not None and row[parent_key]:
                target = instance_id(row[parent_key].split("/")[0])
            elif parent_index is not None and row[parent_index]:
                ref = (_file(table), row[parent_index])
                if ref in self.dup_refs:
                    self.repeat_duplicates += 1
                    continue
                target = self.refs.get(ref)
            if target is None and sub_uuid is not None:
                target = instance_id(row[sub_uuid])
            if target not in self.subs:
                self.orphans += 1
                continue
            self.subs[target].children.append(({name: row[i] for i, name in cmap.items()}, table.source, n))

    def check_versions(self) -> list[str]:
        found = sorted({s.version or "(none)" for s in self.subs.values()})
        unknown = [v for v in found if v not in self.form.versions]
        if unknown:
            raise UnknownFormVersion(self.form.form_id, unknown, self.form.versions)
        return found

    def notices(self) -> list[str]:
        out = []
        if self.dropped:
            out.append("enumerator names and IDs dropped: " + ", ".join(self.dropped))
        if self.personal:
            out.append("columns naming or contacting people dropped: " + ", ".join(self.personal))
        if self.duplicates:
            out.append(f"{self.duplicates} submission(s) received more than once (same instance ID) kept once"
                       + (f"; {self.differing} copy(ies) differ and the first was kept" if self.differing else ""))
        if self.repeat_duplicates:
            out.append(f"{self.repeat_duplicates} repeat row(s) of submissions already read skipped")
        if self.orphans:
            out.append(f"{self.orphans} repeat row(s) whose submission is not in the export ignored")
        if self.no_id:
            out.append(f"{self.no_id} submission(s) without an instance ID: they cannot be checked for duplicates")
        if self.ignored:
            out.append(f"columns that are not fields of {self.form.form_id} ignored: " + ", ".join(self.ignored))
        return out


def parse_exports(paths: Sequence[str | Path], key: bytes) -> list[ParsedExport]:
    """Every kit form found in ``paths`` (files of one export belong together: a main CSV and its repeat CSVs).

    ``key`` is the pseudonymisation key (the importer passes ``analysis.keys.key_for_import(db_path)``).
    Raises :class:`FormExportError` (or :class:`UnknownFormVersion`) with a one-line reason.
    """
    try:
        tables = [t for p in paths for t in read_tables(p)]
    except ExportReadError as exc:
        raise FormExportError(str(exc)) from exc
    mains: dict[str, list[Table]] = {}
    repeat_tables = [t for t in tables if _is_repeat_table(t)]
    repeat_ids = {id(t) for t in repeat_tables}  # identity: two files may hold equal tables
    for table in tables:
        if id(table) in repeat_ids:
            continue
        form = identify(table)
        if form is None:
            raise FormExportError(f"{table.source}: not an export of LabLens' field forms")
        mains.setdefault(form.form_id, []).append(table)
    if not mains:
        raise FormExportError("no submissions table found (only repeat groups)")
    results = []
    for form_id, main_tables in mains.items():
        form = FORMS[form_id]
        c = _Collector(form)
        for table in main_tables:
            c.add_main(table)
        found = c.check_versions()
        inner = {leaf.field.name for leaf in leaves(form) if leaf.repeat is not None}
        own_repeats = [t for t in repeat_tables if inner and set(_column_map(t.headers, form).values()) & inner]
        for table in own_repeats:
            c.add_repeat(table)
        rejects: list[dict] = []
        subs = list(c.subs.values())
        frame = (students_frame(form, subs, key) if form.kind == "students"
                 else records_frame(form, subs, key, rejects))
        results.append(ParsedExport(
            form_id, found[-1], form.kind, _server(main_tables + own_repeats), frame, c.rows_read, len(c.subs),
            c.duplicates, [t.source for t in main_tables + own_repeats], c.notices(),
            [*c.dropped, *c.personal], list(c.ignored), list(form.free_text), rejects,
            {sub.key: (sub.source, sub.row) for sub in subs}))
    claimed = {source for r in results for source in r.sources}
    for table in repeat_tables:
        if table.source not in claimed:
            results[0].notices.append(f"{table.source}: a repeat group of no form read here; ignored")
    return results


def parse_export(paths: str | Path | Sequence[str | Path], key: bytes) -> ParsedExport:
    """One form's export (one file, or a main CSV with its repeat CSVs); several forms are an error."""
    results = parse_exports([paths] if isinstance(paths, str | Path) else list(paths), key)
    if len(results) != 1:
        raise FormExportError("these files hold several forms (" + ", ".join(r.form_id for r in results)
                              + "); import them one form at a time")
    return results[0]
