"""Field-form tests: a fixed pseudonymisation key (the parser takes the key; no key file is touched)."""

from __future__ import annotations

import pytest

KEY = bytes(range(32))


@pytest.fixture
def key() -> bytes:
    return KEY


@pytest.fixture(autouse=True)
def _private_key_file(tmp_path, monkeypatch):
    """Nothing here may create or read the user's key file."""
    monkeypatch.setenv("LABLENS_KEY_FILE", str(tmp_path / "no-such-key.bin"))
