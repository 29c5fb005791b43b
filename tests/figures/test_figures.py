"""Figure builders of analysis/figures.py (shared style, Comparar programas): pure functions tested
without Streamlit."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis import figures, periods
from tests.figures.figure_texts import TEXTS, effects


def test_programme_colours_are_fixed_and_colour_blind_safe():
    cmap = figures.color_map(["MiLab", "Otro", "comparison", "ValleLabs", "Zeta"])
    assert cmap["ValleLabs"] == "#0072B2" and cmap["MiLab"] == "#E69F00" and cmap["comparison"] == "#999999"
    assert cmap["Otro"] == "#009E73" and cmap["Zeta"] == "#CC79A7"  # next Okabe–Ito colours, by name
    assert periods.programme_order(["comparison", "MiLab", "Otro", "ValleLabs"]) == [
        "ValleLabs", "MiLab", "Otro", "comparison"]


def test_effect_panels_put_both_programmes_side_by_side():
    fig = figures.effect_panels(effects(), TEXTS, "es")
    spec = json.loads(fig.to_json())
    points = {t["name"]: t for t in spec["data"] if t.get("mode") == "markers" and t["name"] in ("ValleLabs", "MiLab")}
    assert set(points) == {"ValleLabs", "MiLab"}
    assert points["ValleLabs"]["marker"]["color"] == "#0072B2" and points["MiLab"]["marker"]["color"] == "#E69F00"
    assert points["ValleLabs"]["xaxis"] == "x" and points["MiLab"]["xaxis"] == "x2"  # two panels
    assert spec["layout"]["xaxis2"]["matches"] == "x"  # one shared effect axis
    # MiLab: the suppressed girls have no point, only the word; boys are low reliability (open circle)
    assert points["MiLab"]["y"] == ["All", "Boys"]
    assert points["MiLab"]["marker"]["symbol"] == ["circle", "circle-open"]
    # the word at the left edge of MiLab's plot area, not at zero where it ran into the zero line
    (word,) = [a for a in spec["layout"]["annotations"] if a["text"] == "suppressed"]
    assert (word["xref"], word["x"], word["xanchor"], word["yref"], word["y"]) == (
        "x2 domain", 0, "left", "y2", "Girls")
    held = [t for t in spec["data"] if t.get("name") == "suppressed"]  # the row kept on the axis, words on hover
    assert held[0]["y"] == ["Girls"] and held[0]["marker"]["opacity"] == 0 and held[0]["hoverinfo"] == "text"
    assert spec["layout"]["separators"] == ",."
    assert any(t["name"] == "low reliability" for t in spec["data"])
    error = next(t for t in fig.data if t.name == "ValleLabs").error_x
    assert error.array[0] == pytest.approx(0.04) and error.arrayminus[0] == pytest.approx(0.04)


def test_english_uses_a_decimal_point():
    spec = json.loads(figures.effect_panels(effects(), TEXTS, "en").to_json())
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


def test_slope_panels_follow_programme_order_not_row_order():
    """MiLab's country listed first in the rows still gets the second panel: ValleLabs is always first."""
    means = pd.DataFrame({"panel": ["Guatemala", "Guatemala", "Colombia", "Colombia"],
                          "program": ["MiLab", "comparison", "ValleLabs", "comparison"],
                          "unit_id": ["g1", "g2", "c1", "c2"], "pre": [1.0, 2.0, 3.0, 4.0],
                          "post": [2.0, 2.0, 4.0, 4.0]})
    fig = figures.slopes(means, {"pre": "antes", "post": "después"}, "es")
    assert [a.text for a in fig.layout.annotations][:2] == ["Colombia", "Guatemala"]
