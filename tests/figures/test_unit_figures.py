"""Figure builders of analysis/unit_figures.py (Regiones, Escuelas, Datos): pure functions tested without
Streamlit."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from analysis import unit_figures
from tests.figures.figure_texts import TEXTS


def test_ranked_orders_territories_and_marks_low_reliability():
    data = pd.DataFrame({"program": ["MiLab"] * 3 + ["ValleLabs"], "label": ["Petén", "Quiché", "Izabal", "Valle"],
                         "effect": [-0.5, 0.2, np.nan, -1.0], "low": [-0.9, -0.1, np.nan, -1.1],
                         "high": [-0.1, 0.5, np.nan, -0.9], "reliability": ["ok", "low", "low", "ok"]})
    spec = json.loads(unit_figures.ranked(data, TEXTS, "es").to_json())
    milab = next(t for t in spec["data"] if t.get("name") == "MiLab")
    assert milab["y"] == ["Petén", "Quiché"] and milab["marker"]["symbol"] == ["circle", "circle-open"]
    (no_estimate,) = [a for a in spec["layout"]["annotations"] if a["text"] == "no estimate"]
    assert (no_estimate["y"], no_estimate["xref"], no_estimate["x"], no_estimate["xanchor"]) == (
        "Izabal", "x2 domain", 0, "left")  # at the plot area's left edge, clear of the zero line
    assert spec["layout"]["yaxis2"]["categoryarray"] == ["Izabal", "Petén", "Quiché"]  # largest on top


def test_caterpillar_shapes_say_q_and_open_marks_keep_meaning_low_reliability():
    """One meaning for filled and open marks on every chart (issue 16): open = low reliability (every single
    school), filled = adequate; the q-value is the shape (diamond q < 0.05, circle otherwise)."""
    data = pd.DataFrame({"program": ["ValleLabs"] * 3, "unit_id": ["a", "b", "c"], "effect": [0.5, 0.1, 0.3],
                         "low": [0.3, -0.1, 0.1], "high": [0.7, 0.3, 0.5], "q_value": [0.01, 0.6, 0.04],
                         "reliability": ["low", "low", "ok"]})
    fig = unit_figures.caterpillar(data, TEXTS, "en", {"ValleLabs": 0.2})
    spec = json.loads(fig.to_json())
    filled = next(t for t in fig.data if t.name == "ValleLabs · q < 0.05")
    empty = next(t for t in fig.data if t.name == "ValleLabs · q ≥ 0.05")
    assert list(filled.x) == [2, 3] and list(filled.y) == [0.3, 0.5]  # ranks after sorting
    assert list(empty.x) == [1] and list(empty.marker.symbol) == ["circle-open"]
    assert list(filled.marker.symbol) == ["diamond", "diamond-open"]  # c (0.3, adequate) then a (0.5, low)
    assert any(s.get("y0") == 0.2 and s["line"]["dash"] == "dash" for s in spec["layout"]["shapes"])


def test_territory_map_only_when_boundaries_match():
    """Filled polygons on lon/lat axes (a plotly geo map needs a CDN and stays blank offline)."""
    square = {"type": "Polygon", "coordinates": [[[-91, 15], [-90, 15], [-90, 16], [-91, 16], [-91, 15]]]}
    other = {"type": "MultiPolygon", "coordinates": [[[[-90, 15], [-89, 15], [-89, 16], [-90, 15]]]]}
    shapes = pd.DataFrame({"location": ["GT-14", "GT-17"], "country": ["GT", "GT"], "name": ["Quiché", "Petén"],
                           "geojson": [json.dumps({"type": "Feature", "geometry": g}) for g in (square, other)]})
    values = pd.DataFrame({"location": ["GT-14", "GT-99"], "country": ["GT", "GT"], "effect": [-0.3, 0.1],
                           "reliability": ["low", None], "hover": ["Quiché: −0,30", "?"]})
    fig = unit_figures.territory_map(shapes, values, {"colorbar": "g", "no_result": "none", "low": "low"}, "es")
    grey, coloured, marks, scale = fig.data
    assert list(grey.x) == [-90, -89, -89, -90, None] and grey.fillcolor == "#d9d9d9"
    assert coloured.meta == {"location": "GT-14"} and coloured.text == "Quiché: −0,30"
    assert list(coloured.x) == [-91, -90, -90, -91, -91, None]
    # the most negative effect takes the purple end of the reversed PuOr scale
    assert coloured.fillcolor == "rgb(45, 0, 75)"
    assert list(marks.x) == [-90.5] and list(marks.y) == [15.5] and marks.marker.symbol == "circle-open"
    assert (scale.marker.cmin, scale.marker.cmax) == (-0.3, 0.3)
    assert fig.layout.yaxis.scaleanchor == "x" and 1.03 < fig.layout.yaxis.scaleratio < 1.04  # 1 / cos(15.5°)
    assert unit_figures.territory_map(shapes, values.iloc[1:], {}, "es") is None


def test_coverage_heatmap_and_school_series():
    cov = pd.DataFrame({"panel": ["CO", "CO", "GT"], "indicator": ["a", "a", "b"], "year": [2020, 2021, 2024],
                        "units": [5, 6, 7]})
    spec = json.loads(unit_figures.coverage_heatmap(cov, {"colorbar": "units"}, "en").to_json())
    assert [t["type"] for t in spec["data"]] == ["heatmap", "heatmap"]
    assert spec["data"][0]["colorscale"][0][1].startswith("rgb(0,32,76)") or spec["data"][0]["colorscale"]
    series = pd.DataFrame({"year": [2018, 2019, 2018, 2019], "series": ["school", "school", "ValleLabs", "ValleLabs"],
                           "value": [4.0, 3.0, 5.0, 4.5]})
    spec = json.loads(unit_figures.school_series(series, {"school": "This school"}, "en", 2019).to_json())
    assert [t["name"] for t in spec["data"]] == ["ValleLabs", "This school"]
    assert spec["data"][1]["line"]["color"] == "#000000"
