"""One definition of each fingerprint (analysis.precompute.fingerprints): the roster hashes agree everywhere."""

from __future__ import annotations

from pathlib import Path

import duckdb

import analysis
from analysis.db.snapshot import writable_snapshot
from analysis.precompute import fingerprints


def test_the_roster_part_of_a_signature_is_the_materialised_inputs_fingerprint(tmp_path: Path) -> None:
    db = tmp_path / "lablens.duckdb"
    with writable_snapshot(db) as con:
        con.execute("INSERT INTO target.units (unit_id, country, unit_type, code) VALUES ('CO-1', 'CO', 'school', '1')")
        con.execute("INSERT INTO target.assignments VALUES ('CO-1', 'ValleLabs', 'robotics', 2019, 1)")
        con.execute("INSERT INTO target.observations (import_id, unit_id, indicator, year, value) "
                    "VALUES (1, 'CO-1', 'dropout_rate', 2020, 0.1)")
    with duckdb.connect(str(db), read_only=True) as con:
        parts = fingerprints.input_fingerprints(con)
        signature = fingerprints.signatures(con)["dropout_rate"]
    _, roster, code = signature.split("|")
    assert roster.split(":")[:6] == [*parts["units"].split(":"), *parts["assignments"].split(":"),
                                     *parts["indicators"].split(":")]
    assert code == fingerprints.code_fingerprint()


def test_the_code_fingerprint_covers_the_whole_analysis_package() -> None:
    assert Path(analysis.__file__).resolve().parent == fingerprints.PACKAGE_ROOT  # compare() and stats too
    assert fingerprints.code_fingerprint.__wrapped__() == fingerprints.code_fingerprint()


def _every_fingerprint(con: duckdb.DuckDBPyConnection) -> tuple:
    catalog = con.execute("SELECT current_database()").fetchall()[0][0]
    return (fingerprints.indicator_fingerprints(con, catalog), fingerprints.input_fingerprints(con, catalog),
            fingerprints.input_fingerprints(con), fingerprints.signatures(con),
            fingerprints.signatures(con, ["score_math", "dropout_rate", "no_such_indicator"]))


def test_one_pass_gives_the_fingerprints_of_the_direct_queries(tmp_path_factory, tmp_path: Path) -> None:
    """The per-indicator scan of a write (fingerprints.one_pass) and the queries a reader runs give the same text,
    on the demo (student and unit rows), a file of unit rows only and an empty file."""
    from tests.conftest import demo_copy

    rates = tmp_path / "rates.duckdb"
    with writable_snapshot(rates) as con:
        con.execute("INSERT INTO target.observations (import_id, unit_id, indicator, year, value) "
                    "VALUES (1, 'CO-1', 'dropout_rate', 2020, 0.1), (2, 'CO-2', 'dropout_rate', 2021, 0.2)")
    empty = tmp_path / "empty.duckdb"
    with writable_snapshot(empty):
        pass
    for db in (demo_copy(tmp_path_factory, 1500, 3, "onepass"), rates, empty):
        with duckdb.connect(str(db), read_only=True) as con:
            direct = _every_fingerprint(con)
            with fingerprints.one_pass({}):
                assert _every_fingerprint(con) == direct, db.name
        assert direct[1]["observations"] == ("0:0" if db == empty else direct[1]["observations"])


def test_a_write_scans_the_observations_once(tmp_path: Path, monkeypatch) -> None:
    """Derived tables, materialised queries, stored results and the checks of one write share one scan: the
    direct queries are broken here, and the write still stores results and checks that readers accept."""
    from analysis.precompute import checks, standard_results
    from analysis.precompute.publish import writable_snapshot as publishing_snapshot

    db = tmp_path / "lablens.duckdb"
    with writable_snapshot(db) as con:  # eight schools, half in a programme, two years of a rate
        for i in range(8):
            con.execute("INSERT INTO target.units (unit_id, country, unit_type, code) VALUES (?, 'CO', 'school', ?)",
                        [f"CO-{i}", str(i)])
            con.execute("INSERT INTO target.assignments VALUES (?, ?, NULL, ?, 1)",
                        [f"CO-{i}", "ValleLabs" if i % 2 else "comparison", 2021 if i % 2 else None])
            con.execute("INSERT INTO target.observations (import_id, unit_id, indicator, year, value) "
                        "VALUES (1, ?, 'dropout_rate', 2020, ?), (1, ?, 'dropout_rate', 2022, ?)",
                        [f"CO-{i}", 3.0 + i % 3, f"CO-{i}", 2.5 + i % 4])
    scans = []
    real_scan = fingerprints._scan

    def counted(con, catalog):
        memo = fingerprints._PASS.get()
        scans.append(memo is not None and "scan" not in memo)
        return real_scan(con, catalog)

    monkeypatch.setattr(fingerprints, "_scan", counted)
    monkeypatch.setattr(fingerprints, "_ROWS_SQL", "SELECT no_such_column FROM observations {where}")
    monkeypatch.setitem(fingerprints.INPUT_PARTS, "observations", "SELECT no_such_column FROM {c}observations")
    monkeypatch.setenv("LABLENS_STORE_MIN_ROWS", "0")
    with publishing_snapshot(db) as con:
        con.execute("UPDATE target.observations SET value = value + 1 WHERE unit_id = 'CO-1'")
    assert sum(scans) == 1 and len(scans) >= 4  # derived, materialised, stored results, checks: one scan
    monkeypatch.undo()
    identity = checks.identity(db)
    with duckdb.connect(str(db), read_only=True) as con:
        assert standard_results.stored_indicators(con) == ["dropout_rate"]
        kept = checks.read(db, (identity["inode"], identity["mtime_ns"]))
        assert kept == checks.compute(con) and kept["derived_current"] is True
        assert kept["signatures"] == fingerprints.signatures(con, ["dropout_rate"])
