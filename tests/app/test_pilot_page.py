"""Diseño del piloto through AppTest, in both languages, on the demo database: the numbers the page shows are
the core's (analysis.pilot.power, assign, plan), in words and in the page's language, and the URL carries
the design."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from analysis.catalog import INDICATOR_BY_CODE
from analysis.db.connect import open_db
from analysis.pilot import assign, power
from analysis.pilot import frame as pilot_frame
from tests.conftest import ROOT, require_real_data
from ui.i18n import catalogue

LANGS = ["es", "en"]
# a design with every input away from its default (set through the URL, as a shared link would)
DESIGN = {"escuelas": "44", "estudiantes": "25", "cci": "0.15", "proporcion": "0.4", "r2_est": "0.5",
          "r2_esc": "0.6", "covariables": "1", "bloques": "4", "alfa": "0.1", "potencia": "0.9"}
CORE = {"blocks": 4, "treated_share": 0.4, "r2_students": 0.5, "r2_schools": 0.6, "covariates": 1, "alpha": 0.1,
        "power": 0.9}


def _run(lang: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params["lang"] = lang
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page("pages/piloto.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _fmt(value: float, decimals: int, lang: str) -> str:
    """A number as the page writes it: decimal comma and '.' thousands in Spanish."""
    text = f"{value:,.{decimals}f}"
    return text.translate(str.maketrans(",.", ".,")) if lang == "es" else text


def _texts(at: AppTest) -> str:
    parts = [str(e.value) for kind in ("title", "header", "markdown", "caption", "info", "warning", "success")
             for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(parts)


def _metric(at: AppTest, key: str, lang: str) -> str:
    return next(m.value for m in at.metric if m.label == catalogue(lang)[key])


def _demo_frame(demo_db: str):
    con = open_db(demo_db)
    try:
        return pilot_frame.frame_from_db(con, "GT")
    finally:
        con.close()


@pytest.mark.parametrize("lang", LANGS)
def test_page_runs_and_lists_departments_by_name(lang, demo_db):
    at = _run(lang)
    text = _texts(at)
    assert at.title[0].value == catalogue(lang)["page.pilot"]
    assert "⟦" not in text
    assert catalogue(lang)["banner.demo"] in text
    frame = _demo_frame(demo_db)
    counts = at.dataframe[1].value  # the first is the chart's data table, then the counts per municipality
    department = catalogue(lang)["col.department"]
    assert set(counts[department]) == set(frame["department"])
    assert not any(re.fullmatch(r"\d{2}", str(v)) for v in counts[department])  # names, never codes
    assert int(counts[catalogue(lang)["pilot.col.schools"]].sum()) == len(frame)
    # step 3 waits for a public seed: no draw before it is chosen
    assert catalogue(lang)["pilot.assign.choose_seed"] in text
    assert not at.get("download_button")
    # the demo's MiLab already has a registered assignment: said at the top of step 3, before any draw
    infos = [i.value for i in at.info]
    registered = catalogue(lang)["pilot.assign.registered_already"].format(program="MiLab", id=1, seed=20260115)
    assert registered in infos and infos.index(registered) < infos.index(catalogue(lang)["pilot.assign.choose_seed"])


@pytest.mark.parametrize("lang", LANGS)
def test_mdes_shown_is_the_core_mdes(lang):
    at = _run(lang, **DESIGN, una_cola="true")
    expected = power.mdes(44, 25, 0.15, two_tailed=False, **CORE)
    assert _metric(at, "pilot.power.m_mdes", lang) == _fmt(expected.mdes, 3, lang)
    assert _metric(at, "pilot.power.m_df", lang) == str(expected.df)
    assert _metric(at, "pilot.power.m_se", lang) == _fmt(expected.standard_error, 4, lang)
    sentence = at.success[0].value
    assert _fmt(expected.mdes, 2, lang) in sentence and "44" in sentence and "18" in sentence  # 44 x 0.4 treated


@pytest.mark.parametrize("lang", LANGS)
def test_binary_outcome_in_percentage_points(lang):
    at = _run(lang, binario="true", tasa_base="12.5")
    expected = power.mdes(60, 20, 0.20, base_rate=0.125)
    sentence = at.success[0].value
    assert _fmt(expected.mdes_points, 1, lang) in sentence and _fmt(12.5, 1, lang) in sentence


@pytest.mark.parametrize("lang", LANGS)
def test_target_mdes_gives_the_core_number_of_schools(lang):
    at = _run(lang, modo="schools", mdes_objetivo="0.2", **{k: v for k, v in DESIGN.items() if k != "escuelas"})
    expected = power.schools_for_mdes(0.2, 25, 0.15, **CORE)
    sentence = at.success[0].value
    assert f" {_fmt(expected.schools, 0, lang)} " in sentence, sentence
    assert _metric(at, "pilot.power.m_mdes", lang) == _fmt(expected.mdes, 3, lang)


@pytest.mark.parametrize("lang", LANGS)
def test_assignment_preview_is_the_core_draw(lang, demo_db, downloads):
    at = _run(lang, semilla="2026", estratos="zone,department", programa="MiLab", anio_inicio="2027")
    options = assign.Options(seed=2026, strata=("department", "zone"), treated_share=0.5, start_year=2027)
    core = assign.assign(_demo_frame(demo_db), options)
    cat = catalogue(lang)
    strata = next(d.value for d in at.dataframe if cat["pilot.col.stratum"] in d.value.columns)
    assert list(strata[cat["pilot.col.schools"]]) == [s["schools"] for s in core.record["strata"]]
    assert list(strata[cat["pilot.col.treated"]]) == [s["treated"] for s in core.record["strata"]]
    assert _metric(at, "pilot.col.treated", lang) == _fmt(core.record["treated"], 0, lang)
    text = _texts(at)
    assert "2026" in text and core.record["roster_sha256"] in text  # the seed and the roster's identity shown
    assert downloads["roster.csv"]() == core.roster_csv()  # the download is the core's bytes
    record = json.loads(downloads["assignment.json"]())
    assert record["seed"] == 2026 and record["roster_sha256"] == core.record["roster_sha256"]
    assert record["frame_sha256"] == pilot_frame.frame_digest(_demo_frame(demo_db))
    # the demo's randomised MiLab cohort is registered: a second MiLab assignment is not offered
    assert cat["pilot.assign.registered_already"].format(program="MiLab", id=1, seed=20260115) in text
    assert not any(b.key == "pilot-register" for b in at.button)
    assert not any(b.label.lower().startswith(("sortear", "draw")) for b in at.button)  # no "draw again"


@pytest.mark.parametrize("lang", LANGS)
def test_plan_downloads_in_the_page_language(lang, downloads):
    _run(lang, semilla="11", indicadores="score_math,dropout_rate")
    markdown = downloads[f"plan-{lang}.md"]()
    html = downloads[f"plan-{lang}.html"]()
    title = {"es": "# Plan de preanálisis: piloto MiLab", "en": "# Pre-analysis plan: MiLab pilot"}
    other = {"es": "Pre-analysis plan", "en": "Plan de preanálisis"}
    assert markdown.startswith(title[lang]) and other[lang] not in markdown
    assert "score\\_math" in markdown and "dropout\\_rate" in markdown
    assert {"es": "Semilla pública: 11", "en": "Public seed: 11"}[lang] in markdown
    assert html.startswith("<!DOCTYPE html>") and f'<html lang="{lang}">' in html


def test_no_raw_codes_as_selector_values():
    """Selectors show words (department names, 'Rural', indicator names), never field or indicator codes."""
    at = _run("es", semilla="5")
    codes = set(INDICATOR_BY_CODE) | {"department", "municipality", "zone", "rural", "urban", "mdes", "schools",
                                      "db_GT", "db_CO", "file", "oficial"}
    shown = [o for w in [*at.selectbox, *at.multiselect, *at.radio] if w.key != "lang" for o in w.options]
    assert shown and not codes & set(shown), codes & set(shown)
    assert "Puntaje en matemáticas" in shown and "Departamento" in shown


def test_url_round_trip():
    """A link's values reach the widgets, and choices made on the page reach the URL as codes."""
    at = _run("en", **DESIGN, semilla="314", modo="mdes", estratos="zone")
    for key, value in {**DESIGN, "semilla": "314"}.items():
        assert float(at.number_input(key=key).value) == float(value), key
    assert at.multiselect(key="_pilot_estratos").value == ["zone"]
    at.radio(key="_pilot_modo").set_value("schools").run()
    at.multiselect(key="_pilot_estratos").set_value(["department", "zone"]).run()
    at.button(key="pilot-use-observed").click().run()
    params = dict(at.query_params)
    assert params["modo"] == "schools" and params["estratos"] == "department,zone"
    assert {"cci", "r2_est", "r2_esc"} <= set(params)  # the observed values, one click, now in the link
    assert float(params["cci"]) == at.number_input(key="cci").value
    assert params["semilla"] == "314" and params["escuelas"] == "44"


@pytest.mark.parametrize("lang", LANGS)
def test_uploaded_mineduc_directory_is_the_frame(lang, downloads):
    """The real MINEDUC directory uploaded (stored nowhere), filtered in the URL: the counts and the draw are
    the core's on the same file, and the record names the file's sha256."""
    path = require_real_data() / "guatemala" / "mineduc_establecimientos_diversificado_raw_noPII.csv"
    data = path.read_bytes()
    params = {"fuente": "file", "departamento": "Quiché", "zona": "rural", "estado": "abierta", "semilla": "17",
              "estratos": "municipality"}
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    for key, value in {"lang": lang, **params}.items():
        at.query_params[key] = value
    at.run()
    at.switch_page("pages/piloto.py").run()
    at.file_uploader[0].set_value((path.name, data, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    frame = pilot_frame.apply_where(pilot_frame.frame_from_directory(path), "department=Quiché,zone=rural,"
                                    "status=abierta")
    cat = catalogue(lang)
    counts = next(d.value for d in at.dataframe if cat["col.municipality"] in d.value.columns)
    assert set(counts[cat["col.department"]]) == {"Quiché"}
    assert int(counts[cat["pilot.col.schools"]].sum()) == len(frame) > 0
    # a municipality is stratified within its department (two departments have a "La Libertad")
    core = assign.assign(frame, assign.Options(seed=17, strata=("department", "municipality"), treated_share=0.5))
    assert downloads["roster.csv"]() == core.roster_csv()
    record = json.loads(downloads["assignment.json"]())
    assert record["frame_sha256"] == hashlib.sha256(data).hexdigest() and record["frame_file"] == path.name
    assert record["options"]["where"] == "department=Quiché,zone=rural,status=abierta"


def test_translated_choices_survive_a_change_of_language():
    """Zone and strata are kept as codes: switching Español → English keeps them (a bound label would not)."""
    at = _run("es", fuente="db_CO", zona="rural", estratos="zone", modo="schools")  # Colombia: both zones
    assert at.selectbox(key="_pilot_zona").value == "rural"
    at.selectbox(key="lang").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == catalogue("en")["page.pilot"]
    assert at.selectbox(key="_pilot_zona").value == "rural"
    assert at.multiselect(key="_pilot_estratos").value == ["zone"]
    assert at.radio(key="_pilot_modo").value == "schools"
    assert at.radio(key="_pilot_fuente").value == "db_CO"
    assert at.selectbox(key="_pilot_zona").options == ["Rural", "Urban"]


def test_admin_registers_an_assignment_once(copy_db, router_active):
    """On an open install (admin) a new programme's draw can be registered: one import holding the core's
    roster and record (the registered-already state is the demo's MiLab, above; English text: test_i18n)."""
    from analysis.pilot import register

    at = _run("es", semilla="77", estratos="department", programa="MiLab-B", anio_inicio="2028")
    cat = catalogue("es")
    assert cat["pilot.assign.register_note"] in _texts(at)
    at.button(key="pilot-register").click().run()
    assert not at.exception, [e.value for e in at.exception]
    (found,) = register.active(copy_db, "MiLab-B")
    assert found["record"]["seed"] == 77 and found["record"]["options"]["start_year"] == 2028
    assert cat["pilot.assign.registered"].format(id=found["assignment_id"], seed=77) in _texts(at)


def test_spanish_icc_is_the_baseline_one_in_words(demo_db):
    """The ICC offered for the power calculation is the 2025 baseline's (recomputed here with the one-way ANOVA
    estimator from the raw rows), never the endline's; waves, missing values and decimals in Spanish."""
    con = open_db(demo_db)
    try:
        raw = con.execute("SELECT o.unit_id, o.value FROM observations o JOIN units u USING (unit_id) WHERE "
                          "o.indicator = 'score_math' AND o.student_key IS NOT NULL AND o.level = 'all' "
                          "AND u.country = 'GT' AND o.year = 2025 AND o.wave = 'baseline'").df()
    finally:
        con.close()
    groups = raw.groupby("unit_id")["value"]
    n, means = groups.size(), groups.mean()
    big_n, k = len(raw), len(n)
    msb = float((n * (means - raw["value"].mean()) ** 2).sum() / (k - 1))
    msw = float(((raw["value"] - raw["unit_id"].map(means)) ** 2).sum() / (big_n - k))
    n0 = (big_n - (n ** 2).sum() / big_n) / (k - 1)
    icc = (msb - msw) / (msb + (n0 - 1) * msw)
    at = _run("es", semilla="5")
    text = _texts(at)
    shown = next(m.value for m in at.markdown if m.value.startswith("CCI de datos anteriores"))
    assert f"**{_fmt(icc, 3, 'es')}**" in shown and "2025 (línea de base)" in shown
    assert f"{_fmt(big_n, 0, 'es')} estudiantes en {k} escuelas" in shown
    for english in ("endline", "baseline", "(none)", "⌊", "observed", "Sector (none)"):
        assert english not in text, english
    assert "Con coma decimal:" in text and "(CCI) 0,200" in text
    balance = next(d.value for d in at.dataframe if catalogue("es")["pilot.balance.col.level"] in d.value.columns)
    assert "(none)" not in set(balance[catalogue("es")["pilot.balance.col.level"]])
    at.button(key="pilot-use-observed").click().run()
    assert at.number_input(key="cci").value == pytest.approx(round(icc, 3))
