"""Datos: import history and rollback, upload with preview, dictionary, data quality, templates."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from analysis import import_text, queries, unit_figures
from analysis.catalog import LATIN_AMERICA, LEVELS
from analysis.db.connect import StoreError
from analysis.forms.xlsform import kit_zip
from analysis.importer.boundaries import (
    BoundaryError,
    StagedBoundaries,
    commit_boundaries,
    is_boundary_file,
    matched_units,
    stage_boundaries,
)
from analysis.importer.errors import ImportConflict, ImportFailed
from analysis.importer.form_exports import records_form_of
from analysis.importer.history import rollback
from analysis.importer.layouts import NotRecognised
from analysis.importer.mapping import (
    ROLE_CHOICES,
    MappingError,
    mapping_from_choices,
    mapping_to_toml,
    suggested_roles,
)
from analysis.importer.pipeline import extra_indicators, peek, stage_with_mapping
from analysis.importer.records import StagedRecords, commit_records, stage_records
from analysis.importer.staging import rejects_frame, stage
from analysis.importer.suggest import code_column, country_from_codes
from analysis.importer.writing import CONFLICT_POLICIES, commit
from ui import access, messages, templates
from ui import format as fmt
from ui.charts import Chart, lang
from ui.db import db_path, signature
from ui.export import csv_bytes
from ui.i18n import current_language, t
from ui.loaders import TTL, indicator_names, sql
from ui.tables import table

STAGED_KEY = "_datos_staged"


def writes_allowed() -> bool:
    """Imports and rollbacks: an open local install, or a signed-in admin of a public deployment."""
    return access.can("import")


def row_level_allowed() -> bool:
    """Rejected rows carry raw cell values: researchers and admins only."""
    return access.can("row_level_download")


def history() -> pd.DataFrame:
    return sql(queries.IMPORTS_SQL)


def history_table(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["status"] = out["status"].map(lambda s: t(f"import.status.{s}") if s in ("active", "rolled_back") else s)
    out["imported_at"] = out["imported_at"].astype(str).str.slice(0, 19)
    out["source_name"] = [fmt.source_name(s, r) for s, r in zip(out["source_name"], out["recognized_as"], strict=True)]
    out["recognized_as"] = out["recognized_as"].map(lambda r: fmt.coded("layout", r))
    return out.rename(columns=lambda c: t(f"col.{c}"))


def do_rollback(import_id: int) -> tuple[bool, str]:
    """Roll one import back (a new snapshot is published; the pages reload from it)."""
    denied = access.require("rollback")
    if denied:
        return False, denied
    try:
        result = rollback(db_path(), int(import_id), actor=access.actor())
    except (ImportFailed, StoreError) as exc:
        return False, t("data.rollback_failed", reason=messages.reason(exc, indicator_names()))
    st.cache_data.clear()
    return True, t("data.rollback_done", import_id=result["import_id"], removed=result["observations_removed"],
                   restored=result["observations_restored"])


# --- upload with preview (nothing reaches the database before the user commits) ----------------------------

UPLOAD_LIMIT_MB = 200
UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "parquet", "json", "geojson", "topojson", "zip"]
PENDING_KEY = "_datos_pending"  # an unrecognised upload waiting for the user to name its columns
STAGED_ID_KEY = "_datos_staged_id"
MAPPING_KEY = "_datos_mapping_toml"
MAX_MAPPED_COLUMNS = 60  # wider files are mapped with a TOML file (CLI), not one selector per column


def _temp_copy(name: str, data: bytes) -> Path:
    suffix = Path(name).suffix or ".csv"
    with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as handle:
        handle.write(data)
        return Path(handle.name)


def _drop_staged() -> None:
    previous = st.session_state.pop(STAGED_KEY, None)
    if previous is not None and hasattr(previous, "con"):
        previous.con.close()
    for key in (STAGED_ID_KEY, PENDING_KEY, MAPPING_KEY):
        st.session_state.pop(key, None)


def stage_upload(upload_id: str, name: str, data: bytes) -> tuple[object | None, str | None]:
    """Validate an uploaded file in memory, once per upload; (staged, error).

    A boundary file (GeoJSON/TopoJSON) is staged as shapes; a table LabLens does not recognise is
    kept as *pending* so the user can name its columns (:func:`stage_with_roles`).
    """
    denied = access.require("import")
    if denied:
        return None, denied
    if st.session_state.get(STAGED_ID_KEY) == upload_id:
        return st.session_state.get(STAGED_KEY), None
    _drop_staged()
    path = _temp_copy(name, data)
    try:
        if is_boundary_file(path):
            staged = stage_boundaries(path, name=name)
        elif records_form_of(path):  # a lab log, training or governance export from ODK Central or Kobo
            staged = stage_records(path, db_path(), name=name)
        else:
            staged = stage(path, name=name, extra_indicators=extra_indicators(db_path()), db_path=db_path())
    except NotRecognised as exc:
        st.session_state[STAGED_ID_KEY] = upload_id
        try:
            headers, preview = peek(path, name)
        except ImportFailed as failed:
            return None, t("data.upload_failed", reason=messages.reason(failed, indicator_names()))
        roles = suggested_roles(exc.suggestion, headers)
        shown = preview.astype(object).fillna("")
        code = code_column(headers, shown.to_numpy().tolist(), roles)  # school codes recognised by their pattern
        if code is not None:
            roles[code] = "unit_code"
        codes = next(([str(v) for v in shown[h]] for h, r in roles.items() if r == "unit_code" and h in shown), [])
        st.session_state[PENDING_KEY] = {"name": name, "data": data, "headers": headers, "preview": shown,
                                         "roles": roles, "unplaced": exc.unplaced,
                                         "country": country_from_codes(headers, codes)}
        return None, None
    except (ImportFailed, BoundaryError) as exc:
        return None, t("data.upload_failed", reason=messages.reason(exc, indicator_names()))
    finally:
        path.unlink(missing_ok=True)
    st.session_state[STAGED_KEY] = staged
    st.session_state[STAGED_ID_KEY] = upload_id
    return staged, None


def pending() -> dict | None:
    """The unrecognised upload waiting for column roles, if any."""
    return st.session_state.get(PENDING_KEY)


def role_options() -> list[str]:
    """Roles a column can take: structural roles, then one entry per known indicator."""
    codes = sorted(sql(queries.INDICATOR_CODES_SQL)["code"])
    return [*ROLE_CHOICES, *(f"indicator:{c}" for c in codes)]


def role_label(role: str) -> str:
    if role.startswith("indicator:"):
        code = role.split(":", 1)[1]
        return t("data.role.indicator", code=indicator_names().get(code, code))
    return t(f"data.role.{role}")


def stage_with_roles(country: str, unit_type: str, roles: dict[str, str], year: int | None,
                     level: str) -> tuple[object | None, str | None]:
    """Stage the pending upload with the column roles the user chose; (staged, error)."""
    waiting = pending()
    if waiting is None:
        return None, t("data.upload_nothing")
    try:
        mapping = mapping_from_choices(country, unit_type, roles, year, level)
    except MappingError as exc:
        return None, t("data.upload_failed", reason=messages.reason(exc, indicator_names()))
    path = _temp_copy(waiting["name"], waiting["data"])
    try:
        staged = stage_with_mapping(path, mapping, db_path(), name=waiting["name"])
    except (ImportFailed, NotRecognised) as exc:
        return None, t("data.upload_failed", reason=messages.reason(exc, indicator_names()))
    finally:
        path.unlink(missing_ok=True)
    st.session_state[STAGED_KEY] = staged
    st.session_state[MAPPING_KEY] = mapping_to_toml(mapping)
    st.session_state.pop(PENDING_KEY, None)
    return staged, None


def mapping_form(waiting: dict) -> None:
    """Name the columns of a file LabLens did not recognise; the choices become a mapping."""
    shown = ", ".join(fmt.md(c) for c in waiting["unplaced"][:12]) + (" …" if len(waiting["unplaced"]) > 12 else "")
    st.warning(t("data.mapping_unrecognised", columns=shown or "—"))
    st.markdown(f"**{t('data.mapping_title')}**")
    st.caption(t("data.mapping_help"))
    table(waiting["preview"])
    headers = waiting["headers"]
    if len(headers) > MAX_MAPPED_COLUMNS:
        st.info(t("data.mapping_too_wide", n=len(headers), limit=MAX_MAPPED_COLUMNS))
        return
    options = role_options()
    # labels are computed now, in this run's language: a format_func calling t() later could answer in
    # another session's language
    role_labels = {o: role_label(o) for o in options}
    countries = {c: fmt.country(c) for c in LATIN_AMERICA}
    unit_types = {u: t(f"unit_type.{u}") for u in ("school", "municipality", "department")}
    levels = {v: t(f"level.{v}") for v in LEVELS}
    with st.form("datos-mapping-form"):
        c1, c2, c3, c4 = st.columns(4)
        guessed = waiting.get("country")  # from the codes' pattern (Guatemala DD-MM-NNNN-NN, Colombia's DANE)
        country = c1.selectbox(t("data.mapping_country"), list(countries), format_func=countries.get,
                               index=list(countries).index(guessed) if guessed in countries else 0)
        unit_type = c2.selectbox(t("data.mapping_unit_type"), list(unit_types), format_func=unit_types.get)
        year = c3.number_input(t("data.mapping_year"), min_value=1990, max_value=2100, value=None, step=1,
                               help=t("data.mapping_year_help"))
        level = c4.selectbox(t("data.mapping_level"), list(levels), format_func=levels.get)
        roles = {}
        cols = st.columns(3)
        for i, header in enumerate(headers):
            suggested = waiting["roles"].get(header, "ignore")
            roles[header] = cols[i % 3].selectbox(  # a widget label is Markdown: the file's header is text
                fmt.md(header), options, index=options.index(suggested) if suggested in options else 0,
                format_func=role_labels.get, key=f"datos-role-{i}")
        submitted = st.form_submit_button(t("data.mapping_apply"), icon=":material/rule:")
    if submitted:
        _staged, error = stage_with_roles(country, unit_type, roles, None if year is None else int(year), level)
        if error:
            st.error(error)
        else:
            st.rerun()


def mapping_toml() -> str | None:
    """The mapping the user built, as a TOML file for next time (``--mapping``)."""
    return st.session_state.get(MAPPING_KEY)


def staged_summary(staged) -> pd.DataFrame:
    s = staged.summary
    keys = ["source_name", "layout", "encoding", "delimiter", "rows_read", "rows_rejected", "values_rejected",
            "observations", "students", "units_in_file", "territories_of_units", "indicators", "years", "waves",
            "programs",
            "territories", "dropped_columns", "ignored_columns", "notes"]
    if isinstance(staged, StagedRecords):  # a field-form export: submissions, not observations
        keys = ["source_name", "recognized_as", "form_version", "server", "rows_read", "rows_loaded",
                "duplicates_skipped", "rows_rejected", "values_rejected", "dropped_columns", "notes"]
    rows = [(t(f"col.{k}"), _summary_value(k, s[k], s.get("recognized_as")))
            for k in keys if k in s and s[k] not in (None, [], "")]
    if isinstance(staged, StagedBoundaries):
        rows.append((t("col.territories_known"), str(matched_units(staged, db_path()))))
    return pd.DataFrame(rows, columns=[t("col.item"), t("col.value")])


def _summary_value(key: str, value: object, code: object) -> str:
    """One item of a staged file's summary; its layout and notes in the page's language, from the same catalogue
    as ``python -m analysis import --lang`` (analysis/import_text.py)."""
    if key == "notes":
        return " · ".join(import_text.note(n, current_language()) for n in value)
    if key == "layout":
        return import_text.layout(value, code, current_language())
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def record_reason(reason: str, column: str | None = None) -> str:
    """A stored reject reason (a field-form value or record, a row or value of a data file) in the user's language,
    from the one catalogue of reasons (analysis/reasons.py); ``column`` names the form question it is about."""
    return messages.reject(reason, column)


def _said(frame: pd.DataFrame) -> pd.DataFrame:
    columns = frame["column_name"] if "column_name" in frame else [None] * len(frame)
    return frame.assign(reason=[record_reason(r, c if isinstance(c, str) else None)
                                for r, c in zip(frame["reason"], columns, strict=True)])


def _rejects_of(staged) -> pd.DataFrame:
    if isinstance(staged, StagedRecords):
        frame = staged.rejects.rename(columns={"row": "row_number", "column": "column_name"})[
            ["row_number", "column_name", "raw_value", "reason"]]
        return _said(frame)
    if isinstance(staged, StagedBoundaries):
        return staged.rejects.assign(reason=[import_text.boundary_reason(r, current_language())
                                             for r in staged.rejects["reason"]])
    frame = with_sheet_row(rejects_frame(staged), staged.source.has_header)
    return _said(frame) if "reason" in frame else frame


def with_sheet_row(frame: pd.DataFrame, has_header: bool) -> pd.DataFrame:
    """A file's rejects with the row a spreadsheet shows beside the data row: row 1 is the first data row
    (analysis/importer/readers.py), the sheet's row 2 when a header row came first; a headerless file (such as
    saber2011.csv) numbers both alike, and keeps one column. Blank rows are not counted (as the reader)."""
    if not has_header or "row_number" not in frame:
        return frame
    at = frame.columns.get_loc("row_number") + 1
    return frame.iloc[:, :at].assign(sheet_row=frame["row_number"] + 1).join(frame.iloc[:, at:])


def staged_rejects(staged) -> pd.DataFrame:
    frame = _rejects_of(staged)
    return frame.rename(columns=lambda c: t(f"col.{c}"))


def rejects_csv(staged) -> bytes:
    """The rejected rows (row, column, value, reason) as a CSV the user can fix and re-import."""
    return csv_bytes(_rejects_of(staged))


def commit_staged(on_conflict: str) -> tuple[bool, str, pd.DataFrame | None]:
    denied = access.require("import")
    if denied:
        return False, denied, None
    staged = st.session_state.get(STAGED_KEY)
    if staged is None:
        return False, t("data.upload_nothing"), None
    try:
        if isinstance(staged, StagedBoundaries):
            summary = commit_boundaries(staged, db_path(), access.actor())
        elif isinstance(staged, StagedRecords):
            summary = commit_records(staged, db_path(), access.actor())
        else:
            summary = commit(staged, db_path(), on_conflict if on_conflict in CONFLICT_POLICIES else "abort",
                             access.actor())
    except ImportConflict as exc:
        return False, t("data.upload_conflict", reason=messages.reason(exc, indicator_names())), exc.conflicts
    except (ImportFailed, StoreError) as exc:
        return False, t("data.upload_failed", reason=messages.reason(exc, indicator_names())), None
    _drop_staged()
    st.cache_data.clear()
    if summary.get("status") == "nothing_new":
        return True, t("data.upload_nothing_new"), None
    if summary.get("status") == "already_imported":
        return True, t("data.upload_already", import_id=summary["import_id"]), None
    return True, t("data.upload_done", import_id=summary["import_id"], rows=summary.get("rows_loaded", 0)), None


# --- the field form kit -------------------------------------------------------------------------------------

KIT_FILE = "lablens_kit_formularios.zip"


@st.cache_data(show_spinner=False)
def field_kit() -> bytes:
    """The data-collection kit: the four XLSForm workbooks and LEEME.md as one ZIP (README.md, "Field data
    collection"); the same bytes for the same forms, built once per process."""
    return kit_zip()


# --- dictionary and quality ---------------------------------------------------------------------------------

def dictionary() -> pd.DataFrame:
    frame = sql(queries.DICTIONARY_SQL)
    label = "label_en" if current_language() == "en" else "label_es"
    out = frame[["code", label, "domain", "kind", "unit", "min_value", "max_value", "higher_is_better", "scale",
                 "reverse_coded", "observations"]].rename(columns={label: "label"})
    out["domain"] = out["domain"].map(lambda d: t(f"domain.{d}"))
    out["kind"] = out["kind"].map(lambda k: fmt.coded("kind", k))
    out["unit"] = out["unit"].map(lambda u: fmt.coded("measure", u))
    for c in ("higher_is_better", "reverse_coded"):
        out[c] = out[c].map(lambda v: "—" if fmt.is_missing(v) else (t("yes") if v else t("no")))
    return out.rename(columns=lambda c: t(f"col.{c}"))


def coverage_chart() -> Chart | None:
    """Observations per country, indicator and year as a heatmap; built once per snapshot and language."""
    return _coverage_chart_cached(signature(), lang())


@st.cache_resource(ttl=TTL, max_entries=8, show_spinner=False)
def _coverage_chart_cached(snapshot: tuple[int, int] | None, language: str) -> Chart | None:
    """Shared, not copied (cache_resource): callers only draw the chart."""
    cov = sql(queries.COVERAGE_BY_YEAR_SQL)
    if cov.empty:
        return None
    cov = cov[~cov["indicator"].str.startswith("motivation_item_")]
    cov = cov.assign(panel=cov["country"].map(fmt.country))
    names = indicator_names()  # the heatmap's rows by the indicators' names, not their codes
    fig = unit_figures.coverage_heatmap(cov.assign(indicator=cov["indicator"].map(lambda c: names.get(c, c))),
                                        {"colorbar": t("col.units")}, lang())
    first, last = int(cov["year"].min()), int(cov["year"].max())
    summary = t("data.coverage_summary", indicators=cov["indicator"].nunique(), first=first, last=last)
    table = cov.drop(columns=["panel"]).assign(country=cov["country"].map(fmt.country))
    return Chart(fig, t("data.coverage_alt"), summary, table.rename(columns=lambda c: t(f"col.{c}")))


def missing_units() -> pd.DataFrame:
    frame = sql(queries.MISSING_UNITS_SQL)
    frame = frame[(frame["units_without_data"] > 0) & ~frame["indicator"].str.startswith("motivation_item_")]
    frame = frame.assign(program=frame["program"].map(fmt.programme), country=frame["country"].map(fmt.country))
    return frame.rename(columns=lambda c: t(f"col.{c}"))


def missing_at_post() -> pd.DataFrame:
    frame = sql(queries.MISSING_AT_POST_SQL)
    frame = frame[~frame["indicator"].str.startswith("motivation_item_")].copy()
    frame["share_missing"] = (100 * frame["missing_at_post"] / frame["students_pre"]).round(1)
    frame = frame.assign(program=frame["program"].map(fmt.programme), country=frame["country"].map(fmt.country))
    return frame.rename(columns=lambda c: t(f"col.{c}"))


def cell_detail(detail: object) -> str:
    """A small-cell row's detail in words: 'CO: shift = mañana' (country code, attribute, value, as
    analysis.queries writes it) -> 'Colombia · Jornada: mañana'; an empty detail stays empty."""
    text = "" if fmt.is_missing(detail) else str(detail)
    country, sep, rest = text.partition(": ")
    name, eq, value = rest.partition(" = ")
    if not sep or not eq:
        return text
    return t("data.cell_detail", country=fmt.country(country), field=fmt.field_option(name),
             value=fmt.group_label(name, value))


def small_cells() -> pd.DataFrame:
    k = access.min_cell()
    frame = sql(queries.SMALL_CELLS_SQL, (k,))
    frame = frame.assign(cell=frame["cell"].map(lambda c: t(f"data.cell.{c}")),
                         detail=frame["detail"].map(cell_detail))
    frame["smallest"] = [f"<{k}" if 0 < s < k else fmt.num(s, 0) for s in frame["smallest"]]
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
