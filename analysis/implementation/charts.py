"""Plotly figures of the Implementación page: pure functions of tidy frames and translated ``texts``.

Colours are Okabe–Ito (colour-blind safe, analysis/figures.py): labs planned in grey, installed in sky blue,
operating in bluish green; programmes keep their fixed colours in the time and dose charts. Every figure
uses the shared style (decimal comma in Spanish, legend on top), so it reads at 390 px.
"""

from __future__ import annotations

from collections.abc import Mapping

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


def over_time(frame: pd.DataFrame, texts: Mapping[str, str], lang: str) -> go.Figure:
    """Share of planned labs operating, month by month, one line per programme (and country)."""
    fig = go.Figure()
    colors = color_map(frame["program"].unique())
    for (program, country), part in frame.groupby(["program", "country"], sort=False):
        name = f"{program} ({texts.get(country, country)})" if frame["country"].nunique() > 1 else program
        fig.add_trace(go.Scatter(
            x=part["month"], y=100 * part["share_operating"], mode="lines+markers", name=name,
            line={"color": colors[program]},
            customdata=np.column_stack([part["labs_operating"], part["planned"]]),
            hovertemplate="%{x|%Y-%m}<br>%{y:.0f} % (%{customdata[0]} / %{customdata[1]})<extra>"
                          + name + "</extra>"))
    fig.update_layout(yaxis={"title": {"text": texts["y_share"]}, "range": [0, 105]},
                      xaxis={"title": {"text": texts["x_month"]}})
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
