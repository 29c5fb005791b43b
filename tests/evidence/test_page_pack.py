"""The Evidencia page's evidence pack: same implementation as the CLI, re-derivable from its provenance."""

from __future__ import annotations

import base64
import io
import json
import zipfile

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from analysis.evidence import EvidenceRequest, evidence_table
from analysis.safe_export import csv_bytes

SCRIPT = """
import base64, streamlit as st
st.session_state["lang"] = "{lang}"
from ui import evidence_view as view
codes = ["score_math", "dropout_rate"]
table, outcome = view.build(codes, "did", None)
first = view.pack_download(codes, "did", None)
second = view.pack_download(codes, "did", None)
st.text(base64.b64encode(first).decode())
st.text(base64.b64encode(second).decode())
st.text(base64.b64encode(view.csv_download(codes, "did", None)).decode())
st.text(str(len(table)))
"""


@pytest.fixture(scope="module")
def page_packs(export_db):
    """Two clicks on the pack button (English page) and the CSV button, run by AppTest on the export DB."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LABLENS_DB", export_db)
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_string(SCRIPT.format(lang="en"), default_timeout=180).run()
        st.cache_data.clear()
        st.cache_resource.clear()
    assert not at.exception, [e.value for e in at.exception]
    first, second, csv, rows = (t.value for t in at.text)
    return base64.b64decode(first), base64.b64decode(second), base64.b64decode(csv), int(rows)


def _files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def test_page_pack_has_every_part_in_the_page_language(page_packs):
    first, _, csv, rows = page_packs
    files = _files(first)
    assert sorted(files) == sorted(["evidence.csv", "dictionary.csv", "evidence.xlsx", "evidence.parquet",
                                    "datapackage.json", "methods.md", "brief.html", "provenance.json",
                                    "implementation.csv", "dose_response.csv"])
    assert '<html lang="en">' in files["brief.html"].decode() and files["methods.md"].startswith(b"# Methods")
    assert files["evidence.csv"] == csv  # the CSV button and the pack hold the same table
    assert len(files["evidence.csv"].decode("utf-8-sig").strip().splitlines()) == rows + 1  # as on screen
    prov = json.loads(files["provenance.json"])
    assert prov["command"] == "LabLens dashboard, Evidencia page: indicators=score_math,dropout_rate, design=did"
    windows = {(c["indicator"], c["program"]): (c["pre"], c["post"]) for c in prov["compare_calls"]}
    assert windows[("score_math", None)] == (None, None)  # waves: one call
    assert windows[("dropout_rate", "ValleLabs")] == ("2015-2018", "2021-2025")  # the programme's windows


def test_page_pack_data_files_are_identical_on_a_second_click(page_packs):
    first, second, _, _ = page_packs
    a, b = _files(first), _files(second)
    for name in a:
        if name not in ("provenance.json", "brief.html"):
            assert a[name] == b[name], name


def test_a_reviewer_re_derives_the_table_from_provenance(page_packs, export_db):
    """provenance.json's compare_calls, run again outside the dashboard, give evidence.csv byte for byte."""
    files = _files(page_packs[0])
    prov = json.loads(files["provenance.json"])
    request = EvidenceRequest(indicators=tuple(prov["filters"]["indicators"]), design=prov["filters"]["design"],
                              calls=tuple(prov["compare_calls"]))
    assert csv_bytes(evidence_table(export_db, request)) == files["evidence.csv"]
