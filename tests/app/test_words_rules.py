"""Plain-language rules of issue 16, one AppTest each, on the shared demo database: one meaning for filled and
open marks; axis labels that say what the number is; the "lower is better" cue on the chart and the card;
Inicio shows Logros' counts; the language stays in the URL."""

from __future__ import annotations

import json
import re

import pandas as pd
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


# --- no English and no codes on Spanish screens (dates, the file box, small-cell details) -----------------

ENGLISH_MONTHS = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")


def _page_text(at: AppTest) -> str:
    """Every text the page shows: Markdown, captions, alerts, widget labels and help, table cells, charts."""
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "error", "success", "subheader", "title")
             for e in getattr(at, kind)]
    parts += [str(getattr(w, "label", "")) + " " + str(getattr(w, "help", "") or "") for w in at.get("file_uploader")]
    parts += [df.value.to_csv() for df in at.dataframe]
    parts += [json.dumps(spec, ensure_ascii=False) for spec in _charts(at)]
    return "\n".join(parts)


def test_month_ticks_follow_the_readers_month_names_and_stay_few():
    from analysis.implementation.charts import MAX_MONTH_TICKS, month_ticks

    names = catalogue("es")["fmt.month_names"].split()
    months = pd.Series(pd.date_range("2022-02-01", "2022-12-01", freq="MS"))
    values, texts = month_ticks(months, names)
    # 11 months: every 2 months, aligned to January (mar, may, jul, sep, nov), each tick on a month of the data
    assert texts == ["mar 2022", "may 2022", "jul 2022", "sep 2022", "nov 2022"]
    assert values == [pd.Timestamp(f"2022-{m:02d}-01") for m in (3, 5, 7, 9, 11)]
    assert month_ticks(pd.Series(pd.date_range("2022-02-01", "2025-11-01", freq="MS")), names)[1] == [
        "2023", "2024", "2025"]  # 46 months: one tick a year (every 6 months would be 8 ticks)
    assert month_ticks(months[:1], names)[1] == ["feb 2022"]
    assert all(len(month_ticks(pd.Series(pd.date_range("2020-01-01", periods=n, freq="MS")), names)[0])
               <= MAX_MONTH_TICKS for n in (1, 5, 7, 13, 19, 37, 73, 150))


def test_implementacion_in_spanish_has_no_english_month_and_a_spanish_file_box():
    at = _run("es", "implementacion")
    cat = catalogue("es")
    timeline = next(c for c in _charts(at) if c["layout"].get("xaxis", {}).get("ticktext"))
    ticks = timeline["layout"]["xaxis"]["ticktext"]
    names = cat["fmt.month_names"].split()
    assert ticks and all(t.isdigit() or t.split()[0] in names for t in ticks)
    hovers = [m for d in timeline["data"] for row in d.get("customdata", []) for m in row[2:]]
    assert hovers and all(h.split()[0] in names for h in hovers)  # 'ene 2024', not '2024-01'
    text = _page_text(at)
    assert not ENGLISH_MONTHS.search(text), ENGLISH_MONTHS.search(text)
    config = json.loads(at.get("plotly_chart")[0].proto.config)  # plotly.js's own words come with each chart
    assert config["locale"] == "es" and config["locales"]["es"]["format"]["shortMonths"] == names
    assert config["locales"]["es"]["dictionary"]["Download plot as a PNG"] == cat["chart.plotly.download_png"]
    assert cat["upload.drop"].format(kinds="CSV o XLSX", limit=200) in text  # what to drop and the limit
    styles = " ".join(h.proto.body for h in at.get("html"))
    assert ".st-key-cost_file" in styles and "stFileUploaderDropzoneInstructions" in styles
    assert f'content: "{cat["upload.button"]}"' in styles  # the button's word from the catalogue
    assert f'content: "{cat["upload.dragging"]}"' in styles and ":not(:has(button))" in styles


def test_datos_in_spanish_names_small_cell_details_in_words():
    at = _run("es", "datos")
    text = _page_text(at)
    cat = catalogue("es")
    details = next(df.value for df in at.dataframe if cat["col.detail"] in df.value.columns)[cat["col.detail"]]
    worded = {d for d in details if d}
    assert {"Colombia · Jornada: mañana", "Guatemala · Etnia: maya"} <= worded, worded  # not 'CO: shift = mañana'
    assert all(re.fullmatch(r"(Colombia|Guatemala) · (Jornada|Etnia): \w+", d) for d in worded), worded
    assert not re.search(r"\b(CO|GT): \w+ = ", text) and "shift" not in text and "ethnicity" not in text
    assert "Arrastre aquí un archivo CSV, TSV, TXT, XLSX, PARQUET, JSON, GEOJSON, TOPOJSON o ZIP" in text
    assert "Upload" not in text and "per file" not in text


def test_methods_formulas_take_their_words_from_the_readers_language():
    from ui.methods_view import FORMULA_WORDS

    at = _run("es", "metodos")
    formulas = " ".join(f.value for f in at.latex)
    assert r"\mathrm{programa}_i" in formulas and r"\mathrm{dosis}_s" in formulas and "treated" not in formulas
    assert "@" not in formulas and all(catalogue("en")[f"methods.formula.{w}"] for w in FORMULA_WORDS)


def test_comparar_slope_hover_names_the_school_not_its_code():
    at = _run("es", "comparar", indicador="score_math")
    slope = next(c for c in _charts(at) if any(d.get("mode") == "lines+markers" and len(d.get("customdata") or []) > 9
                                               for d in c["data"]))
    hovers = [h for d in slope["data"] for h in (d.get("customdata") or []) if h]
    assert all(h.endswith(("<br>Antes", "<br>Después")) for h in hovers), hovers[:3]
    assert hovers and not any(re.match(r"(CO|GT)-\d", h) for h in hovers), hovers[:3]
    assert any(h.startswith(("Institución Educativa", "EORM")) for h in hovers), hovers[:3]
