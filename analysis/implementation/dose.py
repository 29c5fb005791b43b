"""Dose and response across a programme's schools: does more lab use, more training or more months of an
operating lab go with more learning?

Per programme school, the response is its pre/post change on the indicator — compare()'s ``prepost`` result
by school, so the windows, linking, small-cell suppression and the school's own interval are exactly the
ones Comparar shows (schools suppressed there take no part here) — and the dose is read from
``implementation_school_year`` over the school years of the post window (the use that preceded the
post measurement; with several post years, their pooled hours per term). The statistics are
:mod:`analysis.stats.dose_response`: OLS of change on dose with HC2 errors, and dose thirds compared.
Always an association: the dose was not assigned at random (unless a pilot randomised it, which LabLens
does not record).

Units. ValleLabs and MiLab use different tests on different scales, so a slope in raw points cannot be set
beside another programme's. The slope, the thirds' contrast and their intervals are also given in standard
deviations of the students' outcome (``*_sd``): divided by the total student-level SD of the linked students
of the schools analysed, pooled over the pre and post windows — the standardiser of Comparar's pre/post
Hedges' g (WWC Procedures and Standards Handbook v5.0, "effect sizes" appendix: student-level SDs; Hedges 2007,
δ_T, the total SD, never the between-school SD, which would inflate the effect). The SD comes from thousands
of students and is treated as known, as for g. The interval is the school-level HC2 one (one row per school:
HC2 is Bell & McCaffrey's CR2 with clusters of one, i.e. robust by school); raw points stay as a secondary
detail.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.compare import CompareError, compare
from analysis.compare.designs import get
from analysis.compare.request import check
from analysis.compare.sql import observations_sql
from analysis.db import sufficient
from analysis.db.connect import cursor
from analysis.disclosure import MIN_CELL
from analysis.stats.dose_response import DoseResponseResult, dose_groups, dose_response

#: Doses LabLens can read, with the SQL that aggregates a school's years of implementation_school_year.
DOSES: dict[str, str] = {
    "lab_hours_per_term": "CASE WHEN sum(months_reported) > 0 THEN 3.0 * sum(lab_hours) / sum(months_reported) END",
    "training_hours_per_teacher": "CASE WHEN sum(teachers_trained) > 0 "
                                  "THEN sum(training_hours) / sum(teachers_trained) END",
    "months_operating": "sum(months_operating)",
}
DEFAULT_DOSE = "lab_hours_per_term"

DOSE_SQL = """
SELECT unit_id, {expression} AS dose, sum(lab_records) AS lab_records
FROM implementation_school_year
WHERE program = ? AND year BETWEEN ? AND ?
GROUP BY unit_id
"""

# Per school, over its linked students' window values (those the school's change rests on): count, means and
# population variances of the pre and post values (pooled across schools by Chan et al.'s update).
STUDENT_MOMENTS_SQL = """
WITH b AS ({base}),
s AS (SELECT unit_id, student_key, {values} FROM b WHERE period IS NOT NULL GROUP BY unit_id, student_key)
SELECT unit_id, count(*) AS n, avg(v_pre) AS mean_pre, var_pop(v_pre) AS var_pre,
       avg(v_post) AS mean_post, var_pop(v_post) AS var_post
FROM s WHERE v_pre IS NOT NULL AND v_post IS NOT NULL GROUP BY unit_id
"""


@dataclass(frozen=True)
class DoseAnalysis:
    """Everything the page, the CLI and Logros show: the per-school frame, the fitted line, the thirds."""

    program: str
    indicator: str
    dose: str
    schools: pd.DataFrame
    fit: DoseResponseResult
    groups: pd.DataFrame
    contrast: dict[str, Any]
    first_year: int | None
    last_year: int | None
    schools_without_dose: int
    schools_suppressed: int
    reason: str | None
    student_sd: float = math.nan
    country: str | None = None  # the country whose test scale the raw points are on (None: several or unknown)

    def in_sd(self, value: Any) -> float:
        """A raw-point quantity in student standard deviations (NaN without a usable SD)."""
        if value is None or not (self.student_sd > 0) or not math.isfinite(float(value)):
            return math.nan
        return float(value) / self.student_sd

    def standardized(self) -> dict[str, float]:
        """Slope, contrast and their interval bounds in student SDs (module docstring, "Units")."""
        c = self.contrast
        return {"student_sd": self.student_sd, "slope_sd": self.in_sd(self.fit.slope),
                "ci_low_sd": self.in_sd(self.fit.ci_low), "ci_high_sd": self.in_sd(self.fit.ci_high),
                "top_minus_bottom_sd": self.in_sd(c.get("difference")),
                "top_minus_bottom_ci_low_sd": self.in_sd(c.get("ci_low")),
                "top_minus_bottom_ci_high_sd": self.in_sd(c.get("ci_high"))}

    def summary_row(self) -> dict[str, Any]:
        """One tidy row (CLI ``--json``, the evidence pack)."""
        return {"program": self.program, "indicator": self.indicator, "dose": self.dose,
                **self.fit.as_dict(), "top_minus_bottom": self.contrast.get("difference"),
                "top_minus_bottom_ci_low": self.contrast.get("ci_low"),
                "top_minus_bottom_ci_high": self.contrast.get("ci_high"),
                "top_minus_bottom_p": self.contrast.get("p_value"), **self.standardized(),
                "first_year": self.first_year, "last_year": self.last_year,
                "schools_without_dose": self.schools_without_dose,
                "schools_suppressed": self.schools_suppressed, "analysis_reason": self.reason,
                "interpretation": "association"}


def _years(values: Any) -> list[int]:
    if values is None or (isinstance(values, float) and pd.isna(values)):
        return []
    return [int(v) for v in list(values)]


def dose_analysis(con: Any, program: str, indicator: str, dose: str = DEFAULT_DOSE, groups: int = 3,
                  level: float = 0.95) -> DoseAnalysis:
    """The dose–response analysis of ``program``'s schools on ``indicator`` (module docstring)."""
    if dose not in DOSES:
        raise CompareError(f"dose must be one of {', '.join(DOSES)}, not '{dose}'")
    empty = pd.DataFrame(columns=["unit_id", "name", "dose", "change", "n_linked"])
    try:
        by_school = compare(con, indicator, design="prepost", by=["school"], program=program, conf_level=level)
    except CompareError:
        known = cursor(con)
        try:
            exists = known.execute("SELECT count(*) FROM assignments WHERE program = ?", [program]).fetchone()[0]
        finally:
            known.close()
        if not exists:
            raise  # an unknown programme is the caller's error, not a result without data
        return _empty(program, indicator, dose, empty, "no_results", level)
    if by_school.empty:
        return _empty(program, indicator, dose, empty, "no_results", level)
    pre = [y for ys in by_school["pre_years"] for y in _years(ys)]
    post = [y for ys in by_school["post_years"] for y in _years(ys)]
    if not pre or not post:
        return _empty(program, indicator, dose, empty, "no_windows", level)
    first, last = min(post), max(post)
    cur = cursor(con)
    try:
        doses = cur.execute(DOSE_SQL.format(expression=DOSES[dose]), [program, first, last]).df()
        names = cur.execute("SELECT unit_id, name, code FROM units WHERE unit_type = 'school'").df()
    finally:
        cur.close()
    usable = by_school[by_school["diff"].notna()]
    suppressed = int(len(by_school) - len(usable))
    frame = (usable.rename(columns={"school": "unit_id"})[["unit_id", "diff", "n_linked", "n_post"]]
             .merge(names, on="unit_id", how="left").merge(doses, on="unit_id", how="left")
             .rename(columns={"diff": "change"}))
    without = int(frame["dose"].isna().sum())
    frame = frame[frame["dose"].notna()].reset_index(drop=True)
    fit = dose_response(frame, level=level)
    table, contrast = dose_groups(frame, groups=groups, level=level)
    sd = student_sd(con, program, indicator, frame["unit_id"].tolist(), level) if len(frame) else math.nan
    countries = by_school["country"].dropna().unique() if "country" in by_school else []
    return DoseAnalysis(program, indicator, dose, frame, fit, table, contrast, first, last, without, suppressed,
                        fit.reason, sd, str(countries[0]) if len(countries) == 1 else None)


def student_sd(con: Any, program: str, indicator: str, schools: list[str] | None = None,
               level: float = 0.95) -> float:
    """Total SD of the linked students' outcome in ``schools`` (None: every programme school), pooled over the
    pre and post windows: sqrt((s_pre² + s_post²) / 2), the standardiser of compare()'s pre/post Hedges' g
    (analysis.stats.prepost.paired_from_stats; WWC Handbook v5.0; Hedges 2007's δ_T). NaN for unit-level
    indicators (no students), fewer than two linked students or no spread."""
    req = check(con, indicator, get("prepost"), None, program, None, None, "all", MIN_CELL, False, level)
    if not req.student_level:
        return math.nan
    base, params, _ = observations_sql(req)
    cur = cursor(con)
    try:
        moments = cur.execute(STUDENT_MOMENTS_SQL.format(base=base, values=sufficient.STUDENT_VALUES_SQL),
                              params).df()
    finally:
        cur.close()
    if schools is not None:
        moments = moments[moments["unit_id"].isin(schools)]
    n = moments["n"].to_numpy(dtype=float)
    total = float(n.sum())
    if total < 2:
        return math.nan
    variances = []
    for side in ("pre", "post"):  # Chan, Golub & LeVeque (1979): within-school sums plus between-school
        mean = moments[f"mean_{side}"].to_numpy(dtype=float)
        grand = float((n * mean).sum() / total)
        m2 = float((n * moments[f"var_{side}"].to_numpy(dtype=float)).sum() + (n * (mean - grand) ** 2).sum())
        variances.append(m2 / (total - 1))
    sd = float(np.sqrt(sum(variances) / 2))
    return sd if sd > 0 else math.nan


def _empty(program: str, indicator: str, dose: str, frame: pd.DataFrame, reason: str, level: float) -> DoseAnalysis:
    fit = dose_response(pd.DataFrame({"dose": [], "change": []}), level=level)
    table, contrast = dose_groups(pd.DataFrame({"dose": [], "change": []}), level=level)
    return DoseAnalysis(program, indicator, dose, frame, fit, table, contrast, None, None, 0, 0, reason)
