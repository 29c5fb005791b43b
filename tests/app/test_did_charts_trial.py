"""Comparar's charts draw the schools its DiD compares: a randomised trial's schools (programme and comparison),
which the observational DiD leaves out (analysis/compare/did.py; docs/METHODS.md "Designs" 2), are left out
of the means, the distribution and the school lines too, so the gap drawn at "after" is the estimate above."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.compare import compare
from analysis.compare.did import TRIAL_UNITS_SQL
from ui import compare_view
from ui.loaders import histogram, sql


def test_means_chart_gap_is_the_did_estimate_on_the_did_units(demo_db):
    trial = set(sql(TRIAL_UNITS_SQL)["unit_id"].astype(str))
    assert trial  # the demo's MiLab trial: without it this test could not fail
    did = compare(demo_db, "score_math", design="did").set_index("program")
    chart = compare_view.means_chart("score_math")
    for program, row in did.iterrows():
        col = next(i for i, a in enumerate(chart.fig.layout.annotations, start=1) if a.text.startswith(program))
        axis = "x" if col == 1 else f"x{col}"
        traces = {tr.name: tr for tr in chart.fig.data if tr.xaxis == axis}
        drawn = next(tr for name, tr in traces.items() if name == program)
        counterfactual = next(tr for tr in traces.values() if tr.line.dash == "dash")
        # the schools drawn are the DiD's, on both sides
        comparison = next(tr for tr in traces.values() if tr.legendgroup == "comparison" and tr.line.dash != "dash")
        assert list(drawn.customdata) == [row["n_treated"]] * 2
        assert list(comparison.customdata) == [row["n_comparison"]] * 2
        # the gap at "after" between the programme and its counterfactual path is the DiD estimate (to the
        # rounding of the four published means: disclosure.round_published)
        assert drawn.y[1] - counterfactual.y[1] == pytest.approx(row["estimate"], abs=0.02)
    units = compare_view.unit_data("score_math", None, None)
    assert not set(units["unit_id"].astype(str)) & trial
    # the distribution counts the same students as the means (no trial school's)
    guatemala = units[units["country"] == "GT"]
    hist = histogram("score_math", "GT", None)
    hist = hist[hist["program"].isin(guatemala["program"].unique())]
    np.testing.assert_array_equal(hist.groupby(["program", "period"])["count"].sum().sort_index().to_numpy(),
                                  guatemala.groupby(["program", "period"])["n"].sum().sort_index().to_numpy())
