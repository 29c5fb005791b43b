"""A public deployment's server refuses what a visitor could use to slow it down or read its internals.

One real `streamlit run dashboard.py` with LABLENS_ACCESS=public on loopback; the hostile requests are
sent the way a browser's developer tools would: Streamlit's own protobuf messages over the websocket,
and plain HTTP (ui/server_guard.py).
"""

from __future__ import annotations

import http.client
import urllib.parse

import requests
from streamlit.proto.BackMsg_pb2 import BackendOperationRequest, BackMsg, DeferredFileRequestPayload
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

from tests.browser.conftest import serve
from ui.i18n import catalogue

XSRF_COOKIE = "_streamlit_xsrf"


class Session:
    """A websocket session that has run one page to its end."""

    def __init__(self, url: str, page: str, query: str = "", headers: dict[str, str] | None = None) -> None:
        self.ws = connect(url.replace("http://", "ws://") + "/_stcore/stream", subprotocols=["streamlit"],
                          open_timeout=20, max_size=None, additional_headers=headers).__enter__()
        self.id = ""
        self.export_disabled: list[bool] = []
        self.downloads: list[str] = []  # the deferred file ids of the download buttons of the last run
        self.run(page, query)

    def send(self, **fields) -> None:
        msg = BackMsg(**fields)
        self.ws.send(msg.SerializeToString())

    def run(self, page: str, query: str = "") -> None:
        self.send(rerun_script=ClientState(page_name=page, query_string=query))
        self.downloads = []
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(self.ws.recv(timeout=60))
            kind = msg.WhichOneof("type")
            if kind == "delta" and msg.delta.new_element.WhichOneof("type") == "download_button":
                self.downloads.append(msg.delta.new_element.download_button.deferred_file_id)
            if kind == "new_session":
                self.id = msg.new_session.initialize.session_id
                self.export_disabled.append(msg.new_session.config.disable_data_export)
            if kind == "script_finished" and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                return

    def fetch(self, file_id: str):
        """Ask for a deferred download the way the download button does; returns the server's answer."""
        request_id = f"r-{file_id}"
        self.send(backend_operation_request=BackendOperationRequest(
            request_id=request_id, session_id=self.id, deferred_file=DeferredFileRequestPayload(file_id=file_id)))
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(self.ws.recv(timeout=60))
            if msg.WhichOneof("type") == "backend_operation_response" \
                    and msg.backend_operation_response.request_id == request_id:
                return msg.backend_operation_response

    def close(self) -> None:
        self.ws.close()


def _upload(url: str, session_id: str, http: requests.Session, body: bytes) -> requests.Response:
    token = http.cookies.get(XSRF_COOKIE)
    return http.put(f"{url}/_stcore/upload_file/{session_id}/hostile-file", headers={"X-Xsrftoken": token},
                    files={"file": ("frame.csv", body, "text/csv")}, timeout=20)


def _claimed_length(url: str, session_id: str, token: str, length: int) -> int:
    """The status of a PUT that announces ``length`` bytes and sends none of them."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    conn.putrequest("PUT", f"/_stcore/upload_file/{session_id}/big")
    for name, value in (("Content-Length", str(length)), ("X-Xsrftoken", token),
                        ("Cookie", f"{XSRF_COOKIE}={token}"), ("Content-Type", "multipart/form-data; boundary=x")):
        conn.putheader(name, value)
    conn.endheaders()
    status = conn.getresponse().status
    conn.close()
    return status


def test_a_public_server_refuses_cache_clearing_stray_uploads_and_metrics(browser_db, tmp_path, monkeypatch):
    monkeypatch.setenv("LABLENS_ACCESS", "public")
    monkeypatch.setenv("LABLENS_DOWNLOADS_PER_MINUTE", "1")  # the build limit of downloads (ui/export.py)
    with serve(browser_db, tmp_path) as url:
        http = requests.Session()
        http.get(url + "/_stcore/health", timeout=20)  # sets the XSRF cookie a browser would send back
        assert http.cookies.get(XSRF_COOKIE)
        home = Session(url, "inicio")
        pilot = Session(url, "piloto", "fuente=file")
        try:
            # the table toolbar's export (unaudited) is off for every page drawn after the first run
            assert pilot.export_disabled and all(pilot.export_disabled)

            # metrics: 404 (on an open install Streamlit answers 200 with cache and session counts)
            assert http.get(f"{url}/_stcore/metrics", timeout=20).status_code == 404

            # an upload to a session whose page has no uploader is refused before its body is read
            hostile = _upload(url, home.id, http, b"school,name\n1,x\n")
            assert hostile.status_code == 403, hostile.text
            # ...while the Piloto page's uploader still works (the same request, the session that drew it)
            assert _upload(url, pilot.id, http, b"school_id,name\n1,x\n").status_code == 204
            # ...up to its stated limit (50 MB): a larger announced body is refused without being read
            assert _claimed_length(url, pilot.id, http.cookies.get(XSRF_COOKIE), 60 * 1024 * 1024) == 413

            # clear_cache (and git / run-on-save) messages are dropped; the session keeps working
            for _ in range(3):
                home.send(clear_cache=True)
            home.send(load_git_info=True)
            home.run("inicio")

            # downloads: one build a minute per address here; a new build asked for at once is refused with
            # the visitor's own sentence (not Streamlit's generic failure), a repeated one is served. The
            # server sits behind a local proxy (loopback peer): the address is the one the proxy states.
            data = Session(url, "datos", headers={"X-Real-IP": "198.51.100.1"})
            other = Session(url, "datos", headers={"X-Forwarded-For": "10.0.0.1, 198.51.100.2"})
            try:
                first = data.fetch(data.downloads[0])
                assert first.deferred_file.url and not first.error_msg
                assert data.fetch(data.downloads[0]).deferred_file.url  # the same file again: no new build
                data.run("datos")
                refused = data.fetch(data.downloads[0])
                before, after = catalogue("es")["export.rate"].split("{seconds}")
                wait = refused.error_msg.removeprefix(before).removesuffix(after)
                assert refused.error_msg == before + wait + after and 0 < int(wait) <= 60, refused.error_msg
                assert not refused.deferred_file.url
                served = other.fetch(other.downloads[0])  # another visitor behind the same proxy is not held
                assert served.deferred_file.url and not served.error_msg
            finally:
                data.close()
                other.close()
        finally:
            home.close()
            pilot.close()
        log = next(tmp_path.glob("streamlit-*.log")).read_text()
    assert log.count("refused a clear_cache message") == 3
    assert "refused a load_git_info message" in log
    assert "Clearing" not in log


def test_readme_states_the_proxy_rule_for_the_moments_before_the_first_page():
    """Before its first page the process has not installed the guard: README's "Deploy" has the proxy rule."""
    from tests.conftest import ROOT

    deploy = (ROOT / "README.md").read_text(encoding="utf-8").split("## Deploy", 1)[1].split("\n## ", 1)[0]
    assert "location = /_stcore/metrics { return 404; }" in deploy and "ui/server_guard.py" in deploy
