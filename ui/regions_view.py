"""Regiones: territories ranked with intervals, rural vs urban, and a map when boundaries exist."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis import disclosure, figures, queries, unit_figures
from analysis.compare import designs
from analysis.geo import shipped
from analysis.periods import programme_order
from ui import access
from ui import format as fmt
from ui.charts import Chart, lang
from ui.compare_view import indicator_options  # noqa: F401  (same indicator list as Comparar)
from ui.i18n import t
from ui.loaders import TTL, Outcome, _signature, indicators, programme_results, sql

LEVELS = ("department", "municipality", "authority")
DESIGNS = designs.selector_order()
COLUMNS = ["program", "country", "estimate", "diff", "effect_size", "effect_size_kind", "es_ci_low", "es_ci_high",
           "months_progress", "q_value", "n_treated", "n_comparison", "n_units", "reliability", "evidence",
           "evidence_reasons", "flags", "pre_window", "post_window"]


def has_comparison(design: str) -> bool:
    """True for a design that compares programme schools with comparison schools."""
    return designs.BY_NAME[design].COMPARISON


def results(indicator: str, by: str, design: str, program: str | None) -> tuple[Outcome, str, bool]:
    """(outcome, design used, fell back): a comparison design that cannot be computed falls back to the
    default design (pre/post, which needs no comparison units)."""
    outcome = programme_results(indicator, design, by)
    used, fell_back = design, False
    if has_comparison(design) and (outcome.failed or not outcome.ok):
        alt = programme_results(indicator, designs.DEFAULT, by)
        if alt.ok:
            outcome, used, fell_back = alt, designs.DEFAULT, True
    if outcome.ok and program:
        outcome = Outcome(outcome.frame[outcome.frame["program"] == program], outcome.errors, outcome.failed)
    if outcome.ok:
        outcome = Outcome(outcome.frame[outcome.frame["program"] != "comparison"], outcome.errors, outcome.failed)
    return outcome, used, fell_back


def _cohort(row: pd.Series) -> str:
    """' · Cohorte de inicio 2020' for a staggered programme's row, else ''."""
    value = row.get("start_year_cohort")
    return "" if fmt.is_missing(value) else f" · {t('col.start_year_cohort')} {int(value)}"


def _data(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    rows = []
    for _, r in frame.iterrows():
        kind = r.get("effect_size_kind")
        label = fmt.group_label(by, r.get(by))
        hover = "<br>".join(x for x in (
            f"<b>{label}</b> · {r['program']}" + _cohort(r),
            fmt.effect(r.get("effect_size"), r.get("es_ci_low"), r.get("es_ci_high"), kind),
            t("col.evidence") + ": " + fmt.evidence_text(r.get("evidence")),
            fmt.reliability(r.get("reliability"), r.get("suppression_reason")),
            fmt.missing_reason(r.get("evidence_reasons")) if fmt.is_missing(r.get("effect_size")) else "") if x)
        rows.append({"program": r["program"], "label": label, "effect": r.get("effect_size"),
                     "low": r.get("es_ci_low"), "high": r.get("es_ci_high"), "reliability": r.get("reliability"),
                     "suppression_reason": r.get("suppression_reason"), "hover": hover})
    # the figure holds what the screen shows: effects and bounds at display precision (map hover, chart data)
    return disclosure.round_published(pd.DataFrame(rows, columns=["program", "label", "effect", "low", "high",
                                                                 "reliability", "suppression_reason", "hover"]))


def ranked_chart(indicator: str, by: str, design: str, outcome: Outcome, program: str | None = None) -> Chart | None:
    """Territories ranked by effect; built once per snapshot, indicator, level, design used, programme,
    language and minimum cell (a hover text per municipality was rebuilt on every rerun; issue #6).
    ``outcome`` must be ``results(indicator, by, design, program)[0]``."""
    if not outcome.ok:
        return None
    return _ranked_cached(_signature(), indicator, by, design, program, lang(), access.min_cell(), outcome)


@st.cache_resource(ttl=TTL, max_entries=16, show_spinner=False)
def _ranked_cached(signature: tuple[int, int] | None, indicator: str, by: str, design: str, program: str | None,
                   language: str, min_cell: int, _outcome: Outcome) -> Chart:
    """Shared, not copied (cache_resource): callers only draw the chart."""
    return _ranked_build(indicator, by, design, _outcome)


def _ranked_build(indicator: str, by: str, design: str, outcome: Outcome) -> Chart:
    frame = outcome.frame
    data = _data(frame, by)
    kind = next(iter(frame["effect_size_kind"].dropna()), None)
    texts = {"x_title": fmt.with_direction(t(f"compare.axis.{kind}") if kind else "", indicator,
                                            indicators()),
             "suppressed": t("rel.suppressed_short"),
             "complementary": t("rel.suppressed_short_complementary"), "no_estimate": t("chart.no_estimate"),
             "low": t("rel.low")}
    fig = unit_figures.ranked(data, texts, lang())
    label = fmt.indicator_label(indicator, indicators())
    shown = data[data["reliability"] != "suppressed"].dropna(subset=["effect"])
    parts = []
    for prog in programme_order(shown["program"]):
        part = shown[shown["program"] == prog].sort_values("effect")
        if len(part) == 1:
            parts.append(t("regions.summary_one", program=prog, label=part.iloc[0]["label"],
                           value=fmt.signed(part.iloc[0]["effect"], fmt.decimals_for(kind))))
        elif len(part):
            parts.append(t("regions.summary_part", program=prog, n=len(part), top=part.iloc[-1]["label"],
                           top_value=fmt.signed(part.iloc[-1]["effect"], fmt.decimals_for(kind)),
                           bottom=part.iloc[0]["label"],
                           bottom_value=fmt.signed(part.iloc[0]["effect"], fmt.decimals_for(kind))))
    parts += _missing_parts(frame, by)
    low = int((data["reliability"] == "low").sum())
    summary = t("regions.summary_total_one" if len(data) == 1 else "regions.summary", parts=" ".join(parts), low=low,
                total=len(data)) + " " + t("regions.chart_own")
    alt = t("regions.alt_ranked", indicator=label, level=fmt.field_label(by), design=t(f"design.{design}"))
    table = fmt.result_table(frame, [*COLUMNS[:2], by, *COLUMNS[2:]], [by])
    return Chart(fig, alt, summary, table)


def _missing_parts(frame: pd.DataFrame, by: str) -> list[str]:
    """'MiLab: sin estimación en Alta Verapaz: no hay escuelas del programa…', one per programme and reason: the
    groups drawn without an estimate and why (no comparison or programme school there, an empty window)."""
    out = []
    rows = frame[frame["effect_size"].isna() & (frame["reliability"] != "suppressed")] if len(frame) else frame
    why = [fmt.missing_reason(v) for v in rows.get("evidence_reasons", pd.Series(dtype=object))]
    for prog in programme_order(rows["program"]) if len(rows) else []:
        mine = (rows["program"] == prog).to_numpy()
        for reason in dict.fromkeys(w for w, m in zip(why, mine, strict=True) if m and w):
            values = [g for g, w, m in zip(rows[by], why, mine, strict=True) if m and w == reason]
            labels = [fmt.group_label(by, g) for g in values if not fmt.is_missing(g)]
            # a programme with no comparison school in its country has one row, in no group
            out.append(t("regions.summary_missing", program=prog, groups=", ".join(labels), reason=reason) if labels
                       else t("regions.summary_missing_all", program=prog, reason=reason))
    return out


def zone_chart(indicator: str, design: str, outcome: Outcome, program: str | None = None) -> Chart | None:
    """Effects by zone; cached like :func:`ranked_chart` (``outcome`` from ``results(indicator, "zone", ...)``)."""
    if not outcome.ok:
        return None
    return _zone_cached(_signature(), indicator, design, program, lang(), access.min_cell(), outcome)


@st.cache_resource(ttl=TTL, max_entries=16, show_spinner=False)
def _zone_cached(signature: tuple[int, int] | None, indicator: str, design: str, program: str | None,
                 language: str, min_cell: int, _outcome: Outcome) -> Chart:
    return _zone_build(indicator, design, _outcome)


def _zone_build(indicator: str, design: str, outcome: Outcome) -> Chart:
    frame = outcome.frame
    data = _data(frame, "zone").rename(columns={"label": "group"})
    kind = next(iter(frame["effect_size_kind"].dropna()), None)
    texts = {"x_title": fmt.with_direction(t(f"compare.axis.{kind}") if kind else "", indicator,
                                            indicators()),
             "suppressed": t("rel.suppressed_short"),
             "no_estimate": t("chart.no_estimate"), "low": t("rel.low")}
    fig = figures.effect_panels(data, texts, lang())
    parts = []
    order = {p: i for i, p in enumerate(programme_order(frame["program"]))}
    for _, r in frame.sort_values("program", key=lambda s: s.map(order)).iterrows():
        if r.get("reliability") != "suppressed" and not fmt.is_missing(r.get("effect_size")):
            parts.append(f"{r['program']} · {fmt.group_label('zone', r.get('zone'))}: "
                         + fmt.effect(r.get("effect_size"), r.get("es_ci_low"), r.get("es_ci_high"), kind))
        elif r.get("reliability") != "suppressed" and fmt.missing_reason(r.get("evidence_reasons")):
            where = "" if fmt.is_missing(r.get("zone")) else f" · {fmt.group_label('zone', r.get('zone'))}"
            parts.append(f"{r['program']}{where}: "
                         + t("regions.no_estimate_why", reason=fmt.missing_reason(r.get("evidence_reasons"))))
    summary = t("regions.summary_zone", parts="; ".join(parts) or "—")
    label = fmt.indicator_label(indicator, indicators())
    table = fmt.result_table(frame, [*COLUMNS[:2], "zone", *COLUMNS[2:]], ["zone"])
    return Chart(fig, t("regions.alt_zone", indicator=label, design=t(f"design.{design}")), summary, table)


def boundaries(level: str) -> pd.DataFrame:
    """The shapes of one level: imported ones, and the shipped Colombian and Guatemalan shapes for every
    territory no import covers (none for education authorities, which have no boundaries)."""
    if level not in shipped.LEVELS:
        return pd.DataFrame(columns=shipped.COLUMNS)
    return shipped.combine(sql(queries.BOUNDARIES_SQL, (level,)), level, sql(queries.LEVEL_UNITS_SQL, (level,)))


def several_results(placed: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """A territory with more than one result (two programmes, or one programme's start-year cohorts) has no
    one colour: its rows become one ``several`` row whose hover lists them all (three cohorts of Valle del
    Cauca were three shapes on top of each other, coloured and hovered as the last cohort alone).
    Returns (the rows to draw, the names of those territories)."""
    counts = placed.groupby("location")["location"].transform("size")
    single = placed[counts == 1].assign(several=False)
    multi = placed[counts > 1]
    if multi.empty:
        return single, []
    merged = (multi.groupby("location", sort=False)
              .agg(program=("program", "first"), country=("country", "first"), label=("label", "first"),
                   hover=("hover", "<br>—<br>".join))
              .reset_index().assign(effect=float("nan"), low=float("nan"), high=float("nan"), reliability=None,
                                    several=True))
    return pd.concat([single, merged[single.columns]], ignore_index=True), sorted(set(merged["label"]))


def no_map_text(outcome: Outcome, shapes: pd.DataFrame) -> str:
    """Why there is no map: no boundaries for this level, or boundaries but no result placed in a territory
    (MiLab before its comparison schools are imported: its one row has no territory), with the rows' reason."""
    if shapes.empty:
        return t("regions.no_boundaries")
    reasons = dict.fromkeys(fmt.missing_reason(v) for v in outcome.frame.get("evidence_reasons", [])) if (
        outcome.ok) else {}
    reasons.pop("", None)
    return t("regions.map_nothing_placed") + (" " + t("regions.map_nothing_placed_why", reason="; ".join(reasons))
                                              if reasons else "")


def map_chart(by: str, outcome: Outcome, shapes: pd.DataFrame) -> Chart | None:
    """Choropleth on the imported boundaries of this level (departments or municipalities), else None."""
    if not outcome.ok or shapes.empty:
        return None
    frame = outcome.frame
    data = _data(frame, by)
    data["country"] = list(frame["country"])
    data["location"] = queries.territory_locations(data, shapes)
    placed = data.dropna(subset=["location"])
    if placed.empty:
        return None
    placed, several = several_results(placed)
    kind = next(iter(frame["effect_size_kind"].dropna()), None)
    context = queries.map_context(shapes, placed["location"], by)
    texts = {"colorbar": t(f"compare.axis.{kind}") if kind else "", "no_result": t("regions.map_no_result"),
             "low": t("rel.low"), "CO": fmt.country("CO"), "GT": fmt.country("GT")}
    fig = unit_figures.territory_map(context, placed, texts, lang())
    if fig is None:
        return None
    shown = placed[~placed["several"]].dropna(subset=["effect"])
    unplaced = sorted(set(data.loc[data["location"].isna(), "label"]))
    summary = t("regions.summary_map", shown=len(shown), level=fmt.field_label(by).lower())
    if several:
        summary += " " + t("regions.map_several", n=len(several), names=", ".join(several[:8]))
    if unplaced:
        summary += " " + t("regions.map_unplaced", n=len(unplaced), names=", ".join(unplaced[:8]))
    if "shipped" in context and context["shipped"].eq(True).any():
        summary += " " + t("regions.map_source")
    table = fmt.result_table(frame, [*COLUMNS[:2], by, *COLUMNS[2:]], [by])
    return Chart(fig, t("regions.alt_map", level=fmt.field_label(by)), summary, table)
