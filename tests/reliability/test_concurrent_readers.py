"""Readers during imports: every read sees one whole published snapshot (old or new), never a lock error."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from analysis.db.connect import open_db, snapshot_signature
from analysis.db.snapshot import writer_lock
from analysis.importer.pipeline import import_file
from tests.reliability.helpers import ROOT, cli, one_line_error, rates_csv

IMPORTS, ROWS_PER_IMPORT, BASE = 4, 2000, 10
WRITER = """
import sys
from pathlib import Path
from analysis.importer.pipeline import import_file
db = Path(sys.argv[1])
for path in sys.argv[2:]:
    import_file(path, db)
"""


def test_readers_see_the_old_or_the_new_snapshot_during_imports(tmp_path: Path) -> None:
    db = tmp_path / "lablens.duckdb"
    import_file(rates_csv(tmp_path / "base.csv", range(BASE), 2015), db)
    files = [str(rates_csv(tmp_path / f"wave{i}.csv", range(1000 + i * ROWS_PER_IMPORT,
                                                             1000 + (i + 1) * ROWS_PER_IMPORT), 2016 + i))
             for i in range(IMPORTS)]
    valid_totals = {BASE + i * ROWS_PER_IMPORT for i in range(IMPORTS + 1)}
    seen: list[tuple[int, tuple]] = []
    errors: list[str] = []
    stop = threading.Event()

    def reader() -> None:
        last = 0
        while not stop.is_set():
            try:
                con = open_db(db)
                try:
                    total = con.execute("SELECT count(*) FROM observations").fetchall()[0][0]
                    per_import = tuple(con.execute("SELECT import_id, count(*) FROM observations GROUP BY 1 "
                                                   "ORDER BY 1").fetchall())
                    logged = con.execute("SELECT count(*) FROM imports").fetchall()[0][0]
                finally:
                    con.close()
            except Exception as exc:  # any error at all is a failure of the design
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            seen.append((total, per_import))
            if total < last or len(per_import) != logged:
                errors.append(f"went back or half an import: {total} after {last}, {per_import}, {logged}")
            last = total
            time.sleep(0.005)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    writer = subprocess.run([sys.executable, "-c", WRITER, str(db), *files], cwd=ROOT, env=dict(os.environ),
                            capture_output=True, text=True, timeout=300)
    time.sleep(0.3)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert writer.returncode == 0, writer.stderr
    assert errors == []
    print(f"{len(seen)} reads by 4 threads during {IMPORTS} imports: totals seen {sorted(set(t for t, _ in seen))}")
    totals = {total for total, _ in seen}
    assert totals <= valid_totals, totals - valid_totals
    assert len(totals) >= 3, f"the readers overlapped only {sorted(totals)} during {time.monotonic() - started:.1f} s"
    for _, per_import in seen:  # each import is there whole or not at all
        assert all(n == (BASE if import_id == 1 else ROWS_PER_IMPORT) for import_id, n in per_import)
    with open_db(db) as con:
        assert con.execute("SELECT count(*) FROM observations").fetchall() == [(max(valid_totals),)]


def test_a_cli_import_while_a_reader_holds_the_database_open(tmp_path: Path) -> None:
    """The dashboard's long-lived read-only handle neither blocks the import nor sees it half done."""
    db = tmp_path / "lablens.duckdb"
    import_file(rates_csv(tmp_path / "v1.csv", range(50), 2020), db)
    dashboard = open_db(db)
    signature = snapshot_signature(db)
    streaming = dashboard.execute("SELECT * FROM observations")  # an unfinished result holds the file open
    result = cli("import", str(rates_csv(tmp_path / "v2.csv", range(50, 80), 2021)), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert len(streaming.fetchall()) == 50  # the old snapshot, whole
    assert dashboard.execute("SELECT count(*) FROM observations").fetchall() == [(50,)]
    assert snapshot_signature(db) != signature  # ui/db.py reopens on this change
    dashboard.close()
    with open_db(db) as fresh:
        assert fresh.execute("SELECT count(*) FROM observations").fetchall() == [(80,)]


def test_a_second_writer_waits_its_turn_with_one_line(tmp_path: Path) -> None:
    db = tmp_path / "lablens.duckdb"
    import_file(rates_csv(tmp_path / "v1.csv", range(5), 2020), db)
    with writer_lock(db):
        message = one_line_error(cli("import", str(rates_csv(tmp_path / "v2.csv", range(5, 9), 2021)),
                                     "--db", str(db), "--lang", "en"))
    assert "another import is writing" in message and "try again" in message
    assert import_file(tmp_path / "v2.csv", db)["status"] == "active"
