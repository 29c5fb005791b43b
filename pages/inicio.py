"""Inicio: what the database holds, per programme and country."""

import streamlit as st

from analysis.disclosure import MIN_CELL, suppress_counts
from ui.i18n import number, t
from ui.layout import page_header
from ui.queries import coverage, programme_overview

page_header("page.home", "home.intro")

overview = programme_overview()
if overview.empty:
    st.info(t("home.no_programmes"))
else:
    columns = st.columns(min(len(overview), 4))
    for i, row in enumerate(overview.itertuples(index=False)):
        with columns[i % len(columns)]:
            with st.container(border=True):
                title = t("home.comparison_group") if row.program == "comparison" else row.program
                st.subheader(f"{title} · {row.country}")
                st.metric(t("home.units"), number(row.units))
                students = row.students
                st.metric(t("home.students"), f"<{MIN_CELL}" if 0 < students < MIN_CELL else number(students))
                st.caption(t("home.lab_types", types=row.lab_types or "—"))
    st.caption(t("home.overview_caption"))
    shown = suppress_counts(overview, ["students"])
    st.dataframe(shown.rename(columns=lambda c: t(f"col.{c}")), hide_index=True, width="stretch")

st.subheader(t("home.coverage_title"))
cov = coverage()
if cov.empty:
    st.info(t("home.no_data"))
else:
    st.dataframe(cov.rename(columns=lambda c: t(f"col.{c}")), hide_index=True, width="stretch")
