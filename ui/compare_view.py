"""Comparar programas: data preparation for each chart (the page only reads widgets and draws)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from analysis import disclosure, fields, figures, queries, row_notes
from analysis.compare.did import TRIAL_UNITS_SQL
from analysis.periods import programme_order
from ui import access
from ui import format as fmt
from ui.charts import Chart, lang
from ui.i18n import t
from ui.loaders import (
    TTL,
    Outcome,
    _signature,
    compare_result,
    group_values,
    histogram,
    indicator_info,
    indicators,
    programme_results,
    sql,
    student_attributes,
    unit_periods,
    window_text,
    windows,
)

UNIT_GROUPS = tuple(f for f in fields.names(subgroup=True) if fields.is_unit_level(f))
STUDENT_GROUPS = fields.names(level="student", subgroup=True)
EFFECT_COLUMNS = ["program", "country", "start_year_cohort", "estimate", "ci_low", "ci_high", "effect_size",
                  "effect_size_kind", "es_ci_low", "es_ci_high", "months_progress", "p_value", "wild_p_value",
                  "q_value", "n_treated", "n_comparison", "mean_treated_pre", "mean_treated_post",
                  "mean_comparison_pre", "mean_comparison_post", "reliability", "evidence", "evidence_reasons",
                  "flags", "pre_window", "post_window"]


def indicator_options() -> list[str]:
    """Indicators worth comparing: scores, indices and rates (not single survey items or SDs)."""
    frame = indicators()
    keep = frame[frame["kind"].isin(["score", "index", "rate"]) & frame["domain"].isin(
        ["learning", "motivation", "retention"])]
    return list(keep["code"])


def group_options(indicator: str) -> list[str]:
    info = indicator_info(indicator) or {}
    options = list(UNIT_GROUPS)
    if info.get("student_level"):
        options += [*STUDENT_GROUPS, *student_attributes()]
    return options


def mean_axis(info: dict | None) -> str:
    """What the means axis shows: a school rate in % for rates, a mean score on the country's scale, an index."""
    kind = (info or {}).get("kind")
    return t(f"compare.axis.mean_{kind}") if kind in ("rate", "index") else t("compare.axis.mean")


def scope_all(indicator: str) -> str:
    """'All students.' for student-level indicators; 'All schools.' for school rates."""
    return t("compare.scope_all" if (indicator_info(indicator) or {}).get("student_level") else
             "compare.scope_all_schools")


def _group_text(field_name: str | None, row: pd.Series) -> str:
    if not field_name:
        return t("group.all")
    return fmt.group_label(field_name, row.get(field_name))


def _hover(row: pd.Series, group: str) -> str:
    kind = row.get("effect_size_kind")
    parts = [f"<b>{row['program']}</b> · {group}",
             fmt.effect(row.get("effect_size"), row.get("es_ci_low"), row.get("es_ci_high"), kind)]
    if kind == "hedges_g":
        parts.append(fmt.months(row.get("months_progress")))
    parts.append(t("col.evidence") + ": " + fmt.evidence_text(row.get("evidence")))
    mark = fmt.reliability(row.get("reliability"), row.get("suppression_reason"))
    if mark:
        parts.append(mark)
    return "<br>".join(parts)


def effects(indicator: str, by: str | None) -> tuple[Outcome, Chart | None]:
    """Programme effects (DiD) side by side, per subgroup when ``by`` is given."""
    outcome = programme_results(indicator, "did", by)
    if not outcome.ok:
        return outcome, None
    return outcome, _effects_chart_cached(_signature(), indicator, by, lang(), access.min_cell(), outcome)


@st.cache_resource(ttl=TTL, max_entries=16, show_spinner=False)
def _effects_chart_cached(signature: tuple[int, int] | None, indicator: str, by: str | None, language: str,
                          min_cell: int, _outcome: Outcome) -> Chart:
    """Built once per snapshot, indicator, grouping, language and minimum cell; shared, not copied."""
    return _effects_chart_build(indicator, by, _outcome)


def _effects_chart_build(indicator: str, by: str | None, outcome: Outcome) -> Chart:
    frame = outcome.frame
    frame = frame[frame["program"] != "comparison"]
    kinds = [k for k in frame["effect_size_kind"].dropna().unique()]
    kind = kinds[0] if kinds else None
    rows = []
    for _, row in frame.iterrows():
        group = _group_text(by, row)
        rows.append({"program": row["program"], "group": group, "effect": row.get("effect_size"),
                     "low": row.get("es_ci_low"), "high": row.get("es_ci_high"),
                     "reliability": row.get("reliability"), "suppression_reason": row.get("suppression_reason"),
                     "hover": _hover(row, group)})
    data = disclosure.round_published(pd.DataFrame(rows))  # the figure holds what the screen shows
    texts = {"x_title": fmt.with_direction(t(f"compare.axis.{kind}") if kind else "", indicator,
                                            indicators()),
             "suppressed": t("rel.suppressed_short"),
             "complementary": t("rel.suppressed_short_complementary"),
             "no_estimate": t("chart.no_estimate"), "low": t("rel.low")}
    fig = figures.effect_panels(data, texts, lang())
    label = fmt.indicator_label(indicator, indicators())
    parts = []
    for prog in programme_order(frame["program"]) if not by else []:
        r = frame[frame["program"] == prog].iloc[0]
        parts.append(t("compare.summary_part", program=prog,
                       effect=fmt.effect(r.get("effect_size"), r.get("es_ci_low"), r.get("es_ci_high"), kind)))
    if parts:
        summary = t("compare.summary_effects", indicator=label, parts="; ".join(parts))
    else:
        summary = t("compare.summary_effects_groups", indicator=label, field=fmt.field_label(by),
                    n=len(data))
    alt = t("compare.alt_effects", indicator=label, programmes=", ".join(programme_order(frame["program"])))
    table = fmt.result_table(frame, [*EFFECT_COLUMNS[:2], *([by] if by else []), *EFFECT_COLUMNS[2:]],
                             [by] if by else None)
    return Chart(fig, alt, summary, table)


def _panels(indicator: str) -> list[tuple[str, str, tuple | None, str]]:
    """(programme, country, windows, panel title) for every programme with data."""
    out = []
    w_all = windows(indicator)
    order = programme_order(p for p, _ in w_all)
    for (program, country), w in sorted(w_all.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1])):
        pre, post = window_text(w)
        title = f"{program} · {fmt.country(country)}"
        if pre:
            title += f" ({pre} → {post})"
        out.append((program, country, w, title))
    return out


def _did_units(part: pd.DataFrame, program: str) -> pd.DataFrame:
    """The rows of a panel's programme and comparison schools that its DiD compares: a randomised trial's
    schools are left out as the DiD leaves them out (one definition: analysis.compare.did.TRIAL_UNITS_SQL),
    so the charts draw the units behind the estimate above them (the rct design analyses the trial)."""
    trial = set(sql(TRIAL_UNITS_SQL)["unit_id"].astype(str))
    keep = part["program"].isin([program, "comparison"]) & ~part["unit_id"].astype(str).isin(trial)
    return part[keep]


def unit_data(indicator: str, field_name: str | None, value: str | None) -> pd.DataFrame:
    """Per unit and period for every programme's country (the programme and comparison units its DiD compares).

    Read once per snapshot, indicator and filter for both charts that use it (shared, not copied: callers only
    read it; 80,000 rows at national scale, whose unpickling and concatenation cost 0.2 s per call)."""
    return _unit_data_cached(_signature(), indicator, field_name, value)


@st.cache_resource(ttl=TTL, max_entries=4, show_spinner=False)
def _unit_data_cached(signature: tuple[int, int] | None, indicator: str, field_name: str | None,
                      value: str | None) -> pd.DataFrame:
    frames = []
    for program, country, w, title in _panels(indicator):
        part = _did_units(unit_periods(indicator, country, w, field_name, value), program).copy()
        part["panel"] = title
        part["programme_panel"] = program
        frames.append(part)
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def means_chart(indicator: str, field_name: str | None = None, value: str | None = None) -> Chart | None:
    """Programme and comparison means before/after; cached like :func:`slope_chart`."""
    return _means_chart_cached(_signature(), indicator, field_name, value, lang(), access.min_cell())


@st.cache_resource(ttl=TTL, max_entries=16, show_spinner=False)
def _means_chart_cached(signature: tuple[int, int] | None, indicator: str, field_name: str | None,
                        value: str | None, language: str, min_cell: int) -> Chart | None:
    units = unit_data(indicator, field_name, value)
    return None if units.empty else _means_chart_build(indicator, units, field_name, value)


def family(indicator: str, field_name: str | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Which cells of the means table, the distribution and the school lines are hidden, decided once for
    every value of the filter field and for every student together (analysis.disclosure.protect_views), so
    that no view, subtracted from its siblings or from the view without filter, reveals a hidden cell."""
    return _family_cached(_signature(), indicator, field_name if field_name else None, access.min_cell())


@st.cache_resource(ttl=TTL, max_entries=16, show_spinner=False)
def _family_cached(signature: tuple[int, int] | None, indicator: str, field_name: str | None,
                   min_cell: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    values = [disclosure.ALL, *(group_values(field_name, indicator) if field_name else [])]
    units, hists = [], []
    for program, country, w, title in _panels(indicator):
        for v in values:
            f, x = (None, None) if v == disclosure.ALL else (field_name, v)
            part = unit_periods(indicator, country, w, f, x)
            units.append(_did_units(part, program).assign(panel=title, value=v))
            hist = histogram(indicator, country, w, f, x)
            hists.append(hist[hist["program"].isin([program, "comparison"])].assign(panel=title, value=v))
    columns = ["panel", "program", "unit_id", "period", "value", "n"]
    units_frame = pd.concat([u[columns] for u in units if len(u)], ignore_index=True) if any(
        len(u) for u in units) else pd.DataFrame(columns=columns)
    hcols = ["panel", "program", "period", "bin", "value", "count"]
    hist_frame = pd.concat([h[hcols] for h in hists if len(h)], ignore_index=True) if any(
        len(h) for h in hists) else pd.DataFrame(columns=hcols)
    line, means, bins = disclosure.protect_views(units_frame, hist_frame, min_cell,
                                                 _hidden_by_school(indicator, units_frame))
    return units_frame.assign(reason=line), means, hist_frame.assign(reason=bins)


def _hidden_by_school(indicator: str, units: pd.DataFrame) -> np.ndarray:
    """Per ``units`` row: a school line (of every student) that compare() by school hides — Escuelas' table and
    the evidence pack by school show the same school cells, so a school one hides is hidden on the other too,
    else its mean here would give back the small school it protects from its municipality's total."""
    res = compare_result(indicator, "prepost", "school")
    if not res.ok or units.empty or "school" not in res.frame:
        return np.zeros(len(units), dtype=bool)
    frame = res.frame[res.frame["suppression_reason"].notna()]
    hidden = pd.MultiIndex.from_arrays([frame["program"].astype(str), frame["school"].astype(str)])
    rows = pd.MultiIndex.from_arrays([units["program"].astype(str), units["unit_id"].astype(str)])
    return (units["value"] == disclosure.ALL).to_numpy() & rows.isin(hidden)


def _reason_text(reason: object) -> str:
    """The words of a suppression rule, for a table cell."""
    return fmt.reliability("suppressed", reason) if isinstance(reason, str) else ""


def _means_chart_build(indicator: str, units: pd.DataFrame, field_name: str | None = None,
                       value: str | None = None) -> Chart | None:
    info = indicator_info(indicator) or {}
    student = bool(info.get("student_level"))
    means = figures.cluster_means(units, ["panel", "program", "period"], weighted=student)
    if student:  # a hidden cell shows neither its mean nor its count (docs/METHODS.md, "Disclosure avoidance")
        _, cells, _ = family(indicator, field_name if value is not None else None)
        cells = cells[cells["value"] == (disclosure.ALL if value is None else value)]
        means = means.merge(cells[["panel", "program", "period", "reason"]], on=["panel", "program", "period"],
                            how="left")
        hide = means["reason"].notna()
        means.loc[hide, ["mean", "ci_low", "ci_high"]] = float("nan")
        means["n"] = [("<" + str(access.min_cell()) if r == disclosure.SMALL_CELL else "—") if h else fmt.num(n, 0)
                      for n, r, h in zip(means["n"], means["reason"], hide, strict=True)]
        means["units"] = means["units"].astype(float).where(~hide)
        means["suppression_reason"] = means.pop("reason").map(_reason_text)
        means = disclosure.round_published(means)
    texts = {"pre": t("period.pre"), "post": t("period.post"),
             "y_title": fmt.with_direction(mean_axis(info), indicator, indicators()),
             "counterfactual": t("compare.counterfactual"), "comparison": t("prog.comparison")}
    fig = figures.prepost_means(means, texts, lang())
    label = fmt.indicator_label(indicator, indicators())
    table = means.assign(program=means["program"].map(fmt.programme),
                         period=means["period"].map(lambda p: t(f"period.{p}")))
    table = table.rename(columns=lambda c: t(f"col.{c}"))
    return Chart(fig, t("compare.alt_means", indicator=label), _means_summary(means), table)


def _means_summary(means: pd.DataFrame) -> str:
    """The means chart's caption, saying which means are drawn without an interval and why (a group of one
    school has no spread between schools: analysis.figures.cluster_means)."""
    shown = means["mean"].notna()
    bare = int((shown & (means["ci_low"].isna() | means["ci_high"].isna())).sum())
    if not bare:
        return t("compare.summary_means")
    key = "compare.summary_means_none" if bare == int(shown.sum()) else "compare.summary_means_some"
    return t(key, n=bare, total=int(shown.sum()))


def distribution_chart(indicator: str, field_name: str | None, value: str | None) -> Chart | None:
    """Binned shares before/after per programme; built once per snapshot, filters, language and minimum cell."""
    return _distribution_chart_cached(_signature(), indicator, field_name, value, lang(), access.min_cell())


@st.cache_resource(ttl=TTL, max_entries=16, show_spinner=False)
def _distribution_chart_cached(signature: tuple[int, int] | None, indicator: str, field_name: str | None,
                               value: str | None, language: str, min_cell: int) -> Chart | None:
    """Shared, not copied (cache_resource): callers only draw the chart."""
    return _distribution_chart_build(indicator, field_name, value)


def _distribution_chart_build(indicator: str, field_name: str | None, value: str | None) -> Chart | None:
    info = indicator_info(indicator) or {}
    student = bool(info.get("student_level"))
    frames = []
    for program, country, w, title in _panels(indicator):
        hist = histogram(indicator, country, w, field_name, value)
        hist = hist[hist["program"].isin([program, "comparison"])]
        if hist.empty:
            continue
        shares = figures.binned_shares(hist, ["program", "period"], None)
        shares["panel"] = title
        if student:  # bins hidden together with every filter value's (analysis.disclosure.protect_views)
            _, groups, bins = family(indicator, field_name if value is not None else None)
            chosen = disclosure.ALL if value is None else value
            bins = bins[(bins["value"] == chosen) & (bins["panel"] == title)]
            shares = shares.merge(bins[["program", "period", "bin", "reason"]], on=["program", "period", "bin"],
                                  how="left")
            # a hidden group shows none of its bins, not even the empty ones (where its few students are not)
            groups = groups[(groups["value"] == chosen) & (groups["panel"] == title) & groups["reason"].notna()]
            shares = shares.merge(groups[["program", "period", "reason"]].rename(columns={"reason": "group_reason"}),
                                  on=["program", "period"], how="left")
            whole = shares["group_reason"].notna()  # every bin says the group's rule, the same words
            shares["reason"] = shares["reason"].astype(object).where(~whole, shares["group_reason"])
            shares["whole"] = whole
            hide = shares["reason"].notna()
            shares.loc[hide, ["share", "count"]] = float("nan")
            shares["suppressed"] = hide
        frames.append(shares)
    if not frames:
        return None
    shares = disclosure.round_published(pd.concat(frames, ignore_index=True))
    texts = {"pre": t("period.pre"), "post": t("period.post"), "x_title": t("compare.axis.value"),
             "y_title": t("compare.axis.share"), "comparison": t("prog.comparison"),
             "suppressed": " · " + t("rel.suppressed_short")}
    fig = figures.distribution(shares, texts, lang())
    hidden = int(shares["suppressed"].sum())
    label = fmt.indicator_label(indicator, indicators())
    summary = (t("compare.summary_distribution", hidden=hidden, k=access.min_cell()) if student
               else t("compare.summary_distribution_units"))
    if student and hidden and 2 * hidden >= len(shares):  # most bands hidden: the chart is almost empty
        summary += " " + t("compare.summary_distribution_mostly_hidden", k=access.min_cell())
    table = shares[["panel", "program", "period", "lo", "hi", "count", "share"]].copy()
    table["program"] = table["program"].map(fmt.programme)
    table["period"] = table["period"].map(lambda p: t(f"period.{p}"))
    reason = shares["reason"] if "reason" in shares else [None] * len(shares)
    whole = shares["whole"].fillna(False) if "whole" in shares else [False] * len(shares)
    table["count"] = [(f"<{access.min_cell()}" if r == disclosure.SMALL_CELL and not w else _reason_text(r))
                      if fmt.is_missing(c) and isinstance(r, str) else fmt.num(c, 0)
                      for c, r, w in zip(table["count"], reason, whole, strict=True)]
    return Chart(fig, t("compare.alt_distribution", indicator=label), summary,
                 table.rename(columns=lambda c: t(f"col.{c}")))


def slope_chart(indicator: str, field_name: str | None = None, value: str | None = None) -> Chart | None:
    """One line per school; built once per snapshot, indicator, group, language and minimum cell (the
    40,000 lines of a national database took 2–3 s of every rerun; bench/RESULTS.md, issue #6). The
    per-school rows (:func:`unit_data`) are read only when the chart is built: a warm rerun does not
    unpickle and concatenate them (80,000 rows at national scale)."""
    return _slope_chart_cached(_signature(), indicator, field_name, value, lang(), access.min_cell())


@st.cache_resource(ttl=TTL, max_entries=16, show_spinner=False)
def _slope_chart_cached(signature: tuple[int, int] | None, indicator: str, field_name: str | None,
                        value: str | None, language: str, min_cell: int) -> Chart | None:
    """Shared, not copied (cache_resource): callers only draw the chart."""
    units = unit_data(indicator, field_name, value)
    return None if units.empty else _slope_chart_build(indicator, units, field_name, value)


def _slope_chart_build(indicator: str, units: pd.DataFrame, field_name: str | None = None,
                       value: str | None = None) -> Chart | None:
    info = indicator_info(indicator) or {}
    student = bool(info.get("student_level"))
    wide = units.pivot_table(index=["panel", "program", "unit_id"], columns="period", values="mean").reset_index()
    if "pre" not in wide or "post" not in wide:
        return None
    wide = disclosure.round_published(wide.dropna(subset=["pre", "post"]))
    hidden = 0
    if student:  # a school's line hidden with its family (analysis.disclosure.protect_views)
        lines, _, _ = family(indicator, field_name if value is not None else None)
        lines = lines[(lines["value"] == (disclosure.ALL if value is None else value)) & lines["reason"].notna()]
        keep = ~wide.set_index(["panel", "program", "unit_id"]).index.isin(
            lines.set_index(["panel", "program", "unit_id"]).index)
        hidden = int((~keep).sum())
        wide = wide[keep]
    texts = {"pre": t("period.pre"), "post": t("period.post"), "y_title": fmt.with_direction(
                 mean_axis(indicator_info(indicator)), indicator, indicators()),
             "comparison": t("prog.comparison")}
    # beyond SLOPE_MAX_LINES schools per programme and country the lines merge into one band: a seeded
    # sample is drawn and the summary says so; the shares and the table use every school
    drawn = figures.sample_per_group(wide, ["panel", "program"], figures.SLOPE_MAX_LINES)
    # a line's hover names its school (its code when it has no name), not the code alone
    schools = sql(queries.SCHOOLS_SQL).drop_duplicates("unit_id")  # a school in two programmes: one name
    names = pd.Series(schools["name"].to_numpy(), index=schools["unit_id"].astype(str))
    drawn = drawn.assign(label=drawn["unit_id"].astype(str).map(names).fillna(drawn["unit_id"].astype(str)))
    fig = figures.slopes(drawn, texts, lang())
    label = fmt.indicator_label(indicator, indicators())
    up = wide.assign(up=wide["post"] > wide["pre"]).groupby(["panel", "program"], sort=False)["up"].mean()
    # a panel is titled "programme · country (windows)" (_panels): each group named once, with its country
    where = {panel: panel.split(" (")[0].split(" · ", 1)[-1] for panel, _ in up.index}
    # in the panels' order (ValleLabs' country first), the programme before its comparison schools
    panel_rank = {panel: i for i, panel in enumerate(figures.panel_order(wide))}
    prog_rank = {p: i for i, p in enumerate(programme_order(wide["program"]))}
    keys = sorted(up.index, key=lambda k: (panel_rank.get(k[0], len(panel_rank)), k[1] == "comparison",
                                           prog_rank.get(k[1], len(prog_rank))))
    parts = [t("compare.summary_slopes_part", program=f"{fmt.programme(p)} ({where[panel]})",
               share=fmt.num(100 * up[(panel, p)], 0)) for panel, p in keys]
    summary = t("compare.summary_slopes", parts="; ".join(parts), hidden=hidden, k=access.min_cell())
    if len(drawn) < len(wide):
        summary += " " + t("compare.summary_slopes_sample", drawn=fmt.num(len(drawn), 0),
                           total=fmt.num(len(wide), 0), cap=fmt.num(figures.SLOPE_MAX_LINES, 0),
                           seed=figures.SLOPE_SEED)
    names = {p: fmt.programme(p) for p in wide["program"].unique()}  # t() per row cost 2 s at 40,000 schools
    table = wide.assign(program=wide["program"].map(names)).rename(columns=lambda c: t(f"col.{c}"))
    return Chart(fig, t("compare.alt_slopes", indicator=label), summary, table)


def evidence_row(outcome: Outcome, by: str | None) -> None:
    """Under the effect chart: per programme, its evidence badge, the reasons and the context flags."""
    if not outcome.ok:
        return
    frame = outcome.frame
    frame = frame[frame["program"] != "comparison"]
    progs = programme_order(frame["program"])
    cols = st.columns(len(progs)) if progs else []
    for col, prog in zip(cols, progs, strict=True):
        rows = frame[frame["program"] == prog]
        shown = rows[rows["reliability"] != "suppressed"]  # a hidden group has no badge of its own to lend
        r = (shown if len(shown) else rows).iloc[0]
        with col:
            st.markdown(f"**{fmt.md(fmt.programme(prog))}** {fmt.evidence_badge(r.get('evidence'))}",
                        help=t("evidence.badge_help"))
            reasons = fmt.reasons(r.get("evidence_reasons"), ",".join(str(f) for f in rows["flags"].dropna()))
            if reasons:
                st.caption(t("compare.checks", reasons=reasons))
            flags = fmt.flags(",".join(str(f) for f in rows["flags"].dropna() if f))
            flag_list = list(dict.fromkeys(x for x in flags.split(" · ") if x))
            if flag_list:
                st.caption(t("compare.flags", flags=" · ".join(flag_list)))
            # what the row's note says in words (e.g. a randomised trial's schools left out of the DiD)
            notes = dict.fromkeys(row_notes.say(n, lang(), escape=fmt.md) for n in rows["note"].dropna()) \
                if "note" in rows else {}
            for note in (n for n in notes if n):
                st.caption(t("compare.note", note=note))
