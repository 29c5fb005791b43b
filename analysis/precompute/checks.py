"""The checks a dashboard runs on a snapshot before trusting its derived tables, done once at publication.

Before reading the stored page queries (``analysis.precompute.materialised.current``) and the stored
standard results (``analysis.precompute.fingerprints.signatures``) a dashboard process fingerprints the
snapshot's rows: two scans of every observation, 0.5-0.8 s at 10 million rows on the first view of every
process (issue #6). Their outcome depends only on the file's content and on the code, so the writer
computes it right before publishing and keeps it beside the database (``<db>.checks.json``) with the
identity of the file it describes: inode and modification time (the snapshot signature every dashboard
cache is keyed by), size, ``DERIVED_VERSION`` and the code fingerprint. A reader uses it only when all of
these still match (``analysis.precompute.serving.kept_checks``), so a file edited outside LabLens (new
modification time), another snapshot, or a new LabLens version gets the checks computed from the rows.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import duckdb

from analysis.db.sufficient import DERIVED_VERSION
from analysis.precompute import materialised, standard_results
from analysis.precompute.fingerprints import code_fingerprint, signatures
from analysis.precompute.serving import kept_checks

SUFFIX = ".checks.json"
log = logging.getLogger("lablens.analysis")


def sidecar(db: str | os.PathLike) -> Path:
    """Where the checks of the database at ``db`` are kept: ``<db>.checks.json``."""
    path = Path(db)
    return path.with_name(path.name + SUFFIX)


def compute(con: duckdb.DuckDBPyConnection) -> dict:
    """The checks' outcome on ``con``'s current catalog: derived tables current, stored results' signatures."""
    return {"derived_current": materialised.current(con),
            "signatures": signatures(con, standard_results.stored_indicators(con))}


def identity(path: Path) -> dict:
    """What the checks of the file at ``path`` must name to be used: inode, mtime, size, versions."""
    stat = path.stat()
    return {"inode": stat.st_ino, "mtime_ns": stat.st_mtime_ns, "size": stat.st_size,
            "derived_version": DERIVED_VERSION, "code": code_fingerprint()}


def write(db: str | os.PathLike, checks: dict) -> None:
    """Keep ``checks`` (from :func:`compute` on the file now published at ``db``) beside it."""
    target = sidecar(db)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({**identity(Path(db)), **checks}))
    os.replace(tmp, target)


def write_quietly(db: str | os.PathLike, checks: dict | None) -> None:
    """:func:`write`, but a failure (a folder that refuses the file, no checks computed) only costs the
    readers the scans: a file left from an earlier snapshot names another file and is ignored."""
    if checks is None:
        return
    try:
        write(db, checks)
    except Exception:
        log.exception("keeping the snapshot checks beside %s failed; dashboards will compute them", db)


def compute_quietly(path: str | os.PathLike) -> dict | None:
    """:func:`compute` on the finished snapshot file at ``path``, or None if anything fails (logged)."""
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            return compute(con)
    except Exception:
        log.exception("computing the snapshot checks of %s failed; dashboards will compute them", path)
        return None


def read(db: str | os.PathLike, signature: tuple[int, int] | None) -> dict | None:
    """The checks kept for the snapshot ``signature`` (inode, mtime_ns) if they still describe the file at
    ``db`` (:func:`analysis.precompute.serving.kept_checks`); None otherwise or when there are none."""
    try:
        kept = json.loads(sidecar(db).read_text())
        now = identity(Path(db))
    except (OSError, ValueError):
        return None
    return kept_checks(kept, signature, now)
