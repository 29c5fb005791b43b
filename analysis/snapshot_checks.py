"""The checks a dashboard runs on a snapshot before trusting its derived tables, done once at publication.

Before reading the stored page queries (``analysis.derived.current``) and the stored standard results
(``analysis.standard_results.signatures``) a dashboard process fingerprints the snapshot's rows: two
scans of every observation, 0.5-0.8 s at 10 million rows on the first view of every process (issue #6).
Their outcome depends only on the file's content and on the code, so the writer computes it right before
publishing and keeps it beside the database (``<db>.checks.json``) with the identity of the file it
describes: inode and modification time (the snapshot signature every dashboard cache is keyed by), size,
``DERIVED_VERSION`` and the code fingerprint. A reader uses it only when all of these still match, so
a file edited outside LabLens (new modification time), another snapshot, or a new LabLens version gets
the checks computed from the rows, as before.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import duckdb

from analysis import derived, standard_results

SUFFIX = ".checks.json"
log = logging.getLogger("lablens.analysis")


def sidecar(db: str | os.PathLike) -> Path:
    """Where the checks of the database at ``db`` are kept: ``<db>.checks.json``."""
    path = Path(db)
    return path.with_name(path.name + SUFFIX)


def compute(con: duckdb.DuckDBPyConnection) -> dict:
    """The checks' outcome on ``con``'s current catalog: derived tables current, stored results' signatures."""
    return {"derived_current": derived.current(con),
            "signatures": standard_results.signatures(con, standard_results.stored_indicators(con))}


def _identity(path: Path) -> dict:
    stat = path.stat()
    return {"inode": stat.st_ino, "mtime_ns": stat.st_mtime_ns, "size": stat.st_size,
            "derived_version": derived.DERIVED_VERSION, "code": standard_results.code_fingerprint()}


def write(db: str | os.PathLike, checks: dict) -> None:
    """Keep ``checks`` (from :func:`compute` on the file now published at ``db``) beside it."""
    target = sidecar(db)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({**_identity(Path(db)), **checks}))
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
    """The checks kept for the snapshot ``signature`` (inode, mtime_ns) if it is still the file at ``db``;
    None when they describe another file or version of it, another LabLens version, or there are none."""
    try:
        kept = json.loads(sidecar(db).read_text())
        identity = _identity(Path(db))
    except (OSError, ValueError):
        return None
    if (not isinstance(kept, dict) or signature is None
            or tuple(signature) != (kept.get("inode"), kept.get("mtime_ns"))
            or any(kept.get(k) != v for k, v in identity.items())):
        return None
    current, signatures = kept.get("derived_current"), kept.get("signatures")
    if not isinstance(current, bool) or not isinstance(signatures, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in signatures.items()):
        return None  # the right file, a damaged body
    return {"derived_current": current, "signatures": signatures}
