"""The audit log: who imported, rolled back, erased, exported or logged in, and when.

One JSON object per line in ``<database>.audit.jsonl`` beside the published database, appended under
an exclusive lock and fsynced. It lives outside the DuckDB file on purpose: a rollback or a restore
replaces the database snapshot, and must not erase the record that it happened; reading a page must
never need a writable database. Entries never carry a student identifier (an erasure records only
the pseudonym's first 8 hex characters and the row counts).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import getpass
import json
import os
from pathlib import Path

ACTIONS = ("import", "register", "rollback", "restore", "erase", "export", "login", "logout", "denied", "unlock")


def audit_path(db_path: str | os.PathLike) -> Path:
    db = Path(db_path)
    return db.with_name(db.name + ".audit.jsonl")


def _default_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def record(db_path: str | os.PathLike, action: str, actor: str | None = None, **details: object) -> dict:
    """Append one entry; returns it. ``actor`` defaults to the operating-system user of the CLI."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = {"at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "action": action,
             "actor": actor or _default_actor(), **details}
    line = json.dumps(entry, ensure_ascii=False, default=str, separators=(",", ":")) + "\n"
    path = audit_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return entry


def entries(db_path: str | os.PathLike, limit: int | None = None) -> list[dict]:
    """The log, oldest first (the last ``limit`` entries); a damaged line is reported, not skipped."""
    path = audit_path(db_path)
    if not path.exists():
        return []
    out = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"action": "damaged", "line": number})
    return out[-limit:] if limit else out
