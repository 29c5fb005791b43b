"""Escuelas claims no test it never runs: a school alone is one cluster, so compare() by school gives it no interval
and no q-value (3 or fewer clusters: no reliable inference). The page says so once and shows no q legend, no
"0 with q < 0.05" count, no "[no interval] · q —" on a profile; a row that does carry inference keeps them. The
profile's yearly chart is titled with its indicator in words."""

from __future__ import annotations

import pandas as pd
import pytest

import ui.i18n
from tests.app.apps import chart_specs, run_page
from tests.conftest import shown
from ui import schools_view
from ui.i18n import catalogue
from ui.loaders import compare_result


@pytest.mark.parametrize("lang", ["es", "en"])
def test_escuelas_says_once_that_a_school_alone_has_no_test(lang):
    frame = compare_result("score_math", "prepost", "school").frame
    mine = frame[(frame["program"] != "comparison") & (frame["reliability"] != "suppressed")]
    # the premise, checked on the demo: no school row has an interval or a q-value
    assert len(mine) > 20 and mine[["es_ci_low", "es_ci_high", "q_value"]].isna().all().all()
    school = mine["school"].iloc[0]
    at = run_page("escuelas", lang, indicador="score_math", escuela=school)
    cat = catalogue(lang)
    assert [shown(i.value) for i in at.info].count(cat["schools.no_test"]) == 1
    captions = [shown(c.value) for c in at.caption]
    assert cat["schools.caterpillar_caption_no_test"] in captions and cat["schools.caterpillar_caption"] not in captions
    assert cat["schools.intro"] in [shown(m.value) for m in at.markdown] + captions
    # the marks legend keeps the marks and drops "bars are 95% confidence intervals": none are drawn
    assert cat["chart.marks"] in captions and not any(cat["chart.marks_bars"] in c for c in captions)
    everything = " ".join(captions + [shown(m.value) for m in at.markdown])
    for claim in ("q < 0", "q ≥", "q —", cat["fmt.no_interval"]):
        assert claim not in everything, claim
    summary = cat["schools.summary_no_test"].split("{")[1].split("}")[1].split(";")[0]  # ' schools, no interval…'
    assert any(summary in c for c in captions)
    names = {tr.get("name", "") for spec in chart_specs(at)[:1] for tr in spec["data"] if tr.get("mode") == "markers"}
    assert names and all(cat["schools.no_test_mark"] in n for n in names)
    assert not any(cat["schools.not_significant"] in n or cat["schools.significant"] in n for n in names)
    tables = [d.value for d in at.dataframe if cat["col.effect_size"] in d.value.columns]
    assert tables and all(cat["col.q_value"] not in d.columns and cat["col.es_ci_low"] not in d.columns
                          for d in tables)
    # the profile: the value without a bracket, the reason instead of "q —"
    assert cat["schools.one_school"] in " ".join(captions)
    # the yearly chart beside it names its indicator (dropout, not the mathematics chosen above)
    dropout = schools_view.indicators().set_index("code").loc["dropout_rate", f"label_{lang}"]
    assert cat["schools.series_title"].format(indicator=dropout) in [shown(m.value).strip("*") for m in at.markdown]


@pytest.mark.parametrize("language", ["es", "en"])
def test_a_school_row_with_inference_keeps_its_interval_and_q(language, monkeypatch):
    """The other route: a row that does carry an interval and a q-value (as a future design by school might) is
    shown with both, and the page's summary and legend keep the q words."""
    monkeypatch.setattr(ui.i18n, "current_language", lambda: language)
    row = {"program": "MiLab", "reliability": "ok", "effect_size": 0.2, "es_ci_low": 0.05, "es_ci_high": 0.35,
           "q_value": 0.04, "effect_size_kind": "hedges_g", "flags": None}
    value, notes = schools_view.result_text(row)
    assert value.endswith("]") and notes.startswith("q = 0")
    bare, why = schools_view.result_text({**row, "es_ci_low": None, "es_ci_high": None, "q_value": None})
    assert "[" not in bare and why.startswith(catalogue(language)["schools.one_school"])
    assert schools_view.has_inference(pd.DataFrame([row]))
    assert not schools_view.has_inference(pd.DataFrame([{**row, "es_ci_low": None, "es_ci_high": None,
                                                         "q_value": None}]))
    # a suppressed or comparison row lends no inference to the page
    assert not schools_view.has_inference(pd.DataFrame([{**row, "reliability": "suppressed"},
                                                        {**row, "program": "comparison"}]))
