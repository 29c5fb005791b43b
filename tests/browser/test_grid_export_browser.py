"""The table toolbar's own CSV (Streamlit's grid, not a LabLens button): in an open install the file it
writes holds formula-like names with an apostrophe (ui/tables.py); in public mode the toolbar offers no
download at all (ui/server_guard.py). Played in Chromium on a one-table app, so the server starts in a
second or two."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.browser.conftest import _free_port, wait_for_app
from tests.conftest import ROOT

HOSTILE = '=HYPERLINK("http://evil.example/x","clic")'
APP = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
import pandas as pd
import streamlit as st
from ui import server_guard
from ui.tables import table

server_guard.install(st.query_params.get("public") == "1")
table(pd.DataFrame({{"school": [{HOSTILE!r}, "+0,16 DE [+0,12 a +0,20]", "ok"], "n": [1, 2, 3]}}))
"""


def _grid(context, url: str):
    page = context.new_page()
    page.goto(url)
    wait_for_app(page)
    page.wait_for_selector("[data-testid=stDataFrame]", timeout=60_000)
    page.locator("[data-testid=stDataFrame]").hover()
    page.locator("[data-testid=stElementToolbar]").first.wait_for(timeout=20_000)
    return page


def test_the_grid_csv_is_safe_in_an_open_install_and_absent_in_public_mode(browser, tmp_path):
    (tmp_path / "app.py").write_text(APP, encoding="utf-8")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true", f"--server.port={port}",
         "--server.address=127.0.0.1", "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        context = browser.new_context(accept_downloads=True)
        # Chromium's save dialog cannot be driven headless: the grid then falls back to a plain download
        context.add_init_script("delete window.showSaveFilePicker;")
        try:
            page = _grid(context, url + "/?public=0")
            with page.expect_download(timeout=30_000) as download:
                page.get_by_role("button", name="Download as CSV").click()
            written = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
            assert written == ["school,n", '"\'=HYPERLINK(""http://evil.example/x"",""clic"")",1',
                               '"+0,16 DE [+0,12 a +0,20]",2', "ok,3"]
            buttons = page.locator("[data-testid=stElementToolbarButton]").count()
            page.close()
            _grid(context, url + "/?public=1").close()  # this process now serves in public mode
            page = _grid(context, url + "/?public=1")
            assert page.get_by_role("button", name="Download as CSV").count() == 0
            # the toolbar itself is there (search, full screen), one button fewer
            assert page.locator("[data-testid=stElementToolbarButton]").count() == buttons - 1
        finally:
            context.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
