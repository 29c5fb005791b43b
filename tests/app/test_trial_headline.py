"""Inicio's card and Logros show the demo's randomised MiLab trial of mathematics beside its DiD, labelled as the
trial, with its verdict, its design strength and why the two can differ (another cohort, other years)."""

from __future__ import annotations

import duckdb
from streamlit.testing.v1 import AppTest

from analysis.compare import compare
from analysis.precompute import standard_results
from tests.conftest import ROOT


def test_logros_and_inicio_show_the_trial_beside_the_did(demo_db):
    trial = compare(demo_db, "score_math", design="rct").iloc[0]
    did = compare(demo_db, "score_math", design="did")
    did = did[did["program"] == "MiLab"].iloc[0]
    effect = f"+{trial['effect_size']:.2f}".replace(".", ",")
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    card = [c.value for c in at.caption if c.value.startswith("**Ensayo aleatorizado**")]
    assert len(card) == 1 and f"{effect} DE" in card[0] and "Solidez del diseño: fuerte" in card[0]
    at.switch_page("pages/logros.py").run()
    assert not at.exception, [e.value for e in at.exception]
    lines = [m.value for m in at.markdown if "**Ensayo aleatorizado**" in m.value]
    assert len(lines) == 1, lines
    line = lines[0]
    assert f"{effect} DE" in line and "frente a las escuelas asignadas al azar a comparación" in line
    assert "Logrado" in line and "Solidez del diseño: fuerte" in line
    years = (f"ensayo {trial['pre_window'][:4]} → {trial['post_window'][:4]}; diferencias en diferencias "
             f"{did['pre_window'][:4]} → {did['post_window'][:4]}")
    assert years in line  # why they can differ: another cohort, other years
    # the trial's result is a stored first-view request, so a cold view of a large database reads it
    con = duckdb.connect(demo_db, read_only=True)
    try:
        keys = {r.key for r in standard_results.standard_requests(con, "score_math")}
    finally:
        con.close()
    assert standard_results.trial_request("score_math").key in keys
