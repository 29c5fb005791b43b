"""Datos: import history and rollback, upload with preview, dictionary, data quality, templates."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from analysis import figures, overview
from analysis.disclosure import MIN_CELL
from analysis.importer.layouts import NotRecognised
from analysis.importer.pipeline import (
    CONFLICT_POLICIES,
    ImportConflict,
    ImportFailed,
    commit,
    rejects_frame,
    rollback,
    stage,
)
from analysis.store import StoreError
from ui import format as fmt
from ui import templates
from ui.charts import Chart, lang
from ui.db import db_path
from ui.export import csv_bytes
from ui.i18n import current_language, t
from ui.loaders import sql

STAGED_KEY = "_datos_staged"


def writes_allowed() -> bool:
    """Imports and rollbacks are for a local install; LABLENS_PUBLIC=1 (a public deployment) hides them."""
    return os.environ.get("LABLENS_PUBLIC") != "1"


def history() -> pd.DataFrame:
    return sql(overview.IMPORTS_SQL)


def history_table(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["status"] = out["status"].map(lambda s: t(f"import.status.{s}") if s in ("active", "rolled_back") else s)
    out["imported_at"] = out["imported_at"].astype(str).str.slice(0, 19)
    return out.rename(columns=lambda c: t(f"col.{c}"))


def do_rollback(import_id: int) -> tuple[bool, str]:
    """Roll one import back (a new snapshot is published; the pages reload from it)."""
    try:
        result = rollback(db_path(), int(import_id))
    except (ImportFailed, StoreError) as exc:
        return False, t("data.rollback_failed", reason=str(exc))
    st.cache_data.clear()
    return True, t("data.rollback_done", import_id=result["import_id"], removed=result["observations_removed"],
                   restored=result["observations_restored"])


# --- upload with preview (nothing reaches the database before the user commits) ----------------------------

def stage_upload(name: str, data: bytes) -> tuple[object | None, str | None]:
    """Validate an uploaded file into a session-private in-memory database; (staged, error)."""
    previous = st.session_state.pop(STAGED_KEY, None)
    if previous is not None:
        previous.con.close()
    suffix = Path(name).suffix or ".csv"
    with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as handle:
        handle.write(data)
        path = Path(handle.name)
    try:
        staged = stage(path, name=name)
    except NotRecognised as exc:
        return None, t("data.upload_not_recognised", reason=str(exc))
    except ImportFailed as exc:
        return None, t("data.upload_failed", reason=str(exc))
    finally:
        path.unlink(missing_ok=True)
    st.session_state[STAGED_KEY] = staged
    return staged, None


def staged_summary(staged) -> pd.DataFrame:
    s = staged.summary
    keys = ["source_name", "layout", "encoding", "delimiter", "rows_read", "rows_rejected", "values_rejected",
            "observations", "students", "units_in_file", "indicators", "years", "waves", "programs",
            "dropped_columns", "ignored_columns", "notes"]
    rows = [(t(f"col.{k}"), ", ".join(map(str, s[k])) if isinstance(s[k], list) else str(s[k]))
            for k in keys if k in s and s[k] not in (None, [], "")]
    return pd.DataFrame(rows, columns=[t("col.item"), t("col.value")])


def staged_rejects(staged) -> pd.DataFrame:
    return rejects_frame(staged)


def commit_staged(on_conflict: str) -> tuple[bool, str, pd.DataFrame | None]:
    staged = st.session_state.get(STAGED_KEY)
    if staged is None:
        return False, t("data.upload_nothing"), None
    try:
        summary = commit(staged, db_path(), on_conflict if on_conflict in CONFLICT_POLICIES else "abort")
    except ImportConflict as exc:
        return False, t("data.upload_conflict", reason=str(exc)), exc.conflicts
    except (ImportFailed, StoreError) as exc:
        return False, t("data.upload_failed", reason=str(exc)), None
    staged.con.close()
    st.session_state.pop(STAGED_KEY, None)
    st.cache_data.clear()
    if summary.get("status") == "already_imported":
        return True, t("data.upload_already", import_id=summary["import_id"]), None
    return True, t("data.upload_done", import_id=summary["import_id"], rows=summary.get("rows_loaded", 0)), None


# --- dictionary and quality ---------------------------------------------------------------------------------

def dictionary() -> pd.DataFrame:
    frame = sql(overview.DICTIONARY_SQL)
    label = "label_en" if current_language() == "en" else "label_es"
    out = frame[["code", label, "domain", "kind", "unit", "min_value", "max_value", "higher_is_better", "scale",
                 "reverse_coded", "observations"]].rename(columns={label: "label"})
    out["domain"] = out["domain"].map(lambda d: t(f"domain.{d}"))
    for c in ("higher_is_better", "reverse_coded"):
        out[c] = out[c].map(lambda v: "—" if fmt.is_missing(v) else (t("yes") if v else t("no")))
    return out.rename(columns=lambda c: t(f"col.{c}"))


def coverage_chart() -> Chart | None:
    cov = sql(overview.COVERAGE_BY_YEAR_SQL)
    if cov.empty:
        return None
    cov = cov[~cov["indicator"].str.startswith("motivation_item_")]
    cov = cov.assign(panel=cov["country"].map(fmt.country))
    fig = figures.coverage_heatmap(cov, {"colorbar": t("col.units")}, lang())
    first, last = int(cov["year"].min()), int(cov["year"].max())
    summary = t("data.coverage_summary", indicators=cov["indicator"].nunique(), first=first, last=last)
    table = cov.drop(columns=["panel"]).assign(country=cov["country"].map(fmt.country))
    return Chart(fig, t("data.coverage_alt"), summary, table.rename(columns=lambda c: t(f"col.{c}")))


def missing_units() -> pd.DataFrame:
    frame = sql(overview.MISSING_UNITS_SQL)
    frame = frame[(frame["units_without_data"] > 0) & ~frame["indicator"].str.startswith("motivation_item_")]
    frame = frame.assign(program=frame["program"].map(fmt.programme), country=frame["country"].map(fmt.country))
    return frame.rename(columns=lambda c: t(f"col.{c}"))


def missing_at_post() -> pd.DataFrame:
    frame = sql(overview.MISSING_AT_POST_SQL)
    frame = frame[~frame["indicator"].str.startswith("motivation_item_")].copy()
    frame["share_missing"] = (100 * frame["missing_at_post"] / frame["students_pre"]).round(1)
    frame = frame.assign(program=frame["program"].map(fmt.programme), country=frame["country"].map(fmt.country))
    return frame.rename(columns=lambda c: t(f"col.{c}"))


def small_cells() -> pd.DataFrame:
    frame = sql(overview.SMALL_CELLS_SQL, (MIN_CELL,))
    frame = frame.assign(cell=frame["cell"].map(lambda c: t(f"data.cell.{c}")))
    frame["smallest"] = [f"<{MIN_CELL}" if 0 < s < MIN_CELL else fmt.num(s, 0) for s in frame["smallest"]]
    return frame.rename(columns=lambda c: t(f"col.{c}"))


def template_bytes(kind: str) -> bytes:
    return csv_bytes(templates.TEMPLATES[kind]())


def template_columns(kind: str) -> str:
    return ", ".join(templates.TEMPLATES[kind]().columns)


def survey_items() -> pd.DataFrame:
    frame = templates.survey_items()
    item = "item_en" if current_language() == "en" else "item_es"
    frame = frame[["column", item, "reverse_coded"]].rename(columns={item: "question"})
    frame["reverse_coded"] = frame["reverse_coded"].map(lambda v: t("yes") if v else t("no"))
    return frame.rename(columns=lambda c: t(f"col.{c}"))
