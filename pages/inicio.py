"""Inicio: what the database holds, per programme and country."""

import pandas as pd
import streamlit as st

from analysis.disclosure import MIN_CELL, suppress_counts
from ui.i18n import number, t
from ui.layout import page_header
from ui.queries import coverage, programme_overview

page_header("page.home", "home.intro")


def programme_name(program: str) -> str:
    return t("home.comparison_group") if program == "comparison" else (
        t("home.unassigned") if program == "unassigned" else program)


overview = programme_overview()
if overview.empty:
    st.info(t("home.no_programmes"))
else:
    columns = st.columns(min(len(overview), 4))
    for i, row in enumerate(overview.itertuples(index=False)):
        with columns[i % len(columns)], st.container(border=True):
            st.markdown(f"#### {programme_name(row.program)}")
            st.caption(t(f"country.{row.country}"))
            st.metric(t("home.units"), number(row.units))
            students = int(row.students)
            st.metric(t("home.students"), f"<{MIN_CELL}" if 0 < students < MIN_CELL else number(students))
            lab_types = row.lab_types if isinstance(row.lab_types, str) and row.lab_types else "—"
            st.caption(t("home.lab_types", types=lab_types))
    st.caption(t("home.overview_caption"))
    shown = suppress_counts(overview, ["students"])
    shown["program"] = shown["program"].map(programme_name)
    shown["country"] = shown["country"].map(lambda c: t(f"country.{c}"))
    shown = shown.astype(object).where(pd.notna(shown), "")
    st.dataframe(shown.rename(columns=lambda c: t(f"col.{c}")), hide_index=True, width="stretch")

st.subheader(t("home.coverage_title"))
cov = coverage()
if cov.empty:
    st.info(t("home.no_data"))
else:
    cov["country"] = cov["country"].map(lambda c: t(f"country.{c}"))
    cov["domain"] = cov["domain"].map(lambda d: t(f"domain.{d}"))
    st.dataframe(cov.rename(columns=lambda c: t(f"col.{c}")), hide_index=True, width="stretch")
