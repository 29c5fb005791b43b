"""Evidencia: a table of results for indicators x design x grouping, with CSV, XLSX and evidence-pack downloads.

The table and the files come from ``analysis.evidence``, the implementation behind
``python -m analysis export``: the same filters give the same tables and bytes.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from analysis import evidence
from analysis.compare import designs
from analysis.evidence.cite import DEFAULT_LICENCE, LICENCES
from analysis.evidence.implementation import implementation_tables
from analysis.evidence.request import (
    ASSIGNMENTS_SQL,
    IMPORTS_SQL,
    INDICATORS_SQL,
    META_SQL,
    EvidenceRequest,
    PackContext,
    assignment_records,
)
from analysis.precompute import standard_results
from analysis.safe_export import csv_bytes
from ui import access
from ui import format as fmt
from ui.db import db_path
from ui.i18n import current_language, t
from ui.loaders import Outcome, compare_result, indicator_info, indicators, sql, windows

GROUPINGS = ("lab_type", "department", "municipality", "authority", "zone", "sex", "grade", "school")
DESIGNS = designs.selector_order()
SHOWN = {name: list(designs.BY_NAME[name].SUMMARY_COLUMNS) for name in DESIGNS}


def indicator_options() -> list[str]:
    frame = indicators()
    return list(frame[frame["kind"].isin(["score", "index", "rate", "binary"])]["code"])


def request(codes: list[str], design: str, by: str | None, min_cell: int | None = None) -> EvidenceRequest:
    """The page's request with its exact compare() calls: wave-based indicators in one call, yearly ones
    one call per programme and distinct windows (``analysis.precompute.standard_results.programme_requests``,
    the plan of ``ui.loaders.programme_results`` and of the results stored with large snapshots).
    ``min_cell``: the session's threshold, read while the page runs (a download is built outside it)."""
    min_cell = access.min_cell() if min_cell is None else min_cell
    calls = []
    for code in codes:
        info = indicator_info(code)
        if info is None:
            continue
        base = {"indicator": code, "design": design, "by": [by] if by else None, "level": "all",
                "min_cell": min_cell, "weighted": False, "conf_level": 0.95, "icc": None}
        plan = standard_results.programme_requests(code, design, (by,) if by else (), bool(info["uses_waves"]),
                                                   {} if info["uses_waves"] else windows(code))
        calls += [{**base, "program": r.program, "pre": r.pre, "post": r.post} for r in plan]
    command = (f"LabLens dashboard, Evidencia page: indicators={','.join(codes)}, design={design}"
               + (f", by={by}" if by else ""))
    return EvidenceRequest(indicators=tuple(codes), design=design, by=(by,) if by else (), command=command,
                           calls=tuple(calls))


def build(codes: list[str], design: str, by: str | None) -> tuple[pd.DataFrame, Outcome]:
    """All results stacked by ``analysis.evidence.stack`` (the CLI's table): indicator, design and
    grouping first, compare()'s stable column names, rows in a fixed order."""
    frames, errors, failed = [], [], 0
    for call in request(codes, design, by).compare_calls():
        res = compare_result(call["indicator"], design, by, program=call["program"], pre=call["pre"],
                             post=call["post"])
        errors += res.errors
        failed += res.failed
        if res.ok:
            frames.append((call, res.frame))
    table = evidence.stack(frames) if frames else pd.DataFrame()
    return table, Outcome(table if not table.empty else None, list(dict.fromkeys(errors)), failed)


def view(table: pd.DataFrame, design: str, by: str | None) -> pd.DataFrame:
    """The on-screen table: fewer columns, translated headers and values, marks visible."""
    cols = ["indicator", "program", "country", *([by] if by else []), *SHOWN[design]]
    return fmt.result_table(table, cols, [by] if by else None)


def context(url: str = "", licence: str = DEFAULT_LICENCE) -> PackContext:
    """Imports (with sha256), indicator catalogue and meta of the current snapshot, for the files' provenance;
    the view's address and the chosen licence, for the citation."""
    meta = dict(sql(META_SQL).itertuples(index=False, name=None))
    try:
        assignments = assignment_records(sql(ASSIGNMENTS_SQL))
    except Exception:  # a database made before registered assignments existed has none
        assignments = []
    return PackContext(sql(IMPORTS_SQL), sql(INDICATORS_SQL), meta, db_path().name, assignments, url=url,
                       licence=licence)


def view_url() -> str:
    """The address of this view with its filters and language (read while the page runs, for the citation)."""
    try:
        base = st.context.url or ""
    except Exception:  # outside a browser session (AppTest) there is no address
        base = ""
    query = urlencode(st.query_params.to_dict())
    return f"{base}?{query}" if base and query else base


def licence_labels() -> dict[str, str]:
    """The licences a user can give the evidence, by their short names (CC BY 4.0 first: the default)."""
    return {code: name for code, (name, _) in LICENCES.items()}


def download_table(codes: list[str], design: str, by: str | None, min_cell: int | None = None) -> pd.DataFrame:
    """The table the downloads hold: the same compare() calls as the screen, recomputed on a single-threaded
    connection so that the same filters give the same bytes as ``python -m analysis export``
    (``analysis.evidence.reproducible_connection``); built on click only."""
    return evidence.evidence_table(db_path(), request(codes, design, by, min_cell), skip_errors=True)


def csv_download(codes: list[str], design: str, by: str | None, min_cell: int | None = None) -> bytes:
    """evidence.csv: comma, decimal point, UTF-8 with BOM, formulas neutralised."""
    return csv_bytes(download_table(codes, design, by, min_cell))


def xlsx_download(codes: list[str], design: str, by: str | None, min_cell: int | None = None,
                  lang: str | None = None) -> bytes:
    """The pack's evidence.xlsx: sheets evidence, dictionary, methods and provenance (no time inside)."""
    files = evidence.data_files(download_table(codes, design, by, min_cell), request(codes, design, by, min_cell),
                                context(), lang or current_language())
    return files["evidence.xlsx"]


def pack_download(codes: list[str], design: str, by: str | None, min_cell: int | None = None,
                  lang: str | None = None, url: str = "", licence: str = DEFAULT_LICENCE) -> bytes:
    """The .zip evidence pack, its brief and methods in the page's language, citing ``url`` under ``licence``;
    with the implementation facts and the dose–response of its score indicators when the database holds
    implementation records (analysis.evidence.implementation)."""
    pack_context = context(url, licence)
    con = evidence.reproducible_connection(db_path())
    try:
        pack_context.extra_tables = implementation_tables(con, tuple(codes), design)
    finally:
        con.close()
    return evidence.pack_bytes(download_table(codes, design, by, min_cell), request(codes, design, by, min_cell),
                               pack_context, lang or current_language())


def download_details(codes: list[str], design: str, by: str | None, kind: str) -> dict:
    """What the audit record of an Evidencia download names (ui.export.audited_download_button)."""
    return {"format": kind, "indicators": list(codes), "design": design, "by": by}


def file_stem(design: str, by: str | None) -> str:
    return f"lablens_{design}" + (f"_{by}" if by else "")


def caption(table: pd.DataFrame) -> str:
    low = int((table["reliability"] == "low").sum()) if "reliability" in table else 0
    sup = int((table["reliability"] == "suppressed").sum()) if "reliability" in table else 0
    return t("evidence.table_caption", rows=len(table), low=low, suppressed=sup)
