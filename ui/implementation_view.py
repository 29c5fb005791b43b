"""Implementación: labs planned, installed and operating; training; lab use and the schools falling behind;
governance; dose and response; cost — each drawn with its summary sentence and its data."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

from analysis import queries, unit_figures
from analysis.implementation import charts, cost, dose, monitor
from ui import format as fmt
from ui.charts import Chart, lang
from ui.db import connection
from ui.i18n import plural, t
from ui.loaders import TTL, _signature

LEVELS = monitor.LEVELS
DOSES = tuple(dose.DOSES)
#: The step of dose a sentence speaks of: 10 hours of lab use or training, one month of operation.
PER_UNITS = {"lab_hours_per_term": 10.0, "training_hours_per_teacher": 10.0, "months_operating": 1.0}


def level_labels() -> dict[str, str]:
    return {level: t(f"impl.level.{level}") for level in LEVELS}


def dose_labels() -> dict[str, str]:
    return {name: t(f"impl.dose.{name}") for name in DOSES}


# --- cached reads (keyed by the snapshot, shared by sessions) -----------------------------------------------

READERS = {"has": monitor.has_records, "status": monitor.lab_status, "use": monitor.school_use,
           "training": monitor.training_coverage, "governance": monitor.governance, "time": monitor.over_time,
           "dose": dose.dose_analysis}


@st.cache_resource(ttl=TTL, max_entries=64, show_spinner=False)
def _cached(signature: tuple[int, int] | None, name: str, args: tuple) -> Any:
    return READERS[name](connection(), *args)


def _read(name: str, *args: Any) -> Any:
    value = _cached(_signature(), name, tuple(args))
    return value.copy(deep=False) if isinstance(value, pd.DataFrame) else value


def has_records() -> bool:
    return bool(_read("has"))


def _place(value: object) -> str:
    return t("impl.all_territories") if value in (None, "all") or fmt.is_missing(value) else fmt.text(value)


def _places(frame: pd.DataFrame) -> pd.Series:
    """Each row's territory in words; a municipality whose name another row of the same programme shares
    (two departments' La Unión) is followed by its department."""
    labels = frame["territory"].map(_place)
    if "parent" not in frame:
        return labels
    shared = frame.duplicated(["program", "country", "territory"], keep=False) & frame["parent"].notna()
    return labels.where(~shared, labels + " (" + frame["parent"].map(fmt.text) + ")")


def _pct(share: object) -> str:
    return "—" if fmt.is_missing(share) else fmt.num(100 * float(share), 0) + " %"


# --- labs ------------------------------------------------------------------------------------------------

def status_chart(level: str, program: str | None) -> tuple[Chart | None, pd.DataFrame]:
    frame = _read("status", level, program)
    if frame.empty:
        return None, frame
    texts = {"planned": t("impl.planned"), "installed": t("impl.installed"), "operating": t("impl.operating"),
             "x_labs": t("impl.axis_labs"), "all_territories": t("impl.all_territories")}
    fig = charts.lab_status(frame.assign(territory=_places(frame)), texts, lang())
    table = pd.DataFrame({
        t("col.program"): frame["program"].map(fmt.programme), t("impl.col.territory"): _places(frame),
        t("impl.planned"): frame["planned"], t("impl.installed"): frame["installed"],
        t("impl.operating"): frame["operating"], t("impl.no_report"): frame["no_report"],
        t("impl.col.share_operating"): frame["share_operating"].map(_pct)})
    if int(frame["roster_only"].sum()):  # labs the trial's roster reports, without a use record: said apart
        table.insert(5, t("impl.operating_roster"), frame["operating_roster"])
    return Chart(fig, t("impl.alt_status"), status_summary(frame), table), frame


def status_summary(frame: pd.DataFrame) -> str:
    """Labs planned, installed and operating in words; labs the trial's roster reports as operating (no use
    record) are counted among those operating and said apart, labs with no report at all too."""
    planned, operating = int(frame["planned"].sum()), int(frame["operating"].sum())
    roster, no_report = int(frame["operating_roster"].sum()), int(frame["no_report"].sum())
    words = {"planned": fmt.num(planned, 0), "installed": fmt.num(int(frame["installed"].sum()), 0),
             "operating": fmt.num(operating, 0), "not_yet": fmt.num(planned - operating, 0),
             "no_report": fmt.num(no_report, 0)}
    if not int(frame["roster_only"].sum()):
        return t("impl.status_summary", **words)
    return t("impl.status_summary_roster_no_report" if no_report else "impl.status_summary_roster",
             logged=fmt.num(operating - roster, 0), roster=fmt.num(roster, 0), **words)


def status_map(level: str, frame: pd.DataFrame) -> Chart | None:
    """The share of planned labs operating per department or municipality, on the shipped (or imported) map."""
    if level not in ("department", "municipality") or frame.empty:
        return None
    from ui.regions_view import boundaries

    shapes = boundaries(level)
    if shapes.empty:
        return None
    frame = map_values(frame)
    data = pd.DataFrame({"program": frame["program"], "country": frame["country"],
                         "label": frame["territory"], "effect": 100 * frame["share_operating"],
                         "reliability": None})
    data["hover"] = map_hover(frame)
    data["location"] = queries.territory_locations(data, shapes)
    placed = data.dropna(subset=["location"])
    if placed.empty:
        return None
    context = queries.map_context(shapes, placed["location"], level)
    texts = {"colorbar": t("impl.col.share_operating"), "no_result": t("impl.map_no_labs"), "low": "",
             "CO": fmt.country("CO"), "GT": fmt.country("GT")}
    fig = unit_figures.territory_map(context, placed, texts, lang(), value_range=(0.0, 100.0))
    if fig is None:
        return None
    summary = t("impl.map_summary", shown=len(placed), level=t(f"impl.level.{level}").lower())
    table = pd.DataFrame({t("col.program"): frame["program"].map(fmt.programme),
                          t("impl.col.territory"): _places(frame),
                          t("impl.col.share_operating"): frame["share_operating"].map(_pct)})
    return Chart(fig, t("impl.alt_map"), summary, table)


def map_values(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per territory for the map: programmes sharing a territory added together (labs operating of
    labs planned), so one shape gets one colour (two programmes' rows drew two shapes, one hidden under the
    other, and the colour shown was whichever came last)."""
    keys = ["country", *(["parent"] if "parent" in frame else []), "territory"]
    out = (frame.assign(program=frame["program"].map(fmt.programme))
           .groupby(keys, dropna=False, sort=False)
           .agg(program=("program", ", ".join), operating=("operating", "sum"), planned=("planned", "sum"))
           .reset_index())
    out["share_operating"] = out["operating"] / out["planned"].where(out["planned"] > 0)
    return out


def map_hover(frame: pd.DataFrame) -> list[str]:
    """Each territory's hover on the labs map: its name, the programme's name, labs operating of planned. Names
    go in as they are: the Chart makes every text from the data plain once (analysis.figure_text; escaping
    here as well showed 'A &amp; B')."""
    return [f"<b>{name}</b> · {program}<br>" + t("impl.map_hover", operating=fmt.num(op, 0), planned=fmt.num(pl, 0),
                                                 share=_pct(share))
            for name, program, op, pl, share in zip(_places(frame), frame["program"].map(fmt.programme),
                                                    frame["operating"], frame["planned"], frame["share_operating"],
                                                    strict=True)]


def time_chart(program: str | None) -> Chart | None:
    """The monthly share of the planned labs with a use record that operate. Labs without one (a trial's labs
    its roster reports) have no month: said under the chart with what the roster says, so the sentence and the
    status above agree (MiLab read 39 % of 70 planned labs, 27 of its 40 logged labs and its trial's 26
    operating labs of 30 counted as idle)."""
    frame = _read("time", program)
    if frame.empty:
        return None
    texts = {"y_share": t("impl.axis_share_operating"), "x_month": t("impl.axis_month"),
             "CO": fmt.country("CO"), "GT": fmt.country("GT"), "month_names": " ".join(fmt.month_names()),
             "month": t("fmt.month")}
    fig = charts.over_time(frame, texts, lang())
    last = frame.sort_values("month").groupby("program").tail(1)
    parts = [t("impl.time_part", program=fmt.programme(r.program), share=_pct(r.share_operating),
               month=fmt.month(r.month), operating=fmt.num(r.labs_operating, 0), logged=fmt.num(r.logged, 0))
             for r in last.itertuples()]
    summary = t("impl.time_summary") + " " + "; ".join(parts) + "."
    outside = last[last["logged"] < last["planned"]]
    if not outside.empty:
        status = _read("status", "program", program).groupby("program")["operating_roster"].sum()
        for r in outside.itertuples():
            roster = int(status.get(r.program, 0))
            words = {"program": fmt.programme(r.program), "n": fmt.num(r.planned - r.logged, 0),
                     "planned": fmt.num(r.planned, 0), "roster": fmt.num(roster, 0)}
            summary += " " + t("impl.time_no_log_roster" if roster else "impl.time_no_log", **words)
    table = pd.DataFrame({t("col.program"): frame["program"].map(fmt.programme),
                          t("impl.axis_month"): frame["month"].map(fmt.month),
                          t("impl.operating"): frame["labs_operating"], t("impl.reporting"): frame["labs_reporting"],
                          t("impl.logged"): frame["logged"], t("impl.planned"): frame["planned"],
                          t("impl.col.share_operating"): frame["share_operating"].map(_pct),
                          t("impl.col.hours"): frame["lab_hours"].map(lambda v: fmt.num(v, 0))})
    return Chart(fig, t("impl.alt_time"), summary, table)


def schools_behind(program: str | None, target: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every planned school's use, the table of those falling behind in words). A school with no use record
    shows '—' for its hours and sessions: unknown use, not zero."""
    frame = _read("use", program, None, None, float(target))
    behind = frame[frame["behind"]]
    table = pd.DataFrame({
        t("col.program"): behind["program"].map(fmt.programme), t("impl.col.school"): behind["name"].map(fmt.text),
        t("impl.col.code"): behind["code"], t("impl.col.municipality"): behind["municipality"].map(fmt.text),
        t("impl.col.hours_term"): behind["hours_per_term"].map(lambda v: fmt.num(v, 0)),
        t("impl.col.sessions"): behind["sessions"].map(lambda v: fmt.num(v, 0)),
        t("impl.col.reason"): behind["behind_reason"].map(lambda r: t(f"impl.behind.{r}"))})
    return frame, table


def use_summary(use: pd.DataFrame, behind: pd.DataFrame, target: float) -> str:
    """The schools falling behind of the planned ones, how many have no use report at all (their use unknown),
    and how many of those operate as the trial's roster says."""
    text = plural("impl.use_summary", len(use), behind=fmt.num(len(behind), 0), schools=fmt.num(len(use), 0),
             target=fmt.num(target, 0))
    unknown = int(use["sessions"].isna().sum())
    if not unknown:
        return text
    said = t("impl.use_no_report_one") if unknown == 1 else t("impl.use_no_report", n=fmt.num(unknown, 0))
    roster = int((use["sessions"].isna() & (use["reported_by"] == "roster") & use["operating"].astype(bool)).sum())
    if roster:
        said += " " + t("impl.use_roster", n=fmt.num(roster, 0))
    return text + " " + said


def training_chart(level: str, program: str | None, min_hours: float) -> Chart | None:
    """Teachers with the minimum hours per territory. Every territory with planned schools keeps its row: an
    empty bar says why beside it and under the chart (no training records, or records but nobody with the
    hours); training records hold teachers, not children, so no cell is suppressed."""
    frame = _read("training", level, program, float(min_hours))
    if frame.empty or int(frame["teachers"].sum()) == 0:
        return None
    hours = fmt.num(min_hours, 0)
    none, zero = frame["teachers"] == 0, (frame["teachers"] > 0) & (frame["teachers_min_hours"] == 0)
    bar_text = pd.Series("", index=frame.index, dtype=object)
    bar_text[none] = t("impl.training_bar_none")
    bar_text[zero] = [plural("impl.training_bar_zero", n, teachers=fmt.num(n, 0)) for n in frame.loc[zero, "teachers"]]
    texts = {"x_share": t("impl.axis_share_teachers", hours=hours), "all_territories": t("impl.all_territories")}
    places = _places(frame)
    fig = charts.training(frame.assign(territory=places, bar_text=bar_text), texts, lang())
    total, reached = int(frame["teachers"].sum()), int(frame["teachers_min_hours"].sum())
    summary = plural("impl.training_summary", total, reached=fmt.num(reached, 0), teachers=fmt.num(total, 0),
                share=_pct(reached / total if total else None), hours=hours)
    if none.any():
        summary += " " + t("impl.training_no_records", places=", ".join(places[none]))
    if zero.any():
        summary += " " + t("impl.training_zero", hours=hours, places=", ".join(places[zero]))
    table = pd.DataFrame({
        t("col.program"): frame["program"].map(fmt.programme), t("impl.col.territory"): places,
        t("impl.col.teachers"): frame["teachers"], t("impl.col.teachers_min", hours=hours):
            frame["teachers_min_hours"], t("impl.col.share"): frame["share_min_hours"].map(_pct),
        t("impl.col.completed"): frame["teachers_completed"],
        t("impl.col.mean_hours"): frame["mean_hours"].map(lambda v: fmt.num(v, 1))})
    return Chart(fig, t("impl.alt_training"), summary, table)


def governance_table(level: str, program: str | None) -> pd.DataFrame:
    frame = _read("governance", level, program)
    columns = ("committee_in_place", "with_meetings", "families_take_part", "community_takes_part",
               "territorial_articulation")
    out = pd.DataFrame({t("col.program"): frame["program"].map(fmt.programme),
                        t("impl.col.territory"): _places(frame),
                        t("impl.col.schools_checked"): [f"{c} / {s}" for c, s in
                                                         zip(frame["schools_checked"], frame["schools"], strict=True)]})
    for column in columns:
        out[t(f"impl.gov.{column}")] = frame[f"share_{column}"].map(_pct)
    return out


# --- dose and response -------------------------------------------------------------------------------------

def dose_result(program: str, indicator: str, dose_name: str) -> dose.DoseAnalysis:
    return _read("dose", program, indicator, dose_name)


def scale_words(result: dose.DoseAnalysis) -> str:
    """The scale of the raw points named: 'puntos de la prueba de Guatemala' (each country's own test)."""
    return t("impl.points_of", country=fmt.country(result.country)) if result.country else t("impl.points")


def has_sd(result: dose.DoseAnalysis) -> bool:
    """True when the students' SD exists, so the result is shown in SD units (comparable across programmes)."""
    return bool(result.student_sd > 0) and math.isfinite(result.student_sd)


def dose_charts(result: dose.DoseAnalysis, indicator_label: str,
                unit: str | None = None) -> tuple[Chart | None, Chart | None]:
    """The scatter and the dose groups, in student SDs when the SD exists (two programmes' panels side by side
    then share one unit; their tests' raw points do not), raw points in the tables with their scale named."""
    if result.schools.empty:
        return None, None
    raw = unit or scale_words(result)
    sd = result.student_sd if has_sd(result) else 1.0
    shown = t("impl.sd_students") if has_sd(result) else raw
    dose_words = t(f"impl.dose.{result.dose}")
    texts = {"band": t("impl.band"), "fit": t("impl.fit"), "schools": t("impl.schools"), "x_dose": dose_words,
             "y_change": t("impl.axis_change", indicator=indicator_label, unit=shown),
             "x_groups": t("impl.axis_mean_change", unit=shown)}
    schools = result.schools.assign(label=result.schools["name"].map(fmt.text), change=result.schools["change"] / sd)
    curve = result.fit.curve.assign(**{c: result.fit.curve[c] / sd for c in ("fit", "ci_low", "ci_high")})
    scatter = charts.dose_scatter(schools, curve, result.program, texts, lang())
    raw_column = t("impl.col.change_points", scale=raw)
    table = pd.DataFrame({t("impl.col.school"): schools["label"], t("impl.col.code"): schools["code"],
                          dose_words: schools["dose"].map(lambda v: fmt.num(v, 1)),
                          texts["y_change"]: schools["change"].map(lambda v: fmt.signed(v, 2 if has_sd(result) else 1)),
                          t("impl.col.students"): schools["n_linked"]})
    if has_sd(result):
        table.insert(4, raw_column, result.schools["change"].map(lambda v: fmt.signed(v, 1)))
    first = Chart(scatter, t("impl.alt_dose"), dose_sentence(result, unit), table)
    if result.groups.empty:
        return first, None
    group_key = "impl.group" if len(result.groups) == 3 else "impl.group_other"  # ties can make fewer groups
    groups = result.groups.assign(label=[t(group_key, n=int(g), low=fmt.num(lo, 0), high=fmt.num(hi, 0))
                                         for g, lo, hi in zip(result.groups["group"], result.groups["dose_low"],
                                                              result.groups["dose_high"], strict=True)],
                                  **{c: result.groups[c] / sd for c in ("mean_change", "ci_low", "ci_high")})
    fig = charts.dose_groups(groups, result.program, texts, lang())
    d = max(2 if has_sd(result) else 1, decimals(*(groups["ci_high"] - groups["ci_low"])))
    group_table = pd.DataFrame({t("impl.col.group"): groups["label"], t("impl.col.schools"): groups["n_schools"],
                                texts["y_change"]: groups["mean_change"].map(lambda v: fmt.signed(v, d)),
                                t("impl.col.interval"): [fmt.interval(lo, hi, d) for lo, hi in
                                                         zip(groups["ci_low"], groups["ci_high"], strict=True)]})
    if has_sd(result):
        group_table[raw_column] = result.groups["mean_change"].map(lambda v: fmt.signed(v, 1))
    return first, Chart(fig, t("impl.alt_groups"), contrast_sentence(result, unit), group_table)


def decimals(*widths: float) -> int:
    """Decimals that show an interval as an interval: two significant digits of its narrowest width, one at
    least and four at most (on a 1–5 scale a slope of +0.010 [−0.008, +0.028] read '+0.0 (−0.0 to +0.0)')."""
    finite = [abs(float(w)) for w in widths if not fmt.is_missing(w) and math.isfinite(float(w)) and w != 0]
    if not finite:
        return 1
    return int(min(4, max(1, 1 - math.floor(math.log10(min(finite))))))


def _three(value: float, low: float, high: float, scale: float, least: int = 1) -> tuple[str, str, str]:
    """A value and its interval bounds, times ``scale``, with the decimals the interval's width asks for (at
    least ``least``: two for SDs, as every standardised effect is written)."""
    d = max(least, decimals(scale * (high - low)))
    return fmt.signed(scale * value, d), fmt.signed(scale * low, d), fmt.signed(scale * high, d)


def dose_sentence(result: dose.DoseAnalysis, unit: str | None = None) -> str:
    """The plain sentence: an association, its size per 10 units of dose in student SDs with its interval (the
    raw points after it, their scale named), or the reason; and the programme schools left out (no dose record
    in the post years, or no publishable change). ``unit``: the raw points' words (default: the scale named)."""
    fit = result.fit
    raw = unit or scale_words(result)
    if fit.reason is not None:
        sentence = t("impl.dose_none_one" if fit.n_schools == 1 else "impl.dose_none",
                     reason=t(f"impl.reason.{fit.reason}"), n=fit.n_schools)
    else:
        per = PER_UNITS[result.dose]
        key = "impl.dose_sentence_clear" if (fit.ci_low > 0 or fit.ci_high < 0) else "impl.dose_sentence_unclear"
        more = t(f"impl.per.{result.dose}", per=fmt.num(per, 0))
        slope, low, high = _three(fit.slope, fit.ci_low, fit.ci_high, per)
        if has_sd(result):
            z = result.standardized()
            slope_sd, low_sd, high_sd = _three(z["slope_sd"], z["ci_low_sd"], z["ci_high_sd"], per, 2)
            sentence = (t(key, n=fit.n_schools, more=more, slope=slope_sd, low=low_sd, high=high_sd, unit=t("impl.sd"))
                        + " " + t("impl.dose_raw", scale=raw, slope=slope, low=low, high=high))
        else:
            sentence = (t(key, n=fit.n_schools, more=more, slope=slope, low=low, high=high, unit=raw)
                        + " " + t("impl.dose_no_sd", scale=raw))
    if result.schools_without_dose and result.first_year is not None:
        years = str(result.first_year) if result.first_year == result.last_year else \
            f"{result.first_year}–{result.last_year}"
        sentence += " " + t("impl.dose_left_out", n=fmt.num(result.schools_without_dose, 0), years=years)
    if result.schools_suppressed:
        sentence += " " + t("impl.dose_suppressed", n=fmt.num(result.schools_suppressed, 0))
    return sentence


def contrast_sentence(result: dose.DoseAnalysis, unit: str | None = None) -> str:
    """Highest dose group minus lowest, in student SDs with its interval, then in raw points (scale named)."""
    c = result.contrast
    if c.get("reason") or fmt.is_missing(c.get("ci_low")):
        return t("impl.contrast_none")
    raw = unit or scale_words(result)
    key = "impl.contrast_sentence" if len(result.groups) == 3 else "impl.contrast_sentence_groups"
    diff, low, high = _three(c["difference"], c["ci_low"], c["ci_high"], 1.0)
    if not has_sd(result):
        return t(key, diff=diff, low=low, high=high, unit=raw) + " " + t("impl.dose_no_sd", scale=raw)
    z = result.standardized()
    diff_sd, low_sd, high_sd = _three(z["top_minus_bottom_sd"], z["top_minus_bottom_ci_low_sd"],
                                      z["top_minus_bottom_ci_high_sd"], 1.0, 2)
    return (t(key, diff=diff_sd, low=low_sd, high=high_sd, unit=t("impl.sd"))
            + " " + t("impl.contrast_raw", scale=raw, diff=diff, low=low, high=high))


# --- cost ---------------------------------------------------------------------------------------------------

def cost_table(report: pd.DataFrame) -> pd.DataFrame:
    money = lambda v: fmt.num(v, 0)  # noqa: E731
    return pd.DataFrame({
        t("col.program"): report["program"].map(fmt.programme), t("impl.cost.labs"): report["labs"],
        t("impl.cost.students"): report["students_per_year"].map(money),
        t("impl.cost.per_student", currency=report["currency"].iloc[0]): report["cost_per_student_year"].map(money),
        t("impl.cost.effect"): [
            fmt.effect(g, lo, hi, "hedges_g") for g, lo, hi in
            zip(report["effect_size"], report["effect_ci_low"], report["effect_ci_high"], strict=True)],
        t("impl.cost.per_gain", currency=report["currency"].iloc[0]): [
            "—" if fmt.is_missing(v) else money(v) + ("" if fmt.is_missing(lo) else f" ({fmt.interval(lo, hi, 0)})")
            for v, lo, hi in zip(report["cost_per_01sd"], report["cost_per_01sd_low"], report["cost_per_01sd_high"],
                                 strict=True)],
        t("impl.cost.band"): report["eef_band"].map(lambda b: t(f"impl.band.{b}") if isinstance(b, str) else "—"),
        t("impl.cost.note"): report["reason"].map(lambda r: t(f"impl.cost_reason.{r}") if isinstance(r, str) else ""),
    })


def cost_report(upload: Any, rates_text: str, currency: str, indicator: str, design: str,
                horizon: int) -> pd.DataFrame:
    """The cost table for an uploaded cost file (not cached: a user's file, read in this session only)."""
    costs = cost.read_cost_bytes(upload.getvalue(), getattr(upload, "name", "costs.csv"))
    rates = cost.parse_rates([p.strip() for p in rates_text.replace(";", ",").split(",") if p.strip()])
    return cost.cost_report(connection(), costs, rates, currency, indicator, design, horizon)


def cost_error(exc: cost.CostError) -> str:
    """The cost file's problem in words; the file's own values (a cell, a programme name) escaped for Markdown."""
    where = t("impl.cost_where", row=exc.row, column=fmt.md(exc.column)) if exc.row else ""
    return t(f"impl.{exc.code}", **{k: fmt.md(v) if isinstance(v, str) else v for k, v in exc.params.items()}) + where


# --- Logros: the same facts as plain sentences ------------------------------------------------------------

def logros_sentences(program: str | None, indicator: str | None, indicator_label: str) -> list[str]:
    """Per programme: labs operating of those planned, teachers trained, and the dose contrast (an
    association) — the implementation lines of Logros y pendientes."""
    if not has_records():
        return []
    status = _read("status", "program", program)
    training = _read("training", "program", program, monitor.DEFAULT_MIN_TRAINING_HOURS)
    lines = []
    for row in status.itertuples():
        name = fmt.md(fmt.programme(row.program))
        if row.roster_only:  # labs the trial's roster reports (no use record): counted, and said apart
            key = "impl.logros.labs_roster_no_report" if row.no_report else "impl.logros.labs_roster"
            lines.append(t(key, program=name, operating=fmt.num(row.operating, 0), planned=fmt.num(row.planned, 0),
                           roster=fmt.num(row.operating_roster, 0),
                           not_yet=fmt.num(row.planned - row.operating - row.no_report, 0),
                           no_report=fmt.num(row.no_report, 0)))
        elif row.no_report:  # a lab with no report is not known to be idle: said apart
            lines.append(plural("impl.logros.labs_no_report", row.planned, program=name,
                                operating=fmt.num(row.operating, 0), planned=fmt.num(row.planned, 0),
                                not_yet=fmt.num(row.planned - row.operating - row.no_report, 0),
                                no_report=fmt.num(row.no_report, 0)))
        else:
            lines.append(plural("impl.logros.labs", row.planned, program=name, operating=fmt.num(row.operating, 0),
                                planned=fmt.num(row.planned, 0), not_yet=fmt.num(row.planned - row.operating, 0)))
        trained = training[training["program"] == row.program]
        if not trained.empty and int(trained["teachers"].iloc[0]) > 0:
            lines.append(plural("impl.logros.training", int(trained["teachers"].iloc[0]), program=name,
                                reached=fmt.num(int(trained["teachers_min_hours"].iloc[0]), 0),
                                teachers=fmt.num(int(trained["teachers"].iloc[0]), 0),
                                hours=fmt.num(monitor.DEFAULT_MIN_TRAINING_HOURS, 0)))
        if indicator is None:
            continue
        result = dose_result(row.program, indicator, dose.DEFAULT_DOSE)
        contrast = result.contrast
        if result.groups.empty or contrast.get("reason") or fmt.is_missing(contrast.get("ci_low")):
            continue
        top = result.groups.iloc[-1]
        clear = "impl.logros.dose_clear" if len(result.groups) == 3 else "impl.logros.dose_clear_groups"
        key = (clear if contrast["ci_low"] > 0 or contrast["ci_high"] < 0
               else "impl.logros.dose_unclear")
        diff, low, high = _three(contrast["difference"], contrast["ci_low"], contrast["ci_high"], 1.0)
        scale = scale_words(result)
        if has_sd(result):  # student SDs first: two programmes' tests are on different scales
            z = result.standardized()
            raw = t("impl.logros.raw", scale=scale, diff=diff)
            diff, low, high = _three(z["top_minus_bottom_sd"], z["top_minus_bottom_ci_low_sd"],
                                     z["top_minus_bottom_ci_high_sd"], 1.0, 2)
            unit = t("impl.sd")
        else:
            raw, unit = t("impl.logros.no_sd", scale=scale), scale
        lines.append(t(key, program=name, hours=fmt.num(top["dose_low"], 0), indicator=fmt.md(indicator_label),
                       diff=diff, low=low, high=high, unit=unit, raw=raw))
    return lines
