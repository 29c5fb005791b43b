"""Importer tests: where the real data lives, a private key file, and the `slow` marker.

`require_real_data` skips a test with a clear reason when ../shared/data/real is absent (a user's
clone), but turns the skip into a failure when LABLENS_REQUIRE_REAL_DATA=1 (CI). The lead may move it
to tests/conftest.py.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REAL_DATA = ROOT / ".." / "shared" / "data" / "real"
REQUIRE_ENV = "LABLENS_REQUIRE_REAL_DATA"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def require_real_data(*parts: str) -> Path:
    """The real-data file or folder `parts` (relative to shared/data/real), or skip; fail when required."""
    path = REAL_DATA.joinpath(*parts).resolve()
    if not path.exists():
        reason = (f"real data not found at {path} (expected ../shared/data/real beside the repository; "
                  "see shared/data/real/README.md)")
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{reason}; {REQUIRE_ENV}=1 makes a missing real-data file a failure", pytrace=False)
        pytest.skip(reason)
    return path


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: a slow test (several seconds) that still runs by default; deselect with -m 'not slow'")


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The real-data folder, or skip (fail with LABLENS_REQUIRE_REAL_DATA=1)."""
    return require_real_data()


@pytest.fixture(autouse=True)
def _importer_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every importer test pseudonymises with a key in its own tmp folder, never the user's home."""
    key = tmp_path / "lablens-test-key.bin"
    monkeypatch.setenv("LABLENS_KEY_FILE", str(key))
    monkeypatch.delenv("LABLENS_DB", raising=False)
    return key
