"""Plain-language findings (analysis/plain_language.py) with the real catalogues of both languages."""

from __future__ import annotations

import math

import pytest

from analysis.plain_language import NEGLIGIBLE, classify, finding, sentence
from ui.i18n import catalogue

NAN = math.nan


def _number(lang: str):
    def fmt(value: float, decimals: int) -> str:
        text = f"{value:,.{decimals}f}"
        return text.replace(",", " ").replace(".", ",").replace(" ", ".") if lang == "es" else text
    return fmt


@pytest.mark.parametrize(("effect", "low", "high", "kind", "hib", "expected"), [
    (0.16, 0.12, 0.20, "hedges_g", True, ("achieved", "better")),
    (-0.98, -1.08, -0.89, "pp", False, ("achieved", "better")),  # dropout fell: lower is better
    (-0.98, -1.08, -0.89, "pp", True, ("not_achieved", "worse")),
    (0.01, -0.05, 0.06, "hedges_g", True, ("not_achieved", "negligible")),  # rules out g >= 0.10
    (0.00, -0.5, 0.5, "pp", False, ("not_achieved", "negligible")),  # rules out a 1-point improvement
    (0.03, -0.04, 0.10, "hedges_g", True, ("not_enough", "wide")),
    (0.21, NAN, NAN, "hedges_g", True, ("not_enough", "no_interval")),  # 3 or fewer schools on a side
    (NAN, NAN, NAN, "hedges_g", True, ("not_enough", "no_estimate")),
    (0.5, 0.3, 0.7, "hedges_g", None, ("not_enough", "no_direction")),
])
def test_classify(effect, low, high, kind, hib, expected):
    assert classify(effect, low, high, kind, hib) == expected


def test_marks_and_badges_take_precedence():
    assert classify(0.5, 0.3, 0.7, "hedges_g", True, reliability="suppressed") == ("not_enough", "suppressed")
    assert classify(0.5, 0.3, 0.7, "hedges_g", True, reliability="low") == ("not_enough", "low")
    assert classify(0.5, 0.3, 0.7, "hedges_g", True, evidence="insufficient") == ("not_enough", "insufficient")
    assert NEGLIGIBLE == {"hedges_g": 0.10, "cox": 0.10, "pp": 1.0}


ROW = {"program": "ValleLabs", "country": "CO", "effect_size": 0.1603, "es_ci_low": 0.1182, "es_ci_high": 0.2019,
       "effect_size_kind": "hedges_g", "months_progress": 2.0, "reliability": "ok", "evidence": "moderate"}


@pytest.mark.parametrize(("lang", "expected"), [
    ("es", "**ValleLabs (Colombia)** · Puntaje en matemáticas: subió 0,16 DE frente a las escuelas de comparación, "
           "equivalente a 2 meses de progreso (escala EEF) (IC 95 %: 0,12 a 0,20)."),
    ("en", "**ValleLabs (Colombia)** · Mathematics score: rose 0.16 SD relative to comparison schools, equivalent to "
           "2 months of progress (EEF scale) (95% CI: 0.12 to 0.20)."),
])
def test_sentence_carries_number_interval_and_months(lang, expected):
    f = finding(ROW, "score_math", True)
    assert f.status == "achieved"
    names = {"program": "ValleLabs (Colombia)",
             "indicator": "Puntaje en matemáticas" if lang == "es" else "Mathematics score"}
    assert sentence(f, catalogue(lang), _number(lang), names) == expected


def test_rate_sentences_use_points_and_say_why_evidence_is_missing():
    row = {**ROW, "effect_size": -0.83, "es_ci_low": -0.97, "es_ci_high": -0.69, "effect_size_kind": "pp",
           "months_progress": NAN}
    f = finding(row, "dropout_rate", False)
    text = sentence(f, catalogue("es"), _number("es"), {"program": "MiLab", "indicator": "Deserción"})
    assert "bajó 0,83 puntos porcentuales" in text and "(IC 95 %: -0,97 a -0,69)" in text and "EEF" not in text
    wide = finding({**row, "es_ci_low": -1.9, "es_ci_high": 1.2}, "dropout_rate", False)
    text = sentence(wide, catalogue("en"), _number("en"), {"program": "MiLab", "indicator": "Dropout"})
    assert wide.status == "not_enough" and "cannot tell a meaningful improvement from none" in text
    gone = finding({**row, "reliability": "suppressed", "effect_size": NAN}, "dropout_rate", False)
    assert "fewer than 10 students" in sentence(gone, catalogue("en"), _number("en"), {"program": "MiLab"})


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_brief_says_when_the_pretrends_differed(lang):
    """The evidence pack's brief words a finding as Logros does: pre-trends that differ (the flag compare() sets
    from a significant pre-trend check) are said after the sentence, with the slope difference a year, whatever
    the verdict; a score's difference is in points (the indicator's scale), not in SD."""
    from analysis.evidence.brief import _templates, number

    templates = _templates(lang, "did", 10)
    row = {**ROW, "effect_size": -0.83, "es_ci_low": -0.97, "es_ci_high": -0.69, "effect_size_kind": "pp",
           "months_progress": NAN, "flags": "pandemic_years, pretrends_differ", "pretrend_diff": -0.0729}
    f = finding(row, "dropout_rate", False)
    text = sentence(f, templates, lambda v, d: number(v, d, lang), {"program": "MiLab", "indicator": "Dropout"})
    said = catalogue(lang)["plain.pretrend"].format(diff="−0,07" if lang == "es" else "−0.07",
                                                    unit=templates["plain.unit.pp"])
    assert f.status == "achieved" and text.endswith(" " + said)
    plain = sentence(finding({**row, "flags": "pandemic_years"}, "dropout_rate", False), templates,
                     lambda v, d: number(v, d, lang), {"program": "MiLab", "indicator": "Dropout"})
    assert text == plain + " " + said
    score = finding({**ROW, "flags": "pretrends_differ", "pretrend_diff": 3.2}, "score_math", True)
    assert sentence(score, templates, lambda v, d: number(v, d, lang), {"program": "ValleLabs"}).endswith(
        catalogue(lang)["plain.pretrend"].format(diff="3" + ("," if lang == "es" else ".") + "2",
                                                 unit=templates["plain.unit.points"]))


def test_a_small_index_change_keeps_its_significant_digits():
    """Issue 14, item 9: a 0-1 index does not 'rise 0.0 points'."""
    from analysis.plain_language import scale_decimals

    assert scale_decimals(0.034, 0.01, 0.058) == 3
    assert scale_decimals(5.2, 1.1, 9.3) == 1
    assert scale_decimals(0.4, -0.1, 0.9) == 2
    assert scale_decimals(float("nan"), 0.0, 0.0) == 1


@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_change_that_rounds_to_zero_did_not_change(lang):
    """Issue 16: not 'rose 0.00 percentage points'."""
    cat = catalogue(lang)
    f = finding({"effect_size": 0.001, "es_ci_low": -0.4, "es_ci_high": 0.4, "effect_size_kind": "pp",
                 "reliability": "ok", "evidence": "moderate"}, "repetition_rate", False)
    text = sentence(f, cat, _number(lang), {"program": "MiLab", "indicator": "Repitencia"})
    assert cat["plain.unchanged"] in text
    assert cat["plain.up"] not in text and "0,00" not in text and "0.00 " not in text
    assert f"{cat['plain.unchanged']} {cat['plain.unit.pp']}" not in text  # no unit after "did not change"


@pytest.mark.parametrize("lang", ["es", "en"])
def test_an_inconclusive_result_has_no_direction_word_and_no_months(lang):
    """Issue 16: an interval that cannot tell says its estimate, without 'rose' or months of progress."""
    cat = catalogue(lang)
    f = finding({"effect_size": 0.05, "es_ci_low": -0.04, "es_ci_high": 0.14, "effect_size_kind": "hedges_g",
                 "months_progress": 1.0, "reliability": "ok", "evidence": "moderate"}, "score_math", True)
    assert f.status == "not_enough"
    text = sentence(f, cat, _number(lang), {"program": "MiLab", "indicator": "Math"})
    assert cat["plain.up"] not in text and cat["plain.down"] not in text
    assert cat["plain.estimate"] in text and "+0" in text
    assert cat["plain.months_one"].split("{")[0].strip(", ") not in text


@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_row_without_inference_says_why_and_no_direction(lang):
    # a pre/post row on 3 or fewer schools (no interval, badge too_few_clusters) and a row without spread
    # (flag no_variation): neither gets a direction word, and each gives its own reason
    cat = catalogue(lang)
    names = {"program": "MiLab (Guatemala)", "indicator": "Math"}
    few = finding({**ROW, "es_ci_low": NAN, "es_ci_high": NAN, "evidence": "insufficient",
                   "flags": "inference_not_reliable"}, "score_math", True)
    still = finding({**ROW, "es_ci_low": NAN, "es_ci_high": NAN, "evidence": "insufficient",
                     "flags": "pandemic_years, no_variation"}, "score_math", True)
    assert (few.status, few.reason) == ("not_enough", "no_interval")
    assert (still.status, still.reason) == ("not_enough", "no_variation")
    few_text, still_text = (sentence(f, cat, _number(lang), names) for f in (few, still))
    for text in (few_text, still_text):
        assert cat["plain.up"] not in text and cat["plain.down"] not in text and cat["plain.estimate"] in text
    assert cat["plain.no_interval_text"] in few_text and cat["plain.reason.no_interval"] in few_text
    assert cat["plain.no_interval_text.no_variation"] in still_text and cat["plain.reason.no_variation"] in still_text
    assert cat["plain.reason.no_interval"] not in still_text
