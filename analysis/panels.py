"""Panels side by side as one figure each, so that a narrow screen can put them one under the other.

The builders of :mod:`analysis.figures` and :mod:`analysis.unit_figures` draw a chart with a panel per
country or programme as one plotly figure (``make_subplots``, 1 × N): the evidence brief prints it at a
fixed width. On a screen the panels of one figure stay side by side at any width, so a phone (390 px)
squeezes them into slivers. :func:`split` turns such a figure into one figure per panel, which the page
draws in columns (Streamlit stacks columns below 640 px); the builder stays the one place that decides
what a chart shows. What travels with the split:

- **one value scale**: axes the builder shares (``matches``) get one explicit range computed from every
  panel's data (points, interval ends and reference lines), so equal lengths still mean equal values
  when the panels sit side by side or one under the other;
- **one legend**: the legend of the whole chart is drawn once, under the first panel's plot (never
  over a title), holding every entry of every panel; the others have none. The first panel's figure
  grows by the legend's room (and a horizontal colour bar's), so side by side the plot areas stay
  level and, one under the other, no panel carries an empty band;
- **a key of its own for maps**: a chart with a horizontal colour bar (a map: analysis.unit_figures) has its
  colour bar and legend in a small figure of its own (:func:`key`), drawn under all the panels: under the
  first map it read as Colombia's key while every open circle was on Guatemala's map, and on a phone it
  fell between the two maps;
- **heights by rows**: a builder whose panels hold different numbers of rows names each panel's height
  (``layout.meta["panel_heights"]``, e.g. a territory chart with one department beside eleven), so a
  one-row panel does not take the room of eleven; the panels' tops stay level side by side;
- **titles**: each panel's title (the subplot title) becomes its figure's title, and every panel
  carries the axis titles, which the builder puts on the first panel only (side by side they would
  overprint; one under the other, a panel without them cannot be read).
"""

from __future__ import annotations

import base64
import copy
import re
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

#: The narrowest panel a legend and a title must fit: a 390-px phone's column less the page's padding.
NARROW_PX = 320
CHAR_PX = 7.2  # the average width of a 13-px Source Sans character, rounded up
LEGEND_ROW_PX = 30  # a legend row as plotly.js draws it (13-px text beside a 12-px mark), measured in Chromium
TITLE_LINE_PX = 22
COLORBAR_PX = 58  # a horizontal colour bar with its ticks and a gap
KEY_TITLE_PX = 30  # the colour bar's title above it
_AXIS = re.compile(r"^([xy])axis(\d*)$")
_TAGS = re.compile(r"<[^>]+>")


def count(fig: go.Figure) -> int:
    """How many panels (subplot x axes) a figure has; 1 for a plain figure."""
    return max(1, sum(1 for key in fig.to_plotly_json()["layout"] if re.fullmatch(r"xaxis\d*", key)))


def _text_px(text: str) -> float:
    return CHAR_PX * len(_TAGS.sub("", str(text)).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))


def legend_rows(names: list[str], width: float = NARROW_PX) -> int:
    """Rows a horizontal plotly legend of these entries takes at ``width`` px (greedy, as plotly.js wraps)."""
    rows, used = 1, 0.0
    for name in names:
        item = 40 + _text_px(name)  # symbol (30 px) and gaps, then the text
        if used and used + item > width:
            rows, used = rows + 1, 0.0
        used += item
    return rows


def wrap_title(text: str, width: float = NARROW_PX) -> str:
    """A title too long for ``width`` broken before its first " (" (a period) or after " · "."""
    if _text_px(text) * 15 / 13 <= width:
        return text
    for mark, repl in ((" (", "<br>("), (" · ", " ·<br>")):
        if mark in text:
            return text.replace(mark, repl, 1)
    return text


def wrap_axis_title(text: str, width: float = NARROW_PX * 0.68) -> str:
    """An axis title's lines too long for a narrow panel's plot area (its labels take the rest) broken
    before " (" (the unit); centred under the plot, a longer line runs off the figure's edge."""
    return "<br>".join(line.replace(" (", "<br>(", 1) if _text_px(line) > width else line
                       for line in text.split("<br>"))


def _numbers(values: Any) -> np.ndarray:
    if values is None:
        return np.array([], dtype=float)
    if isinstance(values, dict) and "bdata" in values:  # plotly's typed array: numbers as base64
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).astype(float).ravel()
    return pd.to_numeric(pd.Series(np.asarray(values, dtype=object).ravel()), errors="coerce").to_numpy(dtype=float)


def _extent(traces: list[dict], shapes: list[dict], letter: str, refs: set[str]) -> tuple[float, float] | None:
    """The smallest and largest value drawn on the axes ``refs`` (x or y, by ``letter``): points, interval
    ends, reference lines; None when nothing numeric is drawn there (a categorical axis)."""
    found = []
    for tr in traces:
        if tr.get(f"{letter}axis", letter) not in refs:
            continue
        v = _numbers(tr.get(letter))
        found.append(v)
        err = tr.get(f"error_{letter}") or {}
        if err.get("array") is not None and len(v):
            plus = _numbers(err.get("array"))
            minus = _numbers(err.get("arrayminus")) if err.get("arrayminus") is not None else plus
            if len(plus) == len(v):
                found.append(v + plus)
            if len(minus) == len(v):
                found.append(v - minus)
    for shape in shapes:
        if shape.get(f"{letter}ref") in refs:
            found.append(_numbers([shape.get(f"{letter}0"), shape.get(f"{letter}1")]))
    values = np.concatenate(found) if found else np.array([])
    values = values[np.isfinite(values)]
    if not len(values):
        return None
    low, high = float(values.min()), float(values.max())
    pad = 0.06 * (high - low) if high > low else max(abs(low) * 0.1, 0.5)
    return low - pad, high + pad


def _legend_entries(traces: list[dict]) -> list[dict]:
    """The traces that show a legend entry, one per entry (as plotly.js draws them)."""
    out, seen = [], set()
    for tr in traces:
        shows = tr.get("showlegend")
        if shows is False or (shows is None and tr.get("type", "scatter") not in ("scatter", "scattergl")):
            continue
        key = (tr.get("legendgroup"), tr.get("name"))
        if key in seen:
            continue
        seen.add(key)
        out.append(tr)
    return out


def _proxy(tr: dict) -> dict:
    """A legend-only copy of a trace of another panel: same name, colour, symbol and line, no data."""
    marker = {k: v for k, v in (tr.get("marker") or {}).items() if k in ("color", "size", "line", "opacity")}
    symbol = (tr.get("marker") or {}).get("symbol")
    if symbol is not None:
        marker["symbol"] = symbol if isinstance(symbol, str) else next(iter(symbol), "circle")
    if not isinstance(marker.get("color", ""), str):
        marker.pop("color")
    out = {"type": "scatter", "x": [None], "y": [None], "name": tr.get("name"), "mode": tr.get("mode", "markers"),
           "legendgroup": tr.get("legendgroup"), "showlegend": True, "hoverinfo": "skip", "marker": marker}
    for key in ("line", "opacity"):
        if tr.get(key) is not None:
            out[key] = tr[key]
    return out


def _suffixes(layout: dict) -> list[str]:
    return sorted((m.group(2) for k in layout if (m := _AXIS.match(k)) and m.group(1) == "x"),
                  key=lambda s: int(s or 1))


def _colour_bar(traces: list[dict]) -> bool:
    return any(((tr.get("marker") or {}).get("colorbar") or {}).get("orientation") == "h" for tr in traces)


def _is_key_trace(tr: dict) -> bool:
    """The colour bar's carrier (no data, a scale) or a legend-only entry: what a map's key holds."""
    marker = tr.get("marker") or {}
    xs = _numbers(tr.get("x"))
    legend_only = bool(np.isnan(xs).all()) and tr.get("showlegend") is not False and bool(tr.get("name"))
    return bool(marker.get("showscale")) or legend_only


def key(fig: go.Figure) -> go.Figure | None:
    """The key of a map of several panels as a figure of its own (the colour bar, then the legend), to draw
    under all the panels; None for any other figure (its legend goes under the first panel, :func:`split`)."""
    spec = fig.to_plotly_json()
    layout, traces = spec["layout"], spec["data"]
    if len(_suffixes(layout)) < 2 or not _colour_bar(traces):
        return None
    entries = [tr for tr in _legend_entries(traces) if tr.get("name") and not (tr.get("marker") or {}).get("showscale")]
    data = []
    for tr in traces:
        if (tr.get("marker") or {}).get("showscale"):
            bar = copy.deepcopy(tr)
            bar.update(xaxis="x", yaxis="y", x=[None], y=[None])
            # a fixed length in pixels: the same bar on a laptop's full width and in a phone's 340 px
            bar["marker"]["colorbar"].update(x=0.5, xanchor="center", y=1, yanchor="top", yref="paper",
                                             lenmode="pixels", len=300)
            data.append(bar)
    rows = legend_rows([e.get("name") or "" for e in entries]) if entries else 0
    data += [_proxy(tr) for tr in entries]
    lay = {k: copy.deepcopy(v) for k, v in layout.items() if not _AXIS.match(k)
           and k not in ("annotations", "shapes", "title", "legend", "showlegend", "meta")}
    lay.update(xaxis={"visible": False}, yaxis={"visible": False}, showlegend=bool(entries),
               # the bar's title in the top margin, the bar and its ticks in the plot area, the legend under it
               height=KEY_TITLE_PX + COLORBAR_PX + LEGEND_ROW_PX * rows,
               margin={"l": 0, "r": 0, "t": KEY_TITLE_PX, "b": LEGEND_ROW_PX * rows},
               legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0.5,
                       "xanchor": "center", "itemclick": False, "itemdoubleclick": False},
               dragmode=False)
    return go.Figure({"data": data, "layout": lay})


def split(fig: go.Figure) -> list[go.Figure]:
    """One figure per panel of a 1 × N subplot figure (see the module's docstring); ``[fig]`` for one panel.
    A map's key is left out of its panels: :func:`key` draws it once under them."""
    spec = fig.to_plotly_json()
    layout: dict = spec["layout"]
    suffixes = _suffixes(layout)
    if len(suffixes) < 2:
        return [fig]
    keyed = _colour_bar(spec["data"])
    heights = list((layout.get("meta") or {}).get("panel_heights") or []) if isinstance(layout.get("meta"), dict) \
        else []
    traces, shapes = spec["data"], list(layout.get("shapes") or [])
    # shared axes: one range from every panel's data
    ranges: dict[str, tuple[float, float] | None] = {}
    for letter in "xy":
        keys = [f"{letter}axis{s}" for s in suffixes]
        matched = [k for k in keys if (layout.get(k) or {}).get("matches")]
        if not matched:
            continue
        refs = {f"{letter}{s}" for s in suffixes}
        span = _extent(traces, shapes, letter, refs)
        for key in keys:
            if "range" not in (layout.get(key) or {}):
                ranges[key] = span
    titles = {}
    others = []
    for note in layout.get("annotations") or []:
        if note.get("xref") == "paper" and note.get("yref") == "paper" and note.get("y") == 1.0 \
                and note.get("yanchor") == "bottom" and note.get("xanchor") == "center" and "name" not in note:
            domain = [(s, (layout.get(f"xaxis{s}") or {}).get("domain", [0, 1])) for s in suffixes]
            owner = next((s for s, (a, b) in domain if a - 1e-6 <= note["x"] <= b + 1e-6), None)
            if owner is not None and owner not in titles:
                titles[owner] = note.get("text", "")
                continue
        others.append(note)
    first_axes = {letter: (layout.get(f"{letter}axis{suffixes[0]}") or {}) for letter in "xy"}
    # in the builder's legend order (its legendrank, plotly's 1000 by default), then in the traces' order
    entries = sorted(_legend_entries(traces), key=lambda tr: tr.get("legendrank", 1000))
    # as plotly.js decides: two entries or more, or one a builder asked for (the map's open-circle mark)
    legend_on = not keyed and bool(entries) and layout.get("showlegend", len(entries) >= 2 or any(
        tr.get("showlegend") is True for tr in entries)) is not False
    margin = dict(layout.get("margin") or {})
    title_lines = max((wrap_title(t).count("<br>") + 1 for t in titles.values()), default=0)
    top = 16 + TITLE_LINE_PX * title_lines if titles else margin.get("t", 80)
    bottom = margin.get("b", 10)
    for note in others:
        if note.get("name") and note.get("text"):  # the panels' one axis title (analysis.figures.panels_title)
            wrapped = wrap_axis_title(note["text"])
            bottom += 16 * (wrapped.count("<br>") - note["text"].count("<br>"))
            note["text"] = wrapped
    extra = 0  # room under the first panel only: its legend and a colour bar laid under the plot
    if legend_on:
        x_axis = first_axes["x"]
        ticks = 0 if x_axis.get("visible") is False or x_axis.get("showticklabels") is False else 24
        axis_title = 22 if (x_axis.get("title") or {}).get("text") else 0
        bottom = max(bottom, ticks) + axis_title + 8  # every panel: its plot area as tall as the first's
        extra = 6 + LEGEND_ROW_PX * legend_rows([e.get("name") or "" for e in entries])
    out = []
    for i, s in enumerate(suffixes):
        lay = {k: copy.deepcopy(v) for k, v in layout.items() if not _AXIS.match(k)
               and k not in ("annotations", "shapes", "title", "legend", "showlegend", "meta")}
        if len(heights) == len(suffixes):
            lay["height"] = heights[i]
        for letter in "xy":
            axis = copy.deepcopy(layout.get(f"{letter}axis{s}") or {})
            shared = axis.pop("matches", None)
            axis.pop("domain", None)
            axis["anchor"] = "y" if letter == "x" else "x"
            if shared and axis.get("showticklabels") is False:
                axis.pop("showticklabels")  # hidden only because the first panel showed them beside it
            if "scaleanchor" in axis:
                axis["scaleanchor"] = "x" if letter == "y" else "y"
            if not (axis.get("title") or {}).get("text") and (first_axes[letter].get("title") or {}).get("text"):
                axis["title"] = copy.deepcopy(first_axes[letter]["title"])
            if ranges.get(f"{letter}axis{s}"):
                axis["range"] = list(ranges[f"{letter}axis{s}"])
                axis["autorange"] = False
            lay[f"{letter}axis"] = axis
        refs = {f"x{s}": "x", f"y{s}": "y", f"x{s} domain": "x domain", f"y{s} domain": "y domain"}
        lay["shapes"] = [{**sh, "xref": refs.get(sh.get("xref"), sh.get("xref")),
                          "yref": refs.get(sh.get("yref"), sh.get("yref"))}
                         for sh in shapes if sh.get("xref") in refs or sh.get("yref") in refs]
        notes = []
        for note in others:
            if note.get("xref") == "paper":
                notes.append({**note, "x": 0.5} if note.get("name") else dict(note))
            elif note.get("xref") in refs:
                notes.append({**note, "xref": refs[note["xref"]], "yref": refs.get(note.get("yref"), "y")})
        lay["annotations"] = notes
        if s in titles:
            lay["title"] = {"text": wrap_title(titles[s]), "x": 0, "xanchor": "left", "xref": "paper",
                            "y": 1, "yref": "container", "yanchor": "top", "pad": {"t": 8},
                            "font": {"size": 15}}
        lay["margin"] = {**margin, "t": top, "b": bottom + (extra if i == 0 else 0)}
        if i == 0 and extra:
            lay["height"] = (lay.get("height") or 450) + extra
        mine = [dict(tr, xaxis="x", yaxis="y") for tr in traces if tr.get("xaxis", "x") == f"x{s}"
                and not (keyed and _is_key_trace(tr))]
        if keyed:  # the open circles stay on the map, their entry goes to the key
            mine = [dict(tr, showlegend=False) for tr in mine]
        lay["showlegend"] = legend_on and i == 0
        if lay["showlegend"]:
            have = {(tr.get("legendgroup"), tr.get("name")) for tr in _legend_entries(mine)}
            mine += [_proxy(tr) for tr in entries if (tr.get("legendgroup"), tr.get("name")) not in have]
            rank = {(tr.get("legendgroup"), tr.get("name")): 1000 + j for j, tr in enumerate(entries)}
            mine = [dict(tr, legendrank=rank[key]) if (key := (tr.get("legendgroup"), tr.get("name"))) in rank
                    else tr for tr in mine]  # the entries in the whole chart's order
            lay["legend"] = {**(layout.get("legend") or {}), "orientation": "h", "yref": "container", "y": 0,
                             "yanchor": "bottom", "x": 0, "xanchor": "left", "itemclick": False,
                             "itemdoubleclick": False}
        out.append(go.Figure({"data": mine, "layout": lay}))
    return out

