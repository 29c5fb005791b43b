"""The steps that make a snapshot ready to serve, and the snapshot writer that runs them.

Besides its rows, a published snapshot carries: the derived per-school tables and the materialised page
queries (:func:`refresh_copy`, on the attached private copy), the stored standard results
(:func:`refresh_file`, on the checkpointed copy), and the readers' checks (computed on the copy before
publication, kept beside the database after it). ``analysis.db.snapshot`` runs them without knowing them:
:func:`steps` hands them over. Every writer (imports, the demo, erasure, ``rebuild-derived``) goes
through here.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb

from analysis.db import snapshot
from analysis.precompute import checks, derived, fingerprints, standard_results


def refresh_copy(con: duckdb.DuckDBPyConnection, alias: str) -> list[str]:
    """Bring the derived tables and materialised page queries of the attached copy ``alias`` up to date."""
    return derived.refresh(con, alias)


def refresh_file(path: Path, drop_on_failure: bool = False) -> None:
    """Bring the stored standard results of the (detached) copy at ``path`` up to date; a failure is logged
    and costs the dashboard live computations (``drop_on_failure``: none may stay, see erasure)."""
    standard_results.refresh_file_quietly(path, drop_on_failure=drop_on_failure)


def steps() -> dict:
    """The publish steps, as the keyword arguments of :func:`analysis.db.snapshot.writable_snapshot`:
    the checks are computed on the copy before publication and written beside the published file after."""
    computed: list[dict | None] = []
    memo: dict = {}  # one scan of the observations for every step (they no longer change once the steps run)

    def in_pass(step):
        def run_step(*args, **kwargs):
            with fingerprints.one_pass(memo):
                return step(*args, **kwargs)
        return run_step

    return {"before_publish": (in_pass(refresh_copy),),
            "before_publish_file": (in_pass(refresh_file),
                                    in_pass(lambda path: computed.append(checks.compute_quietly(path)))),
            "after_publish": (lambda db: checks.write_quietly(db, computed[-1] if computed else None),)}


@contextlib.contextmanager
def writable_snapshot(path: str | os.PathLike | None = None, con: duckdb.DuckDBPyConnection | None = None,
                      alias: str = "target") -> Iterator[duckdb.DuckDBPyConnection]:
    """:func:`analysis.db.snapshot.writable_snapshot` with the publish steps: the snapshot is published with
    its derived tables, materialised queries, stored results and checks."""
    with snapshot.writable_snapshot(path, con, alias, **steps()) as work:
        yield work
