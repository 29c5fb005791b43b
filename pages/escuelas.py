"""Escuelas: every school's change (with its interval and q-value when the rows have them); one school's story."""

import streamlit as st

from ui import format as fmt
from ui import schools_view as view
from ui.charts import marks_legend, show
from ui.filters import pick
from ui.i18n import t
from ui.layout import page_header
from ui.loaders import indicators, programme_names, show_problem
from ui.tables import table

page_header("page.schools", "schools.intro")

options = view.indicator_options()
if not options:
    st.info(t("home.no_data"))
    st.stop()
c1, c2 = st.columns(2)
indicator = pick("filter.indicator", options, key="indicador", container=c1,
                 labels=lambda c: fmt.indicator_label(c, indicators()),
                 default="score_math" if "score_math" in options else options[0],
                 help_text=t("filter.indicator_help"))
program = pick("filter.programme", programme_names(), key="programa", container=c2,
               placeholder_key="filter.all_programmes")
st.caption(t("compare.indicator_caption", label=fmt.md(fmt.indicator_label(indicator, indicators())),
             code=indicator))

st.subheader(t("schools.caterpillar_title"))
with st.spinner(t("loading")):
    outcome = view.school_effects(indicator)
inference = view.outcome_has_inference(outcome)
st.caption(view.caterpillar_caption(indicator, outcome, program, inference))
if outcome.ok and not inference:  # said once: no interval, test or q legend is claimed below
    st.info(t("schools.no_test"), icon=":material/info:")
show_problem(outcome)
show(view.caterpillar_chart(indicator, outcome, program), key="schools-caterpillar")
marks_legend(intervals=inference)

st.subheader(t("schools.profile_title"))
all_schools = view.schools()
if program:
    all_schools = all_schools[all_schools["program"] == program]
codes = list(all_schools["unit_id"])
if len(codes) > view.SCHOOL_LIST_LIMIT:  # national scale: search, then choose among the matches
    search = st.text_input(t("filter.school_search"), key="buscar_escuela",
                           help=t("filter.school_search_help", limit=view.SCHOOL_LIST_LIMIT))
    codes = view.matching_schools(all_schools, search, st.query_params.get("escuela"))
names = view.school_names(all_schools)
school = pick("filter.school", codes, key="escuela", placeholder_key="filter.choose_school",
              help_text=t("filter.school_help"), labels=lambda c: view.school_option(c, names))
if school is None:
    st.info(t("schools.pick_one"), icon=":material/school:")
    st.stop()
info = view.profile(school)
st.markdown(f"#### {fmt.md(info['name'])}")
c1, c2, c3, c4 = st.columns(4)
# a metric's value is Markdown too: the programme, lab type and zone come from the data
c1.metric(t("col.program"), fmt.md(fmt.programme(info["program"])))
c2.metric(t("col.lab_type"), fmt.md(fmt.text(info["lab_type"])))
c3.metric(t("col.start_year"), "—" if fmt.is_missing(info["start_year"]) else str(int(info["start_year"])))
c4.metric(t("col.zone"), "—" if fmt.is_missing(info["zone"]) else fmt.md(fmt.group_label("zone", info["zone"])))
st.caption(" · ".join(fmt.md(x) for x in (school, info["municipality"], info["department"],
                                            fmt.country(info["country"]), info["authority"])))
left, right = st.columns([1, 2])
with left:
    st.markdown(f"**{t('schools.students_title')}**")
    result = view.school_result(outcome, school)
    hidden = bool(result) and result.get("reliability") == "suppressed"
    table(view.students_by_wave(school, hidden).rename(columns=lambda c: t(f"col.{c}")))
    if result:
        st.markdown(f"**{t('schools.result_title', indicator=fmt.md(fmt.indicator_label(indicator, indicators())))}**")
        if result.get("reliability") == "suppressed":
            st.markdown(fmt.reliability("suppressed", result.get("suppression_reason")))
        else:
            value, notes = view.result_text(result)
            st.markdown(value)
            st.caption(notes)
            ref = view.reference_text(indicator, info["country"])
            if ref:
                st.caption(ref)
with right:  # titled with its indicator in words: it is not always the one chosen above
    rate = view.series_indicator(indicator)
    st.markdown(f"**{t('schools.series_title', indicator=fmt.md(fmt.indicator_label(rate, indicators())))}**")
    show(view.rate_series_chart(school, rate, info["start_year"]), key="schools-series")
