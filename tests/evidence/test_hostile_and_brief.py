"""Hostile names export inert everywhere; the HTML brief draws its charts offline (Playwright + Chromium).

OWASP "CSV injection": a cell starting with = + - @ tab or CR may run as a formula in Excel or LibreOffice.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from analysis.cli import main
from analysis.safe_export import FORMULA_STARTS

HOSTILE = '=HYPERLINK("http://example.invalid","x")'
SCRIPT = "</script><script>document.title='pwned'</script>"


@pytest.fixture(scope="module")
def hostile_pack(export_db, tmp_path_factory) -> dict[str, bytes]:
    """A copy of the demo where two municipalities (and their schools) carry hostile names, exported by
    municipality with the Spanish CSV variant."""
    folder = tmp_path_factory.mktemp("hostile")
    db = folder / "lablens.duckdb"
    shutil.copyfile(export_db, db)
    with duckdb.connect(str(db)) as con:
        for old, new in (("La Unión", HOSTILE), ("Huehuetenango", SCRIPT)):
            con.execute("UPDATE units SET municipality = ?, name = ? WHERE municipality = ?", [new, new, old])
        assert con.execute("SELECT count(*) FROM units WHERE municipality = ?", [HOSTILE]).fetchone()[0] >= 5
    out = folder / "hostile.zip"
    assert main(["export", "--db", str(db), "--out", str(out), "--indicator", "score_math", "--design", "prepost",
                 "--by", "municipality", "--csv-locale", "es", "--lang", "en"]) == 0
    with zipfile.ZipFile(out) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def _cells(data: bytes, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))


@pytest.mark.parametrize(("name", "delimiter", "decimal"), [("evidence.csv", ",", "."), ("evidence_es.csv", ";", ",")])
def test_csv_cells_never_start_like_a_formula(hostile_pack, name, delimiter, decimal):
    rows = _cells(hostile_pack[name], delimiter)
    municipality = rows[0].index("municipality")
    assert "'" + HOSTILE in [r[municipality] for r in rows[1:]]  # neutralised with a leading apostrophe
    negatives = 0
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA_STARTS):
                float(cell.replace(decimal, "."))  # only numbers (such as -0.42) may start with '-'
                negatives += 1
    assert negatives > 0  # the check met real negative numbers, which stay numbers


def test_xlsx_stores_the_name_as_text_never_as_formula(hostile_pack):
    book = openpyxl.load_workbook(io.BytesIO(hostile_pack["evidence.xlsx"]))
    found = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)
                if cell.value == HOSTILE:
                    assert cell.data_type == "s" and cell.quotePrefix
                    found.append(cell.coordinate)
    assert found  # the unit's name is there, as text, without a visible apostrophe
    with zipfile.ZipFile(io.BytesIO(hostile_pack["evidence.xlsx"])) as xlsx:
        assert not any(b"<f>" in xlsx.read(n) for n in xlsx.namelist() if n.startswith("xl/worksheets/"))


def test_parquet_keeps_the_name_as_data(hostile_pack):
    frame = pd.read_parquet(io.BytesIO(hostile_pack["evidence.parquet"]))
    assert {HOSTILE, SCRIPT} <= set(frame["municipality"])


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_html_brief_escapes_hostile_names(hostile_pack):
    page = hostile_pack["brief.html"].decode("utf-8")
    assert HOSTILE not in page and SCRIPT not in page  # never written raw, in text or in chart data
    assert html_escaped(HOSTILE) in page  # shown as text in the findings
    parser = _Tags()
    parser.feed(page)
    scripts = [t for t, _ in parser.tags if t == "script"]
    charts = len(re.findall(r'<div id="chart-\d+"', page))
    assert charts == 1 and len(scripts) == 1 + charts  # plotly.js once, one script per chart, none injected
    assert not any(t == "a" and "example.invalid" in a.get("href", "") for t, a in parser.tags)
    assert any(HOSTILE in text for text in parser.text)  # the reader sees the name, as text


def html_escaped(text: str) -> str:
    import html

    return html.escape(text)


def test_brief_is_offline_and_in_the_chosen_language(hostile_pack):
    page = hostile_pack["brief.html"].decode("utf-8")
    assert '<html lang="en">' in page and "Evidence brief" in page
    from plotly.offline import get_plotlyjs

    bundle = get_plotlyjs()
    assert page.count(bundle[:300]) == 1 and len(page) < len(bundle) + 300_000  # plotly.js embedded once
    rest = page.replace(bundle, "")
    assert not re.search(r"<script[^>]+src=", rest)
    # only the hostile name's text and the licence's address, as text (nothing is fetched: no src, no link)
    assert set(re.findall(r"https?://[a-z.]+", rest)) == {"http://example.invalid", "https://creativecommons.org"}


# --- the brief in a real browser, with the network blocked -------------------------------------------------

@pytest.fixture(scope="module")
def brief_file(export_db, tmp_path_factory) -> tuple[Path, int]:
    folder = tmp_path_factory.mktemp("brief")
    out = folder / "pack.zip"
    assert main(["export", "--db", export_db, "--out", str(out), "--indicator", "score_math,dropout_rate",
                 "--indicator", "motivation_index", "--design", "did"]) == 0
    with zipfile.ZipFile(out) as archive:
        archive.extract("brief.html", folder)
    page = (folder / "brief.html").read_text(encoding="utf-8")
    return folder / "brief.html", len(re.findall(r'<div id="chart-\d+"', page))


def test_brief_draws_every_chart_with_the_network_blocked(brief_file, browser):
    path, charts = brief_file
    assert charts == 3
    requested: list[str] = []

    def block(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            requested.append(route.request.url)
            route.abort()

    context = browser.new_context()
    try:
        context.route("**/*", block)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(path.as_uri())
        for i in range(1, charts + 1):
            page.wait_for_selector(f"#chart-{i} .main-svg", timeout=20_000)
            assert page.locator(f"#chart-{i} .main-svg").count() >= 1
            assert page.locator(f"#chart-{i} .point").count() >= 2  # the effects are drawn, not just axes
        assert page.locator("h1").inner_text() == "Resumen de evidencia"
        assert not errors, errors
    finally:
        context.close()
    assert requested == []  # nothing tried to leave the machine


def test_brief_charts_show_hostile_names_as_text(hostile_pack):
    """In the chart data, markup from the data is entity-escaped (analysis.figure_text): plotly.js shows
    '</script><script>...' in a hover label as those characters, not as elements."""
    page = hostile_pack["brief.html"].decode("utf-8")
    shown_as_text = "&lt;\\u002fscript&gt;&lt;script&gt;document.title="  # plotly's JSON writes / as \\u002f
    assert shown_as_text in page and "\\u003c\\u002fscript\\u003e\\u003cscript" not in page
