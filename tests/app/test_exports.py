"""Downloads never carry live spreadsheet formulas; the Spanish templates import with no configuration."""

from __future__ import annotations

import io
import shutil

import duckdb
import openpyxl
import pandas as pd
import pytest

from ui.export import csv_bytes, xlsx_bytes
from ui.templates import FILE_NAMES, TEMPLATES

DANGEROUS = pd.DataFrame({"name": ["=HYPERLINK(\"http://x\")", "+1+2", "-cmd", "@SUM(A1)", "ok"],
                          "value": [-0.42, 1.0, 2.5, None, 3.0]})


def test_csv_neutralises_formulas_and_keeps_numbers():
    text = csv_bytes(DANGEROUS).decode("utf-8-sig")
    frame = pd.read_csv(io.StringIO(text))
    assert frame["name"].tolist() == ["'=HYPERLINK(\"http://x\")", "'+1+2", "'-cmd", "'@SUM(A1)", "ok"]
    assert frame["value"].iloc[0] == -0.42  # a negative number is a number, not a formula


def test_xlsx_writes_text_as_text_never_as_formula():
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes({"resultados": DANGEROUS, "procedencia": DANGEROUS})))
    sheet = book["resultados"]
    assert [c.value for c in sheet[1]] == ["name", "value"]
    for row, original in zip(sheet.iter_rows(min_row=2), DANGEROUS.itertuples(index=False), strict=True):
        assert row[0].data_type == "s" and row[0].value == original.name  # no visible apostrophe
        if original.name[0] in "=+-@":
            assert row[0].quotePrefix
    assert sheet["B2"].value == -0.42 and sheet["B2"].data_type == "n"
    assert sheet["B5"].value is None
    assert book.sheetnames == ["resultados", "procedencia"]


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_templates_import_cleanly_into_the_demo(kind, demo_db, tmp_path):
    from analysis.importer.pipeline import import_file

    db = tmp_path / "lablens.duckdb"
    shutil.copyfile(demo_db, db)
    path = tmp_path / FILE_NAMES[kind]
    path.write_bytes(csv_bytes(TEMPLATES[kind]()))
    summary = import_file(path, db)
    assert summary["status"] == "active" and summary["rows_rejected"] == 0
    assert summary["recognized_as"] == ("roster" if kind == "roster" else "lablens_students")
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM imports").fetchone()[0] == 2
    assert FILE_NAMES[kind].startswith("plantilla_")  # Spanish templates


def test_evidence_workbook_carries_results_dictionary_methods_and_provenance():
    """The XLSX the Evidencia page builds on click (the pack's evidence.xlsx): results with stable column names,
    a column dictionary, the methods' parameters and provenance without a time (byte-identical on a rebuild)."""
    from streamlit.testing.v1 import AppTest

    script = """
import io, hashlib, openpyxl, streamlit as st
from ui import evidence_view as view
codes = ["score_math", "dropout_rate"]
table, outcome = view.build(codes, "did", None)
first = view.xlsx_download(codes, "did", None)
book = openpyxl.load_workbook(io.BytesIO(first))
st.write("sheets=" + ",".join(book.sheetnames))
st.write("header=" + ",".join(str(c.value) for c in book["evidence"][1]))
st.write("rows=" + str(book["evidence"].max_row))
head = [c.value for c in book["evidence"][1]]
for r in book["evidence"].iter_rows(min_row=2, values_only=True):
    row = dict(zip(head, r))
    st.write(f"window {row['indicator']} {row['program']} {row['country']}={row['pre_window']}/{row['post_window']}")
st.write(" | ".join(f"{r[0]}={r[1]}" for r in book["provenance"].iter_rows(min_row=2, values_only=True)))
st.write(" | ".join(f"{r[0]}={r[1]}" for r in book["methods"].iter_rows(min_row=2, values_only=True)))
st.write("same=" + str(view.xlsx_download(codes, "did", None) == first))
st.write(view.csv_download(codes, "did", None).decode("utf-8-sig").splitlines()[0])
"""
    at = AppTest.from_string(script, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    values = [m.value for m in at.markdown]
    text = "\n".join(values)
    assert "sheets=evidence,dictionary,methods,provenance" in values
    assert any(v.startswith("header=indicator,design,grouping,program,country,") for v in values)
    assert "rows=5" in values  # header + score_math and dropout_rate x (ValleLabs, MiLab)
    assert "window dropout_rate ValleLabs CO=2015-2018/2021-2025" in values  # the page's programme windows
    assert "lablens_version=0.1.0" in text and "import 1=demo: synthetic data (seed 7) [active] sha256=" in text
    assert "min_cell=10" in text and "confidence_level=0.95" in text and "compare_calls=3" in text
    assert "generated_at=provenance.json" in text  # the time lives only in provenance.json
    assert "same=True" in values
    assert any(v.startswith("indicator,design,grouping,program,country") for v in values)
