"""Reliability tests: each test pseudonymises with its own key and never reads $LABLENS_DB."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private key path per test (the file is created by the first student import)."""
    path = tmp_path / "keys" / "student_key.bin"
    monkeypatch.setenv("LABLENS_KEY_FILE", str(path))
    monkeypatch.delenv("LABLENS_DB", raising=False)
    return path
