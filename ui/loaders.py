"""Cached loaders for the analysis pages: compare() results and descriptive queries.

Every cache is bounded (``max_entries``, ``ttl``) and keyed by the published snapshot's signature, so
an import or a rollback shows up at once and old entries age out. compare() is called through one
cached function; its ``CompareError`` (a request it cannot answer) is returned as a message for the
page to show with ``st.info`` — never a traceback — and any other failure is logged and reported as
"could not be computed" (see :func:`show_problem`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import duckdb
import pandas as pd
import streamlit as st

from analysis import derived, overview
from analysis.compare import CompareError, compare
from analysis.disclosure import MIN_CELL
from ui import access
from ui.db import connection, cursor, query, signature
from ui.i18n import t

log = logging.getLogger("lablens.ui")

TTL = 600


def _signature() -> tuple[int, int] | None:
    connection()  # make sure a database exists (demo on first run)
    return signature()


@st.cache_data(ttl=TTL, max_entries=96, show_spinner=False)
def _sql_cached(sql: str, params: tuple, signature: tuple[int, int] | None) -> pd.DataFrame:
    return query(sql, list(params))


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def _derived_current(signature: tuple[int, int] | None) -> bool:
    """Whether the snapshot's derived tables describe its rows (analysis.derived.current), once per snapshot."""
    try:
        with cursor() as cur:
            return derived.current(cur)
    except duckdb.Error:
        log.exception("checking the derived tables failed; reading the raw rows")
        return False


def sql(statement: str, params: tuple | list = ()) -> pd.DataFrame:
    """One bound, cached query on the current snapshot (statements live in analysis/overview.py).

    A statement materialised with the snapshot (analysis.overview.MATERIALISED) is read from its table
    when the snapshot's derived tables are current: the same rows, without a pass over every observation.
    """
    signature = _signature()
    if statement in overview.MATERIALISED and _derived_current(signature):
        statement = overview.MATERIALISED[statement][2]
    return _sql_cached(statement, tuple(params), signature)


@st.cache_data(ttl=TTL, max_entries=128, show_spinner=False)
def _compare_cached(signature: tuple[int, int] | None, indicator: str, design: str, by: tuple[str, ...],
                    program: str | None, pre: str | None, post: str | None,
                    level: str, min_cell: int = MIN_CELL) -> tuple[pd.DataFrame | None, str | None, bool]:
    """(frame, CompareError reason, failed): failures are cached too, so they are computed and logged once."""
    try:
        frame = compare(connection(), indicator, design=design, by=list(by) or None, program=program, pre=pre,
                        post=post, level=level, min_cell=min_cell)
    except CompareError as exc:
        return None, str(exc), False
    except Exception:  # an analysis bug must not show a traceback to a decision-maker
        log.exception("compare(%s, %s, by=%s, program=%s, pre=%s, post=%s) failed", indicator, design, by,
                      program, pre, post)
        return None, None, True
    return frame, None, False


@dataclass
class Outcome:
    """A compare() result, or why there is none: ``errors`` are CompareError reasons (the request
    cannot be answered), ``failed`` counts unexpected failures (logged)."""

    frame: pd.DataFrame | None
    errors: list[str] = field(default_factory=list)
    failed: int = 0

    @property
    def ok(self) -> bool:
        return self.frame is not None and not self.frame.empty


def compare_result(indicator: str, design: str = "did", by: str | list[str] | None = None,
                   program: str | None = None, pre: str | None = None, post: str | None = None,
                   level: str = "all") -> Outcome:
    """compare() on the current snapshot, cached; errors become an :class:`Outcome` without a frame."""
    by_t = tuple([by] if isinstance(by, str) else list(by or []))
    frame, reason, failed = _compare_cached(_signature(), indicator, design, by_t, program, pre, post, level,
                                            access.min_cell())
    return Outcome(frame, [reason] if reason else [], int(failed))


# --- what the database holds -----------------------------------------------------------------------------

def indicators() -> pd.DataFrame:
    """Indicators with observations (level 'all'): code, domain, kind, labels, student_level, uses_waves."""
    return sql(overview.INDICATORS_PRESENT_SQL)


def indicator_info(code: str) -> dict | None:
    frame = indicators()
    rows = frame[frame["code"] == code]
    return None if rows.empty else rows.iloc[0].to_dict()


def programmes() -> pd.DataFrame:
    """Programmes (not the comparison group) with country and first/last start year."""
    return sql(overview.PROGRAMME_STARTS_SQL)


def programme_names() -> list[str]:
    from analysis.figures import programme_order

    return programme_order(programmes()["program"])


def windows(indicator: str) -> dict[tuple[str, str], tuple[int, int, int, int] | None]:
    """Pre and post year windows per (programme, country) for a yearly indicator; None with waves.

    Pre = the country's first year of data to the year before the programme's first start; post = the
    programme's last start year to the last year of data. With staggered starts (ValleLabs 2019–2021)
    this compares "before any lab" with "after every lab started", the same calendar years for the
    comparison units, in one estimate (compare() would otherwise give one row per start-year cohort).
    """
    info = indicator_info(indicator)
    out: dict[tuple[str, str], tuple[int, int, int, int] | None] = {}
    years = sql(overview.INDICATOR_YEARS_SQL, (indicator,)).set_index("country")
    for row in programmes().itertuples(index=False):
        key = (row.program, row.country)
        if info is None or info["uses_waves"] or row.country not in years.index or pd.isna(row.first_start):
            out[key] = None
            continue
        first, last = int(years.loc[row.country, "first_year"]), int(years.loc[row.country, "last_year"])
        pre = (first, int(row.first_start) - 1)
        post = (int(row.last_start), last)
        out[key] = (*pre, *post) if pre[0] <= pre[1] and post[0] <= post[1] else None
    return out


def window_text(w: tuple[int, int, int, int] | None) -> tuple[str | None, str | None]:
    if w is None:
        return None, None
    return (f"{w[0]}-{w[1]}" if w[0] != w[1] else str(w[0])), (f"{w[2]}-{w[3]}" if w[2] != w[3] else str(w[2]))


def programme_results(indicator: str, design: str = "did", by: str | list[str] | None = None,
                      level: str = "all") -> Outcome:
    """compare() for every programme with consistent windows (:func:`windows`), rows concatenated.

    Wave-based indicators (linked students) need no windows: one call. Yearly indicators: one call per
    programme with its windows (the comparison units of its country on the same years).
    """
    info = indicator_info(indicator)
    if info is None:
        return Outcome(None, [f"no data for indicator '{indicator}'"])
    if info["uses_waves"]:
        return compare_result(indicator, design, by, level=level)
    frames, errors, failed = [], [], 0
    for (program, _country), w in windows(indicator).items():
        pre, post = window_text(w)
        res = compare_result(indicator, design, by, program=program, pre=pre, post=post, level=level)
        errors += res.errors
        failed += res.failed
        if res.frame is not None:
            frames.append(res.frame)
    frames = [f for f in frames if not f.empty]
    frame = pd.concat(frames, ignore_index=True) if frames else None
    return Outcome(frame, errors, failed)


def show_problem(outcome: Outcome) -> None:
    """Tell the user, in their language, why a result is missing (no traceback)."""
    for reason in dict.fromkeys(outcome.errors):
        st.info(t("error.compare", reason=reason), icon=":material/info:")
    if outcome.failed:
        st.warning(t("error.compute"), icon=":material/warning:")
    if outcome.frame is not None and outcome.frame.empty and not outcome.errors:
        st.info(t("error.no_rows"), icon=":material/info:")


# --- unit-level data for the charts ------------------------------------------------------------------------

def _student_waves_derived(info: dict) -> bool:
    """True when the per-school derived tables can answer for this indicator: it has waves, only student
    rows (the tables hold student rows only), and the snapshot's derived tables are current."""
    return (bool(info.get("uses_waves")) and info.get("student_observations") == info.get("observations")
            and _derived_current(_signature()))


def unit_periods(indicator: str, country: str, w: tuple[int, int, int, int] | None,
                 field_name: str | None = None, value: str | None = None) -> pd.DataFrame:
    info = indicator_info(indicator) or {}
    waves = bool(info.get("uses_waves"))
    if not waves and w is None:
        return pd.DataFrame(columns=["unit_id", "name", "program", "country", "lab_type", "start_year", "period",
                                     "n", "mean", "sd"])
    f = field_name if value is not None else None
    params = overview.unit_period_params(indicator, country, None if waves else w, f, value)
    pooled = overview.unit_period_derived_sql(f)
    if pooled and _student_waves_derived(info):
        return sql(pooled, params)  # linked-student waves: pooled from the per unit x year cells
    return sql(overview.unit_period_sql(waves, f), params)


def histogram(indicator: str, country: str, w: tuple[int, int, int, int] | None,
              field_name: str | None = None, value: str | None = None) -> pd.DataFrame:
    info = indicator_info(indicator) or {}
    waves = bool(info.get("uses_waves"))
    if not waves and w is None:
        return pd.DataFrame(columns=["program", "period", "bin", "lo", "hi", "count"])
    f = field_name if value is not None else None
    binned = overview.histogram_derived_sql(f)
    if binned and _student_waves_derived(info):
        return sql(binned, overview.unit_period_params(indicator, country, None, f, value))
    return sql(overview.histogram_sql(waves, f), overview.histogram_params(indicator, country, None if waves
                                                                             else w, f, value))


def group_values(field_name: str, indicator: str) -> list[str]:
    """Distinct values of a grouping field (or student attribute) for the indicator's data."""
    if field_name in overview.GROUP_VALUES_SQL:
        frame = sql(overview.GROUP_VALUES_SQL[field_name], (indicator,))
    else:
        frame = sql(overview.ATTRIBUTE_VALUES_SQL, (field_name,))
    return sorted(str(v) for v in frame["value"].dropna())


def student_attributes() -> list[str]:
    return list(sql(overview.STUDENT_ATTRIBUTE_NAMES_SQL)["name"])
