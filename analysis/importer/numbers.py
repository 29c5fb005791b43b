"""Numbers as Latin-American offices write them: decimal commas or points, thousands separators.

A column's convention is decided from its own values (docs/DESIGN.md, "Messy input"):
- a separator followed by other than exactly three digits ("2,5", "0,125", "3.43") can only be a
  decimal mark; "1.234,5" and "1,234.5" show both marks;
- when a column only holds ambiguous "1,097"-style values, the file's other columns decide, then the
  delimiter (``;`` files are written by Spanish-locale software, so their commas are decimal marks;
  in ``,`` files a comma inside a quoted number is a thousands separator, as in MEN's "2,021").
Then every value must match the chosen convention exactly or it is rejected: "2.5" in a decimal-comma
column is not silently read as 25. Parsing happens in SQL, so it scales to millions of rows.
"""

from __future__ import annotations

import re

_COMMA_DECIMAL = re.compile(r"^[+-]?(\d+,\d{1,2}|\d+,\d{4,}|0,\d+|\d{4,},\d+|\d{1,3}(\.\d{3})+,\d+)%?$")
_POINT_DECIMAL = re.compile(
    r"^[+-]?(\d+\.\d{1,2}|\d+\.\d{4,}|0\.\d+|\d{4,}\.\d+|\d{1,3}(,\d{3})+\.\d+|\.\d+)([eE][+-]?\d+)?%?$")

# Accepted shapes per convention (the SQL below uses the same patterns).
POINT_PATTERN = r"^[+-]?(\d+|\d{1,3}(,\d{3})+)?(\.\d+)?([eE][+-]?\d+)?$"
COMMA_PATTERN = r"^[+-]?(\d+|\d{1,3}(\.\d{3})+)?(,\d+)?$"
# Plain values that both patterns accept unchanged (no sign, space, percent or thousands mark)
PLAIN_POINT = r"[0-9]+(\.[0-9]+)?"
PLAIN_COMMA = r"[0-9]+(,[0-9]+)?"


def evidence(values: list[str]) -> tuple[int, int]:
    """Counts of values that can only be decimal-comma and only be decimal-point numbers."""
    comma = point = 0
    for v in values:
        t = _compact(v)
        if _COMMA_DECIMAL.match(t):
            comma += 1
        elif _POINT_DECIMAL.match(t):
            point += 1
    return comma, point


def _compact(text: str) -> str:
    return re.sub(r"[\s\u00a0\u202f']", "", text or "")


def decide(column_values: dict[int, list[str]], delimiter: str | None,
           forced: str | None = None) -> dict[int, str]:
    """The decimal mark (',' or '.') for each numeric column of one file."""
    if forced in (",", "."):
        return {c: forced for c in column_values}
    per_col: dict[int, str | None] = {}
    file_comma = file_point = 0
    for col, values in column_values.items():
        comma, point = evidence(values)
        file_comma += comma
        file_point += point
        per_col[col] = "," if comma > point else "." if point > comma else None
    if file_comma > file_point:
        default = ","
    elif file_point > file_comma:
        default = "."
    else:
        default = "," if delimiter == ";" else "."
    return {c: (mark or default) for c, mark in per_col.items()}


def number_sql(column_sql: str, mark: str, fast: bool = True) -> str:
    """SQL expression: the DOUBLE value of a text column in the given convention, NULL if invalid.

    Spaces (also no-break and thin spaces), apostrophes used as thousands marks, and a trailing
    percent sign are ignored; the percentage is kept as written (12,5% -> 12.5). Plain values
    ('12', '12.5' or '12,5') take a fast path with the same result: one simple regular expression
    instead of four (issue #6: a national file holds millions of them). ``fast=False`` gives the
    general rule alone (the tests hold the two equal).
    """
    cleaned = (f"regexp_replace(regexp_replace(trim({column_sql}), '[\\s\u00a0\u202f'']', '', 'g'), "
               "'%$', '')")
    if mark == ",":
        general = (f"WHEN regexp_full_match({cleaned}, '{COMMA_PATTERN}') AND {cleaned} NOT IN "
                   f"('', '+', '-', ',') THEN TRY_CAST(replace(replace({cleaned}, '.', ''), ',', '.') AS DOUBLE)")
        plain = (f"WHEN regexp_full_match({column_sql}, '{PLAIN_COMMA}') "
                 f"THEN TRY_CAST(replace({column_sql}, ',', '.') AS DOUBLE)")
    else:
        general = (f"WHEN regexp_full_match({cleaned}, '{POINT_PATTERN}') AND {cleaned} NOT IN "
                   f"('', '+', '-', '.') THEN TRY_CAST(replace({cleaned}, ',', '') AS DOUBLE)")
        plain = f"WHEN regexp_full_match({column_sql}, '{PLAIN_POINT}') THEN TRY_CAST({column_sql} AS DOUBLE)"
    return f"CASE {plain + ' ' if fast else ''}{general} END"


def integer_sql(column_sql: str, fast: bool = True) -> str:
    """SQL expression for whole numbers such as years or counts: '2,021', '2.021', '2021.0' -> 2021.

    Plain digits take a fast path with the same result (issue #6); ``fast=False`` gives the general rule."""
    cleaned = f"regexp_replace(trim({column_sql}), '[\\s\u00a0\u202f'']', '', 'g')"
    plain = f"WHEN regexp_full_match({column_sql}, '[0-9]+') THEN TRY_CAST({column_sql} AS BIGINT) "
    return (f"CASE {plain if fast else ''}"
            f"WHEN regexp_full_match({cleaned}, '^\\d{{1,3}}([.,]\\d{{3}})+$') "
            f"THEN TRY_CAST(regexp_replace({cleaned}, '[.,]', '', 'g') AS BIGINT) "
            f"WHEN regexp_full_match({cleaned}, '^[+-]?\\d+([.,]0+)?$') "
            f"THEN TRY_CAST(regexp_replace({cleaned}, '[.,]0+$', '') AS BIGINT) END")


def year_sql(column_sql: str, fast: bool = True) -> str:
    """SQL for a school year: whole number, or the first four digits of a period such as 20132.

    Four plain digits take a fast path (GLOB, no regular expression) with the same result;
    ``fast=False`` gives the general rule."""
    as_int = integer_sql(column_sql, fast)
    plain = (f"WHEN {column_sql} GLOB '[0-9][0-9][0-9][0-9]' THEN CASE WHEN CAST({column_sql} AS INTEGER) "
             f"BETWEEN 1900 AND 2100 THEN CAST({column_sql} AS INTEGER) END ")
    return (f"CASE {plain if fast else ''}"
            f"WHEN {as_int} BETWEEN 1900 AND 2100 THEN {as_int} "
            f"WHEN {as_int} BETWEEN 190000 AND 210099 THEN {as_int} // 100 "
            f"WHEN {as_int} BETWEEN 19000 AND 21009 THEN {as_int} // 10 END")
