"""Descriptive results with intervals: rates with Wilson intervals and scale reliability.

- `proportions`: retention-type outcomes as proportions with Wilson score intervals (docs/METHODS.md,
  "Rates and proportions"), from binary student rows or from unit rates with their n.
- `scale_reliability`: Cronbach's alpha per scale x wave x country with the Feldt interval
  (docs/METHODS.md, "Scales"); reverse-coded items are reversed first (min + max - x).
Both aggregate in DuckDB and return one row per group; small student groups are suppressed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import disclosure, stats
from analysis.compare import UNIT_PROGRAM_CTE, CompareError, connect
from analysis.compare.request import grouping
from analysis.disclosure import MIN_CELL
from analysis.fields import GROUP_FIELDS

ALPHA_WARNING = 0.7


def proportions(db, indicator: str, by=None, level: str = "all", min_cell: int = MIN_CELL,
                conf_level: float = 0.95) -> pd.DataFrame:
    """Share (in percent) per programme, country, year/wave and group, with its Wilson interval.

    Binary student outcomes: k = students with value 1, n = students. Unit rates with a
    denominator n: k = rate/100 x n summed over units (units without n are left out and counted in
    ``units_without_n``). Columns: program, country, [by...], year, wave, n, k, rate, ci_low, ci_high
    (percent), units, units_without_n, reliability.
    """
    con, _ = connect(db)
    try:
        info = con.execute("SELECT kind FROM indicators WHERE code = ?", [indicator]).fetchall()
        if not info or info[0][0] not in ("binary", "rate"):
            raise CompareError(f"'{indicator}' is not a binary outcome or a rate")
        kind = info[0][0]
        by_list = grouping(by)
        unknown = [b for b in by_list if b not in GROUP_FIELDS]
        if unknown:
            raise CompareError(f"cannot group by {', '.join(unknown)}; choose from {', '.join(GROUP_FIELDS)}")
        groups = [f"{GROUP_FIELDS[b]} AS {b}" for b in by_list if b not in ("program", "country")]
        names = [b for b in by_list if b not in ("program", "country")]
        keys = ["up.program", "u.country", *[GROUP_FIELDS[b] for b in names], "o.year", "o.wave"]
        if kind == "binary":
            agg = ("count(*) AS n, sum(o.value) AS k, count(DISTINCT o.unit_id) AS units, "
                   "0 AS units_without_n")
            subgroup = ""
        else:
            agg = ("sum(o.n) FILTER (WHERE o.n IS NOT NULL) AS n, "
                   "sum(o.value / 100 * o.n) FILTER (WHERE o.n IS NOT NULL) AS k, "
                   "count(DISTINCT o.unit_id) AS units, "
                   "count(DISTINCT o.unit_id) FILTER (WHERE o.n IS NULL) AS units_without_n")
            subgroup = " AND o.sex IS NULL AND o.grade IS NULL"
        frame = con.execute(f"""WITH {UNIT_PROGRAM_CTE}
            SELECT up.program, u.country{''.join(', ' + g for g in groups)}, o.year, o.wave, {agg}
            FROM observations o JOIN units u USING (unit_id) JOIN up USING (unit_id)
            WHERE o.indicator = ? AND o.level = ?{subgroup}
            GROUP BY {', '.join(keys)} ORDER BY {', '.join(keys)}""", [indicator, level]).df()
    finally:
        con.close()
    if frame.empty:
        raise CompareError(f"no data for '{indicator}' at level '{level}'")
    n = frame["n"].astype(float)
    k = frame["k"].astype(float).round()
    low, high = stats.wilson_ci(k.to_numpy(), n.to_numpy(), level=conf_level)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["rate"] = np.where(n > 0, 100 * k / n, np.nan)
    frame["ci_low"], frame["ci_high"] = 100 * np.asarray(low), 100 * np.asarray(high)
    frame["reliability"] = np.where(frame["units"] < 5, "low", "ok")
    frame["suppression_reason"] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    if kind == "binary":  # student counts: primary and complementary suppression among sibling groups
        parents = [[c for c in ["program", "country", *names, "year", "wave"] if c != f] for f in names]
        frame["suppression_reason"] = disclosure.protect(frame, "n", parents, min_cell)
        hidden = frame["suppression_reason"].notna()
        for c in ("n", "k", "rate", "ci_low", "ci_high", "units", "units_without_n"):
            frame[c] = frame[c].astype(float).where(~hidden)
        frame.loc[hidden, "reliability"] = "suppressed"
    return frame


def scale_reliability(db, scale: str = "motivation", min_cell: int = MIN_CELL,
                      conf_level: float = 0.95) -> pd.DataFrame:
    """Cronbach's alpha with its Feldt interval per country x wave (complete responses only).

    Columns: scale, country, wave, n, k, alpha, alpha_ci_low, alpha_ci_high, low_reliability
    (alpha < 0.7), reliability ('suppressed' under min_cell respondents).
    """
    con, _ = connect(db)
    try:
        items = con.execute("SELECT code, reverse_coded, min_value, max_value FROM indicators WHERE scale = ? "
                            "AND kind = 'likert' ORDER BY code", [scale]).df()
        present = {r[0] for r in con.execute("SELECT DISTINCT indicator FROM observations WHERE student_key IS "
                                             "NOT NULL").fetchall()}
        items = items[items["code"].isin(present)]
        if len(items) < 2:
            raise CompareError(f"scale '{scale}' needs at least two items with student answers; found {len(items)}")
        con.register("_items", items)
        frame = con.execute("""WITH answers AS (
                SELECT o.student_key, o.unit_id, coalesce(o.wave, o.year::VARCHAR) AS wave, o.indicator,
                       CASE WHEN i.reverse_coded THEN i.min_value + i.max_value - o.value ELSE o.value END AS v
                FROM observations o JOIN _items i ON i.code = o.indicator),
            complete AS (
                SELECT student_key, unit_id, wave, list(v) AS vs, sum(v) AS total FROM answers
                GROUP BY student_key, unit_id, wave HAVING count(DISTINCT indicator) = (SELECT count(*) FROM _items)),
            item_var AS (
                SELECT u.country, c.wave, a.indicator, var_samp(a.v) AS var_i
                FROM answers a JOIN complete c USING (student_key, unit_id, wave) JOIN units u ON u.unit_id = c.unit_id
                GROUP BY ALL)
            SELECT u.country, c.wave, count(*) AS n, var_samp(c.total) AS total_var,
                   (SELECT sum(var_i) FROM item_var iv
                    WHERE iv.country = u.country AND iv.wave = c.wave) AS sum_item_var
            FROM complete c JOIN units u ON u.unit_id = c.unit_id GROUP BY u.country, c.wave
            ORDER BY u.country, c.wave""").df()
        con.unregister("_items")
    finally:
        con.close()
    k = len(items)
    frame.insert(0, "scale", scale)
    frame["k"] = k
    frame["alpha"] = [stats.cronbach_alpha_from_variances(k, s, t) for s, t in
                      zip(frame["sum_item_var"], frame["total_var"], strict=True)]
    lows, highs = [], []
    for a, n in zip(frame["alpha"], frame["n"], strict=True):
        lo, hi = stats.feldt_ci(a, n, k, level=conf_level)
        lows.append(lo)
        highs.append(hi)
    frame["alpha_ci_low"], frame["alpha_ci_high"] = lows, highs
    frame["low_reliability"] = frame["alpha"] < ALPHA_WARNING
    frame["reliability"] = np.where(frame["n"] < min_cell, "suppressed", "ok")
    hidden = frame["reliability"] == "suppressed"  # countries and waves are never summed: primary rule only
    frame["suppression_reason"] = pd.Series(np.where(hidden, disclosure.SMALL_CELL, None), index=frame.index,
                                            dtype=object)
    for c in ("alpha", "alpha_ci_low", "alpha_ci_high"):
        frame[c] = frame[c].where(~hidden)
    frame["low_reliability"] = frame["low_reliability"].astype(object).where(~hidden, None)
    frame["n"] = frame["n"].astype(object).where(~hidden, f"<{min_cell}")
    return frame.drop(columns=["total_var", "sum_item_var"])
