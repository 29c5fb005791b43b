"""Running the dashboard through AppTest as the page tests do: from dashboard.py (the router), with the URL's
query parameters set before the first run, then switched to a page."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def run_page(page: str | None = None, lang: str | None = None, *, secrets: dict | None = None,
             check: bool = True, **params: str) -> AppTest:
    """dashboard.py run once with ``?lang=…`` and ``params``, then ``pages/<page>.py`` (None: the home page);
    with ``check`` the run must raise no exception."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    if lang:
        at.query_params["lang"] = lang
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page if page.endswith(".py") else f"pages/{page}.py").run()
    if check:
        assert not at.exception, [e.value for e in at.exception]
    return at
