"""The DuckDB store: public schema, read-only opening, and atomic snapshot publishing.

DuckDB allows one read-write process per file and, while it is open read-write, no other process may
open it (STACK_NOTES.md). So the published database is only ever opened read-only. A writer (an import,
a rollback, the demo builder) works on a private copy, commits, checkpoints, verifies it, and publishes
it with an atomic ``os.replace``; the file it replaces stays as ``<name>.bak`` (DESIGN.md, "Storage
and concurrency"). Readers keep the old file open until they reopen; a crash at any point leaves the
last published file untouched.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb

from analysis.catalog import indicator_rows

SCHEMA_VERSION = "1"

DEFAULT_DB = Path("data") / "lablens.duckdb"

# Public schema (DESIGN.md, "Public database schema"). Column names are a contract with researchers.
SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS units (
    unit_id VARCHAR PRIMARY KEY, country VARCHAR NOT NULL, unit_type VARCHAR NOT NULL,
    code VARCHAR NOT NULL, name VARCHAR, parent_id VARCHAR, department VARCHAR,
    municipality VARCHAR, authority VARCHAR, zone VARCHAR, lat DOUBLE, lon DOUBLE,
    import_id INTEGER);
CREATE TABLE IF NOT EXISTS unit_attributes (
    unit_id VARCHAR NOT NULL, name VARCHAR NOT NULL, value VARCHAR, import_id INTEGER);
CREATE TABLE IF NOT EXISTS assignments (
    unit_id VARCHAR NOT NULL, program VARCHAR NOT NULL, lab_type VARCHAR, start_year INTEGER,
    import_id INTEGER);
CREATE TABLE IF NOT EXISTS indicators (
    code VARCHAR PRIMARY KEY, domain VARCHAR NOT NULL, kind VARCHAR NOT NULL, unit VARCHAR,
    higher_is_better BOOLEAN, min_value DOUBLE, max_value DOUBLE, scale VARCHAR,
    reverse_coded BOOLEAN DEFAULT false, label_es VARCHAR, label_en VARCHAR);
CREATE TABLE IF NOT EXISTS observations (
    import_id INTEGER NOT NULL, unit_id VARCHAR NOT NULL, student_key VARCHAR,
    indicator VARCHAR NOT NULL, year INTEGER, wave VARCHAR, level VARCHAR NOT NULL DEFAULT 'all',
    sex VARCHAR, grade VARCHAR, value DOUBLE NOT NULL, n DOUBLE);
CREATE TABLE IF NOT EXISTS student_attributes (
    import_id INTEGER NOT NULL, student_key VARCHAR NOT NULL, name VARCHAR NOT NULL, value VARCHAR);
CREATE TABLE IF NOT EXISTS duplicate_observations (
    import_id INTEGER NOT NULL, unit_id VARCHAR NOT NULL, student_key VARCHAR,
    indicator VARCHAR NOT NULL, year INTEGER, wave VARCHAR, level VARCHAR NOT NULL,
    sex VARCHAR, grade VARCHAR, value DOUBLE NOT NULL, n DOUBLE);
CREATE TABLE IF NOT EXISTS superseded_observations (
    superseded_by INTEGER NOT NULL, import_id INTEGER NOT NULL, unit_id VARCHAR NOT NULL,
    student_key VARCHAR, indicator VARCHAR NOT NULL, year INTEGER, wave VARCHAR,
    level VARCHAR NOT NULL, sex VARCHAR, grade VARCHAR, value DOUBLE NOT NULL, n DOUBLE);
CREATE TABLE IF NOT EXISTS imports (
    import_id INTEGER PRIMARY KEY, source_name VARCHAR, sha256 VARCHAR, recognized_as VARCHAR,
    rows_read BIGINT, rows_loaded BIGINT, rows_rejected BIGINT, imported_at TIMESTAMP,
    status VARCHAR, summary_json VARCHAR);
CREATE TABLE IF NOT EXISTS rejects (
    import_id INTEGER NOT NULL, row_number BIGINT, column_name VARCHAR, raw_value VARCHAR,
    reason VARCHAR);
CREATE TABLE IF NOT EXISTS boundaries (
    country VARCHAR NOT NULL, unit_type VARCHAR NOT NULL, code VARCHAR, name VARCHAR,
    geojson VARCHAR NOT NULL, import_id INTEGER);
-- databases made before boundaries carried territory codes
ALTER TABLE boundaries ADD COLUMN IF NOT EXISTS code VARCHAR;
ALTER TABLE boundaries ALTER COLUMN name DROP NOT NULL;
"""

OBS_KEY = ("unit_id", "indicator", "year", "wave", "level", "sex", "grade", "student_key")
OBS_COLUMNS = ("import_id", "unit_id", "student_key", "indicator", "year", "wave", "level", "sex",
               "grade", "value", "n")


class StoreError(RuntimeError):
    """A store problem with a one-line, user-facing reason."""


def default_db_path() -> Path:
    """`$LABLENS_DB`, else data/lablens.duckdb (DESIGN.md, "CLI")."""
    return Path(os.environ.get("LABLENS_DB") or DEFAULT_DB)


def create_schema(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> None:
    """Create the public tables (idempotent) and refresh the shipped indicator catalogue."""
    if catalog:
        con.execute(f"USE {catalog}")
    con.execute(SCHEMA_SQL)
    # one multi-row statement: executemany ran one statement per indicator (~0.3 s on every snapshot)
    rows = indicator_rows()
    placeholders = ", ".join("(" + ", ".join("?" * len(rows[0])) + ")" for _ in rows)
    con.execute(f"INSERT INTO indicators VALUES {placeholders} ON CONFLICT (code) DO NOTHING",
                [value for row in rows for value in row]).fetchall()
    con.execute(
        "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = ?",
        [SCHEMA_VERSION, SCHEMA_VERSION],
    )


def open_db(path: str | os.PathLike | None = None, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the published database. Read-only by default: writers go through `writable_snapshot`."""
    db = Path(path) if path else default_db_path()
    if not db.exists():
        raise StoreError(
            f"no database at {db}: build the demo with 'python -m analysis demo' or import a file"
        )
    try:
        if not read_only:
            con = duckdb.connect(str(db))
            con.execute("SET enable_progress_bar = false")
            return con
        # ATTACH rather than connect(path): the Python client caches database instances by path,
        # so a second connect() in this process would keep serving the replaced (old) snapshot.
        con = duckdb.connect()
        # no progress bar on stdout: it would corrupt the CLI's --json and CSV output
        con.execute("SET enable_progress_bar = false")
        con.execute(f"ATTACH '{_sql_path(db)}' AS lablens (READ_ONLY)")
        con.execute("USE lablens")
        return con
    except duckdb.Error as exc:
        raise StoreError(f"cannot open {db}: {str(exc).splitlines()[0]}") from exc


def _lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


def backup_path(db: Path) -> Path:
    """Where the previously published snapshot is kept."""
    return db.with_name(db.name + ".bak")


@contextlib.contextmanager
def writer_lock(db: Path) -> Iterator[None]:
    """One writer at a time per database (an advisory lock file beside it)."""
    db.parent.mkdir(parents=True, exist_ok=True)
    with open(_lock_path(db), "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise StoreError(f"another import is writing to {db}; try again when it ends") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def writable_snapshot(path: str | os.PathLike | None = None,
                      con: duckdb.DuckDBPyConnection | None = None,
                      alias: str = "target") -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a connection on which ``alias`` is a private, writable copy of the published database.

    On normal exit the copy is checkpointed, verified by reopening it read-only, and published by
    atomic rename (the old file kept as ``.bak``). On any exception the copy is deleted and the
    published file is untouched. ``con`` lets the caller bring an in-memory connection that holds
    staged data; otherwise a fresh in-memory connection is used.
    """
    db = Path(path) if path else default_db_path()
    with writer_lock(db):
        tmp = db.with_name(f".{db.name}.{os.getpid()}.tmp")
        for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
            stale.unlink(missing_ok=True)
        if db.exists():
            shutil.copyfile(db, tmp)
        own = con is None
        work = duckdb.connect() if own else con
        if own:
            work.execute("SET enable_progress_bar = false")
        attached = False
        try:
            work.execute(f"ATTACH '{_sql_path(tmp)}' AS {alias}")
            attached = True
            create_schema(work, alias)
            work.execute("USE memory")
            yield work
            work.execute(f"CHECKPOINT {alias}")
            work.execute(f"DETACH {alias}")
            attached = False
            _verify(tmp)
            if db.exists():
                bak = backup_path(db)
                bak_tmp = bak.with_name(bak.name + ".tmp")
                bak_tmp.unlink(missing_ok=True)
                os.link(db, bak_tmp)
                os.replace(bak_tmp, bak)
            os.replace(tmp, db)
            _fsync_dir(db.parent)
        except BaseException:
            if attached:
                with contextlib.suppress(Exception):
                    work.execute("USE memory")
                    work.execute(f"DETACH {alias}")
            for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
                leftover.unlink(missing_ok=True)
            raise
        finally:
            if own:
                work.close()


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _verify(path: Path) -> None:
    """Reopen a finished snapshot read-only and touch every public table."""
    check = duckdb.connect(str(path), read_only=True)
    try:
        for table in ("units", "assignments", "indicators", "observations", "imports", "rejects"):
            check.execute(f"SELECT count(*) FROM {table}").fetchall()
    finally:
        check.close()


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def snapshot_signature(path: str | os.PathLike | None = None) -> tuple[int, int] | None:
    """(inode, mtime_ns) of the published file: changes whenever a new snapshot is published."""
    db = Path(path) if path else default_db_path()
    try:
        st = db.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns)
