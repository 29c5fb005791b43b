"""Staging: read a file, recognise it and validate every row and value in a private in-memory DuckDB.

Nothing is written anywhere: a preview stages, the commit (``analysis.importer.writing``) writes.
Rows get their unit resolved and problems named; values are unpivoted, parsed and checked cell by cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from analysis.catalog import INDICATOR_BY_CODE, LEVELS
from analysis.db.connect import StoreError, apply_limits
from analysis.db.schema import OBS_KEY
from analysis.db.sql import run, scalar
from analysis.importer import normalise as nz
from analysis.importer.cautions import future_year_reason, rejected_share_note, this_year, unused_columns_notes
from analysis.importer.errors import ImportFailed, file_sha256
from analysis.importer.form_exports import is_form_export, stage_form_export
from analysis.importer.layouts import Layout, NotRecognised
from analysis.importer.location import review_units
from analysis.importer.numbers import decide, integer_sql, number_sql, year_sql
from analysis.importer.readers import ReadError, SourceTable, drop_raw, materialise_raw, read_into, reading
from analysis.importer.recognise import recognise
from analysis.importer.sittings import mark_other_sittings
from analysis.importer.suggest import country_of_values
from analysis.importer.unit_keys import resolve_units
from analysis.keys import key_for_import
from analysis.privacy import KeyError_, hmac_sql, key_fingerprint

MISSING_MARKERS = ("", "na", "n/a", "n.a.", "nd", "n.d.", "s.d.", "sd", "-", "--", ".", "null", "nan",
                   "#n/a", "#num!", "#div/0!", "#value!", "#ref!", "sin dato", "sin datos")


@dataclass
class Staged:
    """A validated file waiting in memory to be committed."""

    con: duckdb.DuckDBPyConnection
    source: SourceTable
    layout: Layout
    sha256: str
    summary: dict = field(default_factory=dict)


def stage(path: str | Path, name: str | None = None, layout: Layout | None = None,
          extra_indicators: pd.DataFrame | None = None,
          mapping_builder=None, db_path: str | Path | None = None, read_options: dict | None = None,
          current_year: int | None = None) -> Staged:
    """Read and validate a file into a fresh in-memory database (nothing is written anywhere); a year after
    ``current_year`` (default: the clock's) is rejected.

    ``db_path`` names the database the file is bound for: a student file is refused when that database
    holds pseudonyms but the key file is missing (a new key would silently break linking)."""
    path = Path(path)
    name = name or path.name
    con = duckdb.connect()
    run(con, "SET preserve_insertion_order = true")
    # DuckDB draws a progress bar on stdout for queries over 2 s, which corrupts `import --json`.
    run(con, "SET enable_progress_bar = false")
    # $LABLENS_MEMORY_LIMIT caps the staging tables too (they spill beside the database), and the snapshot
    # write, which runs on this connection
    apply_limits(con, Path(db_path) if db_path is not None else None)
    form_export = None
    try:
        if layout is None and mapping_builder is None and is_form_export(path):
            form_export, source, layout = stage_form_export(con, path, name, db_path)
        else:
            source = read_into(con, path, name, **(read_options or {}))
    except ReadError as exc:
        con.close()
        raise ImportFailed(str(exc)) from exc
    if source.n_rows == 0:
        con.close()
        raise ImportFailed(f"{name}: the file has a header but no data rows")
    extra = extra_indicators if extra_indicators is not None else pd.DataFrame()
    extra_codes = set(extra["code"]) if len(extra) else set()
    try:
        if mapping_builder is not None:
            layout = mapping_builder(source)
        if layout is None:
            layout = recognise(source.headers, name, source.has_header, source.json_shape, extra_codes)
    except NotRecognised as exc:
        # the suggested mapping names the country the file's codes point to (Guatemala's MINEDUC codes)
        preview = con.execute("SELECT " + ", ".join(f"c{i}" for i in range(len(source.headers)))
                              + " FROM raw LIMIT 50").fetchall() if source.headers else []
        country = country_of_values(source.headers, [[r[i] for r in preview if r[i] is not None]
                                                     for i in range(len(source.headers))])
        con.close()
        raise exc.with_reading(reading(source)).in_country(country) from None
    if layout.unit_attribute_cols:  # the commit reads raw again (_write_units): a copy, not the file
        materialise_raw(con)
    staged = Staged(con, source, layout, file_sha256(path))
    _register_indicators(con, extra)
    try:
        _stage_rows(staged, db_path, this_year(current_year))
        refused = review_units(staged)  # codes damaged by a spreadsheet; schools placed off their code
        if refused:
            con.close()
            raise ImportFailed(f"{name}: {refused}")
        if layout.target == "observations":
            _stage_observations(staged)
        elif layout.target == "roster":
            _stage_roster(staged)
        _finish_summary(staged)
        if form_export is not None:  # submissions read and kept, duplicates of the same instance ID
            staged.summary.update(form_export=form_export.summary(), rows_read=form_export.rows_read,
                                  submissions_loaded=form_export.rows_loaded,
                                  duplicate_submissions=form_export.duplicates_skipped)
    except duckdb.Error as exc:
        con.close()
        raise ImportFailed(f"{name}: could not be staged: {str(exc).splitlines()[0]}") from exc
    except (KeyError_, StoreError) as exc:
        con.close()
        raise ImportFailed(f"{name}: {exc}") from exc
    return staged


def _register_indicators(con: duckdb.DuckDBPyConnection, extra: pd.DataFrame) -> None:
    rows = [(i.code, i.kind, i.min_value, i.max_value) for i in INDICATOR_BY_CODE.values()]
    if len(extra):
        rows += [tuple(r) for r in extra[["code", "kind", "min_value", "max_value"]].itertuples(index=False)]
    frame = pd.DataFrame(rows, columns=["code", "kind", "min_value", "max_value"]).drop_duplicates("code")
    con.register("_ind", frame)
    run(con, "CREATE OR REPLACE TABLE ind AS SELECT code, kind, min_value::DOUBLE AS min_value, "
             "max_value::DOUBLE AS max_value FROM _ind")
    con.unregister("_ind")


def _col(i: int | None) -> str:
    return f"c{i}" if i is not None else "NULL::VARCHAR"


def _header(staged: Staged, i: int | None) -> str | None:
    return staged.source.headers[i] if i is not None else None


def _stage_rows(staged: Staged, db_path: str | Path | None, year_now: int) -> None:
    """One row per source record with its unit resolved and row-level problems named."""
    con, lay = staged.con, staged.layout
    key_cols = list(lay.code_cols)
    extras = [lay.country_col, lay.unit_type_col, lay.municipality_code_col]
    key_sql = [f"coalesce({_col(i)}, '') AS k{j}" for j, i in enumerate(key_cols)]
    key_sql += [f"coalesce({_col(i)}, '') AS x{j}" for j, i in enumerate(extras)]
    key_names = [f"k{j}" for j in range(len(key_cols))] + [f"x{j}" for j in range(len(extras))]
    desc = {"name": lay.name_col, "department": lay.department_col, "municipality": lay.municipality_col,
            "zone": lay.zone_col, "authority": lay.authority_col}
    year_expr = (year_sql(_col(lay.year_col)) if lay.year_col is not None
                 else (str(int(lay.year_const)) if lay.year_const is not None else "NULL"))
    # value columns ride along so that the unpivot reads rows2 alone (no join back to raw on _row)
    value_cols = "".join(f", c{c}" for c in sorted({v.column for v in lay.values}))
    # a view, not a copy: rows2 below is its only full reader (issue #6: one pass over raw, not two)
    run(con, f"""CREATE OR REPLACE VIEW rows AS SELECT _row, {', '.join(key_sql)},
        {', '.join(f'{_col(i)} AS d_{k}' for k, i in desc.items())},
        ({year_expr})::INTEGER AS year, {_col(lay.year_col)} AS year_raw,
        {_col(lay.wave_col)} AS wave_raw, {_col(lay.sex_col)} AS sex_raw,
        {_col(lay.grade_col)} AS grade_raw, {_col(lay.level_col)} AS level_raw,
        {_col(lay.student_col)} AS student_raw, {_col(lay.n_col)} AS n_raw,
        {_col(lay.program_col)} AS program_raw, {_col(lay.lab_type_col)} AS lab_type_raw,
        {_col(lay.start_year_col)} AS start_year_raw, {_col(lay.sitting_col)} AS sitting_raw,
        {_col(lay.calendar_col)} AS calendar_raw{value_cols}
        FROM raw""")
    # A description column absent from the layout is NULL: no need to rank by year to pick its value.
    # Keys come in order of first appearance, so when two keys name one unit (spellings of a school name
    # that differ only in spaces) the first in the file gives its name, as a reader would expect.
    result = con.execute(
        f"SELECT {', '.join(key_names)}, "
        + ", ".join(f"arg_max(d_{k}, coalesce(year, 0)) AS d_{k}" if i is not None else f"NULL::VARCHAR AS d_{k}"
                    for k, i in desc.items())
        + f" FROM rows GROUP BY {', '.join(key_names)} ORDER BY min(_row)")
    columns = [c[0] for c in result.description]
    keymap, units = resolve_units(lay, columns, result.fetchall(), key_names)
    con.register("_keymap", keymap)
    run(con, "CREATE OR REPLACE TABLE keymap AS SELECT * FROM _keymap")
    con.unregister("_keymap")
    staged.summary["_units"] = units
    # categorical columns: distinct raw values -> canonical codes
    for column, fn in (("wave", nz.wave_code), ("sex", nz.sex_code), ("level", nz.level_code),
                       ("grade", nz.grade_code)):
        present = getattr(lay, f"{column}_col") is not None
        values = ([r[0] for r in con.execute(f"SELECT DISTINCT {column}_raw FROM rows").fetchall()] if present
                  else [None])
        frame = pd.DataFrame({"raw": pd.Series(values, dtype="string"),
                              "val": pd.Series([fn(v) if v is not None and str(v).strip() else None
                                                for v in values], dtype="string")})
        con.register("_cat", frame)
        run(con, f"CREATE OR REPLACE TABLE map_{column} AS SELECT raw, val FROM _cat")
        con.unregister("_cat")
    student_key = "NULL::VARCHAR"
    if lay.student_col is not None:
        key = key_for_import(db_path)
        staged.summary["key_fingerprint"] = key_fingerprint(key)
        hashed = "r.student_raw" if lay.student_prehashed else hmac_sql(key, "r.student_raw")
        student_key = f"CASE WHEN coalesce(trim(r.student_raw), '') <> '' THEN {hashed} END"
    # an absent extra column is '' in every row and every key: joining on it would only cost time
    present_keys = key_names[:len(key_cols)] + [f"x{j}" for j, i in enumerate(extras) if i is not None]
    join = " AND ".join(f"r.{k} = km.{k}" for k in present_keys)
    # n is a count: '1.234' (decimal-comma files) and '1,097' (ICFES) are thousands, not fractions
    n_expr = (f"coalesce({integer_sql('r.n_raw')}, {number_sql('r.n_raw', '.')})" if lay.n_col is not None
              else "NULL")
    h = {k: _header(staged, getattr(lay, f"{k}_col")) for k in ("year", "wave", "sex", "level", "student")}
    code_header = _header(staged, lay.code_cols[0]) if lay.code_cols else None
    no_year = "r.year IS NULL" if lay.year_col is not None else "false"
    future = f"r.year > {int(year_now)}"  # a year not yet begun (a typing error or a test file)
    bad_wave = "mw.val IS NULL" if lay.wave_col is not None else "false"
    no_time = "mw.val IS NULL AND r.year IS NULL" if lay.wave_col is not None else "false"
    no_student = "coalesce(trim(r.student_raw), '') = ''" if lay.student_col is not None else "false"
    bad_level = ("ml.val IS NULL AND coalesce(trim(r.level_raw), '') <> ''" if lay.level_col is not None
                 else "false")
    # categorical columns the layout lacks are NULL: no join (four joins of every row cost ~0.5 s per million)
    alias = {"wave": "mw", "sex": "ms", "grade": "mg", "level": "ml"}
    present = [c for c in alias if getattr(lay, f"{c}_col") is not None]
    val = {c: (f"{alias[c]}.val" if c in present else "NULL::VARCHAR") for c in alias}
    # The headers named in rejects, as a one-row table: a view takes no bound parameters.
    run(con, "CREATE OR REPLACE TABLE row_headers AS SELECT ?::VARCHAR AS levels, ?::VARCHAR AS code, "
             "?::VARCHAR AS year, ?::VARCHAR AS wave, ?::VARCHAR AS student, ?::VARCHAR AS level",
        [", ".join(LEVELS), code_header, h["year"], h["wave"], h["student"], h["level"]])
    # rows2 is a view, not a copy (issue #20): its readers are the one pass that collects the row-level
    # rejects below and the statement that builds the observations; a copy of every row cost ~3.5 CPU s
    # at 10 M rows. It keeps only what later steps read.

    def rows2_sql(unit: bool = True, maps: tuple[str, ...] = tuple(present), sittings: bool = False) -> str:
        """``sittings``: the rows of ``other_sittings`` (another sitting of their school-year) get its reason."""
        km = {"unit_id": "km.unit_id", "problem": "km.problem", "raw_code": "km.raw_code"} if unit else \
            {"unit_id": "NULL::VARCHAR", "problem": "NULL::VARCHAR", "raw_code": "NULL::VARCHAR"}
        v = {c: (val[c] if c in maps else "NULL::VARCHAR") for c in alias}
        joins = (f" JOIN keymap km ON {join}" if unit else "") + "".join(
            f"\n        LEFT JOIN map_{c} {alias[c]} ON {alias[c]}.raw IS NOT DISTINCT FROM r.{c}_raw" for c in maps)
        sit = {k: f"WHEN os._row IS NOT NULL THEN os.{k}" if sittings else ""
               for k in ("reason", "column_name", "raw_value")}
        joins += " LEFT JOIN other_sittings os ON os._row = r._row" if sittings else ""
        return f"""SELECT r._row, {km["unit_id"]} AS unit_id, r.year, {v["wave"]} AS wave,
        {v["sex"]} AS sex, r.sex_raw, {v["grade"]} AS grade, coalesce({v["level"]}, 'all') AS level,
        {student_key} AS student_key, {n_expr} AS n, r.n_raw, r.program_raw, r.lab_type_raw,
        r.start_year_raw, r.sitting_raw, r.calendar_raw{value_cols},
        CASE
          WHEN {km["problem"]} IS NOT NULL THEN {km["problem"]}
          WHEN {no_year} THEN
               CASE WHEN coalesce(trim(r.year_raw), '') = '' THEN 'no year' ELSE 'not a year' END
          WHEN {future} THEN {future_year_reason(year_now)}
          WHEN {bad_wave} AND coalesce(trim(r.wave_raw), '') <> ''
               THEN 'unknown wave (expected pre, post, baseline or endline)'
          WHEN {no_time} THEN 'neither a year nor a wave'
          WHEN {no_student} THEN 'no student ID'
          WHEN {bad_level} THEN 'unknown level (expected ' || hd.levels || ')'
          {sit["reason"]}
        END AS row_problem,
        CASE
          WHEN {km["problem"]} IS NOT NULL THEN hd.code
          WHEN {no_year} OR {future} THEN hd.year
          WHEN {bad_wave} THEN hd.wave
          WHEN {no_student} THEN hd.student
          {sit["column_name"]}
          ELSE hd.level
        END AS problem_column,
        CASE
          WHEN {km["problem"]} IS NOT NULL THEN {km["raw_code"]}
          WHEN {no_year} OR {future} THEN coalesce(r.year_raw, r.year::VARCHAR)
          WHEN {bad_wave} THEN r.wave_raw
          {sit["raw_value"]}
          ELSE r.level_raw
        END AS problem_value
        FROM rows r{joins} CROSS JOIN row_headers hd"""

    run(con, f"CREATE OR REPLACE VIEW rows2 AS {rows2_sql()}")
    # one school-year in two test sittings (ICFES): the other sitting's rows are skipped with their reason
    sittings = lay.sitting_col is not None and mark_other_sittings(con, _header(staged, lay.sitting_col)) > 0
    if sittings:
        run(con, f"CREATE OR REPLACE VIEW rows2 AS {rows2_sql(sittings=True)}")
    # One pass collects every row that is rejected, excluded as a total, or loads without its sex or count
    # (few rows; three passes over the view would recompute its joins three times). It joins only what can
    # name a problem: the unit keys when some key has one (every row's key is in keymap, so the join drops
    # no row), the sex map when some sex value is unknown, the wave and level maps; never the grade map.
    unit_problems = scalar(con, "SELECT count(*) FROM keymap WHERE problem IS NOT NULL") > 0
    sex_unknown = lay.sex_col is not None and scalar(
        con, "SELECT count(*) FROM map_sex WHERE val IS NULL AND coalesce(trim(raw), '') <> ''") > 0
    maps = tuple(c for c in present if c in ("wave", "level") or (c == "sex" and sex_unknown))
    bad_sex = ("row_problem IS NULL AND sex IS NULL AND coalesce(trim(sex_raw), '') <> ''"
               if sex_unknown else "false")
    bad_n = ("row_problem IS NULL AND n IS NULL AND coalesce(trim(n_raw), '') <> ''"
             if lay.n_col is not None else "false")
    run(con, f"""CREATE OR REPLACE TEMP TABLE row_issues AS SELECT _row, row_problem, problem_column,
        problem_value, {bad_sex} AS bad_sex, sex_raw, {bad_n} AS bad_n, n_raw
        FROM ({rows2_sql(unit_problems, maps, sittings)}) WHERE row_problem IS NOT NULL OR {bad_sex} OR {bad_n}""")
    run(con, "CREATE OR REPLACE TABLE rejects AS SELECT _row AS row_number, problem_column AS column_name, "
             "problem_value AS raw_value, row_problem AS reason FROM row_issues "
             "WHERE row_problem IS NOT NULL AND row_problem <> 'total'")
    # unknown sex values: the row loads without a sex, the cell is reported
    if lay.sex_col is not None:
        run(con, "INSERT INTO rejects SELECT _row, ?, sex_raw, 'unknown sex (expected F or M); loaded "
                 "without sex' FROM row_issues WHERE bad_sex", [h["sex"]])
    if lay.n_col is not None:
        run(con, "INSERT INTO rejects SELECT _row, ?, n_raw, 'count is not a number; loaded without n' "
                 "FROM row_issues WHERE bad_n", [_header(staged, lay.n_col)])
    staged.summary["rows_excluded_totals"] = scalar(con, "SELECT count(*) FROM row_issues WHERE row_problem = 'total'")
    if lay.sitting_col is not None:  # rejected rows that are another sitting of their school-year
        staged.summary["rows_other_sitting"] = scalar(con, "SELECT count(*) FROM other_sittings") if sittings else 0
    run(con, "DROP TABLE row_issues")


def _stage_observations(staged: Staged) -> None:
    """Unpivot indicator columns into long observations; reject bad values cell by cell."""
    con, lay = staged.con, staged.layout
    if not lay.values:
        raise ImportFailed(f"{staged.source.name}: no indicator columns to load")
    cols = sorted({v.column for v in lay.values})
    sample = {c: [r[0] for r in con.execute(
        f"SELECT c{c} FROM raw WHERE c{c} IS NOT NULL AND (c{c} LIKE '%,%' OR c{c} LIKE '%.%') "
        "LIMIT 2000").fetchall()] for c in cols}
    marks = decide(sample, staged.source.delimiter, lay.decimal)
    vm = pd.DataFrame([(f"c{v.column}", v.indicator, v.level, staged.source.headers[v.column],
                        marks[v.column], v.column) for v in lay.values],
                      columns=["col", "indicator", "level", "header", "mark", "pos"])
    unknown = sorted(set(vm["indicator"]) - {r[0] for r in con.execute("SELECT code FROM ind").fetchall()})
    if unknown:
        raise ImportFailed(f"{staged.source.name}: unknown indicator code(s) {', '.join(unknown)}; define "
                           "them in the mapping file's [indicators] table")
    con.register("_vm", vm)
    run(con, "CREATE OR REPLACE TABLE value_map AS SELECT * FROM _vm")
    con.unregister("_vm")
    on = ", ".join(f"c{c}" for c in cols)
    # One statement unpivots rows2 (which carries the value columns), parses every number, names what is
    # wrong with it and keeps it all in `obs`; the bad values then move to rejects (issue #6: this took three
    # full copies: long, a numbered copy of the valid values, and the deletes). No missing marker starts
    # with a digit, so a byte comparison spares most values the marker test (trim, lower, 20 strings).
    markers = ", ".join("?" for _ in MISSING_MARKERS)
    if len(lay.values) == 1:
        _stage_one_value_column(con, lay, cols[0], markers)
    else:
        _stage_value_columns(con, cols, on, markers)
    if lay.attribute_cols and lay.student_col is not None:
        parts = [f"SELECT student_key, ? AS name, trim(raw.c{i}) AS value FROM rows2 JOIN raw USING (_row) "
                 f"WHERE row_problem IS NULL AND coalesce(trim(raw.c{i}), '') <> ''"
                 for i in lay.attribute_cols]
        run(con, "CREATE OR REPLACE TABLE attrs AS SELECT DISTINCT * FROM (" + " UNION ALL ".join(parts) + ")",
            list(lay.attribute_cols.values()))
    # the file's copy goes before the duplicate check, whose hash table is the other big allocation
    # (issue #20: at 10 M rows the CSV copy, obs and that table peaked at 1.9 GB together)
    _drop_staging_copies(staged)
    _reject_duplicates(con, _varying_key(lay))


# What is wrong with a parsed value (NULL: nothing), over obs joined with its indicator's kind and range.
_REASON = """CASE WHEN value IS NULL THEN 'not a number'
             WHEN min_value IS NOT NULL AND value < min_value OR max_value IS NOT NULL AND value > max_value
               THEN 'outside the valid range of ' || indicator || ' [' || coalesce(min_value::VARCHAR, '')
                    || ', ' || coalesce(max_value::VARCHAR, '') || ']'
             WHEN kind = 'binary' AND value NOT IN (0, 1) THEN 'not 0 or 1'
             WHEN kind = 'likert' AND value <> trunc(value) THEN 'not a whole scale point'
        END"""


def _stage_one_value_column(con: duckdb.DuckDBPyConnection, lay: Layout, col: int, markers: str) -> None:
    """One indicator column (a national aggregate file): the same observations, values and reasons as the
    unpivot in :func:`_stage_value_columns`, without it (issue #20). The column's indicator, level, header
    and decimal mark are one row (``vmi``), so the values are a projection of ``rows2``. Columns that hold
    one value in the whole file (indicator, header, and level, wave, student and count when the file has no
    such column) are kept once in ``obs_const`` instead of in every row (at 10 M rows each cost ~160 MB
    and ~0.3 CPU s to copy); ``obs_rows`` puts them back. The reason is not stored with every value but
    looked for once, and only bad values are copied to the rejects."""
    run(con, "CREATE OR REPLACE TEMP TABLE vmi AS SELECT vm.*, i.kind, i.min_value, i.max_value "
             "FROM value_map vm JOIN ind i ON i.code = vm.indicator")
    level = "CASE WHEN vm.level <> 'all' THEN vm.level ELSE {} END"
    expr = {"_row": "u._row", "unit_id": "u.unit_id", "student_key": "u.student_key", "indicator": "vm.indicator",
            "year": "u.year", "wave": "u.wave", "level": level.format("u.level"), "sex": "u.sex", "grade": "u.grade",
            "n": "u.n", "header": "vm.header", "txt": "u.txt",
            "value": f"CASE WHEN vm.mark = ',' THEN {number_sql('u.txt', ',')} ELSE {number_sql('u.txt', '.')} END"}
    # what rows2 gives these columns when the layout lacks them (see _stage_rows)
    constant = {"indicator": "vm.indicator", "header": "vm.header"}
    if lay.level_col is None:
        constant["level"] = level.format("'all'")
    if lay.wave_col is None:
        constant["wave"] = "NULL::VARCHAR"
    if lay.student_col is None:
        constant["student_key"] = "NULL::VARCHAR"
    if lay.n_col is None:
        constant["n"] = "NULL"
    run(con, "CREATE OR REPLACE TABLE obs_const AS SELECT "
             + ", ".join(f"{e} AS {c}" for c, e in constant.items()) + " FROM vmi vm")
    run(con, f"""CREATE OR REPLACE TABLE obs AS SELECT
        {', '.join(f'{e} AS {c}' for c, e in expr.items() if c not in constant)}
        FROM (SELECT _row, unit_id, student_key, year, wave, level, sex, grade, n, c{col} AS txt FROM rows2
              WHERE row_problem IS NULL AND c{col} IS NOT NULL) u CROSS JOIN vmi vm
        WHERE (u.txt >= '0' AND u.txt < ':') OR lower(trim(u.txt)) NOT IN ({markers})""",
        list(MISSING_MARKERS))
    _obs_rows(con, set(constant))
    bad = (f"SELECT o._rid AS rid, o._row, o.header, o.txt, {_REASON} AS reason FROM obs_rows o "
           "CROSS JOIN (SELECT kind, min_value, max_value FROM vmi)")
    if scalar(con, f"SELECT count(*) FROM ({bad}) WHERE reason IS NOT NULL"):
        run(con, f"CREATE OR REPLACE TEMP TABLE bad AS SELECT * FROM ({bad}) WHERE reason IS NOT NULL")
        run(con, "INSERT INTO rejects SELECT _row, header, txt, reason FROM bad")
        run(con, "DELETE FROM obs WHERE rowid IN (SELECT rid FROM bad)")
        run(con, "DROP TABLE bad")
    run(con, "DROP TABLE vmi")


# The columns of a staged observation, as commit and the summary read them from ``obs_rows``.
OBS_ROW_COLUMNS = ("_row", "unit_id", "student_key", "indicator", "year", "wave", "level", "sex", "grade", "n",
                   "header", "txt", "value")


def _obs_rows(con: duckdb.DuckDBPyConnection, constant: set[str]) -> None:
    """The view every later reader of the staged observations uses: ``obs`` (one row per value, ``_rid`` its
    row id for deletes) with the columns kept once in ``obs_const`` put back."""
    if not constant:
        run(con, "CREATE OR REPLACE TABLE obs_const AS SELECT 1 AS _one")
    cols = ", ".join(f"{'c' if c in constant else 'o'}.{c}" for c in OBS_ROW_COLUMNS)
    run(con, f"CREATE OR REPLACE VIEW obs_rows AS SELECT o.rowid AS _rid, {cols} FROM obs o CROSS JOIN obs_const c")


def _stage_value_columns(con: duckdb.DuckDBPyConnection, cols: list[int], on: str, markers: str) -> None:
    """Several value columns: unpivot them, parse and validate every value in one statement."""
    run(con, f"""CREATE OR REPLACE TABLE obs AS SELECT * EXCLUDE (kind, min_value, max_value),
        {_REASON} AS reason
        FROM (WITH u AS (UNPIVOT (SELECT _row, unit_id, student_key, year, wave, level, sex, grade, n, {on}
                                  FROM rows2 WHERE row_problem IS NULL) ON {on} INTO NAME col VALUE txt)
        SELECT u._row, u.unit_id, u.student_key, vm.indicator, u.year, u.wave,
               CASE WHEN vm.level <> 'all' THEN vm.level ELSE u.level END AS level,
               u.sex, u.grade, u.n, vm.header, u.txt,
               CASE WHEN vm.mark = ',' THEN {number_sql('u.txt', ',')} ELSE {number_sql('u.txt', '.')} END
                 AS value, i.kind, i.min_value, i.max_value
        FROM u JOIN value_map vm ON vm.col = u.col
        JOIN ind i ON i.code = vm.indicator
        WHERE (u.txt >= '0' AND u.txt < ':') OR lower(trim(u.txt)) NOT IN ({markers}))""",
        list(MISSING_MARKERS))
    if scalar(con, "SELECT count(*) FROM obs WHERE reason IS NOT NULL"):
        run(con, "INSERT INTO rejects SELECT _row, header, txt, reason FROM obs WHERE reason IS NOT NULL")
        run(con, "DELETE FROM obs WHERE reason IS NOT NULL")
    _obs_rows(con, set())


_DUPLICATE = "' (same unit, indicator, year, wave, level, subgroup and student)'"
# Rows of one key holding different values: the rows (at most ten named) and their values as written.
_CONFLICT = """'different values for the same key (rows ' || _and(CAST(rws[:10] AS VARCHAR[])
    || CASE WHEN len(rws) > 10 THEN ['…'] ELSE [] END) || ': ' || _and(txts[:10] || CASE WHEN len(txts) > 10
    THEN ['…'] ELSE [] END) || ')'"""


def _varying_key(lay: Layout) -> list[str]:
    """The observation key columns that can differ between two values of this file: the others are the
    same in every value (absent columns are NULL, one indicator column gives one indicator and level)."""
    single = len({(v.indicator, v.level) for v in lay.values}) == 1
    constant = {"student_key": lay.student_col is None, "indicator": single,
                "year": lay.year_col is None, "wave": lay.wave_col is None,
                "level": single and lay.level_col is None, "sex": lay.sex_col is None,
                "grade": lay.grade_col is None}
    return [k for k in OBS_KEY if not constant.get(k, False)] or ["unit_id"]


def _reject_duplicates(con: duckdb.DuckDBPyConnection, varying: list[str] | tuple[str, ...] = OBS_KEY) -> None:
    """Repeats inside the file. An observation key repeated with the same value is a duplicate: the first
    occurrence loads, later ones are rejected. A key repeated with different values is a conflict: no value
    is chosen silently, every row of that key is rejected naming the rows and their values.

    Equal keys have equal hashes, so as many distinct key hashes as values proves there is no duplicate
    (one 64-bit distinct count: half the cost of grouping by the eight key columns). Only the ``varying``
    key columns are hashed: the others hold one value in the whole file (issue #20: hashing four constant
    or NULL text columns cost ~1 CPU s at 10 M values). The distinct hashes are counted by a grouped
    DISTINCT, which DuckDB runs in parallel (an ungrouped count(DISTINCT) did not). Otherwise a GROUP BY
    finds the keys that really occur more than once (a hash collision finds none) and only their rows are
    numbered (a window over every row sorted the whole file, ~2 s per million rows, to find none)."""
    key = ", ".join(OBS_KEY)
    rows = scalar(con, "SELECT count(*) FROM obs")
    hashes = scalar(con, f"SELECT count(*) FROM (SELECT DISTINCT hash({', '.join(varying)}) FROM obs_rows)")
    if rows == hashes:
        return
    same = " AND ".join(f"o.{k} IS NOT DISTINCT FROM d.{k}" for k in OBS_KEY)
    # Two columns of one row holding the same observation tie on _row: the rightmost loads, as it always did
    # (``pick`` 1); the values of different rows are then compared: equal, a duplicate; different, a conflict.
    run(con, f"""CREATE OR REPLACE TEMP TABLE dup AS SELECT rid, _row, header, txt, value, pos,
        first_value(_row) OVER w AS first_row, row_number() OVER w AS occurrence,
        row_number() OVER (PARTITION BY {key}, _row ORDER BY vm.pos DESC) AS pick,
        dense_rank() OVER (ORDER BY {key}) AS g
        FROM (SELECT o._rid AS rid, o.* EXCLUDE (_rid) FROM obs_rows o SEMI JOIN (SELECT {key} FROM obs_rows
              GROUP BY {key} HAVING count(*) > 1) d ON {same}) x
        JOIN (SELECT header, max(pos) AS pos FROM value_map GROUP BY header) vm USING (header)
        WINDOW w AS (PARTITION BY {key} ORDER BY _row, vm.pos DESC)""")
    run(con, "CREATE OR REPLACE TEMP TABLE dupkey AS SELECT g, min(value) <> max(value) AS conflict, "
             "list(_row ORDER BY _row) AS rws, list(txt ORDER BY _row) AS txts FROM dup WHERE pick = 1 GROUP BY g")
    run(con, f"INSERT INTO rejects SELECT _row, header, txt, 'duplicate of row ' || first_row || {_DUPLICATE} "
             "FROM dup JOIN dupkey USING (g) WHERE (occurrence > 1 AND NOT conflict) OR (conflict AND pick > 1)")
    if scalar(con, "SELECT count(*) FROM dupkey WHERE conflict"):
        run(con, "CREATE OR REPLACE TEMP MACRO _and(xs) AS CASE WHEN len(xs) < 2 THEN array_to_string(xs, '') "
                 "ELSE array_to_string(xs[:-2], ', ') || ' and ' || xs[-1] END")
        run(con, f"INSERT INTO rejects SELECT d._row, d.header, d.txt, {_CONFLICT} FROM dup d JOIN dupkey c "
                 "USING (g) WHERE c.conflict AND d.pick = 1")
    run(con, "DELETE FROM obs WHERE rowid IN (SELECT rid FROM dup JOIN dupkey USING (g) WHERE occurrence > 1 "
             "OR conflict)")
    run(con, "DROP TABLE dupkey")
    run(con, "DROP TABLE dup")


def _drop_staging_copies(staged: Staged) -> None:
    """Free the full-size intermediate tables commit() does not read (issue #6: at 10 M rows the staging
    database held raw, rows, rows2, long and obs at once, 7.5 GB). ``raw`` and ``rows`` stay when the
    layout carries unit attributes (_write_units reads them)."""
    run(staged.con, "DROP VIEW IF EXISTS rows2")
    if not staged.layout.unit_attribute_cols:
        run(staged.con, "DROP VIEW IF EXISTS rows")
        drop_raw(staged.con)


def _stage_roster(staged: Staged) -> None:
    """Programme assignments: one per unit and programme; blank lab type and start year allowed."""
    con = staged.con
    h_program = _header(staged, staged.layout.program_col)
    h_start = _header(staged, staged.layout.start_year_col)
    run(con, f"""CREATE OR REPLACE TABLE roster AS SELECT _row, unit_id, trim(program_raw) AS program,
        nullif(trim(lab_type_raw), '') AS lab_type, ({integer_sql('start_year_raw')})::INTEGER AS start_year,
        start_year_raw FROM rows2 WHERE row_problem IS NULL""")
    run(con, "INSERT INTO rejects SELECT _row, ?, program, 'no programme name' FROM roster "
             "WHERE coalesce(program, '') = ''", [h_program])
    run(con, "INSERT INTO rejects SELECT _row, ?, start_year_raw, 'start year is not a year between 1990 and "
             "2100' FROM roster WHERE coalesce(trim(start_year_raw), '') <> '' AND "
             "(start_year IS NULL OR start_year NOT BETWEEN 1990 AND 2100)", [h_start])
    run(con, "DELETE FROM roster WHERE coalesce(program, '') = '' OR (coalesce(trim(start_year_raw), '') <> '' "
             "AND (start_year IS NULL OR start_year NOT BETWEEN 1990 AND 2100))")
    run(con, "UPDATE roster SET program = 'comparison' WHERE lower(program) IN ('comparison', 'comparacion', "
             "'comparación', 'control', 'grupo de comparacion', 'grupo de comparación', 'grupo control')")
    run(con, """CREATE OR REPLACE TABLE roster AS SELECT *, row_number() OVER (PARTITION BY unit_id, program
        ORDER BY _row) AS occurrence, first_value(_row) OVER (PARTITION BY unit_id, program ORDER BY _row)
        AS first_row FROM roster""")
    run(con, "INSERT INTO rejects SELECT _row, ?, program, 'duplicate of row ' || first_row || "
             "' (same unit and programme)' FROM roster WHERE occurrence > 1", [h_program])
    run(con, "DELETE FROM roster WHERE occurrence > 1")


def _finish_summary(staged: Staged) -> None:
    con, lay, s = staged.con, staged.layout, staged.summary
    s.update({
        "source_name": staged.source.name, "sha256": staged.sha256, "recognized_as": lay.name,
        "layout": lay.description, "format": staged.source.file_format,
        "encoding": staged.source.encoding, "delimiter": staged.source.delimiter,
        "rows_read": staged.source.n_rows,
        "values_rejected": scalar(con, "SELECT count(*) FROM rejects"),
        "notes": list(staged.source.notes) + list(lay.notes),
        "dropped_columns": list(lay.dropped), "ignored_columns": list(lay.ignored),
    })
    # the file's units (the schools, or the territories it is about) and, apart, the territories that contain them
    named = {u for (u,) in con.execute("SELECT DISTINCT unit_id FROM keymap WHERE unit_id IS NOT NULL").fetchall()}
    s["units_in_file"] = len(named)
    s["territories_of_units"] = int((~s["_units"]["unit_id"].isin(named)).sum())
    if lay.dropped:
        s["notes"].append("columns naming, locating or contacting people were dropped and not stored: "
                          + ", ".join(lay.dropped))
    s["notes"] += unused_columns_notes(lay, staged.source.headers)
    if lay.target == "observations":
        s["observations"] = scalar(con, "SELECT count(*) FROM obs")
        # one value column gives each row at most one observation: no distinct count of 10 M row numbers
        s["rows_loaded"] = (s["observations"] if len({v.column for v in lay.values}) == 1
                            else scalar(con, "SELECT count(DISTINCT _row) FROM obs_rows"))
        s["indicators"] = [r[0] for r in con.execute("SELECT DISTINCT indicator FROM obs_rows ORDER BY 1").fetchall()]
        s["levels"] = [r[0] for r in con.execute("SELECT DISTINCT level FROM obs_rows ORDER BY 1").fetchall()]
        s["years"] = [r[0] for r in con.execute(
            "SELECT DISTINCT year FROM obs_rows WHERE year IS NOT NULL ORDER BY 1").fetchall()]
        s["waves"] = [r[0] for r in con.execute(
            "SELECT DISTINCT wave FROM obs_rows WHERE wave IS NOT NULL ORDER BY 1").fetchall()]
        s["students"] = scalar(con, "SELECT count(DISTINCT student_key) FROM obs_rows")
    elif lay.target == "roster":
        s["assignments"] = scalar(con, "SELECT count(*) FROM roster")
        s["rows_loaded"] = s["assignments"]
        s["programs"] = [r[0] for r in con.execute("SELECT DISTINCT program FROM roster ORDER BY 1").fetchall()]
    else:
        s["rows_loaded"] = scalar(con, "SELECT count(*) FROM rows2 WHERE row_problem IS NULL")
    s["rows_rejected"], s["values_rejected_in_loaded_rows"] = rejected_counts(staged)
    s["notes"] += rejected_share_note(s["rows_read"], s["rows_rejected"])


def _loaded_rows(staged: Staged) -> str:
    """The query of the file's rows that load (their row numbers, ``_row``)."""
    target = staged.layout.target
    return ("SELECT _row FROM obs" if target == "observations" else "SELECT _row FROM roster" if target == "roster"
            else "SELECT _row FROM rows2 WHERE row_problem IS NULL")


def rejected_counts(staged: Staged, con: duckdb.DuckDBPyConnection | None = None) -> tuple[int, int]:
    """(rows rejected whole, rejected values of rows that did load: a sex or count left out, one of several
    values). The rejects are few: the loaded rows are looked up for their row numbers only (a semi join)."""
    con = con or staged.con
    if not scalar(con, "SELECT count(*) FROM rejects"):
        return 0, 0
    run(con, f"""CREATE OR REPLACE TEMP TABLE _loaded_rejects AS SELECT DISTINCT _row FROM ({_loaded_rows(staged)}) l
        SEMI JOIN rejects r ON r.row_number = l._row""")
    whole = scalar(con, "SELECT count(DISTINCT row_number) FROM rejects ANTI JOIN _loaded_rejects l "
                        "ON l._row = rejects.row_number")
    partial = scalar(con, "SELECT count(*) FROM rejects SEMI JOIN _loaded_rejects l ON l._row = rejects.row_number")
    run(con, "DROP TABLE _loaded_rejects")
    return whole, partial


def rejects_frame(staged: Staged) -> pd.DataFrame:
    """The rejected cells and rows of a staged file (row, column, value, reason), in file order."""
    return staged.con.execute("SELECT * FROM rejects ORDER BY row_number, column_name").df()

