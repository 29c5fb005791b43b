"""Sign-in throttling (issue 21, item 5): failures slowed, then locked per client and per account, lifted by
time or by an admin; state shared across processes in a file beside the database."""

from __future__ import annotations

import json

import pytest

from analysis.cli import main
from analysis.throttle import (
    BUILDS_SUFFIX,
    BuildLimiter,
    BuildPolicy,
    Policy,
    SignInThrottle,
    client_address,
    client_id,
    state_path,
)

POLICY = Policy(free_failures=3, base_delay=2.0, max_delay=8.0, lock_after=6, account_lock_after=10,
                window=900.0, lock_for=600.0)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def throttle(tmp_path, clock):
    return SignInThrottle(tmp_path / "lablens.duckdb", POLICY, clock)


def test_three_free_failures_then_doubling_waits_then_a_lock(throttle, clock):
    a = client_id("203.0.113.5")
    for _ in range(2):
        assert throttle.failure(a).allowed
    third = throttle.failure(a)
    assert not third.allowed and third.reason == "slowed" and third.wait == pytest.approx(2.0)
    clock.now += 1.0
    assert throttle.check(a).wait == pytest.approx(1.0)
    clock.now += 1.0
    assert throttle.check(a).allowed
    assert throttle.failure(a).wait == pytest.approx(4.0)  # 4th failure: 2 s doubled
    clock.now += 4.0
    assert throttle.failure(a).wait == pytest.approx(8.0)  # 5th: 8 s, the cap
    clock.now += 8.0
    locked = throttle.failure(a)  # 6th failure: locked
    assert locked.locked and locked.reason == "client_locked" and locked.wait == pytest.approx(600.0)
    clock.now += 599.0
    assert throttle.check(a).locked
    clock.now += 2.0
    assert throttle.check(a).allowed  # the lock is over
    # its failures are still in the window: one more wrong guess locks the client again at once
    assert throttle.failure(a).reason == "client_locked"


def test_another_client_is_not_held_back_but_the_account_locks_for_everybody(throttle, clock):
    first, other = client_id("198.51.100.1"), client_id("198.51.100.2")
    for _ in range(5):
        throttle.failure(first)
        clock.now += 10.0
    assert throttle.check(other).allowed
    for i in range(5):  # guesses spread over many addresses add up on the account
        verdict = throttle.failure(client_id(f"192.0.2.{i}"))
        clock.now += 1.0
    assert verdict.locked and verdict.reason == "account_locked"
    assert throttle.check(other).locked


def test_a_success_clears_the_client_and_old_failures_are_forgotten(throttle, clock):
    a = client_id("203.0.113.9")
    for _ in range(3):
        throttle.failure(a)
    throttle.success(a)
    assert throttle.check(a).allowed
    for _ in range(3):
        throttle.failure(a)
    clock.now += POLICY.window + 1
    assert throttle.check(a).allowed


def test_state_is_shared_through_the_file_and_holds_no_address(tmp_path, clock):
    db = tmp_path / "lablens.duckdb"
    a = client_id("203.0.113.77")
    for _ in range(6):
        SignInThrottle(db, POLICY, clock).failure(a)
        clock.now += 30.0
    assert SignInThrottle(db, POLICY, clock).check(a).locked  # a second process sees the lock
    text = state_path(db).read_text()
    assert "203.0.113.77" not in text and a in text


def test_a_damaged_state_file_starts_afresh(tmp_path, clock):
    db = tmp_path / "lablens.duckdb"
    state_path(db).write_text("{not json")
    assert SignInThrottle(db, POLICY, clock).failure(client_id("x")).allowed


def test_an_admin_unlocks_from_the_command_line_and_it_is_audited(tmp_path, capsys):
    db = tmp_path / "lablens.duckdb"
    throttle = SignInThrottle(db)
    a = client_id("203.0.113.1")
    for _ in range(Policy().lock_after):
        throttle.failure(a)
    assert throttle.check(a).locked
    assert main(["sign-in-unlock", "--db", str(db), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["lifted"] == 1 and out["locks_before"] == [f"client:{a}"]
    assert throttle.check(a).allowed
    log = [json.loads(line) for line in (tmp_path / "lablens.duckdb.audit.jsonl").read_text().splitlines()]
    assert log[-1]["action"] == "unlock" and log[-1]["locks"] == 1


# --- file builds (downloads) ---------------------------------------------------------------------------

def test_builds_per_client_slide_over_the_window_and_other_clients_are_not_held(tmp_path, clock):
    limiter = BuildLimiter(tmp_path / "lablens.duckdb", BuildPolicy(per_client=3, window=60.0), clock)
    a, b = client_id("203.0.113.5"), client_id("203.0.113.6")
    for _ in range(3):
        assert limiter.admit(a).allowed
        clock.now += 10.0
    refused = limiter.admit(a)  # 3 builds at t = 0, 10, 20; now t = 30: the first leaves the window at t = 60
    assert (refused.allowed, refused.reason, refused.wait) == (False, "rate", pytest.approx(30.0))
    assert limiter.admit(b).allowed
    clock.now += 30.0
    assert limiter.admit(a).allowed  # t = 60: one slot free again (the refusal did not count)
    assert not limiter.admit(a).allowed
    text = state_path(tmp_path / "lablens.duckdb", BUILDS_SUFFIX).read_text()
    assert "203.0.113.5" not in text and a in text  # pseudonyms only


def test_builds_at_once_are_bounded_process_wide(tmp_path):
    first, second = (BuildLimiter(tmp_path / "lablens.duckdb", BuildPolicy(concurrent=1)) for _ in range(2))
    with first.building(0.0) as got, second.building(0.05) as other:
        assert got and not other  # two limiters (two sessions) share this process's one slot
    with second.building(0.0) as again:
        assert again  # released


@pytest.mark.parametrize(("peer", "headers", "address"), [
    ("203.0.113.5", {"X-Real-IP": "198.51.100.1", "X-Forwarded-For": "198.51.100.2"}, "203.0.113.5"),  # direct
    (None, {"X-Real-IP": "198.51.100.1"}, "198.51.100.1"),  # behind a local proxy: what it states
    (None, {"x-forwarded-for": "10.9.9.9, 198.51.100.3"}, "198.51.100.3"),  # the entry the proxy appended
    (None, {"X-Forwarded-For": " "}, None), (None, {}, None)])
def test_the_client_address_trusts_a_proxy_header_only_from_a_local_proxy(peer, headers, address):
    """Behind the README's reverse proxy every peer is loopback: without its header all visitors would share
    one sign-in and download bucket; a visitor connecting directly cannot choose its bucket by a header."""
    assert client_address(peer, headers) == address
