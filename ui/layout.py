"""Layout pieces every page shares: title, synthetic-data banner, safe error display."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

from analysis.db.connect import StoreError
from ui.db import is_demo, pin_snapshot
from ui.i18n import t

ROUTER = Path(__file__).resolve().parents[1] / "dashboard.py"


def ensure_router() -> None:
    """Run pages through dashboard.py's st.navigation even when a deep link is a process's first request.

    Streamlit treats an app with a ``pages/`` folder as a legacy multipage app until some session calls
    ``st.navigation``; a first request for ``/evidencia`` would then run the page script alone, without
    the router (no language selector, file names in the sidebar). Switching the flag and rerunning
    makes the rerun start from dashboard.py, which resolves the same URL to the same page.

    The test is whether this run started from dashboard.py (a frame of it is on the stack), not the
    process-wide flag: two sessions opening deep links at once would otherwise race — the first flips
    the flag, and the second, already running its page without the router, would stay that way.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if not _inside_router():
        PagesManager.uses_pages_directory = False
        st.rerun()


def _inside_router() -> bool:
    """Whether this page script was started by dashboard.py's st.navigation (a frame of it is running)."""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.endswith("dashboard.py") and Path(name).resolve() == ROUTER:
            return True
        frame = frame.f_back
    return False


def page_header(title_key: str, intro_key: str | None = None) -> None:
    """Title, optional one-paragraph introduction and the demo banner when the data are synthetic."""
    ensure_router()
    pin_snapshot()
    st.title(t(title_key))
    try:
        if is_demo():
            st.warning(t("banner.demo"), icon=":material/science:")
    except StoreError as exc:
        st.error(t("error.database", reason=str(exc)))
        st.stop()
    if intro_key:
        st.markdown(t(intro_key))
