"""Regiones: departments, municipalities and education authorities ranked with intervals; rural vs urban."""

import streamlit as st

from ui import format as fmt
from ui import regions_view as view
from ui import territory_verdicts
from ui.charts import marks_legend, show
from ui.filters import pick
from ui.i18n import t
from ui.layout import page_header
from ui.loaders import indicators, programme_names, show_problem

page_header("page.regions", "regions.intro")

options = view.indicator_options()
if not options:
    st.info(t("home.no_data"))
    st.stop()
c1, c2, c3, c4 = st.columns(4)
indicator = pick("filter.indicator", options, key="indicador", container=c1,
                 labels=lambda c: fmt.indicator_label(c, indicators()),
                 default="dropout_rate" if "dropout_rate" in options else options[0],
                 help_text=t("filter.indicator_help"))
level = pick("filter.territory", view.LEVELS, key="nivel", default="department", container=c2, labels=fmt.field_option,
             help_text=t("filter.territory_help"))
design = pick("filter.design", view.DESIGNS, key="diseno", default=view.DESIGNS[0], container=c3,
               labels=fmt.design_option,
              help_text=t("filter.design_help"))
program = pick("filter.programme", programme_names(), key="programa", container=c4,
               placeholder_key="filter.all_programmes")
st.caption(t("compare.indicator_caption", label=fmt.md(fmt.indicator_label(indicator, indicators())),
             code=indicator))

st.subheader(t("regions.ranked_title", level=fmt.md(fmt.field_label(level))))
with st.spinner(t("loading")):
    outcome, used, fell_back = view.results(indicator, level, design, program)
if fell_back:
    st.warning(t("regions.fallback"), icon=":material/warning:")
show_problem(outcome)
if not view.has_comparison(used):
    st.caption(t("regions.prepost_note"))
show(view.ranked_chart(indicator, level, used, outcome, program), key="regions-ranked")
marks_legend()

territory_verdicts.show(indicator, level, used, outcome, program)

st.subheader(t("regions.map_title"))
shapes = view.boundaries(level)
map_chart = view.map_chart(level, outcome, shapes)
if map_chart is None:
    st.info(view.no_map_text(outcome, shapes), icon=":material/map:")
else:
    show(map_chart, key="regions-map")

st.subheader(t("regions.zone_title"))
with st.spinner(t("loading")):
    zones, zone_design, zone_fell_back = view.results(indicator, "zone", design, program)
if zone_fell_back:
    st.warning(t("regions.fallback"), icon=":material/warning:")
show_problem(zones)
show(view.zone_chart(indicator, zone_design, zones, program), key="regions-zone")
