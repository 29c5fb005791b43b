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

from analysis import queries
from analysis.compare import CompareError, compare
from analysis.disclosure import MIN_CELL
from analysis.precompute import checks, materialised, serving, standard_results
from analysis.precompute.codec import Stored
from analysis.precompute.fingerprints import signatures
from ui import access, messages
from ui.db import connection, cursor, db_path, query, signature
from ui.i18n import current_language, t

log = logging.getLogger("lablens.ui")

TTL = 600


def _signature() -> tuple[int, int] | None:
    connection()  # make sure a database exists (demo on first run)
    return signature()


# Query and compare() results are shared between reruns and sessions (cache_resource) and handed out as
# shallow copies: with pandas' copy-on-write a caller that changes its copy never changes the cached frame,
# and a rerun no longer unpickles a copy of every frame it reads (cache_data did: 0.15-0.2 s per rerun of
# Escuelas for its 40,000-school result at national scale; issue #6).
@st.cache_resource(ttl=TTL, max_entries=96, show_spinner=False)
def _sql_cached(sql: str, params: tuple, signature: tuple[int, int] | None) -> pd.DataFrame:
    return query(sql, list(params))


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def _kept_checks(signature: tuple[int, int] | None) -> dict | None:
    """The writer's checks of this snapshot (analysis.precompute.checks), read once per snapshot."""
    return checks.read(db_path(), signature)


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def _derived_current(signature: tuple[int, int] | None) -> bool:
    """Whether the snapshot's derived tables describe its rows (analysis.precompute.materialised.current), once
    per snapshot; the writer's verdict when it still describes this file (analysis.precompute.serving)."""
    return serving.derived_current(_kept_checks(signature), _compute_derived_current)


def _compute_derived_current() -> bool:
    try:
        with cursor() as cur:
            return materialised.current(cur)
    except duckdb.Error:
        log.exception("checking the derived tables failed; reading the raw rows")
        return False


def sql(statement: str, params: tuple | list = ()) -> pd.DataFrame:
    """One bound, cached query on the current snapshot (statements live in analysis/queries.py).

    A statement materialised with the snapshot (analysis.precompute.materialised) is read from its table
    when the snapshot's derived tables are current: the same rows, without a pass over every observation.
    """
    signature = _signature()
    statement = serving.served_statement(statement, lambda: _derived_current(signature))
    return _sql_cached(statement, tuple(params), signature).copy(deep=False)


@st.cache_resource(ttl=TTL, max_entries=128, show_spinner=False)
def _compare_cached(signature: tuple[int, int] | None, indicator: str, design: str, by: tuple[str, ...],
                    program: str | None, pre: str | None, post: str | None,
                    level: str, min_cell: int = MIN_CELL) -> tuple[pd.DataFrame | None, str | None, bool]:
    """(frame, CompareError reason, failed): failures are cached too, so they are computed and logged once.
    A result stored with the snapshot for this very request and data (analysis.precompute.standard_results) is read
    instead of computed."""
    stored = _stored_result(signature, indicator, standard_results.request_key(
        indicator, design, by, program, pre, post, level, min_cell))
    if stored is not None:
        return stored.frame, stored.error, False
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


@st.cache_data(ttl=TTL, max_entries=4, show_spinner=False)
def _stored_signatures(signature: tuple[int, int] | None) -> dict[str, str]:
    """Per indicator with stored results, the signature of its current data (one scan, once per snapshot;
    none when the writer's checks still describe this file: analysis.precompute.serving)."""
    return serving.stored_signatures(_kept_checks(signature), _compute_stored_signatures)


def _compute_stored_signatures() -> dict[str, str]:
    try:
        with cursor() as cur:
            return signatures(cur, standard_results.stored_indicators(cur))
    except duckdb.Error:
        log.exception("checking the stored results failed; computing every result live")
        return {}


def _stored_result(signature: tuple[int, int] | None, indicator: str, key: str) -> Stored | None:
    """The result stored with the snapshot for this request and data, or None (then it is computed)."""
    sigs = _stored_signatures(signature)
    if indicator not in sigs:
        return None
    try:
        with cursor() as cur:
            return standard_results.lookup(cur, key, sigs[indicator])
    except Exception:  # a damaged stored row: compute the result, never show a traceback
        log.exception("reading the stored result %s failed; computing it live", key)
        return None


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


def _by_tuple(by: str | list[str] | None) -> tuple[str, ...]:
    """A grouping given as one field, a list or None, as the tuple the caches and requests are keyed by."""
    return tuple([by] if isinstance(by, str) else list(by or []))


def compare_result(indicator: str, design: str = "did", by: str | list[str] | None = None,
                   program: str | None = None, pre: str | None = None, post: str | None = None,
                   level: str = "all") -> Outcome:
    """compare() on the current snapshot, cached; errors become an :class:`Outcome` without a frame."""
    frame, reason, failed = _compare_cached(_signature(), indicator, design, _by_tuple(by), program, pre, post, level,
                                            access.min_cell())
    return Outcome(None if frame is None else frame.copy(deep=False), [reason] if reason else [], int(failed))


# --- what the database holds -----------------------------------------------------------------------------

def indicators() -> pd.DataFrame:
    """Indicators with observations (level 'all'): code, domain, kind, labels, student_level, uses_waves."""
    return sql(queries.INDICATORS_PRESENT_SQL)


def indicator_names() -> dict[str, str]:
    """Indicator code -> name in the session's language, for every indicator of the catalogue."""
    frame = sql(queries.INDICATOR_NAMES_SQL)
    label = frame["label_en" if current_language() == "en" else "label_es"]
    return {c: n for c, n in zip(frame["code"], label, strict=True) if isinstance(n, str) and n}


def indicator_info(code: str) -> dict | None:
    frame = indicators()
    rows = frame[frame["code"] == code]
    return None if rows.empty else rows.iloc[0].to_dict()


def programmes() -> pd.DataFrame:
    """Programmes (not the comparison group) with country and first/last start year."""
    return sql(queries.PROGRAMME_STARTS_SQL)


def programme_names() -> list[str]:
    from analysis.periods import programme_order

    return programme_order(programmes()["program"])


def windows(indicator: str) -> dict[tuple[str, str], tuple[int, int, int, int] | None]:
    """Pre and post year windows per (programme, country) for a yearly indicator; None with waves
    (:func:`analysis.precompute.standard_results.programme_windows`, which the snapshot writer uses too)."""
    info = indicator_info(indicator)
    if info is None:
        return {(r.program, r.country): None for r in programmes().itertuples(index=False)}
    return standard_results.programme_windows(bool(info["uses_waves"]),
                                              sql(queries.INDICATOR_YEARS_SQL, (indicator,)), programmes())


window_text = standard_results.window_text


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
    for req in standard_results.programme_requests(indicator, design, _by_tuple(by), False, windows(indicator),
                                                   level):
        res = compare_result(indicator, design, by, program=req.program, pre=req.pre, post=req.post, level=level)
        errors += res.errors
        failed += res.failed
        if res.frame is not None:
            frames.append(res.frame)
    frames = [f for f in frames if not f.empty]
    frame = pd.concat(frames, ignore_index=True) if frames else None
    return Outcome(frame, errors, failed)


def trial_results(indicator: str) -> pd.DataFrame | None:
    """The randomised trial's rows of ``indicator`` (compare(design="rct"), the stored request
    :func:`analysis.precompute.standard_results.trial_request`), or None when the database holds no trial of it."""
    req = standard_results.trial_request(indicator)
    res = compare_result(indicator, req.design, req.by, program=req.program, pre=req.pre, post=req.post,
                         level=req.level)
    return res.frame if res.frame is not None and not res.frame.empty else None


def show_problem(outcome: Outcome) -> None:
    """Tell the user, in their language, why a result is missing (no traceback)."""
    for reason in dict.fromkeys(outcome.errors):
        st.info(t("error.compare", reason=messages.reason(reason, indicator_names())), icon=":material/info:")
    if outcome.failed:
        st.warning(t("error.compute"), icon=":material/warning:")
    if outcome.frame is not None and outcome.frame.empty and not outcome.errors:
        st.info(t("error.no_rows"), icon=":material/info:")


# --- unit-level data for the charts ------------------------------------------------------------------------

def _student_waves_derived(info: dict) -> bool:
    """True when the per-school derived tables can answer for this indicator: it has waves, only student
    rows (the tables hold student rows only), and the snapshot's derived tables are current."""
    return serving.per_school_tables_serve(info, lambda: _derived_current(_signature()))


def unit_periods(indicator: str, country: str, w: tuple[int, int, int, int] | None,
                 field_name: str | None = None, value: str | None = None) -> pd.DataFrame:
    info = indicator_info(indicator) or {}
    waves = bool(info.get("uses_waves"))
    if not waves and w is None:
        return pd.DataFrame(columns=["unit_id", "name", "program", "country", "lab_type", "start_year", "period",
                                     "n", "mean", "sd"])
    f = field_name if value is not None else None
    params = queries.unit_period_params(indicator, country, None if waves else w, f, value)
    pooled = queries.unit_period_derived_sql(f)
    if pooled and _student_waves_derived(info):
        return sql(pooled, params)  # linked-student waves: pooled from the per unit x year cells
    return sql(queries.unit_period_sql(waves, f), params)


def histogram(indicator: str, country: str, w: tuple[int, int, int, int] | None,
              field_name: str | None = None, value: str | None = None) -> pd.DataFrame:
    info = indicator_info(indicator) or {}
    waves = bool(info.get("uses_waves"))
    if not waves and w is None:
        return pd.DataFrame(columns=["program", "period", "bin", "lo", "hi", "count"])
    f = field_name if value is not None else None
    binned = queries.histogram_derived_sql(f)
    if binned and _student_waves_derived(info):
        return sql(binned, queries.unit_period_params(indicator, country, None, f, value))
    return sql(queries.histogram_sql(waves, f), queries.histogram_params(indicator, country, None if waves
                                                                             else w, f, value))


def group_values(field_name: str, indicator: str) -> list[str]:
    """Distinct values of a grouping field (or student attribute) for the indicator's data."""
    if field_name in queries.GROUP_VALUES_SQL:
        frame = sql(queries.GROUP_VALUES_SQL[field_name], (indicator,))
    else:
        frame = sql(queries.ATTRIBUTE_VALUES_SQL, (field_name,))
    return sorted(str(v) for v in frame["value"].dropna())


def student_attributes() -> list[str]:
    return list(sql(queries.STUDENT_ATTRIBUTE_NAMES_SQL)["name"])
