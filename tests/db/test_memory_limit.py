"""$LABLENS_MEMORY_LIMIT caps DuckDB in readers and in snapshot writes (spilling beside the database); a value
that is not a size is refused in one line, never pasted into SQL."""

from __future__ import annotations

import pytest

from analysis.db.connect import StoreError, open_db
from analysis.db.snapshot import writable_snapshot


def test_readers_and_writers_take_the_limit(tmp_path, monkeypatch):
    db = tmp_path / "lablens.duckdb"
    monkeypatch.setenv("LABLENS_MEMORY_LIMIT", "700MB")
    with writable_snapshot(db) as con:
        limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        spill = con.execute("SELECT current_setting('temp_directory')").fetchone()[0]
    assert limit.replace(" ", "") in ("667.5MiB", "700.0MB", "700MB") and spill.endswith("lablens.duckdb.spill")
    reader = open_db(db)
    try:
        assert reader.execute("SELECT current_setting('memory_limit')").fetchone()[0] == limit
    finally:
        reader.close()


def test_a_limit_that_is_not_a_size_is_refused(tmp_path, monkeypatch):
    db = tmp_path / "lablens.duckdb"
    with writable_snapshot(db):
        pass
    monkeypatch.setenv("LABLENS_MEMORY_LIMIT", "6GB'; DROP TABLE units; --")
    with pytest.raises(StoreError, match="give a size"):
        open_db(db)
