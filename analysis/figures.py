"""Plotly figure builders for the dashboard: pure functions of tidy frames, no Streamlit (testable).

Every builder takes the data it draws and a ``texts`` mapping of already translated strings (axis
titles, legend names, marks), so this module never needs the session's language; ``lang`` only sets
the decimal separator (``layout.separators=",."`` in Spanish). Programme colours are fixed and
colour-blind safe (Okabe–Ito): ValleLabs #0072B2, MiLab #E69F00, the comparison group #999999; any
further programme takes the next Okabe–Ito colour in name order.

Marks used everywhere: a filled circle is a result with adequate reliability, an open circle a
low-reliability one (fewer than 30 students or 5 units), and a suppressed cell (fewer than 10 students)
has no point, only the word in ``texts["suppressed"]``.

Also here: :func:`cluster_means`, the data preparation behind the pre/post means chart (a mean with a
cluster-robust interval, schools as clusters), and :func:`binned_shares` for the distribution chart.
This module holds the shared style and the Comparar programas charts; the charts of territories and
schools (Regiones, Escuelas, Datos) are in :mod:`analysis.unit_figures`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots
from scipy import special

from analysis.periods import programme_order

PROGRAMME_COLORS: dict[str, str] = {"ValleLabs": "#0072B2", "MiLab": "#E69F00", "comparison": "#999999"}
EXTRA_COLORS = ("#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
SCHOOL_COLOR = "#000000"
MARK_OK, MARK_LOW = "circle", "circle-open"
FONT = "Source Sans Pro, Arial, sans-serif"


# --- colours and shared style ---------------------------------------------------------------------------

def color_map(programmes: Iterable[str]) -> dict[str, str]:
    """The colour of every programme: fixed for ValleLabs, MiLab and comparison, Okabe–Ito for others."""
    out = dict(PROGRAMME_COLORS)
    extra = [p for p in programme_order(programmes) if p not in out]
    for i, name in enumerate(extra):
        out[name] = EXTRA_COLORS[i % len(EXTRA_COLORS)]
    return out


def panel_order(frame: pd.DataFrame) -> list:
    """Country panels in programme order (ValleLabs' country first), whatever order the rows came in."""
    rank = {p: i for i, p in enumerate(programme_order(frame["program"]))}
    first = frame[frame["program"] != "comparison"].groupby("panel")["program"].agg(
        lambda ps: min(rank[p] for p in ps))
    return sorted(dict.fromkeys(frame["panel"]), key=lambda p: (first.get(p, len(rank)), str(p)))


# The white template is every figure's from its creation: plotly applies the default template without
# validating it, while ``update_layout(template=...)`` validated and deep-copied it again for each figure
# (30-50 ms a figure, 0.4 s of Comparar's first view; issue #6).
pio.templates.default = "plotly_white"


def style(fig: go.Figure, lang: str, *, height: int | None = None, title: str | None = None) -> go.Figure:
    """Shared look: white template (the default, above), decimal comma in Spanish, legend on top, room
    for long labels."""
    if fig.layout.template.layout.plot_bgcolor != "white":  # a figure made while another default was set
        fig.update_layout(template="plotly_white")
    fig.update_layout(
        separators=",." if lang == "es" else ".,",
        font={"family": FONT, "size": 13},
        # the legend sits at the top of the whole figure, above the subplot titles (never over them)
        legend={"orientation": "h", "yref": "container", "y": 0.995, "yanchor": "top", "xanchor": "left", "x": 0,
                "title": {"text": ""}},
        margin={"l": 10, "r": 10, "t": 110 if title else 80, "b": 10},
        hoverlabel={"font": {"family": FONT}},
    )
    if title:
        fig.update_layout(title={"text": title, "x": 0, "xanchor": "left"})
    if height:
        fig.update_layout(height=height)
    return fig


def reliability_symbols(reliability: pd.Series) -> list[str]:
    """The marker of each row: an open circle for low reliability, a filled one otherwise."""
    return [MARK_LOW if r == "low" else MARK_OK for r in reliability.fillna("ok")]


def legend_marks(fig: go.Figure, texts: Mapping[str, str], row: int | None = None, col: int | None = None) -> None:
    """Legend-only entries explaining the open circle (low reliability)."""
    kw = {"row": row, "col": col} if row else {}
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=texts.get("low", "low reliability"),
                             marker={"symbol": MARK_LOW, "color": "#555555", "size": 10},
                             hoverinfo="skip", showlegend=True), **kw)


def has_low(data: pd.DataFrame) -> bool:
    """Whether a visible point carries the low-reliability mark (the legend entry is only added then)."""
    effect = pd.to_numeric(data["effect"], errors="coerce")
    return bool(((data["reliability"] == "low") & effect.notna()).any())


def text_rows(fig: go.Figure, part: pd.DataFrame, ycol: str, texts: Mapping[str, str], col: int) -> None:
    """Rows without a point say why, in words at the left edge of the plot area (at zero they ran into the
    zero line): suppressed (fewer than 10 students) or no estimate. An invisible mark holds the row on the
    axis and shows the words on hover."""
    effect = pd.to_numeric(part["effect"], errors="coerce")
    suppressed = part["reliability"] == "suppressed"
    missing = effect.isna() & ~suppressed
    # hidden to protect another cell (complementary suppression) says so, not "fewer than 10 students"
    protecting = suppressed & (part["suppression_reason"] == "complementary") if "suppression_reason" in part \
        else suppressed & False
    for mask, word in ((suppressed & ~protecting, texts.get("suppressed", "suppressed")),
                       (protecting, texts.get("complementary", texts.get("suppressed", "suppressed"))),
                       (missing, texts.get("no_estimate", "no estimate"))):
        rows = part[mask]
        if len(rows):
            fig.add_trace(go.Scatter(x=[0] * len(rows), y=rows[ycol], mode="markers", marker={"opacity": 0},
                                     text=[word] * len(rows), hoverinfo="text", showlegend=False, name=word),
                          row=1, col=col)
            suffix = "" if col == 1 else str(col)
            for label in rows[ycol]:
                fig.add_annotation(x=0, y=label, xref=f"x{suffix} domain", yref=f"y{suffix}", xanchor="left",
                                   text=word, showarrow=False, font={"color": "#555555"}, bgcolor="#ffffff")


def finite(values: Iterable) -> np.ndarray:
    """Values as floats, anything not a number as NaN."""
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)


# --- data preparation -----------------------------------------------------------------------------------

def cluster_means(unit_period: pd.DataFrame, keys: list[str], weighted: bool = True,
                  conf_level: float = 0.95) -> pd.DataFrame:
    """Means per ``keys`` group from per-unit means, with a cluster-robust interval (units as clusters).

    ``unit_period`` has one row per unit and group with ``n`` (students or unit-years) and ``mean``.
    Weighted (student data): the mean is Σ n_j ȳ_j / Σ n_j, the student mean; its variance is the
    CRV1 sandwich of a ratio estimator, G/(G−1) · Σ n_j²(ȳ_j − ȳ)² / (Σ n_j)², and the interval uses t
    with G − 1 degrees of freedom (G units). Unweighted (unit rates): each unit mean counts once, and
    the interval is the ordinary t interval over units. Groups of one unit get no interval.
    Columns: keys..., mean, ci_low, ci_high, units, n.
    """
    rows = []
    for key, part in unit_period.groupby(keys, dropna=False, sort=False):  # keep the caller's order
        key = key if isinstance(key, tuple) else (key,)
        y = part["mean"].to_numpy(dtype=float)
        n = part["n"].to_numpy(dtype=float) if weighted else np.ones(len(part))
        ok = np.isfinite(y) & (n > 0)
        y, n = y[ok], n[ok]
        g = len(y)
        mean = float(np.sum(n * y) / np.sum(n)) if g else np.nan
        low = high = np.nan
        if g >= 2:
            var = g / (g - 1) * np.sum((n * (y - mean)) ** 2) / np.sum(n) ** 2
            half = float(special.stdtrit(g - 1, 0.5 + conf_level / 2) * np.sqrt(var))
            low, high = mean - half, mean + half
        rows.append({**dict(zip(keys, key, strict=True)), "mean": mean, "ci_low": low, "ci_high": high,
                     "units": g, "n": float(part["n"].sum())})
    return pd.DataFrame(rows, columns=[*keys, "mean", "ci_low", "ci_high", "units", "n"])


def _fill_bins(hist: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Empty bins (no value fell in them) become rows with count 0, so a histogram line drops to zero."""
    if hist.empty:
        return hist.copy()
    width = float((hist["hi"] - hist["lo"]).median())
    origin = float((hist["lo"] - hist["bin"] * width).median())
    bins = np.arange(int(hist["bin"].min()), int(hist["bin"].max()) + 1)
    frames = []
    for key, part in hist.groupby(keys, dropna=False, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        full = pd.DataFrame({"bin": bins})
        full = full.merge(part.drop(columns=keys), on="bin", how="left")
        for k, v in zip(keys, key, strict=True):
            full[k] = v
        full["count"] = full["count"].fillna(0)
        full["lo"] = origin + full["bin"] * width
        full["hi"] = full["lo"] + width
        frames.append(full[[*keys, "bin", "lo", "hi", "count"]])
    return pd.concat(frames, ignore_index=True)


def binned_shares(hist: pd.DataFrame, keys: list[str], min_cell: int | None) -> pd.DataFrame:
    """Percent of each group's values per bin; bins under ``min_cell`` (students) are suppressed.

    ``hist`` has keys..., bin, lo, hi, count. A suppressed bin keeps its row with share NaN and
    ``suppressed`` True, so the gap is visible and explained; the group's total still uses its count
    (the share of the other bins is not distorted). ``min_cell=None`` (unit-years) suppresses nothing.
    """
    out = _fill_bins(hist, keys)
    total = out.groupby(keys, dropna=False)["count"].transform("sum")
    out["share"] = 100 * out["count"] / total
    out["suppressed"] = False
    if min_cell:
        small = (out["count"] > 0) & (out["count"] < min_cell)
        out.loc[small, "share"] = np.nan
        out["suppressed"] = small
        out["count"] = out["count"].astype(float).where(~small)
    out["mid"] = (out["lo"] + out["hi"]) / 2
    return out


# --- Comparar programas ---------------------------------------------------------------------------------

def effect_panels(data: pd.DataFrame, texts: Mapping[str, str], lang: str) -> go.Figure:
    """Effects with intervals, one panel per programme side by side on a shared effect axis.

    ``data``: program, group (text shown on the y axis), effect, low, high, reliability
    (ok | low | suppressed) and optional ``hover``. One trace per programme, named by the programme,
    coloured by :func:`color_map`; open circles mark low reliability; suppressed rows show
    ``texts["suppressed"]`` at zero, without a point, and rows without an estimate
    ``texts["no_estimate"]``. ``texts``: x_title, suppressed, no_estimate, low.
    """
    programmes = programme_order(data["program"])
    colors = color_map(programmes)
    groups = list(dict.fromkeys(data["group"]))
    fig = make_subplots(rows=1, cols=max(len(programmes), 1), shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=programmes)
    for i, prog in enumerate(programmes, start=1):
        part = data[data["program"] == prog]
        shown = part[(part["reliability"] != "suppressed") & pd.to_numeric(part["effect"], errors="coerce").notna()]
        effect, low, high = finite(shown["effect"]), finite(shown["low"]), finite(shown["high"])
        hover = shown["hover"] if "hover" in shown else shown["group"]
        fig.add_trace(go.Scatter(
            x=effect, y=shown["group"], mode="markers", name=prog, legendgroup=prog,
            marker={"color": colors[prog], "size": 12, "symbol": reliability_symbols(shown["reliability"]),
                    "line": {"width": 2, "color": colors[prog]}},
            error_x={"type": "data", "symmetric": False, "array": high - effect, "arrayminus": effect - low,
                     "color": colors[prog], "thickness": 2, "width": 6},
            customdata=np.asarray(hover, dtype=object), hovertemplate="%{customdata}<extra></extra>",
        ), row=1, col=i)
        text_rows(fig, part, "group", texts, i)
        fig.add_vline(x=0, line={"color": "#444444", "width": 1}, row=1, col=i)
    if has_low(data):
        legend_marks(fig, texts, 1, 1)
    fig.update_xaxes(zeroline=False, matches="x")
    fig.update_yaxes(categoryorder="array", categoryarray=groups[::-1], automargin=True)
    return panels_title(style(fig, lang, height=max(260, 120 + 44 * len(groups))), texts.get("x_title", ""))


def panels_title(fig: go.Figure, text: str) -> go.Figure:
    """One x-axis title for panels side by side that share their axis, centred under the whole figure (named
    "x_title"): a title per panel overprints on a phone, and one under the first panel runs off its edge.
    A " · " part (a direction cue) goes on its own line."""
    if text:
        fig.add_annotation(text=text.replace(" · ", "<br>"), name="x_title", xref="paper", yref="paper", x=0.5, y=0,
                           yanchor="top", yshift=-24, showarrow=False, font={"size": 13, "color": "#444444"})
        fig.update_layout(margin={"b": 44 + 16 * text.count(" · ")})
    return fig


def prepost_means(means: pd.DataFrame, texts: Mapping[str, str], lang: str) -> go.Figure:
    """Pre and post means with intervals per programme and its comparison group, one panel per country.

    ``means``: panel (country label), program, period (pre | post), mean, ci_low, ci_high, units.
    Each panel has its own y axis: countries use different tests and scales, which are never compared
    raw. When a panel holds a programme and the comparison group, a dashed line shows the programme's
    path had it changed like the comparison group (``texts["counterfactual"]``): the gap at post is
    the difference-in-differences. ``texts``: pre, post, y_title, counterfactual, comparison.
    """
    panels = panel_order(means)
    colors = color_map(means["program"])
    fig = make_subplots(rows=1, cols=max(len(panels), 1), subplot_titles=panels, horizontal_spacing=0.08)
    shown_legend: set[str] = set()
    for i, panel in enumerate(panels, start=1):
        part = means[means["panel"] == panel]
        order = programme_order(part["program"])
        for j, prog in enumerate(order):
            rows = part[part["program"] == prog].set_index("period").reindex(["pre", "post"])
            mean = finite(rows["mean"])
            name = texts.get("comparison", prog) if prog == "comparison" else prog
            offset = 0.04 * (j - (len(order) - 1) / 2)  # side by side, so the intervals do not hide each other
            fig.add_trace(go.Scatter(
                x=[0 + offset, 1 + offset], y=mean, mode="lines+markers", name=name,
                legendgroup=prog, showlegend=prog not in shown_legend,
                line={"color": colors[prog], "width": 3}, marker={"size": 10, "color": colors[prog]},
                error_y={"type": "data", "symmetric": False, "array": finite(rows["ci_high"]) - mean,
                         "arrayminus": mean - finite(rows["ci_low"]), "color": colors[prog], "width": 6},
                customdata=rows["units"].to_numpy(dtype=object),
                hovertemplate=f"{name}: %{{y:.2f}}<extra></extra>",
            ), row=1, col=i)
            shown_legend.add(prog)
        comp = part[part["program"] == "comparison"].set_index("period").reindex(["pre", "post"])
        for prog in [p for p in programme_order(part["program"]) if p != "comparison"]:
            rows = part[part["program"] == prog].set_index("period").reindex(["pre", "post"])
            if comp["mean"].isna().any() or rows["mean"].isna().any():
                continue
            counterfactual = float(rows["mean"]["pre"] + comp["mean"]["post"] - comp["mean"]["pre"])
            key = f"cf-{prog}"
            fig.add_trace(go.Scatter(
                x=[0, 1], y=[float(rows["mean"]["pre"]), counterfactual],
                mode="lines", name=texts.get("counterfactual", "counterfactual"), legendgroup="cf",
                showlegend=key not in shown_legend and "cf" not in shown_legend,
                line={"color": colors[prog], "width": 2, "dash": "dash"},
                hovertemplate=f"{texts.get('counterfactual', '')} ({prog}): %{{y:.2f}}<extra></extra>",
            ), row=1, col=i)
            shown_legend.update({key, "cf"})
    fig.update_yaxes(title_text=texts.get("y_title", ""), col=1)
    fig.update_xaxes(tickvals=[0, 1], ticktext=[texts.get("pre", "pre"), texts.get("post", "post")],
                     range=[-0.25, 1.25], showgrid=False)
    return style(fig, lang, height=440)


def distribution(shares: pd.DataFrame, texts: Mapping[str, str], lang: str) -> go.Figure:
    """Distribution of values per programme and period (percent per bin), one panel per country.

    ``shares`` comes from :func:`binned_shares` plus a ``panel`` column. Pre is dashed, post solid,
    in the programme's colour; suppressed bins are gaps (hover says so through ``texts["suppressed"]``).
    ``texts``: pre, post, x_title, y_title, comparison.
    """
    panels = panel_order(shares)
    colors = color_map(shares["program"])
    fig = make_subplots(rows=1, cols=max(len(panels), 1), subplot_titles=panels, horizontal_spacing=0.08)
    seen: set[str] = set()
    for i, panel in enumerate(panels, start=1):
        part = shares[shares["panel"] == panel]
        for prog in programme_order(part["program"]):
            for period, dash in (("pre", "dot"), ("post", "solid")):
                rows = part[(part["program"] == prog) & (part["period"] == period)].sort_values("mid")
                if rows.empty:
                    continue
                name = texts.get("comparison", prog) if prog == "comparison" else prog
                label = f"{name} · {texts.get(period, period)}"
                share = finite(rows["share"])
                note = np.where(rows["suppressed"], texts.get("suppressed", "suppressed"), "")
                fig.add_trace(go.Scatter(
                    x=rows["mid"], y=share, mode="lines", name=label, legendgroup=label, showlegend=label not in seen,
                    line={"color": colors[prog], "dash": dash, "width": 2.5 if period == "post" else 2,
                          "shape": "hvh"},
                    connectgaps=False, customdata=note,
                    hovertemplate=f"{label}<br>%{{x:.1f}}: %{{y:.1f}} %%{{customdata}}<extra></extra>",
                ), row=1, col=i)
                seen.add(label)
    fig.update_xaxes(title_text=texts.get("x_title", ""), col=1)  # one title: panels side by side never overprint
    fig.update_yaxes(title_text=texts.get("y_title", ""), col=1, rangemode="tozero")
    return style(fig, lang, height=400)


SLOPE_MAX_LINES = 1000  # lines per programme and panel drawn by the slope chart (a seeded sample beyond)
SLOPE_SEED = 0
GL_POINTS = 2000  # beyond this many points in a trace, WebGL (Scattergl) instead of SVG


def sample_per_group(frame: pd.DataFrame, keys: list[str], max_rows: int, seed: int = SLOPE_SEED,
                     order: str = "unit_id") -> pd.DataFrame:
    """At most ``max_rows`` rows of every ``keys`` group: groups at or under it whole, larger ones a
    random sample without replacement from ``numpy.random.default_rng(seed)``.

    The draw does not depend on the frame's row order (each group is sorted by ``order`` first and
    the groups are visited in sorted order), so the same data give the same sample; the rows kept
    stay in the frame's order.
    """
    if frame.empty or max_rows <= 0:
        return frame.iloc[:0] if max_rows <= 0 else frame
    rng = np.random.default_rng(seed)
    values = frame[order].to_numpy()
    chosen = []
    for _, pos in sorted(frame.groupby(keys, sort=False, dropna=False).indices.items(),
                         key=lambda kv: tuple(str(k) for k in (kv[0] if isinstance(kv[0], tuple) else (kv[0],)))):
        if len(pos) > max_rows:
            pos = pos[np.argsort(values[pos], kind="stable")]
            pos = rng.choice(pos, max_rows, replace=False)
        chosen.append(pos)
    return frame.iloc[np.sort(np.concatenate(chosen))]


def _line_opacity(lines: int, comparison: bool, webgl: bool) -> float:
    """0.6 (comparison 0.4). In WebGL, where overlapping lines add up, fainter as lines pile up (down to
    0.12), so that a crowd of lines shows where most schools are instead of one solid band; in SVG the
    opacity applies to the trace as a whole (lines do not add up) and stays as it is."""
    base = 0.4 if comparison else 0.6
    return round(max(0.12, base * min(1.0, (100 / max(lines, 1)) ** 0.5)), 3) if webgl else base


def slopes(unit_means: pd.DataFrame, texts: Mapping[str, str], lang: str) -> go.Figure:
    """One line per school from its pre mean to its post mean, one panel per country.

    ``unit_means``: panel, program, unit_id, pre, post (units with a suppressed period are left out
    by the caller, and so are the schools not drawn when the caller samples them, see
    :func:`sample_per_group`). One trace per programme and panel: numeric arrays with NaN between
    the lines (x 0 = pre, 1 = post, labelled ``texts["pre"]``/``texts["post"]``), which plotly
    validates and serialises as binary arrays instead of one Python object per point; programme
    colours, the comparison group grey and behind. WebGL (Scattergl) for every trace once one trace
    has more than ``GL_POINTS`` points (one layer, so the comparison group stays behind).
    ``texts``: pre, post, y_title, comparison. A ``label`` column (the school's name) names a line in its hover,
    else its ``unit_id``.
    """
    panels = panel_order(unit_means)
    colors = color_map(unit_means["program"])
    fig = make_subplots(rows=1, cols=max(len(panels), 1), subplot_titles=panels, horizontal_spacing=0.08)
    pre, post = texts.get("pre", "pre"), texts.get("post", "post")
    biggest = int(unit_means.groupby(["panel", "program"], sort=False).size().max()) if len(unit_means) else 0
    trace_cls = go.Scattergl if 3 * biggest > GL_POINTS else go.Scatter
    seen: set[str] = set()
    for i, panel in enumerate(panels, start=1):
        part = unit_means[unit_means["panel"] == panel]
        order = programme_order(part["program"])
        for prog in ["comparison", *[p for p in order if p != "comparison"]]:
            rows = part[part["program"] == prog]
            if rows.empty:
                continue
            n = len(rows)
            xs = np.tile([0.0, 1.0, np.nan], n)
            ys = np.column_stack([rows["pre"].to_numpy(dtype=float), rows["post"].to_numpy(dtype=float),
                                  np.full(n, np.nan)]).ravel()
            unit = (rows["label"] if "label" in rows else rows["unit_id"]).astype(str).to_numpy(dtype=object)
            hover = np.column_stack([unit + f"<br>{pre}", unit + f"<br>{post}", np.full(n, None)]).ravel()
            name = texts.get("comparison", prog) if prog == "comparison" else prog
            opacity = _line_opacity(n, prog == "comparison", trace_cls is go.Scattergl)
            # the legend in the panels' order (programmes first, comparison schools last), though the
            # comparison lines are drawn first to stay behind
            rank = 1000 + (len(order) if prog == "comparison" else order.index(prog))
            fig.add_trace(trace_cls(
                x=xs, y=ys, mode="lines+markers", name=name, legendgroup=prog, legendrank=rank,
                showlegend=prog not in seen and opacity >= 0.4,  # a faint trace gets a legend entry of its own
                line={"color": colors[prog], "width": 1.2}, marker={"size": 4, "color": colors[prog]},
                opacity=opacity, customdata=hover,
                hovertemplate=f"{name} · %{{customdata}}: %{{y:.2f}}<extra></extra>",
            ), row=1, col=i)
            if prog not in seen and opacity < 0.4:
                fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines+markers", name=name, legendgroup=prog,
                                         legendrank=rank,
                                         line={"color": colors[prog], "width": 2}, marker={"size": 6},
                                         opacity=0.4 if prog == "comparison" else 0.8, hoverinfo="skip"),
                              row=1, col=i)
            seen.add(prog)
    fig.update_xaxes(tickvals=[0, 1], ticktext=[pre, post], range=[-0.15, 1.15], showgrid=False, zeroline=False)
    fig.update_yaxes(title_text=texts.get("y_title", ""), col=1)
    return style(fig, lang, height=460)
