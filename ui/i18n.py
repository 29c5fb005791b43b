"""Translation helper: every user-visible string goes through `t(key, **fmt)`.

Catalogues live in ui/locales/{es,en}.json (Spanish is the default), with the words the analysis says once for
the command line and the pages too (level and wave names, cost-file errors, compare()'s column names:
ui/analysis_words.py). The language is part of the
URL (`?lang=en`) so a shared link opens in the same language; without it, the browser's locale
decides (docs/STACK_NOTES.md, "i18n").
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import streamlit as st

from analysis import plain_language
from ui import analysis_words

LANGUAGES = ("es", "en")
LANGUAGE_NAMES = {"es": "Español", "en": "English"}  # each language by its own name
DEFAULT_LANGUAGE = "es"
LOCALES = Path(__file__).resolve().parent / "locales"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The flat key -> text catalogue of one language: ui/locales and the analysis' words (ui/analysis_words.py)."""
    with open(LOCALES / f"{lang}.json", encoding="utf-8") as handle:
        return {**json.load(handle), **analysis_words.words(lang)}


def browser_language() -> str:
    """The browser's language when it is English, else Spanish (the default)."""
    try:
        locale = (st.context.locale or "").lower()
    except Exception:  # outside a browser session (AppTest) there is no locale
        locale = ""
    return "en" if locale.startswith("en") else DEFAULT_LANGUAGE


def current_language() -> str:
    """The language of this session: the URL's ?lang= (kept equal to the language selector), else the
    selector's, else the browser's."""
    for value in (st.query_params.get("lang"), st.session_state.get("lang")):
        if value in LANGUAGES:
            return value
    return browser_language()


def t(key: str, **fmt: object) -> str:
    """Translate `key` into the session's language; a missing key shows as ⟦key⟧ (tests catch it)."""
    text = catalogue(current_language()).get(key)
    if text is None:
        text = catalogue(DEFAULT_LANGUAGE).get(key, f"⟦{key}⟧")
    return text.format(**fmt) if fmt else text


def plural(key: str, count: object, **fmt: object) -> str:
    """``t(key)`` for a count other than one; its singular ``key_one`` for one ("logrado en 1 de 1 departamento",
    "0 de 1 docente"). Spanish and English both use the singular for exactly one and the plural otherwise,
    zero included (CLDR plural rules, "one" and "other")."""
    try:
        one = float(count) == 1  # type: ignore[arg-type]
    except (TypeError, ValueError):
        one = False
    return t(f"{key}_one" if one and has(f"{key}_one") else key, **fmt)


def number(value: float | int | None, decimals: int = 0) -> str:
    """A number in the session's convention: 1.234,5 in Spanish, 1,234.5 in English; −0,42 with U+2212."""
    return "—" if value is None else plain_language.number(value, decimals, current_language())


def has(key: str) -> bool:
    """Whether the catalogue has ``key`` (an open set of codes, such as student attributes, may not)."""
    return key in catalogue(DEFAULT_LANGUAGE)
