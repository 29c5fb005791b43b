"""Nothing LabLens shows needs the internet (issue 16, item 4): every page, in both languages, loads with
every request outside this server blocked, and asks for nothing outside it."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.browser.conftest import wait_for_app

PAGES = ("inicio", "comparar", "regiones", "escuelas", "logros", "piloto", "evidencia", "datos", "metodos")
ERRORS = "[data-testid=stException], [data-testid=stAlertContentError]"


# every page in Spanish, the default; in English, the pages whose first view differs most (what a page fetches
# does not depend on its language: the same favicon, fonts and scripts)
VISITS = {"es": PAGES, "en": ("inicio", "regiones", "piloto")}


@pytest.mark.parametrize("lang", ["es", "en"])
def test_every_page_asks_nothing_of_the_internet(browser, app_url, lang):
    outside: list[str] = []
    local = urlparse(app_url).netloc

    def guard(route) -> None:
        url = route.request.url
        if urlparse(url).scheme in ("data", "blob") or urlparse(url).netloc == local:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.route("**/*", guard)
    page = context.new_page()
    try:
        for slug in VISITS[lang]:
            page.goto(f"{app_url}/{slug}?lang={lang}")
            wait_for_app(page)
            page.wait_for_timeout(300)  # late requests (favicon, fonts) of the drawn page
            assert page.locator(ERRORS).count() == 0, slug
        favicon = page.locator("link[rel~=icon]").first.get_attribute("href") or ""
        assert not favicon.startswith("http") or urlparse(favicon).netloc == local, favicon
    finally:
        context.close()
    assert outside == []
