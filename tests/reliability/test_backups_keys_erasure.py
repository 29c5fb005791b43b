"""Backups (generations, restore), the key over time (backup, restore, lost key) and the right to erasure."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from analysis import audit
from analysis.backups import backup_files, forget_student
from analysis.db.snapshot import BACKUP_GENERATIONS, backup_path
from analysis.importer.errors import ImportFailed
from analysis.importer.pipeline import import_file
from analysis.precompute import standard_results
from analysis.precompute.fingerprints import signatures
from analysis.precompute.publish import writable_snapshot
from analysis.privacy import pseudonym
from tests.reliability.helpers import cli, cli_here, one_line_error, rates_csv, rows, sha256, state, students_csv

SCHOOL_A, SCHOOL_B = "176001000001", "176001000002"


def _five_imports(tmp_path: Path) -> Path:
    db = tmp_path / "lablens.duckdb"
    for i in range(5):
        import_file(rates_csv(tmp_path / f"v{i + 1}.csv", range(i * 10, i * 10 + 10), 2020 + i), db)
    return db


def test_every_import_keeps_bounded_backup_generations(tmp_path: Path) -> None:
    db = _five_imports(tmp_path)
    assert BACKUP_GENERATIONS == 3
    kept = [p.name for p in backup_files(db)]
    assert kept == ["lablens.duckdb.bak", "lablens.duckdb.bak.2", "lablens.duckdb.bak.3"]  # never a .bak.4
    # newest first: the snapshot before import 5, before 4, before 3
    assert [rows(p, "SELECT max(import_id) FROM imports")[0][0] for p in backup_files(db)] == [4, 3, 2]
    assert rows(db, "SELECT count(*) FROM observations") == [(50,)]


def test_restore_puts_back_the_last_snapshot_keeps_the_current_and_is_audited(tmp_path: Path) -> None:
    db = _five_imports(tmp_path)
    current, bak = sha256(db), sha256(backup_path(db))
    result = cli("restore", "--db", str(db))  # a real `python -m analysis`; the other commands run in this process
    assert result.returncode == 0, result.stderr
    assert "restored" in result.stdout and "lablens.duckdb.before-restore" in result.stdout
    assert sha256(db) == bak
    assert sha256(db.with_name("lablens.duckdb.before-restore")) == current
    assert rows(db, "SELECT max(import_id), count(*) FROM observations") == [(4, 40)]
    last = audit.entries(db)[-1]
    assert (last["action"], last["source"], last["last_import"], last["observations"]) == (
        "restore", "lablens.duckdb.bak", 4, 40)

    # an older generation, chosen with --from; then undo the restore from .before-restore
    assert cli_here("restore", "--db", str(db), "--from", str(backup_path(db, 3))).returncode == 0
    assert rows(db, "SELECT max(import_id) FROM imports") == [(2,)]
    listing = json.loads(cli_here("restore", "--list", "--json", "--db", str(db)).stdout)
    assert [f["role"] for f in listing["files"]] == ["published", "backup", "backup 2", "backup 3", "before-restore"]
    assert [f["last_import"] for f in listing["files"]] == [2, 4, 3, 2, 4]


def test_restore_without_a_backup_or_from_a_damaged_one_says_so(tmp_path: Path) -> None:
    db = tmp_path / "lablens.duckdb"
    import_file(rates_csv(tmp_path / "v1.csv", range(3), 2020), db)
    assert "no backup at" in one_line_error(cli_here("restore", "--db", str(db)))
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"\x00garbage" * 5000)
    before = sha256(db)
    assert "damaged too" in one_line_error(cli_here("restore", "--db", str(db), "--from", str(junk)))
    assert sha256(db) == before


def test_key_backup_fingerprint_and_restore(tmp_path: Path, key_file: Path) -> None:
    db = tmp_path / "lablens.duckdb"
    import_file(students_csv(tmp_path / "pre.csv", [("E1", SCHOOL_A, "pre", 50.0)]), db)
    backup = tmp_path / "key-backup.bin"
    assert cli_here("key", "--backup", str(backup)).returncode == 0
    assert backup.read_bytes() == key_file.read_bytes() and backup.stat().st_mode & 0o777 == 0o600
    assert "already exists" in one_line_error(cli_here("key", "--backup", str(backup)))
    report = json.loads(cli_here("key", "--fingerprint", "--json", "--db", str(db)).stdout)
    assert report["match"] is True and report["key_fingerprint"] == report["database_fingerprint"]

    # the key is lost: a student import refuses, names the fix, and does not make a new key
    key_file.unlink()
    before = sha256(db)
    post = students_csv(tmp_path / "post.csv", [("E1", SCHOOL_A, "post", 58.0)])
    message = one_line_error(cli_here("import", str(post), "--db", str(db)))
    assert "key file" in message and "is missing" in message and "python -m analysis key --restore" in message
    assert not key_file.exists() and sha256(db) == before
    with pytest.raises(ImportFailed, match="is missing"):
        import_file(post, db)
    # files without student IDs still import (they need no key)
    assert import_file(rates_csv(tmp_path / "r.csv", range(2), 2021), db)["status"] == "active"
    assert not key_file.exists()

    # a wrong key backup is refused; the right one is restored and the student links across waves
    wrong = tmp_path / "other.bin"
    wrong.write_bytes(bytes(range(32)))
    assert "was built with key" in one_line_error(cli_here("key", "--restore", str(wrong), "--db", str(db)))
    assert cli_here("key", "--restore", str(backup), "--db", str(db)).returncode == 0
    assert import_file(post, db)["status"] == "active"
    assert rows(db, "SELECT count(DISTINCT student_key), count(*) FROM observations WHERE student_key IS NOT NULL") \
        == [(1, 2)]


def test_a_new_key_made_elsewhere_is_refused_at_commit(tmp_path: Path, key_file: Path) -> None:
    db = tmp_path / "lablens.duckdb"
    import_file(students_csv(tmp_path / "pre.csv", [("E1", SCHOOL_A, "pre", 50.0)]), db)
    key_file.write_bytes(bytes(32))  # someone replaced the key file
    with pytest.raises(ImportFailed, match="python -m analysis key --restore"):
        import_file(students_csv(tmp_path / "post.csv", [("E1", SCHOOL_A, "post", 58.0)]), db)


def _files_containing(folder: Path, needle: bytes) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file() and needle in p.read_bytes())


def test_forget_erases_one_student_from_the_database_and_every_backup(tmp_path: Path, key_file: Path,
                                                                     monkeypatch) -> None:
    # stored compare() results too (analysis.precompute.standard_results)
    monkeypatch.setenv("LABLENS_STORE_MIN_ROWS", "0")
    db = tmp_path / "lablens.duckdb"
    pre = [("GONE-1", SCHOOL_A, "pre", 40.0), ("KEEP-2", SCHOOL_A, "pre", 61.0), ("KEEP-3", SCHOOL_B, "pre", 70.0)]
    import_file(students_csv(tmp_path / "pre.csv", pre, extra="mestizo"), db)
    with writable_snapshot(db) as con:  # a programme school and a comparison school: results get stored
        con.execute("INSERT INTO target.assignments VALUES (?, 'ValleLabs', 'Lab Center', 2019, NULL), "
                    "(?, 'comparison', NULL, NULL, NULL)", [f"CO-{SCHOOL_A}", f"CO-{SCHOOL_B}"])
    post = [("gone-1", SCHOOL_A, "post", 45.0), ("KEEP-2", SCHOOL_A, "post", 66.0)]
    import_file(students_csv(tmp_path / "post.csv", post), db)
    # the same post values again (duplicates) and a corrected edition (supersedes the old value)
    import_file(students_csv(tmp_path / "post_copy.csv", post, extra="mestizo"), db)
    corrected = [("GONE-1", SCHOOL_A, "post", 47.0), ("KEEP-2", SCHOOL_A, "post", 67.0)]
    import_file(students_csv(tmp_path / "post_v2.csv", corrected), db, on_conflict="supersede")
    gone = pseudonym(key_file.read_bytes(), "GONE-1")
    keep = pseudonym(key_file.read_bytes(), "KEEP-2")
    per_table = ("observations", "duplicate_observations", "superseded_observations", "student_attributes")

    def counts(student: str) -> list[int]:
        return [rows(db, f"SELECT count(*) FROM {t} WHERE student_key = ?", [student])[0][0] for t in per_table]

    gone_counts = counts(gone)
    assert all(n > 0 for n in gone_counts)  # the student is in all four tables before
    keep_rows = rows(db, "SELECT * FROM observations WHERE student_key <> ? ORDER BY ALL", [gone])
    keep_counts = counts(keep)
    assert "lablens.duckdb" in _files_containing(tmp_path, gone.encode())  # the byte search can find it
    assert "lablens.duckdb.bak" in _files_containing(tmp_path, gone.encode())

    result = cli_here("forget", " gone-1 ", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "erased" in result.stdout and gone[:8] in result.stdout and gone not in result.stdout
    assert counts(gone) == [0, 0, 0, 0]
    assert counts(keep) == keep_counts
    assert rows(db, "SELECT * FROM observations ORDER BY ALL") == keep_rows
    # the precomputed per-school statistics (analysis.precompute.derived) forgot the student too, in every file
    for copy in [db, *backup_files(db)]:
        assert rows(copy, "SELECT sum(n_pre) FROM derived_student_moments") == [(2,)]
        assert rows(copy, "SELECT sum(students) FROM derived_student_cells WHERE period = 'pre'") == [(2,)]
    assert rows(db, "SELECT sum(n_pre), sum(n_linked) FROM derived_student_moments") == [(2, 1)]
    # and the stored compare() results were recomputed without the student, in every file
    for copy in [db, *backup_files(db)]:
        with duckdb.connect(str(copy), read_only=True) as con:
            assert standard_results.stored_indicators(con) == ["score_math"]
            current = signatures(con)["score_math"]
            assert con.execute(f"SELECT DISTINCT signature FROM {standard_results.TABLE}").fetchall() == [(current,)]
    assert _files_containing(tmp_path, gone.encode()) == []  # db, every .bak, the audit log: nowhere
    assert len(backup_files(db)) == 3
    for copy in backup_files(db):
        assert rows(copy, "SELECT count(*) FROM observations WHERE student_key = ?", [gone]) == [(0,)]
    entry = audit.entries(db)[-1]
    assert entry["action"] == "erase" and entry["pseudonym_prefix"] == gone[:8]
    assert entry["rows_published"] == sum(gone_counts)
    assert {t: entry["tables"][t] >= n for t, n in zip(per_table, gone_counts, strict=True)} == dict.fromkeys(
        per_table, True)  # all files together hold at least the published rows

    # forgetting again finds nothing; the other students are untouched
    again = forget_student(db, "GONE-1")
    assert sum(again["rows_all_files"].values()) == 0
    assert state(db)["observations"] == len(keep_rows)
