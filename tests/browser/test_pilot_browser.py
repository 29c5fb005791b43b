"""Diseño del piloto in a real Chromium: the seed and inputs typed on the page reach the URL and a fresh tab
opened on that URL shows them again; the real MINEDUC directory uploaded on a phone fits its screen. The page in
both languages at laptop and phone width (no exception, no code, nothing wider than the screen, whole-page
screenshots) is checked with every other page by tests/browser/test_words_browser.py."""

from __future__ import annotations

from tests.browser.conftest import ARTIFACTS, main_text_when, wait_for_app
from tests.conftest import require_real_data

CHART = "[data-testid=stPlotlyChart]"
SIZES = {"desktop": (1440, 900), "phone": (390, 844)}


def _open(browser, url: str, width: int, height: int):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url, wait_until="domcontentloaded")
    wait_for_app(page)
    return page


def _overflow(page) -> dict:
    """Widths of the document and of Streamlit's main block (which scrolls on its own) against the screen."""
    return page.evaluate("""() => {
        const main = document.querySelector('[data-testid=stMain]');
        return {doc: document.scrollingElement.scrollWidth, screen: window.innerWidth,
                main: main.scrollWidth, mainClient: main.clientWidth};
    }""")


def _screenshot(page, name: str, width: int) -> None:
    """The whole page at its width: the viewport grows to the main block's height first."""
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": width, "height": max(800, min(int(height) + 40, 12_000))})
    page.wait_for_timeout(500)  # charts re-layout to the new size
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def _type_number(page, label: str, value: str) -> None:
    """Type a number once the app is idle, so a rerun still drawing the inputs cannot swallow the keystrokes;
    once more if the URL has not taken it (a busy machine: CI, other suites beside it)."""
    for attempt in range(2):
        wait_for_app(page)
        box = _number_input(page, label)
        box.fill(value)
        box.press("Enter")
        try:
            page.wait_for_function(f"() => location.search.includes('{value}')", timeout=20_000)
            return
        except Exception:  # playwright's TimeoutError
            if attempt:
                raise


def _number_input(page, label: str):
    return page.locator("[data-testid=stNumberInput]").filter(has_text=label).first.locator("input")


def _selected(page, label: str) -> str:
    """The value a selectbox shows, found by its label."""
    box = page.locator("[data-testid=stSelectbox]").filter(has_text=label).first
    return box.locator("input").first.input_value() or box.inner_text()


def test_typed_inputs_reach_the_url_and_come_back(browser, app_url):
    page = _open(browser, f"{app_url}/piloto?lang=en", 1440, 900)
    try:
        page.wait_for_selector(CHART, timeout=60_000)
        # a translated choice keeps its code in the URL ('rural', 'schools'), whatever the language
        page.locator("[data-testid=stSelectbox]").filter(has_text="Zone").first.click()
        page.get_by_role("option", name="Rural").click()
        page.wait_for_function("() => location.search.includes('zona=rural')", timeout=30_000)
        page.get_by_text("Target effect → schools needed").click()
        page.wait_for_function("() => location.search.includes('modo=schools')", timeout=30_000)
        for label, value in (("Public seed", "4242"), ("Students tested per school", "30")):
            _type_number(page, label, value)
        page.locator("[data-testid=stDownloadButton]").first.wait_for(timeout=60_000)
        url = page.url
        assert all(p in url for p in ("semilla=4242", "estudiantes=30", "zona=rural", "modo=schools")), url
    finally:
        page.close()
    again = _open(browser, url, 1440, 900)
    try:
        again.locator("[data-testid=stDownloadButton]").first.wait_for(timeout=60_000)
        # the boxes are drawn before the URL's values fill them on a loaded machine: wait for the value itself
        again.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=stNumberInput]')].some(b => "
            "b.innerText.includes('Public seed') && b.querySelector('input').value === '4242')", timeout=30_000)
        assert _number_input(again, "Public seed").input_value() == "4242"
        assert _number_input(again, "Students tested per school").input_value() == "30"
        main = main_text_when(again, "public seed 4242", "schools are needed")
        assert "public seed 4242" in main and "schools are needed" in main
        assert "Rural" in _selected(again, "Zone")
    finally:
        again.close()


def test_uploaded_directory_on_a_phone(browser, app_url):
    """The real MINEDUC directory uploaded on a phone: 22 departments, status and sector filters, no overflow."""
    path = require_real_data() / "guatemala" / "mineduc_establecimientos_diversificado_raw_noPII.csv"
    width, height = SIZES["phone"]
    page = _open(browser, f"{app_url}/piloto?lang=es&fuente=file&zona=rural&estado=abierta&semilla=7", width, height)
    try:
        page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(path))
        page.locator("[data-testid=stDownloadButton]").first.wait_for(timeout=90_000)
        page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=60_000)
        assert page.locator("[data-testid=stException]").count() == 0
        main = main_text_when(page, "escuelas elegibles en 22 departamentos", "Estado del establecimiento")
        assert "escuelas elegibles en 22 departamentos" in main and "Estado del establecimiento" in main
        widths = _overflow(page)
        assert widths["doc"] <= widths["screen"] + 1 and widths["main"] <= widths["mainClient"] + 1, widths
        _screenshot(page, "piloto-directorio-es-phone", width)
    finally:
        page.close()
