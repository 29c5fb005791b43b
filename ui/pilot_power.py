"""Diseño del piloto, step 2: power of a cluster-randomised pilot (analysis.pilot.power), its inputs in the
URL, the result in words, the ICC and R² observed in the database, and the power curve."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analysis import figures
from analysis.catalog import INDICATOR_BY_CODE
from analysis.pilot import frame as pilot_frame
from analysis.pilot import plan as pilot_plan
from analysis.pilot import power
from analysis.pilot.power import PowerResult
from ui import format as fmt
from ui.charts import Chart, lang, show
from ui.db import cursor
from ui.i18n import current_language, has, number, t
from ui.loaders import TTL, _signature, indicators
from ui.pilot_inputs import amount, choice
from ui.tables import table

CURVE_COLOR, POINT_COLOR = "#0072B2", "#D55E00"  # Okabe–Ito blue and vermillion
URL_KEYS = {"icc": "cci", "r2_students": "r2_est", "r2_schools": "r2_esc"}


@dataclass(frozen=True)
class Design:
    """What the planner entered: solve for the MDES (``mode='mdes'``) or for the schools (``'schools'``)."""

    mode: str
    schools: int
    target: float
    students: float
    icc: float
    treated_share: float
    r2_students: float
    r2_schools: float
    covariates: int
    alpha: float
    power: float
    two_tailed: bool
    blocks: int | None
    base_rate: float | None

    def options(self) -> dict:
        """Keyword arguments of `power.mdes` besides schools, students and ICC."""
        return {"blocks": self.blocks, "treated_share": self.treated_share, "r2_students": self.r2_students,
                "r2_schools": self.r2_schools, "covariates": self.covariates, "alpha": self.alpha,
                "power": self.power, "two_tailed": self.two_tailed, "base_rate": self.base_rate}


# field, label key, URL key, default, minimum, maximum, step, format, help key: two to a row (stacked on a phone)
NUMBERS = [
    ("schools", "pilot.power.schools", "escuelas", 60, 4, 100_000, 1, None, "pilot.power.schools_help"),
    ("target", "pilot.power.target", "mdes_objetivo", 0.25, 0.01, 5.0, 0.01, "%.2f", "pilot.power.target_help"),
    ("students", "pilot.power.students", "estudiantes", 20, 1, 10_000, 1, None, None),
    ("icc", "pilot.power.icc", "cci", 0.20, 0.0, 0.99, 0.01, "%.3f", "pilot.power.icc_help"),
    ("treated_share", "pilot.power.share", "proporcion", 0.50, 0.05, 0.95, 0.05, "%.2f", "pilot.power.share_help"),
    ("r2_students", "pilot.power.r2_students", "r2_est", 0.0, 0.0, 0.99, 0.05, "%.3f", "pilot.power.r2_help"),
    ("r2_schools", "pilot.power.r2_schools", "r2_esc", 0.0, 0.0, 0.99, 0.05, "%.3f", "pilot.power.r2_help"),
    ("covariates", "pilot.power.covariates", "covariables", 0, 0, 50, 1, None, "pilot.power.covariates_help"),
    ("blocks", "pilot.power.blocks", "bloques", 1, 1, 500, 1, None, "pilot.power.blocks_help"),
    ("alpha", "pilot.power.alpha", "alfa", 0.05, 0.001, 0.5, 0.01, "%.3f", None),
    ("power", "pilot.power.power", "potencia", 0.80, 0.5, 0.99, 0.05, "%.2f", None),
]
ADVANCED = 7  # NUMBERS from here on sit in the "more options" expander


def inputs() -> Design:
    """The URL-bound inputs. Both the schools and the target stay on the page (and in the link); the one the
    mode does not use is greyed out."""
    mode = choice(t("pilot.power.mode"), {"mdes": t("pilot.power.mode_mdes"), "schools": t("pilot.power.mode_schools")},
                  key="modo", default="mdes", radio=True)
    values: dict = {}

    def grid(where, specs: list[tuple]) -> None:
        for i, (field, label, key, default, lo, hi, step, fmt_, help_key) in enumerate(specs):
            if i % 2 == 0:
                row = where.columns(2)
            unused = (field == "schools" and mode != "mdes") or (field == "target" and mode == "mdes")
            values[field] = amount(row[i % 2], label, key, default, lo, hi, step, fmt_, help_key, disabled=unused)

    grid(st, NUMBERS[:ADVANCED])
    more = st.expander(t("pilot.power.more"))  # covariates, blocks, α, power and tails: defaults suit most pilots
    grid(more, NUMBERS[ADVANCED:])
    one_tailed = more.checkbox(t("pilot.power.one_tailed"), key="una_cola", bind="query-params",
                               help=t("pilot.power.one_tailed_help"))
    binary = st.checkbox(t("pilot.power.binary"), key="binario", bind="query-params", help=t("pilot.power.binary_help"))
    base_rate = amount(st, "pilot.power.base_rate", "tasa_base", 10.0, 0.1, 99.9, 0.5, "%.1f") / 100 if binary else None
    decimals_caption(values, base_rate)
    blocks = int(values.pop("blocks"))
    return Design(mode=mode, **{f: int(v) if f in ("schools", "covariates") else float(v) for f, v in values.items()},
                  two_tailed=not one_tailed, blocks=blocks if blocks > 1 else None, base_rate=base_rate)


def decimals_caption(values: dict, base_rate: float | None) -> None:
    """The decimal inputs once more in the page's number format (docs/STACK_NOTES.md: a number_input has no
    locale, so in Spanish its box shows 0.200 beside results written 0,200); nothing where the two agree."""
    if number(0.5, 1) == "0.5":
        return
    shown = [t(label) + " " + number(values[field], int(fmt_[2]))
             for field, label, _, _, _, _, _, fmt_, _ in NUMBERS if fmt_ and field in values]
    if base_rate is not None:
        shown.append(t("pilot.power.base_rate") + " " + number(100 * base_rate, 1))
    st.caption(t("pilot.power.decimals", values=" · ".join(shown)))


def solve(d: Design) -> PowerResult:
    """The MDES for the schools, or the smallest number of schools for the target (ValueError with why)."""
    if d.mode == "mdes":
        return power.mdes(d.schools, d.students, d.icc, **d.options())
    options = d.options()
    blocks = options.pop("blocks")
    return power.schools_for_mdes(d.target, d.students, d.icc, blocks=blocks, **options)


def effect_text(r: PowerResult) -> str:
    """'0,22 DE' or, for a binary outcome, '0,22 DE (2,1 puntos porcentuales con una tasa base de 10 %)'."""
    text = t("pilot.power.effect", mdes=number(r.mdes, 2))
    if r.mdes_points is not None:
        text += " " + t("pilot.power.effect_points", points=number(r.mdes_points, 1),
                        rate=number(100 * r.base_rate, 1))
    return text


def sentence(d: Design, r: PowerResult) -> str:
    """The result in words, as a ministry planner would say it."""
    treated = number(r.schools * d.treated_share)
    if d.mode == "mdes":
        return t("pilot.power.sentence_mdes", schools=number(r.schools), treated=treated, effect=effect_text(r),
                 power=number(100 * d.power))
    return t("pilot.power.sentence_schools", target=number(d.target, 2), power=number(100 * d.power),
             schools=number(r.schools), treated=treated, effect=effect_text(r))


def metrics(r: PowerResult) -> list[tuple[str, str]]:
    """The numbers behind the sentence: MDES, degrees of freedom, multiplier, standard error."""
    return [(t("pilot.power.m_mdes"), number(r.mdes, 3)), (t("pilot.power.m_df"), number(r.df)),
            (t("pilot.power.m_multiplier"), number(r.multiplier, 3)),
            (t("pilot.power.m_se"), number(r.standard_error, 4))]


def curve_chart(d: Design, r: PowerResult) -> Chart:
    """MDES against the total number of schools, the chosen design marked (and the target, when solving)."""
    low = max((2 * d.blocks if d.blocks else 2) + d.covariates + 1, r.schools // 4)  # tiny designs dwarf the rest
    high = max(2 * r.schools, low + 40)
    step = max(1, (high - low) // 150)
    options = d.options()
    curve = power.power_curve(range(low, high + 1, step), d.students, d.icc, **options)
    fig = go.Figure(go.Scatter(x=curve["schools"], y=curve["mdes"], mode="lines", name=t("pilot.chart.curve"),
                               line={"color": CURVE_COLOR, "width": 3},
                               hovertemplate="%{x}: %{y:.3f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=[r.schools], y=[r.mdes], mode="markers", name=t("pilot.chart.chosen"),
                             marker={"color": POINT_COLOR, "size": 14, "symbol": "diamond"},
                             hovertemplate="%{x}: %{y:.3f}<extra></extra>"))
    if d.mode == "schools":
        fig.add_hline(y=d.target, line={"color": "#444444", "dash": "dash", "width": 1})
    fig.update_layout(xaxis={"title": {"text": t("pilot.col.schools")}, "rangemode": "tozero"},
                      yaxis={"title": {"text": t("pilot.chart.mdes_axis")}, "rangemode": "tozero"})
    figures.style(fig, lang(), height=380)
    first, last = curve.iloc[0], curve.iloc[-1]
    summary = t("pilot.chart.curve_summary", mdes_first=number(first["mdes"], 2), first=number(first["schools"]),
                mdes_last=number(last["mdes"], 2), last=number(last["schools"]), schools=number(r.schools),
                mdes=number(r.mdes, 2))
    table = curve[["schools", "df", "multiplier", "standard_error", "mdes"]].copy()
    if d.base_rate is not None:
        table["mdes_points"] = curve["mdes_points"]
    names = {"schools": t("pilot.col.schools"), "df": t("pilot.power.m_df"),
             "multiplier": t("pilot.power.m_multiplier"), "standard_error": t("pilot.power.m_se"),
             "mdes": t("pilot.power.m_mdes"), "mdes_points": t("pilot.power.m_points")}
    table = table.astype({"mdes": float, "standard_error": float, "multiplier": float}).round(4)
    return Chart(fig, alt=t("pilot.chart.curve_alt"), summary=summary, table=table.rename(columns=names))


# --- ICC and R² observed in the database ------------------------------------------------------------------

def observed_options() -> dict[str, str]:
    """Student-level scores and indices with observations: code -> name in the session's language."""
    frame = indicators()
    keep = frame[frame["student_level"].fillna(False).astype(bool) & frame["kind"].isin(["score", "index"])]
    return {code: fmt.indicator_label(code, frame) for code in keep["code"]}


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def _observed(signature: tuple[int, int] | None, indicator: str, country: str) -> tuple[pd.DataFrame, dict, dict]:
    """Every ICC of the database, the design values a plan may use (from before any treatment) and, per cell
    (country, year, wave) with untreated rows, which of `frame.BASES` they are (the first that applies)."""
    with cursor() as cur:
        every = pilot_frame.observed_icc(cur, indicator)
        seen = pilot_frame.observed_values(cur, indicator, country)
        bases = pilot_frame.BASES if pilot_frame.has_assignments(cur) else pilot_frame.BASES[:1]
        before: dict = {}
        for basis in bases:
            for r in pilot_frame.observed_icc(cur, indicator, basis).itertuples():
                before.setdefault((r.country, r.year, r.wave), basis)
    return every, seen, before


def _period(year: object, wave: object) -> str:
    """'2026 (línea de base)': a year and its wave in words (analysis/import_text.py WORDS)."""
    if wave:
        wave = t(f"wave.{wave}") if has(f"wave.{wave}") else fmt.md(wave)
    return f"{int(year)}" + (f" ({wave})" if wave else "")


def observed(indicator: str, country: str) -> dict:
    """The ICC and pre/post R² of ``indicator`` a plan may use — from data before any treatment only, the
    frame's country first — with their source in words; the default ICC, said plainly, when there is none."""
    every, seen, before = _observed(_signature(), indicator, country)
    label = fmt.md(observed_options().get(indicator, indicator))  # shown with st.markdown
    out = {"table": every, "before": before}
    if "icc_from" not in seen:
        domain = INDICATOR_BY_CODE[indicator].domain if indicator in INDICATOR_BY_CODE else None
        out["icc"] = pilot_plan.DEFAULT_ICC.get(domain, pilot_plan.DEFAULT_ICC_OTHER)
        out["icc_text"] = t("pilot.observed.default", icc=number(out["icc"], 2), indicator=label)
    else:
        cell = seen["icc_from"]
        out["icc"] = max(0.0, round(cell["icc"], 3))
        out["icc_text"] = t("pilot.observed.icc", icc=number(cell["icc"], 3), indicator=label,
                            country=fmt.md(fmt.country(cell["country"])), students=number(cell["students"]),
                            schools=number(cell["schools"]), period=_period(cell["year"], cell["wave"]),
                            basis=pilot_plan.basis_text(cell["basis"], current_language()))
    if "r2_from" in seen:
        cell = seen["r2_from"]
        out.update(r2_students=round(seen["r2_students"], 3), r2_schools=round(seen["r2_schools"], 3))
        out["r2_text"] = t("pilot.observed.r2", r2_students=number(out["r2_students"], 3),
                           r2_schools=number(out["r2_schools"], 3), indicator=label,
                           country=fmt.md(fmt.country(cell["country"])), students=number(cell["students"]),
                           schools=number(cell["schools"]), pre=_period(*cell["pre"].partition(" ")[::2]),
                           post=_period(*cell["post"].partition(" ")[::2]))
    return out


def use_observed(values: dict) -> None:
    """Button callback: put the observed ICC and R² into the inputs (and so into the URL)."""
    for field, key in URL_KEYS.items():
        if field in values:
            st.session_state[key] = values[field]


def observed_table(frame: pd.DataFrame, before: dict) -> pd.DataFrame:
    """Every observed ICC (country, year, wave, schools, students, whether measured before any treatment: yes,
    no, or only in the comparison schools), headers in words."""
    out = frame[["country", "year", "wave", "icc", "schools", "students", "mean_students_per_school"]].copy()
    words = {"baseline": t("yes"), "before_start": t("yes"), "comparison": t("pilot.observed.comparison_only")}
    out["pretreatment"] = [words[before[cell]] if cell in before else t("no")
                           for cell in zip(frame["country"], frame["year"], frame["wave"], strict=True)]
    out["country"] = out["country"].map(fmt.country)
    out["year"] = out["year"].astype(str)
    out["wave"] = [t(f"wave.{w}") if w and has(f"wave.{w}") else w or "—" for w in out["wave"]]
    out["icc"] = out["icc"].astype(float).round(3)
    out["mean_students_per_school"] = out["mean_students_per_school"].astype(float).round(1)
    return out.rename(columns=lambda c: t(f"pilot.obs_col.{c}"))


def observed_box(country: str) -> None:
    """The ICC and R² observed in the database for a chosen indicator, their source, and one click to use them."""
    options = observed_options()
    if not options:
        return
    with st.container(border=True):
        code = choice(t("pilot.observed.indicator"), options, key="indicador_obs",
                      default="score_math" if "score_math" in options else next(iter(options)))
        seen = observed(code, country)
        st.markdown(seen["icc_text"])
        if "r2_text" in seen:
            st.markdown(seen["r2_text"])
        st.button(t("pilot.observed.use"), on_click=use_observed, args=(seen,), icon=":material/input:",
                  key="pilot-use-observed")
        if not seen["table"].empty:
            with st.expander(t("pilot.observed.all")):
                table(observed_table(seen["table"], seen["before"]))


def power_step(eligible: int | None) -> tuple[Design, PowerResult | None]:
    """Step 2 drawn: the inputs, the result in words and numbers, and the power curve."""
    design = inputs()
    try:
        result = solve(design)
    except ValueError as exc:
        st.warning(t("pilot.power.error", reason=str(exc)), icon=":material/warning:")
        return design, None
    st.success(sentence(design, result), icon=":material/target:")
    for cell, (label, value) in zip(st.columns(4), metrics(result), strict=True):
        cell.metric(label, value)
    if result.mdes_points is not None:
        st.caption(t("pilot.power.points_note"))
    if eligible is not None and result.schools > eligible:
        st.warning(t("pilot.power.frame_too_small", schools=number(result.schools), eligible=number(eligible)),
                   icon=":material/warning:")
    show(curve_chart(design, result), key="pilot-curve")
    return design, result
