"""Regiones draws a choropleth once real boundary files (shared/data/real/geo) are imported."""

from __future__ import annotations

import json
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from analysis.importer.pipeline import import_file
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
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
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
    assert {d.get("xaxis", "x") for d in coloured} == {"x", "x2"}  # Colombia and Guatemala, one panel each
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
