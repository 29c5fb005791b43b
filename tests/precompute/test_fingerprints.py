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
