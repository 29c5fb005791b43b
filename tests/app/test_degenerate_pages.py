"""The pages on MiLab's state after its first import — one programme school, no comparison school — say why
there is no result (no comparison schools) instead of a traceback, "could not be computed" or a bare blank."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.app.apps import run_page

SCHOOL = "04-01-4578-43"  # a MINEDUC code (Chimaltenango)
REASON = {"es": "no hay escuelas de comparación con datos", "en": "no comparison schools with data"}
NO_INTERVAL = {"es": "Ningún promedio tiene intervalo", "en": "No mean has an interval"}


@pytest.fixture(scope="module")
def one_school_db(tmp_path_factory) -> str:
    """One programme school, 20 students measured before (2024) and after (2025); imported as a user would."""
    from analysis.importer.pipeline import import_file

    tmp = tmp_path_factory.mktemp("one_school")
    rng = np.random.default_rng(3)
    base = np.round(rng.normal(480, 40, 20), 1)
    rows = [(f"S{i}", SCHOOL, year, wave, "MF"[i % 2], 5, float(score))
            for i in range(20) for year, wave, score in ((2024, "pre", base[i]),
                                                           (2025, "post", base[i] + round(rng.normal(8, 10), 1)))]
    pd.DataFrame(rows, columns=["student_id", "school_code", "year", "wave", "sex", "grade", "score_math"]).to_csv(
        tmp / "students.csv", index=False)
    pd.DataFrame([("GT", "school", SCHOOL, "MiLab", "Lab Modular", 2025)],
                 columns=["country", "unit_type", "unit_code", "program", "lab_type", "start_year"]).to_csv(
        tmp / "roster.csv", index=False)
    db = tmp / "lablens.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LABLENS_KEY_FILE", str(tmp / "key.bin"))
        for f in ("students.csv", "roster.csv"):
            assert import_file(tmp / f, db)["status"] == "active"
    return str(db)


def _texts(at) -> str:
    out = []
    for kind in ("markdown", "caption", "info", "warning", "error"):
        out += [str(e.value) for e in at.get(kind)]
    out += [f.value.to_string() for f in at.dataframe]  # Evidencia's table: its checks column in words
    return "\n".join(out).replace("\\", "")


@pytest.mark.parametrize(("page", "lang"), [("inicio", "es"), ("inicio", "en"), ("logros", "es"),
                                            ("comparar", "es"), ("regiones", "en"),
                                            ("evidencia", "es")])
def test_pages_say_there_are_no_comparison_schools(one_school_db, monkeypatch, page, lang):
    import ui.db

    monkeypatch.setenv("LABLENS_DB", one_school_db)
    ui.db._connection.clear()
    at = run_page(None if page == "inicio" else page, lang)  # no exception element (run_page checks it)
    text = _texts(at)
    assert REASON[lang] in text, text
    assert "no se pudo calcular" not in text and "could not be computed" not in text
    if page == "inicio":
        assert ("Sin resultado todavía:" if lang == "es" else "No result yet:") in text
    if page == "regiones":  # Guatemala's departments have boundaries: the map is missing for the rows' reason
        assert "No map: no result at this level has a territory" in text
        assert "There are no territorial boundaries" not in text
    if page == "comparar":  # the means are drawn without intervals: the caption says so, and why
        assert NO_INTERVAL[lang] in text
        assert "Promedios con intervalos del 95 %" not in text


@pytest.mark.parametrize("lang", ["es", "en"])
def test_escuelas_says_there_are_no_comparison_schools(one_school_db, monkeypatch, lang):
    """Escuelas draws no comparison line and says why, in the caption and in the school's profile (it named "the
    comparison schools' change" though no school of comparison exists)."""
    import ui.db
    from tests.app.apps import chart_specs
    from ui.i18n import catalogue

    monkeypatch.setenv("LABLENS_DB", one_school_db)
    ui.db._connection.clear()
    at = run_page("escuelas", lang, escuela=f"GT-{SCHOOL}")
    cat, text = catalogue(lang), _texts(at)
    assert cat["schools.caterpillar_caption_no_test_no_comparison"] in text
    assert cat["schools.reference_none"] in text
    assert {"es": "línea discontinua", "en": "dashed line"}[lang] not in text
    assert {"es": "cambio de las escuelas de comparación", "en": "comparison schools' change"}[lang] not in text
    names = [trace.get("name") for spec in chart_specs(at) for trace in spec.get("data", [])]
    assert names and cat["schools.reference"] not in names  # the caterpillar is drawn, without the line


def test_a_school_without_a_change_says_why():
    """A school measured before only: its context cell and its profile say there is no data after (es, the
    default language outside a session), not a blank."""
    from ui import schools_view
    from ui.i18n import catalogue

    why = catalogue("es")["reason.no_post_data"]
    frame = pd.DataFrame({"school": ["GT-A", "GT-B"], "program": ["MiLab"] * 2, "effect_size": [0.2, np.nan],
                          "effect_size_kind": ["hedges_g"] * 2, "reliability": ["low"] * 2,
                          "evidence_reasons": ["no_post_data", "no_post_data"], "flags": ["", ""]})
    context = schools_view.result_table(frame, ["school", "flags"]).iloc[:, 1].tolist()
    assert context == ["", why]
    assert why in schools_view.result_text(frame.iloc[1].to_dict())[1]
    assert why not in schools_view.result_text(frame.iloc[0].to_dict())[1]
