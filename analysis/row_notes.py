"""A compare() row's ``note`` said in Spanish or English: one catalogue for the pages, the brief and the CLI.

compare() writes a row's note in English (the windows it aligned, the trial schools a DiD left out: analysis/
compare/did.py), as stored results keep it; :func:`say` recognises each "; "-separated part by its shape and
says it in the reader's language, numbers as the reader writes them. A part no shape knows is kept, quoted in
Spanish as the technical detail it is (analysis/reasons.py, ``untranslated``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from analysis import plain_language, reasons

TEXTS: dict[str, dict[str, str]] = {
    "es": {
        "trial_left_out": "se dejaron fuera {n} escuelas de un ensayo aleatorizado ({ours} del programa, {theirs} de "
                          "comparación): las analiza el diseño del ensayo aleatorizado",
        "trial_only": "todas las escuelas del programa están en un ensayo aleatorizado, así que no hay diferencias en "
                      "diferencias observacional: {left_out}",
        "windows_start_year": "ventanas alineadas en el año de inicio {year}: antes de {year}, después desde {year}",
        "windows_trial_waves": "ventanas en los años de la línea de base y la línea final del ensayo: antes {pre}, "
                               "después {post}",
        "staggered_cohort": "adopción escalonada: la cohorte que empezó en {year} se compara por separado",
        "no_comparison_country": "no hay escuelas de comparación en este país",
    },
    "en": {
        "trial_left_out": "{n} schools of a randomised trial left out ({ours} programme, {theirs} comparison): the "
                          "randomised trial design analyses them",
        "trial_only": "every programme school is in a randomised trial, so there is no observational "
                      "difference-in-differences: {left_out}",
        "windows_start_year": "windows aligned on start year {year}: before {year}, after from {year} on",
        "windows_trial_waves": "windows on the trial's baseline and endline waves: before {pre}, after {post}",
        "staggered_cohort": "staggered adoption: the cohort that started in {year} is compared separately",
        "no_comparison_country": "there are no comparison schools in this country",
    },
}

Escape = Callable[[str], str]


def _counts(params: dict[str, str], lang: str, escape: Escape) -> dict[str, str]:
    return {k: plain_language.number(int(v), 0, lang) for k, v in params.items()}


def _left_out(params: dict[str, str], lang: str, escape: Escape) -> dict[str, str]:
    return {"left_out": _part(params["left_out"], lang, escape)}


# (English shape as analysis/compare/did.py or rct.py writes it, key, how its parts are put in words)
SHAPES: list[tuple[re.Pattern[str], str, Callable[[dict[str, str], str, Escape], dict[str, str]] | None]] = [
    (re.compile(r"(?P<n>\d+) schools of a randomised trial left out \((?P<ours>\d+) programme, (?P<theirs>\d+) "
                r"comparison\): the trial design analyses them"), "trial_left_out", _counts),
    (re.compile(r"every programme school is in a randomised trial, so no observational DiD: (?P<left_out>.+)"),
     "trial_only", _left_out),
    (re.compile(r"windows (?:aligned on|on the) start year (?P<year>\d+): pre < \d+ <= post"), "windows_start_year",
     None),  # did.py's and rct.py's words
    (re.compile(r"windows on the trial's baseline and endline waves: pre (?P<pre>[\d-]+), post (?P<post>[\d-]+)"),
     "windows_trial_waves", None),
    (re.compile(r"staggered adoption: start-year cohort (?P<year>\d+) compared separately"), "staggered_cohort",
     None),
    (re.compile(r"no comparison units in this country"), "no_comparison_country", None),
]


def _part(text: str, lang: str, escape: Escape) -> str:
    for pattern, key, words in SHAPES:
        m = pattern.fullmatch(text.strip())
        if m:
            params = m.groupdict()
            return TEXTS[lang][key].format(**(words(params, lang, escape) if words else params))
    return reasons.say(text, lang, escape=escape)  # a reason's shape, or the text kept as technical detail


def say(text: object, lang: str, escape: Escape | None = None) -> str:
    """A row's ``note`` in ``lang`` (English when ``lang`` is not 'es'); "" for no note. ``escape``: how a part
    kept as written is made literal (a page's Markdown escaping; none for plain text)."""
    if not isinstance(text, str) or not text.strip():
        return ""
    lang = lang if lang in TEXTS else "en"
    escape = escape or (lambda part: part)
    return "; ".join(_part(part, lang, escape) for part in text.split("; ") if part.strip())
