"""compare(): pre/post and difference-in-differences results for any indicator, one row per group.

All heavy work is aggregation in DuckDB (sufficient statistics per group, per unit, per period);
pandas only sees the small results, which the vectorised functions of `analysis.stats` turn into
tests, intervals and effect sizes (METHODS.md is the specification).

Output columns (stable; documented in `PREPOST_COLUMNS` / `DID_COLUMNS`):
- keys: ``program``, ``country`` (programmes and countries are never pooled), then the ``by`` fields;
- prepost: design, test, n_units, n_pre, n_post, n_linked, attrition, mean_pre, mean_post, diff,
  diff_ci_low, diff_ci_high, p_value, q_value, effect_size, effect_size_kind, es_ci_low,
  es_ci_high, improvement_index, months_progress, icc, design_effect, reliability, flags,
  evidence, evidence_reasons, pre_window, post_window.
  n_pre / n_post / mean_pre / mean_post describe everybody observed in each window; with linked
  students, diff, its interval, the test and the effect size use the linked students only
  (n_linked), and attrition is the share of pre students missing at post.
- did: estimate, se, ci_low, ci_high, p_value, q_value, wild_p_value, n_clusters, n_treated,
  n_comparison, mean_treated_pre, mean_treated_post, mean_comparison_pre, mean_comparison_post,
  inference_reliable, effect_size, effect_size_kind, es_ci_low, es_ci_high, p_value_naive,
  p_value_icc_corrected, icc, pretrend_diff, pretrend_ci_low, pretrend_ci_high, pretrend_p,
  pretrend_significant, baseline_g, baseline_equivalence, attrition, differential_attrition,
  attrition_rating, reliability, flags, evidence, evidence_reasons, pre_window, post_window, note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analysis import stats
from analysis.db import sufficient
from analysis.db.connect import open_db
from analysis.db.sql import UNIT_PROGRAM_CTE
from analysis.disclosure import MIN_CELL

DESIGNS = ("prepost", "did")
GROUP_FIELDS = {
    "program": "up.program", "lab_type": "up.lab_type", "country": "u.country",
    "department": "u.department", "municipality": "u.municipality", "authority": "u.authority",
    "school": "o.unit_id", "unit": "o.unit_id", "zone": "u.zone", "sex": "o.sex", "grade": "o.grade",
    "level": "o.level", "start_year": "up.start_year",
}
PRE_WAVES = ("pre", "baseline")
POST_WAVES = ("post", "endline")
MIN_UNITS = 5
MIN_STUDENTS_RELIABLE = 30
PANDEMIC_YEARS = (2020, 2021)
SABER_SCALE_CHANGE = 2014  # second half of 2014: new Saber 11 scale (METHODS.md, "Context flags")
COMPOSITION_CHANGE = 0.20

PREPOST_COLUMNS = (
    "design", "test", "n_units", "n_pre", "n_post", "n_linked", "attrition", "mean_pre", "mean_post", "diff",
    "diff_ci_low", "diff_ci_high", "p_value", "q_value", "effect_size", "effect_size_kind", "es_ci_low",
    "es_ci_high", "improvement_index", "months_progress", "icc", "design_effect", "reliability", "flags",
    "evidence", "evidence_reasons", "pre_window", "post_window",
)
DID_COLUMNS = (
    "design", "estimate", "se", "ci_low", "ci_high", "p_value", "q_value", "wild_p_value", "n_clusters",
    "n_treated", "n_comparison", "mean_treated_pre", "mean_treated_post", "mean_comparison_pre",
    "mean_comparison_post", "inference_reliable", "effect_size", "effect_size_kind", "es_ci_low", "es_ci_high",
    "improvement_index", "months_progress", "p_value_naive", "p_value_icc_corrected", "icc", "pretrend_diff",
    "pretrend_ci_low", "pretrend_ci_high", "pretrend_p", "pretrend_significant", "baseline_g",
    "baseline_equivalence", "attrition", "differential_attrition", "attrition_rating", "reliability", "flags",
    "evidence", "evidence_reasons", "pre_window", "post_window", "note",
)
VALUE_COLUMNS_SUPPRESSED = (
    "mean_pre", "mean_post", "diff", "diff_ci_low", "diff_ci_high", "p_value", "q_value", "effect_size",
    "es_ci_low", "es_ci_high", "improvement_index", "months_progress", "n_pre", "n_post", "n_linked",
    "attrition", "estimate", "se", "ci_low", "ci_high", "wild_p_value", "mean_treated_pre", "mean_treated_post",
    "mean_comparison_pre", "mean_comparison_post", "p_value_naive", "p_value_icc_corrected", "baseline_g",
)


class CompareError(ValueError):
    """A request compare() cannot answer, with a one-line reason naming what exists."""


@dataclass(frozen=True)
class Window:
    """A pre or post window: a year range, a set of waves, or 'start_year' (from the roster)."""

    kind: str  # years | waves | start_year
    years: tuple[int, int] | None = None
    waves: tuple[str, ...] | None = None

    def label(self) -> str:
        if self.kind == "years":
            a, b = self.years
            return str(a) if a == b else f"{a}-{b}"
        if self.kind == "waves":
            return "+".join(self.waves)
        return "start_year"


def parse_window(value: object, side: str) -> Window | None:
    """'2016-2019', '2016', 2016, (2016, 2019) or a wave name ('pre', 'baseline') -> Window."""
    if value is None or value == "":
        return None
    if isinstance(value, Window):
        return value
    if isinstance(value, int):
        return Window("years", (value, value))
    if isinstance(value, tuple | list) and len(value) == 2:
        a, b = int(value[0]), int(value[1])
        return Window("years", (min(a, b), max(a, b)))
    text = str(value).strip().lower()
    m = re.fullmatch(r"(\d{4})\s*(?:-|–|:|\.\.)\s*(\d{4})", text)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        if a > b:
            raise CompareError(f"--{side} {value}: the first year must not be after the last")
        return Window("years", (a, b))
    if re.fullmatch(r"\d{4}", text):
        return Window("years", (int(text), int(text)))
    waves = tuple(w.strip() for w in text.split("+"))
    if all(w in PRE_WAVES + POST_WAVES for w in waves):
        return Window("waves", waves=waves)
    raise CompareError(f"--{side} {value!r} is not a year range (2016-2019), a year or a wave "
                       "(pre, post, baseline, endline)")


def _connect(db: duckdb.DuckDBPyConnection | str | Path | None) -> tuple[duckdb.DuckDBPyConnection, bool]:
    if isinstance(db, duckdb.DuckDBPyConnection):
        cur = db.cursor()
        # a cursor does not inherit USE: point it at the published catalog when there is one
        catalogs = {r[0] for r in cur.execute("SELECT database_name FROM duckdb_databases()").fetchall()}
        if "lablens" in catalogs:
            cur.execute("USE lablens").fetchall()
        return cur, True
    return open_db(db), True


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> pd.DataFrame:
    return con.execute(sql, params).df()


# --- request checking ---------------------------------------------------------------------------------

@dataclass
class Request:
    """A validated compare() request."""

    indicator: str
    kind: str
    domain: str
    design: str
    by: list[str]
    attributes: list[str]
    program: str | None
    pre: Window | None
    post: Window | None
    level: str
    student_level: bool
    uses_waves: bool
    min_cell: int
    weighted: bool
    conf_level: float
    derived: bool = False  # the derived tables hold this indicator's current student rows (analysis.derived)


def _check(con: duckdb.DuckDBPyConnection, indicator: str, design: str, by, program, pre, post, level,
           min_cell: int, weighted: bool, conf_level: float) -> Request:
    if design not in DESIGNS:
        raise CompareError(f"design must be one of {', '.join(DESIGNS)}, not '{design}'")
    info = con.execute("SELECT kind, domain FROM indicators WHERE code = ?", [indicator]).fetchall()
    # one scan of the indicator's rows answers every question below (seven scans before: 3 s at 10 M rows)
    rows, levels, student_level, uses_waves, waves, *fingerprint = con.execute(
        f"""SELECT count(*), list(DISTINCT level ORDER BY level), bool_or(student_key IS NOT NULL),
                  bool_or(wave IS NOT NULL), list(DISTINCT wave) FILTER (WHERE wave IS NOT NULL),
                  {sufficient.FINGERPRINT_SQL}
           FROM observations WHERE indicator = ?""", [indicator]).fetchall()[0]
    if not info or not rows:
        present = [r[0] for r in con.execute("SELECT DISTINCT indicator FROM observations ORDER BY 1").fetchall()]
        raise CompareError(f"no data for indicator '{indicator}'; the database has: {', '.join(present) or 'none'}")
    kind, domain = info[0]
    by_list = [b for b in ([by] if isinstance(by, str) else list(by or [])) if b]
    attributes = [r[0] for r in con.execute("SELECT DISTINCT name FROM student_attributes ORDER BY 1").fetchall()]
    unknown = [b for b in by_list if b not in GROUP_FIELDS and b not in attributes]
    if unknown:
        raise CompareError(f"cannot group by {', '.join(unknown)}; choose from {', '.join(GROUP_FIELDS)}"
                           + (f" or a student attribute ({', '.join(attributes)})" if attributes else ""))
    by_list = ["school" if b == "unit" else b for b in by_list]
    by_list = [b for b in dict.fromkeys(by_list) if b not in ("program", "country")]
    level = "all" if level is None else level
    levels = levels or []
    if "level" not in by_list and level not in levels:
        raise CompareError(f"indicator '{indicator}' has no level '{level}'; it has: {', '.join(levels)}")
    if program is not None:
        programs = [r[0] for r in con.execute("SELECT DISTINCT program FROM assignments ORDER BY 1").fetchall()]
        if program not in programs:
            raise CompareError(f"no programme '{program}'; the roster has: {', '.join(programs) or 'none'}")
        if program == "comparison":
            raise CompareError("'comparison' is the comparison group, not a programme")
    student_level, uses_waves, waves = bool(student_level), bool(uses_waves), set(waves or [])
    pre_w, post_w = parse_window(pre, "pre"), parse_window(post, "post")
    if pre_w is None and uses_waves and not waves & set(PRE_WAVES):
        observed = ", ".join(sorted(waves))
        raise CompareError(f"'{indicator}' is only observed after the programme (waves: {observed}); "
                           "before/after and DiD need pre observations — compare programme and comparison "
                           "schools with rates and Wilson intervals (analysis.descriptive.proportions)")
    if design == "did" and "school" in by_list:
        raise CompareError("a DiD by school puts one programme school against the comparison group: no reliable "
                           "inference is possible; use design prepost by school, or DiD by lab_type or department")
    if (pre_w is None) != (post_w is None):
        raise CompareError("give both --pre and --post, or neither (then windows come from waves or each "
                           "unit's start year)")
    if pre_w and pre_w.kind == "years" and post_w.kind == "years" and not (pre_w.years[1] < post_w.years[0]):
        raise CompareError(f"the pre window {pre_w.label()} must end before the post window {post_w.label()} starts")
    if bad := [b for b in by_list if b in attributes and not student_level]:
        raise CompareError(f"{', '.join(bad)} is a student attribute, but '{indicator}' has no student rows")
    if not 0 < conf_level < 1:
        raise CompareError("the confidence level must be between 0 and 1")
    return Request(indicator, kind, domain, design, by_list, [b for b in by_list if b in attributes], program,
                   pre_w, post_w, level, student_level, uses_waves, int(min_cell), weighted, conf_level,
                   student_level and rows == fingerprint[0] and sufficient.usable(con, indicator, tuple(fingerprint)))


# --- SQL builders (plain functions: tested without a database) ----------------------------------------------

def period_sql(pre: Window | None, post: Window | None, uses_waves: bool) -> tuple[str, list]:
    """SQL CASE giving 'pre'/'post'/NULL for an observation, and its bound parameters."""
    if pre is None:
        if uses_waves:
            return ("CASE WHEN o.wave IN ('pre', 'baseline') THEN 'pre' "
                    "WHEN o.wave IN ('post', 'endline') THEN 'post' END"), []
        return ("CASE WHEN o.year < up.start_year THEN 'pre' WHEN o.year >= up.start_year THEN 'post' END"), []
    parts, params = [], []
    for label, w in (("pre", pre), ("post", post)):
        if w.kind == "years":
            parts.append(f"WHEN o.year BETWEEN ? AND ? THEN '{label}'")
            params += list(w.years)
        else:
            parts.append(f"WHEN o.wave IN ({', '.join('?' for _ in w.waves)}) THEN '{label}'")
            params += list(w.waves)
    return "CASE " + " ".join(parts) + " END", params


def observations_sql(req: Request, country_cohort: int | None = None) -> tuple[str, list, list[str]]:
    """The filtered observations with period and group columns g0..gk; returns (sql, params, group names).

    Aggregate rows keep only totals (sex and grade NULL) unless grouped by them, so subgroup rows are
    never pooled with totals; level 'all' means the total rows only.
    """
    period, params = period_sql(req.pre, req.post, req.uses_waves)
    select_groups, names, joins, jparams = [], [], [], []
    for i, field in enumerate(req.by):
        if field in req.attributes:
            joins.append(f"LEFT JOIN (SELECT student_key, any_value(value) AS value FROM student_attributes "
                         f"WHERE name = ? GROUP BY student_key) sa{i} ON sa{i}.student_key = o.student_key")
            jparams.append(field)
            select_groups.append(f"sa{i}.value AS g{i}")
        else:
            select_groups.append(f"{GROUP_FIELDS[field]} AS g{i}")
        names.append(field)
    where = ["o.indicator = ?"]
    wparams: list = [req.indicator]
    if "level" in req.by:
        where.append("o.level <> 'all'")
    else:
        where.append("o.level = ?")
        wparams.append(req.level)
    if not req.student_level:
        if "sex" not in req.by:
            where.append("o.sex IS NULL")
        else:
            where.append("o.sex IS NOT NULL")
        if "grade" not in req.by:
            where.append("o.grade IS NULL")
        else:
            where.append("o.grade IS NOT NULL")
    if req.program is not None:
        if req.design == "did":
            where.append("up.program IN (?, 'comparison')")
        else:
            where.append("up.program = ?")
        wparams.append(req.program)
    sql = f"""WITH {UNIT_PROGRAM_CTE}
SELECT o.unit_id, o.student_key, o.year, o.value, o.n, up.program, u.country, up.start_year,
       {period} AS period{''.join(', ' + g for g in select_groups)}
FROM observations o
JOIN units u ON u.unit_id = o.unit_id
JOIN up ON up.unit_id = o.unit_id
{' '.join(joins)}
WHERE {' AND '.join(where)}"""
    return sql, params + jparams + wparams, names


# --- public entry point -------------------------------------------------------------------------------------

def compare(db, indicator: str, design: str = "prepost", by=None, program: str | None = None, pre=None,
            post=None, level: str | None = "all", *, min_cell: int = MIN_CELL, weighted: bool = False,
            conf_level: float = 0.95, icc: float | None = None) -> pd.DataFrame:
    """Pre/post or difference-in-differences results for `indicator`, one row per programme x group.

    ``db`` is a connection or a database path (opened read-only). See the module docstring for the
    columns. Raises CompareError with a one-line reason for unknown indicators, programmes, groups or
    empty windows.
    """
    con, _ = _connect(db)
    try:
        req = _check(con, indicator, design, by, program, pre, post, level, min_cell, weighted, conf_level)
        if design == "prepost":
            result = _prepost(con, req)
        else:
            result = _did(con, req, icc)
    finally:
        con.close()
    return result


def _keys(req: Request) -> list[str]:
    return ["program", "country", *req.by]


def _group_cols(names: list[str]) -> list[str]:
    return [f"g{i}" for i in range(len(names))]


def _rename_groups(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    return frame.rename(columns={f"g{i}": n for i, n in enumerate(names)})


# --- pre/post ---------------------------------------------------------------------------------------------------

def _prepost(con: duckdb.DuckDBPyConnection, req: Request) -> pd.DataFrame:
    base, params, names = observations_sql(req)
    gcols = _group_cols(names)
    keys = ["program", "country", *gcols]
    kl = ", ".join(keys)
    if req.student_level:
        frame = _prepost_students(con, req, base, params, keys, kl)
    else:
        frame = _prepost_units(con, req, base, params, keys, kl)
    if frame.empty:
        raise CompareError(_empty_reason(con, req))
    frame = _rename_groups(frame, names)
    frame["pre_window"] = req.pre.label() if req.pre else ("waves" if req.uses_waves else "before start_year")
    frame["post_window"] = req.post.label() if req.post else ("waves" if req.uses_waves else "from start_year")
    frame = _finish(frame, req, _keys(req))
    for side in ("pre_years", "post_years"):  # DuckDB's lists arrive as arrays: lists on every route
        frame[side] = [v.tolist() if isinstance(v, np.ndarray) else v for v in frame[side]]
    return frame[[*_keys(req), *PREPOST_COLUMNS, "pre_years", "post_years"]].reset_index(drop=True)


# Sufficient statistics of one group over per-student (or per-unit) window values v_pre / v_post:
# everybody observed in each window, and the linked ones (present in both) for the paired test.
_LINKED = "v_pre IS NOT NULL AND v_post IS NOT NULL"
WINDOW_STATS_SQL = f"""count(*) FILTER (WHERE {_LINKED}) AS n_linked,
               avg(v_pre) AS mean_pre, avg(v_post) AS mean_post,
               stddev_samp(v_pre) AS sd_pre, stddev_samp(v_post) AS sd_post,
               avg(v_pre) FILTER (WHERE {_LINKED}) AS lmean_pre, avg(v_post) FILTER (WHERE {_LINKED}) AS lmean_post,
               stddev_samp(v_pre) FILTER (WHERE {_LINKED}) AS lsd_pre,
               stddev_samp(v_post) FILTER (WHERE {_LINKED}) AS lsd_post,
               avg(v_post - v_pre) AS mean_diff, stddev_samp(v_post - v_pre) AS sd_diff,
               corr(v_pre, v_post) AS r,"""


def _prepost_students(con, req: Request, base: str, params: list, keys: list[str], kl: str) -> pd.DataFrame:
    """Linked students: paired t on within-student differences; clustering by school in the effect size.

    One pass over the rows: DuckDB pairs each student's pre and post values and reduces them to
    sufficient statistics per group and school (counts, means, centred sums of squares and
    cross-products, a bit mask of the years tested); numpy pools the schools of each group (Chan,
    Golub & LeVeque's pairwise update, numerically stable) and computes every group's ICC at once.
    Years travel as a 64-bit mask of ``year % 64``; student data whose years span 64 years or more
    take the exact list-based route instead.
    """
    student_first = _student_first_sql(req, keys, kl)
    sql, sql_params = student_first if student_first else (_student_school_stats_sql(base, keys, kl), params)
    per_school = _fetch(con, sql, sql_params)
    if per_school.empty:
        return per_school
    span = (per_school["year_max"] - per_school["year_min"]).max()
    if pd.notna(span) and span >= 64:  # NA: no student row has a year (waves only)
        return _prepost_students_lists(con, req, base, params, keys, kl)
    groups, clusters = _combine_school_stats(per_school, keys)
    return _prepost_students_result(groups, clusters, req, keys)


def _unit_level_groups(req: Request) -> bool:
    """True when every group field is the school or an attribute of the unit (not of the row or student)."""
    return all(f == "school" or (f not in req.attributes and GROUP_FIELDS[f].startswith(("u.", "up.")))
               for f in req.by)


def _student_first_sql(req: Request, keys: list[str], kl: str) -> tuple[str, list] | None:
    """The per-school statistics of _student_school_stats_sql, grouping the observations before any join.

    Students are paired and reduced to per-school moments straight from ``observations``; the unit
    table (tens of thousands of rows) is joined to those per-school rows afterwards, instead of joining
    every observation row first (at 10 M rows: 6.3 s of DuckDB CPU time instead of 11.1 s; the
    hand-written pairing query takes 4.5 s). With the default wave windows and current derived tables
    (analysis.derived) the per-school moments are read precomputed instead. Applies when every group
    field and the period depend on the unit or the observation's own year/wave only; otherwise None
    (the joined route).
    """
    if not _unit_level_groups(req) or (req.pre is None and not req.uses_waves) or not req.student_level:
        return None
    groups = [("per.unit_id" if f == "school" else GROUP_FIELDS[f]) + f" AS g{i}" for i, f in enumerate(req.by)]
    program_filter = "WHERE up.program = ?" if req.program is not None else ""
    if req.derived and req.pre is None:
        per = f"SELECT * EXCLUDE (indicator, level) FROM {sufficient.MOMENTS_TABLE} WHERE indicator = ? AND level = ?"
        params: list = []
    else:
        period, params = period_sql(req.pre, req.post, req.uses_waves)
        per = f"""WITH b AS (SELECT o.unit_id, o.student_key, o.year, o.value, {period} AS period
                  FROM observations o WHERE o.indicator = ? AND o.level = ?),
            s AS (SELECT unit_id, student_key, {sufficient.STUDENT_VALUES_SQL}
                  FROM b WHERE period IS NOT NULL GROUP BY unit_id, student_key)
            SELECT unit_id, {sufficient.SCHOOL_MOMENTS_SQL} FROM s GROUP BY unit_id"""
    sql = f"""WITH {UNIT_PROGRAM_CTE}, per AS ({per})
        SELECT up.program, u.country{''.join(', ' + g for g in groups)}, per.*
        FROM per JOIN units u ON u.unit_id = per.unit_id JOIN up ON up.unit_id = per.unit_id
        {program_filter} ORDER BY {kl}, per.unit_id"""
    return sql, [*params, req.indicator, req.level, *([req.program] if req.program is not None else [])]


def _student_school_stats_sql(base: str, keys: list[str], kl: str) -> str:
    """Per group and school: moments of v_pre, v_post (everybody and linked) and of the linked differences."""
    group_any = ", ".join(f"any_value({k}) AS {k}" for k in keys)
    return f"""WITH b AS ({base}), s AS (
        SELECT unit_id, student_key, {group_any}, {sufficient.STUDENT_VALUES_SQL}
        FROM b WHERE period IS NOT NULL GROUP BY unit_id, student_key)
        SELECT {kl}, unit_id, {sufficient.SCHOOL_MOMENTS_SQL}
        FROM s GROUP BY {kl}, unit_id ORDER BY {kl}, unit_id"""


def _pool(codes: np.ndarray, k: int, n: np.ndarray, mean: np.ndarray, m2: np.ndarray) -> tuple[np.ndarray, ...]:
    """Pool per-school (n, mean, centred sum of squares) into per-group (n, mean, centred sum of squares).

    M2 = sum M2_j + sum n_j (mean_j - mean)^2 (Chan, Golub & LeVeque 1979): no cancellation, unlike
    sums of squares. Schools with n_j = 0 contribute nothing; a group with n = 0 has a NaN mean.
    """
    w = np.where(n > 0, n, 0.0)
    total = np.bincount(codes, weights=w, minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        gmean = np.bincount(codes, weights=w * np.nan_to_num(mean), minlength=k) / total
    dev = np.where(w > 0, np.nan_to_num(mean) - np.nan_to_num(gmean)[codes], 0.0)
    gm2 = np.bincount(codes, weights=np.where(w > 0, np.nan_to_num(m2), 0.0) + w * dev**2, minlength=k)
    return total, np.where(total > 0, gmean, np.nan), gm2, dev


def _combine_school_stats(per_school: pd.DataFrame, keys: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-group sufficient statistics (those of WINDOW_STATS_SQL) pooled from the per-school ones."""
    codes = per_school.groupby(keys, dropna=False, sort=False).ngroup().to_numpy()
    first = ~pd.Series(codes).duplicated().to_numpy()
    k = int(first.sum())
    # rows arrive sorted by the keys, so group codes follow that order

    def col(name: str) -> np.ndarray:
        return per_school[name].to_numpy(dtype=float, na_value=np.nan)

    def sd(m2: np.ndarray, n: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(n >= 2, np.sqrt(np.clip(m2, 0.0, None) / (n - 1.0)), np.nan)

    n_pre, n_post, n_l = col("n_pre"), col("n_post"), col("n_linked")
    tot_pre, mean_pre, m2_pre, _ = _pool(codes, k, n_pre, col("mean_pre"), col("var_pre") * n_pre)
    tot_post, mean_post, m2_post, _ = _pool(codes, k, n_post, col("mean_post"), col("var_post") * n_post)
    tot_l, lmean_pre, lm2_pre, dev_pre = _pool(codes, k, n_l, col("lmean_pre"), col("lvar_pre") * n_l)
    _, lmean_post, lm2_post, dev_post = _pool(codes, k, n_l, col("lmean_post"), col("lvar_post") * n_l)
    _, mean_diff, dm2, _ = _pool(codes, k, n_l, col("mean_j"), col("dvar") * n_l)
    # cross-products of the linked pairs: C = sum C_j + sum n_j (pre_j - pre)(post_j - post)
    w = np.where(n_l > 0, n_l, 0.0)
    cross = np.bincount(codes, weights=np.where(w > 0, np.nan_to_num(col("lcov")) * w, 0.0) + w * dev_pre * dev_post,
                        minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(tot_l >= 2, cross / np.sqrt(lm2_pre * lm2_post), np.nan)
    groups = per_school.loc[first, keys].reset_index(drop=True)
    groups["n_units"] = np.bincount(codes, minlength=k)
    groups["n_pre"], groups["n_post"], groups["n_linked"] = tot_pre, tot_post, tot_l
    groups["mean_pre"], groups["mean_post"] = mean_pre, mean_post
    groups["sd_pre"], groups["sd_post"] = sd(m2_pre, tot_pre), sd(m2_post, tot_post)
    groups["lmean_pre"], groups["lmean_post"] = lmean_pre, lmean_post
    groups["lsd_pre"], groups["lsd_post"] = sd(lm2_pre, tot_l), sd(lm2_post, tot_l)
    groups["mean_diff"], groups["sd_diff"], groups["r"] = mean_diff, sd(dm2, tot_l), r
    # years: union of the school masks; composition: students tested per year, summed over schools
    year_min = np.full(k, np.inf)
    np.minimum.at(year_min, codes, np.nan_to_num(col("year_min"), nan=np.inf))
    for side in ("pre", "post"):
        mask = per_school[f"mask_{side}"].to_numpy(dtype=float, na_value=0).astype(np.uint64) \
            if per_school[f"mask_{side}"].dtype.kind == "f" else \
            per_school[f"mask_{side}"].fillna(0).to_numpy(dtype=np.uint64)
        group_mask = np.zeros(k, dtype=np.uint64)
        np.bitwise_or.at(group_mask, codes, mask)
        years_in_school = _popcount(mask)
        with np.errstate(divide="ignore", invalid="ignore"):
            tested = np.where(years_in_school > 0, col(f"student_years_{side}") / years_in_school, np.nan)
        has = np.bincount(codes, weights=(~np.isnan(tested)).astype(float), minlength=k) > 0
        per_year = np.where(has, np.bincount(codes, weights=np.nan_to_num(tested), minlength=k), np.nan)
        groups[f"students_{side}"] = np.where(np.isnan(per_year), groups[f"n_{side}"], per_year)
        groups[f"{side}_years"] = _decode_years(group_mask, year_min)
    clusters = pd.DataFrame({"code": codes, "n_j": n_l, "mean_j": col("mean_j"),
                             "var_j": np.where(n_l >= 2, col("dvar") * n_l / np.maximum(n_l - 1.0, 1.0), np.nan)})
    return groups, clusters


def _popcount(mask: np.ndarray) -> np.ndarray:
    """Number of set bits of each uint64."""
    return np.unpackbits(np.ascontiguousarray(mask, dtype="<u8").view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)


def _decode_years(masks: np.ndarray, year_min: np.ndarray) -> list[list[int]]:
    """Years from a mask of ``year % 64`` bits and the smallest year observed (span under 64 years)."""
    decoded: dict[tuple[int, float], list[int]] = {}
    out = []
    for mask, low in zip(masks.tolist(), year_min.tolist(), strict=True):
        if (mask, low) not in decoded:
            start = int(low) if mask and np.isfinite(low) else 0
            decoded[(mask, low)] = [y for y in range(start, start + 64) if mask >> (y % 64) & 1] if mask else []
        out.append(decoded[(mask, low)])
    return out


def _prepost_students_result(groups: pd.DataFrame, clusters: pd.DataFrame, req: Request,
                             keys: list[str]) -> pd.DataFrame:
    """Tests, intervals and effect sizes from per-group statistics (and per-school ones for the ICC)."""
    used = clusters[clusters["n_j"] > 0]
    icc_vals, deffs = stats.icc_design_effect_by_group(
        used["code"].to_numpy(), len(groups), used["n_j"].to_numpy(dtype=float),
        used["mean_j"].to_numpy(dtype=float), used["var_j"].to_numpy(dtype=float))
    groups["icc"], groups["design_effect"] = icc_vals, deffs
    if req.kind == "binary":
        return _binary_prepost(groups)
    res = stats.paired_from_stats(groups["n_linked"], groups["mean_diff"], groups["sd_diff"], groups["lmean_pre"],
                                  groups["lsd_pre"], groups["lmean_post"], groups["lsd_post"], groups["r"],
                                  deff=groups["design_effect"], level=req.conf_level)
    # unlinked cohorts (no student observed in both windows): independent groups, Welch (METHODS.md, Designs 1)
    welch = stats.welch_from_stats(groups["n_post"], groups["mean_post"], groups["sd_post"], groups["n_pre"],
                                   groups["mean_pre"], groups["sd_pre"], deff=groups["design_effect"],
                                   level=req.conf_level)
    paired_rows = (groups["n_linked"] >= 2).to_numpy()
    out = groups[[*keys, "n_units", "n_pre", "n_post", "n_linked", "mean_pre", "mean_post", "icc", "design_effect",
                  "pre_years", "post_years", "students_pre", "students_post"]].copy()
    for c in ("test", "diff", "diff_ci_low", "diff_ci_high", "p_value", "effect_size", "es_ci_low", "es_ci_high"):
        out[c] = np.where(paired_rows, res[c].to_numpy(), welch[c].to_numpy())
    out["effect_size_kind"] = "hedges_g"
    with np.errstate(divide="ignore", invalid="ignore"):
        out["attrition"] = np.where(paired_rows & (out["n_pre"] > 0), 1 - out["n_linked"] / out["n_pre"], np.nan)
    out["design"] = "prepost"
    return out


def _prepost_students_lists(con, req: Request, base: str, params: list, keys: list[str], kl: str) -> pd.DataFrame:
    """The exact list-based computation (two passes over the students): used when years span 64 or
    more, and by the tests as the reference for the one-pass computation."""
    group_any = ", ".join(f"any_value({k}) AS {k}" for k in keys)
    per_student = f"""WITH b AS ({base}), s AS (
        SELECT unit_id, student_key, {group_any},
               avg(value) FILTER (WHERE period = 'pre') AS v_pre, avg(value) FILTER (WHERE period = 'post') AS v_post,
               list_distinct(list(year) FILTER (WHERE period = 'pre')) AS y_pre,
               list_distinct(list(year) FILTER (WHERE period = 'post')) AS y_post
        FROM b WHERE period IS NOT NULL GROUP BY unit_id, student_key)"""
    groups = _fetch(con, f"""{per_student}
        SELECT {kl}, count(DISTINCT unit_id) AS n_units, count(v_pre) AS n_pre, count(v_post) AS n_post,
               {WINDOW_STATS_SQL}
               list_sort(list_distinct(flatten(list(y_pre)))) AS pre_years,
               list_sort(list_distinct(flatten(list(y_post)))) AS post_years
        FROM s GROUP BY {kl} ORDER BY {kl}""", params)
    if groups.empty:
        return groups
    # per school: linked differences (ICC) and students tested per year of each window (composition)
    clusters = _fetch(con, f"""{per_student}
        SELECT {kl}, unit_id, count(*) FILTER (WHERE {_LINKED}) AS n_j, avg(v_post - v_pre) AS mean_j,
               var_samp(v_post - v_pre) AS var_j,
               sum(len(y_pre)) / nullif(len(list_distinct(flatten(list(y_pre)))), 0) AS tested_pre,
               sum(len(y_post)) / nullif(len(list_distinct(flatten(list(y_post)))), 0) AS tested_post
        FROM s GROUP BY {kl}, unit_id""", params)
    tested = clusters.groupby(keys, dropna=False, sort=False)[["tested_pre", "tested_post"]].sum(min_count=1)
    tested = {k if isinstance(k, tuple) else (k,): v for k, v in zip(tested.index, tested.to_numpy(), strict=True)}
    per_year = np.array([tested.get(tuple(r), (np.nan, np.nan)) for r in groups[keys].itertuples(index=False,
                                                                                                 name=None)])
    groups["students_pre"] = np.where(np.isnan(per_year[:, 0]), groups["n_pre"], per_year[:, 0])
    groups["students_post"] = np.where(np.isnan(per_year[:, 1]), groups["n_post"], per_year[:, 1])
    position = {tuple(r): i for i, r in enumerate(groups[keys].itertuples(index=False, name=None))}
    codes = [position[tuple(r)] for r in clusters[keys].itertuples(index=False, name=None)]
    return _prepost_students_result(groups, clusters.assign(code=codes), req, keys)


def _binary_prepost(groups: pd.DataFrame) -> pd.DataFrame:
    """Binary outcomes: proportions per window, difference in points (Newcombe), Cox index (independent)."""
    out = groups.copy()
    k_pre = (out["mean_pre"] * out["n_pre"]).round()
    k_post = (out["mean_post"] * out["n_post"]).round()
    diff = stats.proportion_diff(k_post, out["n_post"], k_pre, out["n_pre"])
    cox = stats.cox_index(k_post, out["n_post"], k_pre, out["n_pre"])
    out["test"] = "newcombe"
    out["diff"] = diff["diff_pp"].to_numpy()
    out["diff_ci_low"], out["diff_ci_high"] = diff["diff_ci_low"].to_numpy(), diff["diff_ci_high"].to_numpy()
    out["p_value"] = np.nan
    out["effect_size"] = cox["cox_index"].to_numpy()
    out["es_ci_low"], out["es_ci_high"] = cox["cox_ci_low"].to_numpy(), cox["cox_ci_high"].to_numpy()
    out["effect_size_kind"] = "cox"
    out["attrition"] = np.nan
    out["design"] = "prepost"
    return out


def _prepost_units(con, req: Request, base: str, params: list, keys: list[str], kl: str) -> pd.DataFrame:
    """Aggregate rates per unit: each unit-window mean is one observation (METHODS.md, Designs 1)."""
    def mean_in(period: str) -> str:
        if req.weighted:
            return (f"sum(value * coalesce(n, 0)) FILTER (WHERE period = '{period}') / "
                    f"nullif(sum(coalesce(n, 0)) FILTER (WHERE period = '{period}'), 0)")
        return f"avg(value) FILTER (WHERE period = '{period}')"

    per_unit = f"""WITH b AS ({base}), s AS (
        SELECT unit_id, {kl},
               {mean_in('pre')} AS v_pre, {mean_in('post')} AS v_post,
               list_distinct(list(year) FILTER (WHERE period = 'pre')) AS y_pre,
               list_distinct(list(year) FILTER (WHERE period = 'post')) AS y_post,
               sum(n) FILTER (WHERE period = 'pre')
                 / nullif(count(DISTINCT year) FILTER (WHERE period = 'pre' AND n IS NOT NULL), 0) AS n_pre_students,
               sum(n) FILTER (WHERE period = 'post')
                 / nullif(count(DISTINCT year) FILTER (WHERE period = 'post' AND n IS NOT NULL), 0) AS n_post_students
        FROM b WHERE period IS NOT NULL GROUP BY unit_id, {kl})"""
    groups = _fetch(con, f"""{per_unit}
        SELECT {kl}, count(*) AS n_units, count(v_pre) AS n_pre, count(v_post) AS n_post,
               {WINDOW_STATS_SQL}
               sum(n_pre_students) AS students_pre, sum(n_post_students) AS students_post,
               list_sort(list_distinct(flatten(list(y_pre)))) AS pre_years,
               list_sort(list_distinct(flatten(list(y_post)))) AS post_years
        FROM s GROUP BY {kl} ORDER BY {kl}""", params)
    if groups.empty:
        return groups
    paired_rows = groups["n_linked"] >= 2
    paired = stats.paired_from_stats(groups["n_linked"], groups["mean_diff"], groups["sd_diff"], groups["lmean_pre"],
                                     groups["lsd_pre"], groups["lmean_post"], groups["lsd_post"], groups["r"],
                                     level=req.conf_level)
    welch = stats.welch_from_stats(groups["n_post"], groups["mean_post"], groups["sd_post"], groups["n_pre"],
                                   groups["mean_pre"], groups["sd_pre"], level=req.conf_level)
    out = groups[[*keys, "n_units", "n_pre", "n_post", "n_linked", "mean_pre", "mean_post", "students_pre",
                  "students_post", "pre_years", "post_years"]].copy()
    for c in ("diff", "diff_ci_low", "diff_ci_high", "p_value"):
        out[c] = np.where(paired_rows, paired[c], welch[c])
    out["test"] = np.where(paired_rows, "paired_t_units", "welch_t_units")
    if req.kind == "rate":
        out["effect_size"], out["es_ci_low"], out["es_ci_high"] = out["diff"], out["diff_ci_low"], out["diff_ci_high"]
        out["effect_size_kind"] = "pp"
    else:  # unit means of scores: no student-level SD, so no standardised effect
        out["effect_size"], out["es_ci_low"], out["es_ci_high"] = out["diff"], out["diff_ci_low"], out["diff_ci_high"]
        out["effect_size_kind"] = "points"
    out["icc"], out["design_effect"], out["attrition"] = np.nan, np.nan, np.nan
    out["design"] = "prepost"
    return out


def _empty_reason(con, req: Request) -> str:
    years = [r[0] for r in con.execute("SELECT DISTINCT year FROM observations WHERE indicator = ? AND year IS NOT "
                                       "NULL ORDER BY 1", [req.indicator]).fetchall()]
    waves = [r[0] for r in con.execute("SELECT DISTINCT wave FROM observations WHERE indicator = ? AND wave IS NOT "
                                       "NULL ORDER BY 1", [req.indicator]).fetchall()]
    span = f"years {years[0]}-{years[-1]}" if years else "no years"
    extra = f", waves {', '.join(waves)}" if waves else ""
    hint = "" if req.pre else " (no window given: units need a start year in the roster, or pass --pre/--post)"
    return f"no observations of '{req.indicator}' fall in the pre and post windows{hint}; it has {span}{extra}"


# --- difference-in-differences -------------------------------------------------------------------------------

def _did(con, req: Request, icc_override: float | None) -> pd.DataFrame:
    programs = _fetch(con, """SELECT DISTINCT a.program, u.country, a.start_year FROM assignments a
        JOIN units u USING (unit_id) WHERE a.program <> 'comparison'""", [])
    if req.program is not None:
        programs = programs[programs["program"] == req.program]
    if programs.empty:
        raise CompareError("no programme units in the roster: import a roster with programme and comparison units")
    comparison_countries = set(_fetch(con, """SELECT DISTINCT u.country FROM assignments a JOIN units u USING (unit_id)
        WHERE a.program = 'comparison'""", [])["country"])
    # windows shared by every programme (given, or waves): one scan of the observations for all of them
    shared = _did_cells(con, req, None, None, None) if (req.pre is not None or req.uses_waves) else None
    rows = []
    for (prog, country), part in programs.groupby(["program", "country"], sort=True):
        if country not in comparison_countries:
            rows.append({"program": prog, "country": country, "design": "did",
                         "note": "no comparison units in this country"})
            continue
        starts = sorted({int(s) for s in part["start_year"].dropna()})
        if req.pre is not None or req.uses_waves or len(starts) <= 1:
            cohorts = [None]
        else:
            cohorts = starts  # staggered adoption: each start-year cohort separately
        for cohort in cohorts:
            rows.extend(_did_one(con, req, prog, country, cohort, starts, icc_override, shared))
    frame = pd.DataFrame(rows)
    if frame.empty:
        raise CompareError(_empty_reason(con, req))
    frame = _finish(frame, req, [*_keys(req), *(["start_year_cohort"] if "start_year_cohort" in frame else [])])
    cols = [*_keys(req), *(["start_year_cohort"] if "start_year_cohort" in frame else []), *DID_COLUMNS,
            "pre_years", "post_years"]
    for c in cols:
        if c not in frame:
            frame[c] = np.nan
    return frame[cols].reset_index(drop=True)


def _did_windows(req: Request, cohort: int | None, starts: list[int]) -> tuple[Window | None, Window | None, str]:
    if req.pre is not None:
        return req.pre, req.post, ""
    if req.uses_waves:
        return None, None, ""
    start = cohort if cohort is not None else (starts[0] if starts else None)
    if start is None:
        raise CompareError("the programme units have no start year: pass --pre and --post windows")
    note = f"windows aligned on start year {start}: pre < {start} <= post"
    if cohort is not None:
        note = f"staggered adoption: start-year cohort {cohort} compared separately; " + note
    return Window("years", (1900, start - 1)), Window("years", (start, 2100)), note


def _did_cells(con, req: Request, prog: str | None, country: str | None, cohort: int | None,
               windows: tuple[Window | None, Window | None] | None = None) -> pd.DataFrame:
    """Unit x year x period cells (mean, weight, variance, distinct students) of one programme and country,
    or, with ``prog`` None, of every unit with its programme and country (windows shared by all)."""
    pre_w, post_w = windows if windows else (req.pre, req.post)
    sub = Request(**{**req.__dict__, "pre": pre_w, "post": post_w, "program": prog, "design": "did"})
    filters, fparams = "", []
    if country is not None:
        filters, fparams = " AND country = ?", [country]
    if cohort is not None:
        filters += " AND (program = 'comparison' OR start_year = ?)"
        fparams.append(cohort)
    shared = "any_value(program) AS program, any_value(country) AS country," if prog is None else ""
    derived_cells = _did_cells_derived_sql(sub)
    if derived_cells is not None:  # one precomputed row per cell (analysis.derived)
        base, params, gcols = derived_cells
        values = "any_value(mean) AS y, any_value(rows) AS w, any_value(var) AS v, any_value(students) AS students"
    else:
        base, params, names = observations_sql(sub)
        gcols = _group_cols(names)
        value = ("sum(value * coalesce(n, 0)) / nullif(sum(coalesce(n, 0)), 0)"
                 if (req.weighted and not req.student_level) else "avg(value)")
        weight = "count(*)" if req.student_level else "sum(n)"
        # the within-cell variance and distinct students only mean something for student rows; for unit
        # rows (one per unit-year) a per-cell distinct count was a third of the query (328,000 cells at 10 M)
        spread = ("var_samp(value) AS v, count(DISTINCT student_key) AS students" if req.student_level
                  else "CAST(NULL AS DOUBLE) AS v, 0 AS students")
        values = f"{value} AS y, {weight} AS w, {spread}"
    return _fetch(con, f"""WITH b AS ({base})
        SELECT unit_id, {', '.join(f'any_value({g}) AS {g}' for g in gcols) + ',' if gcols else ''} {shared}
               (program <> 'comparison')::INTEGER AS treated, (period = 'post')::INTEGER AS post, year, {values}
        FROM b WHERE period IS NOT NULL {filters}
        GROUP BY unit_id, {', '.join(gcols) + ',' if gcols else ''} treated, post, year""", [*params, *fparams])


def _did_cells_derived_sql(req: Request) -> tuple[str, list, list[str]] | None:
    """The rows of a DiD's cells read from ``derived_student_cells`` (one row per unit x year x wave
    period, distinct students counted at write time), or None when the request needs the raw rows.

    Exact when a cell of the request is one derived row: the default wave windows, or year windows on an
    indicator without waves (a cell is then a unit-year). Year windows on wave data would merge a
    unit-year's pre and post waves, whose distinct students cannot be added, so they take the raw route.
    """
    if not (req.derived and _unit_level_groups(req)):
        return None
    if req.pre is None and req.uses_waves:
        period, pparams = "d.period", []
    elif req.pre is not None and not req.uses_waves and req.pre.kind == req.post.kind == "years":
        period, pparams = ("CASE WHEN d.year BETWEEN ? AND ? THEN 'pre' WHEN d.year BETWEEN ? AND ? THEN 'post' END",
                           [*req.pre.years, *req.post.years])
    else:
        return None
    groups = [("d.unit_id" if f == "school" else GROUP_FIELDS[f]) + f" AS g{i}" for i, f in enumerate(req.by)]
    where, wparams = "", []
    if req.program is not None:
        where, wparams = " AND up.program IN (?, 'comparison')", [req.program]
    sql = f"""WITH {UNIT_PROGRAM_CTE}
SELECT d.unit_id, d.year, d.rows, d.mean, d.var, d.students, up.program, u.country, up.start_year,
       {period} AS period{''.join(', ' + g for g in groups)}
FROM {sufficient.CELLS_TABLE} d JOIN units u ON u.unit_id = d.unit_id JOIN up ON up.unit_id = d.unit_id
WHERE d.indicator = ? AND d.level = ?{where}"""
    return sql, [*pparams, req.indicator, req.level, *wparams], _group_cols(list(req.by))


def _did_one(con, req: Request, prog: str, country: str, cohort: int | None, starts: list[int],
             icc_override: float | None, shared: pd.DataFrame | None = None) -> list[dict]:
    pre_w, post_w, note = _did_windows(req, cohort, starts)
    names = list(req.by)
    gcols = _group_cols(names)
    if shared is not None and cohort is None:
        mine = shared["program"].isin([prog, "comparison"]) & (shared["country"] == country)
        cells = shared[mine].drop(columns=["program", "country"]).reset_index(drop=True)
    else:
        cells = _did_cells(con, req, prog, country, cohort, (pre_w, post_w))
    out = []
    if cells.empty:
        return out
    # programme attributes (lab type, start year) describe programme units only: each of their groups is
    # compared with all the comparison units, which have none
    prog_fields = [g for g, name in zip(gcols, names, strict=True) if name in ("lab_type", "start_year")]
    if prog_fields:
        treated_cells = cells[cells["treated"] == 1]
        combos = treated_cells[prog_fields].drop_duplicates()
        comparison = cells[cells["treated"] == 0].drop(columns=prog_fields).merge(combos, how="cross")
        cells = pd.concat([treated_cells, comparison[cells.columns]], ignore_index=True)
    groups = cells.groupby(gcols, dropna=False, sort=True) if gcols else [((), cells)]
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        row = {"program": prog, "country": country, "design": "did", "note": note}
        if cohort is not None:
            row["start_year_cohort"] = cohort
        row.update({g: k for g, k in zip(gcols, key, strict=False)})
        row.update(_did_stats(part, req, icc_override))
        out.append(row)
    return [_rename_groups(pd.DataFrame([r]), names).iloc[0].to_dict() for r in out]


def _did_stats(cells: pd.DataFrame, req: Request, icc_override: float | None) -> dict:
    """DiD on unit-period means (student data: weighted by students, which reproduces the student-level
    estimate and its cluster-robust score), pre-trends on unit-year means, baseline and attrition checks."""
    # vectorised (a Python function per unit-period made this the slowest step: ~4 ms per unit)
    w0 = cells["w"].fillna(0).astype(float)
    period = (cells.assign(_w=w0, _wy=w0 * cells["y"])
              .groupby(["unit_id", "treated", "post"], as_index=False)
              .agg(_wy=("_wy", "sum"), w=("_w", "sum"), _ymean=("y", "mean"), students=("students", "sum"),
                   v=("v", "mean")))
    with np.errstate(divide="ignore", invalid="ignore"):
        period.insert(3, "y", np.where(period["w"] > 0, period["_wy"] / period["w"], period["_ymean"]))
    period = period.drop(columns=["_wy", "_ymean"])
    use_weights = req.student_level or req.weighted
    res = stats.did_ols(period, "y", "treated", "post", "unit_id", "w" if use_weights else None,
                        level=req.conf_level)
    d = res.as_dict()
    out = {k: d[k] for k in ("estimate", "se", "ci_low", "ci_high", "p_value", "wild_p_value", "n_clusters",
                             "mean_treated_pre", "mean_treated_post", "mean_comparison_pre", "mean_comparison_post",
                             "inference_reliable")}
    out["n_treated"], out["n_comparison"] = d["n_treated_clusters"], d["n_comparison_clusters"]
    if d.get("reason") == "too_few_clusters":
        out["note_inference"] = "inference_not_reliable"
    pre_years = [int(y) for y in np.unique(cells.loc[cells["post"] == 0, "year"].dropna().to_numpy())]
    post_years = [int(y) for y in np.unique(cells.loc[cells["post"] == 1, "year"].dropna().to_numpy())]
    out["pre_years"], out["post_years"] = pre_years, post_years
    out["pre_window"] = f"{pre_years[0]}-{pre_years[-1]}" if pre_years else ""
    out["post_window"] = f"{post_years[0]}-{post_years[-1]}" if post_years else ""
    # pre-trends on unit-year means of the pre period
    pre = cells[cells["post"] == 0]
    if len(pre_years) >= 2:
        pt = stats.pretrend_check(pre, "y", "treated", "year", "unit_id", "w" if use_weights else None,
                                  level=req.conf_level).as_dict()
        out.update(pretrend_diff=pt["slope_diff"], pretrend_ci_low=pt["ci_low"], pretrend_ci_high=pt["ci_high"],
                   pretrend_p=pt["p_value"], pretrend_significant=pt["significant"])
    else:
        out.update(pretrend_diff=np.nan, pretrend_ci_low=np.nan, pretrend_ci_high=np.nan, pretrend_p=np.nan,
                   pretrend_significant=None)
    n_pre_students = period.loc[(period["treated"] == 1) & (period["post"] == 0), "students"].sum()
    out["n_students"] = int(period["students"].sum()) if req.student_level else np.nan
    cell_students = period.groupby(["treated", "post"])["students"].sum().reindex(
        pd.MultiIndex.from_product([[0, 1], [0, 1]]), fill_value=0)
    out["min_cell_students"] = int(cell_students.min()) if req.student_level else np.nan
    if req.student_level and req.kind != "binary":
        # standardise by the student SD pooled over the four cells (WWC): within-unit variance + between
        pooled_var = _pooled_student_var(cells)
        sd = float(np.sqrt(pooled_var)) if pooled_var > 0 else np.nan
        n_t = period.loc[period["treated"] == 1, "students"].sum() / 2
        n_c = period.loc[period["treated"] == 0, "students"].sum() / 2
        omega = float(stats.small_sample_correction(n_t + n_c))
        g = omega * out["estimate"] / sd if sd == sd else np.nan
        out["effect_size"] = g
        out["effect_size_kind"] = "hedges_g"
        scale = omega / sd if sd == sd else np.nan
        out["es_ci_low"] = out["ci_low"] * scale
        out["es_ci_high"] = out["ci_high"] * scale
        # baseline equivalence at pre: g of treated vs comparison
        tp = period[(period["post"] == 0)]
        t1, t0 = tp["treated"] == 1, tp["treated"] == 0
        mt = np.average(tp.loc[t1, "y"], weights=tp.loc[t1, "w"]) if t1.any() else np.nan
        mc = np.average(tp.loc[t0, "y"], weights=tp.loc[t0, "w"]) if t0.any() else np.nan
        out["baseline_g"] = omega * (mt - mc) / sd if sd == sd else np.nan
        out["baseline_equivalence"] = (stats.baseline_equivalence(out["baseline_g"])
                                       if out["baseline_g"] == out["baseline_g"] else None)
        # WWC clustering correction of the naive student-level t (two-arm comparison)
        m = n_t * 2 / max(out["n_treated"], 1) if out["n_treated"] else np.nan
        rho = icc_override if icc_override is not None else (
            stats.ICC_ACHIEVEMENT if req.domain == "learning" else stats.ICC_OTHER)
        t_naive = float(stats.t_from_g(g, n_t, n_c)) if g == g else np.nan
        corr = stats.wwc_cluster_correction(t_naive, n_t + n_c, m, rho)
        corr_row = corr.iloc[0] if isinstance(corr, pd.DataFrame) else corr
        out["p_value_naive"] = float(corr_row["p_value"])
        out["p_value_icc_corrected"] = float(corr_row["p_value_adjusted"])
        out["icc"] = rho
        # attrition: share of pre students missing at post, per arm
        att = {}
        for arm in (0, 1):
            n0 = period.loc[(period["treated"] == arm) & (period["post"] == 0), "students"].sum()
            n1 = period.loc[(period["treated"] == arm) & (period["post"] == 1), "students"].sum()
            att[arm] = max(0.0, 1 - n1 / n0) if n0 else np.nan
        overall_n0 = n_pre_students + period.loc[(period["treated"] == 0) & (period["post"] == 0), "students"].sum()
        overall_n1 = period.loc[period["post"] == 1, "students"].sum()
        overall = max(0.0, 1 - overall_n1 / overall_n0) if overall_n0 else np.nan
        out["attrition"] = overall
        out["differential_attrition"] = abs(att[1] - att[0]) if att[0] == att[0] and att[1] == att[1] else np.nan
        out["attrition_rating"] = (stats.attrition_rating(overall * 100, out["differential_attrition"] * 100)
                                   if overall == overall else None)
    elif req.kind == "rate":
        out["effect_size"], out["es_ci_low"], out["es_ci_high"] = out["estimate"], out["ci_low"], out["ci_high"]
        out["effect_size_kind"] = "pp"
        out["attrition_rating"] = "not_applicable"
    elif req.kind == "binary":
        out["effect_size"] = out["estimate"] * 100
        out["es_ci_low"], out["es_ci_high"] = out["ci_low"] * 100, out["ci_high"] * 100
        out["effect_size_kind"] = "pp"
    else:
        out["effect_size"], out["es_ci_low"], out["es_ci_high"] = out["estimate"], out["ci_low"], out["ci_high"]
        out["effect_size_kind"] = "points"
    return out


def _pooled_student_var(cells: pd.DataFrame) -> float:
    """Student-level variance pooled over the four treatment x period cells (within + between units)."""
    total = 0.0
    dof = 0.0
    for _, c in cells.groupby(["treated", "post"]):
        n = c["w"].fillna(0).to_numpy(dtype=float)
        y = c["y"].to_numpy(dtype=float)
        v = np.nan_to_num(c["v"].to_numpy(dtype=float))
        big_n = n.sum()
        if big_n < 2:
            continue
        mean = np.sum(n * y) / big_n
        ss = np.sum((n - 1).clip(min=0) * v) + np.sum(n * (y - mean) ** 2)
        total += ss
        dof += big_n - 1
    return total / dof if dof > 0 else np.nan


# --- shared finishing: plain-language numbers, flags, evidence, suppression, q-values ------------------

def _finish(frame: pd.DataFrame, req: Request, keys: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    g = frame["effect_size"].where(frame["effect_size_kind"] == "hedges_g") if "effect_size" in frame else None
    if g is not None:
        frame["improvement_index"] = stats.improvement_index(g.to_numpy(dtype=float))
        frame["months_progress"] = stats.eef_months(g.to_numpy(dtype=float))
    # pre/post gives one row per school (40,000 at national scale): vectorised flags, badges and marks;
    # DiD gives a few rows, checked one by one (tests pin the two routes to the same answers)
    prepost = req.design == "prepost"
    frame["flags"] = _prepost_flags(frame, req) if prepost else [_flags(row, req) for row in _records(frame)]
    # Saber 11 scale change: never difference scores across the 2014 change
    scale_break = frame["flags"].str.contains("saber_scale_change", regex=False).to_numpy(dtype=bool)
    for c in ("diff", "diff_ci_low", "diff_ci_high", "p_value", "effect_size", "es_ci_low", "es_ci_high",
              "improvement_index", "months_progress", "estimate", "ci_low", "ci_high", "se", "wild_p_value"):
        if c in frame and scale_break.any():
            frame.loc[scale_break, c] = np.nan
    badges = _prepost_badges(frame, req) if prepost else [_badge(row, req) for row in _records(frame)]
    frame["evidence"] = [b[0] for b in badges]
    frame["evidence_reasons"] = [", ".join(b[1]) for b in badges]
    frame["reliability"] = (_prepost_reliability(frame, req) if prepost
                            else [_reliability(row, req) for row in _records(frame)])
    frame = _suppress(frame, req, keys)
    frame["q_value"] = stats.bh_qvalues(frame["p_value"].to_numpy(dtype=float)) if "p_value" in frame else np.nan
    for c in ("n_units", "n_pre", "n_post", "n_linked", "n_clusters", "n_treated", "n_comparison"):
        if c in frame:
            frame[c] = pd.to_numeric(frame[c], errors="coerce").round().astype("Int64")
    return frame


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts, much faster than ``DataFrame.to_dict("records")`` on wide frames with list columns."""
    columns = list(frame.columns)
    return [dict(zip(columns, values, strict=True)) for values in zip(*(frame[c].tolist() for c in columns),
                                                                       strict=True)]


def _float(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _prepost_flags(frame: pd.DataFrame, req: Request) -> pd.Series:
    """:func:`_flags` for every pre/post row at once (pandemic years, Saber scale change, composition)."""
    seen: dict[int, tuple] = {}  # rows often share one list object (see _decode_years): convert it once

    def years(value) -> tuple:
        if id(value) not in seen:
            seen[id(value)] = tuple(_years(value))
        return seen[id(value)]

    pre = [years(v) for v in frame["pre_years"]] if "pre_years" in frame else [()] * len(frame)
    post = [years(v) for v in frame["post_years"]] if "post_years" in frame else [()] * len(frame)
    countries = frame["country"].tolist() if "country" in frame else [None] * len(frame)
    by_years: dict[tuple, tuple[bool, bool]] = {}
    pandemic, saber = [], []
    for a, b, country in zip(pre, post, countries, strict=True):
        if (a, b, country) not in by_years:
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
    flags = []
    for p, s, c in zip(pandemic, saber, composition.tolist(), strict=True):
        flags.append(", ".join(name for name, on in (("pandemic_years", p), ("saber_scale_change", s),
                                                     ("composition_change", c)) if on))
    return pd.Series(flags, index=frame.index, dtype=object)


def _prepost_badges(frame: pd.DataFrame, req: Request) -> list[tuple[str, list[str]]]:
    """:func:`_badge` for every pre/post row: it depends only on (units, attrition rating), so each
    distinct pair is rated once."""
    units = _float(frame, "n_units")
    if req.student_level:
        attrition = _float(frame, "attrition")
        ratings = np.where(np.isnan(attrition), None, np.where(attrition * 100 <= 20, "low", "high"))
    else:
        ratings = np.full(len(frame), "not_applicable", dtype=object)
    cache: dict[tuple, tuple[str, list[str]]] = {}
    out = []
    for u, rating in zip(units.tolist(), ratings.tolist(), strict=True):
        key = (None if u != u else int(u), rating)
        if key not in cache:
            cache[key] = stats.evidence_badge(stats.EvidenceFacts(
                design="prepost", n_treated_clusters=key[0], attrition=rating, clustering_handled=True))
        out.append(cache[key])
    return out


def _prepost_reliability(frame: pd.DataFrame, req: Request) -> list[str]:
    """:func:`_reliability` for every pre/post row: low under 30 students or 5 units, else ok."""
    low = np.zeros(len(frame), dtype=bool)
    if req.student_level:
        students = _float(frame, "n_linked")
        if "test" in frame:
            welch = (frame["test"] == "welch_t").to_numpy(dtype=bool)
            students = np.where(welch, np.minimum(_float(frame, "n_pre"), _float(frame, "n_post")), students)
        low |= ~np.isnan(students) & (students < MIN_STUDENTS_RELIABLE)
    units = _float(frame, "n_units")
    low |= ~np.isnan(units) & (units < MIN_UNITS)
    return np.where(low, "low", "ok").tolist()


def _flags(row: dict, req: Request) -> str:
    flags = []
    pre_years, post_years = _years(row.get("pre_years")), _years(row.get("post_years"))
    if any(y in PANDEMIC_YEARS for y in pre_years + post_years):
        flags.append("pandemic_years")
    # 2014 itself straddles the change (first-half sittings old scale, second-half new scale)
    if (row.get("country") == "CO" and req.indicator.startswith("score_") and pre_years and post_years
            and min(pre_years) <= SABER_SCALE_CHANGE <= max(post_years)
            and not req.student_level):
        flags.append("saber_scale_change")
    n_pre = row.get("students_pre", row.get("n_pre"))
    n_post = row.get("students_post", row.get("n_post"))
    if n_pre and n_post and n_pre == n_pre and n_post == n_post and abs(n_post - n_pre) / n_pre > COMPOSITION_CHANGE:
        flags.append("composition_change")
    if row.get("design") == "did" and row.get("baseline_g") is not None \
            and row.get("baseline_g") == row.get("baseline_g") and row["baseline_g"] < -0.05:
        flags.append("selection_low_baseline")
    significant = row.get("pretrend_significant")  # NaN (truthy) where no pre-trend was computed
    if row.get("design") == "did" and significant is not None and significant == significant and bool(significant):
        flags.append("pretrends_differ")
    if row.get("note_inference") == "inference_not_reliable" or (row.get("design") == "did"
                                                                 and row.get("inference_reliable") is False):
        flags.append("inference_not_reliable")
    return ", ".join(flags)


def _years(value) -> list[int]:
    """A window's years as ints: DuckDB lists arrive as numpy arrays (truth value ambiguous), DiD rows as lists."""
    if value is None or (isinstance(value, float) and value != value):
        return []
    return [int(y) for y in value if y is not None and y == y]


def _badge(row: dict, req: Request) -> tuple[str, list[str]]:
    if row.get("design") == "did":
        if row.get("estimate") is None or row.get("estimate") != row.get("estimate"):
            return "insufficient", ["no_estimate"]
        facts = stats.EvidenceFacts(
            design="did", n_treated_clusters=_int(row.get("n_treated")),
            n_comparison_clusters=_int(row.get("n_comparison")),
            attrition=row.get("attrition_rating") if isinstance(row.get("attrition_rating"), str) else None,
            baseline=row.get("baseline_equivalence") if isinstance(row.get("baseline_equivalence"), str) else None,
            baseline_adjusted=None, clustering_handled=True,
            pretrends_ok=None if row.get("pretrend_significant") is None else not row.get("pretrend_significant"))
    else:
        att = row.get("attrition")
        rating = None
        if req.student_level and att == att and att is not None:
            rating = "low" if att * 100 <= 20 else "high"  # single arm: overall attrition only
        elif not req.student_level:
            rating = "not_applicable"
        facts = stats.EvidenceFacts(design="prepost", n_treated_clusters=_int(row.get("n_units")),
                                    attrition=rating, clustering_handled=True)
    return stats.evidence_badge(facts)


def _int(value) -> int | None:
    return None if value is None or value != value else int(value)


def _reliability(row: dict, req: Request) -> str:
    units = row.get("n_units")
    if row.get("design") == "did":  # the smaller side of a DiD decides (one treated department is one unit)
        sides = [v for v in (row.get("n_treated"), row.get("n_comparison")) if v is not None and v == v]
        units = min(sides) if sides else None
    if req.student_level:
        students = row.get("n_linked") if row.get("design") == "prepost" else row.get("n_students")
        if row.get("test") == "welch_t":  # unlinked cohorts: nobody is linked by design
            students = min(row.get("n_pre"), row.get("n_post"))
        if students is not None and students == students and students < MIN_STUDENTS_RELIABLE:
            return "low"
    if units is not None and units == units and units < MIN_UNITS:
        return "low"
    return "ok"


def _suppress(frame: pd.DataFrame, req: Request, keys: list[str]) -> pd.DataFrame:
    """Student cells under min_cell show no values; complementary suppression among siblings."""
    if not req.student_level or frame.empty:
        return frame
    if req.design == "prepost":
        # the smallest count shown: everybody at pre, at post, and the linked students a paired test uses
        linked = frame["n_linked"].astype(float).where(frame["test"] != "welch_t")
        counts = pd.concat([frame["n_pre"].astype(float), frame["n_post"].astype(float), linked], axis=1).min(axis=1)
    else:  # DiD shows the mean of each treatment x period cell: the smallest cell counts
        counts = frame["min_cell_students"].astype(float) if "min_cell_students" in frame else \
            frame["n_students"].astype(float)
    small = counts < req.min_cell
    suppressed = small.copy()
    # complementary: within each set of siblings (same keys but one by-field), a single suppressed
    # cell could be recovered from the total, so the next smallest sibling is suppressed too; repeat
    # until no set of siblings has exactly one suppressed cell (two-way tables need several passes)
    changed = True
    while changed:
        changed = False
        for field in req.by:
            others = [k for k in keys if k != field]
            for _, idx in frame.groupby(others, dropna=False).groups.items():
                idx = list(idx)
                if len(idx) >= 2 and suppressed[idx].sum() == 1:
                    candidates = counts[idx][~suppressed[idx]].sort_values()
                    if len(candidates):
                        suppressed[candidates.index[0]] = True
                        changed = True
    frame = frame.copy()
    for c in VALUE_COLUMNS_SUPPRESSED:
        if c in frame:
            frame[c] = frame[c].astype(float)
            frame.loc[suppressed, c] = np.nan
    frame.loc[suppressed, "reliability"] = "suppressed"
    return frame
