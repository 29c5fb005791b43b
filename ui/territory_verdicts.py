"""A verdict for every territory (Regiones, Logros): each department or municipality with its own estimate and
interval or the plain reason it has none, its verdict from that own estimate (the words and rule of Logros and the
evidence pack's brief), the estimate combined with the rest of the programme (partial pooling, empirical Bayes) as a
secondary figure that never gives a verdict, and a summary per programme ("achieved in 2 of 11 departments; …").

The numbers come from :mod:`analysis.territories` (docs/METHODS.md, "Partial pooling by territory").
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis import territories
from analysis.compare.finish import MIN_STUDENTS_RELIABLE, MIN_UNITS
from analysis.periods import programme_order
from ui import access
from ui import format as fmt
from ui.charts import lang
from ui.i18n import plural, t
from ui.loaders import TTL, Outcome, _signature, indicators, programme_results
from ui.tables import table as show_table


def higher_is_better(indicator: str) -> bool | None:
    """The indicator's better direction from the catalogue (None when it has none)."""
    info = indicators().set_index("code")
    if indicator not in info.index:
        return None
    value = info.loc[indicator, "higher_is_better"]
    return None if fmt.is_missing(value) else bool(value)


def build(indicator: str, by: str, design: str, outcome: Outcome, program: str | None = None) -> pd.DataFrame | None:
    """The analysis table (:func:`analysis.territories.territory_table`) for ``outcome`` (compare() rows of
    ``design`` grouped by ``by``), with the programme's whole result for the variance of small territories."""
    if not outcome.ok or by not in outcome.frame:
        return None
    overall = programme_results(indicator, design, None)
    whole = overall.frame if overall.ok else None
    if whole is not None and program:
        whole = whole[whole["program"] == program]
    return territories.territory_table(outcome.frame, by, whole, higher_is_better(indicator))


def _schools(n_programme: float, n_comparison: float) -> str:
    text = t("territory.schools_one" if n_programme == 1 else "territory.schools", n=fmt.num(n_programme, 0))
    if not fmt.is_missing(n_comparison):
        text += " " + t("territory.schools_comparison", n=fmt.num(n_comparison, 0))
    return text


def own_text(row: pd.Series) -> str:
    """'+0,25 DE [+0,14 a +0,36]', or why the territory has no interval of its own."""
    reason = row["reason"]
    if reason is None or fmt.is_missing(reason):
        return fmt.effect(row["estimate"], row["ci_low"], row["ci_high"], row["effect_size_kind"])
    if reason == "no_comparison_units":
        return t("territory.reason.no_comparison_units", schools=_schools(row["n_programme"], float("nan")))
    if reason == "few_units":
        words = t("territory.reason.few_units", schools=_schools(row["n_programme"], row["n_comparison"]))
        if fmt.is_missing(row["estimate"]):
            return words
        kind = row["effect_size_kind"]
        value = f"{fmt.signed(row['estimate'], fmt.decimals_for(kind))} {fmt.unit(kind)}".strip()
        return t("territory.estimate_only", value=value, reason=words)
    return t(f"territory.reason.{reason}")


def pooled_text(row: pd.Series) -> str:
    """The estimate combined with the rest of the programme and its interval (saying when it mostly repeats the
    programme's general effect), or why there is none."""
    reason = row["pooled_reason"]
    if reason is None or fmt.is_missing(reason):
        text = fmt.effect(row["pooled"], row["pooled_ci_low"], row["pooled_ci_high"], row["effect_size_kind"])
        if row["shrinkage"] >= territories.MOSTLY_PROGRAMME:
            text = t("territory.pooled.mostly_programme", value=text)
        return text
    if reason == "too_few_groups":
        k = int(row["n_pooled"])
        return t("territory.pooled.too_few_one" if k == 1 else "territory.pooled.too_few", k=k)
    if reason == "no_variance":
        return t("territory.pooled.no_variance")
    return own_text(row) if reason in territories.OWN_REASONS else t("territory.reason.no_interval")


def verdict_word(status: str) -> str:
    """The verdict of a result or territory in words (analysis/plain_language.py ``VERDICTS``, one place)."""
    return t(f"verdict.{status}")


def _low_text(row: pd.Series) -> str:
    """'baja confiabilidad: 4 escuelas del programa': which side of the reliability rule the territory misses
    (fewer than 5 schools on a side, else fewer than 30 students: analysis/compare/finish.py ``reliability``)."""
    parts = []
    if row["n_programme"] < MIN_UNITS:
        parts.append(_schools(row["n_programme"], float("nan")))
    if not fmt.is_missing(row["n_comparison"]) and row["n_comparison"] < MIN_UNITS:
        one = row["n_comparison"] == 1
        parts.append(t("territory.low.comparison_one" if one else "territory.low.comparison",
                       n=fmt.num(row["n_comparison"], 0)))
    detail = t("territory.low.and").join(parts) if parts else t("territory.low.students", n=MIN_STUDENTS_RELIABLE)
    return t("territory.low", reliability=t("rel.low"), detail=detail)


def verdict_text(row: pd.Series) -> str:
    """The territory's verdict and, when it has an interval of its own yet is not judged by it, why (the reason
    :func:`analysis.plain_language.classify` gave): low reliability, design checks, no direction. Without an
    interval of its own, the estimate cell says why; a wide interval is the rule itself."""
    word = verdict_word(row["status"])
    has_own = row["reason"] is None or fmt.is_missing(row["reason"])
    why = row["status_reason"] if row["status"] == "not_enough" and has_own else None
    if why == "low":
        return t("territory.verdict_why", verdict=word, reason=_low_text(row))
    if why in ("insufficient", "no_direction"):
        return t("territory.verdict_why", verdict=word, reason=t(f"plain.reason.{why}"))
    return word


def display(table: pd.DataFrame, by: str, pooled: bool) -> pd.DataFrame:
    """One row per territory for the page: programme, country, territory, verdict (from its own estimate), own
    estimate (or reason), the combined estimate (or reason) when ``pooled``, schools; the programme's territories
    first; translated headers."""
    order = {p: i for i, p in enumerate(programme_order(table["program"]))}
    mine = table["n_programme"].fillna(0) > 0
    table = (table.assign(_o=table["program"].map(order), _absent=~mine)
             .sort_values(["_o", "_absent", "territory"], kind="stable"))
    out = pd.DataFrame({
        "program": table["program"].map(fmt.programme), "country": table["country"].map(fmt.country),
        by: [fmt.group_label(by, v) for v in table["territory"]],
        **({"start_year_cohort": pd.to_numeric(table["start_year_cohort"], errors="coerce").round().astype("Int64")}
           if "start_year_cohort" in table else {}),
        "verdict": [verdict_text(r) if not r["_absent"] else "—" for _, r in table.iterrows()],
    })
    out["territory_own"] = [own_text(r) for _, r in table.iterrows()]
    if pooled:
        out["territory_pooled"] = [pooled_text(r) for _, r in table.iterrows()]
    out["n_treated"] = table["n_programme"].round().astype("Int64")
    if table["n_comparison"].notna().any():
        out["n_comparison"] = table["n_comparison"].round().astype("Int64")
    return out.rename(columns=lambda c: t(f"col.{c}") if c != by else fmt.field_label(by).capitalize())


def summary_lines(table: pd.DataFrame, by: str) -> list[str]:
    """'MiLab: achieved in 2 of 6 municipalities; evidence not yet enough in 4 (3 without an interval of their
    own, 1 of low reliability).' per programme, each territory judged by its own estimate, each reason counted."""
    counts = territories.summary(table)
    order = {p: i for i, p in enumerate(programme_order(counts["program"]))}
    counts = counts.sort_values("program", key=lambda p: p.map(order), kind="stable")
    lines = []
    for _, r in counts.iterrows():
        if not r["territories"]:
            continue
        parts = [t("territory.summary.achieved", verdict=fmt.in_sentence(verdict_word("achieved")), n=r["achieved"],
                   total=r["territories"], level=plural(f"territory.plural.{by}", r["territories"]))]
        if r["not_achieved"]:
            parts.append(t("territory.summary.other", verdict=fmt.in_sentence(verdict_word("not_achieved")),
                           n=r["not_achieved"]))
        if r["not_enough"]:
            part = t("territory.summary.other", verdict=fmt.in_sentence(verdict_word("not_enough")), n=r["not_enough"])
            why = [t(f"territory.summary.{k}", n=r[k]) for k in ("no_own_interval", *territories.NOT_ENOUGH_WHY)
                   if r[k]]
            if why:  # each reason counted: they add up to the not-enough territories
                part += f" ({', '.join(why)})"
            parts.append(part)
        who = f"**{fmt.md(fmt.programme(r['program']))}** ({fmt.md(fmt.country(r['country']))})"
        if not fmt.is_missing(r.get("start_year_cohort")):  # staggered adoption: one set per start-year cohort
            who += f" · {t('col.start_year_cohort')} {int(r['start_year_cohort'])}"
        lines.append(f"{who}: " + "; ".join(parts) + ".")
    return lines


def _parts(indicator: str, by: str, design: str, outcome: Outcome, program: str | None,
           pooled: bool) -> tuple[pd.DataFrame, list[str]] | None:
    """(display table, summary lines) of the section, built once per snapshot, indicator, level, design,
    programme, language, minimum cell and toggle (like the ranked chart: not on every rerun)."""
    if not outcome.ok:
        return None
    return _parts_cached(_signature(), indicator, by, design, program, lang(), access.min_cell(), pooled, outcome)


@st.cache_resource(ttl=TTL, max_entries=16, show_spinner=False)
def _parts_cached(signature: tuple[int, int] | None, indicator: str, by: str, design: str, program: str | None,
                  language: str, min_cell: int, pooled: bool,
                  _outcome: Outcome) -> tuple[pd.DataFrame, list[str]] | None:
    table = build(indicator, by, design, _outcome, program)
    if table is None or table.empty:
        return None
    return display(table, by, pooled), summary_lines(table, by)


def show(indicator: str, by: str, design: str, outcome: Outcome, program: str | None = None) -> None:
    """Regiones: the verdict section (summary, toggle of the combined estimate bound to the URL, one row per
    territory)."""
    st.subheader(t("territory.title", level=fmt.md(fmt.field_label(by))))
    if not outcome.ok or by not in outcome.frame:
        st.info(t("chart.no_data"), icon=":material/info:")
        return
    pooled = st.toggle(t("territory.pooled_toggle"), value=True, key="agrupada", bind="query-params",
                       help=t("territory.pooled_help"))
    parts = _parts(indicator, by, design, outcome, program, pooled)
    if parts is None:
        st.info(t("chart.no_data"), icon=":material/info:")
        return
    frame, lines = parts
    if higher_is_better(indicator) is None:
        st.caption(t("territory.no_direction"))
    else:
        for line in lines:
            st.markdown(line)
        st.caption(t("territory.basis"))
    show_table(frame)
