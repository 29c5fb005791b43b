"""The evidence table: compare() for every call of an :class:`EvidenceRequest`, stacked under
``indicator``, ``design`` and ``grouping`` columns (stable order, compare's own columns, file-ready types)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

import analysis
from analysis.compare import CompareError, compare
from analysis.disclosure import round_published
from analysis.evidence.request import EvidenceRequest, ExportError
from analysis.periods import programme_order

PREFIX_COLUMNS = ("indicator", "design", "grouping")
LIST_COLUMNS = ("pre_years", "post_years")
BOOLEAN_COLUMNS = ("inference_reliable", "pretrend_significant")
INTEGER_COLUMNS = ("start_year_cohort", "start_year")
FORBIDDEN_COLUMNS = ("student_key",)
#: DuckDB threads for exports: one thread gives the same floating-point sums on every run.
REPRODUCIBLE_THREADS = 1


def _years_text(value: object) -> object:
    """A window's observed years as text ('2015 2016 2017'): lists do not fit CSV or spreadsheet cells."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    years = [int(y) for y in value if y is not None and y == y]
    return " ".join(str(y) for y in sorted(years))


def tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """compare() output in file-ready types: year lists as text, true/false/missing as nullable booleans."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if column in LIST_COLUMNS:
            out[column] = pd.Series([_years_text(v) for v in values], index=out.index, dtype="str")
        elif column in BOOLEAN_COLUMNS or (values.dtype == object and len(values.dropna()) and values.dropna().map(
                lambda v: isinstance(v, bool | np.bool_)).all()):
            out[column] = values.astype("boolean")
        elif column in INTEGER_COLUMNS:
            out[column] = pd.to_numeric(values, errors="coerce").round().astype("Int64")
        elif values.dtype == object and values.dropna().map(lambda v: isinstance(v, str)).all():
            out[column] = pd.Series(values.tolist(), index=out.index, dtype="str")
    return out


def stack(frames: Sequence[tuple[Mapping, pd.DataFrame]]) -> pd.DataFrame:
    """Results of several compare() calls as one table: indicator, design, grouping first, call order kept."""
    parts = []
    for call, frame in frames:
        if frame is None or frame.empty:
            continue
        part = tidy(frame)
        by = call.get("by") or []
        by = [by] if isinstance(by, str) else list(by)
        if "design" in part:
            part = part.drop(columns="design")
        part.insert(0, "indicator", call["indicator"])
        part.insert(1, "design", call.get("design", "prepost"))
        part.insert(2, "grouping", "+".join(by))
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=list(PREFIX_COLUMNS))
    table = pd.concat(parts, ignore_index=True)
    for column in table.columns:  # concat of all-missing parts can fall back to object
        if table[column].dtype == object:
            table[column] = tidy(table[[column]])[column]
    check_private(table)
    # what a download holds is what the screen shows: display precision (docs/METHODS.md, "Disclosure avoidance")
    return order_rows(round_published(table), [call["indicator"] for call, _ in frames])


def order_rows(table: pd.DataFrame, indicators: Sequence[str]) -> pd.DataFrame:
    """Stable row order: indicators as requested, then programmes (ValleLabs, MiLab, others, comparison), then
    compare()'s own order within a programme (its keys and by-groups)."""
    rank = {code: i for i, code in enumerate(dict.fromkeys(indicators))}
    programmes = {p: i for i, p in enumerate(programme_order(table["program"]))} if "program" in table else {}
    keys = pd.DataFrame({"_i": table["indicator"].map(rank),
                         "_p": table["program"].map(programmes) if programmes else 0}, index=table.index)
    order = keys.sort_values(["_i", "_p"], kind="stable").index
    return table.loc[order].reset_index(drop=True)


def reproducible_connection(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection whose results are bit-for-bit reproducible: DuckDB adds floating-point
    numbers in a different order from run to run when it aggregates on several threads (the last binary
    digit of a mean or an estimate changes), so exports run compare() on one thread."""
    con = analysis.open_db(path)
    con.execute(f"SET threads = {REPRODUCIBLE_THREADS}")
    return con


def evidence_table(db: duckdb.DuckDBPyConnection | str | Path, request: EvidenceRequest,
                   skip_errors: bool = False) -> pd.DataFrame:
    """compare() for every call of ``request``, stacked.

    Raises ``CompareError`` for a call it cannot answer, unless ``skip_errors`` (the page leaves such calls
    out and says why; the table's ``attrs["missing"]`` keeps the reason of every indicator left without a
    row). A path is opened with :func:`reproducible_connection`.
    """
    con = db if isinstance(db, duckdb.DuckDBPyConnection) else reproducible_connection(db)
    frames, missing = [], {}
    try:
        for call in request.compare_calls():
            kwargs = dict(call)
            try:
                frames.append((call, compare(con, kwargs.pop("indicator"), **kwargs)))
            except CompareError as exc:
                if not skip_errors:
                    raise
                missing.setdefault(call["indicator"], str(exc))
    finally:
        if con is not db:
            con.close()
    table = stack(frames)
    # why an indicator has no row (compare()'s reason), for the brief: "no results" always says why
    missing = {code: reason for code, reason in missing.items() if table.empty or code not in set(table["indicator"])}
    if missing:
        table.attrs["missing"] = missing
    return table


def without_attrs(table: pd.DataFrame) -> pd.DataFrame:
    """The table without pandas ``attrs`` (the missing reasons): Parquet would store them in its metadata."""
    if not table.attrs:
        return table
    out = table.copy(deep=False)
    out.attrs = {}
    return out


def check_private(table: pd.DataFrame) -> None:
    """Refuse a table that holds student identifiers (keyed pseudonyms included)."""
    bad = [c for c in table.columns if c in FORBIDDEN_COLUMNS]
    if bad:
        raise ExportError(f"the evidence table must not hold {', '.join(bad)}")
