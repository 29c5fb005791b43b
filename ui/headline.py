"""Headline results per programme (Inicio): learning, retention and motivation against comparison units.

Each domain takes the first indicator the database holds from a preference list, so an imported
database without the demo's indicators still gets headlines. All come from compare(design="did")
with the windows of :func:`ui.loaders.windows` (same calendar years for programme and comparison); a programme
with a randomised trial of the indicator gets the trial's result under it (``achievements_view.trial_line``).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import achievements_view
from ui import format as fmt
from ui.i18n import t
from ui.loaders import indicators, programme_results, window_text, windows

HEADLINE_INDICATORS: dict[str, tuple[str, ...]] = {
    "learning": ("score_math", "score_global", "score_language", "score_science"),
    "retention": ("dropout_rate", "retention_rate", "promotion_rate", "repetition_rate"),
    "motivation": ("motivation_index",),
}


def headline_indicators() -> dict[str, str]:
    """domain -> the indicator used for its headline (domains without data are left out)."""
    present = set(indicators()["code"])
    out = {}
    for domain, codes in HEADLINE_INDICATORS.items():
        for code in codes:
            if code in present:
                out[domain] = code
                break
    return out


def headline_results() -> dict[str, tuple[str, pd.DataFrame | None]]:
    """domain -> (indicator, DiD rows for every programme or None)."""
    out = {}
    for domain, code in headline_indicators().items():
        res = programme_results(code, "did")
        out[domain] = (code, res.frame)
    return out


def _row(frame: pd.DataFrame | None, program: str, country: str) -> dict | None:
    if frame is None or frame.empty:
        return None
    rows = frame[(frame["program"] == program) & (frame["country"] == country)]
    if "start_year_cohort" in rows and rows["start_year_cohort"].notna().any():
        return None  # one row per cohort: not a single headline (windows() avoids this)
    return None if rows.empty else rows.iloc[0].to_dict()


def _years(values: object) -> str | None:
    """compare()'s years of a window (a list: [2024] or [2019, ..., 2023]) as "2024" or "2019-2023"."""
    if values is None or isinstance(values, str):
        return values or None
    years = sorted(int(y) for y in values if not fmt.is_missing(y))
    if not years:
        return None
    return str(years[0]) if years[0] == years[-1] else f"{years[0]}-{years[-1]}"


def render_card(program: str, country: str, results: dict[str, tuple[str, pd.DataFrame | None]]) -> None:
    """One programme's card: a metric per domain with its interval, EEF months, marks and badge."""
    info = indicators()
    with st.container(border=True):
        st.markdown(f"#### {fmt.md(fmt.programme(program))}")
        st.caption(fmt.md(fmt.country(country)))
        for domain, (code, frame) in results.items():
            row = _row(frame, program, country)
            trial = achievements_view.trial_rows(code).get((program, country))
            # a metric's label is one line, cut with "…" on a phone: the name without its parenthesis
            # ("Índice de motivación (media de los ítems)"), the whole name in the tooltip
            name = fmt.indicator_label(code, info)
            short = name.split(" (")[0]
            label = t(f"home.headline.{domain}", indicator=fmt.md(short))
            named = f"{fmt.md(name)}." if short != name else ""
            if row is None or fmt.is_missing(row.get("effect_size")):
                st.metric(label, "—", help=named or None)
                reason = fmt.reliability(row.get("reliability")) if row else ""
                why = fmt.missing_reason(row.get("evidence_reasons")) if row else ""
                st.caption(t("home.headline.none_why", reason=why) if why else (reason or t("home.headline.none")))
                if trial:  # every programme school in the trial: no DiD, the trial's result still shown
                    st.caption(achievements_view.trial_line(trial, code))
                continue
            kind = row.get("effect_size_kind")
            d = fmt.decimals_for(kind)
            st.metric(label, f"{fmt.signed(row['effect_size'], d)} {fmt.unit(kind)}",
                      help=" ".join(x for x in (named, t(f"home.headline.help.{kind}") if kind in (
                          "hedges_g", "pp", "points") else "") if x) or None)
            parts = [t("fmt.ci95", interval=fmt.interval(row.get("es_ci_low"), row.get("es_ci_high"), d))]
            if fmt.is_missing(row.get("es_ci_low")):  # why there is no interval: too few schools, or no variation
                parts.append(fmt.flags(", ".join(f for f in str(row.get("flags") or "").split(", ")
                                                 if f in ("inference_not_reliable", "no_variation"))))
            if kind == "hedges_g":
                parts.append(t("home.headline.months", months=fmt.months(row.get("months_progress"))))
                if domain == "motivation" and not fmt.is_missing(row.get("estimate")):
                    parts.append(t("home.headline.index_points", value=fmt.signed(row.get("estimate"), 2)))
            parts.append(fmt.reliability(row.get("reliability")) or f"● {t('rel.adequate')}")
            cue = fmt.direction_cue(code, info)
            if cue:  # visible on the card, not only in the tooltip
                parts.insert(0, f"**{cue}**")
            st.caption(" · ".join(p for p in parts if p))
            st.markdown(fmt.evidence_badge(row.get("evidence")), help=t("evidence.badge_help"))
            pre, post = window_text(windows(code).get((program, country)))
            if not pre:  # an indicator measured in waves has no programme window: the years of its row's waves
                pre, post = _years(row.get("pre_years")), _years(row.get("post_years"))
            if pre and post:
                st.caption(t("home.headline.windows", pre=pre, post=post))
            if trial:  # the programme's randomised trial of this indicator, beside the DiD and labelled as such
                st.caption(achievements_view.trial_line(
                    trial, code, (fmt.window(row.get("pre_window")), fmt.window(row.get("post_window")))))
