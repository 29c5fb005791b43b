"""Implementación: is the pilot carried out as designed, does more of it go with more learning, what it costs."""

import streamlit as st

from analysis.implementation.cost import CostError
from ui import access
from ui import format as fmt
from ui import implementation_view as view
from ui.charts import show
from ui.filters import pick
from ui.i18n import t
from ui.layout import page_header
from ui.loaders import indicators, programme_names
from ui.pilot_inputs import amount, choice
from ui.tables import table
from ui.uploads import file_box

page_header("page.implementation", "impl.intro")

if not view.has_records():
    st.info(t("impl.no_records"), icon=":material/assignment:")
    st.stop()

c1, c2, c3, c4 = st.columns(4)
program = pick("filter.programme", programme_names(), key="programa", container=c1,
               placeholder_key="filter.all_programmes")
level = choice(t("impl.filter.level"), view.level_labels(), key="nivel", default="department", container=c2)
target = amount(c3, "impl.filter.target", "horas_objetivo", 40, 1, 400, 5, help_key="impl.filter.target_help")
min_hours = amount(c4, "impl.filter.min_training", "horas_formacion", 20, 1, 200, 5,
                   help_key="impl.filter.min_training_help")

st.subheader(t("impl.status_title"))
status, status_frame = view.status_chart(level, program)
show(status, key="impl-status")
if level in ("department", "municipality"):
    show(view.status_map(level, status_frame), key="impl-map")

st.subheader(t("impl.time_title"))
show(view.time_chart(program), key="impl-time")

st.subheader(t("impl.use_title"))
use, behind = view.schools_behind(program, target)
st.markdown(view.use_summary(use, behind, target))
if len(behind):
    table(behind)

st.subheader(t("impl.training_title"))
show(view.training_chart(level, program, min_hours), key="impl-training")

st.subheader(t("impl.governance_title"))
st.caption(t("impl.governance_caption"))
table(view.governance_table(level, program))

st.subheader(t("impl.dose_title"))
st.caption(t("impl.dose_caption"))
info = indicators()
scores = [c for c in info.loc[info["kind"].isin(["score", "likert"]) & info["student_level"], "code"]]
d1, d2 = st.columns(2)
indicator = choice(t("filter.indicator"), {c: fmt.indicator_label(c, info) for c in scores}, key="indicador",
                   default="score_math" if "score_math" in scores else (scores[0] if scores else None), container=d1)
dose_name = choice(t("impl.filter.dose"), view.dose_labels(), key="dosis", default="lab_hours_per_term", container=d2)
shown = [program] if program else [p for p in programme_names() if p != "comparison"]
if indicator:
    panels = st.columns(len(shown)) if len(shown) > 1 else [st.container()]
    for where, name in zip(panels, shown, strict=True):
        with where:
            st.markdown(f"**{fmt.md(fmt.programme(name))}**")
            result = view.dose_result(name, indicator, dose_name)
            scatter, groups = view.dose_charts(result, fmt.indicator_label(indicator, info))
            if scatter is None:
                st.info(t("impl.dose_no_schools"), icon=":material/info:")
                continue
            show(scatter, key=f"impl-dose-{name}")
            show(groups, key=f"impl-groups-{name}")

st.subheader(t("impl.cost_title"))
st.caption(t("impl.cost_caption"))
if access.role() == "public":
    st.info(t("impl.cost_signin"), icon=":material/lock:")
else:
    above = st.container()
    k1, k2, k3 = st.columns([2, 2, 1])
    upload = file_box(t("impl.cost_file"), ("csv", "xlsx"), "cost_file", help=t("impl.cost_file_help"), where=k1,
                      caption_where=above)
    rates = k2.text_input(t("impl.cost_rates"), value="COP=3900, GTQ=7.75, GBP=0.79", key="tasas",
                          help=t("impl.cost_rates_help"))
    currency = k3.selectbox(t("impl.cost_currency"), ("USD", "COP", "GTQ"), key="moneda")
    if upload is not None and indicator:
        try:
            report = view.cost_report(upload, rates, currency, indicator, "did", 3)
        except CostError as exc:
            st.error(view.cost_error(exc), icon=":material/error:")
        else:
            table(view.cost_table(report))
            st.caption(t("impl.cost_method"))
