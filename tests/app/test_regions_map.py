"""Regiones draws a choropleth: on the shipped boundaries (data/geo/) with no import, and on imported
boundary files (shared/data/real/geo, or a user's own), which replace the shipped shapes they cover."""

from __future__ import annotations

import json
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from analysis.importer.pipeline import import_file
from tests.app.apps import chart_specs
from tests.conftest import ROOT, require_real_data, shown
from ui.i18n import catalogue


@pytest.fixture(scope="module")
def geo_db(demo_db, tmp_path_factory) -> str:
    geo = require_real_data() / "geo"
    path = tmp_path_factory.mktemp("geo") / "lablens.duckdb"
    shutil.copyfile(demo_db, path)
    for name in ("colombia_2018_simplified.topojson", "guatemala_deptos.topo.json", "guatemala_munis.topo.json"):
        assert import_file(geo / name, path)["status"] == "active"
    return str(path)


def _maps(at: AppTest) -> list[dict]:
    specs = chart_specs(at)  # the two countries' panels as one map
    return [s for s in specs if any(d.get("fill") == "toself" for d in s["data"])]


@pytest.mark.parametrize(("lang", "level"), [("es", "municipality"), ("en", "department")])
def test_map_colours_the_territories_of_both_programmes(geo_db, monkeypatch, lang, level):
    monkeypatch.setenv("LABLENS_DB", geo_db)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params["lang"] = lang
    at.query_params["nivel"] = level
    at.run()
    at.switch_page("pages/regiones.py").run()
    assert not at.exception, [e.value for e in at.exception]
    cat = catalogue(lang)
    assert cat["regions.no_boundaries"] not in [i.value for i in at.info]
    (spec,) = _maps(at)
    coloured = [d for d in spec["data"] if d.get("meta")]
    located = {d["meta"]["location"] for d in coloured}
    # Colombia and Guatemala, a figure each (in columns: stacked on a phone)
    *maps, key = spec["panels"]
    assert [{d["meta"]["location"][:2] for d in p["data"] if d.get("meta")} for p in maps] == [{"CO"}, {"GT"}]
    # the colour scale once, in a key of its own drawn under both maps, not under Colombia's
    scale = [d for p in spec["panels"] for d in p["data"] if (d.get("marker") or {}).get("showscale")]
    assert len(scale) == 1 and scale[0] in key["data"] and not any(p.get("layout", {}).get("showlegend") for p in maps)
    if level == "municipality":
        # every coloured Colombian municipality is in Valle (Argelia is Valle's 76054, never Antioquia's
        # namesake 05055), and Guatemala's are placed too
        colombian = {loc for loc in located if loc.startswith("CO-")}
        assert len(colombian) >= 5 and all(loc.startswith("CO-76") for loc in colombian)
        assert len(located - colombian) >= 3
    else:
        assert "CO-76" in located and any(loc.startswith("GT-") for loc in located)
    grey = [d for d in spec["data"] if d.get("fill") == "toself" and not d.get("meta")]
    assert len(grey) == 2 and all(d["hoverinfo"] == "skip" for d in grey)
    summary = cat["regions.summary_map"].split("{")[0]
    assert any(shown(c.value).startswith(summary) for c in at.caption)
    assert len(json.dumps(spec)) < 3_000_000  # the browser gets only the territories around the results


# --- shipped boundaries (data/geo/): a map with no import ------------------------------------------------------

PAYLOAD_BUDGET = 1_500_000


def _regions(lang: str, level: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params["lang"] = lang
    at.query_params["nivel"] = level
    at.run()
    at.switch_page("pages/regiones.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_municipality_map_with_no_import_and_the_page_payload():
    at = _regions("es", "municipality")
    cat = catalogue("es")
    assert cat["regions.no_boundaries"] not in [i.value for i in at.info]
    (spec,) = _maps(at)
    located = {d["meta"]["location"] for d in spec["data"] if d.get("meta")}
    colombian = {loc for loc in located if loc.startswith("CO-")}
    assert len(colombian) >= 5 and all(loc.startswith("CO-76") for loc in colombian)
    assert len(located - colombian) >= 3
    assert any(cat["regions.map_source"] in shown(c.value) for c in at.caption)
    # everything the page's charts send to the browser
    assert sum(len(c.proto.spec) for c in at.get("plotly_chart")) < PAYLOAD_BUDGET
    # and no more precision than the screen shows (effects at 3 decimals; shapes and the marks placed on them,
    # which carry no data, aside)
    values = []
    for c in at.get("plotly_chart"):
        for trace in json.loads(c.proto.spec)["data"]:
            if trace.get("hoverinfo") != "skip":
                _floats({k: v for k, v in trace.items() if not (trace.get("fill") == "toself" and k in ("x", "y"))},
                        values)
    assert len(values) >= 20
    assert all(abs(v * 1000 - round(v * 1000)) < 1e-6 for v in values), [v for v in values
                                                                         if abs(v * 1000 - round(v * 1000)) >= 1e-6]


def _floats(node, out: list[float]) -> None:
    """Every float in a figure's JSON (nested lists and dicts; arrays sent as typed binary decoded)."""
    if isinstance(node, dict) and "bdata" in node and "dtype" in node:
        import base64

        import numpy as np

        array = np.frombuffer(base64.b64decode(node["bdata"]), dtype=node["dtype"])
        if array.dtype.kind == "f":
            out.extend(float(v) for v in array if np.isfinite(v))
    elif isinstance(node, dict):
        for v in node.values():
            _floats(v, out)
    elif isinstance(node, list):
        for v in node:
            _floats(v, out)
    elif isinstance(node, float):
        out.append(node)


def test_an_imported_boundary_replaces_the_shipped_shape(copy_db, tmp_path):
    square = [[-77.0, 3.0], [-76.0, 3.0], [-76.0, 4.0], [-77.0, 4.0], [-77.0, 3.0]]
    path = tmp_path / "valle.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"country": "CO", "unit_type": "department", "code": "76"},
         "geometry": {"type": "Polygon", "coordinates": [square]}}]}), encoding="utf-8")
    assert import_file(path, copy_db)["status"] == "active"
    at = _regions("en", "department")
    (spec,) = _maps(at)
    valle = next(d for d in spec["data"] if (d.get("meta") or {}).get("location") == "CO-76")
    assert [[x, y] for x, y in zip(valle["x"], valle["y"], strict=True) if x is not None] == square
    assert any(d["meta"]["location"].startswith("GT-") for d in spec["data"] if d.get("meta"))  # still shipped


def test_a_territory_with_several_results_gets_no_single_colour():
    """Valle del Cauca's three start-year cohorts (dropout_rate, the page's default) were three stacked shapes,
    coloured and hovered as the last cohort alone; now one grey shape whose hover lists the three results."""
    import pandas as pd

    from analysis.unit_figures import territory_map
    from ui.regions_view import several_results

    def square(x: float) -> str:
        ring = [[x, 3.0], [x + 1, 3.0], [x + 1, 4.0], [x, 4.0], [x, 3.0]]
        return json.dumps({"type": "Feature", "properties": {},
                           "geometry": {"type": "Polygon", "coordinates": [ring]}})

    shapes = pd.DataFrame({"location": ["CO-76", "CO-19"], "country": ["CO", "CO"], "name": ["Valle", "Cauca"],
                           "geojson": [square(-77.0), square(-75.0)]})
    placed = pd.DataFrame({"program": ["ValleLabs"] * 4, "label": ["Valle"] * 3 + ["Cauca"],
                           "effect": [-1.07, -1.17, -1.04, -0.5], "low": None, "high": None,
                           "reliability": ["low", "ok", "ok", "ok"],
                           "hover": ["2019: −1,07", "2020: −1,17", "2021: −1,04", "Cauca: −0,50"],
                           "country": ["CO"] * 4, "location": ["CO-76"] * 3 + ["CO-19"]})
    rows, names = several_results(placed)
    assert names == ["Valle"] and len(rows) == 2
    fig = territory_map(shapes, rows, {"colorbar": "pp"}, "es")
    drawn = [d for d in fig.data if d.meta and "location" in d.meta]
    assert sorted(d.meta["location"] for d in drawn) == ["CO-19", "CO-76"]  # one shape each
    valle = next(d for d in drawn if d.meta["location"] == "CO-76")
    assert valle.fillcolor == "#d9d9d9" and valle.text == "2019: −1,07<br>—<br>2020: −1,17<br>—<br>2021: −1,04"
    assert next(d for d in drawn if d.meta["location"] == "CO-19").fillcolor != "#d9d9d9"
