"""Faults: a writer killed at every step of an import, a full disk, a read-only folder, a damaged file.

Each fault ends in a one-line reason with a way out (or a clean recovery) and the published database
exactly as before: never a traceback, a crash loop or a silent loss.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from analysis import audit
from analysis.db.snapshot import backup_path
from analysis.importer.errors import ImportFailed
from analysis.importer.pipeline import import_file
from tests.reliability.helpers import ROOT, cli_here, copy_database, one_line_error, rates_csv, rows, sha256, state

# Each kill point patches one step of the import in a child process to SIGKILL itself there.
KILLER = """
import os, signal, sys
from analysis import audit
from analysis.db import snapshot
from analysis.importer import staging, writing

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

def after(fn):
    def wrapper(*args, **kwargs):
        out = fn(*args, **kwargs)
        die()
        return out
    return wrapper

point = sys.argv[1]
if point == "staging":
    staging._stage_observations = die
elif point == "after_copy":
    snapshot.shutil.copyfile = after(snapshot.shutil.copyfile)
elif point == "rows_written":
    writing._write_observations = after(writing._write_observations)
elif point == "checkpointed":
    snapshot.verify = die
elif point == "rotating_backups":
    snapshot.link_replace = after(snapshot.link_replace)
elif point == "published":
    snapshot._fsync_dir = die
elif point == "before_audit":
    audit.record = die
from analysis.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.fixture(scope="module")
def two_imports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database after two imports (import 1: schools 0-4 in 2019; import 2: schools 5-9 in 2020), its backup
    and audit log: built once, each test works on a copy (helpers.copy_database)."""
    folder = tmp_path_factory.mktemp("two_imports")
    db = folder / "lablens.duckdb"
    import_file(rates_csv(folder / "v1.csv", range(0, 5), 2019), db)
    import_file(rates_csv(folder / "v2.csv", range(5, 10), 2020), db)
    return db


BEFORE_PUBLISH = ("staging", "after_copy", "rows_written", "checkpointed", "rotating_backups")
AFTER_PUBLISH = ("published", "before_audit")


@pytest.mark.parametrize("point", BEFORE_PUBLISH + AFTER_PUBLISH)
def test_sigkill_at_each_step_of_an_import(tmp_path: Path, two_imports: Path, point: str) -> None:
    db = copy_database(two_imports, tmp_path)
    before, before_hash, bak_hash = state(db), sha256(db), sha256(backup_path(db))
    new = rates_csv(tmp_path / "v3.csv", range(10, 310), 2021)

    child = subprocess.run([sys.executable, "-c", KILLER, point, "import", str(new), "--db", str(db)], cwd=ROOT,
                           env=dict(os.environ), capture_output=True, text=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr
    if point in BEFORE_PUBLISH:
        # nothing of the import is visible; the published file and its last backup are byte-identical
        assert sha256(db) == before_hash and state(db) == before
        assert sha256(backup_path(db)) == bak_hash
    else:
        # the rename happened: the import is there whole (300 rows), the previous snapshot is the backup
        assert rows(db, "SELECT count(*) FROM observations WHERE import_id = 3") == [(300,)]
        assert sha256(backup_path(db)) == before_hash
    # a following import works, cleans the dead writer's leftovers, and nothing was lost
    after = import_file(rates_csv(tmp_path / "v4.csv", range(400, 402), 2022), db)
    assert after["status"] == "active"
    expected = 5 + 5 + 2 + (300 if point in AFTER_PUBLISH else 0)
    assert rows(db, "SELECT count(*) FROM observations") == [(expected,)]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".") or p.name.endswith(".tmp")) == []
    if point == "before_audit":  # the one honest gap: published but not logged (the log is written after)
        assert [e["import_id"] for e in audit.entries(db)] == [1, 2, 4]


@contextlib.contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[bool]:
    """Mount a tmpfs of ``size`` on ``folder`` (yields True), or yield False when mounting is not allowed."""
    folder.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        yield False
        return
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                      capture_output=True).returncode != 0:
        yield False
        return
    try:
        yield True
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def _fill(folder: Path, leave_free: int) -> Path:
    stats = os.statvfs(folder)
    free = stats.f_bavail * stats.f_frsize
    filler = folder / "filler.bin"
    with open(filler, "wb") as handle:
        remaining = max(0, free - leave_free)
        while remaining > 0:
            chunk = min(remaining, 1 << 20)
            handle.write(b"\0" * chunk)
            remaining -= chunk
    return filler


def test_a_full_disk_gives_one_line_and_changes_nothing(tmp_path: Path, two_imports: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    with tmpfs(tmp_path / "disk", "64m") as mounted:
        folder = tmp_path / "disk"
        db = copy_database(two_imports, folder)
        before, before_hash = state(db), sha256(db)
        big = rates_csv(tmp_path / "big.csv", range(0, 30_000), 2021)
        if mounted:
            # 1) no room even for the private copy; 2) room for the copy, not for the rows
            for leave in (256 * 1024, db.stat().st_size + 300 * 1024):
                filler = _fill(folder, leave)
                message = one_line_error(cli_here("import", str(big), "--db", str(db)))
                assert "No space left on device" in message or "space" in message
                assert "the published database is unchanged" in message
                assert sha256(db) == before_hash and state(db) == before
                assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []
                filler.unlink()
        else:  # no tmpfs without root: the same failure simulated at the copy
            def full(*args, **kwargs):
                raise OSError(28, "No space left on device")

            monkeypatch.setattr("analysis.db.snapshot.shutil.copyfile", full)
            with pytest.raises(ImportFailed, match=r"No space left on device.*unchanged"):
                import_file(big, db)
            monkeypatch.undo()
            assert sha256(db) == before_hash
        # with space again, the same file imports whole
        assert import_file(big, db)["rows_loaded"] == 30_000
        assert rows(db, "SELECT count(*) FROM observations") == [(30_010,)]


def test_a_read_only_folder_refuses_writes_in_one_line_and_still_serves_reads(tmp_path: Path,
                                                                               two_imports: Path) -> None:
    with tmpfs(tmp_path / "ro", "16m") as mounted:
        folder = tmp_path / "ro"
        db = copy_database(two_imports, folder)
        before_hash = sha256(db)
        if mounted:
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        else:
            folder.chmod(0o555)
        try:
            new = rates_csv(tmp_path / "v3.csv", range(10, 20), 2021)
            assert "must be writable" in one_line_error(cli_here("import", str(new), "--db", str(db)))
            assert "must be writable" in one_line_error(cli_here("restore", "--db", str(db)))
            assert "must be writable" in one_line_error(cli_here("rollback", "2", "--db", str(db)))
            listing = cli_here("imports", "--db", str(db))  # reading needs no write access
            assert listing.returncode == 0 and "v2.csv" in listing.stdout
            assert rows(db, "SELECT count(*) FROM observations") == [(10,)]
            assert sha256(db) == before_hash
        finally:
            if not mounted:
                folder.chmod(0o755)


def test_a_read_only_database_file_is_no_obstacle(tmp_path: Path) -> None:
    """The published file is never written in place, so its own permissions do not matter."""
    db = tmp_path / "lablens.duckdb"
    import_file(rates_csv(tmp_path / "v1.csv", range(0, 5), 2019), db)
    db.chmod(0o444)
    assert import_file(rates_csv(tmp_path / "v2.csv", range(5, 8), 2020), db)["status"] == "active"
    assert rows(db, "SELECT count(*) FROM observations") == [(8,)]


def _garbage(db: Path) -> None:
    db.write_bytes(os.urandom(300_000))


def _truncated(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])


def _zeroed_blocks(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[:12288] + b"\0" * (len(data) - 12288))


@pytest.mark.parametrize("damage", [_garbage, _truncated, _zeroed_blocks], ids=["garbage", "truncated", "zeroed"])
def test_a_damaged_database_names_the_restore_command_and_restore_fixes_it(tmp_path: Path, two_imports: Path,
                                                                            damage) -> None:
    db = copy_database(two_imports, tmp_path)
    damage(db)
    damaged_hash = sha256(db)
    for command in (["imports"], ["import", str(rates_csv(tmp_path / "v3.csv", range(20, 22), 2021))],
                    ["compare", "--indicator", "dropout_rate"]):
        message = one_line_error(cli_here(*command, "--db", str(db), "--lang", "en"))
        assert "is damaged" in message and "python -m analysis restore" in message, message
    assert sha256(db) == damaged_hash  # nothing tried to "repair" it in place
    fixed = cli_here("restore", "--db", str(db))
    assert fixed.returncode == 0, fixed.stderr
    assert rows(db, "SELECT max(import_id), count(*) FROM observations") == [(1, 5)]
    assert sha256(db.with_name("lablens.duckdb.before-restore")) == damaged_hash  # kept for inspection
    assert import_file(rates_csv(tmp_path / "v2.csv", range(5, 10), 2020), db)["status"] == "active"


def test_a_damaged_key_file_gives_one_line(tmp_path: Path, key_file: Path) -> None:
    key_file.parent.mkdir(parents=True)
    key_file.write_bytes(b"short")
    db = tmp_path / "lablens.duckdb"
    src = tmp_path / "s.csv"
    src.write_text("student_id,school_code,wave,score_math\nA1,176001000001,pre,50\n")
    message = one_line_error(cli_here("import", str(src), "--db", str(db)))
    assert "key file" in message and "damaged" in message
    assert not db.exists()
