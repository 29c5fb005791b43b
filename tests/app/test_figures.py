"""Figure builders (analysis/figures.py): pure functions tested without Streamlit."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis import figures, periods

TEXTS = {"x_title": "g", "suppressed": "suppressed", "no_estimate": "no estimate", "low": "low reliability",
         "pre": "Before", "post": "After", "comparison": "Comparison schools", "counterfactual": "Without programme",
         "y_title": "mean", "significant": "q < 0.05", "not_significant": "q ≥ 0.05", "reference": "comparison"}


def _effects() -> pd.DataFrame:
    return pd.DataFrame({
        "program": ["MiLab", "ValleLabs", "ValleLabs", "MiLab", "MiLab"],
        "group": ["All", "All", "Girls", "Girls", "Boys"],
        "effect": [0.09, 0.16, 0.18, np.nan, 0.05],
        "low": [0.01, 0.12, 0.10, np.nan, -0.2],
        "high": [0.16, 0.20, 0.26, np.nan, 0.3],
        "reliability": ["ok", "ok", "ok", "suppressed", "low"],
    })


def test_programme_colours_are_fixed_and_colour_blind_safe():
    cmap = figures.color_map(["MiLab", "Otro", "comparison", "ValleLabs", "Zeta"])
    assert cmap["ValleLabs"] == "#0072B2" and cmap["MiLab"] == "#E69F00" and cmap["comparison"] == "#999999"
    assert cmap["Otro"] == "#009E73" and cmap["Zeta"] == "#CC79A7"  # next Okabe–Ito colours, by name
    assert periods.programme_order(["comparison", "MiLab", "Otro", "ValleLabs"]) == [
        "ValleLabs", "MiLab", "Otro", "comparison"]


def test_effect_panels_put_both_programmes_side_by_side():
    fig = figures.effect_panels(_effects(), TEXTS, "es")
    spec = json.loads(fig.to_json())
    points = {t["name"]: t for t in spec["data"] if t.get("mode") == "markers" and t["name"] in ("ValleLabs", "MiLab")}
    assert set(points) == {"ValleLabs", "MiLab"}
    assert points["ValleLabs"]["marker"]["color"] == "#0072B2" and points["MiLab"]["marker"]["color"] == "#E69F00"
    assert points["ValleLabs"]["xaxis"] == "x" and points["MiLab"]["xaxis"] == "x2"  # two panels
    assert spec["layout"]["xaxis2"]["matches"] == "x"  # one shared effect axis
    # MiLab: the suppressed girls have no point, only the word; boys are low reliability (open circle)
    assert points["MiLab"]["y"] == ["All", "Boys"]
    assert points["MiLab"]["marker"]["symbol"] == ["circle", "circle-open"]
    texts = [t for t in spec["data"] if t.get("mode") == "text"]
    assert texts and texts[0]["text"] == ["suppressed"] and texts[0]["y"] == ["Girls"]
    assert spec["layout"]["separators"] == ",."
    assert any(t["name"] == "low reliability" for t in spec["data"])
    error = next(t for t in fig.data if t.name == "ValleLabs").error_x
    assert error.array[0] == pytest.approx(0.04) and error.arrayminus[0] == pytest.approx(0.04)


def test_english_uses_a_decimal_point():
    spec = json.loads(figures.effect_panels(_effects(), TEXTS, "en").to_json())
    assert spec["layout"]["separators"] == ".,"


def test_prepost_means_draws_the_difference_in_differences():
    means = pd.DataFrame({
        "panel": ["CO"] * 4, "program": ["ValleLabs", "ValleLabs", "comparison", "comparison"],
        "period": ["pre", "post", "pre", "post"], "mean": [48.0, 53.0, 50.0, 52.0],
        "ci_low": [47.0, 52.0, 49.0, 51.0], "ci_high": [49.0, 54.0, 51.0, 53.0], "units": [10, 10, 8, 8],
    })
    spec = json.loads(figures.prepost_means(means, TEXTS, "en").to_json())
    names = [t["name"] for t in spec["data"]]
    assert names[:2] == ["ValleLabs", "Comparison schools"]
    counterfactual = next(t for t in spec["data"] if t["name"] == "Without programme")
    # the programme's pre mean plus the comparison group's change: 48 + (52 - 50) = 50; DiD = 53 - 50 = 3
    assert counterfactual["y"] == [48.0, 50.0]
    assert counterfactual["line"]["dash"] == "dash"


def test_cluster_means_match_statsmodels_cluster_robust_mean():
    """Our CRV1 interval of a mean equals OLS on a constant with errors clustered by school (t, G-1 df)."""
    rng = np.random.default_rng(3)
    rows = []
    for school in range(12):
        n = int(rng.integers(5, 40))
        effect = rng.normal(0, 3)
        for y in rng.normal(50 + effect, 10, n):
            rows.append((school, y))
    students = pd.DataFrame(rows, columns=["school", "y"])
    units = students.groupby("school")["y"].agg(n="size", mean="mean").reset_index().assign(g="all")
    ours = figures.cluster_means(units, ["g"], weighted=True).iloc[0]
    fit = sm.OLS(students["y"], np.ones(len(students))).fit(cov_type="cluster",
                                                            cov_kwds={"groups": students["school"]}, use_t=True)
    low, high = fit.conf_int(alpha=0.05).iloc[0]
    assert ours["mean"] == pytest.approx(students["y"].mean())
    assert ours["units"] == 12
    # statsmodels uses G-1 df for cluster-robust t inference, as we do
    assert ours["ci_low"] == pytest.approx(low, rel=1e-9) and ours["ci_high"] == pytest.approx(high, rel=1e-9)


def test_cluster_means_unweighted_is_the_t_interval_over_units():
    units = pd.DataFrame({"g": ["a"] * 4, "n": [3, 50, 7, 9], "mean": [1.0, 2.0, 3.0, 6.0]})
    ours = figures.cluster_means(units, ["g"], weighted=False).iloc[0]
    from scipy import stats

    ci = stats.ttest_1samp([1.0, 2.0, 3.0, 6.0], 0).confidence_interval()
    assert ours["mean"] == pytest.approx(3.0)
    assert (ours["ci_low"], ours["ci_high"]) == pytest.approx((ci.low, ci.high))


def test_binned_shares_suppress_small_bins():
    hist = pd.DataFrame({"program": ["A"] * 3, "period": ["pre"] * 3, "bin": [0, 1, 2], "lo": [0, 1, 2],
                         "hi": [1, 2, 3], "count": [5, 40, 55]})
    out = figures.binned_shares(hist, ["program", "period"], 10)
    assert out["suppressed"].tolist() == [True, False, False]
    assert np.isnan(out["share"].iloc[0]) and np.isnan(out["count"].iloc[0])
    assert out["share"].iloc[1:].tolist() == pytest.approx([40.0, 55.0])  # shares of the full total
    assert figures.binned_shares(hist, ["program", "period"], None)["suppressed"].sum() == 0


def test_ranked_orders_territories_and_marks_low_reliability():
    data = pd.DataFrame({"program": ["MiLab"] * 3 + ["ValleLabs"], "label": ["Petén", "Quiché", "Izabal", "Valle"],
                         "effect": [-0.5, 0.2, np.nan, -1.0], "low": [-0.9, -0.1, np.nan, -1.1],
                         "high": [-0.1, 0.5, np.nan, -0.9], "reliability": ["ok", "low", "low", "ok"]})
    spec = json.loads(figures.ranked(data, TEXTS, "es").to_json())
    milab = next(t for t in spec["data"] if t.get("name") == "MiLab")
    assert milab["y"] == ["Petén", "Quiché"] and milab["marker"]["symbol"] == ["circle", "circle-open"]
    no_estimate = next(t for t in spec["data"] if t.get("mode") == "text")
    assert no_estimate["y"] == ["Izabal"] and no_estimate["text"] == ["no estimate"]
    assert spec["layout"]["yaxis2"]["categoryarray"] == ["Izabal", "Petén", "Quiché"]  # largest on top


def test_caterpillar_fills_points_with_small_q_and_draws_the_reference():
    data = pd.DataFrame({"program": ["ValleLabs"] * 3, "unit_id": ["a", "b", "c"], "effect": [0.5, 0.1, 0.3],
                         "low": [0.3, -0.1, 0.1], "high": [0.7, 0.3, 0.5], "q_value": [0.01, 0.6, 0.04],
                         "reliability": ["low"] * 3})
    fig = figures.caterpillar(data, TEXTS, "en", {"ValleLabs": 0.2})
    spec = json.loads(fig.to_json())
    filled = next(t for t in fig.data if t.name == "ValleLabs · q < 0.05")
    empty = next(t for t in fig.data if t.name == "ValleLabs · q ≥ 0.05")
    assert list(filled.x) == [2, 3] and list(filled.y) == [0.3, 0.5]  # ranks after sorting
    assert list(empty.x) == [1] and empty.marker.symbol == "circle-open"
    assert any(s.get("y0") == 0.2 and s["line"]["dash"] == "dash" for s in spec["layout"]["shapes"])


def test_territory_map_only_when_boundaries_match():
    """Filled polygons on lon/lat axes (a plotly geo map needs a CDN and stays blank offline)."""
    square = {"type": "Polygon", "coordinates": [[[-91, 15], [-90, 15], [-90, 16], [-91, 16], [-91, 15]]]}
    other = {"type": "MultiPolygon", "coordinates": [[[[-90, 15], [-89, 15], [-89, 16], [-90, 15]]]]}
    shapes = pd.DataFrame({"location": ["GT-14", "GT-17"], "country": ["GT", "GT"], "name": ["Quiché", "Petén"],
                           "geojson": [json.dumps({"type": "Feature", "geometry": g}) for g in (square, other)]})
    values = pd.DataFrame({"location": ["GT-14", "GT-99"], "country": ["GT", "GT"], "effect": [-0.3, 0.1],
                           "reliability": ["low", None], "hover": ["Quiché: −0,30", "?"]})
    fig = figures.territory_map(shapes, values, {"colorbar": "g", "no_result": "none", "low": "low"}, "es")
    grey, coloured, marks, scale = fig.data
    assert list(grey.x) == [-90, -89, -89, -90, None] and grey.fillcolor == "#d9d9d9"
    assert coloured.meta == {"location": "GT-14"} and coloured.text == "Quiché: −0,30"
    assert list(coloured.x) == [-91, -90, -90, -91, -91, None]
    # the most negative effect takes the purple end of the reversed PuOr scale
    assert coloured.fillcolor == "rgb(45, 0, 75)"
    assert list(marks.x) == [-90.5] and list(marks.y) == [15.5] and marks.marker.symbol == "circle-open"
    assert (scale.marker.cmin, scale.marker.cmax) == (-0.3, 0.3)
    assert fig.layout.yaxis.scaleanchor == "x" and 1.03 < fig.layout.yaxis.scaleratio < 1.04  # 1 / cos(15.5°)
    assert figures.territory_map(shapes, values.iloc[1:], {}, "es") is None


def test_territory_locations_prefer_the_units_the_database_holds():
    from analysis.queries import map_context, territory_locations

    shapes = pd.DataFrame({
        "country": ["CO", "CO", "CO", "GT", "GT", "GT"], "code": ["76020", "05055", "05001", "12-01", "12-24", "07-19"],
        "location": ["CO-76020", "CO-05055", "CO-05001", "GT-12-01", "GT-12-24", "GT-07-19"],
        "name": ["Argelia", "ARGELIA", "Medellín", "San Pedro", "San Pedro", "Santiago Atitlán"],
        "in_units": [True, False, False, False, False, True]})
    groups = pd.DataFrame({"country": ["CO", "CO", "GT", "GT", "GT"],
                           "label": ["argelia", "Medellin", "San Pedro", "SANTIAGO ATITLAN", None]})
    got = territory_locations(groups, shapes)
    assert got.tolist() == ["CO-76020", "CO-05001", None, "GT-07-19", None]
    context = map_context(shapes, ["CO-76020"], "municipality")
    assert context["location"].tolist() == ["CO-76020"]
    assert map_context(shapes, ["GT-07-19"], "department")["country"].eq("GT").all()


def test_coverage_heatmap_and_school_series():
    cov = pd.DataFrame({"panel": ["CO", "CO", "GT"], "indicator": ["a", "a", "b"], "year": [2020, 2021, 2024],
                        "units": [5, 6, 7]})
    spec = json.loads(figures.coverage_heatmap(cov, {"colorbar": "units"}, "en").to_json())
    assert [t["type"] for t in spec["data"]] == ["heatmap", "heatmap"]
    assert spec["data"][0]["colorscale"][0][1].startswith("rgb(0,32,76)") or spec["data"][0]["colorscale"]
    series = pd.DataFrame({"year": [2018, 2019, 2018, 2019], "series": ["school", "school", "ValleLabs", "ValleLabs"],
                           "value": [4.0, 3.0, 5.0, 4.5]})
    spec = json.loads(figures.school_series(series, {"school": "This school"}, "en", 2019).to_json())
    assert [t["name"] for t in spec["data"]] == ["ValleLabs", "This school"]
    assert spec["data"][1]["line"]["color"] == "#000000"


def test_builders_and_sentences_are_pure_and_pages_thin():
    """analysis/figures.py and plain_language.py never import Streamlit or ui; pages hold no SQL or analysis."""
    import ast

    from tests.conftest import ROOT

    for name in ("figures.py", "plain_language.py"):
        tree = ast.parse((ROOT / "analysis" / name).read_text(encoding="utf-8"))
        imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not imported & {"streamlit", "ui", "pages", "duckdb"}, name
    for page in sorted((ROOT / "pages").glob("*.py")):
        text = page.read_text(encoding="utf-8")
        assert "SELECT " not in text and "import duckdb" not in text and "compare(" not in text, page.name


def test_slope_panels_follow_programme_order_not_row_order():
    """MiLab's country listed first in the rows still gets the second panel: ValleLabs is always first."""
    means = pd.DataFrame({"panel": ["Guatemala", "Guatemala", "Colombia", "Colombia"],
                          "program": ["MiLab", "comparison", "ValleLabs", "comparison"],
                          "unit_id": ["g1", "g2", "c1", "c2"], "pre": [1.0, 2.0, 3.0, 4.0],
                          "post": [2.0, 2.0, 4.0, 4.0]})
    fig = figures.slopes(means, {"pre": "antes", "post": "después"}, "es")
    assert [a.text for a in fig.layout.annotations][:2] == ["Colombia", "Guatemala"]


def test_numbers_use_a_real_minus_sign():
    from ui.i18n import number

    assert number(-1234.5, 1) in ("\u22121.234,5", "\u22121,234.5")  # Spanish or English convention
    assert number(1234.5, 1) in ("1.234,5", "1,234.5")
