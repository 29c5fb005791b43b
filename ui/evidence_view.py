"""Evidencia: a table of results for indicators x design x grouping, with CSV and XLSX downloads."""

from __future__ import annotations

import datetime as dt

import pandas as pd

import analysis
from analysis import figures, overview
from analysis.compare import DID_COLUMNS, PREPOST_COLUMNS
from ui import format as fmt
from ui.db import db_path
from ui.export import csv_bytes, xlsx_bytes
from ui.i18n import current_language, t
from ui.loaders import Outcome, indicators, programme_results, sql, windows

GROUPINGS = ("lab_type", "department", "municipality", "authority", "zone", "sex", "grade", "school")
DESIGNS = ("did", "prepost")
SHOWN = {
    "did": ["effect_size", "effect_size_kind", "es_ci_low", "es_ci_high", "months_progress", "estimate", "ci_low",
            "ci_high", "p_value", "q_value", "wild_p_value", "n_treated", "n_comparison", "reliability", "evidence",
            "evidence_reasons", "flags", "pre_window", "post_window"],
    "prepost": ["effect_size", "effect_size_kind", "es_ci_low", "es_ci_high", "months_progress", "mean_pre",
                "mean_post", "diff", "diff_ci_low", "diff_ci_high", "p_value", "q_value", "n_units", "n_pre",
                "n_post", "n_linked", "reliability", "evidence", "evidence_reasons", "flags", "pre_window",
                "post_window"],
}


def indicator_options() -> list[str]:
    frame = indicators()
    return list(frame[frame["kind"].isin(["score", "index", "rate", "binary"])]["code"])


def build(codes: list[str], design: str, by: str | None) -> tuple[pd.DataFrame, Outcome]:
    """All results stacked, with the indicator, design and grouping as the first columns (stable names)."""
    frames, errors, failed = [], [], 0
    for code in codes:
        res = programme_results(code, design, by)
        errors += res.errors
        failed += res.failed
        if res.ok:
            frame = res.frame.copy()
            frame.insert(0, "indicator", code)
            frame.insert(1, "grouping", by or "")
            if "design" not in frame:
                frame.insert(1, "design", design)
            frames.append(frame)
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if not table.empty:
        order = {p: i for i, p in enumerate(figures.programme_order(table["program"]))}
        rank = {c: i for i, c in enumerate(codes)}
        table = table.assign(_i=table["indicator"].map(rank), _p=table["program"].map(order))
        table = table.sort_values(["_i", "_p"], kind="stable").drop(columns=["_i", "_p"]).reset_index(drop=True)
        keys = ["indicator", "design", "grouping", "program", "country", *([by] if by else []),
                *(["start_year_cohort"] if "start_year_cohort" in table else [])]
        cols = DID_COLUMNS if design == "did" else PREPOST_COLUMNS
        table = table[[*keys, *[c for c in cols if c in table and c not in keys and c != "design"]]]
        for c in ("pre_years", "post_years"):
            if c in table:
                table = table.drop(columns=c)
    return table, Outcome(table if not table.empty else None, list(dict.fromkeys(errors)), failed)


def view(table: pd.DataFrame, design: str, by: str | None) -> pd.DataFrame:
    """The on-screen table: fewer columns, translated headers and values, marks visible."""
    cols = ["indicator", "program", "country", *([by] if by else []), *SHOWN[design]]
    return fmt.result_table(table, cols, [by] if by else None)


def provenance(codes: list[str], design: str, by: str | None) -> pd.DataFrame:
    """Where every number comes from: software version, database snapshot, imports, request, windows."""
    imports = sql(overview.PROVENANCE_IMPORTS_SQL)
    rows = [
        ("software", f"LabLens {analysis.__version__}"),
        ("generated_at_utc", dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()),
        ("database", str(db_path().name)),
        ("request", f"compare(indicator in {codes}, design='{design}', by={by!r}, level='all')"),
        ("language", current_language()),
        ("methods", "METHODS.md; Métodos page of the dashboard"),
        ("disclosure", "cells with fewer than 10 students suppressed (values empty, reliability='suppressed')"),
    ]
    for code in codes:
        for (program, country), w in windows(code).items():
            if w:
                rows.append((f"windows {code} {program} {country}", f"pre {w[0]}-{w[1]}, post {w[2]}-{w[3]}"))
    for r in imports.itertuples(index=False):
        rows.append((f"import {r.import_id}", f"{r.source_name} [{r.status}] sha256={r.sha256}"))
    return pd.DataFrame(rows, columns=["item", "value"])


def csv_download(table: pd.DataFrame) -> bytes:
    return csv_bytes(table)


def xlsx_download(table: pd.DataFrame, codes: list[str], design: str, by: str | None) -> bytes:
    return xlsx_bytes({"resultados": table, "procedencia": provenance(codes, design, by)})


def file_stem(design: str, by: str | None) -> str:
    return f"lablens_{design}" + (f"_{by}" if by else "")


def caption(table: pd.DataFrame) -> str:
    low = int((table["reliability"] == "low").sum()) if "reliability" in table else 0
    sup = int((table["reliability"] == "suppressed").sum()) if "reliability" in table else 0
    return t("evidence.table_caption", rows=len(table), low=low, suppressed=sup)
