"""Every page through Streamlit's AppTest, in both languages, on a small demo database.

Each test asserts the content that matters on its page (programmes side by side, sentences with numbers,
tables with both programmes...), plus what holds everywhere: no exception, no raw ⟦key⟧, the page title
in the session's language and the synthetic-data banner.
"""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from analysis.figures import PROGRAMME_COLORS
from tests.app.apps import chart_specs, run_page
from tests.conftest import shown
from ui.i18n import catalogue

RAW_KEY = "⟦"
LANGS = ["es", "en"]
NUMBER = re.compile(r"[−+-]?\d+[.,]\d+")


def _run(lang: str | None = None, page: str | None = None, **params: str) -> AppTest:
    return run_page(page, lang, check=False, **params)  # the tests look at the exceptions themselves


def _texts(at: AppTest) -> str:
    """Every visible text AppTest exposes: headings, markdown, captions, alerts, metrics, widgets, tables."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success",
                 "latex", "code"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [f"{w.label} {w.placeholder or ''} {' '.join(map(str, w.options))}" for w in at.selectbox]
    parts += [f"{w.label} {' '.join(map(str, w.options))}" for w in at.multiselect]
    parts += [e.label for e in at.expander] + [e.label for e in at.tabs] + [b.label for b in at.button]
    for frame in [*at.dataframe, *at.table]:
        value = frame.value
        parts += [str(c) for c in value.columns]
        parts += [str(v) for v in value.astype(str).to_numpy().ravel()[:2000]]
    return "\n".join(parts)


def _common(at: AppTest, lang: str, title_key: str) -> str:
    assert not at.exception, [e.value for e in at.exception]
    text = _texts(at)
    raw = sorted(set(re.findall(r"⟦([^⟧]+)⟧", text)))
    assert RAW_KEY not in text, raw
    assert at.title[0].value == catalogue(lang)[title_key]
    assert catalogue(lang)["banner.demo"] in text
    return text


def _indicator_names(lang: str, codes: list[str]) -> list[str]:
    from analysis.catalog import INDICATORS

    labels = {i.code: (i.label_en if lang == "en" else i.label_es) for i in INDICATORS}
    return [labels[c] for c in codes]


def _charts(at: AppTest) -> list[dict]:
    return chart_specs(at)  # a chart's panels (drawn in columns) as one spec


def _trace_names(spec: dict) -> set[str]:
    return {t.get("name") for t in spec["data"] if t.get("name")}


# --- Inicio ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_home_shows_programmes_and_demo_banner(lang):
    at = _run(lang)
    text = _common(at, lang, "page.home")
    overview = at.dataframe[0].value
    programmes = set(overview.iloc[:, 0])
    assert {"ValleLabs", "MiLab"} <= programmes
    # students per programme are real counts from the demo, not placeholders
    students = overview[overview.iloc[:, 0] == "ValleLabs"].iloc[0, 3]
    assert int(str(students).replace(".", "").replace(",", "")) > 100
    assert catalogue(lang)["home.headline.title"] in text


@pytest.mark.parametrize("lang", LANGS)
def test_home_headline_cards_per_programme(lang):
    """Learning (g with EEF months and interval), retention (pp) and motivation for each programme."""
    at = _run(lang)
    cat = catalogue(lang)
    headings = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert headings[:2] == ["#### ValleLabs", "#### MiLab"]  # fixed order: never a ranking
    learning = [m for m in at.metric if m.label.startswith(cat["home.headline.learning"].split("·")[0].strip())]
    assert len(learning) == 2
    for metric in learning:
        assert cat["unit.hedges_g"] in metric.value and NUMBER.search(metric.value), metric.value
    retention = [m for m in at.metric if m.label.startswith(cat["home.headline.retention"].split("·")[0].strip())]
    assert len(retention) == 2 and all(cat["unit.pp"] in m.value for m in retention)
    motivation = [m for m in at.metric if m.label.startswith(cat["home.headline.motivation"].split("·")[0].strip())]
    assert len(motivation) == 2
    # the label fits a phone's line (no parenthesis), the whole name is in its tooltip
    full = {"es": "Índice de motivación (media de los ítems)", "en": "Motivation index (mean of items)"}[lang]
    for m in motivation:
        assert full.split(" (")[0] in m.label and "(" not in m.label, m.label
        assert full in m.help.replace("\\", ""), m.help  # markdown escapes the parentheses
    captions = "\n".join(c.value for c in at.caption)
    ci = cat["fmt.ci95"].split("{")[0].strip()
    assert captions.count(ci) >= 6  # every headline has its interval
    assert cat["fmt.months"].split("(")[1].split(")")[0] in captions  # EEF-equivalent months beside g
    badges = [m.value for m in at.markdown if "-badge[" in m.value]
    assert len(badges) == 6
    # the years compared under every headline, the waves' years too (learning and motivation: the demo's
    # MiLab baseline of 2024 against its endline of 2025, ValleLabs' 2022 against 2023)
    years = [c.value for c in at.caption if c.value.startswith(cat["home.headline.windows"].split("{")[0])]
    assert len(years) == 6, years
    assert years.count(cat["home.headline.windows"].format(pre="2024", post="2025")) == 2  # MiLab's waves
    assert years.count(cat["home.headline.windows"].format(pre="2022", post="2023")) == 2  # ValleLabs' waves


def test_spanish_is_the_default_language():
    at = _run()
    assert at.title[0].value == "Inicio"


# --- Comparar programas ------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_compare_page_shows_both_programmes_side_by_side(lang):
    at = _run(lang, "comparar")
    text = _common(at, lang, "page.compare")
    cat = catalogue(lang)
    assert cat["compare.caveat"] in text  # standardised effects, never raw scores (docs/METHODS.md, "Designs" 3)
    charts = _charts(at)
    assert len(charts) == 4  # effects, means, distribution, slopes
    # each chart a figure per panel (in columns: stacked on a phone), titled by its programme or its country;
    # one legend, on the first panel; the effect axis one scale for both programmes
    assert [len(c["panels"]) for c in charts] == [2, 2, 2, 2]
    assert [p["layout"]["title"]["text"] for p in charts[0]["panels"]] == ["ValleLabs", "MiLab"]
    assert all(c["panels"][0]["layout"]["showlegend"] and not c["panels"][1]["layout"]["showlegend"]
               for c in charts)
    ranges = [p["layout"]["xaxis"]["range"] for p in charts[0]["panels"]]
    assert ranges[0] == ranges[1]
    effects = charts[0]
    assert {"ValleLabs", "MiLab"} <= _trace_names(effects)
    colors = {t["name"]: t["marker"]["color"] for t in effects["data"] if t.get("name") in PROGRAMME_COLORS}
    assert colors == {"ValleLabs": PROGRAMME_COLORS["ValleLabs"], "MiLab": PROGRAMME_COLORS["MiLab"]}
    assert effects["layout"]["separators"] == (",." if lang == "es" else ".,")
    for spec in charts[1:]:
        names = _trace_names(spec)
        assert "ValleLabs" in " ".join(names) and "MiLab" in " ".join(names)
    # the means chart has the comparison group and the counterfactual (the DiD picture)
    assert cat["prog.comparison"] in _trace_names(charts[1])
    assert cat["compare.counterfactual"] in _trace_names(charts[1])
    # the data behind the effect chart: one row per programme with an interval
    table = at.dataframe[0].value
    assert set(table[cat["col.program"]]) == {"ValleLabs", "MiLab"}
    assert table[cat["col.es_ci_low"]].notna().all()
    # every chart has a summary sentence and the marks are explained
    assert cat["chart.marks"] in text


def test_compare_page_by_subgroup_from_the_url():
    """?agrupar=lab_type&grupo=Lab Point: effects per lab type; detail charts restricted to that group."""
    at = _run("en", "comparar", indicador="score_math", agrupar="lab_type", grupo="Lab Point")
    _common(at, "en", "page.compare")
    assert at.selectbox(key="agrupar").value == "lab_type"
    assert at.selectbox(key="grupo").value == "Lab Point"
    effects = _charts(at)[0]
    groups = {y for t in effects["data"] if t.get("type") == "scatter" and t.get("y") for y in t["y"] if y}
    assert {"Lab Center", "Lab Point", "Lab Spark"} <= groups
    assert any("lab type = Lab Point" in c.value for c in at.caption)
    # comparison schools have no lab type: they stay in the detail charts as the reference
    assert "Comparison schools" in _trace_names(_charts(at)[1])


def test_compare_page_rate_indicator():
    at = _run("es", "comparar", indicador="dropout_rate")
    _common(at, "es", "page.compare")
    effects = _charts(at)[0]
    x_title = next(a["text"] for a in effects["layout"]["annotations"] if a.get("name") == "x_title")
    assert "puntos porcentuales" in x_title  # one title centred under both panels
    assert {"ValleLabs", "MiLab"} <= _trace_names(effects)


# --- Regiones ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_regions_page_ranks_territories_with_intervals(lang):
    at = _run(lang, "regiones")
    text = _common(at, lang, "page.regions")
    cat = catalogue(lang)
    charts = _charts(at)
    assert len(charts) == 3  # ranked territories, the map (shipped boundaries, nothing imported), rural vs urban
    # a panel per programme (or country), in columns; the map's colour bar and legend in a key under both maps
    assert [len(c["panels"]) for c in charts] == [2, 3, 2]
    assert charts[0]["panels"][0]["layout"]["xaxis"]["range"] == charts[0]["panels"][1]["layout"]["xaxis"]["range"]
    key = charts[1]["panels"][2]
    assert any(d.get("marker", {}).get("showscale") for d in key["data"]) and key["layout"]["height"] < 200
    # ValleLabs' one department takes one row's room beside MiLab's departments (tops level)
    valle, milab = charts[0]["panels"]
    plot = [p["layout"]["height"] - p["layout"]["margin"]["t"] - p["layout"]["margin"]["b"] for p in (valle, milab)]
    assert plot[0] <= 60 and plot[1] > plot[0] + 100
    assert valle["layout"]["margin"]["t"] == milab["layout"]["margin"]["t"]
    assert cat["regions.no_boundaries"] not in text
    located = {d["meta"]["location"] for d in charts[1]["data"] if d.get("meta")}
    assert "CO-76" in located and len({loc for loc in located if loc.startswith("GT-")}) >= 3
    ranked = charts[0]
    assert {"ValleLabs", "MiLab"} <= _trace_names(ranked)
    departments = {y for t in ranked["data"] if t.get("y") for y in t["y"] if y}
    assert {"Valle del Cauca"} <= departments and len(departments) >= 3
    zones = charts[2]
    labels = {y for t in zones["data"] if t.get("y") for y in t["y"] if y}
    assert {cat["zone.rural"], cat["zone.urban"]} <= labels
    table = at.dataframe[0].value
    assert cat["col.department"] in table.columns and len(table) == len(departments)


# --- Escuelas ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_schools_page_caterpillar_and_profile(lang, demo_db):
    import duckdb

    with duckdb.connect(demo_db, read_only=True) as con:
        school, name = con.execute("SELECT a.unit_id, u.name FROM assignments a JOIN units u USING (unit_id) "
                                   "WHERE a.program = 'ValleLabs' AND a.lab_type = 'Lab Center' "
                                   "ORDER BY 1 LIMIT 1").fetchone()
    at = _run(lang, "escuelas", escuela=school)
    text = _common(at, lang, "page.schools")
    cat = catalogue(lang)
    charts = _charts(at)
    caterpillar = charts[0]
    assert len(caterpillar["panels"]) == 2  # a panel per programme, in columns
    names = " ".join(_trace_names(caterpillar))
    assert "ValleLabs" in names and "MiLab" in names
    assert cat["schools.reference"] in names  # the comparison schools' change as reference
    table = at.dataframe[0].value
    # a school alone has no interval or test here: no q column (it held only "—"), said once above the chart
    assert cat["col.effect_size"] in table.columns and cat["col.q_value"] not in table.columns
    assert cat["schools.no_test"] in [shown(i.value) for i in at.info]
    # the profile: name, lab type, start year, students per wave, its own change, its dropout series
    assert f"#### {name}" in [m.value for m in at.markdown]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[cat["col.lab_type"]] == "Lab Center" and metrics[cat["col.start_year"]] == "2019"
    assert cat["schools.students_title"] in text
    assert len(charts) == 2 and cat["schools.this_school"] in _trace_names(charts[1])


# --- Logros y pendientes -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_achievements_page_lists_sentences_with_numbers(lang):
    at = _run(lang, "logros")
    text = _common(at, lang, "page.achievements")
    cat = catalogue(lang)
    ci = cat["plain.interval"].split("{")[0]
    sentences = [shown(m.value) for m in at.markdown if ci in shown(m.value)]
    assert not any("\\*\\*" in m.value for m in at.markdown)  # the template's bold is not escaped away
    assert len(sentences) >= 8  # programmes x (scores, motivation, rates)
    for sentence in sentences:
        assert NUMBER.search(sentence), sentence
        assert "ValleLabs" in sentence or "MiLab" in sentence
    counts = {s: next(int(m.value) for m in at.metric if m.label == cat[f"verdict.{s}"])
              for s in ("achieved", "not_achieved", "not_enough")}
    assert sum(counts.values()) == len(at.dataframe[0].value)
    assert counts["achieved"] >= 1  # the demo plants real effects
    # the planted ValleLabs math effect is reported as achieved, with months of progress
    math = cat["plain.months"].split("{")[0]
    assert any("ValleLabs" in s and math in s for s in sentences)
    assert any("-badge[" in m.value for m in at.markdown)
    assert cat["achievements.title.not_enough"] in text


# --- Evidencia ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_evidence_page_builds_a_table_and_offers_downloads(lang):
    at = _run(lang, "evidencia")
    _common(at, lang, "page.evidence")
    cat = catalogue(lang)
    table = at.dataframe[0].value
    # indicators are shown by name, never by code
    assert set(table[cat["col.indicator"]]) == set(_indicator_names(lang, ["score_math", "motivation_index",
                                                                          "dropout_rate"]))
    assert set(table[cat["col.program"]]) == {"ValleLabs", "MiLab"}
    assert len(table) == 6
    assert len(at.get("download_button")) == 3  # CSV, XLSX and the evidence pack (.zip)


def test_evidence_page_from_the_url():
    at = _run("es", "evidencia", indicadores="score_math", diseno="prepost", agrupar="sex")
    _common(at, "es", "page.evidence")
    table = at.dataframe[0].value
    assert set(table["Sexo"]) == {"mujeres", "hombres"}
    assert "Media antes" in table.columns  # pre/post columns


# --- Datos -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_data_page_history_dictionary_quality_templates(lang):
    at = _run(lang, "datos")
    text = _common(at, lang, "page.data")
    cat = catalogue(lang)
    history = at.dataframe[0].value
    assert history[cat["col.recognized_as"]].tolist() == [cat["layout.demo"]]
    assert cat["data.rollback_button"] in text
    frames = [f.value for f in at.dataframe]
    dictionary = next(f for f in frames if cat["col.code"] in f.columns and cat["col.label"] in f.columns)
    assert "score_math" in set(dictionary[cat["col.code"]])
    assert [len(c["panels"]) for c in _charts(at)] == [2]  # coverage by year and unit, a panel per country
    small = next(f for f in frames if cat["col.suppressed_cells"] in f.columns)
    assert (small[cat["col.suppressed_cells"]] > 0).any()  # the demo has school x wave x sex cells under 10
    labels = [b.label for b in at.get("download_button")]
    assert len(labels) == 4 and labels[0] == cat["data.kit_download"]  # the field form kit, three templates


def test_data_page_rollback_publishes_a_snapshot_without_the_import(tmp_path, demo_db, monkeypatch, router_active):
    import shutil

    copy = tmp_path / "lablens.duckdb"
    shutil.copyfile(demo_db, copy)
    monkeypatch.setenv("LABLENS_DB", str(copy))
    at = _run("en", "datos")
    form_select = next(s for s in at.selectbox if s.label == catalogue("en")["data.rollback_pick"])
    form_select.set_value(1)
    next(c for c in at.checkbox if c.label == catalogue("en")["data.rollback_confirm"]).check()
    next(b for b in at.button if b.label == catalogue("en")["data.rollback_button"]).click().run()
    assert not at.exception
    assert any("Import 1 undone" in s.value for s in at.success), [e.value for e in at.error]
    import duckdb

    with duckdb.connect(str(copy), read_only=True) as con:
        assert con.execute("SELECT status FROM imports WHERE import_id = 1").fetchone()[0] == "rolled_back"
        assert con.execute("SELECT count(*) FROM observations").fetchone()[0] == 0


def test_data_page_upload_previews_then_imports(tmp_path, demo_db, monkeypatch, router_active):
    import shutil

    from ui.export import csv_bytes
    from ui.templates import students

    copy = tmp_path / "lablens.duckdb"
    shutil.copyfile(demo_db, copy)
    monkeypatch.setenv("LABLENS_DB", str(copy))
    at = _run("es", "datos")
    at.file_uploader[0].set_value(("plantilla_estudiantes.csv", csv_bytes(students()), "text/csv")).run()
    assert not at.exception
    preview = "\n".join(" ".join(map(str, f.value.astype(str).to_numpy().ravel())) for f in at.dataframe)
    assert "formato propio de LabLens (estudiantes)" in preview  # the layout in the page's language
    import duckdb

    with duckdb.connect(str(copy), read_only=True) as con:  # nothing written before the user commits
        assert con.execute("SELECT count(*) FROM imports").fetchone()[0] == 1
    next(b for b in at.button if b.label == "Importar").click().run()
    assert any("Importación 2 publicada" in s.value for s in at.success), [e.value for e in at.error]
    with duckdb.connect(str(copy), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM imports").fetchone()[0] == 2


# --- Métodos -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_methods_page_documents_methods_and_thresholds(lang):
    at = _run(lang, "metodos")
    text = _common(at, lang, "page.methods")
    cat = catalogue(lang)
    from ui.methods_view import SECTIONS

    for section in SECTIONS:
        assert cat[f"methods.{section}.title"] in text
    assert len(at.latex) >= 8
    eef = at.table[1].value
    assert len(eef) == 13  # 0..12 months
    assert eef.iloc[3, 1] == ("0,19 – 0,26" if lang == "es" else "0.19 – 0.26")  # docs/METHODS.md table
    assert "Hedges" in text and "Benjamini" in text and "Wilson" in text
