"""Finishing every design's result the same way: plain-language numbers, context flags, the evidence
badge, reliability, disclosure suppression and q-values — one vectorised implementation for all designs.

A design's ``run`` hands :func:`finish` a frame with its own columns plus the few this module reads:
``pre_years`` / ``post_years`` (the years of each window), ``attrition_rating`` (the WWC rating as a
string, or missing), ``n_students`` (the students an estimate rests on), the student cells the row rests
on for disclosure control (``cell_treated_pre`` … ``cell_comparison_post`` for a two-arm design, else
``n_pre`` / ``n_post`` / ``n_linked``, else ``min_cell_students``: analysis/compare/suppression.py), and an
:class:`Evidence` naming its cluster columns.
Rows are often one per school (40,000 at national scale): every step works on whole columns, and
values shared by many rows (years, badge facts) are converted once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import stats
from analysis.compare import suppression
from analysis.compare.request import Evidence, Request
from analysis.plain_language import MISSING_REASONS

MIN_UNITS = 5
MIN_STUDENTS_RELIABLE = 30
PANDEMIC_YEARS = (2020, 2021)
SABER_SCALE_CHANGE = 2014  # second half of 2014: new Saber 11 scale (METHODS.md, "Context flags")
COMPOSITION_CHANGE = 0.20
FLAGS = ("pandemic_years", "saber_scale_change", "composition_change", "selection_low_baseline",
         "pretrends_differ", "inference_not_reliable", "no_variation",
         "icc_assumed")  # in the order a row lists them (ui/locales: flag.<name>)
PRE_MEANS = ("mean_treated_pre", "mean_comparison_pre", "mean_pre")
POST_MEANS = ("mean_treated_post", "mean_comparison_post", "mean_post")
EMPTY_WINDOW = ("no_pre_data", "no_post_data")  # reasons that rate a row insufficient whatever its design
SELECTION_BASELINE_G = -0.05  # a programme that starts this far below its comparison was selected low
VALUE_COLUMNS_SUPPRESSED = (
    "mean_pre", "mean_post", "diff", "diff_ci_low", "diff_ci_high", "diff_se", "df", "p_value", "q_value",
    "effect_size", "es_ci_low", "es_ci_high", "improvement_index", "months_progress", "n_pre", "n_post", "n_linked",
    "attrition", "estimate", "se", "ci_low", "ci_high", "wild_p_value", "mean_treated_pre", "mean_treated_post",
    "mean_comparison_pre", "mean_comparison_post", "p_value_naive", "p_value_icc_corrected", "baseline_g",
    "baseline_equivalence", "differential_attrition", "attrition_rating", "n_units", "n_clusters", "n_treated",
    "n_comparison", "icc", "design_effect", "pretrend_diff", "pretrend_ci_low", "pretrend_ci_high", "pretrend_p",
    "pretrend_significant", "inference_reliable", "icc_source",
)  # every statistic of a cell: empty on a suppressed row (compare/suppression.py)
SCALE_BREAK_COLUMNS = ("diff", "diff_ci_low", "diff_ci_high", "diff_se", "df", "p_value", "effect_size", "es_ci_low",
                       "es_ci_high", "improvement_index", "months_progress", "estimate", "ci_low", "ci_high", "se",
                       "wild_p_value")
COUNT_COLUMNS = ("n_units", "n_pre", "n_post", "n_linked", "n_clusters", "n_treated", "n_comparison")


def finish(frame: pd.DataFrame, req: Request, keys: list[str], evidence: Evidence) -> pd.DataFrame:
    """Improvement index, months of progress, flags, evidence badge, reliability, suppression, q-values."""
    frame = frame.copy()
    g = frame["effect_size"].where(frame["effect_size_kind"] == "hedges_g") if "effect_size" in frame else None
    if g is not None:
        frame["improvement_index"] = stats.improvement_index(g.to_numpy(dtype=float))
        frame["months_progress"] = stats.eef_months(g.to_numpy(dtype=float))
    frame["flags"] = flags(frame, req)
    # Saber 11 scale change: never difference scores across the 2014 change
    scale_break = frame["flags"].str.contains("saber_scale_change", regex=False).to_numpy(dtype=bool)
    for c in SCALE_BREAK_COLUMNS:
        if c in frame and scale_break.any():
            frame.loc[scale_break, c] = np.nan
    marks = badges(frame, evidence)
    frame["evidence"] = [b[0] for b in marks]
    frame["evidence_reasons"] = [", ".join(b[1]) for b in marks]
    frame["reliability"] = reliability(frame, req, evidence)
    frame = suppress(frame, req, keys)
    frame["q_value"] = stats.bh_qvalues(inference_p(frame)) if "p_value" in frame else np.nan
    for c in COUNT_COLUMNS:
        if c in frame:
            frame[c] = pd.to_numeric(frame[c], errors="coerce").round().astype("Int64")
    return frame


def inference_p(frame: pd.DataFrame) -> np.ndarray:
    """The p-value each row's inference rests on: the wild cluster bootstrap's where it was run (few
    clusters: docs/METHODS.md), else the cluster-robust one; what the BH q-values are computed from."""
    p = _float(frame, "p_value")
    wild = _float(frame, "wild_p_value")
    return np.where(~np.isnan(wild) & ~np.isnan(p), wild, p)


def _float(frame: pd.DataFrame, column: str | None) -> np.ndarray:
    """A column as floats (NaN where missing or absent)."""
    if column is None or column not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _values(frame: pd.DataFrame, column: str | None) -> list:
    """A column's values as Python objects (None where the column is absent)."""
    return frame[column].tolist() if column is not None and column in frame else [None] * len(frame)


def _years(value) -> tuple[int, ...]:
    """A window's years as ints: DuckDB lists arrive as numpy arrays, rows without a window as NaN."""
    if value is None or (isinstance(value, float) and value != value):
        return ()
    return tuple(int(y) for y in value if y is not None and y == y)


def _present(value) -> bool:
    return value is not None and value == value


def flags(frame: pd.DataFrame, req: Request) -> pd.Series:
    """Context flags of every row: pandemic years, Saber 11 scale change, composition change, selection on
    a low baseline, differing pre-trends, no reliable inference (METHODS.md, "Context flags")."""
    seen: dict[int, tuple] = {}  # rows often share one list object (one per window): convert it once

    def years(value) -> tuple:
        if id(value) not in seen:
            seen[id(value)] = _years(value)
        return seen[id(value)]

    pre = [years(v) for v in _values(frame, "pre_years")]
    post = [years(v) for v in _values(frame, "post_years")]
    by_years: dict[tuple, tuple[bool, bool]] = {}
    pandemic, saber = [], []
    for a, b, country in zip(pre, post, _values(frame, "country"), strict=True):
        if (a, b, country) not in by_years:
            # 2014 itself straddles the change (first-half sittings old scale, second-half new scale)
            by_years[(a, b, country)] = (
                any(y in PANDEMIC_YEARS for y in a + b),
                country == "CO" and req.indicator.startswith("score_") and bool(a) and bool(b)
                and min(a) <= SABER_SCALE_CHANGE <= max(b) and not req.student_level)
        pandemic.append(by_years[(a, b, country)][0])
        saber.append(by_years[(a, b, country)][1])
    n_pre = _float(frame, "students_pre" if "students_pre" in frame else "n_pre")
    n_post = _float(frame, "students_post" if "students_post" in frame else "n_post")
    with np.errstate(divide="ignore", invalid="ignore"):
        composition = ((n_pre != 0) & (n_post != 0) & ~np.isnan(n_pre) & ~np.isnan(n_post)
                       & (np.abs(n_post - n_pre) / n_pre > COMPOSITION_CHANGE))
    selection = _float(frame, "baseline_g") < SELECTION_BASELINE_G
    pretrends = [_present(v) and bool(v) for v in _values(frame, "pretrend_significant")]
    notes = _values(frame, "note_inference")
    inference = [note == "inference_not_reliable" or (reliable is False and note != "no_variation")
                 for note, reliable in zip(notes, _values(frame, "inference_reliable"), strict=True)]
    no_variation = [note == "no_variation" for note in notes]
    icc_assumed = [source == "default" for source in _values(frame, "icc_source")]
    out = [", ".join(name for name, on in zip(FLAGS, row, strict=True) if on)
           for row in zip(pandemic, saber, composition.tolist(), selection.tolist(), pretrends, inference,
                          no_variation, icc_assumed, strict=True)]
    return pd.Series(out, index=frame.index, dtype=object)


def _int(value) -> int | None:
    return int(value) if _present(value) else None


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def missing_reasons(frame: pd.DataFrame, evidence: Evidence) -> np.ndarray:
    """Why each row has no estimate (one of :data:`MISSING_REASONS`, else ``no_estimate``): a side of the
    comparison with no school (0 units, or a DiD row with no comparison school in its country), or a mean
    before or after that is missing (an empty window on one side). Rows with an estimate get it too; only
    rows without one read it (:func:`badges`)."""
    treated, comparison = _float(frame, evidence.treated), _float(frame, evidence.comparison)
    n = len(frame)
    pre = np.zeros(n, dtype=bool)
    post = np.zeros(n, dtype=bool)
    for c in PRE_MEANS:
        pre |= np.isnan(_float(frame, c)) if c in frame else False
    for c in POST_MEANS:
        post |= np.isnan(_float(frame, c)) if c in frame else False
    return np.select([treated == 0, comparison == 0, pre, post], list(MISSING_REASONS), "no_estimate")


def badges(frame: pd.DataFrame, evidence: Evidence) -> list[tuple[str, list[str]]]:
    """The evidence badge and its reasons for every row; each distinct set of facts is rated once. A row
    without an estimate, or with an empty window (no mean before or after: a pre/post names no estimate column),
    is ``insufficient`` for the reason :func:`missing_reasons` gives. A Saber 11 scale-change row keeps both
    means, so its badge is still rated on the design's facts (docs/METHODS.md, "Evidence checks")."""
    why = missing_reasons(frame, evidence).tolist()
    estimates = _values(frame, evidence.estimate) if evidence.estimate else [0.0] * len(frame)
    missing = [not _present(v) or w in EMPTY_WINDOW for v, w in zip(estimates, why, strict=True)]
    pretrends = [None if v is None else not v for v in _values(frame, evidence.pretrends)]
    # an estimate without inference (no variation within the cells): no evidence either way, whatever the design
    still = ["no_variation" in (_text(v) or "").split(", ") for v in _values(frame, "flags")]
    missing = [why[i] if m else None for i, m in enumerate(missing)]
    rows = zip(missing, still, map(_int, _values(frame, evidence.treated)),
               map(_int, _values(frame, evidence.comparison)), map(_text, _values(frame, "attrition_rating")),
               map(_text, _values(frame, evidence.baseline)), pretrends, strict=True)
    cache: dict[tuple, tuple[str, list[str]]] = {}
    out = []
    for key in rows:
        if key not in cache:
            no_estimate, no_variation, treated, comparison, attrition, baseline, pretrends_ok = key
            cache[key] = ("insufficient", [no_estimate]) if no_estimate else (
                ("insufficient", ["no_variation"]) if no_variation else stats.evidence_badge(
                stats.EvidenceFacts(design=evidence.design, n_treated_clusters=treated,
                                    n_comparison_clusters=comparison, attrition=attrition, baseline=baseline,
                                    baseline_adjusted=None, clustering_handled=True, pretrends_ok=pretrends_ok)))
        out.append(cache[key])
    return out


def reliability(frame: pd.DataFrame, req: Request, evidence: Evidence) -> list[str]:
    """Low under 30 students or 5 units (the smaller side of a comparison decides), else ok."""
    units = np.fmin(_float(frame, evidence.treated), _float(frame, evidence.comparison))
    low = ~np.isnan(units) & (units < MIN_UNITS)
    if req.student_level:
        students = _float(frame, "n_students")
        low |= ~np.isnan(students) & (students < MIN_STUDENTS_RELIABLE)
    return np.where(low, "low", "ok").tolist()


def suppress(frame: pd.DataFrame, req: Request, keys: list[str]) -> pd.DataFrame:
    """Primary and complementary suppression of the student cells (analysis.compare.suppression); rates
    published per territory are not suppressed (docs/METHODS.md, "Disclosure avoidance")."""
    if not req.student_level or frame.empty:
        frame = frame.copy()
        frame["suppression_reason"] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
        return frame
    return suppression.suppress(frame, list(req.by), req.min_cell, req.margins, req.published)
