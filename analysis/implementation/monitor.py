"""Is the programme carried out as designed? Labs planned, installed and operating; teacher training
coverage; lab use per school and the schools falling behind; governance checklists — per programme and
territory, and over time.

Planned labs are the roster's programme schools (``assignments``, the same rows compare() reads, so a
registered random assignment counts as soon as it is imported). Installed and operating come from each
school's latest lab log record up to the chosen date. A school with no log record whose roster says whether
its lab operates (the ``lab_operating`` unit attribute a randomised trial's roster carries, the one the trial's
complier analysis reads: analysis/compare/rct.py) is reported by that roster: operating (and so installed) or
not, with its use unknown — no hours, no sessions, never in the monthly series, which has dates the roster
lacks. A school with neither is "no report", never assumed installed. Teacher coverage is over the teachers
the training records name (there is no teacher roster): the share of them with at least N hours. Everything
is aggregated in DuckDB; only one row per territory, school or month reaches pandas, and free-text comments
never leave the database.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.compare.rct import NO, OPERATING, YES
from analysis.db.connect import cursor
from analysis.db.sql import UNIT_PROGRAM_CTE

LEVELS = ("program", "department", "municipality")
#: Hours of lab use per term (three months) a school is expected to reach; the pages let the user change it.
DEFAULT_TARGET_HOURS_PER_TERM = 40.0
DEFAULT_MIN_TRAINING_HOURS = 20.0

_PLANNED = f"""
WITH {UNIT_PROGRAM_CTE},
planned AS (
    SELECT up.unit_id, up.program, up.lab_type, up.start_year, u.country, u.department, u.municipality,
           u.name, u.code
    FROM up JOIN units u USING (unit_id)
    WHERE u.unit_type = 'school' AND up.program NOT IN ('comparison', 'unassigned')
      AND (? IS NULL OR up.program = ?))
"""
# each planned school's latest lab log record up to a date (bound twice: None means every record)
_LATEST = """,
latest AS (
    SELECT unit_id, bool_or(lab_installed) AS installed, arg_max(operating, visit_date) AS operating,
           max(visit_date) AS last_record, min(installed_on) AS installed_on
    FROM lab_log WHERE ? IS NULL OR visit_date <= ?
    GROUP BY unit_id)
"""
# the roster's word on a school's lab (yes/no spelled as the trial's complier analysis reads them), used where
# the school has no lab log record: NULL for any other value
_ROSTER = f""",
roster AS (
    SELECT unit_id, CASE WHEN lower(trim(min(value))) IN {YES} THEN true
                         WHEN lower(trim(min(value))) IN {NO} THEN false END AS roster_operating
    FROM unit_attributes WHERE name = '{OPERATING}'
    GROUP BY unit_id),
status AS (
    SELECT p.*, l.unit_id IS NOT NULL AS logged, l.installed AS log_installed, l.operating AS log_operating,
           l.last_record, CASE WHEN l.unit_id IS NULL THEN r.roster_operating END AS roster_operating
    FROM planned p LEFT JOIN latest l USING (unit_id) LEFT JOIN roster r USING (unit_id))
"""

LAB_STATUS_SQL = _PLANNED + _LATEST + _ROSTER + """
SELECT p.program, p.country, {parent} AS parent, {territory} AS territory, count(*) AS planned,
       count(*) FILTER (WHERE coalesce(p.log_installed, p.roster_operating, false)) AS installed,
       count(*) FILTER (WHERE coalesce(p.log_operating, p.roster_operating, false)) AS operating,
       count(*) FILTER (WHERE p.roster_operating) AS operating_roster,
       count(*) FILTER (WHERE p.roster_operating IS NOT NULL) AS roster_only,
       count(*) FILTER (WHERE NOT p.logged) AS no_log,
       count(*) FILTER (WHERE NOT p.logged AND p.roster_operating IS NULL) AS no_report
FROM status p
GROUP BY ALL ORDER BY p.program, p.country, territory, parent
"""

SCHOOL_USE_SQL = _PLANNED + _LATEST + _ROSTER + """,
use AS (
    SELECT unit_id, count(DISTINCT date_trunc('month', visit_date)) AS months_reported,
           sum(hours_of_use) AS lab_hours, sum(sessions_held) AS sessions,
           sum(students_attending) AS students_attending
    FROM lab_log WHERE (? IS NULL OR visit_date >= ?) AND (? IS NULL OR visit_date <= ?)
    GROUP BY unit_id)
SELECT p.program, p.country, p.department, p.municipality, p.unit_id, p.code, p.name, p.lab_type,
       coalesce(p.log_installed, p.roster_operating, false) AS installed,
       coalesce(p.log_operating, p.roster_operating, false) AS operating,
       CASE WHEN p.logged THEN 'log' WHEN p.roster_operating IS NOT NULL THEN 'roster' END AS reported_by,
       p.last_record, coalesce(u.months_reported, 0) AS months_reported,
       -- no use record is unknown use, not zero: NULL (shown '—'), never 0
       CASE WHEN u.unit_id IS NOT NULL THEN coalesce(u.lab_hours, 0) END AS lab_hours,
       CASE WHEN u.unit_id IS NOT NULL THEN coalesce(u.sessions, 0) END::BIGINT AS sessions,
       CASE WHEN u.months_reported > 0 THEN 3.0 * coalesce(u.lab_hours, 0) / u.months_reported END
           AS hours_per_term
FROM status p LEFT JOIN use u USING (unit_id)
ORDER BY p.program, hours_per_term NULLS FIRST, p.name
"""

TRAINING_SQL = _PLANNED + """,
per_teacher AS (
    SELECT t.unit_id, t.teacher_key, sum(t.hours) AS hours, bool_or(t.completed) AS completed
    FROM teacher_training t WHERE ? IS NULL OR t.training_date <= ?
    GROUP BY ALL)
SELECT p.program, p.country, {parent} AS parent, {territory} AS territory, count(DISTINCT p.unit_id) AS schools,
       count(DISTINCT pt.unit_id) AS schools_with_training, count(pt.teacher_key) AS teachers,
       count(pt.teacher_key) FILTER (WHERE pt.hours >= ?) AS teachers_min_hours,
       count(pt.teacher_key) FILTER (WHERE pt.completed) AS teachers_completed,
       avg(pt.hours) AS mean_hours
FROM planned p LEFT JOIN per_teacher pt USING (unit_id)
GROUP BY ALL ORDER BY p.program, p.country, territory, parent
"""

GOVERNANCE_SQL = _PLANNED + """,
last_check AS (
    SELECT unit_id, arg_max(committee_in_place, checklist_date) AS committee,
           arg_max(families_take_part, checklist_date) AS families,
           arg_max(community_takes_part, checklist_date) AS community,
           arg_max(territorial_articulation, checklist_date) AS articulation,
           sum(meetings_held) AS meetings
    FROM governance_check WHERE ? IS NULL OR checklist_date <= ?
    GROUP BY unit_id)
SELECT p.program, p.country, {parent} AS parent, {territory} AS territory, count(*) AS schools,
       count(g.unit_id) AS schools_checked,
       count(*) FILTER (WHERE g.committee) AS committee_in_place,
       count(*) FILTER (WHERE g.meetings > 0) AS with_meetings,
       count(*) FILTER (WHERE g.families) AS families_take_part,
       count(*) FILTER (WHERE g.community) AS community_takes_part,
       count(*) FILTER (WHERE coalesce(g.articulation, 'none') <> 'none') AS territorial_articulation
FROM planned p LEFT JOIN last_check g USING (unit_id)
GROUP BY ALL ORDER BY p.program, p.country, territory, parent
"""

# each month's share is of the planned labs the log covers (any record up to the date): a lab reported only by
# its roster has no month, and counted in the denominator it read as idle (a trial's 26 operating labs of 30
# made MiLab's 27 of 40 logged labs read 39 % of 70)
OVER_TIME_SQL = _PLANNED + """,
logged AS (
    SELECT p.program, p.country, count(*) AS planned,
           count(*) FILTER (WHERE p.unit_id IN (SELECT unit_id FROM lab_log WHERE ? IS NULL OR visit_date <= ?))
               AS logged
    FROM planned p GROUP BY ALL)
SELECT p.program, p.country, date_trunc('month', v.visit_date)::DATE AS month,
       count(DISTINCT v.unit_id) FILTER (WHERE v.operating) AS labs_operating,
       count(DISTINCT v.unit_id) AS labs_reporting, sum(v.hours_of_use) AS lab_hours,
       any_value(g.planned) AS planned, any_value(g.logged) AS logged
FROM lab_log v JOIN planned p USING (unit_id) JOIN logged g USING (program, country)
WHERE ? IS NULL OR v.visit_date <= ?
GROUP BY p.program, p.country, month ORDER BY p.program, p.country, month
"""

DATE_RANGE_SQL = """
SELECT min(d), max(d) FROM (
    SELECT visit_date AS d FROM lab_log UNION ALL SELECT training_date FROM teacher_training
    UNION ALL SELECT checklist_date FROM governance_check)
"""


def _territory(level: str) -> dict[str, str]:
    """The SQL of a level's territory and of its parent: a municipality is grouped within its department, so
    two municipalities of one name in two departments (Colombia's four La Unión) are never added together."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not '{level}'")
    territory = {"program": "'all'", "department": "p.department", "municipality": "p.municipality"}[level]
    return {"territory": territory, "parent": "p.department" if level == "municipality" else "NULL"}


def _fetch(con: Any, sql: str, params: list) -> pd.DataFrame:
    cur = cursor(con)
    try:
        return cur.execute(sql, params).df()
    finally:
        cur.close()


def has_records(con: Any) -> bool:
    """True when the database holds any implementation record (lab log, training or governance)."""
    cur = cursor(con)
    try:
        names = {r[0] for r in cur.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if "lab_log" not in names:
            return False
        first, _ = cur.execute(DATE_RANGE_SQL).fetchone()
        return first is not None
    finally:
        cur.close()


def date_range(con: Any) -> tuple[Any, Any]:
    """(first, last) date of any implementation record; (None, None) when there is none."""
    cur = cursor(con)
    try:
        return tuple(cur.execute(DATE_RANGE_SQL).fetchone())
    finally:
        cur.close()


def lab_status(con: Any, level: str = "program", program: str | None = None, until: Any = None) -> pd.DataFrame:
    """Labs planned, installed, operating and without a report, per programme and territory, as of ``until``
    (a date; None: every record). A lab without a log record up to ``until`` is reported by its roster's
    ``lab_operating`` when it has one (``roster_only``; of them ``operating_roster`` operate, counted in
    ``installed`` and ``operating`` too); ``no_log`` is every lab without a log record, ``no_report`` those
    the roster does not report either. Shares are of the planned labs."""
    frame = _fetch(con, LAB_STATUS_SQL.format(**_territory(level)), [program, program, until, until])
    planned = frame["planned"].where(frame["planned"] > 0)
    for column in ("installed", "operating", "no_report"):
        frame[f"share_{column}"] = frame[column] / planned
    return frame


def school_use(con: Any, program: str | None = None, since: Any = None, until: Any = None,
               target_hours_per_term: float = DEFAULT_TARGET_HOURS_PER_TERM) -> pd.DataFrame:
    """One row per planned school: installed/operating at its latest record (or, with no log record, as its
    roster says: ``reported_by`` 'log', 'roster' or None), months reported, lab hours, sessions, hours per term,
    and ``behind`` (not operating, no use record, or under the target hours per term). A school with no use
    record in the window has NULL lab hours, sessions and hours per term (unknown use, not zero use), whatever
    its roster says."""
    frame = _fetch(con, SCHOOL_USE_SQL, [program, program, until, until, since, since, until, until])
    hours = frame["hours_per_term"]
    frame["behind"] = (~frame["operating"].astype(bool)) | hours.isna() | (hours < target_hours_per_term)
    frame["behind_reason"] = pd.Series([
        "no_report" if pd.isna(by) else
        ("roster_operating" if operating else "roster_not_operating") if by == "roster" else
        "not_operating" if not operating else
        "below_target" if (pd.isna(h) or h < target_hours_per_term) else None
        for by, operating, h in zip(frame["reported_by"], frame["operating"], hours, strict=True)
    ], index=frame.index, dtype=object)
    return frame


def training_coverage(con: Any, level: str = "program", program: str | None = None,
                      min_hours: float = DEFAULT_MIN_TRAINING_HOURS, until: Any = None) -> pd.DataFrame:
    """Teachers named in the training records of the programme's schools, and the share with at least
    ``min_hours`` hours (summed over their sessions) — per programme and territory."""
    frame = _fetch(con, TRAINING_SQL.format(**_territory(level)),
                   [program, program, until, until, float(min_hours)])
    teachers = frame["teachers"].where(frame["teachers"] > 0)
    frame["share_min_hours"] = frame["teachers_min_hours"] / teachers
    frame["share_completed"] = frame["teachers_completed"] / teachers
    return frame


def governance(con: Any, level: str = "program", program: str | None = None, until: Any = None) -> pd.DataFrame:
    """Per programme and territory, at each school's latest checklist: schools with a committee, with
    meetings, with families, with the community, with territorial articulation (and shares of schools
    checked)."""
    frame = _fetch(con, GOVERNANCE_SQL.format(**_territory(level)), [program, program, until, until])
    checked = frame["schools_checked"].where(frame["schools_checked"] > 0)
    for column in ("committee_in_place", "with_meetings", "families_take_part", "community_takes_part",
                   "territorial_articulation"):
        frame[f"share_{column}"] = frame[column] / checked
    return frame


def over_time(con: Any, program: str | None = None, until: Any = None) -> pd.DataFrame:
    """Per programme and month: labs reporting, labs operating and hours of use; ``share_operating`` is of the
    planned labs with any lab log record up to ``until`` (``logged``; ``planned`` beside it): a lab without a
    log has no month to count in."""
    frame = _fetch(con, OVER_TIME_SQL, [program, program, until, until, until, until])
    frame["share_operating"] = frame["labs_operating"] / frame["logged"].where(frame["logged"] > 0)
    return frame
