"""A writer killed mid-import (SIGKILL) leaves the published database exactly as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from importer_helpers import ROOT, leftovers, query, sha256, state, write

from analysis.db.connect import open_db
from analysis.importer.pipeline import import_file

ROWS = 600_000


def _write_large_csv(path: Path, rows: int) -> None:
    """A canonical aggregate file: 1,000 schools x 20 years x 5 levels x 2 sexes x 3 grades, one rate each."""
    con = duckdb.connect()
    try:
        con.execute(f"""COPY (SELECT '1760019' || lpad((i % 1000)::VARCHAR, 5, '0') AS school_code,
            2000 + (i // 1000) % 20 AS year,
            ['primaria', 'secundaria', 'media', 'transicion', 'total'][1 + (i // 20000) % 5] AS level,
            ['F', 'M'][1 + (i // 100000) % 2] AS sex, 1 + (i // 200000) AS grade,
            round(((i * 7919) % 10000) / 100.0, 2) AS dropout_rate
            FROM range({rows}) t(i)) TO '{path}' (HEADER, DELIMITER ',')""")
    finally:
        con.close()


@pytest.mark.slow
def test_sigkill_during_the_snapshot_write_leaves_the_published_database_intact(tmp_path: Path) -> None:
    db = tmp_path / "lablens.duckdb"
    import_file(write(tmp_path / "v1.csv", "school_code,year,dropout_rate\n176001000001,2020,3.5\n"), db)
    import_file(write(tmp_path / "v2.csv", "school_code,year,dropout_rate\n176001000002,2020,4.5\n"), db)
    before, before_hash = state(db), sha256(db)
    bak_hash = sha256(db.with_name(db.name + ".bak"))
    big = tmp_path / "grande.csv"
    _write_large_csv(big, ROWS)

    proc = subprocess.Popen([sys.executable, "-m", "analysis", "import", str(big), "--db", str(db)], cwd=ROOT,
                            env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    snapshot = db.with_name(f".{db.name}.{proc.pid}.tmp")
    copied = db.stat().st_size
    killed_at = None
    deadline = time.monotonic() + 240
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                size = snapshot.stat().st_size
            except FileNotFoundError:
                size = 0
            # the copy is made and the observations are being written into it: kill the writer now
            if size > copied + (1 << 20):
                os.kill(proc.pid, signal.SIGKILL)
                killed_at = size
                break
            time.sleep(0.002)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert killed_at is not None, f"the import ended (exit {proc.returncode}) before it could be killed mid-write"
    assert proc.returncode == -signal.SIGKILL
    assert snapshot.exists()  # the half-written snapshot is left behind, unpublished

    # the published database opens read-only, holds none of that import, and is exactly as before
    con = open_db(db)
    try:
        assert con.execute("SELECT count(*) FROM imports WHERE source_name = 'grande.csv'").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM observations WHERE unit_id LIKE 'CO-1760019%'").fetchone() == (0,)
    finally:
        con.close()
    assert sha256(db) == before_hash and state(db) == before
    assert sha256(db.with_name(db.name + ".bak")) == bak_hash

    # a following import works: the stale snapshot of the dead writer is ignored (or cleaned)
    after = import_file(write(tmp_path / "v3.csv", "school_code,year,dropout_rate\n176001000003,2020,5.5\n"), db)
    assert after["status"] == "active" and after["import_id"] == 3
    assert query(db, "SELECT import_id, source_name FROM imports ORDER BY 1") == [
        (1, "v1.csv"), (2, "v2.csv"), (3, "v3.csv")]
    assert query(db, "SELECT unit_id, value FROM observations ORDER BY 1") == [
        ("CO-176001000001", 3.5), ("CO-176001000002", 4.5), ("CO-176001000003", 5.5)]
    assert all(name.startswith(f".{db.name}.{proc.pid}.") for name in leftovers(db))
