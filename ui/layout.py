"""Layout pieces every page shares: title, synthetic-data banner, safe error display."""

from __future__ import annotations

import streamlit as st

from analysis.store import StoreError
from ui.db import is_demo
from ui.i18n import t


def ensure_router() -> None:
    """Run pages through dashboard.py's st.navigation even when a deep link is a process's first request.

    Streamlit treats an app with a ``pages/`` folder as a legacy multipage app until some session calls
    ``st.navigation``; a first request for ``/evidencia`` would then run the page script alone, without
    the router (no language selector, file names in the sidebar). Switching the flag and rerunning
    makes the rerun start from dashboard.py, which resolves the same URL to the same page.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def page_header(title_key: str, intro_key: str | None = None) -> None:
    """Title, optional one-paragraph introduction and the demo banner when the data are synthetic."""
    ensure_router()
    st.title(t(title_key))
    try:
        if is_demo():
            st.warning(t("banner.demo"), icon=":material/science:")
    except StoreError as exc:
        st.error(t("error.database", reason=str(exc)))
        st.stop()
    if intro_key:
        st.markdown(t(intro_key))
