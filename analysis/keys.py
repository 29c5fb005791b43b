"""The pseudonymisation key over time: back it up, restore it, and refuse to replace a lost one silently.

Student IDs become HMAC pseudonyms with a key kept outside the database (analysis/privacy.py). If the
key is lost and a new one is made, new imports produce different pseudonyms and students stop linking
across waves without any error. The database stores the key's fingerprint (meta 'key_fingerprint'),
so a missing key file is detected before a new key is generated, and the message names the fix.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from analysis.db.connect import open_db
from analysis.db.sql import scalar
from analysis.privacy import KEY_BYTES, KeyError_, key_fingerprint, key_path, load_key

RESTORE_KEY_HINT = "python -m analysis key --restore BACKUP_FILE"


def stored_fingerprint(db_path: str | os.PathLike | None) -> str | None:
    """The key fingerprint recorded in the database, or None (no database, or no student imported yet)."""
    if db_path is None or not Path(db_path).exists():
        return None
    con = open_db(db_path)
    try:
        return scalar(con, "SELECT value FROM meta WHERE key = 'key_fingerprint'")
    finally:
        con.close()


def key_for_import(db_path: str | os.PathLike | None) -> bytes:
    """The key to pseudonymise a student file bound for ``db_path``.

    A new key is created only when the database has never seen one; a missing key file for a database
    that holds pseudonyms is refused with the fix, because a fresh key would silently break linking.
    """
    path = key_path()
    if not path.exists():
        stored = stored_fingerprint(db_path)
        if stored:
            raise KeyError_(f"the pseudonymisation key file {path} is missing, but {db_path} holds students "
                            f"pseudonymised with key {stored}: restore the key backup with '{RESTORE_KEY_HINT}' "
                            "(a new key would silently stop students linking across waves)")
    return load_key(create=True)


def _read_key_file(path: Path) -> bytes:
    try:
        key = path.read_bytes()
    except OSError as exc:
        raise KeyError_(f"cannot read the key backup {path}: {exc.strerror or exc}") from exc
    if len(key) != KEY_BYTES:
        raise KeyError_(f"{path} is not a LabLens key ({len(key)} bytes, expected {KEY_BYTES})")
    return key


def _write_private(path: Path, key: bytes) -> None:
    """Write ``key`` to ``path`` (mode 0600) atomically: a reader never sees half a key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def backup_key(destination: str | os.PathLike) -> dict:
    """Copy the current key to ``destination`` (never overwriting a file); returns its fingerprint."""
    dest = Path(destination)
    key = load_key(create=False)
    if dest.exists():
        raise KeyError_(f"{dest} already exists; choose a new file name for the key backup")
    _write_private(dest, key)
    return {"backup": str(dest), "fingerprint": key_fingerprint(key), "key_file": str(key_path())}


def restore_key(source: str | os.PathLike, db_path: str | os.PathLike | None = None, force: bool = False) -> dict:
    """Install a key backup as the key file, after checking it is the key the database was built with.

    A different key already in place is refused unless ``force``; it is then kept beside the key file
    (``.replaced-<time>``) rather than destroyed.
    """
    key = _read_key_file(Path(source))
    fingerprint = key_fingerprint(key)
    stored = stored_fingerprint(db_path)
    if stored and stored != fingerprint:
        raise KeyError_(f"{source} is key {fingerprint}, but {db_path} was built with key {stored}: "
                        "find the backup with that fingerprint")
    target = key_path()
    kept_aside = None
    if target.exists():
        current = target.read_bytes()
        if current == key:
            return {"key_file": str(target), "fingerprint": fingerprint, "changed": False, "kept_aside": None}
        if not force:
            raise KeyError_(f"a different key is already at {target} (fingerprint "
                            f"{key_fingerprint(current) if len(current) == KEY_BYTES else 'damaged'}); "
                            "add --force to replace it (it is kept aside, not deleted)")
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        kept_aside = target.with_name(f"{target.name}.replaced-{stamp}")
        os.replace(target, kept_aside)
    _write_private(target, key)
    return {"key_file": str(target), "fingerprint": fingerprint, "changed": True,
            "kept_aside": str(kept_aside) if kept_aside else None}


def fingerprint_report(db_path: str | os.PathLike | None) -> dict:
    """The key file's fingerprint, the database's, and whether they match (nothing is created)."""
    path = key_path()
    mine = key_fingerprint(load_key(create=False)) if path.exists() else None
    stored = stored_fingerprint(db_path)
    return {"key_file": str(path), "key_fingerprint": mine, "database": str(db_path) if db_path else None,
            "database_fingerprint": stored, "match": None if not (mine and stored) else mine == stored}
