"""The dashboard's trust checks computed at publication (analysis.precompute.checks, issue #6)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from analysis.db.connect import snapshot_signature
from analysis.precompute import checks as snapshot_checks
from analysis.precompute.publish import writable_snapshot
from tests.conftest import demo_copy, keep_with_stored_results


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    path = demo_copy(tmp_path_factory, 1500, 3, "checks", "demo.duckdb")
    keep_with_stored_results(path, ("score_math", "dropout_rate"))  # stored results: signatures to keep
    return path


@pytest.fixture
def db(published, tmp_path) -> Path:
    """A published snapshot of its own: the file and its kept checks, as a writer leaves them."""
    path = tmp_path / "lablens.duckdb"
    shutil.copy2(published, path)  # copy2 keeps the modification time ...
    kept = snapshot_checks.sidecar(published).read_text()
    inode = published.stat().st_ino
    # ... not the inode: the kept identity is rewritten for the copy (what the writer would have written)
    snapshot_checks.sidecar(path).write_text(kept.replace(f'"inode": {inode}', f'"inode": {path.stat().st_ino}'))
    return path


def _live(path: Path) -> dict:
    with duckdb.connect(str(path), read_only=True) as con:
        return snapshot_checks.compute(con)


def test_a_write_keeps_the_checks_the_readers_would_compute(db: Path) -> None:
    kept = snapshot_checks.read(db, snapshot_signature(db))
    assert kept is not None
    assert kept == _live(db)
    assert kept["derived_current"] is True
    assert sorted(kept["signatures"]) == ["dropout_rate", "score_math"]


def test_an_outside_edit_another_snapshot_or_version_is_never_read(db: Path, monkeypatch) -> None:
    signature = snapshot_signature(db)
    assert snapshot_checks.read(db, (signature[0], signature[1] + 1)) is None  # another snapshot pinned
    monkeypatch.setattr(snapshot_checks, "code_fingerprint", lambda: "another-version")
    assert snapshot_checks.read(db, signature) is None
    monkeypatch.undo()
    monkeypatch.setattr(snapshot_checks, "DERIVED_VERSION", "0")
    assert snapshot_checks.read(db, signature) is None
    monkeypatch.undo()
    assert snapshot_checks.read(db, signature) is not None
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE observations SET value = value + 1 WHERE indicator = 'score_math'")
    assert snapshot_checks.read(db, snapshot_signature(db)) is None  # the file changed: checked again
    live = _live(db)
    assert live["derived_current"] is False  # and the rows tell the truth


@pytest.mark.parametrize("content", ["", "not json", "[1, 2]", '{"inode": "x"}'])
def test_a_damaged_checks_file_is_ignored(db: Path, content: str) -> None:
    snapshot_checks.sidecar(db).write_text(content)
    assert snapshot_checks.read(db, snapshot_signature(db)) is None


@pytest.mark.parametrize("body", [{"derived_current": "false"}, {"signatures": "x"}, {"signatures": [1]},
                                  {"signatures": {"score_math": 3}}, {"derived_current": None}])
def test_the_right_file_with_a_damaged_body_is_ignored(db: Path, body: dict) -> None:
    kept = json.loads(snapshot_checks.sidecar(db).read_text())
    snapshot_checks.sidecar(db).write_text(json.dumps({**kept, **body}))
    assert snapshot_checks.read(db, snapshot_signature(db)) is None


def test_checks_that_cannot_be_computed_do_not_stop_a_publication(db: Path, monkeypatch) -> None:
    def broken(con):
        raise RuntimeError("a bug in a check")

    monkeypatch.setattr(snapshot_checks, "compute", broken)
    with writable_snapshot(db) as con:
        con.execute("CREATE TABLE target.marker AS SELECT 1 AS x")
    assert _rows_of(db, "SELECT x FROM marker") == [(1,)]
    assert snapshot_checks.read(db, snapshot_signature(db)) is None  # none kept: dashboards scan


def _rows_of(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_folder_that_refuses_the_file_does_not_stop_a_publication(db: Path, monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise PermissionError("read-only folder")

    monkeypatch.setattr(snapshot_checks, "write", refuse)
    with writable_snapshot(db) as con:
        con.execute("CREATE TABLE target.marker AS SELECT 1 AS x")
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT x FROM marker").fetchall() == [(1,)]
    assert snapshot_checks.read(db, snapshot_signature(db)) is None  # the old file names the old snapshot
