"""A write that changes one indicator refreshes only what that indicator touches (issue 20, item 3): derived
tables, page queries and stored results end up equal to a full rebuild, the other indicators' rows are never
rewritten, and rollback and restore leave every table consistent with the rows.

The reference is ``python -m analysis rebuild-derived`` (every table recomputed) on the same data. Floats are
compared at a relative 1e-12: the same SQL on the same rows, where DuckDB's parallel sums may differ in the
last digit between two runs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from analysis import compare as cmp
from analysis.backups import restore
from analysis.cli import main as cli
from analysis.db import sufficient
from analysis.importer.history import rollback
from analysis.importer.pipeline import import_file
from analysis.precompute import checks, codec, derived, fingerprints, materialised
from analysis.precompute import standard_results as sr
from analysis.precompute.publish import writable_snapshot
from tests.conftest import demo_copy, keep_with_stored_results

KEPT = ("score_math", "promotion_rate")  # a student indicator and a yearly rate
TOL = {"rtol": 1e-12, "atol": 1e-12}


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """The demo (shared build) with two indicators, each with its stored results."""
    path = demo_copy(tmp_path_factory, 3000, 5, "incremental", "demo.duckdb")
    keep_with_stored_results(path, KEPT)
    return path


def _tables(path: Path) -> dict[str, pd.DataFrame]:
    """Every derived table of ``path`` (rows sorted), and every stored result decoded, keyed by request."""
    out: dict[str, pd.DataFrame] = {}
    with duckdb.connect(str(path), read_only=True) as con:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'derived%' "
                                           "AND table_name <> ? ORDER BY 1", [sr.TABLE]).fetchall()]
        for name in names:
            frame = con.execute(f"SELECT * FROM {name}").df()
            out[name] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
        for key, indicator, signature, payload, meta, error in con.execute(
                f"SELECT * FROM {sr.TABLE} ORDER BY request_key").fetchall():
            frame = codec.decode(payload, meta) if payload is not None else pd.DataFrame()
            out[key] = frame.assign(_indicator=indicator, _signature=signature, _error=error)
        for statement, (table, _, read, _) in materialised.MATERIALISED.items():
            if "?" not in read:  # what a page reads, in the page's order
                out[f"read {table}"] = con.execute(read).df()
                pd.testing.assert_frame_equal(out[f"read {table}"], con.execute(statement).df(), check_dtype=False)
    return out


def _assert_same(got: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> None:
    assert got.keys() == expected.keys()
    for name in expected:
        pd.testing.assert_frame_equal(got[name], expected[name], check_exact=False, obj=name, **TOL)


def _assert_current(path: Path) -> None:
    """Readers trust every table: page queries and per-school tables current, stored results under the
    current signatures, and the checks kept beside the file (when they name it) say so too."""
    with duckdb.connect(str(path), read_only=True) as con:
        assert materialised.current(con)
        now = fingerprints.indicator_fingerprints(con, con.execute("SELECT current_database()").fetchone()[0])
        assert now and all(sufficient.usable(con, i, fp) for i, fp in now.items())
        signatures = fingerprints.signatures(con)
        stored = dict(con.execute(f"SELECT indicator, any_value(signature) FROM {sr.TABLE} GROUP BY 1").fetchall())
        assert stored == {i: signatures[i] for i in KEPT}
        identity = checks.identity(path)
        kept = checks.read(path, (identity["inode"], identity["mtime_ns"]))
        assert kept is None or kept == checks.compute(con)


def _rebuilt(path: Path, tmp_path: Path) -> dict[str, pd.DataFrame]:
    """The tables of a copy of ``path`` after ``rebuild-derived`` (every table recomputed)."""
    copy = tmp_path / "rebuilt.duckdb"
    shutil.copyfile(path, copy)
    assert cli(["rebuild-derived", "--db", str(copy)]) == 0
    return _tables(copy)


@pytest.fixture
def spies(monkeypatch) -> dict[str, list]:
    """The compare() calls and the SQL statements (with parameters) of the refresh steps."""
    seen: dict[str, list] = {"compare": [], "sql": []}
    original_compare, original_run = cmp.compare, materialised.run

    def compare(db, indicator, *args, **kwargs):
        seen["compare"].append(indicator)
        return original_compare(db, indicator, *args, **kwargs)

    def run(con, sql, params=None):
        seen["sql"].append((" ".join(sql.split()), list(params or [])))
        return original_run(con, sql, params)

    monkeypatch.setattr(cmp, "compare", compare)
    for module in (materialised, derived, sr):
        monkeypatch.setattr(module, "run", run)
    monkeypatch.setenv("LABLENS_STORE_MIN_ROWS", "0")
    return seen


def _writes(seen: dict[str, list], tables: list[str]) -> list[tuple[str, list]]:
    """The statements of ``seen`` that write to one of ``tables``."""
    return [(sql, params) for sql, params in seen["sql"] for table in tables
            if any(f"{verb} {table}" in sql.replace('"target".', "").replace("target.", "")
                   for verb in ("INSERT INTO", "DELETE FROM", "TABLE", "UPDATE"))]


def _only(seen: dict[str, list], indicator: str) -> None:
    """Nothing but ``indicator``'s rows was recomputed or rewritten by the write ``seen`` watched."""
    assert seen["compare"] and set(seen["compare"]) == {indicator}
    per_indicator = _writes(seen, list(materialised.BY_INDICATOR))
    assert per_indicator, "the page queries of the changed indicator were refreshed"
    assert all(sql.startswith(("DELETE", "INSERT")) and set(params) == {indicator} for sql, params in per_indicator)
    student = _writes(seen, [sufficient.CELLS_TABLE, sufficient.MOMENTS_TABLE, sufficient.BINS_TABLE])
    assert all(set(params) == {indicator} for _, params in student)
    assert all(set(params) <= {indicator} for _, params in _writes(seen, [sr.TABLE]))


def test_a_one_indicator_write_refreshes_that_indicator_only_and_equals_a_rebuild(base, tmp_path, spies) -> None:
    db = tmp_path / "lablens.duckdb"
    shutil.copyfile(base, db)
    # a student indicator: one student's rows erased by a write
    with writable_snapshot(db) as con:
        con.execute("DELETE FROM target.observations WHERE indicator = 'score_math' AND student_key = "
                    "(SELECT min(student_key) FROM target.observations WHERE indicator = 'score_math')")
    _only(spies, "score_math")
    assert _writes(spies, [sufficient.CELLS_TABLE, sufficient.MOMENTS_TABLE, sufficient.BINS_TABLE])
    erased = _tables(db)
    # a yearly rate: one more year imported for six schools
    with duckdb.connect(str(db), read_only=True) as con:
        schools = con.execute("SELECT code, country FROM units WHERE unit_type = 'school' ORDER BY unit_id "
                              "LIMIT 6").fetchall()
    source = tmp_path / "promotion_2026.csv"
    pd.DataFrame([{"school_code": code, "country": country, "year": 2026, "promotion_rate": 90.5 + i}
                  for i, (code, country) in enumerate(schools)]).to_csv(source, index=False)
    spies["compare"].clear(), spies["sql"].clear()
    summary = import_file(source, db)
    assert summary["rows_loaded"] == 6
    _only(spies, "promotion_rate")
    assert not _writes(spies, [sufficient.CELLS_TABLE, sufficient.MOMENTS_TABLE, sufficient.BINS_TABLE])
    imported = _tables(db)
    others = [k for k in erased if k.startswith("{") and '"promotion_rate"' not in k]
    assert others and all(erased[k].equals(imported[k]) for k in others)
    assert {k for k in imported if '"promotion_rate"' in k} != {k for k in erased if '"promotion_rate"' in k}
    # (a) every table equals a full rebuild of the same data (so do those of the erasure: untouched since)
    _assert_same(imported, _rebuilt(db, tmp_path))
    _assert_current(db)
    # (c) undo the import: the data is again that of the erasure, and so is every table
    spies["compare"].clear(), spies["sql"].clear()
    rollback(db, summary["import_id"])
    _only(spies, "promotion_rate")
    _assert_same(_tables(db), erased)
    _assert_current(db)
    # restore the snapshot the rollback replaced: its tables come back with it, current, and a write after it
    # finds nothing to recompute
    restore(db)
    _assert_same(_tables(db), imported)
    _assert_current(db)
    spies["compare"].clear(), spies["sql"].clear()
    with writable_snapshot(db):
        pass
    assert spies["compare"] == [] and not _writes(spies, list(materialised.BY_INDICATOR))
    _assert_same(_tables(db), imported)
