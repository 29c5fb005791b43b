"""A file uploaded through Datos in a real Chromium ends up in the charts of another page."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from tests.browser.conftest import ARTIFACTS, main_text_when, serve, wait_for_app

PROGRAMME = "PilotoRural"


@pytest.fixture(scope="module")
def upload_app(browser_db, tmp_path_factory):
    """A server of its own on a copy of the browser database (this test writes to it)."""
    work = tmp_path_factory.mktemp("upload")
    db = work / "lablens.duckdb"
    shutil.copyfile(browser_db, db)
    with serve(db, work) as url:
        yield url, db


def _roster(db) -> bytes:
    """A roster putting six Guatemalan comparison schools of the demo into a new programme."""
    with duckdb.connect(str(db), read_only=True) as con:
        codes = [r[0] for r in con.execute("""SELECT u.code FROM assignments a JOIN units u USING (unit_id)
            WHERE a.program = 'comparison' AND u.country = 'GT' AND u.unit_type = 'school'
            ORDER BY u.code LIMIT 6""").fetchall()]
    assert len(codes) == 6
    rows = "".join(f"GT;escuela;{c};{PROGRAMME};Lab Spark;2024\n" for c in codes)
    return ("pais;tipo_unidad;codigo;programa;tipo_laboratorio;anio_inicio\n" + rows).encode("utf-8")


def test_uploaded_roster_appears_in_the_comparison_chart(browser, upload_app):
    url, db = upload_app
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{url}/comparar?lang=es&indicador=score_math", wait_until="domcontentloaded")
        wait_for_app(page)
        page.wait_for_selector("[data-testid=stPlotlyChart]", timeout=60_000)
        assert PROGRAMME not in page.inner_text("[data-testid=stMain]")

        page.goto(f"{url}/datos?lang=es", wait_until="domcontentloaded")
        wait_for_app(page)
        page.get_by_role("tab", name="Importar", exact=True).click()
        page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(
            {"name": "piloto_rural.csv", "mimeType": "text/csv", "buffer": _roster(db)})
        page.get_by_role("button", name="Importar", exact=True).wait_for(timeout=60_000)
        main = main_text_when(page, "piloto_rural.csv")
        assert "piloto_rural.csv" in main  # the uploaded file, staged (its summary is a canvas table)
        with duckdb.connect(str(db), read_only=True) as con:  # the preview wrote nothing
            assert con.execute("SELECT count(*) FROM imports").fetchall() == [(1,)]
        page.get_by_role("button", name="Importar", exact=True).click()
        page.get_by_text("Importación 2 publicada").wait_for(timeout=60_000)
        assert page.locator("[data-testid=stException]").count() == 0

        page.goto(f"{url}/comparar?lang=es&indicador=score_math", wait_until="domcontentloaded")
        wait_for_app(page)
        chart = page.locator("[data-testid=stPlotlyChart]").first
        chart.wait_for(timeout=60_000)
        page.wait_for_function(
            f"() => [...document.querySelectorAll('[data-testid=stPlotlyChart] svg text')]"
            f".some(t => t.textContent.includes('{PROGRAMME}'))", timeout=60_000)
        assert {"ValleLabs", "MiLab", PROGRAMME} <= {t.strip() for t in chart.locator("svg text").all_text_contents()}
        assert page.locator("[data-testid=stException]").count() == 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "comparar-after-upload-es.png"), full_page=True)
    finally:
        page.close()
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM assignments WHERE program = ?", [PROGRAMME]).fetchall() == [(6,)]
