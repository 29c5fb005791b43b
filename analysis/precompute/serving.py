"""When a reader may serve what a writer precomputed, instead of computing it from the rows.

Pure rules: the caller (``ui.loaders``, ``standard_results.lookup``) reads the inputs (the writer's
checks, the current signatures, a stored row) and these functions decide. What is trusted, and why:

- the writer's checks (``analysis.precompute.checks``) only when they name this very file (inode and
  modification time: the snapshot signature), its size, this ``DERIVED_VERSION`` and this code, and their
  body is well formed; otherwise the reader computes the checks from the rows;
- a materialised page query's table only when the derived tables are current (their fingerprints match);
- the per-school derived tables for a page's unit means and histogram only for an indicator with waves and
  student rows only, when they are current;
- a stored compare() result only when it was stored under the current signature of its indicator (rows,
  roster, catalogue and code) and its body can be read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from analysis.precompute.codec import Stored, decode
from analysis.precompute.materialised import MATERIALISED

log = logging.getLogger("lablens.analysis")


def kept_checks(kept: object, signature: tuple[int, int] | None, identity: dict) -> dict | None:
    """The writer's checks ``kept`` (the body of ``<db>.checks.json``) when they describe the file a reader
    serves: pinned ``signature`` (inode, mtime_ns) and its current ``identity`` (``checks.identity``) all
    match; None for another file or version of it, another LabLens version, or a damaged body."""
    if (not isinstance(kept, dict) or signature is None
            or tuple(signature) != (kept.get("inode"), kept.get("mtime_ns"))
            or any(kept.get(k) != v for k, v in identity.items())):
        return None
    current, signatures = kept.get("derived_current"), kept.get("signatures")
    if not isinstance(current, bool) or not isinstance(signatures, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in signatures.items()):
        return None  # the right file, a damaged body
    return {"derived_current": current, "signatures": signatures}


def derived_current(kept: dict | None, compute: Callable[[], bool]) -> bool:
    """Whether the snapshot's derived tables describe its rows: the writer's verdict when its checks
    (:func:`kept_checks`) describe this file, else ``compute()`` (the scans)."""
    return kept["derived_current"] if kept is not None else compute()


def stored_signatures(kept: dict | None, compute: Callable[[], dict[str, str]]) -> dict[str, str]:
    """Per indicator with stored results, the signature of its current data: the writer's when its checks
    describe this file, else ``compute()``."""
    return kept["signatures"] if kept is not None else compute()


def served_statement(statement: str, derived_current: Callable[[], bool]) -> str:
    """The SQL a reader runs for a page query: the read of its stored table when the statement is
    materialised and the derived tables are current (asked only then), else the statement itself."""
    if statement in MATERIALISED and derived_current():
        return MATERIALISED[statement][2]
    return statement


def per_school_tables_serve(info: dict, derived_current: Callable[[], bool]) -> bool:
    """True when the per-school derived tables may answer a page's unit means or histogram for the indicator
    described by ``info`` (``queries.INDICATORS_PRESENT_SQL``): it has waves, only student rows (the tables
    hold student rows only), and the derived tables are current."""
    return (bool(info.get("uses_waves")) and info.get("student_observations") == info.get("observations")
            and derived_current())


def stored_result(found: tuple | None, signature: str | None) -> Stored | None:
    """The stored result to serve from ``found`` (signature, frame bytes, meta, error: a ``derived_results``
    row) when it was stored under ``signature``, the current one of its indicator; None when there is none,
    it was computed from other data or code, or its body cannot be read (logged): then it is computed."""
    if found is None or signature is None or found[0] != signature:
        return None
    _, payload, meta, error = found
    if payload is None:
        return Stored(None, error)
    try:
        return Stored(decode(payload, meta), error)
    except Exception:
        log.exception("a stored result could not be read; computing it live")
        return None
