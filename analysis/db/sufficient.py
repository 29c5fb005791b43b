"""The derived tables' names and the SQL that reads them: per-school sufficient statistics of the student rows.

``analysis.precompute.derived`` writes these tables with every snapshot; compare() and the page queries
read them when :func:`usable` says they were computed from exactly the current rows. What each table
holds is described there.
"""

from __future__ import annotations

import duckdb

DERIVED_VERSION = "6"
CELLS_TABLE = "derived_student_cells"
MOMENTS_TABLE = "derived_student_moments"
STATE_TABLE = "derived_state"
INPUTS_TABLE = "derived_inputs"
BINS_TABLE = "derived_student_bins"
HISTOGRAM_BINS = 20  # analysis.queries.histogram_sql's bins; the bin formula below is the same there

# Fingerprint of an indicator's student rows: exact integers, so two computations of the same rows
# always agree (a float sum's last digit depends on DuckDB's thread scheduling). Values are cast to BIGINT,
# not HUGEINT, before the (HUGEINT) sum: the same number, a third less of the scan (0.30 -> 0.20 s at 10 M).
FINGERPRINT_SQL = """count(student_key) AS student_rows,
       sum(import_id) FILTER (WHERE student_key IS NOT NULL) AS import_sum,
       sum(year) FILTER (WHERE student_key IS NOT NULL) AS year_sum,
       sum(TRY_CAST(round(value * 1000) AS BIGINT)) FILTER (WHERE student_key IS NOT NULL) AS value_sum"""

# Per student: the mean value in each period, a bit mask of ``year % 64`` of each period, the year span.
STUDENT_VALUES_SQL = """avg(value) FILTER (WHERE period = 'pre') AS v_pre,
               avg(value) FILTER (WHERE period = 'post') AS v_post,
               bit_or(1::UBIGINT << (year % 64)::INTEGER) FILTER (WHERE period = 'pre') AS m_pre,
               bit_or(1::UBIGINT << (year % 64)::INTEGER) FILTER (WHERE period = 'post') AS m_post,
               min(year) AS year_min, max(year) AS year_max"""

_LINKED = "FILTER (WHERE v_pre IS NOT NULL AND v_post IS NOT NULL)"
# Per school, over the per-student values: everybody and the linked students (both periods present).
SCHOOL_MOMENTS_SQL = f"""count(v_pre) AS n_pre, avg(v_pre) AS mean_pre, var_pop(v_pre) AS var_pre,
               count(v_post) AS n_post, avg(v_post) AS mean_post, var_pop(v_post) AS var_post,
               count(*) {_LINKED} AS n_linked,
               avg(v_pre) {_LINKED} AS lmean_pre, var_pop(v_pre) {_LINKED} AS lvar_pre,
               avg(v_post) {_LINKED} AS lmean_post, var_pop(v_post) {_LINKED} AS lvar_post,
               covar_pop(v_pre, v_post) {_LINKED} AS lcov,
               avg(v_post - v_pre) AS mean_j, var_pop(v_post - v_pre) AS dvar,
               sum(bit_count(m_pre)) AS student_years_pre, bit_or(m_pre) AS mask_pre,
               sum(bit_count(m_post)) AS student_years_post, bit_or(m_post) AS mask_post,
               min(year_min) AS year_min, max(year_max) AS year_max"""


def bin_sql(value: str, lo: str, hi: str, bins: int = HISTOGRAM_BINS) -> str:
    """Equal-width bin of ``value`` on [lo, hi] (the last bin includes hi); shared with the page query."""
    return f"least(CAST(floor(({value} - {lo}) / nullif(({hi} - {lo}) / {int(bins)}, 0)) AS INTEGER), {int(bins) - 1})"


def as_int(value) -> int | None:
    """An exact integer of a fingerprint column (DuckDB gives HUGEINT sums as int or Decimal), or None."""
    return None if value is None else int(value)


def usable(con: duckdb.DuckDBPyConnection, indicator: str, fingerprint: tuple) -> bool:
    """True when the derived tables hold ``indicator`` computed from exactly the rows whose fingerprint
    (the FINGERPRINT_SQL columns, in order) is given."""
    try:
        found = con.execute(f"SELECT student_rows, import_sum, year_sum, value_sum, version FROM {STATE_TABLE} "
                            "WHERE indicator = ?", [indicator]).fetchall()
    except duckdb.CatalogException:
        return False  # a database written before the derived tables existed
    if not found:
        return False
    *stored, version = found[0]
    return version == DERIVED_VERSION and tuple(as_int(v) for v in stored) == tuple(as_int(v) for v in fingerprint)
