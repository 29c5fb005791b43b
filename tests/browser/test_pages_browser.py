"""Every page loads in a real Chromium with no Streamlit exception; a screenshot is written; URLs keep filters."""

from __future__ import annotations

import duckdb
import pytest

from tests.browser.conftest import ARTIFACTS, main_text_when, wait_for_app

CHART = "[data-testid=stPlotlyChart]"
# slug, Spanish title, English title, the element that shows the page has its content. A deep link (the page as a
# session's first request) goes through the same router for every page: three pages of different kinds prove it;
# every page's content, in both languages and at both widths, is checked by tests/browser/test_words_browser.py
PAGES = [
    ("inicio", "Inicio", "Home", "[data-testid=stDataFrame]"),
    ("comparar", "Comparar programas", "Compare programmes", CHART),
    ("evidencia", "Evidencia", "Evidence", "[data-testid=stDownloadButton]"),
]


def _screenshot(page, name: str) -> None:
    """The first screen of the page (whole pages at both widths: tests/browser/test_words_browser.py)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


@pytest.mark.parametrize(("slug", "title_es", "title_en", "ready"), PAGES)
def test_page_loads_without_exception(browser, app_url, slug, title_es, title_en, ready):
    """The page in Spanish and in English (two sessions at once, as two users would), each screenshotted."""
    tabs = {lang: browser.new_page(viewport={"width": 1400, "height": 1000}) for lang in ("es", "en")}
    try:
        for lang, page in tabs.items():
            page.goto(f"{app_url}/{slug}?lang={lang}", wait_until="domcontentloaded")
        for lang, page in tabs.items():
            wait_for_app(page)
            heading = title_es if lang == "es" else title_en
            page.get_by_role("heading", name=heading).first.wait_for(timeout=30_000)
            page.wait_for_selector(ready, timeout=60_000)
            assert page.locator("[data-testid=stException]").count() == 0
            # the router ran (language selector in the sidebar), not the page script alone
            assert page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]").count() == 1
            assert "dashboard" not in page.inner_text("[data-testid=stSidebar]").lower()
            main = page.inner_text("[data-testid=stMain]")
            assert "⟦" not in main
            assert ("Datos sintéticos" if lang == "es" else "Synthetic demo data") in main
            _screenshot(page, f"{slug}-{lang}")
    finally:
        for page in tabs.values():
            page.close()


def test_language_lives_in_the_url(browser, app_url):
    """A link with ?lang=en opens in English; choosing Español puts the view back in Spanish."""
    page = browser.new_page()
    try:
        page.goto(f"{app_url}/inicio?lang=en")
        wait_for_app(page)
        page.get_by_role("heading", name="Home").first.wait_for(timeout=30_000)
        # the heading is drawn before the rest of the page: wait for the English body text itself (a Spanish
        # body never matches, so the test still fails when the language is lost)
        main = main_text_when(page, "LabLens brings together")
        assert "LabLens brings together" in main and "LabLens reúne" not in main
    finally:
        page.close()


def _selected(page, label: str) -> str:
    """The value a selectbox shows, found by its label."""
    box = page.locator("[data-testid=stSelectbox]").filter(has_text=label).first
    return box.locator("input").first.input_value() or box.inner_text()


def test_a_url_with_filters_reproduces_the_view(browser, app_url):
    """?indicador=dropout_rate&agrupar=zone&grupo=rural opens Comparar with those filters applied."""
    url = f"{app_url}/comparar?lang=en&indicador=dropout_rate&agrupar=zone&grupo=rural"
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(url)
        wait_for_app(page)
        page.wait_for_selector(CHART, timeout=60_000)
        main = main_text_when(page, "Intra-annual dropout rate", "Subgroup: zone = rural.")
        assert "Intra-annual dropout rate" in main  # the indicator from the URL
        assert "Subgroup: zone = rural." in main  # the subgroup from the URL restricts the detail charts
        # the selectors show words; the URL keeps the codes, so the link works in both languages
        for label, value in (("Indicator", "Intra-annual dropout rate"), ("Subgroups", "Zone"),
                             ("Subgroup for the detail charts", "Rural")):
            assert value in _selected(page, label)
        assert "indicador=dropout_rate" in page.url and "agrupar=zone" in page.url and "grupo=rural" in page.url
        # choosing another subgrouping by its name writes its code to the URL
        page.locator("[data-testid=stSelectbox]").filter(has_text="Subgroups").first.locator("input").first.click()
        page.get_by_role("option", name="Lab type").first.click()
        page.wait_for_url("**agrupar=lab_type**", timeout=30_000)
        wait_for_app(page)
        assert "Lab type" in _selected(page, "Subgroups")
        assert page.locator("[data-testid=stException]").count() == 0
        _screenshot(page, "comparar-filters-en")
    finally:
        page.close()


def test_a_school_link_opens_its_profile(browser, app_url, browser_db):
    with duckdb.connect(str(browser_db), read_only=True) as con:
        school, name = con.execute("SELECT a.unit_id, u.name FROM assignments a JOIN units u USING (unit_id) "
                                   "WHERE a.program = 'MiLab' ORDER BY 1 LIMIT 1").fetchone()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{app_url}/escuelas?lang=es&escuela={school}")
        wait_for_app(page)
        page.get_by_role("heading", name=name).first.wait_for(timeout=60_000)
        page.locator("[data-testid=stMetric]").filter(has_text="MiLab").first.wait_for(timeout=30_000)
        assert page.locator("[data-testid=stException]").count() == 0
    finally:
        page.close()
