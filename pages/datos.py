"""Datos: import history with rollback, upload with preview, data dictionary, data quality, templates."""

import streamlit as st

from ui import data_view as view
from ui.charts import show
from ui.export import audited_download_button
from ui.i18n import t
from ui.layout import page_header
from ui.tables import table
from ui.templates import FILE_NAMES
from ui.uploads import file_box

page_header("page.data", "data.intro")
history_tab, upload_tab, dictionary_tab, quality_tab, templates_tab = st.tabs(
    [t("data.tab_history"), t("data.tab_upload"), t("data.tab_dictionary"), t("data.tab_quality"),
     t("data.tab_templates")])

with history_tab:
    imports = view.history()
    table(view.history_table(imports))
    active = [int(i) for i in imports.loc[imports["status"] == "active", "import_id"]]
    if view.writes_allowed() and active:
        with st.form("rollback"):
            st.markdown(f"**{t('data.rollback_title')}**")
            st.caption(t("data.rollback_help"))
            chosen = st.selectbox(t("data.rollback_pick"), active, index=None, placeholder=t("filter.choose"))
            sure = st.checkbox(t("data.rollback_confirm"))
            submitted = st.form_submit_button(t("data.rollback_button"), icon=":material/undo:")
            if submitted:
                if chosen is None or not sure:
                    st.warning(t("data.rollback_need_confirm"))
                else:
                    ok, message = view.do_rollback(chosen)
                    (st.success if ok else st.error)(message)
    elif not view.writes_allowed():
        st.caption(t("data.read_only"))

with upload_tab:
    if not view.writes_allowed():
        st.caption(t("data.read_only"))
    else:
        st.caption(t("data.upload_help", limit=view.UPLOAD_LIMIT_MB))
        upload = file_box(t("data.upload_label"), view.UPLOAD_TYPES, "datos-upload", limit_mb=view.UPLOAD_LIMIT_MB)
        staged = None
        if upload is not None:
            staged, error = view.stage_upload(upload.file_id, upload.name, upload.getvalue())
            if error:
                st.error(error)
        waiting = view.pending() if upload is not None else None
        if waiting is not None:
            view.mapping_form(waiting)
        if staged is not None:
            table(view.staged_summary(staged))
            rejects = view.staged_rejects(staged)
            if len(rejects):
                st.warning(t("data.upload_rejects", n=len(rejects)))
                table(rejects)
            if len(rejects) and view.row_level_allowed():
                audited_download_button(t("data.rejects_download"), view.rejects_csv(staged),
                                        file_name=f"{upload.name}.rechazos.csv", mime="text/csv", what="rejects",
                                        details={"rows": len(rejects)}, icon=":material/download:",
                                        key="datos-rejects")
            toml = view.mapping_toml()
            if toml:
                audited_download_button(t("data.mapping_download"), toml.encode("utf-8"),
                                        file_name=f"{upload.name}.mapping.toml", mime="application/toml",
                                        what="mapping", icon=":material/download:", key="datos-mapping")
            policies = {p: t(f"data.policy.{p}") for p in ("abort", "supersede", "keep")}
            policy = st.radio(t("data.upload_conflicts"), list(policies), horizontal=True,
                              format_func=policies.get, key="datos-policy")
            if st.button(t("data.upload_commit"), type="primary", icon=":material/upload:", key="datos-commit"):
                ok, message, conflicts = view.commit_staged(policy)
                (st.success if ok else st.error)(message)
                if conflicts is not None:
                    table(conflicts)

with dictionary_tab:
    st.caption(t("data.dictionary_help"))
    table(view.dictionary())

with quality_tab:
    st.markdown(f"**{t('data.coverage_title')}**")
    show(view.coverage_chart(), key="data-coverage")
    st.markdown(f"**{t('data.missing_title')}**")
    st.caption(t("data.missing_help"))
    missing = view.missing_units()
    if missing.empty:
        st.caption(t("data.missing_none"))
    else:
        table(missing)
    table(view.missing_at_post())
    st.markdown(f"**{t('data.small_title')}**")
    st.caption(t("data.small_help"))
    table(view.small_cells())

with templates_tab:
    with st.container(border=True):
        st.markdown(f"**{t('data.kit_title')}**")
        st.caption(t("data.kit_help"))
        audited_download_button(t("data.kit_download"), view.field_kit, file_name=view.KIT_FILE,
                                mime="application/zip", what="field_kit", icon=":material/download:", key="datos-kit")
    st.caption(t("data.templates_help"))
    for kind in ("students", "roster", "motivation"):
        with st.container(border=True):
            st.markdown(f"**{t(f'data.template.{kind}')}**")
            st.caption(t(f"data.template_help.{kind}"))
            st.code(view.template_columns(kind), language=None, wrap_lines=True)
            audited_download_button(t("data.template_download", file=FILE_NAMES[kind]), view.template_bytes(kind),
                                    file_name=FILE_NAMES[kind], mime="text/csv", what="template",
                                    icon=":material/download:", key=f"template-{kind}")
    st.markdown(f"**{t('data.survey_items')}**")
    table(view.survey_items())
