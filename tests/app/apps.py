"""Running the dashboard through AppTest as the page tests do: from dashboard.py (the router), with the URL's
query parameters set before the first run, then switched to a page."""

from __future__ import annotations

import json
import re

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

# a chart's panel: the chart's key, the panel's number (or "key": a map's colour bar and legend under its panels)
PANEL_KEY = re.compile(r"^\$\$ID-[0-9a-f]+-(.+)-(\d+|key)$")


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


def chart_specs(at: AppTest) -> list[dict]:
    """Every chart the page draws as one plotly spec. The panels of one chart (drawn in columns with the keys
    ``<key>-0``, ``<key>-1``…, analysis.panels.split, and a map's ``<key>-key``) are merged: their traces
    together (legend-only copies included), the first panel's layout, and every panel's own spec under
    ``panels``."""
    out: list[dict] = []
    last = None
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        match = PANEL_KEY.match(element.proto.id)
        base = match.group(1) if match else None
        if base is not None and base == last and match.group(2) != "0":
            out[-1]["data"] += spec["data"]
            out[-1]["panels"].append(spec)
        else:
            out.append({**spec, "data": list(spec["data"]), "panels": [spec]})
        last = base
    return out
