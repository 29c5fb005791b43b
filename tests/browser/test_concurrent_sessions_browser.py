"""Four dashboard sessions read pages while a CLI import publishes a new snapshot: no error, no mixed page.

The sessions speak the browser's own protocol to a real `streamlit run dashboard.py` (Streamlit's protobuf messages
over the websocket, as tests/browser/test_public_server.py does): what is under test is the server, whose every
script run must read one snapshot; a page's reading is the complete list of elements one run sent, so no reading is
caught half drawn. Chromium rendering those pages is tested on every page in test_pages_browser.py and
test_words_browser.py (with four Chromium sessions this test took 21-23 s of CPU, now about 14 s).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import duckdb
import pytest
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

from tests.browser.conftest import serve
from tests.conftest import ROOT

SESSIONS = 4  # enough readers to overlap a publication; eight took 42 s for the same proof
PROGRAMME = "Concurrencia"
CARDS_DRAWN = "Conteos de estudiantes menores que"


@pytest.fixture(scope="module")
def busy_app(browser_db, tmp_path_factory):
    """A server of its own on a copy of the browser database (this test imports into it)."""
    work = tmp_path_factory.mktemp("concurrent")
    db = work / "lablens.duckdb"
    shutil.copyfile(browser_db, db)
    with serve(db, work) as url:
        yield url, db, work


def _roster(db, path) -> None:
    """Six Guatemalan comparison schools of the demo join a new programme."""
    with duckdb.connect(str(db), read_only=True) as con:
        codes = [r[0] for r in con.execute("""SELECT u.code FROM assignments a JOIN units u USING (unit_id)
            WHERE a.program = 'comparison' AND u.country = 'GT' AND u.unit_type = 'school'
            ORDER BY u.code LIMIT 6""").fetchall()]
    assert len(codes) == 6
    rows = "".join(f"GT;escuela;{c};{PROGRAMME};Lab Spark;2024\n" for c in codes)
    path.write_text("pais;tipo_unidad;codigo;programa;tipo_laboratorio;anio_inicio\n" + rows, encoding="utf-8")


class Reading:
    """Inicio opened in a new session (a page load: its own websocket), up to the end of its last script run:
    its metrics (label, value, delta), its texts, and the errors it showed (an exception or an error alert)."""

    def __init__(self, url: str) -> None:
        self.ws = connect(url.replace("http://", "ws://") + "/_stcore/stream", subprotocols=["streamlit"],
                          open_timeout=60, max_size=None).__enter__()  # closed in finish()
        self.ws.send(BackMsg(rerun_script=ClientState(page_name="inicio", query_string="lang=es"))
                     .SerializeToString())

    def finish(self) -> tuple[tuple, list[str], list[str]]:
        metrics: list[str] = []
        texts: list[str] = []
        errors: list[str] = []
        try:
            while True:
                msg = ForwardMsg()
                msg.ParseFromString(self.ws.recv(timeout=120))
                kind = msg.WhichOneof("type")
                if kind == "new_session":  # a script run starts (the first ones stop early for the page's rerun)
                    metrics, texts, errors = [], [], []
                elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                    element = msg.delta.new_element
                    shape = element.WhichOneof("type")
                    if shape == "metric":
                        metrics.append("\n".join((element.metric.label, element.metric.body, element.metric.delta)))
                    elif shape in ("markdown", "heading"):
                        texts.append(getattr(element, shape).body)
                    elif shape == "exception" or (shape == "alert" and element.alert.format == Alert.Format.ERROR):
                        errors.append(str(element)[:300])
                elif kind == "script_finished" and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    return tuple(sorted(metrics)), texts, errors
        finally:
            self.ws.close()


def _read_all(url: str, sessions: int) -> list[tuple]:
    """Load Inicio in every session at once; each page's metrics (label and value) as its fingerprint."""
    pending = [Reading(url) for _ in range(sessions)]
    shown = []
    for reading in pending:
        metrics, texts, errors = reading.finish()
        assert errors == [], errors
        assert any(CARDS_DRAWN in text for text in texts)  # the caption under the programme cards: the page ran whole
        assert metrics
        shown.append((metrics, PROGRAMME in "\n".join(texts)))
    return shown


def test_sessions_read_during_an_import_without_errors_or_mixed_pages(busy_app) -> None:
    url, db, work = busy_app
    roster = work / "roster.csv"
    _roster(db, roster)
    started = time.monotonic()
    # one session fills the result caches, so the others do not compute them at once; its reading counts
    before = [m for m, _ in _read_all(url, 1) + _read_all(url, SESSIONS - 1)]
    old = max(before, key=len)
    assert all(set(shown) <= set(old) for shown in before), "the sessions disagree before the import"
    importer = subprocess.Popen([sys.executable, "-m", "analysis", "import", str(roster), "--db", str(db)],
                                cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    during: list[tuple] = []
    rounds = 0
    while rounds == 0 or (importer.poll() is None and rounds < 3):  # every session reloads while it runs
        during += [m for m, _ in _read_all(url, SESSIONS)]
        rounds += 1
    _, err = importer.communicate(timeout=60)
    assert importer.returncode == 0, err
    after_pages = _read_all(url, 1) + _read_all(url, SESSIONS - 1)
    after = [m for m, _ in after_pages]
    new = max(after, key=len)
    assert all(set(shown) <= set(new) for shown in after)
    assert new != old  # the new programme's card adds metrics
    assert all(named for _, named in after_pages)  # every session shows the new programme
    only_old, only_new = set(old) - set(new), set(new) - set(old)
    assert only_new  # the new programme's card and its results
    # a page read during the import holds values of one snapshot only: never a value of neither, never
    # values only the old snapshot has beside values only the new one has
    mixed = [m for m in during if not set(m) <= set(old) | set(new) or (set(m) & only_old and set(m) & only_new)]
    assert mixed == [], [(sorted(set(m) - set(old) - set(new)), sorted(set(m) & only_old),
                          sorted(set(m) & only_new)) for m in mixed]
    whole = sum(m in (old, new) for m in during)
    assert whole >= len(during) // 2  # most readings are complete pages, so the check has teeth
    print(f"{SESSIONS} sessions, {len(during) + 2 * SESSIONS} page reads in {time.monotonic() - started:.1f} s "
          f"({len(during)} while the import ran: {during.count(old)} old, {during.count(new)} new, "
          f"{len(during) - whole} partial), 0 errors, 0 mixed pages")
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM assignments WHERE program = ?", [PROGRAMME]).fetchall() == [(6,)]
