"""Atomic snapshot publishing: the writer lock, a private copy, verification, backup rotation, publication.

The published database is only ever opened read-only (``analysis.db.connect``). A writer (an import, a
rollback, the demo builder) works on a private copy, commits, checkpoints, verifies it, and publishes it
with an atomic ``os.replace``; the file it replaces stays as ``<name>.bak`` (DESIGN.md, "Storage and
concurrency"). Readers keep the old file open until they reopen; a crash at any point leaves the last
published file untouched.

This module does not know what a snapshot must carry besides its rows: the writer's layer passes the
steps to run before and after publication (``analysis.precompute.publish`` passes the derived tables,
the stored results and the checks).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import duckdb

from analysis.db.connect import StoreError, apply_limits, damaged_message, default_db_path, is_damage, sql_path
from analysis.db.schema import create_schema

# A step on the private copy while it is attached to the writer's connection (connection, alias).
CopyStep = Callable[[duckdb.DuckDBPyConnection, str], object]
# A step on a file: the checkpointed private copy (before publication) or the published database (after).
FileStep = Callable[[Path], object]

# Backup generations kept beside the database: `.bak` (the previous snapshot), `.bak.2`, `.bak.3`.
# Disk use is bounded: at most BACKUP_GENERATIONS + 1 copies of the database (hard links while equal).
BACKUP_GENERATIONS = max(1, int(os.environ.get("LABLENS_BACKUPS") or 3))


def _lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


def backup_path(db: Path, generation: int = 1) -> Path:
    """Where a previous snapshot is kept: generation 1 is `.bak` (the last one), then `.bak.2`, `.bak.3`."""
    return db.with_name(db.name + ".bak" + ("" if generation == 1 else f".{generation}"))


def link_replace(source: Path, target: Path) -> None:
    """Make ``target`` a hard link of ``source``, atomically (``target`` always exists, old or new)."""
    if target.exists() and os.path.samefile(source, target):
        return  # rename(2) between two links of one file does nothing and would leave the staging link
    staging = target.with_name(target.name + ".tmp")
    staging.unlink(missing_ok=True)
    os.link(source, staging)
    os.replace(staging, target)


def rotate_backups(db: Path) -> None:
    """Shift `.bak` -> `.bak.2` -> ... (dropping the oldest) and keep the published file as `.bak`.

    Hard links replaced atomically, never renames: a crash midway leaves two equal generations,
    never a missing `.bak`."""
    for generation in range(BACKUP_GENERATIONS, 1, -1):
        older = backup_path(db, generation - 1)
        if older.exists():
            link_replace(older, backup_path(db, generation))
    link_replace(db, backup_path(db))


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


def verify(path: Path) -> None:
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


def publish(draft: Path, target: Path, keep: FileStep | None = None) -> None:
    """Verify the finished file ``draft`` and put it in place of ``target`` atomically.

    ``keep`` is given the file about to be replaced first (a new snapshot keeps it with
    :func:`rotate_backups`, a restore as ``.before-restore``); the folder is synced after the rename.
    Every writer publishes through here: snapshots, restores and erasure."""
    verify(draft)
    if keep is not None and target.exists():
        keep(target)
    os.replace(draft, target)
    _fsync_dir(target.parent)


@contextlib.contextmanager
def writable_snapshot(path: str | os.PathLike | None = None,
                      con: duckdb.DuckDBPyConnection | None = None,
                      alias: str = "target", *,
                      before_publish: Sequence[CopyStep] = (),
                      before_publish_file: Sequence[FileStep] = (),
                      after_publish: Sequence[FileStep] = ()) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a connection on which ``alias`` is a private, writable copy of the published database.

    On normal exit the ``before_publish`` steps run on the attached copy (``step(con, alias)``), the copy
    is checkpointed and detached, the ``before_publish_file`` steps run on its file, and it is verified
    and published by atomic rename (the old file kept as ``.bak``); then the ``after_publish`` steps get
    the published path (they must not raise: the publication can no longer be undone). On any exception
    before that the copy is deleted and the published file is untouched. ``con`` lets the caller bring an
    in-memory connection that holds staged data; otherwise a fresh in-memory connection is used.
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
            apply_limits(work, db)
        attached = False
        try:
            work.execute(f"ATTACH '{sql_path(tmp)}' AS {alias}")
            attached = True
            create_schema(work, alias)
            work.execute("USE memory")
            yield work
            for step in before_publish:
                step(work, alias)
            work.execute(f"CHECKPOINT {alias}")
            work.execute(f"DETACH {alias}")
            attached = False
            for file_step in before_publish_file:
                file_step(tmp)
            publish(tmp, db, keep=rotate_backups)
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
            for published_step in after_publish:
                published_step(db)
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
