"""Panels side by side split into one figure each (analysis/panels.py): one value scale, one legend, every
panel readable alone; pure functions, no Streamlit."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis import figures, panels, unit_figures
from tests.figures.figure_texts import TEXTS, effects


def _spec(fig) -> dict:
    return json.loads(fig.to_json())


def _legend(spec: dict) -> list[str]:
    """The legend entries plotly.js draws, in its order (legendrank, then trace order)."""
    if not spec["layout"].get("showlegend"):
        return []
    shown = [(t.get("legendrank", 1000), i, t["name"]) for i, t in enumerate(spec["data"])
             if t.get("showlegend") is not False]
    return [name for _, _, name in sorted(shown)]


def _plot_height(spec: dict) -> float:
    return spec["layout"]["height"] - spec["layout"]["margin"]["t"] - spec["layout"]["margin"]["b"]


def test_effect_panels_split_keep_one_effect_scale_and_one_legend():
    data = effects()
    whole = figures.effect_panels(data, TEXTS, "es")
    first, second = (_spec(f) for f in panels.split(whole))
    assert [first["layout"]["title"]["text"], second["layout"]["title"]["text"]] == ["ValleLabs", "MiLab"]
    # one scale: the same explicit range on both, holding every interval end of both programmes and zero
    # (ValleLabs reaches 0.26, MiLab's boys go down to -0.2), with a little room around them
    low, high = first["layout"]["xaxis"]["range"]
    assert second["layout"]["xaxis"]["range"] == [low, high]
    assert low == pytest.approx(-0.2 - 0.06 * 0.5) and high == pytest.approx(0.3 + 0.06 * 0.5)
    # each panel draws only its own programme, on its own axes, with its group labels shown
    assert {t["name"] for t in first["data"] if t.get("mode") == "markers" and t.get("x") != [None]} \
        >= {"ValleLabs"}
    assert all(t.get("xaxis", "x") == "x" for t in first["data"] + second["data"])
    assert second["layout"]["yaxis"].get("showticklabels") is not False
    assert next(t for t in second["data"] if t["name"] == "MiLab")["y"] == ["All", "Boys"]
    assert len(first["layout"]["shapes"]) == len(second["layout"]["shapes"]) == 1  # the zero line of each
    # one legend, on the first panel, with every entry of the whole chart once and in its order
    assert _legend(first) == ["ValleLabs", "MiLab", "low reliability"]
    assert _legend(second) == [] and second["layout"]["showlegend"] is False
    assert first["layout"]["legend"]["y"] == 0 and first["layout"]["legend"]["yanchor"] == "bottom"
    assert first["layout"]["legend"]["itemclick"] is False  # a key, not a switch of one panel's traces
    # the legend's room is added under the first panel only: plot areas as tall as each other
    assert first["layout"]["height"] > second["layout"]["height"] == whole.layout.height
    assert _plot_height(first) == _plot_height(second)
    # the axis title under every panel (each is read alone on a phone)
    assert [a["name"] for a in first["layout"]["annotations"]] == ["x_title"]
    assert [a.get("name") for a in second["layout"]["annotations"]] == [None, "x_title"]
    # MiLab's suppressed row says so at the left edge of its own plot area, never at zero on the zero line
    word = second["layout"]["annotations"][0]
    assert (word["text"], word["xref"], word["yref"], word["x"], word["xanchor"]) == (
        "suppressed", "x domain", "y", 0, "left")


def test_panels_that_do_not_share_an_axis_keep_their_own_scale_and_every_panel_its_axis_title():
    means = pd.DataFrame({
        "panel": ["Colombia"] * 4 + ["Guatemala"] * 2,
        "program": ["ValleLabs"] * 2 + ["comparison"] * 2 + ["MiLab"] * 2,
        "period": ["pre", "post"] * 3, "mean": [48.0, 53.0, 50.0, 52.0, 470.0, 510.0],
        "ci_low": [47.0, 52.0, 49.0, 51.0, 460.0, 500.0], "ci_high": [49.0, 54.0, 51.0, 53.0, 480.0, 520.0],
        "units": [10, 10, 8, 8, 9, 9]})
    first, second = (_spec(f) for f in panels.split(figures.prepost_means(means, TEXTS, "en")))
    assert "range" not in first["layout"]["yaxis"] and "range" not in second["layout"]["yaxis"]  # countries' scales
    assert first["layout"]["yaxis"]["title"]["text"] == second["layout"]["yaxis"]["title"]["text"] == "mean"
    assert _legend(first) == ["ValleLabs", "Comparison schools", "Without programme", "MiLab"]
    milab = next(t for t in first["data"] if t["name"] == "MiLab")  # a legend entry only: no point in Colombia
    assert milab["x"] == [None] and milab["line"]["color"] == figures.PROGRAMME_COLORS["MiLab"]


def test_one_panel_is_left_as_it_is_and_a_map_keeps_its_colour_bar_once():
    one = figures.effect_panels(effects().query("program == 'MiLab'"), TEXTS, "es")
    assert panels.split(one) == [one]
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    shapes = pd.DataFrame({"location": ["CO-1", "GT-1"], "country": ["CO", "GT"], "name": ["a", "b"],
                           "geojson": [json.dumps(square)] * 2})
    values = pd.DataFrame({"location": ["CO-1", "GT-1"], "country": ["CO", "GT"], "effect": [0.2, -0.4],
                           "reliability": ["ok", "low"], "hover": ["a", "b"]})
    whole = unit_figures.territory_map(shapes, values, {"CO": "Colombia"}, "es")
    first, second = (_spec(f) for f in panels.split(whole))
    key = _spec(panels.key(whole))
    # the colour bar and the legend once, in a key of their own drawn under both maps (under Colombia's map
    # they read as Colombia's while the open circle is on Guatemala's)
    bars = [t for s in (first, second, key) for t in s["data"] if (t.get("marker") or {}).get("showscale")]
    assert len(bars) == 1 and bars[0] in key["data"] and bars[0]["marker"]["colorbar"]["orientation"] == "h"
    assert _legend(key) == ["low"] and _legend(first) == _legend(second) == []
    assert [t["x"] for t in key["data"]] == [[None], [None]]  # a key: no map of its own
    assert key["layout"]["height"] < 200 and not key["layout"]["xaxis"]["visible"]
    # the open circle stays on Guatemala's map
    assert any(t.get("marker", {}).get("symbol") == "circle-open" for t in second["data"])
    assert second["layout"]["yaxis"]["scaleanchor"] == "x"  # each map keeps its aspect
    assert first["layout"]["title"]["text"] == "Colombia" and second["layout"]["title"]["text"] == "GT"
    assert first["layout"]["height"] == second["layout"]["height"] and _plot_height(first) == _plot_height(second)
    assert panels.key(figures.effect_panels(effects(), TEXTS, "es")) is None  # other charts: legend on panel 1


def test_legend_rows_and_long_titles_fit_a_phone():
    assert panels.legend_rows(["ValleLabs", "MiLab"]) == 1
    # 40 px of symbol and gaps plus 7.2 px a character: three 30-character entries need three rows at 320 px
    assert panels.legend_rows(["x" * 30] * 3) == 3
    assert panels.wrap_title("ValleLabs · Colombia (2019 → 2023)") == "ValleLabs · Colombia (2019 → 2023)"
    assert panels.wrap_title("ValleLabs · Colombia (2019–2020 → 2022–2023)") == \
        "ValleLabs · Colombia<br>(2019–2020 → 2022–2023)"
    assert panels.wrap_title("MiLab") == "MiLab"
    assert panels.wrap_axis_title("Diferencia en diferencias (puntos porcentuales)<br>menos es mejor") == \
        "Diferencia en diferencias<br>(puntos porcentuales)<br>menos es mejor"


def test_extent_reads_plotly_typed_arrays():
    fig = figures.effect_panels(effects(), TEXTS, "es")
    spec = fig.to_plotly_json()
    assert isinstance(spec["data"][0]["x"], dict)  # plotly 6 sends numbers as base64 typed arrays
    low, high = panels._extent(spec["data"], [], "x", {"x", "x2"})
    assert (low, high) == pytest.approx((-0.2 - 0.03, 0.3 + 0.03))
    assert np.isfinite([low, high]).all()


def test_schools_of_both_programmes_on_one_effect_scale():
    """The caterpillar's panels share the effect axis: one range from both programmes' intervals and the
    reference lines (MiLab's reference at -0.6 lies below every interval)."""
    data = pd.DataFrame({"program": ["ValleLabs"] * 2 + ["MiLab"] * 2, "unit_id": ["a", "b", "c", "d"],
                         "effect": [0.5, 0.1, 0.3, 1.2], "low": [0.3, -0.1, 0.1, 0.9], "high": [0.7, 0.3, 0.5, 1.5],
                         "q_value": [0.01, 0.6, 0.04, 0.2], "reliability": ["low"] * 4})
    fig = unit_figures.caterpillar(data, TEXTS, "en", {"ValleLabs": 0.2, "MiLab": -0.6})
    first, second = (_spec(f) for f in panels.split(fig))
    span = 1.5 - (-0.6)
    assert first["layout"]["yaxis"]["range"] == second["layout"]["yaxis"]["range"] == \
        pytest.approx([-0.6 - 0.06 * span, 1.5 + 0.06 * span])
    assert second["layout"]["yaxis"]["title"]["text"] == first["layout"]["yaxis"]["title"]["text"] == "mean"


def test_a_territory_panel_is_as_tall_as_its_own_rows_and_the_tops_stay_level():
    """One department beside eleven: the one-row panel takes one row's room (it took eleven's, ~350 px)."""
    data = pd.DataFrame({"program": ["ValleLabs"] + ["MiLab"] * 11, "label": ["Valle"] + [f"d{i}" for i in range(11)],
                         "effect": np.linspace(-1.0, -0.5, 12), "low": np.linspace(-1.2, -0.7, 12),
                         "high": np.linspace(-0.8, -0.3, 12), "reliability": ["ok"] + ["low"] * 11})
    whole = unit_figures.ranked(data, TEXTS, "es")
    first, second = (_spec(f) for f in panels.split(whole))
    assert [first["layout"]["title"]["text"], second["layout"]["title"]["text"]] == ["ValleLabs", "MiLab"]
    assert second["layout"]["height"] == whole.layout.height == 110 + 28 * 11
    # ValleLabs' plot area: its one row (the floor), eleven rows' worth less than MiLab's; tops level
    assert _plot_height(second) - _plot_height(first) == whole.layout.height - unit_figures.PANEL_MIN_PX
    assert 28 <= _plot_height(first) <= 60
    assert first["layout"]["margin"]["t"] == second["layout"]["margin"]["t"]
    assert "meta" not in first["layout"] and "meta" not in second["layout"]
