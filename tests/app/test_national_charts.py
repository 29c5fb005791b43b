"""Per-school charts at national scale (issue #6): a stated, seeded sample of slope lines, figures built from
arrays, school hover texts and tables translated once per distinct value — with the same numbers and words."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import ui.charts
import ui.i18n
from analysis import figures
from ui import compare_view, schools_view
from ui import format as fmt
from ui.i18n import t


@pytest.fixture(params=["es", "en"])
def language(request, monkeypatch) -> str:
    """The session language outside a Streamlit run (t(), number() and the figure builders read it)."""
    monkeypatch.setattr(ui.i18n, "current_language", lambda: request.param)
    monkeypatch.setattr(ui.charts, "current_language", lambda: request.param)
    monkeypatch.setattr(fmt, "current_language", lambda: request.param)
    return request.param


def _units(counts: dict[tuple[str, str], int], seed: int = 3) -> pd.DataFrame:
    """unit_data()-shaped rows (one per school and period) for ``counts[(panel, program)]`` schools."""
    rng = np.random.default_rng(seed)
    rows = []
    for (panel, program), n in counts.items():
        for i in range(n):
            unit = f"{panel[:2].upper()}-{program[:3]}-{i:05d}"
            pre = float(rng.normal(250, 20))
            for period, mean in (("pre", pre), ("post", pre + float(rng.normal(3, 5)))):
                rows.append({"unit_id": unit, "program": program, "period": period, "mean": round(mean, 3),
                             "n": int(rng.integers(10, 60)), "panel": panel, "programme_panel": program})
    return pd.DataFrame(rows)


def _lines(trace) -> np.ndarray:
    """A slope trace's (pre, post) pairs: x is 0, 1, NaN per school."""
    y = np.asarray(trace.y, dtype=float).reshape(-1, 3)
    x = np.asarray(trace.x, dtype=float).reshape(-1, 3)
    assert (x[:, 0] == 0).all() and (x[:, 1] == 1).all() and np.isnan(x[:, 2]).all() and np.isnan(y[:, 2]).all()
    return y[:, :2]


def test_sample_per_group_caps_each_group_and_does_not_depend_on_row_order():
    frame = pd.DataFrame({"g": ["a"] * 50 + ["b"] * 7, "unit_id": [f"u{i:03d}" for i in range(57)],
                          "v": np.arange(57.0)})
    drawn = figures.sample_per_group(frame, ["g"], 10, seed=0)
    assert drawn["g"].value_counts().to_dict() == {"a": 10, "b": 7}  # b under the cap: whole
    assert drawn["unit_id"].is_unique and drawn.index.is_monotonic_increasing  # the frame's order kept
    shuffled = figures.sample_per_group(frame.sample(frac=1, random_state=5), ["g"], 10, seed=0)
    assert set(shuffled["unit_id"]) == set(drawn["unit_id"])
    assert set(figures.sample_per_group(frame, ["g"], 10, seed=1)["unit_id"]) != set(drawn["unit_id"])
    assert figures.sample_per_group(frame, ["g"], 100).equals(frame)


def test_slope_chart_states_its_sample_and_the_table_keeps_every_school(language, demo_db):
    cap = figures.SLOPE_MAX_LINES
    counts = {("ValleLabs · Colombia", "ValleLabs"): cap + 250, ("ValleLabs · Colombia", "comparison"): 2 * cap,
              ("MiLab · Guatemala", "MiLab"): 40, ("MiLab · Guatemala", "comparison"): 300}
    units = _units(counts)
    chart = compare_view._slope_chart_build("score_math", units)
    traces = [tr for tr in chart.fig.data if tr.customdata is not None]
    assert {tr.type for tr in traces} == {"scattergl"}  # over GL_POINTS points in a trace: WebGL
    # a crowd of lines is drawn faint (they add up in WebGL); the legend has one clear entry per group
    assert all(tr.opacity < 0.4 for tr in traces if len(tr.y) > 3 * 300)
    legend = [(tr.name, tr.opacity) for tr in chart.fig.data if tr.showlegend is not False]
    assert sorted(n for n, _ in legend) == sorted(["ValleLabs", "MiLab", t("prog.comparison")])
    assert all(o >= 0.4 for _, o in legend)
    y = {(tr.xaxis, tr.legendgroup): _lines(tr) for tr in traces}
    drawn = sum(len(v) for v in y.values())
    total = sum(counts.values())
    assert drawn == 2 * cap + 40 + 300
    # the sentence states exactly the lines drawn, of every school, and how they were chosen
    assert t("compare.summary_slopes_sample", drawn=fmt.num(drawn, 0), total=fmt.num(total, 0),
             cap=fmt.num(cap, 0), seed=figures.SLOPE_SEED) in chart.summary
    # the table (and its CSV) holds every school; the points drawn are those schools' own means
    assert len(chart.table) == total
    table = chart.table.rename(columns={t("col.unit_id"): "unit_id", t("col.pre"): "pre", t("col.post"): "post"})
    wide = table.set_index("unit_id")[["pre", "post"]]
    for tr in traces:
        ids = np.asarray(tr.customdata, dtype=object).reshape(-1, 3)[:, 0]
        codes = [str(c).split("<br>")[0] for c in ids]
        np.testing.assert_allclose(_lines(tr), wide.loc[codes].to_numpy(dtype=float))
    assert {(k[0], k[1]): len(v) for k, v in y.items()} == {
        ("x", "comparison"): cap, ("x", "ValleLabs"): cap, ("x2", "comparison"): 300, ("x2", "MiLab"): 40}
    # the share that rose is computed on every school, not on the sample
    share = (units.pivot_table(index="unit_id", columns="period", values="mean").eval("post > pre")
             [units.drop_duplicates("unit_id").set_index("unit_id")["program"] == "ValleLabs"].mean())
    assert t("compare.summary_slopes_part", program="ValleLabs (Colombia)",
             share=fmt.num(100 * share, 0)) in chart.summary
    # each group by its name and country, the programme not named twice ("MiLab (MiLab · Guatemala)")
    assert f"{t('prog.comparison')} (Guatemala)" in chart.summary and "(ValleLabs ·" not in chart.summary


def test_slope_chart_draws_every_school_below_the_cap(language, demo_db):
    units = _units({("ValleLabs · Colombia", "ValleLabs"): 30, ("ValleLabs · Colombia", "comparison"): 45})
    chart = compare_view._slope_chart_build("score_math", units)
    traces = [tr for tr in chart.fig.data if tr.customdata is not None]
    assert {tr.type for tr in traces} == {"scatter"} and len(traces) == len(chart.fig.data) == 2
    assert sum(len(_lines(tr)) for tr in traces) == 75 == len(chart.table)
    assert t("compare.summary_slopes_sample").split("{")[0] not in chart.summary
    # x is numeric (0 = before, 1 = after) and labelled in the session's language; y goes as a binary array
    spec = json.loads(chart.fig.to_json())
    assert spec["layout"]["xaxis"]["ticktext"] == [t("period.pre"), t("period.post")]
    assert set(spec["data"][0]["y"]) == {"dtype", "bdata"}


def _school_rows() -> pd.DataFrame:
    return pd.DataFrame({
        "school": ["CO-1", "CO-2", "GT-3", "GT-4", "CO-5", "CO-6"],
        "name": ["Colegio Ñandú", "Sol", None, "Luna", "Mar", "Río"],
        "effect_size": [0.1234, -1234.5678, np.nan, 0.0, 0.004, -0.004],
        "es_ci_low": [0.01, -1300.0, np.nan, -0.2, np.nan, -0.5],
        "es_ci_high": [0.2, -1100.25, np.nan, 0.2, 0.3, 0.3],
        "q_value": [0.0004, 0.2, np.nan, 1.0, 0.001, 0.04999],
    })


@pytest.mark.parametrize("kind", ["hedges_g", "points", "pp", None])
def test_school_hover_texts_equal_the_shared_formatters(language, kind):
    rows = _school_rows()
    got = schools_view.hover_texts(rows, kind, language)

    def effect(r) -> str:  # a school without an interval and a q-value claims neither ("[sin intervalo] · q —")
        if r.q_value != r.q_value and (r.es_ci_low != r.es_ci_low or r.es_ci_high != r.es_ci_high):
            return f"{fmt.signed(r.effect_size, fmt.decimals_for(kind))} {fmt.unit(kind)}".strip()
        return fmt.effect(r.effect_size, r.es_ci_low, r.es_ci_high, kind)

    want = [f"<b>{r.school}</b> · {r.name}<br>{effect(r)}" + (f"<br>{fmt.q_value(r.q_value)}" if r.q_value == r.q_value
                                                               else "") for r in rows.itertuples(index=False)]
    assert got == want
    assert "q" not in got[2].split("<br>")[-1] and "[" not in got[2]
    if language == "es":
        assert "−1.234,57" in got[1] or "−1.234,6" in got[1]


def test_school_result_table_equals_the_shared_one(language, demo_db):
    outcome = schools_view.school_effects("score_math")
    assert outcome.ok
    frame = outcome.frame.merge(schools_view.schools()[["unit_id", "name", "lab_type", "start_year"]].rename(
        columns={"unit_id": "school"}), on="school", how="left")
    frame.loc[frame.index[:3], "flags"] = "pandemic_years,selection_low_baseline"  # words per code, also when combined
    got = schools_view.result_table(frame, schools_view.COLUMNS)
    want = fmt.result_table(frame, schools_view.COLUMNS)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))


def _show_app():
    """The script AppTest runs (its source alone, hence the imports inside)."""
    import os

    import pandas as pd
    import plotly.graph_objects as go

    from ui.charts import Chart, show

    rows = int(os.environ["LABLENS_TEST_ROWS"])
    frame = pd.DataFrame({"school": [f"S{i:04d}" for i in range(rows)], "value": [i / 4 for i in range(rows)]})
    show(Chart(go.Figure(go.Scatter(x=[0, 1], y=[1, 2])), "alt", "summary", frame), key="big")


@pytest.mark.parametrize("rows", [12, 3000])
def test_a_long_chart_table_is_built_when_its_expander_opens(rows, monkeypatch):
    """Up to MAX_ROWS rows the table is always there; beyond, only once the reader opens the expander
    (then the first MAX_ROWS rows and a CSV of them all, as ui.tables.table does everywhere)."""
    from streamlit.testing.v1 import AppTest

    from ui.tables import MAX_ROWS

    monkeypatch.setenv("LABLENS_TEST_ROWS", str(rows))
    at = AppTest.from_function(_show_app, default_timeout=30).run()
    assert not at.exception and at.caption[0].value == "summary" and len(at.expander) == 1
    if rows <= MAX_ROWS:
        assert len(at.dataframe[0].value) == rows
        return
    assert len(at.dataframe) == 0
    at.session_state["big-data"] = True  # the reader opens "Data behind the chart"
    at.run()
    assert len(at.dataframe[0].value) == MAX_ROWS and list(at.dataframe[0].value["school"])[:2] == ["S0000", "S0001"]
    assert len(at.get("download_button")) == 1


def test_slope_summary_names_the_groups_in_the_panels_order(language, demo_db):
    """Rows arriving MiLab first: the panels put ValleLabs' country first, and so does the sentence."""
    units = _units({("MiLab · Guatemala", "comparison"): 12, ("MiLab · Guatemala", "MiLab"): 11,
                    ("ValleLabs · Colombia", "comparison"): 13, ("ValleLabs · Colombia", "ValleLabs"): 14})
    chart = compare_view._slope_chart_build("score_math", units)
    titles = [f.layout.title.text for f in chart.panels]
    assert titles[0].startswith("ValleLabs") and titles[1].startswith("MiLab")
    at = [chart.summary.index(name) for name in ("ValleLabs (Colombia)", f"{t('prog.comparison')} (Colombia)",
                                                 "MiLab (Guatemala)", f"{t('prog.comparison')} (Guatemala)")]
    assert at == sorted(at)
    # the legend (under the first panel) in the same order: programmes, then the comparison schools
    legend = sorted((tr.legendrank, i, tr.name) for i, tr in enumerate(chart.panels[0].data)
                    if tr.showlegend is not False)
    assert [name for _, _, name in legend] == ["ValleLabs", "MiLab", t("prog.comparison")]
