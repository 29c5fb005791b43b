"""Overlap between imports and undo: same file twice, newer editions, conflict policies, rollback, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from importer_helpers import ROOT, query, scalar, sha256, state, write

from analysis import cli
from analysis.importer.errors import ImportConflict, ImportFailed
from analysis.importer.history import list_imports, rollback
from analysis.importer.pipeline import import_file

EDITION_1 = ("school_code,year,dropout_rate,score_math\n"
             "176001000001,2020,3.5,51.25\n176001000002,2020,4.5,48\n176001000003,2020,1.75,60\n")
# the newer edition corrects one value (176001000002's dropout) and adds a school
EDITION_2 = ("school_code,year,dropout_rate,score_math\n"
             "176001000001,2020,3.5,51.25\n176001000002,2020,4.25,48\n176001000003,2020,1.75,60\n"
             "176001000004,2020,2,55\n")


def _values(db: Path) -> dict:
    return {(u, i): (v, imp) for u, i, v, imp in query(
        db, "SELECT unit_id, indicator, value, import_id FROM observations")}


@pytest.fixture
def db_with_edition_1(tmp_path: Path) -> tuple[Path, Path, Path]:
    db = tmp_path / "lablens.duckdb"
    first = write(tmp_path / "edicion-2020-v1.csv", EDITION_1)
    second = write(tmp_path / "edicion-2020-v2.csv", EDITION_2)
    assert import_file(first, db)["status"] == "active"
    return db, first, second


def test_same_file_twice_is_a_no_op_that_says_so(db_with_edition_1, tmp_path: Path) -> None:
    db, first, _ = db_with_edition_1
    before_hash, before = sha256(db), state(db)
    copy = write(tmp_path / "renamed-copy.csv", EDITION_1)  # same bytes, other name: same sha256
    for path in (first, copy):
        s = import_file(path, db)
        assert s["status"] == "already_imported" and s["import_id"] == 1 and s["rows_loaded"] == 0
        assert any("same sha256" in note and "import 1" in note for note in s["notes"])
    assert state(db) == before and sha256(db) == before_hash


def test_newer_edition_with_a_changed_value_aborts_by_default(db_with_edition_1) -> None:
    db, _, second = db_with_edition_1
    before_hash = sha256(db)
    with pytest.raises(ImportConflict) as info:
        import_file(second, db)
    exc = info.value
    assert "\n" not in str(exc) and "1 value(s) differ" in str(exc) and "Nothing was imported" in str(exc)
    assert exc.conflicts[["row_number", "unit_id", "indicator", "old_value", "new_value", "old_import"]] \
        .to_dict("records") == [{"row_number": 2, "unit_id": "CO-176001000002", "indicator": "dropout_rate",
                                 "old_value": 4.5, "new_value": 4.25, "old_import": 1}]
    assert sha256(db) == before_hash
    assert [r[0] for r in query(db, "SELECT import_id FROM imports")] == [1]


def test_supersede_replaces_and_rollback_restores(db_with_edition_1) -> None:
    db, _, second = db_with_edition_1
    old = _values(db)
    s = import_file(second, db, on_conflict="supersede")
    assert (s["status"], s["conflicts"], s["superseded"], s["duplicates_skipped"]) == ("active", 1, 1, 5)
    new = _values(db)
    assert new[("CO-176001000002", "dropout_rate")] == (4.25, 2)
    assert new[("CO-176001000002", "score_math")] == (48.0, 1)  # equal values stay under the first import
    assert new[("CO-176001000004", "dropout_rate")] == (2.0, 2)
    assert len(new) == 8
    result = rollback(db, s["import_id"])
    assert result == {"import_id": 2, "status": "rolled_back", "observations_removed": 3,
                      "observations_restored": 1}
    assert _values(db) == old
    assert scalar(db, "SELECT count(*) FROM superseded_observations") == 0
    assert scalar(db, "SELECT count(*) FROM duplicate_observations") == 0
    assert scalar(db, "SELECT count(*) FROM units WHERE unit_id = 'CO-176001000004'") == 0
    assert query(db, "SELECT import_id, status FROM imports ORDER BY 1") == [(1, "active"), (2, "rolled_back")]


def test_keep_keeps_the_old_value_and_reports_the_new_one(db_with_edition_1) -> None:
    db, _, second = db_with_edition_1
    s = import_file(second, db, on_conflict="keep")
    assert (s["conflicts"], s["kept_existing"], s["duplicates_skipped"]) == (1, 1, 5)
    values = _values(db)
    assert values[("CO-176001000002", "dropout_rate")] == (4.5, 1)
    assert values[("CO-176001000004", "dropout_rate")] == (2.0, 2)
    assert query(db, "SELECT row_number, column_name, raw_value, reason FROM rejects WHERE import_id = 2") == [
        (2, "dropout_rate", "4.25", "conflict: kept the value 4.5 already loaded by import 1")]


def test_rollback_keeps_rows_a_later_import_also_supplied(db_with_edition_1) -> None:
    db, _, second = db_with_edition_1
    s = import_file(second, db, on_conflict="keep")
    result = rollback(db, 1)
    # edition 2 supplied 5 of edition 1's 6 values identically: they stay, now under import 2
    assert result["observations_removed"] == 6 and result["observations_restored"] == 5
    values = _values(db)
    assert values == {
        ("CO-176001000001", "dropout_rate"): (3.5, 2), ("CO-176001000001", "score_math"): (51.25, 2),
        ("CO-176001000002", "score_math"): (48.0, 2), ("CO-176001000003", "dropout_rate"): (1.75, 2),
        ("CO-176001000003", "score_math"): (60.0, 2), ("CO-176001000004", "dropout_rate"): (2.0, 2),
        ("CO-176001000004", "score_math"): (55.0, 2)}
    assert scalar(db, "SELECT count(*) FROM duplicate_observations") == 0
    assert s["import_id"] == 2


def test_unknown_conflict_policy_fails_cleanly(db_with_edition_1) -> None:
    db, _, second = db_with_edition_1
    before = sha256(db)
    with pytest.raises(ImportFailed, match="unknown conflict policy 'merge'"):
        import_file(second, db, on_conflict="merge")
    assert sha256(db) == before


def test_cli_imports_lists_and_rollback_removes_one_completely(db_with_edition_1, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture) -> None:
    db, _, second = db_with_edition_1
    roster = write(tmp_path / "roster.csv", "school_code,program,lab_type,start_year\n176001000004,ValleLabs,"
                                            "Lab Spark,2021\n")
    assert cli.main(["import", str(second), str(roster), "--db", str(db), "--on-conflict", "supersede",
                     "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [i["import_id"] for i in out["imports"]] == [2, 3]
    assert cli.main(["imports", "--db", str(db), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["imports"]
    assert [(i["import_id"], i["source_name"], i["status"]) for i in listed] == [
        (3, "roster.csv", "active"), (2, "edicion-2020-v2.csv", "active"), (1, "edicion-2020-v1.csv", "active")]
    assert cli.main(["imports", "--db", str(db), "--lang", "en"]) == 0
    table = capsys.readouterr().out
    assert "edicion-2020-v2.csv" in table and "roster.csv" in table
    # rollback of the roster removes its assignment (school 4 stays: edition 2's observations refer to it)
    assert cli.main(["rollback", "3", "--db", str(db), "--lang", "en"]) == 0
    assert capsys.readouterr().out.startswith("import 3 rolled back")
    assert scalar(db, "SELECT count(*) FROM assignments") == 0
    assert scalar(db, "SELECT count(*) FROM units WHERE unit_id = 'CO-176001000004'") == 1
    # rollback of edition 2 removes every trace of it
    assert cli.main(["rollback", "2", "--db", str(db), "--lang", "en"]) == 0
    capsys.readouterr()
    assert scalar(db, "SELECT count(*) FROM observations WHERE import_id = 2") == 0
    assert scalar(db, "SELECT count(*) FROM units WHERE import_id = 2") == 0  # school 4 is gone now
    assert {u: v for (u, i), (v, _) in _values(db).items() if i == "dropout_rate"}["CO-176001000002"] == 4.5
    # a second rollback fails: exit 1, one line on stderr, database unchanged
    before = sha256(db)
    assert cli.main(["rollback", "2", "--db", str(db), "--lang", "en"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == "error: import 2 is already rolled back\n"
    assert cli.main(["rollback", "99", "--db", str(db), "--lang", "en"]) == 1
    assert capsys.readouterr().err == "error: there is no import 99\n"
    assert sha256(db) == before
    assert list_imports(db)["status"].tolist() == ["rolled_back", "rolled_back", "active"]


@pytest.mark.slow
def test_python_m_analysis_rollback_twice(db_with_edition_1, capsys: pytest.CaptureFixture) -> None:
    """The real entry point: a second `python -m analysis rollback` exits 1 with one line on stderr."""
    db, _, _ = db_with_edition_1
    assert cli.main(["rollback", "1", "--db", str(db), "--lang", "en"]) == 0
    assert "6 observations removed" in capsys.readouterr().out
    before = sha256(db)
    again = subprocess.run([sys.executable, "-m", "analysis", "rollback", "1", "--db", str(db), "--lang", "en"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and again.stdout == ""
    assert again.stderr == "error: import 1 is already rolled back\n"
    assert scalar(db, "SELECT count(*) FROM observations") == 0 and sha256(db) == before
