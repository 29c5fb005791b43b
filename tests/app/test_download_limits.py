"""A public deployment's downloads cannot be used to slow the site (ui/export.py, analysis/throttle.py).

Hostile input: many sessions from many addresses asking for files at once, and one address asking again and
again. A build lasts until the test lets it finish, so builds overlap whatever the machine's load. Each
session is its own AppTest run; the file is built the way Streamlit builds a deferred download, in another
thread without a script context.
"""

from __future__ import annotations

import threading
import time

import pytest
from streamlit.testing.v1 import AppTest

from analysis.audit import entries
from analysis.throttle import BuildPolicy
from ui import export
from ui.i18n import catalogue

_active = {"now": 0, "most": 0, "built": 0}
_active_lock = threading.Lock()
_finish = threading.Event()  # set: builds finish at once; cleared: they run until it is set


def slow_build() -> bytes:
    """An expensive file: records how many builds run at once."""
    with _active_lock:
        _active["now"] += 1
        _active["most"] = max(_active["most"], _active["now"])
    _finish.wait(20)
    with _active_lock:
        _active["now"] -= 1
        _active["built"] += 1
    return b"pack"


def _app():
    from tests.app.test_download_limits import slow_build
    from ui.export import audited_download_button

    audited_download_button("pack", slow_build, file_name="pack.zip", mime="application/zip", what="evidence")


@pytest.fixture
def public(copy_db, downloads, monkeypatch):
    """Public access; ``session(address, role)`` draws the button in a new session and returns its build."""
    monkeypatch.setenv("LABLENS_ACCESS", "public")
    monkeypatch.setenv("LABLENS_DOWNLOADS_PER_MINUTE", "2")
    monkeypatch.setattr(export, "BUILD_POLICY", BuildPolicy(queue_wait=0.1, signed_in_wait=10.0))
    address = {"now": "unknown"}
    monkeypatch.setattr("ui.access.client", lambda: address["now"])
    _active.update(now=0, most=0, built=0)
    _finish.set()

    def session(client: str, role: str | None = None):
        address["now"] = client
        at = AppTest.from_function(_app, default_timeout=30)
        if role:
            at.session_state["_lablens_role"] = role
            at.session_state["_lablens_actor"] = f"password:{role}"
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return downloads["pack.zip"]

    return session


def _all_at_once(builds, until) -> list:
    """Run every build in its own thread at once, builds held running until ``until(results)`` is true; each
    result is the bytes or the exception."""
    results: list = [None] * len(builds)

    def run(i):
        try:
            results[i] = builds[i]()
        except export.BuildRefused as refused:
            results[i] = refused

    _finish.clear()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(builds))]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while not until(results) and time.monotonic() < deadline:
        time.sleep(0.01)
    _finish.set()
    for thread in threads:
        thread.join(30)
    return results


def test_many_sessions_building_at_once_share_two_slots_and_the_rest_are_told_to_wait(public, copy_db):
    builds = [public(f"client-{i}") for i in range(8)]
    # the builds running hold both slots until the six others have waited their 0.1 s and been refused
    results = _all_at_once(builds, lambda done: sum(isinstance(r, export.BuildRefused) for r in done) >= 6)
    served = [r for r in results if r == b"pack"]
    refused = [r for r in results if isinstance(r, export.BuildRefused)]
    assert _active["most"] == 2 and len(served) == 2 and len(refused) == 6
    busy = catalogue("es")["export.busy"].format(seconds=1)  # Spanish by default, waited 0.1 s -> "1 s"
    assert {str(r) for r in refused} == {busy}
    log = entries(copy_db)
    assert sum(e["action"] == "export" for e in log) == 2
    denied = [e for e in log if e["action"] == "denied"]
    assert len(denied) == 6 and {(e["permission"], e["reason"], e["file"]) for e in denied} == {
        ("export", "busy", "pack.zip")}
    assert {e["client"] for e in denied} < {f"client-{i}" for i in range(8)}


def test_one_address_asking_again_is_held_back_but_nobody_else_and_no_signed_in_admin(public, copy_db):
    hammer = [public("203.0.113.5") for _ in range(3)]
    assert hammer[0]() == hammer[1]() == b"pack"  # a normal visitor's downloads (2 a minute here)
    with pytest.raises(export.BuildRefused) as refused:
        hammer[2]()
    # the window frees in a minute from the first build (a moment ago): "vuelva a intentarlo en 60 s"
    assert str(refused.value) in {catalogue("es")["export.rate"].format(seconds=s) for s in (58, 59, 60)}
    assert hammer[0]() == b"pack" and _active["built"] == 2  # a repeated request of a drawn button: no build
    assert public("198.51.100.7")() == b"pack"  # another visitor's single download is unaffected
    admin = [public("203.0.113.5", "admin") for _ in range(3)]  # the same address, signed in: no rate
    assert [build() for build in admin] == [b"pack"] * 3
    log = entries(copy_db)
    assert [(e["action"], e.get("reason"), e.get("role")) for e in log] == [
        ("export", None, "public"), ("export", None, "public"), ("denied", "rate", None),
        ("export", None, "public"), ("export", None, "public"), *[("export", None, "admin")] * 3]


def test_an_open_install_builds_every_request(public, copy_db, monkeypatch):
    monkeypatch.setenv("LABLENS_ACCESS", "open")
    builds = [public("203.0.113.5") for _ in range(3)] + [public(f"c{i}") for i in range(3)]
    assert _all_at_once(builds, lambda done: _active["now"] == 6) == [b"pack"] * 6 and _active["most"] == 6
