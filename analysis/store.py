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

from analysis import derived, snapshot_checks, standard_results
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


# Backup generations kept beside the database: `.bak` (the previous snapshot), `.bak.2`, `.bak.3`.
# Disk use is bounded: at most BACKUP_GENERATIONS + 1 copies of the database (hard links while equal).
BACKUP_GENERATIONS = max(1, int(os.environ.get("LABLENS_BACKUPS") or 3))
RESTORE_HINT = "restore it with 'python -m analysis restore' (python -m analysis restore --list shows the backups)"
_DAMAGE_MARKERS = ("not a valid duckdb database", "corrupt", "checksum", "could not read enough bytes",
                   "invalid database", "serialization error", "failed to read")


def is_damage(exc: BaseException) -> bool:
    """True when a DuckDB error says the file itself is damaged (not locked, not missing)."""
    text = str(exc).lower()
    return any(marker in text for marker in _DAMAGE_MARKERS)


def damaged_message(db: Path, exc: BaseException) -> str:
    """The one-line reason for a damaged database file, naming the way out."""
    return f"the database file {db} is damaged ({str(exc).splitlines()[0][:160]}): {RESTORE_HINT}"


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
        if is_damage(exc):
            raise StoreError(damaged_message(db, exc)) from exc
        raise StoreError(f"cannot open {db}: {str(exc).splitlines()[0]}") from exc


def _lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


def backup_path(db: Path, generation: int = 1) -> Path:
    """Where a previous snapshot is kept: generation 1 is `.bak` (the last one), then `.bak.2`, `.bak.3`."""
    return db.with_name(db.name + ".bak" + ("" if generation == 1 else f".{generation}"))


def _link_replace(source: Path, target: Path) -> None:
    """Make ``target`` a hard link of ``source``, atomically (``target`` always exists, old or new)."""
    if target.exists() and os.path.samefile(source, target):
        return  # rename(2) between two links of one file does nothing and would leave the staging link
    staging = target.with_name(target.name + ".tmp")
    staging.unlink(missing_ok=True)
    os.link(source, staging)
    os.replace(staging, target)


def _rotate_backups(db: Path) -> None:
    """Shift `.bak` -> `.bak.2` -> ... (dropping the oldest) and keep the published file as `.bak`.

    Hard links replaced atomically, never renames: a crash midway leaves two equal generations,
    never a missing `.bak`."""
    for generation in range(BACKUP_GENERATIONS, 1, -1):
        older = backup_path(db, generation - 1)
        if older.exists():
            _link_replace(older, backup_path(db, generation))
    _link_replace(db, backup_path(db))


@contextlib.contextmanager
def writer_lock(db: Path) -> Iterator[None]:
    """One writer at a time per database (an advisory lock file beside it)."""
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        handle = open(_lock_path(db), "a+")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise StoreError(f"cannot write beside {db} ({exc.strerror or exc}): the folder must be writable "
                         "for imports; the published database is unchanged") from exc
    with handle:
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
        remove_stale_snapshots(db)
        try:
            if db.exists():
                shutil.copyfile(db, tmp)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StoreError(f"cannot copy {db} for a new snapshot ({exc.strerror or exc}): free disk space "
                             "or make the folder writable, then try again; the published database is "
                             "unchanged") from exc
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
            derived.refresh(work, alias)  # precomputed per-school statistics follow the rows (analysis.derived)
            work.execute(f"CHECKPOINT {alias}")
            work.execute(f"DETACH {alias}")
            attached = False
            standard_results.refresh_file_quietly(tmp)  # the pages' first-view results (issue #6)
            _verify(tmp)
            checks = snapshot_checks.compute_quietly(tmp)
            if db.exists():
                _rotate_backups(db)
            os.replace(tmp, db)
            _fsync_dir(db.parent)
        except BaseException as exc:
            if attached:
                with contextlib.suppress(Exception):
                    work.execute("USE memory")
                    work.execute(f"DETACH {alias}")
            for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
                leftover.unlink(missing_ok=True)
            if isinstance(exc, duckdb.Error) and is_damage(exc):
                raise StoreError(damaged_message(db, exc)) from exc
            # a full disk or a read-only folder: one line with the way out, not a traceback
            reason = _write_failure(exc)
            if reason:
                raise StoreError(f"cannot write a new snapshot of {db} ({reason}): free disk space or make the "
                                 "folder writable, then try again; the published database is unchanged") from exc
            raise
        else:  # published: what follows can no longer undo it (and never raises)
            snapshot_checks.write_quietly(db, checks)  # the dashboard's trust checks, done once (issue #6)
        finally:
            if own:
                work.close()


_WRITE_FAILURES = ("No space left on device", "Disk quota exceeded", "Read-only file system", "Permission denied")


def _write_failure(exc: BaseException) -> str | None:
    """A short reason when ``exc`` means the snapshot could not be written (full disk, read-only folder)."""
    text = str(exc)
    for phrase in _WRITE_FAILURES:
        if phrase.lower() in text.lower():
            return phrase
    if isinstance(exc, OSError):
        return exc.strerror or text.splitlines()[0][:160]
    if isinstance(exc, duckdb.IOException) or (isinstance(exc, duckdb.Error) and "could not write" in text.lower()):
        return text.splitlines()[0][:160]
    return None


def remove_stale_snapshots(db: Path) -> list[Path]:
    """Delete snapshots left by writers that died (callers hold the writer lock, so no writer is alive).

    A killed import leaves a full private copy behind; removing it keeps disk use bounded and leaves
    no stray copy of erased student records."""
    removed = []
    patterns = (f".{db.name}.*.tmp*", f"{db.name}.bak*.tmp", f"{db.name}.before-restore.tmp")
    for stale in (p for pattern in patterns for p in db.parent.glob(pattern)):
        stale.unlink(missing_ok=True)
        removed.append(stale)
    return removed


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
