"""Plotly figures of the Implementación page: pure functions of tidy frames and translated ``texts``.

Colours are Okabe–Ito (colour-blind safe, analysis/figures.py): labs planned in grey, installed in sky blue,
operating in bluish green; programmes keep their fixed colours in the time and dose charts. Every figure
uses the shared style (decimal comma in Spanish, legend on top), so it reads at 390 px.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.figures import color_map, style

STATUS_COLORS = {"planned": "#BBBBBB", "installed": "#56B4E9", "operating": "#009E73"}


def _row_label(frame: pd.DataFrame, texts: Mapping[str, str]) -> list[str]:
    many = frame["program"].nunique() > 1
    labels = []
    for program, territory in zip(frame["program"], frame["territory"], strict=True):
        place = texts.get("all_territories", "") if territory in (None, "all") or pd.isna(territory) else territory
        labels.append(f"{place} · {program}" if many and place else (place or program))
    return labels


def lab_status(frame: pd.DataFrame, texts: Mapping[str, str], lang: str) -> go.Figure:
    """Horizontal bars per territory (and programme): labs planned, installed and operating."""
    labels = _row_label(frame, texts)
    fig = go.Figure()
    for column in ("planned", "installed", "operating"):
        fig.add_trace(go.Bar(
            y=labels, x=frame[column], orientation="h", name=texts[column],
            marker={"color": STATUS_COLORS[column], "line": {"color": "#555555", "width": 0.5}},
            hovertemplate="%{y}<br>" + texts[column] + ": %{x}<extra></extra>"))
    fig.update_layout(barmode="group", yaxis={"autorange": "reversed", "automargin": True},
                      xaxis={"title": {"text": texts["x_labs"]}, "rangemode": "tozero"})
    return style(fig, lang, height=max(260, 70 + 42 * len(labels)))


#: Month steps a date axis may take, the smallest that keeps it to MAX_MONTH_TICKS labels (a phone's width).
MONTH_STEPS = (1, 2, 3, 6, 12, 24)
MAX_MONTH_TICKS = 6


def month_ticks(months: pd.Series, names: Sequence[str], pattern: str = "{month} {year}") -> tuple[list, list[str]]:
    """(tick values, tick texts) of a monthly axis, in the reader's month names: plotly's build bundled with
    Streamlit only knows English dates ('Jan 2022'), so the axis is given its ticks. Ticks fall on months
    aligned to January (every 1, 2, 3, 6, 12 or 24 months), as few steps as keep them to MAX_MONTH_TICKS."""
    stamps = pd.to_datetime(pd.Series(months)).dropna()
    if stamps.empty:
        return [], []
    first, last = stamps.min().to_period("M"), stamps.max().to_period("M")
    span = (last - first).n + 1
    step = next((s for s in MONTH_STEPS if math.ceil(span / s) <= MAX_MONTH_TICKS),
                12 * math.ceil(span / (12 * MAX_MONTH_TICKS)))  # beyond: whole years
    periods = [p for p in pd.period_range(first, last, freq="M") if ((p.year * 12 + p.month - 1) % step) == 0]
    if not periods:  # a short span between two aligned months: its first month
        periods = [first]
    values = [p.to_timestamp() for p in periods]
    texts = [str(p.year) if step >= 12 else pattern.format(month=names[p.month - 1], year=p.year) for p in periods]
    return values, texts


def over_time(frame: pd.DataFrame, texts: Mapping[str, str], lang: str) -> go.Figure:
    """Share of the planned labs with a use record (``logged``) operating, month by month, one line per programme
    (and country). The month axis
    and hover read in ``texts["month_names"]`` (twelve words, space-separated) and ``texts["month"]``."""
    fig = go.Figure()
    colors = color_map(frame["program"].unique())
    names = texts.get("month_names", "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec").split()
    pattern = texts.get("month", "{month} {year}")
    for (program, country), part in frame.groupby(["program", "country"], sort=False):
        name = f"{program} ({texts.get(country, country)})" if frame["country"].nunique() > 1 else program
        stamps = pd.to_datetime(part["month"])
        shown = [pattern.format(month=names[m.month - 1], year=m.year) for m in stamps]
        fig.add_trace(go.Scatter(
            x=part["month"], y=100 * part["share_operating"], mode="lines+markers", name=name,
            line={"color": colors[program]},
            customdata=np.column_stack([part["labs_operating"], part.get("logged", part["planned"]), shown]),
            hovertemplate="%{customdata[2]}<br>%{y:.0f} % (%{customdata[0]} / %{customdata[1]})<extra>"
                          + name + "</extra>"))
    tickvals, ticktext = month_ticks(frame["month"], names, pattern)
    fig.update_layout(yaxis={"title": {"text": texts["y_share"]}, "range": [0, 105]},
                      xaxis={"title": {"text": texts["x_month"]}, "tickmode": "array", "tickvals": tickvals,
                             "ticktext": ticktext})
    return style(fig, lang, height=340)


def training(frame: pd.DataFrame, texts: Mapping[str, str], lang: str) -> go.Figure:
    """Share of trained teachers with at least N hours, per territory (and programme). A bar that would be empty
    says why on the chart: ``bar_text`` (no training records; records but 0 %), drawn beside the axis."""
    labels = _row_label(frame, texts)
    colors = color_map(frame["program"].unique())
    notes = frame["bar_text"].fillna("").tolist() if "bar_text" in frame else [""] * len(frame)
    fig = go.Figure(go.Bar(
        y=labels, x=(100 * frame["share_min_hours"]).fillna(0.0), orientation="h",
        marker={"color": [colors[p] for p in frame["program"]]},
        text=notes, textposition="outside", cliponaxis=False, textfont={"color": "#333333"},
        customdata=np.column_stack([frame["teachers_min_hours"], frame["teachers"]]),
        hovertemplate="%{y}<br>%{x:.0f} % (%{customdata[0]} / %{customdata[1]})<extra></extra>"))
    fig.update_layout(yaxis={"autorange": "reversed", "automargin": True},
                      xaxis={"title": {"text": texts["x_share"]}, "range": [0, 100]}, showlegend=False)
    return style(fig, lang, height=max(240, 70 + 30 * len(labels)))


def dose_scatter(schools: pd.DataFrame, curve: pd.DataFrame, program: str, texts: Mapping[str, str],
                 lang: str) -> go.Figure:
    """One point per school (dose, change), the fitted line and its interval band."""
    color = color_map([program])[program]
    fig = go.Figure()
    if not curve.empty:
        fig.add_trace(go.Scatter(
            x=np.concatenate([curve["dose"], curve["dose"][::-1]]),
            y=np.concatenate([curve["ci_high"], curve["ci_low"][::-1]]), fill="toself", mode="lines",
            line={"width": 0}, fillcolor="rgba(120,120,120,0.25)", name=texts["band"], hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=curve["dose"], y=curve["fit"], mode="lines", name=texts["fit"],
                                 line={"color": "#000000", "width": 2}, hoverinfo="skip"))
    fig.add_trace(go.Scatter(
        x=schools["dose"], y=schools["change"], mode="markers", name=texts["schools"],
        marker={"color": color, "size": 9, "line": {"color": "#333333", "width": 0.5}},
        hovertext=schools.get("label", schools.get("name")),
        hovertemplate="%{hovertext}<br>" + texts["x_dose"] + ": %{x:.1f}<br>" + texts["y_change"]
                      + ": %{y:.1f}<extra></extra>"))
    fig.add_hline(y=0, line={"color": "#777777", "width": 1, "dash": "dot"})
    fig.update_layout(xaxis={"title": {"text": texts["x_dose"]}}, yaxis={"title": {"text": texts["y_change"]}})
    return style(fig, lang, height=380)


def dose_groups(groups: pd.DataFrame, program: str, texts: Mapping[str, str], lang: str) -> go.Figure:
    """Mean change per dose group with its interval (filled mark: interval exists; none otherwise)."""
    color = color_map([program])[program]
    labels = list(groups["label"])
    error = {"type": "data", "symmetric": False, "array": groups["ci_high"] - groups["mean_change"],
             "arrayminus": groups["mean_change"] - groups["ci_low"], "color": color}
    fig = go.Figure(go.Scatter(
        x=groups["mean_change"], y=labels, mode="markers", error_x=error,
        marker={"color": color, "size": 12}, hovertemplate="%{y}<br>%{x:.1f}<extra></extra>"))
    fig.add_vline(x=0, line={"color": "#777777", "width": 1, "dash": "dot"})
    fig.update_layout(yaxis={"autorange": "reversed", "automargin": True},
                      xaxis={"title": {"text": texts["x_groups"]}}, showlegend=False)
    return style(fig, lang, height=max(220, 80 + 50 * len(labels)))
