"""The snapshot writer (analysis.db.snapshot) with publish steps passed as arguments, and the catalog cursor."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from analysis.db.connect import cursor, open_db
from analysis.db.snapshot import backup_path, publish, verify, writable_snapshot


def _rows(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_steps_run_in_order_on_the_copy_then_on_the_published_file(tmp_path: Path) -> None:
    db = tmp_path / "lablens.duckdb"
    seen: list[tuple] = []

    def on_copy(con: duckdb.DuckDBPyConnection, alias: str) -> None:
        con.execute(f"CREATE TABLE {alias}.marker AS SELECT 1 AS x")  # still attached and writable
        seen.append(("copy", alias))

    def on_file(path: Path) -> None:
        assert path != db and path.exists()
        assert _rows(path, "SELECT x FROM marker") == [(1,)]  # checkpointed, detached
        seen.append(("file", db.exists()))

    def published(path: Path) -> None:
        assert _rows(path, "SELECT x FROM marker") == [(1,)]
        seen.append(("published", path))

    with writable_snapshot(db, before_publish=(on_copy,), before_publish_file=(on_file,),
                           after_publish=(published,)) as con:
        con.execute("INSERT INTO target.meta VALUES ('k', 'v')")
    assert seen == [("copy", "target"), ("file", False), ("published", db)]
    assert _rows(db, "SELECT value FROM meta WHERE key = 'k'") == [("v",)]


def test_a_failing_step_publishes_nothing_and_leaves_no_copy(tmp_path: Path) -> None:
    db = tmp_path / "lablens.duckdb"
    with writable_snapshot(db):
        pass
    before = db.read_bytes()
    after: list[Path] = []

    def broken(path: Path) -> None:
        raise RuntimeError("a failing step")

    with pytest.raises(RuntimeError, match="a failing step"), writable_snapshot(
            db, before_publish_file=(broken,), after_publish=(after.append,)) as con:
        con.execute("INSERT INTO target.meta VALUES ('k', 'v')")
    assert db.read_bytes() == before and after == []
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_without_steps_the_writer_publishes_the_rows_only(tmp_path: Path) -> None:
    db = tmp_path / "lablens.duckdb"
    with writable_snapshot(db):
        pass
    tables = {r[0] for r in _rows(db, "SELECT table_name FROM duckdb_tables()")}
    assert "observations" in tables and not any(t.startswith("derived_") for t in tables)


def test_publish_keeps_the_replaced_file_only_when_asked(tmp_path: Path) -> None:
    db = tmp_path / "lablens.duckdb"
    with writable_snapshot(db):
        pass
    draft = tmp_path / "draft.duckdb"
    draft.write_bytes(db.read_bytes())
    kept: list[Path] = []
    publish(draft, db, keep=kept.append)
    assert kept == [db] and not draft.exists()
    draft.write_bytes(db.read_bytes())
    publish(draft, tmp_path / "new.duckdb", keep=kept.append)  # nothing to keep: no call
    assert kept == [db]
    verify(tmp_path / "new.duckdb")


def test_a_second_snapshot_keeps_the_first_as_backup(tmp_path: Path) -> None:
    db = tmp_path / "lablens.duckdb"
    with writable_snapshot(db):
        pass
    with writable_snapshot(db) as con:
        con.execute("INSERT INTO target.meta VALUES ('k', 'v')")
    assert _rows(backup_path(db), "SELECT count(*) FROM meta WHERE key = 'k'") == [(0,)]


def test_the_cursor_points_at_the_published_catalog_when_attached(tmp_path: Path) -> None:
    db = tmp_path / "lablens.duckdb"
    with writable_snapshot(db):
        pass
    con = open_db(db)
    cur = cursor(con)
    assert cur.execute("SELECT current_database()").fetchall() == [("lablens",)]
    cur.close()
    con.close()
    with duckdb.connect() as plain:
        cur = cursor(plain)
        assert cur.execute("SELECT current_database()").fetchall() == [("memory",)]
        cur.close()
