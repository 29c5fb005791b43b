"""The brief and the pack's files on a randomised trial and a before/after request: the trial's comparison said as
the randomised one, design strength on every finding, the comparison schools' change beside a before/after
change, Spanish notes in the Spanish CSV, the trial's CACE and the dose-response table at display precision, and
one rule for a bound that rounds to zero (the demo's MiLab mathematics DiD: low bound −0.0046)."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest

from analysis import plain_language
from analysis.disclosure import DOSE_RESPONSE_DECIMALS, round_published
from analysis.evidence.brief import findings_html
from analysis.evidence.pack import export_bytes, notes_in
from analysis.evidence.request import EvidenceRequest, PackContext

INDICATORS = pd.DataFrame([{"code": "score_math", "label_es": "Puntaje en matemáticas", "label_en": "Mathematics score",
                            "higher_is_better": True}])
CONTEXT = PackContext(imports=pd.DataFrame(), indicators=INDICATORS, meta={}, database="x.duckdb")
TRIAL_NOTE = "60 schools of a randomised trial left out (30 programme, 30 comparison): the trial design analyses them"


def _row(program: str, country: str, g: float, low: float, high: float, evidence: str, **more) -> dict:
    return {"indicator": "score_math", "program": program, "country": country, "effect_size": g, "es_ci_low": low,
            "es_ci_high": high, "effect_size_kind": "hedges_g", "months_progress": 3.0, "reliability": "ok",
            "evidence": evidence, "pre_window": "waves", "post_window": "waves", **more}


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_rct_brief_says_randomised_comparison_and_design_strength():
    table = pd.DataFrame([_row("MiLab", "GT", 0.193, 0.095, 0.291, "strong")])
    for lang, versus, strength in (("es", "frente a las escuelas asignadas al azar a comparación",
                                    "Solidez del diseño: fuerte."),
                                   ("en", "relative to the schools randomly assigned to comparison",
                                    "Design strength: strong.")):
        text = _text(findings_html(table, "score_math", EvidenceRequest(("score_math",), design="rct"), CONTEXT, lang))
        assert versus in text and strength in text
        assert "sin grupo de comparación" not in text and "no comparison group" not in text


def test_prepost_brief_adds_the_comparison_schools_change():
    table = pd.DataFrame([_row("MiLab", "GT", 0.431, 0.366, 0.496, "limited"),
                          _row("comparison", "GT", 0.310, 0.272, 0.347, "limited"),
                          _row("ValleLabs", "CO", 0.380, 0.341, 0.420, "limited")])
    part = table[table["program"] != "comparison"]
    text = _text(findings_html(part, "score_math", EvidenceRequest(("score_math",), design="prepost"), CONTEXT, "es",
                               full=table))
    assert ("Las escuelas de comparación de Guatemala cambiaron +0,31 DE en las mismas ventanas "
            "(IC 95 %: 0,27 a 0,35). Solidez del diseño: limitada.") in text
    assert text.count("escuelas de comparación de") == 1  # ValleLabs: the pack holds no comparison row of Colombia


@pytest.mark.parametrize("low", [-0.0045719509170729245, -0.005])  # compare()'s bound, and the pack's (3 decimals)
def test_a_bound_that_rounds_to_zero_has_no_sign(low):
    """The demo's MiLab mathematics DiD: g = 0.0805 [−0.0046, 0.1656]; the pack publishes −0.005, which rounded
    again to two decimals read −0,01 in the brief and −0,00 on Logros."""
    row = _row("MiLab", "GT", 0.0805, low, 0.1656, "moderate")
    found = plain_language.finding(row, "score_math", True)
    templates = {"plain.interval": "(IC 95 %: {low} a {high})", "plain.estimate": "estimación", "plain.up": "subió",
                 "plain.down": "bajó", "plain.unchanged": "no cambió", "plain.unit.hedges_g": "DE",
                 "plain.not_enough": "{who}: {direction} {value} {unit} {interval}", "plain.no_interval_text": ""}
    sentence = plain_language.sentence(found, templates, lambda v, d: f"{v:.{d}f}".replace(".", ","), {})
    assert "(IC 95 %: 0,00 a 0,17)" in sentence
    html = findings_html(pd.DataFrame([row]), "score_math", EvidenceRequest(("score_math",)), CONTEXT, "es")
    assert "(IC 95 %: 0,00 a 0,17)" in html and "−0,01" not in html
    assert plain_language.rounds_to_zero(low, 2) and not plain_language.rounds_to_zero(-0.0051, 2)


def test_spanish_csv_says_the_note_in_spanish_english_keeps_english():
    table = pd.DataFrame([{"indicator": "score_math", "program": "MiLab", "estimate": 1.5, "note": TRIAL_NOTE},
                          {"indicator": "score_math", "program": "ValleLabs", "estimate": 2.5, "note": ""}])
    request = EvidenceRequest(("score_math",))
    es = pd.read_csv(io.BytesIO(export_bytes(".csv", table, request, CONTEXT, "es", "es")), sep=";")
    assert es["note"].iloc[0].startswith("se dejaron fuera 60 escuelas de un ensayo aleatorizado (30 del programa")
    en = pd.read_csv(io.BytesIO(export_bytes(".csv", table, request, CONTEXT, "en")))
    assert en["note"].iloc[0] == TRIAL_NOTE
    assert notes_in(table, "en") is table


def test_cace_and_dose_response_at_display_precision():
    trial = round_published(pd.DataFrame({"cace": [17.21520191547277], "cace_se": [3.884876313530881],
                                          "cace_ci_low": [9.44158236765289], "compliance": [0.8723214497647349],
                                          "cace_p_value": [4.1288745847558636e-05]}))
    assert trial.iloc[0].tolist() == [17.22, 3.88, 9.44, 0.872, 4.13e-05]
    dose = round_published(pd.DataFrame({"slope": [0.04646868819649501], "slope_sd": [0.004503003859934826],
                                         "intercept": [2.1014592836276504], "top_minus_bottom_p": [7.087e-05],
                                         "n_schools": [112]}), DOSE_RESPONSE_DECIMALS)
    assert dose.iloc[0].tolist() == [0.0465, 0.0045, 2.1, 7.09e-05, 112]
