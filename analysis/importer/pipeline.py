"""The import pipeline: read -> recognise -> stage and validate (in memory) -> commit a snapshot.

Staging (``staging``) happens in a private in-memory DuckDB, so a preview touches nothing. Commit
(``writing``) copies the published database, writes everything in one transaction, checkpoints,
verifies and publishes it atomically (`store.writable_snapshot`): an import lands whole or not at all.
History and undo are in ``history``; boundary files take their own path (``boundaries``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pandas as pd

from analysis.catalog import INDICATOR_BY_CODE
from analysis.db.connect import StoreError, open_db
from analysis.db.sql import run
from analysis.importer.boundaries import import_boundaries, is_boundary_file
from analysis.importer.errors import ImportFailed
from analysis.importer.form_exports import records_form_of
from analysis.importer.layouts import Layout
from analysis.importer.mapping import (
    MappingError,
    indicator_definitions,
    layout_from_mapping,
    load_mapping,
    reader_options,
)
from analysis.importer.readers import ReadError, SourceTable, read_into
from analysis.importer.records import import_records
from analysis.importer.staging import Staged, stage
from analysis.importer.writing import commit


def import_file(path: str | Path, db_path: str | Path, mapping: str | Path | dict | None = None,
                on_conflict: str = "abort", layout: Layout | None = None, actor: str | None = None,
                current_year: int | None = None) -> dict:
    """Stage and commit one file; the summary dict is what the CLI prints. A year after ``current_year`` (default:
    the clock's) is rejected."""
    if mapping is None and layout is None and is_boundary_file(path):
        return import_boundaries(path, db_path, actor=actor)
    if mapping is None and layout is None and records_form_of(path):  # lab log, training, governance exports
        return import_records(path, db_path, actor=actor)
    if mapping is not None:
        try:
            spec = mapping if isinstance(mapping, dict) else load_mapping(mapping)
        except MappingError as exc:
            raise ImportFailed(str(exc)) from exc
        staged = stage_with_mapping(path, spec, db_path, current_year=current_year)
    else:
        staged = stage(path, layout=layout, extra_indicators=extra_indicators(db_path), db_path=db_path,
                       current_year=current_year)
    try:
        return commit(staged, db_path, on_conflict, actor)
    except StoreError as exc:
        raise ImportFailed(str(exc)) from exc
    finally:
        staged.con.close()


def extra_indicators(db_path: str | Path) -> pd.DataFrame:
    """Indicators defined by earlier mapping imports (beyond the shipped catalogue)."""
    if not Path(db_path).exists():
        return pd.DataFrame()
    con = open_db(db_path)
    try:
        return con.execute("SELECT code, kind, min_value, max_value FROM indicators").df()
    finally:
        con.close()


def peek(path: str | Path, name: str | None = None, rows: int = 5) -> tuple[list[str], pd.DataFrame]:
    """A file's headers and first rows as text (for choosing column roles); nothing is validated."""
    con = duckdb.connect()
    try:
        run(con, "SET enable_progress_bar = false")
        try:
            source = read_into(con, path, name)
        except ReadError as exc:
            raise ImportFailed(str(exc)) from exc
        cols = ", ".join(f"c{i}" for i in range(len(source.headers)))
        frame = con.execute(f"SELECT {cols} FROM raw ORDER BY _row LIMIT ?", [rows]).df()
        frame.columns = source.headers
        return source.headers, frame
    finally:
        con.close()


def stage_with_mapping(path: str | Path, mapping: dict, db_path: str | Path | None = None,
                       name: str | None = None, current_year: int | None = None) -> Staged:
    """Stage a file with a mapping given as a dict (built on the Datos page or read from TOML)."""
    extra = extra_indicators(db_path) if db_path is not None else pd.DataFrame()
    try:
        new_indicators = indicator_definitions(mapping)
    except MappingError as exc:
        raise ImportFailed(str(exc)) from exc
    known = set(INDICATOR_BY_CODE) | (set(extra["code"]) if len(extra) else set())
    if len(new_indicators):
        extra = pd.concat([extra, new_indicators[["code", "kind", "min_value", "max_value"]]])

    def builder(source: SourceTable) -> Layout:
        try:
            return layout_from_mapping(mapping, source, known)
        except MappingError as exc:
            raise ImportFailed(f"{source.name}: {exc}") from exc

    staged = stage(path, name=name, extra_indicators=extra, mapping_builder=builder, db_path=db_path,
                   read_options=reader_options(mapping), current_year=current_year)
    staged.summary["_new_indicators"] = new_indicators
    # the mapping is part of the import's identity and provenance: the same file read with another mapping
    # is another import (handled by the overlap rules), and the evidence pack names the mapping it used
    text = json.dumps(mapping, sort_keys=True, ensure_ascii=False, default=str)
    staged.summary["mapping"] = text
    staged.summary["mapping_sha256"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return staged
