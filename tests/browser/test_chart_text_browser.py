"""Text from the data in a chart is text: plotly.js, in Chromium, draws no link, image or style from a
school name or group label in hover labels, tick labels, legend or title (analysis/figure_text.py; every
chart of the pages is a ui.charts.Chart, and the evidence brief's charts go through the same function)."""

from __future__ import annotations

import plotly.graph_objects as go

from ui.charts import Chart

EVIL = "evil.example"
LINK = f'<a href="http://{EVIL}/a">y</a>'
IMAGE = f'<img src="http://{EVIL}/i.png">'
STYLE = '<span style="font-size:80px">big</span>'


def _figure() -> go.Figure:
    """Shaped like the builders' figures: data text in categories, trace names, customdata inside the
    builders' own markup (``<b>``, ``<br>``, ``<extra>``), and a title."""
    fig = go.Figure(go.Bar(x=[LINK, "Escuela A & B"], y=[1.0, 2.0], name=IMAGE, customdata=[LINK, STYLE],
                           hovertemplate="<b>%{customdata}</b><br>%{y:.1f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=[LINK], y=[1.5], name=STYLE, mode="markers"))
    fig.update_layout(title=f"Ranking<br>{LINK}", showlegend=True, width=900, height=500)
    return fig


def _draw(page, fig: go.Figure) -> dict:
    """Draw ``fig`` with plotly.js, hover its first bar, and read what the SVG holds."""
    page.evaluate("f => Plotly.newPlot('chart', JSON.parse(f))", fig.to_json())
    page.evaluate("() => Plotly.Fx.hover('chart', [{curveNumber: 0, pointNumber: 0}])")
    page.wait_for_selector("#chart .hoverlayer .hovertext")
    return page.evaluate("""() => {
        const gd = document.getElementById('chart');
        const text = sel => [...gd.querySelectorAll(sel)].map(e => e.textContent).join(' | ');
        return {links: gd.querySelectorAll('svg a').length,
                styled: gd.querySelectorAll('svg tspan[style*="font-size:80px"]').length,
                bold: gd.querySelectorAll('.hoverlayer tspan[style*="bold"]').length,
                hover: text('.hoverlayer .hovertext'), ticks: text('.xtick text'),
                legend: text('.legendtext'), title: text('.gtitle')};
    }""")


def test_hover_ticks_legend_and_title_show_data_markup_as_text(browser):
    from plotly.offline import get_plotlyjs

    fetched: list[str] = []
    context = browser.new_context()
    context.route(f"**/*{EVIL}*", lambda route: (fetched.append(route.request.url), route.abort()))
    page = context.new_page()
    try:
        page.set_content('<div id="chart"></div>')
        page.add_script_tag(content=get_plotlyjs())
        # without the guard, plotly.js makes the name a link and applies the style (the test can fail)
        raw = _draw(page, _figure())
        assert raw["links"] > 0 and raw["styled"] > 0
        page.evaluate("() => Plotly.purge('chart')")
        shown = _draw(page, Chart(_figure(), "alt", "summary").fig)
    finally:
        context.close()
    assert shown["links"] == 0 and shown["styled"] == 0
    assert LINK in shown["hover"] and LINK in shown["ticks"] and LINK in shown["title"]
    assert IMAGE in shown["legend"] and STYLE in shown["legend"]
    assert "Escuela A & B" in shown["ticks"]  # an ampersand stays one character
    assert shown["bold"] > 0  # the builders' own markup still works
    assert not [u for u in fetched if "/i.png" in u]  # (plotly.js draws no <img> anyway; nothing was fetched)
