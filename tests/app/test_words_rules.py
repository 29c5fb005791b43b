"""Plain-language rules of issue 16, one AppTest each, on the shared demo database: one meaning for filled and
open marks; axis labels that say what the number is; the "lower is better" cue on the chart and the card;
Inicio shows Logros' counts; the language stays in the URL."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from tests.app.apps import chart_specs, run_page
from ui.i18n import catalogue


def _run(lang: str | None, page: str | None = None, **params: str) -> AppTest:
    return run_page(page, lang, **params)


def _charts(at: AppTest) -> list[dict]:
    return chart_specs(at)  # a chart's panels (drawn in columns) as one spec


def _title(axis: dict) -> str:
    title = axis.get("title", {})
    return title.get("text", "") if isinstance(title, dict) else str(title)


def test_open_marks_mean_low_reliability_on_the_schools_chart_too():
    at = _run("es", "escuelas", indicador="score_math")
    cat = catalogue("es")
    caterpillar = _charts(at)[0]
    marks = [(t["name"], s) for t in caterpillar["data"] if t.get("mode") == "markers"
             for s in ([t["marker"]["symbol"]] if isinstance(t["marker"]["symbol"], str) else t["marker"]["symbol"])]
    assert marks
    # every single school has low reliability: all marks open, the q-value said by the shape, not by filling
    assert all(s.endswith("-open") for _, s in marks)
    assert {s for n, s in marks if cat["schools.significant"] in n} <= {"diamond-open"}
    assert {s for n, s in marks if cat["schools.not_significant"] in n} <= {"circle-open"}
    assert "● resultado con confiabilidad adecuada" in cat["chart.marks"]  # the legend below says the same


def test_rate_axes_say_school_rate_and_lower_is_better_on_chart_and_card():
    cat = catalogue("es")
    at = _run("es", "comparar", indicador="dropout_rate")
    effects, means = _charts(at)[0], _charts(at)[1]
    cue = cat["direction.lower_better"]
    x_title = next(a["text"] for a in effects["layout"]["annotations"] if a.get("name") == "x_title")
    # under each panel, the cue on its own line (and, too long for a phone's panel, the unit on its own too)
    assert x_title.replace("<br>(", " (") == f"{cat['compare.axis.pp']}<br>{cue}"
    assert _title(means["layout"]["yaxis"]) == f"{cat['compare.axis.mean_rate']} · {cue}"
    assert cat["compare.axis.mean"] not in json.dumps(means)  # not "Promedio (escala del país)" for a rate
    captions = [c.value for c in at.caption]
    assert cat["compare.scope_all_schools"] in " ".join(captions)
    assert not any(c.startswith(cat["compare.scope_all"]) for c in captions)  # not "Todos los estudiantes."
    home = _run("es")
    retention = [c.value for c in home.caption if cue in c.value]
    assert len(retention) == 2  # the dropout line of each programme's card says it, not only a tooltip


def test_home_shows_the_achievement_counts_of_logros():
    home = _run("en")
    logros = _run("en", "logros")
    cat = catalogue("en")
    counts = {m.label: m.value for m in logros.metric}
    expected = " · ".join(f"{cat[f'verdict.{s}']}: {counts[cat[f'verdict.{s}']]}"
                          for s in ("achieved", "not_achieved", "not_enough"))
    assert expected in [c.value for c in home.caption]


def test_the_language_stays_in_the_url():
    at = _run(None, "comparar")  # no ?lang= in the link: the language chosen is written into the URL
    assert at.query_params["lang"] == "es"
    at.selectbox(key="lang").set_value("en").run()
    assert at.query_params["lang"] == "en" and at.title[0].value == catalogue("en")["page.compare"]
    assert at.selectbox(key="lang").format_func("es") == "Español"  # each language by its own name


def test_the_coverage_heatmap_names_indicators():
    at = _run("es", "datos")
    heatmap = next(c for c in _charts(at) if any(d.get("type") == "heatmap" for d in c["data"]))
    rows = {y for d in heatmap["data"] if d.get("type") == "heatmap" for y in d["y"]}
    assert "Puntaje en matemáticas" in rows and "score_math" not in rows
