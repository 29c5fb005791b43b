"""Markup in data text is inert in figures, the builders' own tags keep working (analysis/figure_text.py)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from analysis.figure_text import plain, plain_figure


@pytest.mark.parametrize(("text", "shown"), [
    ('<a href="http://x">y</a>', '&lt;a href="http://x"&gt;y&lt;/a&gt;'),
    ("<img src=x>", "&lt;img src=x&gt;"),
    ('<span style="color:red">r</span>', '&lt;span style="color:red"&gt;r&lt;/span&gt;'),
    ('<b onclick="x">b</b>', '&lt;b onclick="x"&gt;b</b>'),  # a tag with attributes is never given back
    ("<b>MiLab</b> · A & B<br>%{y}<extra></extra>", "<b>MiLab</b> · A &amp; B<br>%{y}<extra></extra>"),
    ("&lt;", "&amp;lt;"),  # an entity written in the data is shown as written
    ("Escuela 5", "Escuela 5"),
])
def test_plain(text, shown):
    assert plain(text) == shown


def test_every_text_of_a_figure_once():
    names = np.array(["<a href='x'>s</a>", "ok"], dtype=object)
    fig = go.Figure(go.Bar(x=names, y=[1, 2], customdata=names, name="<i>a</i> & b",
                           marker={"colorbar": {"title": {"text": "<img src=x>"}}}))
    fig.update_layout(title="T<br><a href='x'>s</a>", annotations=[{"text": "<a href='x'>s</a>"}])
    assert plain_figure(plain_figure(fig)) is fig  # twice = once (figures are shared by the caches)
    assert list(fig.data[0].x) == list(fig.data[0].customdata) == ["&lt;a href='x'&gt;s&lt;/a&gt;", "ok"]
    assert fig.data[0].name == "<i>a</i> &amp; b"
    assert fig.data[0].marker.colorbar.title.text == "&lt;img src=x&gt;"
    assert fig.layout.title.text == "T<br>&lt;a href='x'&gt;s&lt;/a&gt;"
    assert fig.layout.annotations[0].text == "&lt;a href='x'&gt;s&lt;/a&gt;"
    assert list(fig.data[0].y) == [1, 2]
