"""Downloads: spreadsheet-safe files, and the one download button every page uses, which audits each download.

The writers live in ``analysis.safe_export`` so that the Evidencia page and ``python -m analysis export``
share one implementation (issue #5). :func:`audited_download_button` is the only way a page offers a file:
every click writes an ``export`` line to the audit log (``analysis.audit``). On a public deployment the
files built on click are limited (``analysis.throttle.BuildLimiter``): a visitor gets a few builds a minute,
every session shares a small number of build slots, and a refusal names the seconds to wait and is audited.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace

import streamlit as st

from analysis import audit
from analysis.safe_export import csv_bytes, parquet_bytes, xlsx_bytes, zip_bytes
from analysis.throttle import BuildLimiter, BuildPolicy
from ui import access, server_guard
from ui.db import db_path
from ui.i18n import t

__all__ = ["audited_download_button", "csv_bytes", "parquet_bytes", "xlsx_bytes", "zip_bytes"]

Payload = bytes | str
BUILD_POLICY = BuildPolicy()  # per minute; per_client and concurrent come from access.settings()


class BuildRefused(RuntimeError):
    """A file build a public deployment held back; the message is the visitor's sentence."""


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
    conf = access.settings()
    limited = callable(data) and conf.access == "public"
    policy = replace(BUILD_POLICY, per_client=conf.downloads_per_minute, concurrent=conf.concurrent_downloads)
    guard = _limits(where, who, file_name, policy, signed_in=entry["role"] != "public") if limited else None
    built: list[Payload] = []
    lock = threading.Lock()

    def build() -> Payload:
        # built once per drawn button: a visitor repeating the request (the browser's developer tools can)
        # gets the same bytes again instead of making the server rebuild an evidence pack each time
        with lock:
            if not built:
                with guard() if guard else contextlib.nullcontext():
                    built.append(data() if callable(data) else data)
        audit.record(where, "export", who, **entry)
        return built[0]

    kwargs.setdefault("on_click", "ignore")
    (container or st).download_button(label, data=build, file_name=file_name, mime=mime, **kwargs)


def _limits(where: str, who: str, file_name: str, policy: BuildPolicy, *,
            signed_in: bool) -> Callable[[], contextlib.AbstractContextManager]:
    """The public deployment's build limits for a button drawn now (the build runs later, without a session):
    a public visitor is rate limited per client and waits ``queue_wait`` s at most for a build slot; a
    signed-in researcher or admin only shares the slots, waiting up to ``signed_in_wait`` s."""
    client = access.client()
    sentences = {reason: t(f"export.{reason}", seconds="{seconds}") for reason in ("rate", "busy")}

    def refuse(reason: str, wait: float) -> BuildRefused:
        audit.record(where, "denied", who, permission="export", reason=reason, file=file_name, client=client)
        message = sentences[reason].format(seconds=max(1, math.ceil(wait)))
        server_guard.explain_download_refusal(message)
        return BuildRefused(message)

    @contextlib.contextmanager
    def guard() -> Iterator[None]:
        limiter = BuildLimiter(where, policy)
        if not signed_in:
            verdict = limiter.admit(client)
            if not verdict.allowed:
                raise refuse("rate", verdict.wait)
        with limiter.building(policy.signed_in_wait if signed_in else policy.queue_wait) as got:
            if not got:
                raise refuse("busy", policy.queue_wait)
            yield

    return guard
