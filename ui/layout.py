"""Layout pieces every page shares: title, synthetic-data banner, safe error display."""

from __future__ import annotations

import streamlit as st

from analysis.store import StoreError
from ui.db import is_demo
from ui.i18n import t


def page_header(title_key: str, intro_key: str | None = None) -> None:
    """Title, optional one-paragraph introduction and the demo banner when the data are synthetic."""
    st.title(t(title_key))
    try:
        if is_demo():
            st.warning(t("banner.demo"), icon="🧪")
    except StoreError as exc:
        st.error(t("error.database", reason=str(exc)))
        st.stop()
    if intro_key:
        st.markdown(t(intro_key))
