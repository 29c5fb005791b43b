"""The pages say the words the analysis says once (ui/analysis_words.py): a level's name on Datos, a cost file's
error on Implementación, the rejects' column names, the demo's description and compare()'s column names are the
analysis catalogue's text, in Spanish and in English."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from analysis import cli_text, import_text, reasons
from analysis.compare.columns import LABELS, header
from analysis.compare.designs import column_registry
from analysis.implementation.cost import CostError
from ui import format as fmt
from ui import i18n, implementation_view


def _levels_app():
    import pandas as pd

    from ui import data_view

    data_view.mapping_form({"unplaced": ["nota"], "headers": ["escuela", "nota"], "roles": {},
                            "preview": pd.DataFrame({"escuela": ["1"], "nota": ["2"]})})


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_mapping_form_names_the_levels_as_the_import_summary_does(lang):
    at = AppTest.from_function(_levels_app, default_timeout=30)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    words = import_text.WORDS[lang]
    level = next(s for s in at.selectbox if s.options[0] == words["level.all"])
    assert level.options == [words[f"level.{v}"] for v in ("all", "transition", "primary", "secondary",
                                                           "upper_secondary")]
    assert level.options[-1] == {"es": "media", "en": "upper secondary"}[lang]


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_implementation_page_says_the_cost_errors_of_the_command_line(lang, monkeypatch):
    monkeypatch.setattr(i18n, "current_language", lambda: lang)
    error = CostError("cost_bad_amount", "row 3: amount must be a number ≥ 0, not 'diez'", row=3, column="amount",
                      value="diez")
    said = cli_text.COST[lang]
    expected = said["cost_bad_amount"].format(value="diez") + said["cost_where"].format(row=3, column="amount")
    assert implementation_view.cost_error(error) == expected[:1].upper() + expected[1:]
    assert implementation_view.cost_error(error).startswith({"es": "El monto debe", "en": "The amount must"}[lang])
    assert fmt.source_name("demo: synthetic data (seed 7)", "demo") == cli_text.line("demo_source", lang, seed=7)
    # the rejects table of Datos: the rejects report's column names, as headers
    assert i18n.t("col.raw_value") == reasons.text("col.raw_value", lang).capitalize() == {
        "es": "Valor leído", "en": "Value read"}[lang]


@pytest.mark.parametrize("lang", ["es", "en"])
def test_every_compare_column_has_one_name_for_the_pages_and_the_command_line(lang, monkeypatch):
    monkeypatch.setattr(i18n, "current_language", lambda: lang)
    registry = column_registry()
    assert set(registry) <= set(LABELS), sorted(set(registry) - set(LABELS))
    for name, column in registry.items():
        assert i18n.t(f"col.{name}") == header(name, lang) == column.label[lang == "en"] != "", name
    assert i18n.t("col.n_treated") == {"es": "Escuelas del programa", "en": "Programme schools"}[lang]


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_import_history_of_datos_says_what_imports_says(lang, monkeypatch):
    """The Datos page's history and `imports --lang es` name the columns and statuses with the same words
    (analysis/cli_text.py IMPORTS, IMPORT_STATUS), capitalised as headers on the page."""
    import pandas as pd

    from ui import data_view

    for module in (i18n, fmt):
        monkeypatch.setattr(module, "current_language", lambda: lang)
    frame = pd.DataFrame({"import_id": [1], "source_name": ["demo: synthetic data (seed 7)"], "recognized_as": ["demo"],
                          "rows_read": [10], "rows_loaded": [10], "rows_rejected": [0],
                          "imported_at": ["2026-12-06 10:00:00"], "status": ["active"]})
    shown = data_view.history_table(frame)
    words = [cli_text.IMPORTS[lang][c] for c in frame.columns]
    assert list(shown.columns) == [w[:1].upper() + w[1:] for w in words]
    assert shown.columns[-2] == {"es": "Fecha (UTC)", "en": "Date (UTC)"}[lang]
    assert shown.iloc[0, -1] == cli_text.IMPORT_STATUS[lang]["active"] == {"es": "cargada", "en": "active"}[lang]
    assert shown.iloc[0, 1] == cli_text.line("demo_source", lang, seed=7)
