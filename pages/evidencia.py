"""Evidencia: build a table of results (indicators x design x grouping), view it, download it."""

import streamlit as st

from ui import evidence_view as view
from ui import format as fmt
from ui.access import min_cell
from ui.export import audited_download_button
from ui.filters import pick, pick_many
from ui.i18n import current_language, t
from ui.layout import page_header
from ui.loaders import indicators, show_problem
from ui.tables import table as show_table

page_header("page.evidence", "evidence.intro")

options = view.indicator_options()
if not options:
    st.info(t("home.no_data"))
    st.stop()
default = [c for c in ("score_math", "motivation_index", "dropout_rate") if c in options] or options[:1]
c1, c2, c3 = st.columns([2, 1, 1])
codes = pick_many("filter.indicators", options, key="indicadores", default=default, container=c1,
                  labels=lambda c: fmt.indicator_label(c, indicators()),
                  help_text=t("filter.indicator_help"))
design = pick("filter.design", view.DESIGNS, key="diseno", default=view.DESIGNS[0], container=c2,
              labels=fmt.design_option,
              help_text=t("filter.design_help"))
by = pick("filter.group_by", view.GROUPINGS, key="agrupar", placeholder_key="filter.no_grouping", container=c3,
          labels=fmt.field_option,
          help_text=t("filter.group_by_help"))
if not codes:
    st.info(t("evidence.pick_indicators"))
    st.stop()

with st.spinner(t("loading")):
    table, outcome = view.build(codes, design, by)
show_problem(outcome)
if table.empty:
    st.stop()

show_table(view.view(table, design, by))
st.caption(view.caption(table))

# the files are built on click, outside this run: the threshold, language and view address are read now
stem, threshold, lang = view.file_stem(design, by), min_cell(), current_language()
licences = view.licence_labels()
licence = st.selectbox(t("evidence.licence"), list(licences), format_func=licences.get, key="evidencia-licencia",
                       help=t("evidence.licence_help"))
url = view.view_url()
d1, d2, d3, _ = st.columns([1, 1, 1, 1])
audited_download_button(t("evidence.download_csv"), lambda: view.csv_download(codes, design, by, threshold),
                        file_name=f"{stem}.csv", mime="text/csv", what="evidence", container=d1,
                        details=view.download_details(codes, design, by, "csv"), icon=":material/download:")
audited_download_button(t("evidence.download_xlsx"), lambda: view.xlsx_download(codes, design, by, threshold, lang),
                        file_name=f"{stem}.xlsx", what="evidence", container=d2,
                        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        details=view.download_details(codes, design, by, "xlsx"), icon=":material/download:")
audited_download_button(t("evidence.download_pack"),
                        lambda: view.pack_download(codes, design, by, threshold, lang, url, licence),
                        file_name=f"{stem}_evidence_pack.zip", mime="application/zip", what="evidence", container=d3,
                        details={**view.download_details(codes, design, by, "zip"), "licence": licence},
                        icon=":material/folder_zip:", help=t("evidence.download_pack_help"))
st.caption(t("evidence.download_caption"))
