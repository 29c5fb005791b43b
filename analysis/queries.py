"""Descriptive queries about what the database holds (no statistics): used by Inicio and Datos."""

from collections.abc import Iterable

import pandas as pd

from analysis import fields
from analysis.catalog import fold
from analysis.compare.did import TRIAL_UNITS_SQL
from analysis.db.sql import UNIT_PROGRAM_CTE
from analysis.db.sufficient import HISTOGRAM_BINS, bin_sql
from analysis.periods import POST_WAVES, PRE_WAVES, wave_period_sql, waves_in_sql

PROGRAMME_OVERVIEW_SQL = """
SELECT a.program, u.country, count(DISTINCT a.unit_id) AS units,
       count(DISTINCT o.student_key) AS students,
       string_agg(DISTINCT a.lab_type, ', ' ORDER BY a.lab_type) AS lab_types,
       min(a.start_year) AS first_start_year
FROM assignments a
JOIN units u USING (unit_id)
LEFT JOIN observations o ON o.unit_id = a.unit_id AND o.student_key IS NOT NULL
GROUP BY a.program, u.country
ORDER BY a.program = 'comparison', a.program, u.country
"""

COVERAGE_SQL = """
SELECT u.country, i.domain, o.indicator, count(*) AS observations,
       count(DISTINCT o.unit_id) AS units, min(o.year) AS first_year, max(o.year) AS last_year
FROM observations o
JOIN units u USING (unit_id)
JOIN indicators i ON i.code = o.indicator
GROUP BY ALL
ORDER BY u.country, i.domain, o.indicator
"""

# --- dashboard queries (pages Comparar, Regiones, Escuelas, Datos); values always bound, never pasted ---

INDICATORS_PRESENT_SQL = """
SELECT i.code, i.domain, i.kind, i.unit, i.higher_is_better, i.label_es, i.label_en,
       bool_or(o.student_key IS NOT NULL) AS student_level, bool_or(o.wave IS NOT NULL) AS uses_waves,
       count(*) AS observations, count(o.student_key) AS student_observations,
       min(o.year) AS first_year, max(o.year) AS last_year
FROM observations o JOIN indicators i ON i.code = o.indicator
WHERE o.level = 'all'
GROUP BY ALL
ORDER BY i.domain, i.code
"""

PROGRAMME_STARTS_SQL = """
SELECT a.program, u.country, min(a.start_year) AS first_start, max(a.start_year) AS last_start,
       count(DISTINCT a.unit_id) AS units
FROM assignments a JOIN units u USING (unit_id)
WHERE a.program <> 'comparison'
GROUP BY ALL ORDER BY a.program, u.country
"""

INDICATOR_YEARS_SQL = """
SELECT u.country, min(o.year) AS first_year, max(o.year) AS last_year
FROM observations o JOIN units u USING (unit_id)
WHERE o.indicator = ? AND o.level = 'all'
GROUP BY u.country
"""

GROUP_VALUES_SQL = fields.values_sql()  # whitelisted grouping fields -> their distinct values for one indicator

STUDENT_ATTRIBUTE_NAMES_SQL = "SELECT DISTINCT name FROM student_attributes ORDER BY 1"

_UNIT_PROGRAM = UNIT_PROGRAM_CTE  # one definition of "a unit's programme" (analysis/db/sql.py)

# field -> SQL expression for a one-value filter (a fixed whitelist: the field name never reaches SQL text).
# Comparison units have no lab type: a lab type's schools are compared with all of them, so they stay.
FILTER_FIELDS = fields.filter_fields()


# filters on an attribute of the unit, not of the row (the derived per-school tables can answer those)
UNIT_FILTER_FIELDS = tuple(f for f, expr in FILTER_FIELDS.items() if not expr.startswith("o."))


def _period_filter(field: str | None) -> tuple[str, str, str]:
    """SQL pieces for an optional one-value subgroup filter: (join, where, attribute join)."""
    if field is None:
        return "", "", ""
    if field in FILTER_FIELDS:
        return "", f" AND {FILTER_FIELDS[field]} = ?", ""
    # a student attribute (ethnicity, shift, ...): its name and value are both bound parameters
    return ("", " AND sa.value = ?",
            " JOIN (SELECT student_key, any_value(value) AS value FROM student_attributes WHERE name = ? "
            "GROUP BY student_key) sa ON sa.student_key = o.student_key")


def unit_period_sql(waves: bool, field: str | None = None) -> str:
    """Per unit and period (pre/post): n, mean and SD of an indicator in one country.

    Parameters, in order (use :func:`unit_period_params`): the windows pre_first, pre_last,
    post_first, post_last (year windows only), the attribute name (when ``field`` is a student
    attribute), indicator, country, then the filter value when ``field`` is given. Student rows
    count students; unit rows count unit-years.
    Aggregate rows keep totals only (sex and grade NULL) so subgroups are never pooled with totals.
    """
    _, where, attr = _period_filter(field)
    if waves:
        period = wave_period_sql("o.wave")
    else:
        period = "CASE WHEN o.year BETWEEN ? AND ? THEN 'pre' WHEN o.year BETWEEN ? AND ? THEN 'post' END"
    totals = "" if field in ("sex", "grade") else (
        " AND (o.student_key IS NOT NULL OR (o.sex IS NULL AND o.grade IS NULL))")
    return f"""WITH {_UNIT_PROGRAM}, b AS (
    SELECT o.unit_id, u.name, up.program, u.country, up.lab_type, up.start_year, o.value,
           {period} AS period
    FROM observations o JOIN units u ON u.unit_id = o.unit_id JOIN up ON up.unit_id = o.unit_id{attr}
    WHERE o.indicator = ? AND o.level = 'all' AND u.country = ?{totals}{{filter}})
SELECT unit_id, any_value(name) AS name, any_value(program) AS program, any_value(country) AS country,
       any_value(lab_type) AS lab_type, any_value(start_year) AS start_year, period,
       count(*) AS n, avg(value) AS mean, stddev_samp(value) AS sd
FROM b WHERE period IS NOT NULL
GROUP BY unit_id, period
ORDER BY unit_id, period""".replace("{filter}", where)


def unit_period_params(indicator: str, country: str, windows: tuple[int, int, int, int] | None,
                       field: str | None = None, value: str | None = None) -> list:
    """Bound parameters for :func:`unit_period_sql` in its documented order."""
    params: list = list(windows) if windows is not None else []
    if field is not None and field not in FILTER_FIELDS:
        params.append(field)
    params += [indicator, country]
    if field == "lab_type":
        params.append(value)  # the comparison units' stand-in (see FILTER_FIELDS)
    if field is not None:
        params.append(value)
    return params


def histogram_sql(waves: bool, field: str | None = None, bins: int = HISTOGRAM_BINS) -> str:
    """Counts of values in equal-width bins per programme and period in one country (DuckDB does the binning).

    The bins span the indicator's range in the country (all its level-'all' rows there: every period,
    programme and subgroup), so a filtered chart keeps the country's bins; countries keep their own
    scales. Parameters: those of :func:`unit_period_sql`, then the indicator and the country again (use
    :func:`histogram_params`). Columns: program, period, bin, lo, hi, count. Student
    indicators count student rows; unit indicators count unit-years. The schools of a randomised trial are
    not counted: the chart is the DiD's, which leaves them out (``analysis.compare.did.TRIAL_UNITS_SQL``).
    """
    inner = unit_period_sql(waves, field)
    # reuse the filtered rows `b` of unit_period_sql, then bin them on the indicator's range in the country
    head, _, _ = inner.partition("\nSELECT unit_id, any_value(name)")
    if field in ("sex", "grade"):  # subgroup rows, whose values may lie outside the totals' range
        scope = f"o.{field} IS NOT NULL"
    else:
        scope = "(o.student_key IS NOT NULL OR (o.sex IS NULL AND o.grade IS NULL))"
    return f"""{head}, r AS (SELECT min(o.value) AS lo, max(o.value) AS hi
      FROM observations o JOIN units u USING (unit_id)
      WHERE o.indicator = ? AND o.level = 'all' AND u.country = ? AND {scope}),
k AS (SELECT b.program, b.period, b.value, r.lo, r.hi, {bin_sql('b.value', 'r.lo', 'r.hi', bins)} AS bin
      FROM b, r WHERE b.period IS NOT NULL AND b.unit_id NOT IN ({TRIAL_UNITS_SQL}))
SELECT program, period, coalesce(bin, 0) AS bin,
       any_value(lo) + coalesce(bin, 0) * (any_value(hi) - any_value(lo)) / {int(bins)} AS lo,
       any_value(lo) + (coalesce(bin, 0) + 1) * (any_value(hi) - any_value(lo)) / {int(bins)} AS hi,
       count(*) AS count
FROM k GROUP BY program, period, coalesce(bin, 0) ORDER BY program, period, bin"""


def histogram_params(indicator: str, country: str, windows: tuple[int, int, int, int] | None,
                     field: str | None = None, value: str | None = None) -> list:
    """Bound parameters for :func:`histogram_sql` in its documented order."""
    return [*unit_period_params(indicator, country, windows, field, value), indicator, country]


def histogram_derived_sql(field: str | None = None) -> str | None:
    """:func:`histogram_sql` for linked-student indicators with waves, summed from the per-school bins
    of ``derived_student_bins``; parameters of :func:`unit_period_params`. None for row fields. A randomised
    trial's schools are left out, as there."""
    if field is not None and field not in UNIT_FILTER_FIELDS:
        return None
    _, where, _ = _period_filter(field)
    b = HISTOGRAM_BINS
    return f"""WITH {_UNIT_PROGRAM}
SELECT up.program, d.period, d.bin,
       any_value(d.lo) + d.bin * (any_value(d.hi) - any_value(d.lo)) / {b} AS lo,
       any_value(d.lo) + (d.bin + 1) * (any_value(d.hi) - any_value(d.lo)) / {b} AS hi,
       CAST(sum(d.count) AS BIGINT) AS count
FROM derived_student_bins d JOIN units u ON u.unit_id = d.unit_id JOIN up ON up.unit_id = d.unit_id
WHERE d.indicator = ? AND d.level = 'all' AND u.country = ?{where} AND d.unit_id NOT IN ({TRIAL_UNITS_SQL})
GROUP BY up.program, d.period, d.bin ORDER BY program, period, bin"""


SCHOOLS_SQL = f"""
WITH {_UNIT_PROGRAM}
SELECT u.unit_id, u.code, u.name, u.country, u.department, u.municipality, u.authority, u.zone,
       up.program, up.lab_type, up.start_year
FROM units u JOIN up USING (unit_id)
WHERE u.unit_type = 'school'
ORDER BY u.country, up.program, u.unit_id
"""

SCHOOL_STUDENTS_SQL = """
SELECT coalesce(o.wave, CAST(o.year AS VARCHAR)) AS wave, min(o.year) AS year,
       count(DISTINCT o.student_key) AS students
FROM observations o WHERE o.unit_id = ? AND o.student_key IS NOT NULL
GROUP BY 1 ORDER BY 2, 1
"""

SCHOOL_RATE_SERIES_SQL = f"""
WITH {_UNIT_PROGRAM}, me AS (SELECT u.country, up.program FROM units u JOIN up USING (unit_id) WHERE u.unit_id = ?)
SELECT o.year, CASE WHEN o.unit_id = ? THEN 'school' ELSE up.program END AS series,
       avg(o.value) AS value, count(DISTINCT o.unit_id) AS units
FROM observations o JOIN units u USING (unit_id) JOIN up USING (unit_id), me
WHERE o.indicator = ? AND o.level = 'all' AND o.sex IS NULL AND o.grade IS NULL AND o.student_key IS NULL
  AND u.unit_type = 'school' AND u.country = me.country
  AND (o.unit_id = ? OR up.program IN (me.program, 'comparison'))
GROUP BY ALL ORDER BY series, o.year
"""

IMPORTS_SQL = """
SELECT import_id, source_name, recognized_as, rows_read, rows_loaded, rows_rejected, imported_at, status
FROM imports ORDER BY import_id DESC
"""

INDICATOR_NAMES_SQL = "SELECT code, label_es, label_en FROM indicators ORDER BY code"

DICTIONARY_SQL = """
SELECT i.code, i.domain, i.kind, i.unit, i.min_value, i.max_value, i.higher_is_better, i.scale,
       i.reverse_coded, i.label_es, i.label_en, count(o.indicator) AS observations
FROM indicators i LEFT JOIN observations o ON o.indicator = i.code
GROUP BY ALL ORDER BY i.domain, i.code
"""

COVERAGE_BY_YEAR_SQL = """
SELECT u.country, o.indicator, o.year, count(DISTINCT o.unit_id) AS units, count(*) AS observations
FROM observations o JOIN units u USING (unit_id)
WHERE o.year IS NOT NULL
GROUP BY ALL ORDER BY u.country, o.indicator, o.year
"""

MISSING_UNITS_SQL = f"""
WITH {_UNIT_PROGRAM},
roster AS (SELECT a.unit_id, a.program, u.country FROM assignments a JOIN units u USING (unit_id)),
present AS (SELECT DISTINCT o.indicator, o.unit_id FROM observations o),
inds AS (SELECT DISTINCT o.indicator, u.country FROM observations o JOIN units u USING (unit_id))
SELECT r.program, r.country, i.indicator, count(DISTINCT r.unit_id) AS units_in_roster,
       count(DISTINCT r.unit_id) FILTER (WHERE p.unit_id IS NULL) AS units_without_data
FROM roster r JOIN inds i ON i.country = r.country
LEFT JOIN present p ON p.unit_id = r.unit_id AND p.indicator = i.indicator
GROUP BY ALL ORDER BY r.program, r.country, i.indicator
"""

MISSING_AT_POST_SQL = f"""
WITH {_UNIT_PROGRAM}, s AS (
    SELECT o.indicator, up.program, u.country, o.student_key,
           bool_or({waves_in_sql("o.wave", PRE_WAVES)}) AS has_pre,
           bool_or({waves_in_sql("o.wave", POST_WAVES)}) AS has_post
    FROM observations o JOIN units u USING (unit_id) JOIN up USING (unit_id)
    WHERE o.student_key IS NOT NULL AND o.wave IS NOT NULL
    GROUP BY ALL)
SELECT indicator, program, country, count(*) FILTER (WHERE has_pre) AS students_pre,
       count(*) FILTER (WHERE has_pre AND NOT has_post) AS missing_at_post
FROM s GROUP BY ALL HAVING count(*) FILTER (WHERE has_pre) > 0 ORDER BY indicator, program, country
"""

# cells of students: school x wave (or year), school x sex x wave, country x wave x student attribute
SMALL_CELLS_CELLS_SQL = """
    SELECT 'school_wave' AS cell, '' AS detail, o.unit_id AS grp, coalesce(o.wave, CAST(o.year AS VARCHAR)) AS period,
           count(DISTINCT o.student_key) AS students
    FROM observations o WHERE o.student_key IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT 'school_wave_sex', '', o.unit_id || '|' || coalesce(o.sex, '?'), coalesce(o.wave, CAST(o.year AS VARCHAR)),
           count(DISTINCT o.student_key)
    FROM observations o WHERE o.student_key IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT 'country_wave_attribute', u.country || ': ' || sa.name || ' = ' || sa.value, u.country,
           coalesce(o.wave, CAST(o.year AS VARCHAR)), count(DISTINCT o.student_key)
    FROM observations o JOIN student_attributes sa USING (student_key) JOIN units u ON u.unit_id = o.unit_id
    GROUP BY ALL"""

SMALL_CELLS_SUMMARY = """
SELECT cell, detail, count(*) AS cells, count(*) FILTER (WHERE students < ?) AS suppressed_cells,
       min(students) AS smallest
FROM {cells} GROUP BY cell, detail ORDER BY cell DESC, detail
"""
SMALL_CELLS_SQL = f"WITH cells AS ({SMALL_CELLS_CELLS_SQL})" + SMALL_CELLS_SUMMARY.format(cells="cells")

# The shapes of one level (department | municipality), the newest import's shape per territory, named as
# the units table names it (the file's own name otherwise).
BOUNDARIES_SQL = """
SELECT b.country, b.unit_type, b.code, b.country || '-' || b.code AS location,
       coalesce(u.name, b.name, b.code) AS name, u.unit_id IS NOT NULL AS in_units, b.geojson
FROM boundaries b
LEFT JOIN units u ON u.country = b.country AND u.unit_type = b.unit_type AND u.code = b.code
WHERE b.unit_type = ? AND b.code IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY b.country, b.unit_type, b.code ORDER BY b.import_id DESC) = 1
ORDER BY b.country, b.code
"""

# The territories of one level the database holds (shipped shapes are named and marked from these).
LEVEL_UNITS_SQL = "SELECT country, code, name FROM units WHERE unit_type = ? AND code IS NOT NULL"

ATTRIBUTE_VALUES_SQL = "SELECT DISTINCT value FROM student_attributes WHERE name = ? AND value IS NOT NULL"

PROVENANCE_IMPORTS_SQL = "SELECT import_id, source_name, sha256, status FROM imports ORDER BY import_id"


def territory_locations(groups: pd.DataFrame, shapes: pd.DataFrame) -> pd.Series:
    """The map location ('CO-76001') of each result row, from its country and territory name.

    compare() groups by the territory's name, so a row is matched to the shape of the same country
    whose name agrees accent- and case-insensitively: first among the territories the database holds
    (``in_units``: Valle's Argelia, not Antioquia's), then among all shapes. A name still shared by two
    territories cannot be placed and stays unmatched (None), never guessed.
    """
    def lookup(part: pd.DataFrame) -> dict:
        keys = [(c, fold(n)) for c, n in zip(part["country"], part["name"], strict=True)]
        counts = pd.Series(keys, dtype=object).value_counts()
        return {k: loc for k, loc in zip(keys, part["location"], strict=True) if counts[k] == 1}

    known = lookup(shapes[shapes["in_units"].fillna(False).astype(bool)]) if "in_units" in shapes else {}
    anywhere = lookup(shapes)
    out = []
    for country, name in zip(groups["country"], groups["label"], strict=True):
        key = (country, fold(name)) if isinstance(name, str) else None
        out.append(known.get(key) or anywhere.get(key) if key else None)
    return pd.Series(out, index=groups.index, dtype=object)


def map_context(shapes: pd.DataFrame, locations: Iterable[str], unit_type: str) -> pd.DataFrame:
    """The shapes to draw around matched territories: every department of those countries, or every
    municipality of those departments (the first two digits of the code are the department, in both
    DANE and MINEDUC codes)."""
    matched = shapes[shapes["location"].isin(set(locations))]
    if unit_type == "department":
        return shapes[shapes["country"].isin(set(matched["country"]))]
    departments = set(zip(matched["country"], matched["code"].str[:2], strict=True))
    keep = [(c, code[:2]) in departments for c, code in zip(shapes["country"], shapes["code"], strict=True)]
    return shapes[keep]


INDICATOR_CODES_SQL = "SELECT code FROM indicators ORDER BY code"


def unit_period_derived_sql(field: str | None = None) -> str | None:
    """:func:`unit_period_sql` for linked-student indicators with waves, pooled from the per unit x year
    cells of ``derived_student_cells`` (Chan et al.'s pooled variance) instead of every student row; same
    columns and parameters. None when ``field`` is not a unit attribute (sex, grade, student attributes
    need the rows)."""
    if field is not None and field not in UNIT_FILTER_FIELDS:
        return None
    _, where, _ = _period_filter(field)
    return pooled_unit_periods(" AND d.indicator = ? AND u.country = ?" + where)


def pooled_unit_periods(where: str, every_indicator: bool = False) -> str:
    """Per unit and wave period, n, mean and SD pooled from the cells selected by ``where``; with
    ``every_indicator``, for all indicators and countries at once (an ``indicator`` column first).
    Names are joined last (grouping on them cost a third of the query); the programme fields are any of
    the unit's (selected) assignments, one row per unit and period as before."""
    ind = "d.indicator, " if every_indicator else ""
    return f"""WITH {_UNIT_PROGRAM}, d AS (
    SELECT d.indicator, d.unit_id, up.program, up.lab_type, up.start_year, d.period, d.rows, d.mean, d.var
    FROM derived_student_cells d JOIN units u ON u.unit_id = d.unit_id JOIN up ON up.unit_id = d.unit_id
    WHERE d.level = 'all' AND d.period IS NOT NULL{where}),
p AS (SELECT indicator, unit_id, period, sum(rows) AS n, sum(rows * mean) / sum(rows) AS pooled FROM d
      GROUP BY indicator, unit_id, period),
s AS (SELECT {ind}d.unit_id, d.period, any_value(d.program) AS program, any_value(d.lab_type) AS lab_type,
             any_value(d.start_year) AS start_year, any_value(p.n) AS n, any_value(p.pooled) AS mean,
             sqrt((sum((d.rows - 1) * coalesce(d.var, 0)) + sum(d.rows * (d.mean - p.pooled) ^ 2))
                  / nullif(any_value(p.n) - 1, 0)) AS sd
      FROM d JOIN p ON p.indicator = d.indicator AND p.unit_id = d.unit_id AND p.period = d.period
      GROUP BY {ind}d.unit_id, d.period)
SELECT {ind.replace('d.', 's.')}s.unit_id, u.name, s.program, u.country, s.lab_type, s.start_year, s.period,
       CAST(s.n AS BIGINT) AS n, s.mean, s.sd
FROM s JOIN units u ON u.unit_id = s.unit_id
ORDER BY {ind.replace('d.', 's.')}s.unit_id, s.period"""
