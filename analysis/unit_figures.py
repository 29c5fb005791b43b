"""Plotly figures of territories and schools: ranked territories and the territory map (Regiones), the
schools' caterpillar and one school's series (Escuelas), and the coverage heatmap (Datos).

Pure functions of tidy frames, no Streamlit, with the colours, marks and style of :mod:`analysis.figures`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.colors as pcolors
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analysis.figures import (
    MARK_LOW,
    PROGRAMME_COLORS,
    SCHOOL_COLOR,
    color_map,
    finite,
    has_low,
    legend_marks,
    panels_title,
    reliability_symbols,
    style,
    text_rows,
)
from analysis.periods import programme_order

# --- Regiones ---------------------------------------------------------------------------------------------

PANEL_MIN_PX = 150  # a one-row panel: its title (38 px), the row (60 px), the axis and its title (52 px)

def ranked(data: pd.DataFrame, texts: Mapping[str, str], lang: str) -> go.Figure:
    """Territories ranked by their effect with intervals, one panel per programme.

    ``data``: program, label, effect, low, high, reliability and optional hover. Within a panel rows
    are sorted by effect (largest on top), suppressed rows last. Panels have their own territories
    (countries differ) but share the effect axis. ``texts``: x_title, suppressed, no_estimate, low.
    """
    programmes = programme_order(data["program"])
    colors = color_map(programmes)
    n_rows = max((int((data["program"] == p).sum()) for p in programmes), default=1)
    fig = make_subplots(rows=1, cols=max(len(programmes), 1), subplot_titles=programmes, horizontal_spacing=0.22)
    for i, prog in enumerate(programmes, start=1):
        part = data[data["program"] == prog].copy()
        part["_key"] = pd.to_numeric(part["effect"], errors="coerce")
        part = part.sort_values("_key", ascending=True, na_position="first")
        shown = part[(part["reliability"] != "suppressed") & part["_key"].notna()]
        effect = finite(shown["effect"])
        fig.add_trace(go.Scatter(
            x=effect, y=shown["label"], mode="markers", name=prog, legendgroup=prog,
            marker={"color": colors[prog], "size": 11, "symbol": reliability_symbols(shown["reliability"]),
                    "line": {"width": 2, "color": colors[prog]}},
            error_x={"type": "data", "symmetric": False, "array": finite(shown["high"]) - effect,
                     "arrayminus": effect - finite(shown["low"]), "color": colors[prog], "width": 5},
            customdata=np.asarray(shown["hover"] if "hover" in shown else shown["label"], dtype=object),
            hovertemplate="%{customdata}<extra></extra>",
        ), row=1, col=i)
        text_rows(fig, part, "label", texts, i)
        fig.update_yaxes(categoryorder="array", categoryarray=list(part["label"]), row=1, col=i, automargin=True)
        fig.add_vline(x=0, line={"color": "#444444", "width": 1}, row=1, col=i)
    if has_low(data):
        legend_marks(fig, texts, 1, 1)
    fig.update_xaxes(matches="x", zeroline=False)
    height = max(300, 110 + 28 * n_rows)
    # drawn one per panel on a screen (analysis.panels.split): each panel as tall as its own rows, at the same
    # 28 px a row, so one department beside eleven takes one row's room, not eleven's
    rows = [int((data["program"] == p).sum()) for p in programmes]
    fig.update_layout(meta={"panel_heights": [max(PANEL_MIN_PX, height - 28 * (n_rows - n)) for n in rows]})
    return panels_title(style(fig, lang, height=height), texts.get("x_title", ""))


def _shape_centre(geometry: dict) -> tuple[float, float] | None:
    """Centre of a geometry's bounding box (where a territory's mark is drawn)."""
    coords = np.asarray(list(_positions(geometry.get("coordinates"))), dtype=float)
    if coords.size == 0:
        return None
    return float((coords[:, 0].min() + coords[:, 0].max()) / 2), float((coords[:, 1].min() + coords[:, 1].max()) / 2)


def _positions(value):
    if isinstance(value, list) and value and isinstance(value[0], int | float):
        yield value[:2]
    elif isinstance(value, list):
        for item in value:
            yield from _positions(item)


def _outlines(geometry: dict) -> tuple[list, list]:
    """Exterior rings of a (Multi)Polygon as x, y lists with None between rings (holes are not cut)."""
    kind = geometry.get("type")
    coords = geometry.get("coordinates") or []
    polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
    if kind == "GeometryCollection":
        xs, ys = [], []
        for part in geometry.get("geometries", []):
            px, py = _outlines(part)
            xs += px
            ys += py
        return xs, ys
    xs, ys = [], []
    for polygon in polygons:
        if polygon:
            ring = polygon[0]
            xs += [p[0] for p in ring] + [None]
            ys += [p[1] for p in ring] + [None]
    return xs, ys


DIVERGING = "PuOr"  # purple–orange (ColorBrewer), colour-blind safe; reversed so negative is purple
SEQUENTIAL = "cividis"  # shares and counts: perceptually uniform and colour-blind safe (Nuñez et al. 2018)


def territory_map(shapes: pd.DataFrame, values: pd.DataFrame, texts: Mapping[str, str],
                  lang: str, value_range: tuple[float, float] | None = None) -> go.Figure | None:
    """Choropleth of effects on imported boundaries, one panel per country; None when nothing matches.

    Drawn as filled polygons on plain longitude/latitude axes (aspect corrected by cos(latitude)),
    not as a plotly ``geo`` map: a geo map fetches its base layer from a CDN before it draws anything,
    so it stays blank offline — where ministries and this project's CI run. ``shapes``: location
    (e.g. 'CO-76001'), country, name, geojson (a GeoJSON Feature) — the territories with results and
    their neighbours, drawn grey for orientation; ``values``: location, country, effect, reliability,
    hover. One diverging, colour-blind-safe scale (purple negative, orange positive) centred on zero
    and shared by the panels, so equal colours mean equal effects in both countries. Territories
    without an estimate stay grey; low-reliability ones carry an open circle; rows flagged ``several`` (a
    territory with more than one result: programmes, start-year cohorts) are grey with a dark outline and
    a hover naming every result, never the colour of one of them. ``texts``: colorbar,
    no_result, low, and a panel title per country code. ``value_range`` (low, high) draws a share or a
    count instead: a sequential colour-blind-safe scale (cividis) from low to high, not centred on zero.
    """
    geometries: dict[str, dict] = {}
    for row in shapes.itertuples(index=False):
        try:
            shape = json.loads(row.geojson)
        except (TypeError, ValueError):
            continue
        if isinstance(shape, dict):
            geometries[row.location] = shape.get("geometry") if shape.get("type") == "Feature" else shape
    data = values[values["location"].isin(geometries.keys())].copy()
    several_rows = data["several"].fillna(False).astype(bool) if "several" in data else pd.Series(False, data.index)
    several, data = data[several_rows], data[~several_rows]
    data = data[np.isfinite(finite(data["effect"]))]
    if data.empty and several.empty:
        return None
    present = set(data["country"]) | set(several["country"])
    countries = [c for c in ("CO", "GT") if c in present] + sorted(present - {"CO", "GT"})
    if value_range is None:
        bound = float(np.nanmax(np.abs(finite(data["effect"])))) if len(data) else 1.0
        bound = bound or 1.0
        low_end, high_end = -bound, bound
        scale = [[1 - x, c] for x, c in reversed(pcolors.get_colorscale(DIVERGING))]  # negative -> purple
    else:
        low_end, high_end = value_range
        scale = pcolors.get_colorscale(SEQUENTIAL)
    fig = make_subplots(rows=1, cols=len(countries), subplot_titles=[texts.get(c, c) for c in countries],
                        horizontal_spacing=0.03)
    low_legend = False
    for i, country in enumerate(countries, start=1):
        part = data[data["country"] == country]
        mixed = several[several["country"] == country].drop_duplicates("location")
        grey = shapes[(shapes["country"] == country) & shapes["location"].isin(geometries.keys())
                      & ~shapes["location"].isin(set(part["location"]) | set(mixed["location"]))]
        xs, ys = [], []
        for loc in grey["location"]:
            gx, gy = _outlines(geometries[loc] or {})
            xs += gx
            ys += gy
        if xs:
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor="#d9d9d9",
                                     line={"color": "#ffffff", "width": 0.6}, hoverinfo="skip", showlegend=False,
                                     name=texts.get("no_result", "")), row=1, col=i)
        for row in part.itertuples(index=False):
            tx, ty = _outlines(geometries[row.location] or {})
            where = (float(row.effect) - low_end) / ((high_end - low_end) or 1.0)
            colour = pcolors.sample_colorscale(scale, [min(max(where, 0.0), 1.0)])[0]
            hover = getattr(row, "hover", None) or row.location
            fig.add_trace(go.Scatter(x=tx, y=ty, mode="lines", fill="toself", fillcolor=colour,
                                     line={"color": "#ffffff", "width": 0.6}, hoveron="fills", text=hover,
                                     hoverinfo="text", showlegend=False, meta={"location": row.location},
                                     name=row.location), row=1, col=i)
        for row in mixed.itertuples(index=False):  # several results (programmes, cohorts): no one colour
            tx, ty = _outlines(geometries[row.location] or {})
            fig.add_trace(go.Scatter(x=tx, y=ty, mode="lines", fill="toself", fillcolor="#d9d9d9",
                                     line={"color": "#555555", "width": 0.8}, hoveron="fills",
                                     text=getattr(row, "hover", None) or row.location, hoverinfo="text",
                                     showlegend=False, meta={"location": row.location, "several": True},
                                     name=row.location), row=1, col=i)
        low = part[part["reliability"] == "low"] if "reliability" in part else part.iloc[:0]
        centres = [c for c in (_shape_centre(geometries[loc] or {}) for loc in low["location"]) if c]
        if centres:
            fig.add_trace(go.Scatter(x=[c[0] for c in centres], y=[c[1] for c in centres], mode="markers",
                                     marker={"symbol": MARK_LOW, "size": 9, "color": "#000000"},
                                     name=texts.get("low", "low"), hoverinfo="skip", showlegend=not low_legend),
                          row=1, col=i)
            low_legend = True
        lat = float(np.nanmean([c[1] for c in filter(None, (_shape_centre(geometries[loc] or {})
                                                             for loc in [*part["location"], *mixed["location"]]))]
                               or [0.0]))
        suffix = "" if i == 1 else str(i)
        fig.update_yaxes(scaleanchor=f"x{suffix}", scaleratio=1 / max(np.cos(np.radians(lat)), 0.2), row=1, col=i)
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", hoverinfo="skip", showlegend=False,
                             marker={"color": [low_end, high_end], "colorscale": scale, "cmin": low_end,
                                     "cmax": high_end,
                                     "showscale": True,
                                     # under the maps, not beside them: on a phone a vertical bar took half
                                     # the width and shrank both countries to thumbnails
                                     "colorbar": {"title": {"text": texts.get("colorbar", ""), "side": "top"},
                                                  "orientation": "h", "x": 0.5, "xanchor": "center", "y": -0.02,
                                                  "yanchor": "top", "len": 0.9, "thickness": 12}}))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return style(fig, lang, height=560)


# --- Escuelas ----------------------------------------------------------------------------------------------

def _school_mark(reliability: pd.Series | None, significant: bool) -> list[str] | str:
    """Diamond for q < 0.05, circle otherwise; filled only where reliability is adequate (one meaning for filled
    and open marks on every chart)."""
    shape = "diamond" if significant else "circle"
    if reliability is None:
        return f"{shape}-open"
    return [shape if r == "ok" else f"{shape}-open" for r in reliability]


def caterpillar(data: pd.DataFrame, texts: Mapping[str, str], lang: str,
                reference: Mapping[str, float] | None = None) -> go.Figure:
    """School effects sorted within each programme with intervals (a caterpillar plot).

    ``data``: program, unit_id, effect, low, high, q_value, reliability, optional hover. Marks keep the meaning
    they have on every chart (filled: adequate reliability; open: low reliability, as every single school is);
    the shape says the q-value: a diamond when q < 0.05 (Benjamini–Hochberg over all schools shown), a circle
    otherwise. ``reference``
    maps a programme to a horizontal dashed line (e.g. the comparison schools' average change in the
    same country, the change a school would show without the programme). Suppressed schools are left
    out by the caller. The panels share the effect axis. ``texts``: y_title, x_title, significant,
    not_significant, reference.
    """
    programmes = [p for p in programme_order(data["program"]) if p != "comparison"] or ["comparison"]
    colors = color_map(data["program"])
    fig = make_subplots(rows=1, cols=max(len(programmes), 1), subplot_titles=programmes, horizontal_spacing=0.06)
    legend_done: set[str] = set()
    for i, prog in enumerate(programmes, start=1):
        part = data[data["program"] == prog].copy()
        part["_e"] = pd.to_numeric(part["effect"], errors="coerce")
        part = part.dropna(subset=["_e"]).sort_values("_e").reset_index(drop=True)
        part["rank"] = np.arange(1, len(part) + 1)
        for significant in (True, False):
            q = pd.to_numeric(part["q_value"], errors="coerce")
            rows = part[(q < 0.05) == significant]
            if rows.empty:
                continue
            effect = finite(rows["effect"])
            label = texts.get("significant" if significant else "not_significant", "")
            trace_cls = go.Scattergl if len(part) > 2000 else go.Scatter
            fig.add_trace(trace_cls(
                x=rows["rank"], y=effect, mode="markers", name=f"{prog} · {label}", legendgroup=f"{prog}{significant}",
                marker={"color": colors[prog], "size": 9 if significant else 7,
                        "symbol": _school_mark(rows.get("reliability"), significant),
                        "line": {"width": 1.5, "color": colors[prog]}},
                error_y={"type": "data", "symmetric": False, "array": finite(rows["high"]) - effect,
                         "arrayminus": effect - finite(rows["low"]), "color": colors[prog], "thickness": 1,
                         "width": 0},
                customdata=np.asarray(rows["hover"] if "hover" in rows else rows["unit_id"], dtype=object),
                hovertemplate="%{customdata}<extra></extra>",
            ), row=1, col=i)
        ref = (reference or {}).get(prog)
        if ref is not None and np.isfinite(ref):
            fig.add_hline(y=ref, line={"color": PROGRAMME_COLORS["comparison"], "dash": "dash", "width": 2},
                          row=1, col=i)
            if "ref" not in legend_done:
                fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=texts.get("reference", ""),
                                         line={"color": PROGRAMME_COLORS["comparison"], "dash": "dash"}),
                              row=1, col=i)
                legend_done.add("ref")
        fig.add_hline(y=0, line={"color": "#444444", "width": 1}, row=1, col=i)
    fig.update_xaxes(showticklabels=False)
    fig.update_xaxes(title_text=texts.get("x_title", ""), col=1)  # one title: side by side, titles overprint
    fig.update_yaxes(title_text=texts.get("y_title", ""), col=1)
    fig.update_yaxes(matches="y")  # one effect scale: the programmes' schools compared at a glance
    return style(fig, lang, height=460)


def school_series(series: pd.DataFrame, texts: Mapping[str, str], lang: str,
                  start_year: int | None = None) -> go.Figure:
    """One school's yearly rate beside its programme's and the comparison schools' averages.

    ``series``: year, series ('school' | programme | 'comparison'), value. The school is black and
    thick; a dotted vertical line marks the lab's start year. ``texts``: school, comparison, y_title,
    start.
    """
    colors = color_map(s for s in series["series"] if s != "school")
    fig = go.Figure()
    for name in [*programme_order(s for s in series["series"] if s != "school"), "school"]:
        rows = series[series["series"] == name].sort_values("year")
        if rows.empty:
            continue
        label = texts.get(name, name)
        color = SCHOOL_COLOR if name == "school" else colors[name]
        fig.add_trace(go.Scatter(x=rows["year"], y=rows["value"], mode="lines+markers", name=label,
                                 line={"color": color, "width": 3.5 if name == "school" else 2,
                                       "dash": "solid" if name != "comparison" else "dash"},
                                 hovertemplate=f"{label}<br>%{{x}}: %{{y:.2f}}<extra></extra>"))
    if start_year:
        fig.add_vline(x=start_year - 0.5, line={"color": "#444444", "dash": "dot"},
                      annotation_text=texts.get("start", ""), annotation_position="top")
    fig.update_xaxes(dtick=1)
    fig.update_yaxes(title_text=texts.get("y_title", ""))
    return style(fig, lang, height=380)


# --- Datos -------------------------------------------------------------------------------------------------

def coverage_heatmap(coverage: pd.DataFrame, texts: Mapping[str, str], lang: str) -> go.Figure:
    """Units with data per indicator and year, one panel per country (a colour-blind safe scale).

    ``coverage``: panel, indicator, year, units. ``texts``: colorbar.
    """
    panels = list(dict.fromkeys(coverage["panel"]))
    fig = make_subplots(rows=1, cols=max(len(panels), 1), subplot_titles=panels, horizontal_spacing=0.18)
    zmax = float(coverage["units"].max()) if len(coverage) else 1.0
    for i, panel in enumerate(panels, start=1):
        part = coverage[coverage["panel"] == panel]
        grid = part.pivot_table(index="indicator", columns="year", values="units", aggfunc="sum")
        fig.add_trace(go.Heatmap(
            z=grid.to_numpy(dtype=float), x=[str(c) for c in grid.columns], y=list(grid.index),
            colorscale="Cividis", zmin=0, zmax=zmax, showscale=i == 1,
            colorbar={"title": {"text": texts.get("colorbar", "")}},
            hovertemplate="%{y} · %{x}: %{z}<extra></extra>",
        ), row=1, col=i)
    fig.update_xaxes(type="category")
    n = coverage["indicator"].nunique() if len(coverage) else 1
    return style(fig, lang, height=max(300, 90 + 22 * n))
