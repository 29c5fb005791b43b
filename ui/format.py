"""Formatting shared by the pages: numbers with intervals, marks, badges, translated table columns."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import pandas as pd

from analysis import plain_language
from analysis.disclosure import PROBABILITY_COLUMNS, round_published
from analysis.plain_language import MISSING_REASONS
from ui.i18n import current_language, has, number, t

NUMERIC_COLUMNS = {
    "estimate", "ci_low", "ci_high", "effect_size", "es_ci_low", "es_ci_high", "months_progress", "p_value",
    "wild_p_value", "q_value", "mean_treated_pre", "mean_treated_post", "mean_comparison_pre",
    "mean_comparison_post", "mean_pre", "mean_post", "diff", "diff_ci_low", "diff_ci_high", "improvement_index",
    "se", "icc", "design_effect", "attrition", "p_value_naive", "p_value_icc_corrected", "baseline_g", "diff_se", "df",
}
EVIDENCE_COLORS = {"strong": "green", "moderate": "blue", "limited": "orange", "insufficient": "gray"}
LOW_MARK, SUPPRESSED_MARK = "◐", "⊘"


def is_missing(value: object) -> bool:
    """None, NaN, pd.NA or NaT (a scalar); text and lists are never missing."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str):
        return False
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def text(value: object) -> str:
    """A stored text or '—'."""
    return "—" if is_missing(value) or value == "" else str(value)


# CommonMark lets a backslash escape any ASCII punctuation; these are the ones that start Markdown,
# Streamlit directives (:red[...], :material/x:), LaTeX ('$') or HTML ('<', '&')
_MARKDOWN_CHARS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:@&=])")
# GFM autolinks a bare http://, www. or e-mail address even when its punctuation is escaped: an invisible
# word joiner (U+2060) inside the marker keeps it from being recognised, and the text from being a link
_AUTOLINK = re.compile(r"(?i)(://|www\.|@)")
WORD_JOINER = "\u2060"


def md(value: object) -> str:
    """A text from the data (a name, a label, an attribute value), shown literally wherever Streamlit renders
    Markdown: every Markdown, directive and HTML character escaped, autolinks broken by an invisible word
    joiner, line breaks folded into spaces (a heading or list cannot start inside it). '—' when missing."""
    shown = " ".join(text(value).split())
    shown = _AUTOLINK.sub(lambda m: m.group(1)[0] + WORD_JOINER + m.group(1)[1:], shown)
    return _MARKDOWN_CHARS.sub(r"\\\1", shown)


def num(value: object, decimals: int = 2) -> str:
    """A number in the session's convention, '—' when missing."""
    return "—" if is_missing(value) else number(float(value), decimals)


def signed(value: object, decimals: int = 2, write: Callable[[float, int], str] = number) -> str:
    """+0,16 / −0,98 (a real minus sign); a value that rounds to zero is 0,00, without a sign (−0,0046 shown as
    "−0,00" reads as a negative bound). ``write(value, decimals)``: the number in the session's convention, or a
    writer that already knows the language (a loop over thousands of schools)."""
    if is_missing(value):
        return "—"
    v = float(value)
    if plain_language.rounds_to_zero(v, decimals):
        return write(0.0, decimals)
    text = write(abs(v), decimals)
    return ("+" if v > 0 else "−" if v < 0 else "") + text


def decimals_for(kind: str | None) -> int:
    """Standardised effects and percentage points to 2 decimals (rates are published with 2), points to 1."""
    return 2 if kind in ("hedges_g", "cox", "index", "pp") else 1


def minus(value: float, decimals: int) -> str:
    """A number with a real minus sign (−0,42), for sentences."""
    text = number(value, decimals)
    return text.replace("-", "−") if text.startswith("-") else text


def window(text: object) -> str:
    """'2022-2022' -> '2022'; other window labels unchanged; missing -> ''."""
    if not isinstance(text, str):
        return ""
    m = re.fullmatch(r"(\d{4})-(\d{4})", text)
    return m.group(1) if m and m.group(1) == m.group(2) else text


def interval(low: object, high: object, decimals: int = 2) -> str:
    if is_missing(low) or is_missing(high):
        return t("fmt.no_interval")
    return t("fmt.interval", low=signed(low, decimals), high=signed(high, decimals))


def unit(kind: str | None) -> str:
    return t(f"unit.{kind}") if kind in ("hedges_g", "pp", "points", "cox") else ""


def effect(value: object, low: object, high: object, kind: str | None) -> str:
    """'+0,16 DE [+0,12 a +0,20]' — value, unit and 95% interval."""
    d = decimals_for(kind)
    return f"{signed(value, d)} {unit(kind)} {interval(low, high, d)}".strip()


def programme(name: object) -> str:
    if name == "comparison":
        return t("prog.comparison")
    if name == "unassigned" or is_missing(name):
        return t("prog.unassigned")
    return str(name)


def country(code: object) -> str:
    """'CO' -> 'Colombia'; any other ISO 3166-1 code by its name (catalog.country_name), else as written."""
    if code in ("CO", "GT"):
        return t(f"country.{code}")
    from analysis.catalog import country_name

    return country_name(str(code), "en" if current_language() == "en" else "es")


def reliability(rel: object, reason: object = None) -> str:
    """A visible mark: '' for ok, '◐ low reliability', '⊘ suppressed (<10)' or, for a cell hidden by
    complementary suppression (``reason``), '⊘ hidden to protect another cell'."""
    if rel == "low":
        return f"{LOW_MARK} {t('rel.low')}"
    if rel == "suppressed":
        key = "rel.suppressed_complementary" if reason == "complementary" else "rel.suppressed"
        return f"{SUPPRESSED_MARK} {t(key)}"
    return ""


def suppressed_word(reason: object) -> str:
    """The short word a chart shows in place of a hidden point: by the rule that hid it."""
    return t("rel.suppressed_short_complementary" if reason == "complementary" else "rel.suppressed_short")


def in_sentence(text: str) -> str:
    """A label or word as it reads mid-sentence: its first letter lowered ("Puntaje en matemáticas" → "puntaje en
    matemáticas"), unless it starts with an acronym ("SIMCE", "ICFES") or a name the next letter marks."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def evidence_badge(level: object) -> str:
    """Markdown badge of the design's strength (the LabLens checks of the design, not the result; not a WWC
    rating): "Solidez del diseño: moderada". Shown with ``help=t("evidence.badge_help")``, which says so."""
    level = level if level in EVIDENCE_COLORS else "insufficient"
    return f":{EVIDENCE_COLORS[level]}-badge[{t('evidence.badge', level=t(f'evidence.{level}'))}]"


def evidence_text(level: object) -> str:
    level = level if level in EVIDENCE_COLORS else "insufficient"
    return t(f"evidence.{level}")


def _codes(text: object, prefix: str) -> list[str]:
    if not isinstance(text, str) or not text.strip():
        return []
    return [t(f"{prefix}.{c.strip()}") for c in text.split(",") if c.strip()]


def flags(text: object) -> str:
    """Context flags (pandemic years, selection, ...) in words, separated by ' · '."""
    return " · ".join(_codes(text, "flag"))


def reasons(text: object, flag_text: object = None) -> str:
    """Evidence-check reasons in words, leaving out those the context flags already say."""
    flagged = {c.strip() for c in flag_text.split(",")} if isinstance(flag_text, str) else set()
    if not isinstance(text, str):
        return ""
    codes = [c.strip() for c in text.split(",") if c.strip() and c.strip() not in flagged]
    return " · ".join(t(f"reason.{c}") for c in codes)


def missing_reason(text: object) -> str:
    """Why a row has no estimate (no comparison schools, an empty window...) in words, from its evidence
    reasons (analysis/plain_language.py MISSING_REASONS); '' when it gives none."""
    codes = [c.strip() for c in text.split(",")] if isinstance(text, str) else []
    return next((t(f"reason.{c}") for c in MISSING_REASONS if c in codes), "")


def q_value(value: object) -> str:
    """'q < 0,001' or 'q = 0,042'."""
    if is_missing(value):
        return "q —"
    return f"q < {num(0.001, 3)}" if float(value) < 0.001 else f"q = {num(value, 3)}"


def months(value: object) -> str:
    if is_missing(value):
        return "—"
    m = round(float(value))
    return t("fmt.months_one" if abs(m) == 1 else "fmt.months", months=signed(m, 0) if m else "0")


def month_names() -> list[str]:
    """The twelve month abbreviations in the session's language ('ene' … 'dic'): plotly's bundled build in
    Streamlit only has English dates, so date axes take their tick texts from here."""
    return t("fmt.month_names").split()


def month(value: object) -> str:
    """A month in words: 'ene 2022' (Spanish), 'Jan 2022'; '—' when missing."""
    if is_missing(value):
        return "—"
    stamp = pd.Timestamp(value)
    return t("fmt.month", month=month_names()[stamp.month - 1], year=stamp.year)


def indicator_label(code: str, info: pd.DataFrame | None = None) -> str:
    """The indicator's name in the session's language (from the indicators table), else its code."""
    if info is not None:
        rows = info[info["code"] == code]
        if len(rows):
            label = rows.iloc[0]["label_en" if current_language() == "en" else "label_es"]
            if isinstance(label, str) and label:
                return label
    return code


def group_label(field_name: str | None, value: object) -> str:
    """A subgroup value in words where it is a code (sex, zone), else as stored."""
    if field_name in ("sex", "zone") and isinstance(value, str) and has(f"{field_name}.{value}"):
        return t(f"{field_name}.{value}")
    if is_missing(value):
        return t("group.missing")
    return str(value)


def field_label(field_name: str | None) -> str:
    """A grouping field in words for a sentence ('departamento'); a field the catalogue lacks as written."""
    if not field_name:
        return t("field.none")
    return t(f"field.{field_name}") if has(f"field.{field_name}") else str(field_name)


def capital(text: str) -> str:
    """The first letter in capitals, for an option in a list ('departamento' -> 'Departamento')."""
    return text[:1].upper() + text[1:]


def field_option(field_name: object) -> str:
    """A grouping field as a selector option: 'Departamento', 'Sexo'."""
    return capital(field_label(str(field_name)))


def design_label(name: object) -> str:
    """A design in words ('diferencias en diferencias'); a design the catalogue lacks as written."""
    return t(f"design.{name}") if has(f"design.{name}") else str(name)


def design_option(name: object) -> str:
    return capital(design_label(name))


def group_option(field_name: str | None, value: object) -> str:
    """A subgroup value as a selector option ('Mujeres', 'Rural', 'Lab Point')."""
    return capital(group_label(field_name, value))


def result_table(frame: pd.DataFrame, columns: list[str], by: list[str] | None = None) -> pd.DataFrame:
    """compare() rows for display: chosen columns, programme/country in words, marks, translated headers."""
    out = frame[[c for c in columns if c in frame.columns]].copy()
    if "program" in out:
        out["program"] = out["program"].map(programme)
    if "country" in out:
        out["country"] = out["country"].map(country)
    for f in by or []:
        if f in out:
            out[f] = [group_label(f, v) for v in out[f]]
    if "reliability" in out:
        why = frame.loc[out.index, "suppression_reason"] if "suppression_reason" in frame else [None] * len(out)
        out["reliability"] = [reliability(r, w) or t("rel.ok") for r, w in zip(out["reliability"], why, strict=True)]
    out = out.drop(columns=[c for c in ("suppression_reason",) if c in out])
    if "evidence" in out:
        out["evidence"] = out["evidence"].map(evidence_text)
    if "flags" in out:
        out["flags"] = out["flags"].map(flags)
    if "evidence_reasons" in out:
        out["evidence_reasons"] = out["evidence_reasons"].map(reasons)
    if "effect_size_kind" in out:
        out["effect_size_kind"] = out["effect_size_kind"].map(lambda k: unit(k) or k)
    for c in ("pre_window", "post_window"):
        if c in out:
            out[c] = out[c].map(window)
    for c in out.columns:
        if c in NUMERIC_COLUMNS:
            out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
            if c not in PROBABILITY_COLUMNS:  # a p of 1.8e-11 is not 0 (round_published keeps 3 significant digits)
                out[c] = out[c].round(4)
    out = round_published(out)  # what is sent holds no more precision than the screen shows
    return out.rename(columns=lambda c: t(f"col.{c}"))


def coded(prefix: str, code: object) -> str:
    """A registry code in words ('kind.rate' -> 'tasa'); a code the catalogue lacks as written, '—' if none."""
    if is_missing(code) or code == "":
        return "—"
    return t(f"{prefix}.{code}") if has(f"{prefix}.{code}") else str(code)


def source_name(name: object, recognized_as: object) -> str:
    """An import's source as the reader should see it: the demo's own description translated."""
    m = re.fullmatch(r"demo: synthetic data \(seed (\d+)\)", name) if isinstance(name, str) else None
    if recognized_as == "demo" and m:
        return t("data.demo_source", seed=m.group(1))
    return text(name)


def direction_cue(code: str, info: pd.DataFrame | None) -> str:
    """'menos es mejor' for an indicator where a lower value is better (dropout, repetition), else ''."""
    if info is None or "higher_is_better" not in info:
        return ""
    rows = info[info["code"] == code]
    if rows.empty or is_missing(rows.iloc[0]["higher_is_better"]):
        return ""
    return "" if bool(rows.iloc[0]["higher_is_better"]) else t("direction.lower_better")


def with_direction(title: str, code: str, info: pd.DataFrame | None) -> str:
    """An axis title with the direction cue visible on the chart: 'Tasa (%) · menos es mejor'."""
    cue = direction_cue(code, info)
    return f"{title} · {cue}" if cue and title else title
