"""Two meanings of "evidence" on one card: the badge rates the DESIGN's checks (analysis/stats/evidence.py), not the
result, so it is called design strength everywhere it is shown (the badge, its help text, compare's column label);
Logros' counts use the one set of verdict words (analysis/plain_language.py VERDICTS); the dose-response lines
write the indicator in lower case mid-sentence."""

from __future__ import annotations

import pytest

from analysis import plain_language
from analysis.compare.columns import LABELS
from tests.app.apps import run_page
from tests.conftest import shown
from ui.i18n import catalogue
from ui.loaders import indicators


@pytest.mark.parametrize("lang", ["es", "en"])
def test_logros_cards_say_design_strength_and_what_it_rates(lang):
    at = run_page("logros", lang)
    cat = catalogue(lang)
    word = {"es": "Solidez del diseño", "en": "Design strength"}[lang]
    assert cat["col.evidence"] == LABELS["evidence"][lang == "en"] == word
    badges = [m for m in at.markdown if f"-badge[{word}: " in m.value]
    assert len(badges) >= 3
    # the help says the badge rates the design, not the result, next to a heading like "evidence not yet enough"
    assert all(m.proto.help == cat["evidence.badge_help"] for m in badges)
    assert {"es": "no el resultado", "en": "not the result"}[lang] in cat["evidence.badge_help"]
    old = {"es": "-badge[Evidencia: ", "en": "-badge[Evidence: "}[lang]
    assert not [m for m in at.markdown if old in m.value]
    # the counts above the cards: the verdict words of the brief and Regiones
    labels = {m.label for m in at.metric}
    assert set(plain_language.VERDICTS[lang].values()) <= labels
    # the data table names the column the same way
    assert any(word in d.value.columns for d in at.dataframe)
    # the dose-response lines: the indicator in lower case mid-sentence ("… más en puntaje en matemáticas que …")
    label = indicators().set_index("code").loc["score_math", f"label_{lang}"]
    dose = [shown(m.value) for m in at.markdown if ":material/construction:" in m.value
            and {"es": "horas de laboratorio", "en": "lab hours"}[lang] in m.value]
    assert dose, "the demo has a dose-response line"
    assert label[:1].isupper() and all(f" {label[:1].lower()}{label[1:]} " in d and f" {label} " not in d
                                       for d in dose), dose
