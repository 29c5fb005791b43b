"""Every verdict says its reason, on the full demo (the review's case, build_demo's defaults): Regiones names the low
reliability that keeps a territory with an interval wholly on the side of improvement at "not enough evidence"
(Chimaltenango, dropout: 4 programme schools), its rule names the condition and its summary counts each reason;
Logros says when a result's pre-trends already differed (MiLab, dropout), with compare()'s ``pretrend_diff``."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from analysis import plain_language
from analysis.demo.params import DEFAULT_SEED, DEFAULT_STUDENTS
from tests.conftest import ROOT, shown
from ui.i18n import catalogue


@pytest.fixture(scope="module")
def full_demo(tmp_path_factory) -> str:
    """The demo as the dashboard builds it by default (20,000 students: MiLab has 11 departments)."""
    from tests.conftest import demo_copy

    return str(demo_copy(tmp_path_factory, DEFAULT_STUDENTS, DEFAULT_SEED, "fulldemo"))


@pytest.fixture
def on_full_demo(full_demo, monkeypatch):
    import ui.db

    monkeypatch.setenv("LABLENS_DB", full_demo)
    ui.db._connection.clear()
    ui.db._ensure_demo.clear()
    yield
    ui.db._connection.clear()


def _page(page: str, lang: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=180)
    at.query_params["lang"] = lang
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("lang", ["es", "en"])
def test_regions_verdict_says_low_reliability(on_full_demo, lang):
    at = _page("regiones", lang, indicador="dropout_rate", nivel="department", agrupada="false")
    cat = catalogue(lang)
    (frame,) = [d.value for d in at.dataframe if cat["col.territory_own"] in d.value.columns]
    rows = frame.set_index(frame.columns[2])  # the territory column, named by the level
    verdict = rows[cat["col.verdict"]]
    # the review's pair: both intervals wholly below zero (dropout: lower is better), one achieved, one not
    low = cat["territory.low"].format(reliability=cat["rel.low"],
                                      detail=cat["territory.schools"].format(n="4"))
    assert verdict["Chimaltenango"] == cat["territory.verdict_why"].format(verdict=cat["verdict.not_enough"],
                                                                            reason=low)
    assert verdict["Huehuetenango"] == cat["verdict.achieved"]
    dec = "," if lang == "es" else "."
    assert rows.loc["Chimaltenango", cat["col.territory_own"]].startswith(f"−0{dec}67 pp [−1{dec}05")
    # the rule names the reliability condition, and the summary counts every reason: 9 + 1 = 10
    basis = [shown(c.value) for c in at.caption if shown(c.value) == cat["territory.basis"]]
    assert basis and cat["rel.low"] in basis[0] and "5" in basis[0] and "30" in basis[0]
    (line,) = [shown(m.value) for m in at.markdown if shown(m.value).startswith("**MiLab**")]
    assert line.endswith(cat["territory.summary.other"].format(verdict=cat["verdict.not_enough"].lower(), n=10)
                         + " (" + cat["territory.summary.no_own_interval"].format(n=9) + ", "
                         + cat["territory.summary.low"].format(n=1) + ").")


@pytest.mark.parametrize("lang", ["es", "en"])
def test_logros_says_the_pretrends_differed(on_full_demo, lang):
    from analysis.evidence.brief import number
    from ui.loaders import indicators, programme_results

    at = _page("logros", lang)
    cat = catalogue(lang)
    rows = programme_results("dropout_rate", "did").frame.set_index("program")  # the page's own compare() rows
    milab, valle = rows.loc["MiLab"], rows.loc["ValleLabs"]
    # the review's case: MiLab's pre-trends differ (about −0.07 pp a year), ValleLabs' do not
    assert bool(milab["pretrend_significant"]) and round(milab["pretrend_diff"], 2) == -0.07
    assert not bool(valle["pretrend_significant"])
    said = cat["plain.pretrend"].format(diff=number(milab["pretrend_diff"], 2, lang), unit=cat["plain.unit.pp"])
    assert said == plain_language.PRETREND[lang].format(diff=f"−0{',' if lang == 'es' else '.'}07",
                                                        unit=cat["plain.unit.pp"])
    info = indicators().set_index("code")
    label = info.loc["dropout_rate", f"label_{lang}"]  # a sentence is "<icon> **MiLab (Guatemala)** · <indicator>: ..."
    lines = {name: [shown(m.value) for m in at.markdown
                    if f"**{name} (" in shown(m.value) and f"· {label}:" in shown(m.value)]
             for name in ("MiLab", "ValleLabs")}
    assert len(lines["MiLab"]) == 1 and lines["MiLab"][0].endswith(" " + said)
    assert len(lines["ValleLabs"]) == 1 and cat["plain.pretrend"].split("(")[0] not in lines["ValleLabs"][0]
    # the verdict stays (the interval decides it), the sentence says what the pre-trends mean
    assert plain_language.finding(milab.to_dict() | {"program": "MiLab"}, "dropout_rate", False).status == "achieved"
