"""The database side of compare(): connecting, and the SQL builders every design shares.

The builders are plain functions, tested without a database.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from analysis.compare.request import UNIT_PROGRAM_CTE, Request, Window, cursor, open_db
from analysis.fields import GROUP_FIELDS, is_unit_level
from analysis.periods import wave_period_sql


def connect(db: duckdb.DuckDBPyConnection | str | Path | None) -> tuple[duckdb.DuckDBPyConnection, bool]:
    """A cursor on a connection (pointed at the published catalog when there is one), or ``db`` opened."""
    if isinstance(db, duckdb.DuckDBPyConnection):
        return cursor(db), True
    return open_db(db), True


def fetch(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> pd.DataFrame:
    """The result of ``sql`` as a DataFrame."""
    return con.execute(sql, params).df()


def period_sql(pre: Window | None, post: Window | None, uses_waves: bool) -> tuple[str, list]:
    """SQL CASE giving 'pre'/'post'/NULL for an observation, and its bound parameters."""
    if pre is None:
        if uses_waves:
            return wave_period_sql("o.wave"), []
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
    never pooled with totals; level 'all' means the total rows only. A design with a comparison group
    keeps the comparison units beside the requested programme.
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
        if req.comparison:
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


def unit_groups_sql(req: Request, unit_column: str) -> list[str] | None:
    """``expr AS g<i>`` for every group field when each is the school or an attribute of the unit (the
    precomputed per-school and per-cell tables can answer those), else None."""
    if not unit_level_groups(req):
        return None
    return [(unit_column if f == "school" else GROUP_FIELDS[f]) + f" AS g{i}" for i, f in enumerate(req.by)]


def unit_level_groups(req: Request) -> bool:
    """True when every group field is the school or an attribute of the unit (not of the row or student)."""
    return all(f not in req.attributes and is_unit_level(f) for f in req.by)


def result_keys(req: Request) -> list[str]:
    """The key columns of a result: programme, country, then the grouping fields."""
    return ["program", "country", *req.by]


def group_cols(names: list[str]) -> list[str]:
    """The positional group columns g0..gk of the SQL builders."""
    return [f"g{i}" for i in range(len(names))]


def rename_groups(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """g0..gk renamed to the grouping fields."""
    return frame.rename(columns={f"g{i}": n for i, n in enumerate(names)})


def empty_reason(con: duckdb.DuckDBPyConnection, req: Request) -> str:
    """Why no observation fell in the windows: rows only for subgroups (by sex, grade or level) that the
    request does not ask for, else the indicator's years and waves."""
    subgroup = subgroup_only_reason(con, req)
    if subgroup:
        return subgroup
    years = [r[0] for r in con.execute("SELECT DISTINCT year FROM observations WHERE indicator = ? AND year IS NOT "
                                       "NULL ORDER BY 1", [req.indicator]).fetchall()]
    waves = [r[0] for r in con.execute("SELECT DISTINCT wave FROM observations WHERE indicator = ? AND wave IS NOT "
                                       "NULL ORDER BY 1", [req.indicator]).fetchall()]
    span = f"years {years[0]}-{years[-1]}" if years else "no years"
    extra = f", waves {', '.join(waves)}" if waves else ""
    hint = "" if req.pre else " (no window given: units need a start year in the roster, or pass --pre/--post)"
    return f"no observations of '{req.indicator}' fall in the pre and post windows{hint}; it has {span}{extra}"


def subgroup_only_reason(con: duckdb.DuckDBPyConnection, req: Request) -> str | None:
    """When an indicator has no row for the whole unit at the requested level, only rows by sex, grade or
    school level: say so and how to ask (None when the whole-unit rows exist or the request groups by them)."""
    if set(req.by) & {"sex", "grade", "level"}:
        return None
    whole, by_sex, by_grade, levels = con.execute("""
        SELECT count(*) FILTER (WHERE level = ? AND (? OR (sex IS NULL AND grade IS NULL))),
               count(*) FILTER (WHERE sex IS NOT NULL), count(*) FILTER (WHERE grade IS NOT NULL),
               list(DISTINCT level ORDER BY level) FILTER (WHERE level <> ?)
        FROM observations WHERE indicator = ?""",
        [req.level, req.student_level, req.level, req.indicator]).fetchone()
    if whole or not (by_sex or by_grade or levels):
        return None
    ways = []
    if levels:
        ways.append(f"by school level ({', '.join(levels)}): pass --level {levels[0]} or --by level")
    if not req.student_level and by_sex:
        ways.append("by sex: pass --by sex")
    if not req.student_level and by_grade:
        ways.append("by grade: pass --by grade")
    return (f"'{req.indicator}' has no rows for whole units at level '{req.level}', only by subgroup; "
            + "; ".join(ways))
