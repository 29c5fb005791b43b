"""Backups, restore and the right to erasure for the published database.

Every publication keeps the snapshot it replaces (``analysis.db.snapshot.writable_snapshot``): ``.bak`` is
the last one, ``.bak.2`` and ``.bak.3`` older ones (``BACKUP_GENERATIONS``). ``restore`` puts one back
atomically (``analysis.db.snapshot.publish``, as every writer) and keeps the file it replaces as
``.before-restore``, so a restore can itself be undone.

``forget_student`` erases one student's rows (Colombia's Ley 1581, right to erasure) from the published
database and from every backup. Deleting rows in DuckDB leaves their bytes in free blocks, so each file
is rewritten into a fresh one (``COPY FROM DATABASE``), brought up to date by the publish steps
(``analysis.precompute.publish``), checked by a byte search for the pseudonym and published in place.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb

from analysis import audit
from analysis.db.connect import StoreError, damaged_message, is_damage
from analysis.db.snapshot import backup_path, link_replace, publish, remove_stale_snapshots, verify, writer_lock
from analysis.db.sql import ident, run, scalar
from analysis.keys import stored_fingerprint
from analysis.precompute.publish import refresh_copy, refresh_file
from analysis.privacy import KeyError_, key_fingerprint, load_key, pseudonym

_CHUNK = 1 << 22


def before_restore_path(db: Path) -> Path:
    """Where ``restore`` keeps the snapshot it replaced."""
    return db.with_name(db.name + ".before-restore")


def backup_files(db: Path) -> list[Path]:
    """Every kept copy of the database: ``.bak`` generations (newest first) and ``.before-restore``."""
    generations = sorted(db.parent.glob(f"{db.name}.bak*"),
                         key=lambda p: (0, 1) if p.name.endswith(".bak") else (1, _generation(p)))
    found = [p for p in generations if not p.name.endswith(".tmp")]
    if before_restore_path(db).exists():
        found.append(before_restore_path(db))
    return found


def _generation(path: Path) -> int:
    suffix = path.name.rsplit(".", 1)[-1]
    return int(suffix) if suffix.isdigit() else 99


def describe(path: Path) -> dict:
    """What a database file holds (imports, observations, last import) or why it cannot be read."""
    stat = path.stat()
    info = {"file": str(path), "bytes": stat.st_size,
            "modified": dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC).isoformat(timespec="seconds")}
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        return {**info, "readable": False, "problem": str(exc).splitlines()[0][:160]}
    try:
        info["imports_active"] = scalar(con, "SELECT count(*) FROM imports WHERE status = 'active'")
        info["last_import"] = scalar(con, "SELECT max(import_id) FROM imports")
        info["observations"] = scalar(con, "SELECT count(*) FROM observations")
        info["readable"] = True
    except duckdb.Error as exc:
        info.update(readable=False, problem=str(exc).splitlines()[0][:160])
    finally:
        con.close()
    return info


def list_backups(db: Path) -> list[dict]:
    """The published file and its backups, each described (see :func:`describe`)."""
    files = ([db] if db.exists() else []) + backup_files(db)
    return [{"role": _role(db, p), **describe(p)} for p in files]


def _role(db: Path, path: Path) -> str:
    if path == db:
        return "published"
    if path == before_restore_path(db):
        return "before-restore"
    return "backup" if path.name.endswith(".bak") else f"backup {_generation(path)}"


def _check_restorable(source: Path) -> None:
    """A backup is restorable when DuckDB opens it and every public table answers."""
    try:
        verify(source)
    except duckdb.Error as exc:
        if is_damage(exc):
            raise StoreError(f"the backup {source} is damaged too ({str(exc).splitlines()[0][:120]}); "
                             "choose another one from 'python -m analysis restore --list' with --from") from exc
        raise StoreError(f"{source} is not a LabLens database: {str(exc).splitlines()[0][:160]}") from exc


def restore(db: Path, source: str | os.PathLike | None = None, actor: str | None = None) -> dict:
    """Publish a backup (``.bak`` by default) as the database, atomically; the current file is kept aside."""
    src = Path(source) if source else backup_path(db)
    if not src.exists():
        raise StoreError(f"no backup at {src}: nothing to restore (python -m analysis restore --list)")
    if db.exists() and src.resolve() == db.resolve():
        raise StoreError(f"{src} is the published database itself; choose a backup")
    with writer_lock(db):
        remove_stale_snapshots(db)
        _check_restorable(src)
        tmp = db.with_name(f".{db.name}.{os.getpid()}.tmp")
        kept = before_restore_path(db) if db.exists() else None
        try:
            shutil.copyfile(src, tmp)
            publish(tmp, db, keep=lambda current: link_replace(current, before_restore_path(current)))
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StoreError(f"cannot restore {src} over {db} ({exc.strerror or exc}); "
                             "the published database is unchanged") from exc
    restored = describe(db)
    entry = audit.record(db, "restore", actor, source=src.name, kept_as=kept.name if kept else None,
                         imports_active=restored.get("imports_active"), last_import=restored.get("last_import"),
                         observations=restored.get("observations"))
    return {"restored_from": str(src), "database": str(db), "previous_kept_as": str(kept) if kept else None,
            "imports_active": restored.get("imports_active"), "last_import": restored.get("last_import"),
            "observations": restored.get("observations"), "at": entry["at"]}


# --- right to erasure ---------------------------------------------------------------------------------

def _contains_bytes(path: Path, needle: bytes) -> bool:
    """True when ``needle`` occurs anywhere in the file (chunks overlap by the needle's length)."""
    tail = b""
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            if needle in tail + chunk:
                return True
            tail = chunk[-len(needle):]
    return False


def _student_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    """Every table of ``catalog`` with a student_key column (the four public ones and any future one)."""
    return [r[0] for r in con.execute(
        "SELECT DISTINCT table_name FROM duckdb_columns() WHERE database_name = ? AND column_name = 'student_key' "
        "ORDER BY 1", [catalog]).fetchall()]


@contextlib.contextmanager
def _attached(*specs: tuple[Path, str, bool]) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    run(con, "SET enable_progress_bar = false")
    try:
        for path, alias, read_only in specs:
            mode = " (READ_ONLY)" if read_only else ""
            run(con, f"ATTACH '{str(path).replace(chr(39), chr(39) * 2)}' AS {alias}{mode}")
        yield con
    finally:
        con.close()


def _erase_in_file(path: Path, student_key: str) -> dict[str, int]:
    """Rewrite ``path`` without ``student_key``'s rows and without their bytes; rows removed per table."""
    with _attached((path, "src", True)) as con:
        counts = {t: scalar(con, f"SELECT count(*) FROM src.{ident(t)} WHERE student_key = ?", [student_key])
                  for t in _student_tables(con, "src")}
    needle = student_key.encode("ascii")
    if not any(counts.values()) and not _contains_bytes(path, needle):
        return counts
    work = path.with_name(f".{path.name}.{os.getpid()}.erase.tmp")
    fresh = path.with_name(f".{path.name}.{os.getpid()}.fresh.tmp")
    for leftover in (work, fresh):
        leftover.unlink(missing_ok=True)
    try:
        with _attached((path, "src", True), (work, "work", False)) as con:
            run(con, "COPY FROM DATABASE src TO work")
            for table in counts:
                run(con, f"DELETE FROM work.{ident(table)} WHERE student_key = ?", [student_key])
            refresh_copy(con, "work")  # the per-school statistics must forget the student too
            run(con, "CHECKPOINT work")
        refresh_file(work, drop_on_failure=True)  # and the stored results
        # the deletions left the bytes in free blocks: copy only live rows into a fresh file
        with _attached((work, "work", True), (fresh, "fresh", False)) as con:
            run(con, "COPY FROM DATABASE work TO fresh")
            run(con, "CHECKPOINT fresh")
        if _contains_bytes(fresh, needle):
            raise StoreError(f"erasure check failed: the pseudonym is still in a rewritten copy of {path.name}; "
                             "nothing was replaced")
        publish(fresh, path)
    finally:
        for leftover in (work, fresh, work.with_name(work.name + ".wal"), fresh.with_name(fresh.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return counts


def forget_student(db: Path, student_id: str, actor: str | None = None) -> dict:
    """Erase one student (raw ID, pseudonymised with the key) from the database and every backup."""
    if not str(student_id).strip():
        raise StoreError("give the student ID as written in the source files")
    if not db.exists():
        raise StoreError(f"no database at {db}")
    key = load_key(create=False)
    stored = stored_fingerprint(db)
    if stored and stored != key_fingerprint(key):
        raise KeyError_(f"the key on this machine ({key_fingerprint(key)}) is not the key {db} was built with "
                        f"({stored}): restore the key backup first (python -m analysis key --restore FILE)")
    student_key = pseudonym(key, student_id)
    per_file: dict[str, dict[str, int]] = {}
    with writer_lock(db):
        remove_stale_snapshots(db)
        for path in [db, *backup_files(db)]:
            try:
                per_file[path.name] = _erase_in_file(path, student_key)
            except duckdb.Error as exc:
                if is_damage(exc):
                    raise StoreError(damaged_message(path, exc)) from exc
                raise
    totals: dict[str, int] = {}
    for counts in per_file.values():
        for table, n in counts.items():
            totals[table] = totals.get(table, 0) + n
    published = per_file.get(db.name, {})
    audit.record(db, "erase", actor, pseudonym_prefix=student_key[:8], rows_published=sum(published.values()),
                 rows_all_files=sum(totals.values()), files=len(per_file),
                 tables={t: n for t, n in totals.items() if n})
    return {"pseudonym_prefix": student_key[:8], "rows_published": published, "rows_all_files": totals,
            "files": list(per_file)}
