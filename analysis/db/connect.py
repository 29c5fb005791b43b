"""Opening the published database read-only, its user-facing errors, and the snapshot signature.

DuckDB allows one read-write process per file and, while it is open read-write, no other process may
open it (STACK_NOTES.md). So the published database is only ever opened read-only; writers go through
``analysis.db.snapshot``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

DEFAULT_DB = Path("data") / "lablens.duckdb"
CATALOG = "lablens"  # the name the published file is attached under by open_db

RESTORE_HINT = "restore it with 'python -m analysis restore' (python -m analysis restore --list shows the backups)"
_DAMAGE_MARKERS = ("not a valid duckdb database", "corrupt", "checksum", "could not read enough bytes",
                   "invalid database", "serialization error", "failed to read")


class StoreError(RuntimeError):
    """A store problem with a one-line, user-facing reason."""


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


def sql_path(path: Path) -> str:
    """A file path as the text of an SQL string literal (quotes doubled)."""
    return str(path).replace("'", "''")


MEMORY_LIMIT_ENV = "LABLENS_MEMORY_LIMIT"
_SIZE = re.compile(r"^\s*\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


def apply_limits(con: duckdb.DuckDBPyConnection, beside: Path | None = None) -> None:
    """Cap DuckDB's memory when ``$LABLENS_MEMORY_LIMIT`` says so (e.g. '6GB'): beyond it, DuckDB spills to a
    folder beside the database (``<database>.spill``). Without it DuckDB may use 80% of the machine's memory:
    publishing a 100 M-row panel peaked at 19.9 GB, and at 6.1 GB with the limit at 6GB (bench/RESULTS.md,
    "National retention panel"). A value that is not a size is refused (StoreError), never pasted into SQL."""
    value = os.environ.get(MEMORY_LIMIT_ENV, "").strip()
    if not value:
        return
    if not _SIZE.match(value):
        raise StoreError(f"{MEMORY_LIMIT_ENV}={value!r}: give a size such as 6GB or 800MB")
    con.execute(f"SET memory_limit = '{value.replace(' ', '')}'")
    if beside is not None:
        con.execute(f"SET temp_directory = '{sql_path(beside.with_name(beside.name + '.spill'))}'")


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
            apply_limits(con, db)
            return con
        # ATTACH rather than connect(path): the Python client caches database instances by path,
        # so a second connect() in this process would keep serving the replaced (old) snapshot.
        con = duckdb.connect()
        # no progress bar on stdout: it would corrupt the CLI's --json and CSV output
        con.execute("SET enable_progress_bar = false")
        apply_limits(con, db)
        con.execute(f"ATTACH '{sql_path(db)}' AS {CATALOG} (READ_ONLY)")
        con.execute(f"USE {CATALOG}")
        return con
    except duckdb.Error as exc:
        if is_damage(exc):
            raise StoreError(damaged_message(db, exc)) from exc
        raise StoreError(f"cannot open {db}: {str(exc).splitlines()[0]}") from exc


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A new cursor of ``con`` pointed at the published catalog when ``con`` has it attached.

    One cursor per use: connections are shared across threads (STACK_NOTES.md), and a cursor does not
    inherit the connection's ``USE``. The caller closes it."""
    cur = con.cursor()
    catalogs = {r[0] for r in cur.execute("SELECT database_name FROM duckdb_databases()").fetchall()}
    if CATALOG in catalogs:
        cur.execute(f"USE {CATALOG}").fetchall()
    return cur


def snapshot_signature(path: str | os.PathLike | None = None) -> tuple[int, int] | None:
    """(inode, mtime_ns) of the published file: changes whenever a new snapshot is published."""
    db = Path(path) if path else default_db_path()
    try:
        st = db.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns)
