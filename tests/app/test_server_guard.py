"""The public server guard's rules, in-process (the real server is played in tests/browser/test_public_server.py)."""

from __future__ import annotations

import pytest

from ui import data_view, pilot_view, server_guard


@pytest.fixture
def public():
    before = server_guard._state["public"]
    server_guard._state["public"] = True
    yield
    server_guard._state["public"] = before


def test_messages_refused_only_in_public_mode(public):
    assert all(server_guard.refuses(k) for k in ("clear_cache", "load_git_info", "set_run_on_save"))
    assert not any(server_guard.refuses(k) for k in ("rerun_script", "file_urls_request", "app_heartbeat",
                                                      "backend_operation_request", "stop_script"))
    server_guard._state["public"] = False
    assert not server_guard.refuses("clear_cache")


@pytest.mark.parametrize("path", ["/_stcore/metrics", "/lablens/_stcore/metrics", "/_stcore/metrics/"])
def test_metrics_are_not_found_under_any_base_path(public, path):
    assert server_guard.http_refusal("GET", path, {}) == (404, "metrics are not public")


def test_an_upload_to_an_unknown_session_is_refused(public):
    refusal = server_guard.http_refusal("PUT", "/_stcore/upload_file/no-such-session/f1", {"content-length": "10"})
    assert refusal is not None and refusal[0] == 403
    assert server_guard.http_refusal("GET", "/_stcore/health", {}) is None


def test_each_uploader_gets_the_limit_its_page_states():
    assert server_guard._limit("$$ID-0a1b-datos-upload") == data_view.UPLOAD_LIMIT_MB == 200
    assert server_guard._limit("$$ID-0a1b-pilot-frame-upload") == pilot_view.UPLOAD_LIMIT_MB == 50
    assert server_guard._limit("$$ID-0a1b-something-else") == server_guard.DEFAULT_UPLOAD_MB
