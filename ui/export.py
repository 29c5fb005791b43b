"""Downloads: spreadsheet-safe files, and the one download button every page uses, which audits each download.

The writers live in ``analysis.safe_export`` so that the Evidencia page and ``python -m analysis export``
share one implementation (issue #5). :func:`audited_download_button` is the only way a page offers a file:
every click writes an ``export`` line to the audit log (``analysis.audit``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

import streamlit as st

from analysis import audit
from analysis.safe_export import csv_bytes, parquet_bytes, xlsx_bytes, zip_bytes
from ui import access
from ui.db import db_path

__all__ = ["audited_download_button", "csv_bytes", "parquet_bytes", "xlsx_bytes", "zip_bytes"]

Payload = bytes | str


def audited_download_button(label: str, data: Callable[[], Payload] | Payload, *, file_name: str, mime: str,
                            what: str, details: Mapping[str, object] | None = None, container=None,
                            **kwargs: object) -> None:
    """``st.download_button`` whose every download leaves an audit record: who, which file, what it holds.

    ``data`` is the file or a function building it; the file is built on click (Streamlit's deferred
    download), in a thread that has no session. So who downloads, with which role and at which
    suppression threshold is read now, while the button is drawn, and the record is written when the file
    has been built: once per download, not per page view (the file itself is built once per drawn
    button). ``what`` names the content ("evidence", "table", "roster", ...); ``details`` adds what
    identifies it (indicators, design, grouping).
    Further keyword arguments go to ``st.download_button`` (``key``, ``icon``, ``help``, ...).
    """
    entry = {"what": what, "file": file_name, "role": access.role(), "min_cell": access.min_cell(),
             "source": "dashboard", **dict(details or {})}
    where, who = db_path(), access.actor()
    built: list[Payload] = []
    lock = threading.Lock()

    def build() -> Payload:
        # built once per drawn button: a visitor repeating the request (the browser's developer tools can)
        # gets the same bytes again instead of making the server rebuild an evidence pack each time
        with lock:
            if not built:
                built.append(data() if callable(data) else data)
        audit.record(where, "export", who, **entry)
        return built[0]

    kwargs.setdefault("on_click", "ignore")
    (container or st).download_button(label, data=build, file_name=file_name, mime=mime, **kwargs)
