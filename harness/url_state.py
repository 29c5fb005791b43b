"""Hostile URL state: query parameters fed to the dashboard's URL-bound filters (ui/filters.py).

The filters are Streamlit widgets bound to the URL (``bind="query-params"``), so the parser under
test is Streamlit's binding plus our option lists. :func:`run_filters` runs the real ``pick`` and
``pick_many`` in a small app (fast enough for thousands of inputs) and reports what they chose;
:func:`hostile_values` generates the inputs, for the suite (hypothesis) and for ``bench/soak_url.py``.
"""

from __future__ import annotations

import ast
import random

from streamlit.testing.v1 import AppTest

INDICATORS = ["score_math", "dropout_rate", "motivation_index"]
GROUPINGS = ["lab_type", "zone", "sex"]
PARAMS = ("indicador", "agrupar", "indicadores", "lang")
NASTY = ["x' OR 1=1 --", "'; DROP TABLE observations; --", "score_math\x00", "../../etc/passwd", "<script>x</script>",
         "=HYPERLINK(\"http://example.invalid\")", "%00%27", "score_math,dropout_rate", "SCORE_MATH", " score_math",
         "\u202escore_math", "ñ" * 5000, "", "None", "null", "[]", "{}", "🙂", "\r\n", "es\x00en", "en"]


def _app() -> None:  # pragma: no cover - runs inside AppTest
    import streamlit as st

    from harness.url_state import GROUPINGS, INDICATORS
    from ui.filters import pick, pick_many

    indicator = pick("filter.indicator", INDICATORS, key="indicador", default="score_math")
    by = pick("filter.group_by", GROUPINGS, key="agrupar")
    many = pick_many("filter.indicators", INDICATORS, key="indicadores", default=["score_math"])
    st.text(repr((indicator, by, many)))


def run_filters(params: dict[str, str | list[str]]) -> tuple[object, object, list]:
    """The filters' choices for these query parameters; raises AssertionError on any app exception."""
    at = AppTest.from_function(_app, default_timeout=30)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return ast.literal_eval(at.text[0].value)  # our own repr of strings, None and lists


def check_choices(choices: tuple[object, object, list]) -> None:
    """A hostile value is never chosen: every choice is one of the options (or the empty 'all')."""
    indicator, by, many = choices
    assert indicator in INDICATORS
    assert by is None or by in GROUPINGS
    assert set(many) <= set(INDICATORS)


def hostile_values(rng: random.Random) -> dict[str, str | list[str]]:
    """One random set of query parameters: nasty strings, near-misses of real codes, repeats."""
    def one() -> str:
        kind = rng.random()
        if kind < 0.4:
            return rng.choice(NASTY)
        if kind < 0.6:
            return rng.choice(INDICATORS + GROUPINGS)
        if kind < 0.8:
            return "".join(chr(rng.randint(1, 0x2FFF)) for _ in range(rng.randint(0, 40)))
        return rng.choice(INDICATORS) + rng.choice(["'", " --", "\x00", ";", "%", "/*"])

    params: dict[str, str | list[str]] = {}
    for key in PARAMS:
        if rng.random() < 0.8:
            params[key] = [one() for _ in range(rng.randint(2, 4))] if rng.random() < 0.25 else one()
    return params
