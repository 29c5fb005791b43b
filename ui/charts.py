"""Drawing a chart the same way everywhere: alt text, a one-sentence summary, the data behind it."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analysis import panels
from analysis.figure_text import plain_figure
from ui.format import md
from ui.i18n import current_language, t
from ui.tables import MAX_ROWS, table

PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
#: plotly.js's own words (its mode bar's tooltips) -> catalogue keys. The plotly.js Streamlit bundles registers
#: only English: a chart's config brings the reader's words itself (``locales``, docs/STACK_NOTES.md).
PLOTLY_WORDS = {
    "Zoom": "chart.plotly.zoom", "Pan": "chart.plotly.pan", "Zoom in": "chart.plotly.zoom_in",
    "Zoom out": "chart.plotly.zoom_out", "Autoscale": "chart.plotly.autoscale", "Reset axes": "chart.plotly.reset_axes",
    "Reset": "chart.plotly.reset", "Download plot as a PNG": "chart.plotly.download_png",
    "Download plot": "chart.plotly.download", "Double-click to zoom back out": "chart.plotly.double_click",
}


def plotly_config(**extra: object) -> dict:
    """PLOTLY_CONFIG in the session's language: plotly.js's words and month names from the catalogue."""
    language = current_language()
    config = {**PLOTLY_CONFIG, **extra}
    if language == "en":
        return config
    months = t("fmt.month_names").split()
    words = {english: t(key) for english, key in PLOTLY_WORDS.items()}
    return {**config, "locale": language,
            "locales": {language: {"dictionary": words, "format": {"shortMonths": months, "months": months}}}}


@dataclass
class Chart:
    """A figure with what must travel with it: alt text, a one-sentence summary and its data table.

    ``panels`` is what the screen draws: the figure itself, or one figure per panel when it has panels
    side by side (analysis.panels.split), so that a phone stacks them."""

    fig: go.Figure
    alt: str
    summary: str
    table: pd.DataFrame | None = None
    panels: list[go.Figure] = field(init=False, default_factory=list, repr=False)
    key: go.Figure | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        """Every text from the data in the figure (hover, titles, ticks, legend) shown as text, not as
        plotly's HTML (analysis.figure_text), and the panels split (a map's key apart, drawn under all its
        panels); done once, when the chart is built and cached."""
        if self.fig is not None:
            plain_figure(self.fig)
            self.panels = panels.split(self.fig)
            self.key = panels.key(self.fig)


def lang() -> str:
    """The session's language for the figure builders (decimal comma in Spanish)."""
    return current_language()


def show(c: Chart | None, *, key: str) -> None:
    """The figure (full width, with alt text), its summary sentence and its data table in an expander."""
    if c is None or c.fig is None:
        st.info(t("chart.no_data"), icon=":material/info:")
        return
    if len(c.panels) > 1:  # one column per panel: side by side on a laptop, stacked below 640 px
        for i, (column, fig) in enumerate(zip(st.columns(len(c.panels)), c.panels, strict=True)):
            with column:
                title = fig.layout.title.text or ""
                st.plotly_chart(fig, width="stretch", key=f"{key}-{i}", config=plotly_config(),
                                alt=f"{c.alt} — {title.replace('<br>', ' ')}" if title else c.alt)
        if c.key is not None:  # a map's colour bar and legend: once, under every panel it explains
            st.plotly_chart(c.key, width="stretch", key=f"{key}-key", config=plotly_config(displayModeBar=False),
                            alt=t("chart.key_alt"))
    else:
        st.plotly_chart(c.fig, width="stretch", key=key, alt=c.alt, config=plotly_config())
    st.caption(md(c.summary))
    if c.table is None:
        return
    if len(c.table) <= MAX_ROWS:
        with st.expander(t("chart.data")):
            table(c.table)
        return
    # a long table (one row per school at national scale) is built only once its expander is opened:
    # localising and sending its first MAX_ROWS rows cost 0.1 s of every rerun (issue #6)
    with st.expander(t("chart.data"), key=f"{key}-data", on_change="rerun") as box:
        if box.open:
            table(c.table)


def marks_legend(intervals: bool = True) -> None:
    """Explain the marks used in charts and tables (and the interval bars, when the chart has any)."""
    st.caption(t("chart.marks") + (" " + t("chart.marks_bars") if intervals else ""))
