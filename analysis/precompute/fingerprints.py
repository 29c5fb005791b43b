"""Fingerprints of what the precomputed tables were computed from; a reader compares them with the current ones.

Three uses, one place:

- the derived per-school tables, per indicator: :data:`analysis.db.sufficient.FINGERPRINT_SQL` over its
  student rows (:func:`indicator_fingerprints`);
- the materialised page queries, per table read (:data:`INPUT_PARTS`, :func:`input_fingerprints`), and per
  indicator (:func:`indicator_inputs`: which indicators' rows a write changed);
- the stored standard results, per indicator (:func:`signatures`): the indicator's rows including a hash
  of their content (relabelling is seen), the roster and catalogue, the student attributes' names and the
  code (:func:`code_fingerprint`).

All are exact integers: a float sum's last digit depends on DuckDB's thread scheduling.

A write's publish steps run inside :func:`one_pass`: the observations, which no longer change then, are
scanned once (:data:`_PASS_SQL`, per indicator) and every fingerprint above is read from that scan.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import importlib.metadata
from collections.abc import Iterable, Iterator
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analysis.db.sql import ident
from analysis.db.sufficient import FINGERPRINT_SQL, as_int

PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # the analysis package, whose source the code hash covers

# The roster and catalogue tables' fingerprints (count and a hash of every row's content), by table.
ROSTER_HASHES: dict[str, str] = {
    "units": """count(*), sum(hash(unit_id, country, unit_type, code, name, parent_id, department, municipality,
        authority, zone))""",
    "assignments": "count(*), sum(hash(unit_id, program, lab_type, start_year))",
    "indicators": """count(*), sum(hash(code, domain, kind, unit, label_es, label_en, min_value, max_value,
        higher_is_better, scale, reverse_coded))""",
}

# Fingerprints of what the materialised page queries read (analysis.precompute.materialised.MATERIALISED
# names, per query, the parts it depends on): exact integers per table, cheap enough to check once per
# snapshot (0.1-0.3 s at 10 million rows). Values of unit rows are left out; those of student rows are in,
# because the pooled means and bins read from the student tables.
INPUT_PARTS: dict[str, str] = {
    "observations": "SELECT count(*), sum(import_id), sum(year), count(wave) FROM {c}observations",
    # the per-indicator fingerprint of compare(), over every indicator at once, and the rows with a wave
    "student_rows": f"""SELECT {FINGERPRINT_SQL}, count(wave) FILTER (WHERE student_key IS NOT NULL)
        FROM {{c}}observations""",
    **{table: f"SELECT {hashes} FROM {{c}}{table}" for table, hashes in ROSTER_HASHES.items()},
    "student_attributes": """SELECT count(*), sum(import_id), sum(hash(student_key, name, value))
        FROM {c}student_attributes""",
}

# Per indicator, for the stored results: row, student-row and wave counts, year sum, content hash.
_ROWS_SQL = """SELECT indicator, count(*) AS rows, count(student_key) AS student_rows, count(wave) AS wave_rows,
       sum(year) AS year_sum,
       sum(hash(unit_id, student_key, year, wave, level, sex, grade, value, n)) AS content_hash
FROM observations {where} GROUP BY indicator"""
_ROSTER_SQL = "SELECT " + ",\n    ".join(
    [*(f"(SELECT concat_ws(':', {hashes}) FROM {table})" for table, hashes in ROSTER_HASHES.items()),
     # compare() reads an attribute named like a grouping field as the student attribute
     "(SELECT string_agg(DISTINCT name, ',' ORDER BY name) FROM student_attributes)"])


# Everything the fingerprints read from the observations, per indicator, in one scan (:func:`one_pass`):
# FINGERPRINT_SQL's four columns, then _ROWS_SQL's five, then what INPUT_PARTS adds.
_PASS_SQL = f"""SELECT indicator, {FINGERPRINT_SQL},
       count(*) AS rows, count(student_key) AS student_rows, count(wave) AS wave_rows, sum(year) AS year_sum,
       sum(hash(unit_id, student_key, year, wave, level, sex, grade, value, n)) AS content_hash,
       sum(import_id) AS all_import_sum, count(wave) FILTER (WHERE student_key IS NOT NULL) AS student_waves
FROM {{c}}observations GROUP BY indicator"""
_PASS: contextvars.ContextVar[dict | None] = contextvars.ContextVar("lablens_fingerprint_pass", default=None)


@contextlib.contextmanager
def one_pass(memo: dict) -> Iterator[None]:
    """Within this block every fingerprint of the observations comes from one scan, kept in ``memo`` (pass the
    same dict to every step of one write: the steps run after the write's last change to the observations)."""
    token = _PASS.set(memo)
    try:
        yield
    finally:
        _PASS.reset(token)


def _scan(con: duckdb.DuckDBPyConnection, catalog: str | None) -> dict[str, tuple] | None:
    """The per-indicator scan of the current pass (made on its first use), or None outside a pass."""
    memo = _PASS.get()
    if memo is None:
        return None
    if "scan" not in memo:
        prefix = f"{ident(catalog)}." if catalog else ""
        memo["scan"] = {r[0]: tuple(r[1:]) for r in con.execute(_PASS_SQL.format(c=prefix)).fetchall()}
    return memo["scan"]


def _total(values: Iterable) -> int | None:
    """SQL's sum over the indicators' partial sums: None when every part is None (no row counted)."""
    parts = [as_int(v) for v in values if v is not None]
    return sum(parts) if parts else None


def _observation_parts(scan: dict[str, tuple]) -> dict[str, str]:
    """INPUT_PARTS' "observations" and "student_rows" fingerprints from the per-indicator scan, as the SQL
    writes them (``concat_ws``: a NULL sum is left out)."""
    cols = list(zip(*scan.values(), strict=True)) or [()] * 11
    observations = [_total(cols[4]) or 0, _total(cols[9]), _total(cols[7]), _total(cols[6]) or 0]
    student_rows = [_total(cols[0]) or 0, _total(cols[1]), _total(cols[2]), _total(cols[3]), _total(cols[10]) or 0]
    return {name: ":".join(str(v) for v in values if v is not None)
            for name, values in (("observations", observations), ("student_rows", student_rows))}


def indicator_fingerprints(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, tuple]:
    """Per indicator with student rows: (student rows, import-id sum, year sum, value sum)."""
    scan = _scan(con, catalog)
    if scan is not None:
        return {i: tuple(as_int(v) for v in r[:4]) for i, r in scan.items() if r[0]}
    rows = con.execute(f"SELECT indicator, {FINGERPRINT_SQL} FROM {ident(catalog)}.observations "
                       "GROUP BY indicator HAVING count(student_key) > 0").fetchall()
    return {r[0]: tuple(as_int(v) for v in r[1:]) for r in rows}


def indicator_inputs(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, str]:
    """Per indicator, the fingerprint of all its observations (every column of :data:`_PASS_SQL`: counts, sums
    and the content hash): which indicators a write changed, for the page queries kept per indicator
    (``analysis.precompute.materialised``)."""
    scan = _scan(con, catalog)
    if scan is None:
        scan = {r[0]: tuple(r[1:]) for r in con.execute(_PASS_SQL.format(c=f"{ident(catalog)}.")).fetchall()}
    return {i: ":".join(str(v) for v in r) for i, r in scan.items()}


def input_fingerprints(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> dict[str, str]:
    """The fingerprint of each part of :data:`INPUT_PARTS` in ``catalog`` (the current catalog if None)."""
    prefix = f"{ident(catalog)}." if catalog else ""
    scan = _scan(con, catalog)
    sql = " UNION ALL ".join(
        f"SELECT '{name}' AS part, (SELECT concat_ws(':', *COLUMNS(*)) FROM ({q.format(c=prefix)}))"
        for name, q in INPUT_PARTS.items() if scan is None or name not in ("observations", "student_rows"))
    parts = {part: str(value) for part, value in con.execute(sql).fetchall()}
    return parts if scan is None else {**_observation_parts(scan), **parts}


def depends_signature(parts: dict[str, str], depends: tuple[str, ...]) -> str:
    """The signature of a materialised table: the fingerprints of the parts it depends on."""
    return "|".join(f"{p}={parts[p]}" for p in depends)


@functools.cache
def code_fingerprint() -> str:
    """A hash of the analysis package's source files and of the numerical libraries' versions (scipy's and
    statsmodels' read from their installed metadata — the same strings as ``__version__`` — so that a start-up
    does not import them)."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        digest.update(str(path.relative_to(PACKAGE_ROOT)).encode())
        digest.update(path.read_bytes())
    versions = [(m.__name__, m.__version__) for m in (np, pd, duckdb)]
    versions += [(name, importlib.metadata.version(name)) for name in ("scipy", "statsmodels")]
    for name, version in versions:
        digest.update(f"{name}={version};".encode())
    return digest.hexdigest()[:16]


def signatures(con: duckdb.DuckDBPyConnection, indicators: Iterable[str] | None = None) -> dict[str, str]:
    """Per indicator (all, or those given), the signature a stored result must carry to be read:
    its rows' fingerprint, the roster's and catalogue's, and the code's. One scan of the observations."""
    names = list(indicators) if indicators is not None else None
    if names == []:
        return {}
    where, params = "", []
    if names is not None:
        where, params = f"WHERE indicator IN ({', '.join('?' for _ in names)})", names
    roster = ":".join(str(v) for v in con.execute(_ROSTER_SQL).fetchall()[0])  # None: no attributes
    code = code_fingerprint()
    scan = _scan(con, None)
    rows = (con.execute(_ROWS_SQL.format(where=where), params).fetchall() if scan is None else
            [(i, *r[4:9]) for i, r in scan.items() if names is None or i in names])
    return {r[0]: f"{':'.join(str(v) for v in r[1:])}|{roster}|{code}" for r in rows}
