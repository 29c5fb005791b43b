"""Escuelas: school effects (caterpillar plot; intervals and q-values only where the rows have them) and one
school's profile.

A school alone is one cluster: compare() gives it no interval and no test (3 or fewer clusters: no reliable
inference; docs/METHODS.md, "Evidence checks"). The page then says so once and claims no interval, q legend or
count of "significant" schools for those rows; the same page keeps them for rows that do carry inference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from analysis import plain_language, queries, unit_figures
from ui import access
from ui import format as fmt
from ui.charts import Chart, lang
from ui.i18n import t
from ui.loaders import TTL, Outcome, _signature, compare_result, indicator_info, indicators, sql

COLUMNS = ["school", "name", "program", "country", "lab_type", "start_year", "n_linked", "mean_pre", "mean_post",
           "diff", "diff_ci_low", "diff_ci_high", "diff_se", "df", "effect_size", "effect_size_kind", "es_ci_low",
           "es_ci_high",
           "p_value", "q_value", "reliability", "flags"]
#: the columns that exist only with inference: left out of the table when no school row has any
INFERENCE_COLUMNS = ("diff_ci_low", "diff_ci_high", "diff_se", "df", "es_ci_low", "es_ci_high", "p_value", "q_value")


def indicator_options() -> list[str]:
    frame = indicators()
    keep = frame[frame["kind"].isin(["score", "index", "rate"]) & frame["domain"].isin(
        ["learning", "motivation", "retention"])]
    return list(keep["code"])


SCHOOL_LIST_LIMIT = 500  # a selectbox of 40,000 schools costs seconds per rerun; beyond this, search first


def schools() -> pd.DataFrame:
    return sql(queries.SCHOOLS_SQL)


def matching_schools(frame: pd.DataFrame, search: str | None, chosen: str | None = None) -> list[str]:
    """Up to SCHOOL_LIST_LIMIT school codes whose code or name contains ``search`` (case-insensitive),
    plus the already chosen one (from the URL) when it is a school of ``frame``."""
    codes = frame["unit_id"].astype(str)
    if search and search.strip():
        needle = search.strip().casefold()
        hits = codes.str.casefold().str.contains(needle, regex=False) | \
            frame["name"].fillna("").astype(str).str.casefold().str.contains(needle, regex=False)
        codes = codes[hits]
    out = list(codes.head(SCHOOL_LIST_LIMIT))
    if chosen and chosen not in out and (frame["unit_id"] == chosen).any():
        out.insert(0, chosen)
    return out


def school_names(frame: pd.DataFrame) -> dict[str, str]:
    """School code -> name, for the selector (a school without a name shows its code alone)."""
    return dict(zip(frame["unit_id"].astype(str), frame["name"], strict=True))


def school_option(code: object, names: dict[str, str]) -> str:
    """'Escuela Oficial Rural Mixta · GT-04-01-4578-43': searchable by name, the code as secondary detail."""
    name = names.get(str(code))
    return str(code) if fmt.is_missing(name) or not str(name).strip() else f"{name} · {code}"


def has_inference(frame: pd.DataFrame) -> bool:
    """Whether any shown programme school row has an interval or a q-value of its own."""
    rows = frame[(frame["program"] != "comparison") & (frame["reliability"] != "suppressed")]
    columns = [c for c in ("es_ci_low", "es_ci_high", "q_value") if c in rows]
    return bool(len(rows)) and bool(rows[columns].apply(pd.to_numeric, errors="coerce").notna().any().any())


def outcome_has_inference(outcome: Outcome) -> bool:
    """:func:`has_inference` of an outcome (False without one)."""
    return outcome.ok and has_inference(outcome.frame)


def school_effects(indicator: str) -> Outcome:
    """Pre/post change per school (one compare() call: q-values over all schools together)."""
    return compare_result(indicator, "prepost", "school")


def _reference(indicator: str) -> dict[str, float]:
    """Programme -> the comparison schools' average change in the same country (pre/post g or points)."""
    res = compare_result(indicator, "prepost")
    if not res.ok:
        return {}
    frame = res.frame
    comp = frame[frame["program"] == "comparison"].set_index("country")["effect_size"]
    out = {}
    for _, r in frame[frame["program"] != "comparison"].iterrows():
        if r["country"] in comp.index and not fmt.is_missing(comp[r["country"]]):
            out[r["program"]] = float(comp[r["country"]])
    return out


# ui.i18n.number without looking the language up (it reads the session per call: 60 µs x 40,000)
_number = plain_language.number


def _signed(value: object, decimals: int, language: str) -> str:
    """fmt.signed with the language known (no session lookup per school)."""
    return fmt.signed(value, decimals, lambda v, d: _number(v, d, language))


def hover_texts(rows: pd.DataFrame, kind: str | None, language: str) -> list[str]:
    """'<b>code</b> · name<br>effect [interval]<br>q = …' per school: the same text as fmt.effect and
    fmt.q_value, with the translations looked up once instead of a few times per school. A school without an
    interval or a q-value shows neither ("[no interval] · q —" would claim a test the page never ran)."""
    d = fmt.decimals_for(kind)
    unit, between, none = fmt.unit(kind), t("fmt.interval"), t("fmt.no_interval")
    q_small = f"q < {_number(0.001, 3, language)}"
    out = []
    for code, name, value, low, high, q in zip(rows["school"], rows["name"], rows["effect_size"], rows["es_ci_low"],
                                               rows["es_ci_high"], rows["q_value"], strict=True):
        no_interval = fmt.is_missing(low) or fmt.is_missing(high)
        interval = ("" if fmt.is_missing(q) else none) if no_interval else between.format(
            low=_signed(low, d, language), high=_signed(high, d, language))
        effect = f"{_signed(value, d, language)} {unit} {interval}".strip()
        q_text = "" if fmt.is_missing(q) else "<br>" + (q_small if float(q) < 0.001
                                                        else f"q = {_number(float(q), 3, language)}")
        out.append(f"<b>{code}</b> · {name}<br>{effect}{q_text}")
    return out


def result_table(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """fmt.result_table with its word columns (programme, country, marks, flags) translated once per distinct
    value instead of once per school (1–2 s for 40,000 schools); the same cells."""
    columns = [c for c in columns if c in frame.columns]
    words = [c for c in ("program", "country", "reliability", "flags", "effect_size_kind") if c in columns]
    out = fmt.result_table(frame[[c for c in columns if c not in words]], [c for c in columns if c not in words])
    for c in words:
        values = frame[c]
        if c == "reliability" and "suppression_reason" in frame:  # a hidden school says which rule hid it
            values = values.where(frame["suppression_reason"] != "complementary", "suppressed:complementary")
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        mapped = fmt.result_table(pd.DataFrame({c: uniques}), [c]).iloc[:, 0].to_numpy(dtype=object)
        if c == "reliability":
            mapped = [fmt.reliability("suppressed", "complementary") if u == "suppressed:complementary" else m
                      for u, m in zip(uniques, mapped, strict=True)]
            mapped = pd.Series(mapped, dtype=object).to_numpy()
        out[t(f"col.{c}")] = mapped[codes]
    if "flags" in columns and "evidence_reasons" in frame and "effect_size" in frame:
        out[t("col.flags")] = _with_missing_reason(frame, out[t("col.flags")].to_numpy(dtype=object))
    return out[[t(f"col.{c}") for c in columns]]


def _with_missing_reason(frame: pd.DataFrame, context: np.ndarray) -> list[str]:
    """The context cell of a school without a change says why first (no data after, no data before: the row's
    evidence reasons, fmt.missing_reason), translated once per distinct reason."""
    codes, uniques = pd.factorize(frame["evidence_reasons"], use_na_sentinel=False)
    why = np.array([fmt.missing_reason(u) for u in uniques], dtype=object)[codes]
    why = np.where(pd.to_numeric(frame["effect_size"], errors="coerce").isna().to_numpy(), why, "")
    return [" · ".join(x for x in (w, c) if isinstance(x, str) and x) for w, c in zip(why, context, strict=True)]


def caterpillar_chart(indicator: str, outcome: Outcome, program: str | None) -> Chart | None:
    """The caterpillar of every school, built once per snapshot, indicator, programme, language and minimum
    cell: with 40,000 schools building it (hover texts, plotly validation, the result table) took 2–3 s of
    every rerun of the page (bench/RESULTS.md, issue #6)."""
    if not outcome.ok:
        return None
    return _caterpillar_cached(_signature(), indicator, program, lang(), access.min_cell(), outcome)


@st.cache_resource(ttl=TTL, max_entries=16, show_spinner=False)
def _caterpillar_cached(signature: tuple[int, int] | None, indicator: str, program: str | None, language: str,
                        min_cell: int, _outcome: Outcome) -> Chart | None:
    """Shared, not copied (cache_resource): callers only draw the chart, they never change it."""
    return _caterpillar_build(indicator, _outcome, program)


def _caterpillar_build(indicator: str, outcome: Outcome, program: str | None) -> Chart | None:
    frame = outcome.frame.merge(schools()[["unit_id", "name", "lab_type", "start_year"]].rename(
        columns={"unit_id": "school"}), on="school", how="left")
    frame = frame[frame["program"] != "comparison"]
    if program:
        frame = frame[frame["program"] == program]
    if frame.empty:
        return None
    kind = next(iter(frame["effect_size_kind"].dropna()), None)
    shown = frame[frame["reliability"] != "suppressed"]
    data = pd.DataFrame({
        "program": shown["program"], "unit_id": shown["school"], "effect": shown["effect_size"],
        "low": shown["es_ci_low"], "high": shown["es_ci_high"], "q_value": shown["q_value"],
        "reliability": shown["reliability"], "hover": hover_texts(shown, kind, lang()),
    })
    reference = _reference(indicator)
    inference = has_inference(frame)
    texts = {"y_title": fmt.with_direction(t(f"schools.axis.{kind}") if kind else "", indicator,
                                            indicators()),
             "x_title": t("schools.axis.rank"),
             "significant": t("schools.significant"),
             # without any test, the marks are schools, not "q ≥ 0.05"
             "not_significant": t("schools.not_significant" if inference else "schools.no_test_mark"),
             "reference": t("schools.reference")}
    fig = unit_figures.caterpillar(data, texts, lang(), reference)
    hidden = int(len(frame) - len(shown))
    if inference:
        q = pd.to_numeric(data["q_value"], errors="coerce")
        above = 0
        for prog, ref in reference.items():
            part = data[data["program"] == prog]
            above += int((pd.to_numeric(part["low"], errors="coerce") > ref).sum())
        # no comparison school in the programmes' countries: no dashed line is drawn, and the summary says why
        key = "schools.summary" if set(data["program"]) & set(reference) else "schools.summary_no_comparison"
        summary = t(key, n=len(data), significant=int((q < 0.05).sum()), above=above, hidden=hidden,
                    k=access.min_cell())
    else:
        summary = t("schools.summary_no_test", n=len(data), hidden=hidden, k=access.min_cell())
    label = fmt.indicator_label(indicator, indicators())
    table = result_table(frame, COLUMNS if inference else [c for c in COLUMNS if c not in INFERENCE_COLUMNS])
    alt = t("schools.alt_caterpillar" if inference else "schools.alt_caterpillar_no_test", indicator=label)
    return Chart(fig, alt, summary, table)


def caterpillar_caption(indicator: str, outcome: Outcome, program: str | None, inference: bool) -> str:
    """The caterpillar's caption: it names the comparison schools' dashed line only when one is drawn (a programme
    shown has comparison schools with data in its country); else it says there are none."""
    programmes = set(outcome.frame["program"]) if outcome.ok else set()
    shown = {program} if program else programmes - {"comparison"}
    key = "schools.caterpillar_caption" if inference else "schools.caterpillar_caption_no_test"
    return t(key if not outcome.ok or shown & set(_reference(indicator)) else f"{key}_no_comparison")


def reference_text(indicator: str, country: str) -> str | None:
    """The comparison schools' average change in the school's country, for reading its own change; that the
    country has no comparison school with data, when it has none."""
    res = compare_result(indicator, "prepost")
    if not res.ok:
        return None
    rows = res.frame[(res.frame["program"] == "comparison") & (res.frame["country"] == country)]
    if rows.empty:
        return t("schools.reference_none")
    if fmt.is_missing(rows.iloc[0]["effect_size"]):
        return None
    r = rows.iloc[0]
    return t("schools.reference_value", value=fmt.effect(r["effect_size"], r["es_ci_low"], r["es_ci_high"],
                                                          r["effect_size_kind"]))


def profile(unit_id: str) -> dict | None:
    frame = schools()
    rows = frame[frame["unit_id"] == unit_id]
    return None if rows.empty else rows.iloc[0].to_dict()


def students_by_wave(unit_id: str, hidden: bool = False) -> pd.DataFrame:
    """The school's students with data per wave; none shown (—) when ``hidden``: the school's result is suppressed,
    and its count with its municipality's (the evidence pack) would give back the small school it protects."""
    frame = sql(queries.SCHOOL_STUDENTS_SQL, (unit_id,))
    k = access.min_cell()
    frame["students"] = ["—" if hidden else f"<{k}" if 0 < s < k else fmt.num(s, 0) for s in frame["students"]]
    return frame


def school_result(outcome: Outcome, unit_id: str) -> dict | None:
    if not outcome.ok:
        return None
    rows = outcome.frame[outcome.frame["school"] == unit_id]
    return None if rows.empty else rows.iloc[0].to_dict()


def result_text(result: dict) -> tuple[str, str]:
    """(effect, notes) of one school's row for its profile: '+0,17 DE (g) [+0,02 a +0,31]' and 'q = 0,040 · …'
    when the row has inference; else the value alone and 'a school alone: no interval or test' (never
    '[no interval] · q —', which reads as a test that found nothing)."""
    kind = result.get("effect_size_kind")
    tested = has_inference(pd.DataFrame([result]))
    value = (fmt.effect(result.get("effect_size"), result.get("es_ci_low"), result.get("es_ci_high"), kind) if tested
             else f"{fmt.signed(result.get('effect_size'), fmt.decimals_for(kind))} {fmt.unit(kind)}".strip())
    why = fmt.missing_reason(result.get("evidence_reasons")) if fmt.is_missing(result.get("effect_size")) else ""
    notes = (why, fmt.q_value(result.get("q_value")) if tested else t("schools.one_school"),
             fmt.reliability(result.get("reliability")), fmt.flags(result.get("flags")))
    return value, " · ".join(x for x in notes if x)


def series_indicator(indicator: str) -> str:
    """The rate the profile draws year by year: the chosen indicator when it is a yearly rate, else the dropout
    rate (the page titles the chart with it in words)."""
    info = indicator_info(indicator)
    if info is not None and info.get("kind") == "rate" and not info.get("uses_waves"):
        return indicator
    return "dropout_rate"


def rate_series_chart(unit_id: str, rate: str, start_year) -> Chart | None:
    info = indicator_info(rate)
    if info is None:
        return None
    series = sql(queries.SCHOOL_RATE_SERIES_SQL, (unit_id, unit_id, rate, unit_id))
    if series.empty or not (series["series"] == "school").any():
        return None
    texts = {"school": t("schools.this_school"), "comparison": t("prog.comparison"),
             "y_title": fmt.with_direction(fmt.indicator_label(rate, indicators()) + " (%)", rate, indicators()),
             "start": t("schools.start")}
    start = None if fmt.is_missing(start_year) else int(start_year)
    fig = unit_figures.school_series(series, texts, lang(), start)
    mine = series[series["series"] == "school"].sort_values("year")
    summary = t("schools.summary_series", indicator=fmt.indicator_label(rate, indicators()),
                first=int(mine.iloc[0]["year"]), first_value=fmt.num(mine.iloc[0]["value"], 1),
                last=int(mine.iloc[-1]["year"]), last_value=fmt.num(mine.iloc[-1]["value"], 1))
    table = series.assign(series=series["series"].map(
        lambda s: t("schools.this_school") if s == "school" else fmt.programme(s)))
    return Chart(fig, t("schools.alt_series", indicator=fmt.indicator_label(rate, indicators())), summary,
                 table.rename(columns=lambda c: t(f"col.{c}")))
