"""Shared fixtures of the demo generator's tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """Never touch data/lablens.duckdb or the user's key file."""
    monkeypatch.setenv("LABLENS_DB", str(tmp_path / "env_default.duckdb"))
    monkeypatch.setenv("LABLENS_KEY_FILE", str(tmp_path / "no_key_here.bin"))
