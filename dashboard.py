"""LabLens router: page config, language, navigation — nothing else (docs/DESIGN.md, "Architecture")."""

from pathlib import Path

import streamlit as st

from ui import access, server_guard
from ui.i18n import LANGUAGE_NAMES, LANGUAGES, browser_language, t

# a public deployment refuses cache clearing, stray uploads, metrics and unaudited table exports (ui/server_guard.py)
server_guard.install(access.settings().access == "public")
# a file served by this server: an emoji makes Streamlit load its emoji catalogue (1 s) on every process's first
# view, and a Material icon favicon is fetched from an internet font host (nothing LabLens shows may need one)
st.set_page_config(page_title="LabLens", page_icon=str(Path(__file__).parent / "ui" / "static" / "favicon.png"),
                   layout="wide")

# the language is always in the URL, so a shared link opens in the sender's language whatever the reader's
# browser says (a bound widget would drop it when it equals the default); the choice shows its own name
if st.query_params.get("lang") in LANGUAGES:  # the URL decides (a shared link, the back button)
    if st.session_state.get("lang") != st.query_params["lang"]:
        st.session_state["lang"] = st.query_params["lang"]
elif st.session_state.get("lang") not in LANGUAGES:
    st.session_state["lang"] = browser_language()
if st.query_params.get("lang") != st.session_state["lang"]:
    st.query_params["lang"] = st.session_state["lang"]
# on a phone the plotly toolbar would sit over the legend (it wraps across the whole width): hidden below 640 px,
# where Streamlit also stacks columns; the chart's data stay one tap away ("Datos del gráfico")
st.html("<style>@media (max-width: 640px) { .js-plotly-plot .modebar-container { display: none !important; } }"
        "</style>")
with st.sidebar:
    st.selectbox(t("nav.language"), LANGUAGES, format_func=LANGUAGE_NAMES.get, key="lang",
                 on_change=lambda: st.query_params.update(lang=st.session_state["lang"]), persist_state="session")
    access.sidebar()

home = st.Page("pages/inicio.py", title=t("page.home"), icon=":material/home:", url_path="portada", default=True)


def _home_by_name() -> None:
    """/inicio (the home page's name, as links and people write it) opens the home page, not "Page not found"."""
    st.switch_page(home, query_params=st.query_params.to_dict())


pages = [
    home,
    st.Page(_home_by_name, title=t("page.home"), url_path="inicio", visibility="hidden"),
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
