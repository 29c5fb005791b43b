"""A verdict for every territory: on the demo, every department and municipality, for every indicator Regiones
offers, has an estimate with an interval or a plain reason, both its own and partially pooled."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, shown
from ui.i18n import catalogue


def _every_table() -> None:
    """Run inside AppTest (the translation helper and the caches need a session): the tables Regiones would
    show for every indicator and both territory levels, kept in the session state."""
    import streamlit as st

    from ui import regions_view as view
    from ui import territory_verdicts as verdicts

    out = {}
    for indicator in view.indicator_options():
        for level in ("department", "municipality"):
            outcome, used, _ = view.results(indicator, level, view.DESIGNS[0], None)
            table = verdicts.build(indicator, level, used, outcome)
            if table is None:
                out[(indicator, level)] = None
                continue
            out[(indicator, level)] = (table, verdicts.display(table, level, True), len(outcome.frame))
    st.session_state["tables"] = out


def _reasons(lang: str) -> list[re.Pattern]:
    """Every reason sentence of the catalogue as a pattern (placeholders match anything)."""
    cat = catalogue(lang)
    keys = [k for k in cat if k.startswith(("territory.reason.", "territory.pooled.", "territory.estimate_only"))]
    return [re.compile(".*".join(re.escape(p) for p in re.split(r"\{[a-z_]+\}", cat[k])) + "$") for k in keys]


INTERVAL = re.compile(r"^[+−]?\d+,\d+( [^\[]+)? \[[+−]?\d+,\d+ a [+−]?\d+,\d+\]$")


def test_every_territory_has_an_interval_or_a_reason():
    at = AppTest.from_function(_every_table, default_timeout=240)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    tables = at.session_state["tables"]
    cat, reasons = catalogue("es"), _reasons("es")
    assert len(tables) >= 10
    seen_pooled = seen_reason = 0
    for (indicator, level), found in tables.items():
        assert found is not None, (indicator, level)
        table, display, n_rows = found
        assert len(table) == len(display) == n_rows  # no territory dropped
        for column in ("territory_own", "territory_pooled"):
            for text in display[cat[f"col.{column}"]]:
                assert INTERVAL.match(text) or any(r.match(text) for r in reasons), (indicator, level, text)
        # never a zero-width interval
        own = table.dropna(subset=["ci_low", "ci_high"])
        assert (own["ci_high"] > own["ci_low"]).all()
        pooled = table.dropna(subset=["pooled_ci_low", "pooled_ci_high"])
        assert (pooled["pooled_ci_high"] > pooled["pooled_ci_low"]).all()
        # a pooled value lies between the territory's own estimate and the programme's mean
        lo = pooled[["estimate", "programme_mean"]].min(axis=1) - 1e-12
        hi = pooled[["estimate", "programme_mean"]].max(axis=1) + 1e-12
        assert pooled["pooled"].between(lo, hi).all()
        # every territory of a programme has a verdict, and pooled rows need no interval of their own
        assert display.loc[display[cat["col.n_treated"]].fillna(0) > 0, cat["col.verdict"]].isin(
            [cat[f"territory.verdict.{v}"] for v in ("worked", "worse", "inconclusive")]).all()
        seen_pooled += len(pooled)
        seen_reason += int(table["reason"].notna().sum())
    # the demo has territories pooled and territories with reasons: the test exercises both
    assert seen_pooled >= 20 and seen_reason >= 20


@pytest.mark.parametrize(("lang", "pooled"), [("es", True), ("en", False)])
def test_regions_page_gives_a_verdict_per_territory(lang, pooled):
    """The verdict section of Regiones; pooling on by default, off from a shared link (the URL holds it)."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params["lang"] = lang
    at.query_params["nivel"] = "municipality"
    at.query_params["indicador"] = "score_math"
    if not pooled:
        at.query_params["agrupada"] = "false"
    at.run()
    at.switch_page("pages/regiones.py").run()
    assert not at.exception, [e.value for e in at.exception]
    cat = catalogue(lang)
    (toggle,) = [t for t in at.toggle if t.label == cat["territory.pooled_toggle"]]
    assert toggle.value is pooled
    lines = [shown(m.value) for m in at.markdown if cat["territory.summary.worked"].split("{")[0] in m.value]
    assert {line.split("**")[1] for line in lines} == {"MiLab", "ValleLabs"}
    # each sentence says which estimate its verdict rests on, and the chart's caption says it shows the own one
    on = cat["territory.summary.pooled" if pooled else "territory.summary.own"]
    assert all(on in line for line in lines)
    assert any(cat["regions.chart_own"] in shown(c.value) for c in at.caption)
    frames = [d.value for d in at.dataframe if cat["col.territory_own"] in d.value.columns]
    assert len(frames) == 1 and (cat["col.territory_pooled"] in frames[0].columns) is pooled
    assert frames[0][cat["col.territory_own"]].astype(bool).all()
    basis = cat["territory.basis_pooled" if pooled else "territory.basis_own"]
    assert any(shown(c.value) == basis for c in at.caption)


def test_logros_says_where_each_result_worked():
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params["lang"] = "es"
    at.run()
    at.switch_page("pages/logros.py").run()
    cat = catalogue("es")
    assert not at.exception and cat["achievements.where_open"] in [e.label for e in at.expander]
    worked = cat["territory.summary.worked"].split("{")[0]
    assert not [m for m in at.markdown if worked in m.value]  # computed only once the reader opens it
    at.session_state["logros-donde"] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    lines = [shown(m.value) for m in at.markdown if worked in m.value]
    # one line per programme and indicator: both demo programmes, several indicators
    assert {line.split("**")[1] for line in lines} == {"MiLab", "ValleLabs"} and len(lines) >= 6
    assert all(re.search(r"funcionó en \d+ de \d+ departamentos", line) for line in lines)
    assert any(shown(c.value) == cat["territory.basis_pooled"] for c in at.caption)
