"""LabLens router: page config, language, navigation — nothing else (docs/DESIGN.md, "Architecture")."""

from pathlib import Path

import streamlit as st

from ui import access, server_guard
from ui.i18n import LANGUAGES, browser_language, t

# a public deployment refuses cache clearing, stray uploads, metrics and unaudited table exports (ui/server_guard.py)
server_guard.install(access.settings().access == "public")
# a file served by this server: an emoji makes Streamlit load its emoji catalogue (1 s) on every process's first
# view, and a Material icon favicon is fetched from an internet font host (nothing LabLens shows may need one)
st.set_page_config(page_title="LabLens", page_icon=str(Path(__file__).parent / "ui" / "static" / "favicon.png"),
                   layout="wide")

with st.sidebar:
    st.selectbox(t("nav.language"), LANGUAGES, index=LANGUAGES.index(browser_language()), key="lang",
                 bind="query-params")
    access.sidebar()

pages = [
    st.Page("pages/inicio.py", title=t("page.home"), icon=":material/home:", url_path="inicio", default=True),
    st.Page("pages/comparar.py", title=t("page.compare"), icon=":material/compare_arrows:", url_path="comparar"),
    st.Page("pages/regiones.py", title=t("page.regions"), icon=":material/map:", url_path="regiones"),
    st.Page("pages/escuelas.py", title=t("page.schools"), icon=":material/school:", url_path="escuelas"),
    st.Page("pages/logros.py", title=t("page.achievements"), icon=":material/checklist:", url_path="logros"),
    st.Page("pages/implementacion.py", title=t("page.implementation"), icon=":material/construction:",
            url_path="implementacion"),
    st.Page("pages/piloto.py", title=t("page.pilot"), icon=":material/science:", url_path="piloto"),
    st.Page("pages/evidencia.py", title=t("page.evidence"), icon=":material/table_view:", url_path="evidencia"),
    st.Page("pages/datos.py", title=t("page.data"), icon=":material/database:", url_path="datos"),
    st.Page("pages/metodos.py", title=t("page.methods"), icon=":material/menu_book:", url_path="metodos"),
]
st.navigation(pages).run()
