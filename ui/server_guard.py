"""A public deployment's Streamlit server: what a visitor's browser may ask of the server itself.

Streamlit serves, beside the pages, requests any browser can forge whatever the page shows:

- a ``clear_cache`` message (meant for the developer menu) empties every cache of every session, so a
  visitor repeating it keeps the site slow for everyone; ``load_git_info`` runs ``git`` on the server and
  ``set_run_on_save`` changes how the server reloads code;
- ``PUT /_stcore/upload_file/<session>/<file>`` stores a file in memory for any live session, even one
  whose page has no file uploader, up to ``server.maxUploadSize`` per file and without a count limit;
- ``GET /_stcore/metrics`` publishes cache sizes and session counts;
- the table toolbar's CSV download and clipboard copy export a table without an audit record;
- a download built on click reports any failure as Streamlit's generic "Failed to generate file".

With ``access = "public"`` (:mod:`ui.access`), :func:`install` refuses all of these in-process:
the three messages are dropped (logged); the metrics endpoint answers 404; an upload is accepted only
from a session whose current page drew a file uploader, with a ``Content-Length`` within that
uploader's limit, and a session keeps at most one uploaded file (every uploader of LabLens takes one);
``client.disableDataExport`` is switched on. A download the build limits of :mod:`ui.export` held back
answers with its own sentence (:func:`explain_download_refusal`: "try again in N s") instead of the generic
failure. The patches hook class methods of Streamlit and Starlette
(Streamlit has no server hook an app script can register; README, "Deploy", names the proxy rules that
give the same protection in front of the process), and are installed by dashboard.py on its first run,
before any page is drawn. An open (local) install is left exactly as Streamlit ships it.
"""

from __future__ import annotations

import contextvars
import re
import sys
from typing import Any

from streamlit import config
from streamlit.logger import get_logger
from streamlit.runtime import Runtime
from streamlit.runtime.app_session import AppSession

_LOGGER = get_logger("lablens.server_guard")

REFUSED_MESSAGES = frozenset({"clear_cache", "load_git_info", "set_run_on_save"})
UPLOAD_PATH = re.compile(r"(?:^|/)_stcore/upload_file/(?P<session>[^/]+)/(?P<file>[^/]+)/?$")
METRICS_PATH = re.compile(r"(?:^|/)_stcore/metrics/?$")
#: Uploader widget key -> the module stating its ``UPLOAD_LIMIT_MB`` (read from the loaded module: a page that drew
#: the uploader has imported it; importing it here would slow every first page view by its imports).
UPLOADERS: dict[str, str] = {"datos-upload": "ui.data_view", "pilot-frame-upload": "ui.pilot_view"}
DEFAULT_UPLOAD_MB = 50  # an uploader not listed above
_FILE_UPLOADER = "file_uploader_state_value"

_state: dict[str, Any] = {"public": False, "installed": False, "export_configured": False}


def is_public() -> bool:
    """Whether the guard is active (set by :func:`install`)."""
    return bool(_state["public"])


def install(public: bool) -> None:
    """Switch the guard on (``public=True``) or off; the class patches are applied once per process."""
    if not _state["installed"]:
        _state["export_configured"] = bool(config.get_option("client.disableDataExport"))
    _state["public"] = bool(public)
    export_off = bool(public) or _state["export_configured"]
    if config.get_option("client.disableDataExport") != export_off:
        config.set_option("client.disableDataExport", export_off, "LabLens public access (ui/server_guard.py)")
    if _state["installed"]:
        return
    _patch_backmsg()
    _patch_http()
    _patch_deferred_downloads()
    _state["installed"] = True


# --- websocket messages ----------------------------------------------------------------------------------


def refuses(message_type: str | None) -> bool:
    """Whether a message from a visitor's browser is dropped (only while public)."""
    return is_public() and message_type in REFUSED_MESSAGES


def _patch_backmsg() -> None:
    original = AppSession.handle_backmsg

    def handle_backmsg(self: AppSession, msg: Any) -> None:
        kind = msg.WhichOneof("type")
        if refuses(kind):
            _LOGGER.warning("public access: refused a %s message from session %s", kind, self.id)
            return
        original(self, msg)

    handle_backmsg.__wrapped__ = original  # type: ignore[attr-defined]
    AppSession.handle_backmsg = handle_backmsg  # type: ignore[method-assign]


# --- HTTP endpoints --------------------------------------------------------------------------------------


def _session(session_id: str) -> AppSession | None:
    if not Runtime.exists():
        return None
    info = Runtime.instance()._session_mgr.get_active_session_info(session_id)
    return info.session if info is not None else None


def upload_limit_mb(session: AppSession | None) -> int | None:
    """The largest upload this session's current page accepts (MB), or None when it drew no file uploader."""
    if session is None:
        return None
    metadata = session.session_state._new_widget_state.widget_metadata
    limits = [_limit(wid) for wid, meta in list(metadata.items()) if meta.value_type == _FILE_UPLOADER]
    return max(limits) if limits else None


def _limit(widget_id: str) -> int:
    module = next((m for key, m in UPLOADERS.items() if widget_id.endswith("-" + key)), None)
    return int(getattr(sys.modules.get(module or ""), "UPLOAD_LIMIT_MB", DEFAULT_UPLOAD_MB))


def http_refusal(method: str, path: str, headers: dict[str, str]) -> tuple[int, str] | None:
    """(status, reason) when a public server refuses this request; None to let Streamlit answer it.

    An upload let through first drops the files the session holds (one file per session)."""
    if not is_public():
        return None
    if METRICS_PATH.search(path):
        return 404, "metrics are not public"
    found = UPLOAD_PATH.search(path)
    if found is None or method != "PUT":
        return None
    session = _session(found["session"])
    limit = upload_limit_mb(session)
    if limit is None:
        return 403, "this page has no file uploader"
    try:
        length = int(headers.get("content-length", ""))
    except ValueError:
        return 411, "an upload must state its length"
    if length > limit * 1024 * 1024 + 64 * 1024:  # the multipart framing around the file
        return 413, "larger than this page's uploader accepts"
    Runtime.instance().uploaded_file_mgr.remove_session_files(found["session"])  # one file per session
    return None


def _patch_http() -> None:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse

    original = Starlette.__call__

    async def __call__(self: Starlette, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") == "http" and is_public():
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            refusal = http_refusal(scope.get("method", ""), scope.get("path", ""), headers)
            if refusal is not None:
                _LOGGER.warning("public access: refused %s %s (%s)", scope.get("method"), scope.get("path"),
                                refusal[1])
                await PlainTextResponse(refusal[1], status_code=refusal[0])(scope, receive, send)
                return
        await original(self, scope, receive, send)

    __call__.__wrapped__ = original  # type: ignore[attr-defined]
    Starlette.__call__ = __call__  # type: ignore[method-assign]


# --- deferred downloads ----------------------------------------------------------------------------------

#: While a deferred download is built: the sentences its refusal should show (a list, so the worker thread
#: that runs the build, which gets a copy of this context, fills the same list the handler reads).
_REFUSAL: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("lablens_download_refusal",
                                                                             default=None)


def explain_download_refusal(message: str) -> None:
    """Have the download button that asked for the build being refused show ``message`` (the build then raises)."""
    box = _REFUSAL.get()
    if box is not None:
        box.append(message)


def _patch_deferred_downloads() -> None:
    from streamlit.runtime.backend_operation_handler import DeferredFileHandler

    original = DeferredFileHandler.handle

    async def handle(self: DeferredFileHandler, request: Any, session_id: str) -> Any:
        box: list[str] = []
        token = _REFUSAL.set(box)
        try:
            response = await original(self, request, session_id)
        finally:
            _REFUSAL.reset(token)
        if box and response.error_msg:
            response.error_msg = box[-1]
        return response

    handle.__wrapped__ = original  # type: ignore[attr-defined]
    DeferredFileHandler.handle = handle  # type: ignore[method-assign]
