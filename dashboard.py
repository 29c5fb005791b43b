"""LabLens router: page config, language, navigation — nothing else (DESIGN.md, "Architecture")."""

import streamlit as st

from ui.i18n import LANGUAGES, browser_language, t

st.set_page_config(page_title="LabLens", page_icon="🔬", layout="wide")

with st.sidebar:
    st.selectbox(t("nav.language"), LANGUAGES, index=LANGUAGES.index(browser_language()), key="lang",
                 bind="query-params")

pages = [
    st.Page("pages/inicio.py", title=t("page.home"), icon="🏠", url_path="inicio", default=True),
]
st.navigation(pages).run()
