"""A real `streamlit run` on a free port, driven by Debian's headless Chromium through Playwright."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM_ARGS, ROOT, require_chromium  # noqa: F401 - CHROMIUM_ARGS re-exported

ARTIFACTS = ROOT / "tests" / "artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def browser_db(tmp_path_factory) -> Path:
    from tests.conftest import demo_copy

    return demo_copy(tmp_path_factory, 4000, 11, "browserdb")


@contextlib.contextmanager
def serve(db: Path, workdir: Path) -> Iterator[str]:
    """`streamlit run dashboard.py` on a free loopback port against ``db``; yields its base URL."""
    require_chromium()
    port = _free_port()
    env = {**os.environ, "LABLENS_DB": str(db), "LABLENS_KEY_FILE": str(workdir / "browser_key.bin")}
    log = open(workdir / f"streamlit-{port}.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless=true",
         f"--server.port={port}", "--server.address=127.0.0.1", "--server.fileWatcherType=none",
         "--browser.gatherUsageStats=false"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("streamlit did not become healthy in 60 s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def app_url(browser_db, tmp_path_factory):
    """The dashboard on the shared (read-only in these tests) browser database."""
    with serve(browser_db, tmp_path_factory.getbasetemp()) as url:
        yield url


def wait_for_app(page) -> None:
    """Connected, first script run finished (docs/STACK_NOTES.md, "Browser tests")."""
    page.wait_for_selector("[data-testid=stApp][data-test-connection-state=CONNECTED]", timeout=60_000)
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=60_000)


def main_text_when(page, *texts: str, timeout: int = 30_000) -> str:
    """The page's main text once it holds every one of ``texts`` (a page draws its elements one by one, so
    a text read right after another element appeared may not be there yet); times out, failing, otherwise."""
    page.wait_for_function(
        "texts => { const m = document.querySelector('[data-testid=stMain]');"
        " return m !== null && texts.every(t => m.innerText.includes(t)); }", arg=list(texts), timeout=timeout)
    return page.inner_text("[data-testid=stMain]")
