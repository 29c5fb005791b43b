"""Implementación in a real Chromium: each language opened once at 1440 px, then narrowed to a phone's 390 px
(the same page re-laid out): no exception, every key translated, charts drawn, nothing wider than the screen,
full-page screenshots in tests/artifacts/."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, wait_for_app

CHART = "[data-testid=stPlotlyChart]"
TITLES = {"es": "Implementación", "en": "Implementation"}
SENTENCES = {"es": ("laboratorios previstos", "se están quedando atrás", "Asociación"),
             "en": ("planned labs", "are falling behind", "Association")}


def _fits(page) -> None:
    widths = page.evaluate("""() => {
        const main = document.querySelector('[data-testid=stMain]');
        return {doc: document.scrollingElement.scrollWidth, screen: window.innerWidth,
                main: main.scrollWidth, mainClient: main.clientWidth};
    }""")
    assert widths["doc"] <= widths["screen"] + 1, widths
    assert widths["main"] <= widths["mainClient"] + 1, widths


def _screenshot(page, name: str, width: int) -> None:
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": width, "height": max(800, min(int(height) + 40, 14_000))})
    page.wait_for_timeout(500)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"implementacion-{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


@pytest.mark.parametrize("lang", ["es", "en"])
def test_implementation_page_on_a_desktop_and_a_phone(browser, app_url, lang):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    try:
        page.goto(f"{app_url}/implementacion?lang={lang}", wait_until="domcontentloaded")
        wait_for_app(page)
        page.get_by_role("heading", name=TITLES[lang]).first.wait_for(timeout=30_000)
        page.wait_for_function(f"document.querySelectorAll('{CHART}').length >= 5", timeout=60_000)
        assert page.locator("[data-testid=stException]").count() == 0
        main = page.inner_text("[data-testid=stMain]")
        assert "⟦" not in main and "impl." not in main
        for sentence in SENTENCES[lang]:
            assert sentence in main, sentence
        _fits(page)
        _screenshot(page, f"{lang}-desktop", 1440)
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(700)
        _fits(page)
        _screenshot(page, f"{lang}-phone", 390)
    finally:
        page.close()
