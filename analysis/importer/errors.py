"""What every import step shares: its errors and the file fingerprint that detects re-imports.

The data pipeline and the boundary import both raise these, so neither needs to import the other.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd


class ImportFailed(RuntimeError):
    """An import that could not be done; the message is one line, the database is unchanged. ``rejects``
    holds the rejected cells (row, column, value, reason) when the failure is that every row was rejected."""

    def __init__(self, message: str, rejects=None):
        super().__init__(message)
        self.rejects = rejects


class ImportConflict(ImportFailed):
    """Values differ from data already loaded; nothing was written."""

    def __init__(self, message: str, conflicts: pd.DataFrame):
        super().__init__(message)
        self.conflicts = conflicts


class AlreadyImported(Exception):
    """This exact file (same sha256) is an active import; raised inside a snapshot to leave it unpublished."""

    def __init__(self, import_id: int):
        super().__init__(import_id)
        self.import_id = import_id


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in 1 MB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
