"""Every download is audited, from every button; the grid's own export is safe or switched off.

A download is built on click in a thread that has no Streamlit session (the deferred download): who
clicked, their role and threshold must be read while the page is drawn (ui/export.py).
"""

from __future__ import annotations

import ast
import threading

import pandas as pd
import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from analysis.audit import entries
from analysis.privacy import hash_password
from tests.app.test_tables import _display_values
from tests.conftest import ROOT
from ui.tables import formula_like, spreadsheet_safe

HOSTILE = '=HYPERLINK("http://evil.example/x","clic")'


def _in_a_bare_thread(build):
    """Run ``build`` the way Streamlit runs a deferred download: another thread, no script context."""
    out = {}
    worker = threading.Thread(target=lambda: out.setdefault("data", build()))
    worker.start()
    worker.join(60)
    return out["data"]


def test_every_download_button_is_the_audited_one():
    """No page or view calls st.download_button except through ui.export.audited_download_button."""
    files = [*(ROOT / "ui").rglob("*.py"), *(ROOT / "pages").rglob("*.py"), ROOT / "dashboard.py"]
    calls = [f"{p.relative_to(ROOT)}:{node.lineno}" for p in files
             for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
             and node.func.attr == "download_button"]
    assert [c.split(":")[0] for c in calls] == ["ui/export.py"], calls


def test_evidence_downloads_record_the_signed_in_researcher_and_threshold(copy_db, downloads, monkeypatch):
    """Public deployment, a researcher who lowered suppression to 5: the CSV built outside the session is
    recorded with their identity, role and threshold (it used to read an empty session: public, 10)."""
    monkeypatch.setenv("LABLENS_ACCESS", "public")
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.secrets["lablens"] = {"access": "public", "min_cell_floor": 5, "researcher_password": hash_password("x")}
    at.session_state["_lablens_role"] = "researcher"
    at.session_state["_lablens_actor"] = "password:researcher"
    at.session_state["_lablens_min_cell"] = 5
    at.query_params.update({"lang": "en", "indicadores": "dropout_rate", "diseno": "did"})
    at.run()
    at.switch_page("pages/evidencia.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert {"lablens_did.csv", "lablens_did.xlsx", "lablens_did_evidence_pack.zip"} <= set(downloads)
    before = len(entries(copy_db))
    data = _in_a_bare_thread(downloads["lablens_did.csv"])
    assert data.decode("utf-8-sig").startswith("indicator,")
    monkeypatch.setattr("ui.evidence_view.download_table", lambda *a: pytest.fail("rebuilt on a repeated request"))
    assert downloads["lablens_did.csv"]() == data  # a repeated request is served, not rebuilt, and audited
    new = entries(copy_db)[before:]
    assert len(new) == 2 and new[0] == {**new[1], "at": new[0]["at"]}
    assert {k: new[0].get(k) for k in ("action", "actor", "role", "min_cell", "what", "format", "indicators",
                                       "design", "file")} == {
        "action": "export", "actor": "password:researcher", "role": "researcher", "min_cell": 5,
        "what": "evidence", "format": "csv", "indicators": ["dropout_rate"], "design": "did",
        "file": "lablens_did.csv"}


def _long_table_app():
    import pandas as pd

    from ui.tables import table

    names = ['=HYPERLINK("http://evil.example/x","clic")', "+0,16 DE [+0,12 a +0,20]", "-1+cmd|' /C calc'!A0"]
    table(pd.DataFrame({"school": (names * 100)[:300], "value": range(300)}))


def test_a_long_table_and_its_csv_are_spreadsheet_safe_and_the_csv_is_audited(copy_db, downloads):
    at = AppTest.from_function(_long_table_app, default_timeout=30).run()
    assert not at.exception
    held = list(at.dataframe[0].value["school"][:3])
    # what the grid holds (and its toolbar would export): the formulas are text, LabLens' own numbers untouched
    assert held == ["'" + HOSTILE, "+0,16 DE [+0,12 a +0,20]", "'-1+cmd|' /C calc'!A0"]
    # what the screen shows: the texts as they are, never the apostrophe
    assert list(_display_values(at.dataframe[0])["school"][:3]) == [
        HOSTILE, "+0,16 DE [+0,12 a +0,20]", "-1+cmd|' /C calc'!A0"]
    data = _in_a_bare_thread(downloads["table.csv"]).decode("utf-8-sig")
    first = data.splitlines()[1]
    assert first.startswith('"\'=HYPERLINK') and "\n=HYPERLINK" not in data and '\n"=HYPERLINK' not in data
    last = entries(copy_db)[-1]
    assert (last["action"], last["what"], last["rows"], last["actor"]) == ("export", "table", 300, "dashboard:local")


@pytest.mark.parametrize(("value", "runs"), [
    (HOSTILE, True), ("@SUM(A1)", True), ("\tx", True), ("\rx", True), ("-cmd", True), ("+A1", True),
    ("-1+cmd|' /C calc'!A0", True), ("+1(", True), ("-2;3", True), ("+0,19 DE (g) [−0,02 a +0,39]", True),
    ("+0,16 DE [+0,12 a +0,20]", False), ("−0,42", False), ("-0.42", False), ("ok = fine", False), (3, False)])
def test_formula_like_cells(value, runs):
    assert formula_like(value) is runs
    frame = pd.DataFrame({"c": [value]}, dtype=object)
    assert (spreadsheet_safe(frame)["c"][0] == "'" + str(value)) is runs


def _public_script():
    from ui import server_guard

    server_guard.install(True)


def _open_script():
    from ui import server_guard

    server_guard.install(False)


def test_the_grid_export_is_off_in_public_mode_only():
    """(.streamlit/config.toml leaves it on: an open install keeps the grid's CSV, made safe above.)"""
    AppTest.from_function(_public_script).run()
    assert config.get_option("client.disableDataExport") is True
    AppTest.from_function(_open_script).run()
    assert config.get_option("client.disableDataExport") is False
