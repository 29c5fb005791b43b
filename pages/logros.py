"""Logros y pendientes: what was achieved, what was not, and where the evidence is not yet enough."""

import streamlit as st

from ui import achievements_view as view
from ui import format as fmt
from ui import implementation_view
from ui.filters import pick
from ui.i18n import t
from ui.layout import page_header
from ui.loaders import Outcome, indicators, programme_names, show_problem
from ui.tables import table

page_header("page.achievements", "achievements.intro")
program = pick("filter.programme", programme_names(), key="programa", placeholder_key="filter.all_programmes")

with st.spinner(t("loading")):
    items, errors, failed = view.findings(program)
show_problem(Outcome(None, errors, failed))
if not items:
    st.info(t("achievements.none"))
    st.stop()

counts = view.counts(items)
cols = st.columns(3)
for col, status in zip(cols, counts, strict=True):
    col.metric(t(f"verdict.{status}"), counts[status])

for status, icon in (("achieved", ":material/check_circle:"), ("not_achieved", ":material/cancel:"),
                     ("not_enough", ":material/hourglass_empty:")):
    st.subheader(t(f"achievements.title.{status}"))
    st.caption(t(f"achievements.explain.{status}"))
    chosen = [i for i in items if i["finding"].status == status]
    if not chosen:
        st.caption(t("achievements.empty"))
        continue
    for item in chosen:
        with st.container(border=True):
            st.markdown(f"{icon} {item['sentence_md']}")
            if item.get("trial"):  # the programme's randomised trial of the same indicator, labelled as the trial
                st.markdown(f":material/shuffle: {item['trial']}")
            extra = [fmt.evidence_badge(item["evidence"])]
            mark = fmt.reliability(item["reliability"])
            if mark:
                extra.append(mark)
            st.markdown(" ".join(extra), help=t("evidence.badge_help"))
            notes = [x for x in (fmt.reasons(item["reasons"], item["flags"]), fmt.flags(item["flags"])) if x]
            pre, post = item["windows"]
            if isinstance(pre, str) and pre[:1].isdigit():
                notes.append(t("achievements.windows", pre=pre, post=post))
            if notes:
                st.caption(" · ".join(notes))

implementation = implementation_view.logros_sentences(
    program, "score_math" if "score_math" in set(indicators()["code"]) else None,
    fmt.in_sentence(fmt.indicator_label("score_math", indicators())))  # mid-sentence: lower case
if implementation:
    st.subheader(t("impl.logros.title"))
    st.caption(t("impl.logros.caption"))
    for line in implementation:
        st.markdown(f":material/construction: {line}")

st.subheader(t("achievements.where_title"))
with st.expander(t("achievements.where_open"), key="logros-donde", on_change="rerun") as where:
    if where.open:  # one result by department per indicator: computed only when asked for
        with st.spinner(t("loading")):
            for line in view.where_lines(items, program):
                st.markdown(line)
        st.caption(t("territory.basis"))

with st.expander(t("chart.data")):
    table(view.table(items))
st.caption(t("achievements.rules"))
