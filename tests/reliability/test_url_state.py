"""Fuzzing the URL state: hostile query parameters never reach a query, never raise, never get chosen."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from harness.url_state import GROUPINGS, INDICATORS, NASTY, check_choices, hostile_values, run_filters
from tests.conftest import ROOT


def test_real_values_in_the_url_are_chosen():
    """The harness can fail: valid parameters are taken up (so a rejected hostile value means something)."""
    assert run_filters({"indicador": "dropout_rate", "agrupar": "zone",
                        "indicadores": ["dropout_rate", "motivation_index"]}) == (
        "dropout_rate", "zone", ["dropout_rate", "motivation_index"])


@pytest.mark.parametrize("value", NASTY)
def test_each_nasty_value_in_every_filter(value):
    choices = run_filters({"indicador": value, "agrupar": value, "indicadores": [value, value], "lang": value})
    check_choices(choices)
    assert choices[0] == "score_math"  # the default, not the hostile value


text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
param = st.one_of(text, st.sampled_from(NASTY + INDICATORS + GROUPINGS), st.lists(text, min_size=2, max_size=3))


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(indicador=param, agrupar=param, indicadores=param)
def test_generated_query_parameters(indicador, agrupar, indicadores):
    check_choices(run_filters({"indicador": indicador, "agrupar": agrupar, "indicadores": indicadores}))


def test_seeded_random_parameter_sets():
    rng = random.Random(11)
    for _ in range(20):
        check_choices(run_filters(hostile_values(rng)))


@pytest.fixture(scope="module")
def page_db(tmp_path_factory):
    """A small demo of its own: the pages never open (or build) the user's data/lablens.duckdb."""
    from analysis.demo import build_demo

    path = tmp_path_factory.mktemp("urlstate") / "lablens.duckdb"
    build_demo(path, students=1500, seed=4)
    return path


@pytest.mark.parametrize("page", ["comparar", "regiones", "escuelas", "evidencia", "logros", "datos", "piloto"])
def test_whole_pages_with_hostile_parameters(page, page_db, monkeypatch):
    """Every page's own URL keys at once, hostile: the page renders its title and no exception."""
    monkeypatch.setenv("LABLENS_DB", str(page_db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    hostile = "x' OR 1=1 --\x00<script>"
    for key in ("indicador", "indicadores", "agrupar", "grupo", "diseno", "nivel", "programa", "escuela", "lang",
                "fuente", "departamento", "municipio", "zona", "modo", "estratos", "semilla", "binario"):
        at.query_params[key] = hostile
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title and at.title[0].value
