"""Exports of LabLens' own field forms (ODK Central, KoboToolbox) imported with no configuration.

``analysis.forms.odk`` recognises the form and its version by the export's own fields, drops enumerator
columns, keeps one record per submission and pseudonymises the student codes with this database's key;
what it returns for the student questionnaire is a canonical student file, which is staged here like any
other (values validated, rejects reported). Exports of the lab log, training and governance forms go to their
own tables (``analysis.importer.records``).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import duckdb

from analysis.forms.definitions import FORMS
from analysis.forms.odk import FormExportError, ParsedExport, parse_export, recognise_tables
from analysis.forms.tables import ExportReadError, peek_tables
from analysis.importer.errors import ImportFailed
from analysis.importer.layouts import Layout, recognise_canonical
from analysis.importer.readers import SourceTable, materialise_raw, read_into
from analysis.keys import key_for_import
from analysis.privacy import KeyError_

__all__ = ["is_form_export", "records_form_of", "stage_form_export"]


# what only a collection server's export carries: the form's hidden fields or the server's metadata columns;
# a canonical student file of the user's own has the forms' field names but none of these
SERVER_MARKERS = frozenset({"lablens_form", "lablens_version", "instanceid", "key", "submissiondate", "_uuid",
                            "_submission_time", "__version__"})


def is_form_export(path: str | Path) -> bool:
    """True when the file is an export of one of LabLens' forms from ODK Central or KoboToolbox (its first
    rows only are read): the forms' fields and a server's or the form's own markers."""
    try:
        tables = peek_tables(path)  # once: the start of every file an import reads passes through here
    except ExportReadError:
        return False
    if recognise_tables(tables) is None:
        return False
    return _has_markers(tables)


def records_form_of(path: str | Path) -> str | None:
    """The form id when the file is an export of a per-school records form (lab log, training, governance)."""
    try:
        tables = peek_tables(path)
    except ExportReadError:
        return None
    form_id = recognise_tables(tables)
    if form_id is None or FORMS[form_id].kind != "records":
        return None
    return form_id if _has_markers(tables) else None


def _has_markers(tables) -> bool:
    return any(re.split(r"[/-]", str(h).strip())[-1].lower() in SERVER_MARKERS
               for table in tables for h in table.headers)


def stage_form_export(con: duckdb.DuckDBPyConnection, path: str | Path, name: str,
                      db_path: str | Path | None) -> tuple[ParsedExport, SourceTable, Layout]:
    """Read a form export into ``con`` as a canonical student file whose student IDs are already pseudonyms."""
    try:
        parsed = parse_export(path, key_for_import(db_path))
        data = parsed.canonical_parquet()
    except (FormExportError, KeyError_) as exc:
        con.close()
        raise ImportFailed(f"{name}: {exc}") from exc
    with tempfile.TemporaryDirectory() as folder:
        canonical = Path(folder) / "students.parquet"
        canonical.write_bytes(data)
        source = read_into(con, canonical, name)
        materialise_raw(con)  # a Parquet file is read through a view; this one is gone when the folder is
    layout = recognise_canonical(source.headers)
    if layout is None:
        con.close()
        raise ImportFailed(f"{name}: the form export could not be read as a student file")
    layout.student_prehashed = True
    layout.notes.extend(parsed.notices)
    return parsed, source, layout
