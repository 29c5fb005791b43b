"""Every page loads in a real Chromium with no Streamlit exception; a screenshot is written."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, wait_for_app

PAGES = [("inicio", "Inicio", "Home")]


@pytest.mark.parametrize(("slug", "title_es", "title_en"), PAGES)
@pytest.mark.parametrize("lang", ["es", "en"])
def test_page_loads_without_exception(browser, app_url, slug, title_es, title_en, lang):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{app_url}/{slug}?lang={lang}")
        wait_for_app(page)
        heading = title_es if lang == "es" else title_en
        page.get_by_role("heading", name=heading).first.wait_for(timeout=30_000)
        page.wait_for_selector("[data-testid=stDataFrame]", timeout=30_000)
        assert page.locator("[data-testid=stException]").count() == 0
        # the router ran (language selector in the sidebar), not the page script alone
        assert page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]").count() == 1
        assert "dashboard" not in page.inner_text("[data-testid=stSidebar]").lower()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / f"{slug}-{lang}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
    finally:
        page.close()


def test_language_lives_in_the_url(browser, app_url):
    """A link with ?lang=en opens in English; choosing Español puts the view back in Spanish."""
    page = browser.new_page()
    try:
        page.goto(f"{app_url}/inicio?lang=en")
        wait_for_app(page)
        page.get_by_role("heading", name="Home").first.wait_for(timeout=30_000)
        assert "LabLens brings together" in page.inner_text("[data-testid=stMain]")
    finally:
        page.close()
