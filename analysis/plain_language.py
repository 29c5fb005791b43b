"""Plain-language findings from compare() rows: achieved, not achieved, or evidence not yet enough.

Pure functions (no Streamlit): the sentence templates and the number formatter come from the caller,
so the same rules serve Spanish, English and tests. docs/METHODS.md ("Plain language") is the reference.

Classification of one result (an effect with its 95% interval, turned so that positive = better by
the indicator's ``higher_is_better``):

- **not enough evidence** (``not_enough``) when the cell is suppressed (fewer than 10 students), has no
  estimate or no interval (3 or fewer schools on a side: no reliable inference; or, flagged
  ``no_variation``, data without spread), carries a
  low-reliability mark (fewer than 30 students or 5 units), the evidence badge is "insufficient",
  or the interval is too wide to tell a meaningful improvement from none;
- **achieved** when the whole interval lies on the better side of zero;
- **not achieved** when the whole interval lies on the worse side (it got worse), or when the interval
  rules out any meaningful improvement: its better end is below ``NEGLIGIBLE`` (0.10 SD — about two
  EEF months — for standardised effects, 1 percentage point for rates).

An indicator without a direction (``higher_is_better`` None) is described, never judged: not_enough.

A result whose pre-trend check is significant (flag ``pretrends_differ``) keeps its verdict, and its sentence adds
that the trends already differed before the programme, by how much a year, and what that means (``PRETREND``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

STATUSES = ("achieved", "not_achieved", "not_enough")
#: the verdict words, written once: Logros, Regiones (ui/analysis_words.py, keys ``verdict.<status>``) and the
#: evidence pack's brief read them here; mid-sentence the pages lower the first letter
VERDICTS: dict[str, dict[str, str]] = {
    "es": {"achieved": "Logrado", "not_achieved": "No logrado", "not_enough": "Evidencia aún insuficiente"},
    "en": {"achieved": "Achieved", "not_achieved": "Not achieved", "not_enough": "Evidence not yet enough"},
}
#: the design-strength badge (the LabLens checks of the design, not the result; not a WWC rating), written once:
#: the pages' badge (ui/analysis_words.py, keys ``evidence.badge`` and ``evidence.<level>``) and the brief's findings
DESIGN_STRENGTH: dict[str, dict[str, str]] = {
    "es": {"badge": "Solidez del diseño: {level}", "strong": "fuerte", "moderate": "moderada", "limited": "limitada",
           "insufficient": "insuficiente"},
    "en": {"badge": "Design strength: {level}", "strong": "strong", "moderate": "moderate", "limited": "limited",
           "insufficient": "insufficient"},
}


def design_strength(level: object, lang: str) -> str:
    """'Solidez del diseño: fuerte' for a row's ``evidence`` level (an unknown one reads as insufficient)."""
    words = DESIGN_STRENGTH[lang if lang in DESIGN_STRENGTH else "en"]
    return words["badge"].format(level=words[level if level in words and level != "badge" else "insufficient"])


#: smallest improvement worth the name, per effect kind (see module docstring)
# why a result has no estimate, in the order compare() checks them (analysis/compare/finish.py writes one into
# ``evidence_reasons``; ui/locales: reason.<name>): no programme or no comparison school with data, no data
# before or after the programme on a side (docs/METHODS.md, "Designs" 2)
MISSING_REASONS = ("no_programme_units", "no_comparison_units", "no_pre_data", "no_post_data")
NEGLIGIBLE: dict[str, float] = {"hedges_g": 0.10, "cox": 0.10, "pp": 1.0}
#: said after a finding whose pre-trend check is significant (compare() ``pretrend_significant``: the programme's
#: and the comparison schools' slopes already differed before the programme, docs/METHODS.md "Designs" 2), whatever
#: its verdict; ``{diff}`` is ``pretrend_diff`` (programme − comparison, indicator units a year). Logros and the
#: evidence pack's brief read it under the key ``plain.pretrend`` (ui/analysis_words.py, analysis/evidence/brief.py)
PRETREND: dict[str, str] = {
    "es": "Las tendencias previas ya diferían ({diff} {unit} por año): parte del cambio puede no deberse al programa.",
    "en": "The pre-trends already differed ({diff} {unit} a year): part of the change may not be due to the "
          "programme.",
}


@dataclass(frozen=True)
class Finding:
    """One result judged and ready to be put in words."""

    program: str
    country: str
    indicator: str
    status: str  # achieved | not_achieved | not_enough
    # better | worse | negligible | wide | suppressed | no_estimate | no_interval | no_variation | low | insufficient
    # | no_direction
    reason: str
    effect: float
    low: float
    high: float
    kind: str  # hedges_g | pp | points | cox
    months: float
    evidence: str
    reliability: str
    group: str | None = None
    suppression: str | None = None  # the rule that hid a suppressed row: small_cell | complementary
    why: str | None = None  # why there is no estimate (compare/finish.py MISSING_REASONS), when it is known
    pretrend: float = math.nan  # pretrend_diff when the pre-trend check is significant (the trends differed)


def _num(value) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def classify(effect: float, low: float, high: float, kind: str, higher_is_better: bool | None,
             reliability: str = "ok", evidence: str | None = None) -> tuple[str, str]:
    """(status, reason) for one effect and its interval (see the module docstring for the rules)."""
    if reliability == "suppressed":
        return "not_enough", "suppressed"
    if math.isnan(effect):
        return "not_enough", "no_estimate"
    if math.isnan(low) or math.isnan(high):
        return "not_enough", "no_interval"
    if reliability == "low":
        return "not_enough", "low"
    if evidence == "insufficient":
        return "not_enough", "insufficient"
    if higher_is_better is None:
        return "not_enough", "no_direction"
    sign = 1.0 if higher_is_better else -1.0
    better_low, better_high = sorted((sign * low, sign * high))
    if better_low > 0:
        return "achieved", "better"
    if better_high < 0:
        return "not_achieved", "worse"
    threshold = NEGLIGIBLE.get(kind)
    if threshold is not None and better_high < threshold:
        return "not_achieved", "negligible"
    return "not_enough", "wide"


def finding(row: Mapping, indicator: str, higher_is_better: bool | None, group: str | None = None) -> Finding:
    """A :class:`Finding` from one compare() row (prepost or did: both carry effect_size and es_ci_*)."""
    effect, low, high = _num(row.get("effect_size")), _num(row.get("es_ci_low")), _num(row.get("es_ci_high"))
    kind = str(row.get("effect_size_kind") or "")
    reliability = str(row.get("reliability") or "ok")
    evidence = row.get("evidence") if isinstance(row.get("evidence"), str) else None
    status, reason = classify(effect, low, high, kind, higher_is_better, reliability, evidence)
    if reason == "no_interval" and "no_variation" in str(row.get("flags") or "").split(", "):
        reason = "no_variation"  # no interval because the data have no spread, not for want of schools
    why = None
    if reason == "no_estimate":  # the row's own reason: no comparison schools, an empty window...
        codes = str(row.get("evidence_reasons") or "").split(", ")
        why = next((c for c in MISSING_REASONS if c in codes), None)
    flags = str(row.get("flags") or "").split(", ")
    pretrend = _num(row.get("pretrend_diff")) if "pretrends_differ" in flags else math.nan  # compare/finish.py
    return Finding(program=str(row.get("program")), country=str(row.get("country")), indicator=indicator,
                   status=status, reason=reason, effect=effect, low=low, high=high, kind=kind,
                   months=_num(row.get("months_progress")), evidence=evidence or "insufficient",
                   reliability=reliability, group=group,
                   suppression=row.get("suppression_reason") if isinstance(row.get("suppression_reason"), str)
                   else None, why=why, pretrend=pretrend)


def scale_decimals(*values: float) -> int:
    """Decimals that give the largest of ``values`` two significant digits, at least one: a change on a 0–1
    index reads "0.034 points", not "0.0 points"; a change of 5.2 points keeps one decimal."""
    largest = max((abs(v) for v in values if v == v and v != 0), default=0.0)
    if largest == 0:
        return 1
    return min(max(1, 1 - math.floor(math.log10(largest))), 4)


def number(value: float, decimals: int, lang: str) -> str:
    """A number for a sentence in ``lang``: thousands points, a decimal comma and a real minus sign in Spanish
    (−1.234,42), 1,234.42 in English (the pages' ui.i18n.number, with the language given)."""
    text = f"{value:,.{decimals}f}"
    if lang == "es":
        text = text.translate(_SEPARATORS_ES)
    return "\u2212" + text[1:] if text.startswith("-") else text


_SEPARATORS_ES = str.maketrans({",": ".", ".": ","})


def rounds_to_zero(value: float, decimals: int) -> bool:
    """True when ``value`` shown at ``decimals`` is zero: at most half a unit of the last decimal, the half included,
    so that a value already published at a finer precision (−0.0046 as −0.005 in the pack's table) is not rounded
    a second time away from zero (−0.01). The one rule of the pages (``ui.format.signed``), the plain-language
    sentences and the evidence brief."""
    return abs(value) <= 0.5 * 10.0 ** -decimals * (1 + 1e-9)


def bound(value: float, decimals: int, number: Callable[[float, int], str]) -> str:
    """An interval bound in words: one that rounds to zero is written 0,00 without a sign (−0,0046 as "−0,00"
    reads as a negative bound): :func:`rounds_to_zero`."""
    return number(0.0, decimals) if rounds_to_zero(value, decimals) else number(value, decimals)


def sentence(f: Finding, templates: Mapping[str, str], number: Callable[[float, int], str],
             names: Mapping[str, str]) -> str:
    """The finding in one sentence, with its number, its 95% interval and what it means.

    ``templates`` is a catalogue holding the ``plain.*`` keys (ui/locales); ``number(value, decimals)``
    formats in the reader's convention; ``names`` gives the indicator label (``indicator``), the
    programme name (``program``) and the subgroup (``group``, optional).
    """
    decimals = 2 if f.kind in ("hedges_g", "cox", "pp") else scale_decimals(f.effect, f.low, f.high)
    unit = templates.get(f"plain.unit.{f.kind}", "")
    who = names.get("program", f.program)
    if names.get("group"):
        who = templates["plain.who_group"].format(program=who, group=names["group"])
    what = names.get("indicator", f.indicator)
    if f.reason == "suppressed":
        key = "plain.suppressed_complementary" if f.suppression == "complementary" else "plain.suppressed"
        return templates.get(key, templates["plain.suppressed"]).format(who=who, what=what)
    if f.reason == "no_estimate":
        why = templates.get(f"reason.{f.why}") if f.why else None
        if why and "plain.no_estimate_why" in templates:
            return templates["plain.no_estimate_why"].format(who=who, what=what, reason=why)
        return templates["plain.no_estimate"].format(who=who, what=what)
    value = number(abs(f.effect), decimals)
    direction = templates["plain.up"] if f.effect >= 0 else templates["plain.down"]
    inconclusive = f.reason not in ("better", "worse", "negligible")
    if inconclusive:  # no direction words on a result that cannot say one
        direction = templates["plain.estimate"]
        value = ("+" if f.effect > 0 else "") + number(f.effect, decimals)
    if rounds_to_zero(f.effect, decimals) or value.lstrip("+") == number(0.0, decimals):  # rounds to zero
        direction, value = templates["plain.unchanged"], ""
    interval = (templates["plain.interval"].format(low=bound(f.low, decimals, number),
                                                   high=bound(f.high, decimals, number))
                if not (math.isnan(f.low) or math.isnan(f.high))
                else templates.get(f"plain.no_interval_text.{f.reason}", templates["plain.no_interval_text"]))
    months = ""
    if f.kind == "hedges_g" and not math.isnan(f.months) and not inconclusive:
        key = "plain.months_one" if abs(f.months) == 1 and "plain.months_one" in templates else "plain.months"
        months = templates[key].format(months=number(abs(f.months), 0))
    key = {"better": "plain.achieved", "worse": "plain.worse", "negligible": "plain.negligible"}.get(
        f.reason, "plain.not_enough")
    reason = templates.get(f"plain.reason.{f.reason}", "")
    threshold = NEGLIGIBLE.get(f.kind)
    text = templates[key].format(
        who=who, what=what, direction=direction, value=value, unit=unit, interval=interval, months=months,
        reason=reason, threshold=number(threshold, 2 if f.kind in ("hedges_g", "cox") else 1) if threshold else "",
    )
    if not value:  # "did not change", without a unit after it (the threshold keeps its own)
        text = text.replace(f"{direction}  {unit}", direction, 1)
    if not math.isnan(f.pretrend) and "plain.pretrend" in templates:  # in the indicator's units (rates: pp)
        text += " " + templates["plain.pretrend"].format(
            diff=number(f.pretrend, 2 if f.kind == "pp" else scale_decimals(f.pretrend)),
            unit=templates.get("plain.unit.pp" if f.kind == "pp" else "plain.unit.points", ""))
    return " ".join(text.split()).replace(" ,", ",").replace(" .", ".")
