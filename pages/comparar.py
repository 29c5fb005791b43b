"""Comparar programas: ValleLabs and MiLab side by side on one indicator (docs/METHODS.md, "Designs" 3)."""

import streamlit as st

from ui import compare_view as view
from ui import format as fmt
from ui.charts import marks_legend, show
from ui.filters import pick
from ui.i18n import t
from ui.layout import page_header
from ui.loaders import group_values, indicators, show_problem

page_header("page.compare", "compare.intro")
st.info(t("compare.caveat"), icon=":material/balance:")

options = view.indicator_options()
if not options:
    st.info(t("home.no_data"))
    st.stop()
c1, c2, c3 = st.columns(3)
indicator = pick("filter.indicator", options, key="indicador", labels=lambda c: fmt.indicator_label(c, indicators()),
                 default="score_math" if "score_math" in options else options[0],
                 help_text=t("filter.indicator_help"), container=c1)
by = pick("filter.group_by", view.group_options(indicator), key="agrupar", placeholder_key="filter.no_grouping",
          labels=fmt.field_option,
          help_text=t("filter.group_by_help"), container=c2)
value = pick("filter.group_value", group_values(by, indicator) if by else [], key="grupo",
             placeholder_key="filter.all_students" if view.scope_all(indicator) == t("compare.scope_all")
             else "filter.all_schools", help_text=t("filter.group_value_help"), container=c3,
             disabled=not by, labels=lambda v: fmt.group_option(by, v))
st.caption(t("compare.indicator_caption", label=fmt.md(fmt.indicator_label(indicator, indicators())),
             code=indicator))

st.subheader(t("compare.effects_title"))
with st.spinner(t("loading")):
    outcome, effects = view.effects(indicator, by)
show_problem(outcome)
if effects:
    show(effects, key="compare-effects")
    view.evidence_row(outcome, by)
    marks_legend()

scope = (t("compare.scope_group", field=fmt.md(fmt.field_label(by)), value=fmt.md(fmt.group_label(by, value)))
         if by and value
         else view.scope_all(indicator))

st.subheader(t("compare.means_title"))
st.caption(scope + " " + t("compare.means_caption"))
show(view.means_chart(indicator, by, value), key="compare-means")

st.subheader(t("compare.distribution_title"))
st.caption(scope)
show(view.distribution_chart(indicator, by, value), key="compare-distribution")

st.subheader(t("compare.slopes_title"))
st.caption(scope)
show(view.slope_chart(indicator, by, value), key="compare-slopes")
