"""Two test sittings of one school-year (ICFES Saber 11): keep the school's main one.

ICFES reports each sitting (periodo YYYY1, the first half of the year; YYYY2, or YYYY4 since 2019, the second)
separately. A calendar-A school's main sitting is the year's second-half period and a calendar-B school's the
first (ICFES, Saber 11 application calendar: calendar-B schools sit in March, calendar-A schools in August);
the other sitting of the same year holds off-calendar takers (repeaters, validating students), a different
population. In saber2013.csv a calendar-B school has its main sitting (periodo 20131, n = 103) and a second
row for 20132 with n = 2: both name one unit-year, and keeping whichever comes first in the file puts the
school's 2013 mean on two students. The school classification (icfes.py) is published after each sitting
too (SB11-CLASIFI-PLANTELES-20191 for calendar B, -20194 for calendar A), so a file holding both periods of
a year follows the same rule.

So, for one unit, year and grade (a classification's grade 26 is a subgroup of its own) with rows of more
than one sitting: the sitting matching the school's calendar is kept; when the calendar is unknown (blank,
another value, or the rows disagree) or no sitting matches it, the sitting with the larger n, and on equal n
the later period. The rows of the other sittings are neither pooled nor called duplicates: each is skipped
with its own reason (the ``rejects`` table; analysis/reasons.py says it in Spanish). Rows of one sitting
written twice are genuine duplicates, left to the duplicate check.
Flexible-calendar (F) programmes are keyed by sitting (unit_keys.py), so their sittings never meet here.
"""

from __future__ import annotations

import duckdb

from analysis.db.sql import run, scalar

# the reason of a skipped row (English, as stored); analysis/reasons.py REJECTS recognises these shapes
_N = "CASE WHEN {n} IS NULL THEN '?' WHEN {n} = trunc({n}) THEN {n}::BIGINT::VARCHAR ELSE {n}::VARCHAR END"
_REASON = ("'other sitting of the same year (n = ' || " + _N.format(n="r.n") + " || '): ' || CASE "
           "WHEN k.main THEN 'the main sitting of calendar ' || k.calendar || ' is kept (period ' || k.sitting "
           "|| ', row ' || k.first_row || ')' "
           "WHEN k.n IS NOT DISTINCT FROM o.n THEN 'the later sitting is kept, as the number tested does not tell "
           "them apart (period ' || k.sitting || ', row ' || k.first_row || ')' "
           "ELSE 'the sitting with more students tested is kept (period ' || k.sitting || ', row ' || k.first_row "
           "|| ', n = ' || " + _N.format(n="k.n") + " || ')' END")


def mark_other_sittings(con: duckdb.DuckDBPyConnection, header: str) -> int:
    """Name, in table ``other_sittings`` (_row, column_name, raw_value, reason), the rows of ``rows2`` that are
    another sitting of their school-year than the one kept (see the module docstring); how many there are.

    Only rows with no problem of their own count, and a sitting's n is that of its first row (the one the
    duplicate check keeps)."""
    run(con, f"""CREATE OR REPLACE TEMP TABLE other_sittings AS
        WITH r AS (SELECT _row, unit_id, year, coalesce(grade, '') AS g, n, trim(sitting_raw) AS sitting,
                          sitting_raw, upper(coalesce(trim(calendar_raw), '')) AS cal
                   FROM rows2 WHERE row_problem IS NULL AND coalesce(trim(sitting_raw), '') <> ''),
        multi AS (SELECT unit_id, year, g,
                         CASE WHEN count(DISTINCT cal) = 1 AND max(cal) IN ('A', 'B') THEN max(cal) END AS calendar
                  FROM r GROUP BY unit_id, year, g HAVING count(DISTINCT sitting) > 1),
        s AS (SELECT r.unit_id, r.year, r.g, r.sitting, arg_min(r.n, r._row) AS n, min(r._row) AS first_row,
                     any_value(m.calendar) AS calendar
              FROM r JOIN multi m USING (unit_id, year, g) GROUP BY r.unit_id, r.year, r.g, r.sitting),
        ranked AS (SELECT *, row_number() OVER (PARTITION BY unit_id, year, g
                                                ORDER BY main DESC, n DESC NULLS LAST, sitting DESC) AS rank
                   FROM (SELECT *, coalesce(calendar = 'A' AND right(sitting, 1) <> '1'
                                            OR calendar = 'B' AND right(sitting, 1) = '1', false) AS main FROM s))
        SELECT r._row, ?::VARCHAR AS column_name, r.sitting_raw AS raw_value, {_REASON} AS reason
        FROM r JOIN ranked o USING (unit_id, year, g, sitting)
        JOIN ranked k ON k.unit_id = o.unit_id AND k.year = o.year AND k.g = o.g AND k.rank = 1
        WHERE o.rank > 1""", [header])
    return scalar(con, "SELECT count(*) FROM other_sittings")
