"""Shared test helpers: where the real data lives, and skips that CI turns into failures."""

from __future__ import annotations

import fcntl
import functools
import json
import os
import shutil
from pathlib import Path

import pytest

# One OpenBLAS thread in every test process and the servers and commands they start (set before numpy loads):
# the suite runs three workers on two cores and its fits are small (N x 4), so a second BLAS thread only
# spins; 7-15 % less CPU in the compare-heavy files (bench/RESULTS.md, "Test suite", session 8). The
# stored-results step sets the same for itself (analysis/precompute/standard_results.py, one_blas_thread).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = (ROOT.parent / "shared" / "data" / "real").resolve()
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"]


# one indicator of each shape: linked student scores, a student index, a student yes/no, two yearly rates
EVERY_SHAPE = ("score_math", "motivation_index", "enrolled_next_year", "dropout_rate", "promotion_rate")


def keep_with_stored_results(path: Path, indicators: tuple[str, ...]) -> None:
    """Write a snapshot of ``path`` holding only ``indicators``, each with its stored standard results
    (analysis.precompute.standard_results; the row threshold lowered to 0 for this write): fewer indicators make a
    quicker refresh."""
    from analysis.precompute.publish import writable_snapshot

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LABLENS_STORE_MIN_ROWS", "0")
        with writable_snapshot(path) as con:
            con.execute(f"DELETE FROM target.observations WHERE indicator NOT IN {tuple(indicators)}")


def demo_copy(tmp_path_factory: pytest.TempPathFactory, students: int, seed: int, name: str = "demo",
              filename: str = "lablens.duckdb") -> Path:
    """A private copy of the demo database ``build_demo(students=..., seed=...)``, built once per test run: the
    first worker to ask builds it (under a file lock) in the run's shared temporary folder, every caller gets
    its own copy (a test may write to it). The copy's checks file (``<db>.checks.json``, which names the file's
    inode and mtime) is re-stamped for the copy: the checks depend on the content only, which is the same."""
    from analysis.demo import build_demo
    from analysis.precompute import checks

    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "demo-builds"
    shared.mkdir(exist_ok=True)
    built = shared / f"demo-{students}-{seed}.duckdb"
    with open(shared / f"{built.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not built.exists():
            work = shared / f"building-{built.stem}-{os.getpid()}"
            work.mkdir()
            build_demo(work / built.name, students=students, seed=seed)
            os.replace(checks.sidecar(work / built.name), checks.sidecar(built))
            os.replace(work / built.name, built)  # last: its presence means the build finished
            shutil.rmtree(work)
        kept = json.loads(checks.sidecar(built).read_text())
    path = tmp_path_factory.mktemp(name) / filename
    shutil.copyfile(built, path)
    checks.write(path, {k: v for k, v in kept.items() if k not in checks.identity(built)})
    return path


def _skip_or_fail(reason: str, env: str) -> None:
    if os.environ.get(env) == "1":
        pytest.fail(f"{reason} ({env}=1 makes this a failure)")
    pytest.skip(reason)


def require_real_data() -> Path:
    """The folder of real public files, or skip (fail in CI) when it is absent."""
    if not REAL_DATA.is_dir():
        _skip_or_fail(f"real data not found at {REAL_DATA}", "LABLENS_REQUIRE_REAL_DATA")
    return REAL_DATA


def require_chromium() -> Path:
    """Debian's Chromium, or skip (fail in CI) when it is absent."""
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        _skip_or_fail("Chromium is not installed (apt-get install chromium)", "LABLENS_REQUIRE_BROWSER")
    return CHROMIUM


@pytest.fixture(autouse=True)
def _private_key_file(tmp_path_factory, monkeypatch):
    """Tests never touch the user's pseudonymisation key."""
    if "LABLENS_KEY_FILE" not in os.environ or not os.environ["LABLENS_KEY_FILE"].startswith(
            str(tmp_path_factory.getbasetemp())):
        monkeypatch.setenv("LABLENS_KEY_FILE", str(tmp_path_factory.getbasetemp() / "student_key.bin"))


@pytest.fixture(scope="session", autouse=True)
def _one_component_scan():
    """Every new AppTest has Streamlit scan the metadata of every installed package for components (0.3-0.6 s
    each, a few hundred AppTests in the suite); the installed packages do not change during a run: scan once."""
    from streamlit.components.v2 import manifest_scanner

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(manifest_scanner, "scan_component_manifests",
                   functools.cache(manifest_scanner.scan_component_manifests))
        yield


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session: Playwright's sync API allows one driver per process,
    so every browser test (pages, exports, reliability) shares this one."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def shown(markdown: str) -> str:
    """The text a reader sees of a Markdown source: CommonMark backslash escapes removed (ui.format.md
    escapes every text from the data)."""
    import re

    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def pytest_xdist_auto_num_workers(config) -> int:
    """``-n auto``: one worker more than the cores. A third of the suite waits on a browser or a dashboard
    server it started, so a spare worker keeps both cores busy (2 cores: 4 min 49 s with 2 workers,
    4 min 18 s with 3, bench/RESULTS.md)."""
    return (os.cpu_count() or 1) + 1


# `--dist loadfile --no-loadscope-reorder` (pytest.ini): each file's tests run on one worker, so a module-scoped
# fixture is built once (with `load`, once on every worker that got one of its tests: the real-data import, 30 s,
# twice), and the files go out in collection order. The slowest files are moved to the front so that none of them
# starts last: the every-page browser test (the longest in the last whole-suite profile), then by the CPU seconds
# each file took on its own (`-n 0`, bench/RESULTS.md "Test suite", session 7).
SLOW_FILES = (
    "tests/browser/test_words_browser.py", "tests/importer/test_importer_real_data.py",
    "tests/reliability/test_faults.py", "tests/browser/test_pages_browser.py", "tests/evidence/test_pack.py",
    "tests/app/test_pages.py", "tests/browser/test_pilot_browser.py", "tests/browser/test_hostile_text_browser.py",
    "tests/reliability/test_backups_keys_erasure.py", "tests/precompute/test_standard_results.py",
    "tests/browser/test_concurrent_sessions_browser.py", "tests/browser/test_upload_browser.py",
    "tests/reliability/test_url_state.py", "tests/app/test_data_upload.py", "tests/app/test_pilot_page.py",
)


def pytest_collection_modifyitems(config, items) -> None:
    """The slowest files first (:data:`SLOW_FILES`), every file's tests in their order; only under pytest-xdist."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    rank = {name: i for i, name in enumerate(SLOW_FILES)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(SLOW_FILES)))
