"""A verdict for every territory: on the demo, every department and municipality, for every indicator Regiones
offers, has an estimate with an interval or a plain reason, both its own and partially pooled; its verdict rests on
its own estimate and is the evidence pack brief's for the same row."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from analysis import plain_language
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
            out[(indicator, level)] = (table, verdicts.display(table, level, True), len(outcome.frame), outcome.frame,
                                       verdicts.higher_is_better(indicator))
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
    seen_pooled = seen_reason = seen_pooled_only = 0
    for (indicator, level), found in tables.items():
        assert found is not None, (indicator, level)
        table, display, n_rows, rows, hib = found
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
        # every territory of a programme has a verdict in the words of Logros and the brief
        mine = display[cat["col.n_treated"]].fillna(0) > 0
        words = {cat[f"verdict.{s}"]: s for s in plain_language.STATUSES}
        # the word first, then (for a territory with its own interval yet not judged by it) why in brackets
        assert display.loc[mine, cat["col.verdict"]].str.split(" (", regex=False).str[0].isin(words).all()
        # the verdict rests on the territory's OWN row: the brief's rule (brief.findings_html classifies each row
        # with plain_language.finding) on the same compare() row; never "achieved" without an own interval
        brief = [plain_language.finding(r, indicator, hib).status for r in rows.to_dict("records")]
        assert list(table["status"]) == brief, (indicator, level)
        assert not ((table["status"] == "achieved") & table["ci_low"].isna()).any()
        seen_pooled_only += int(((table["pooled_ci_low"] > 0) & (table["status"] != "achieved")).sum()
                                if hib else 0)
        seen_pooled += len(pooled)
        seen_reason += int(table["reason"].notna().sum())
    # the demo has territories pooled and territories with reasons: the test exercises both
    assert seen_pooled >= 20 and seen_reason >= 20
    # the old verdict (the pooled interval) called these "worked"; their own rows cannot say so
    assert seen_pooled_only >= 5


def _brief_and_regions() -> None:
    """Run inside AppTest: for every indicator and territory (departments, the default design), the verdict word
    Regiones shows and the heading the evidence pack's brief files the same territory under (Evidencia's table,
    built by its own plan, and analysis.evidence.brief.findings_html on each row)."""
    import re

    import streamlit as st

    from analysis.evidence import brief
    from ui import evidence_view
    from ui import format as fmt
    from ui import regions_view as view
    from ui import territory_verdicts as verdicts

    context, out = evidence_view.context(), {}
    for code in view.indicator_options():
        outcome, used, _ = view.results(code, "department", view.DESIGNS[0], None)
        table = verdicts.build(code, "department", used, outcome)
        shown = verdicts.display(table, "department", False)
        regions = {(p, d): v.split(" (")[0] for p, d, v in shown.iloc[:, [0, 2, 3]].itertuples(index=False, name=None)}
        evidence, _ = evidence_view.build([code], used, "department")
        request = evidence_view.request([code], used, "department")
        evidence = evidence[evidence["program"] != "comparison"]
        for i in range(len(evidence)):
            row = evidence.iloc[[i]]
            page = brief.findings_html(row, code, request, context, "es")
            heading = re.search(r'<p class="status">(.+?) \(1\)</p>', page).group(1)
            key = (fmt.programme(row["program"].iloc[0]), fmt.group_label("department", row["department"].iloc[0]))
            out[(code, *key)] = (regions.get(key), heading, int(row["n_treated"].iloc[0]))
    st.session_state["pairs"] = out


def test_regions_and_the_brief_give_the_same_verdict_for_every_territory():
    """One rule, one set of words: the review found Regiones saying "funcionó" (pooled) where the brief said
    "Evidencia aún insuficiente" (Chimaltenango, mathematics). Now both judge the territory's own row."""
    at = AppTest.from_function(_brief_and_regions, default_timeout=240)
    at.query_params["lang"] = "es"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    pairs = at.session_state["pairs"]
    assert len(pairs) >= 30
    words = {catalogue("es")[f"verdict.{s}"] for s in plain_language.STATUSES}
    mine = {k: v for k, v in pairs.items() if v[2] > 0}  # territories where the programme has schools
    assert all(regions == heading for regions, heading, _ in mine.values()), \
        {k: v for k, v in mine.items() if v[0] != v[1]}
    assert {heading for _, heading, _ in mine.values()} <= words
    # the demo exercises more than one verdict
    assert len({heading for _, heading, _ in mine.values()}) >= 2


@pytest.mark.parametrize(("lang", "pooled"), [("es", True), ("en", False)])
def test_regions_page_gives_a_verdict_per_territory(lang, pooled):
    """The verdict section of Regiones: each territory judged by its own estimate (one without an interval of
    its own is "not enough evidence"), the combined estimate shown by default as a reference, hidden from a
    shared link (the URL holds it)."""
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
    achieved = cat["verdict.achieved"].lower()
    lines = [shown(m.value) for m in at.markdown if f": {achieved} " in shown(m.value)]
    assert {line.split("**")[1] for line in lines} == {"MiLab", "ValleLabs"}
    frames = [d.value for d in at.dataframe if cat["col.territory_own"] in d.value.columns]
    assert len(frames) == 1 and (cat["col.territory_pooled"] in frames[0].columns) is pooled
    frame = frames[0]
    assert frame[cat["col.territory_own"]].astype(bool).all()
    verdicts = frame[cat["col.verdict"]]
    # no territory without an interval of its own is called achieved; each line's counts are the table's
    few = frame[cat["col.territory_own"]].str.contains(cat["territory.estimate_only"].split("}")[1].split("{")[0],
                                                       regex=False)
    assert few.any() and not (verdicts[few] == cat["verdict.achieved"]).any()
    for line in lines:
        name = line.split("**")[1]
        mine = frame[(frame[cat["col.program"]] == name) & (frame[cat["col.n_treated"]] > 0)]
        n = int((mine[cat["col.verdict"]] == cat["verdict.achieved"]).sum())
        level = cat["territory.plural.municipality" + ("_one" if len(mine) == 1 else "")]
        assert cat["territory.summary.achieved"].format(verdict=achieved, n=n, total=len(mine), level=level) in line
    assert any(shown(c.value) == cat["territory.basis"] for c in at.caption)
    if pooled:  # the combined estimate is shown with its interval where it exists (its wording: test below)
        assert frame[cat["col.territory_pooled"]].str.contains(" [", regex=False).any()
    assert "funcionó" not in " ".join(lines) and "worked in" not in " ".join(lines)


def test_the_combined_estimate_says_when_it_mostly_repeats_the_programme():
    """A territory whose combined estimate is mostly the programme's (shrinkage ≥ 0.5) is said to resemble the
    programme's general effect; below that, the estimate alone (the demo's territories may hold either)."""
    import pandas as pd

    from analysis import territories
    from ui.territory_verdicts import pooled_text

    row = pd.Series({"pooled_reason": None, "pooled": 0.2, "pooled_ci_low": 0.05, "pooled_ci_high": 0.35,
                     "effect_size_kind": "hedges_g", "shrinkage": territories.MOSTLY_PROGRAMME})
    tail = catalogue("es")["territory.pooled.mostly_programme"].split("}")[1]
    assert pooled_text(row).endswith(tail) and "+0,20" in pooled_text(row)
    row["shrinkage"] = territories.MOSTLY_PROGRAMME - 0.01
    assert not pooled_text(row).endswith(tail) and "+0,20" in pooled_text(row)


@pytest.mark.parametrize("lang", ["es", "en"])
def test_logros_says_where_each_result_worked(lang):
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("pages/logros.py").run()
    cat = catalogue(lang)
    assert not at.exception and cat["achievements.where_open"] in [e.label for e in at.expander]
    said = cat["territory.summary.achieved"].format(verdict=cat["verdict.achieved"].lower(), n="\0", total="\0",
                                                     level="\0")
    worked = ": " + said.split("\0")[0]  # ": logrado en ", ": achieved in "
    assert not [m for m in at.markdown if worked in m.value]  # computed only once the reader opens it
    at.session_state["logros-donde"] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    lines = [shown(m.value) for m in at.markdown if worked in m.value]
    # one line per programme and indicator: both demo programmes, several indicators
    assert {line.split("**")[1] for line in lines} == {"MiLab", "ValleLabs"} and len(lines) >= 6
    words, of, before_level, _ = map(re.escape, said.split("\0"))
    count = re.compile(f": {words}(\\d+){of}(\\d+){before_level}(\\w+)")
    found = [count.search(line).groups() for line in lines]
    assert any(shown(c.value) == cat["territory.basis"] for c in at.caption)
    # a count of one department in the singular (ValleLabs works in Valle del Cauca alone), else the plural
    singular, plural = cat["territory.plural.department_one"], cat["territory.plural.department"]
    assert all(word == (singular if total == "1" else plural) for _, total, word in found)
    assert {total for _, total, _ in found} >= {"1"}
    # the review's case: MiLab had "funcionó en 11 de 11" by the pooled estimate; by their own, far fewer
    milab = [g[:2] for g, line in zip(found, lines, strict=True) if "**MiLab**" in line]
    assert milab and all(int(n) < int(total) for n, total in milab)
