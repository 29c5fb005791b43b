"""Inicio: headline results per programme, then what the database holds per programme and country."""

import pandas as pd
import streamlit as st

from analysis.periods import programme_order
from ui import access, achievements_view
from ui import format as fmt
from ui.headline import headline_results, render_card
from ui.i18n import number, t
from ui.layout import page_header
from ui.loaders import programmes
from ui.queries import coverage, overview_students, programme_overview
from ui.tables import table

page_header("page.home", "home.intro")

progs = programmes()
progs = progs.assign(_o=progs["program"].map({p: i for i, p in enumerate(programme_order(progs["program"]))}))
progs = progs.sort_values(["_o", "country"])
if not progs.empty:
    st.subheader(t("home.headline.title"))
    st.caption(t("home.headline.intro"))
    with st.spinner(t("loading")):
        results = headline_results()
    columns = st.columns(min(len(progs), 3))
    for i, row in enumerate(progs.itertuples(index=False)):
        with columns[i % len(columns)]:
            render_card(row.program, row.country, results)
    st.caption(t("home.headline.caveat"))
    found, _, _ = achievements_view.findings(None)  # the same findings and counts as Logros
    if found:
        st.caption(achievements_view.counts_text(found))
    st.page_link("pages/logros.py", label=t("home.link_achievements"), icon=":material/checklist:")

st.subheader(t("home.overview_title"))
overview = programme_overview()
overview = overview.assign(_o=overview["program"].map(
    {p: i for i, p in enumerate(programme_order(overview["program"]))})).sort_values(["_o", "country"])
overview = overview.drop(columns="_o").reset_index(drop=True)
if overview.empty:
    st.info(t("home.no_programmes"))
else:
    k = access.min_cell()
    students_text = overview_students(overview, k)
    columns = st.columns(min(len(overview), 4))
    for i, row in enumerate(overview.itertuples(index=False)):
        with columns[i % len(columns)], st.container(border=True):
            st.markdown(f"##### {fmt.md(fmt.programme(row.program))}")
            st.caption(fmt.md(fmt.country(row.country)))
            st.metric(t("home.units"), number(row.units))
            st.metric(t("home.students"), students_text[i])
            lab_types = row.lab_types if isinstance(row.lab_types, str) and row.lab_types else "—"
            st.caption(t("home.lab_types", types=fmt.md(lab_types)))
    st.caption(t("home.overview_caption", k=k))
    shown = overview.assign(students=students_text)
    shown["first_start_year"] = ["" if fmt.is_missing(v) else str(int(v)) for v in shown["first_start_year"]]
    shown["program"] = shown["program"].map(fmt.programme)
    shown["country"] = shown["country"].map(fmt.country)
    shown = shown.astype(object).where(pd.notna(shown), "")
    table(shown.rename(columns=lambda c: t(f"col.{c}")))

st.subheader(t("home.coverage_title"))
cov = coverage()
if cov.empty:
    st.info(t("home.no_data"))
else:
    cov["country"] = cov["country"].map(fmt.country)
    cov["domain"] = cov["domain"].map(lambda d: t(f"domain.{d}"))
    table(cov.rename(columns=lambda c: t(f"col.{c}")))
