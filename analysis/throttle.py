"""Public deployments: sign-in throttling (failed password attempts slowed, then locked) and download limits.

Policy (OWASP Authentication Cheat Sheet, "Protect against automated attacks"; NIST SP 800-63B §5.2.2
"Rate limiting"): each failure is remembered for ``window`` seconds. After ``free_failures`` failures from
one client, each further attempt waits ``base_delay`` seconds, doubling up to ``max_delay``; after
``lock_after`` failures the client is locked for ``lock_for`` seconds. Failures from all clients against
the same account add up too: after ``account_lock_after`` the account is locked for everybody (guessing
spread over many addresses), which keeps the number of guesses an attacker gets bounded by
account_lock_after per window whatever addresses it uses. A success clears the client's failures. A lock
is lifted by time, or by an admin (``python -m analysis sign-in-unlock``).

State lives in one small JSON file beside the database (``<db>.signin.json``), read and written under an
exclusive lock, so every dashboard process on the machine and the command line share it. Clients are
kept as the first 16 hex digits of a SHA-256 of their address, never the address itself.

:class:`BuildLimiter` uses the same state-file mechanism for file builds (the downloads of a public
deployment): a number of builds per client per minute, and a bound on builds running at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

SUFFIX = ".signin.json"


@dataclass(frozen=True)
class Policy:
    """The numbers of the throttle (seconds and counts)."""

    free_failures: int = 3
    base_delay: float = 2.0
    max_delay: float = 60.0
    lock_after: int = 10
    account_lock_after: int = 30
    window: float = 900.0
    lock_for: float = 900.0


@dataclass(frozen=True)
class Verdict:
    """May this client try now? If not, ``wait`` seconds and whether it is a lock (``locked``)."""

    allowed: bool
    wait: float = 0.0
    locked: bool = False
    reason: str | None = None  # 'slowed' | 'client_locked' | 'account_locked' | 'rate' (builds)


def client_address(peer: str | None, headers: Mapping[str, str]) -> str | None:
    """The address a request comes from: the connection's peer; behind a reverse proxy on this machine (a
    loopback peer, which Streamlit reports as no address), the address the proxy states: ``X-Real-IP``, else
    the last ``X-Forwarded-For`` entry (the one the proxy appended; earlier entries come from the client and
    can be forged). Without either, None: every such visitor then shares one bucket."""
    if peer:
        return peer  # a direct connection: headers are whatever the client wrote, never trusted
    found = {str(k).lower(): str(v) for k, v in headers.items()}
    if found.get("x-real-ip", "").strip():
        return found["x-real-ip"].strip()
    forwarded = [part.strip() for part in found.get("x-forwarded-for", "").split(",") if part.strip()]
    return forwarded[-1] if forwarded else None


def client_id(address: str | None) -> str:
    """A stable pseudonym of a client address (unknown addresses share one bucket)."""
    return hashlib.sha256((address or "unknown").encode("utf-8")).hexdigest()[:16]


def state_path(db: str | os.PathLike, suffix: str = SUFFIX) -> Path:
    db = Path(db)
    return db.with_name(db.name + suffix)


@contextlib.contextmanager
def locked_state(path: Path, families: tuple[str, ...], write: bool) -> Iterator[dict]:
    """The JSON state at ``path`` under an exclusive lock (every process on the machine shares it); written
    back atomically when ``write``. A missing or damaged file starts afresh: it holds no secret."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(state, dict):
                state = {}
        except (OSError, ValueError):
            state = {}
        for family in families:
            if not isinstance(state.get(family), dict):
                state[family] = {}
        yield state
        if write:
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(json.dumps(state, sort_keys=True), encoding="utf-8")
            os.replace(tmp, path)


class SignInThrottle:
    """The throttle over the state file beside ``db``; ``clock`` is injectable for tests."""

    def __init__(self, db: str | os.PathLike, policy: Policy | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = state_path(db)
        self.policy = policy or Policy()
        self.clock = clock

    @contextlib.contextmanager
    def _state(self, write: bool) -> Iterator[dict]:
        with locked_state(self.path, ("clients", "accounts", "locks"), write) as state:
            self._forget_old(state)
            yield state

    def _forget_old(self, state: dict) -> None:
        now, window = self.clock(), self.policy.window
        for family in ("clients", "accounts"):
            for key in list(state[family]):
                kept = [t for t in state[family][key] if now - t < window]
                if kept:
                    state[family][key] = kept
                else:
                    del state[family][key]
        for key in [k for k, until in state["locks"].items() if until <= now]:
            del state["locks"][key]

    def _verdict(self, state: dict, client: str, account: str) -> Verdict:
        now, p = self.clock(), self.policy
        for key, reason in ((f"account:{account}", "account_locked"), (f"client:{client}", "client_locked")):
            if key in state["locks"]:
                return Verdict(False, state["locks"][key] - now, True, reason)
        failures = state["clients"].get(client, [])
        if len(failures) >= p.free_failures:
            delay = min(p.base_delay * 2 ** (len(failures) - p.free_failures), p.max_delay)
            wait = failures[-1] + delay - now
            if wait > 0:
                return Verdict(False, wait, False, "slowed")
        return Verdict(True)

    def check(self, client: str, account: str = "password") -> Verdict:
        """Whether ``client`` may try to sign in to ``account`` now (nothing is recorded)."""
        with self._state(write=False) as state:
            return self._verdict(state, client, account)

    def failure(self, client: str, account: str = "password") -> Verdict:
        """Record a failed attempt; returns what the client may do next."""
        now, p = self.clock(), self.policy
        with self._state(write=True) as state:
            state["clients"].setdefault(client, []).append(now)
            state["accounts"].setdefault(account, []).append(now)
            if len(state["clients"][client]) >= p.lock_after:
                state["locks"][f"client:{client}"] = now + p.lock_for
            if len(state["accounts"][account]) >= p.account_lock_after:
                state["locks"][f"account:{account}"] = now + p.lock_for
            return self._verdict(state, client, account)

    def success(self, client: str) -> None:
        """A successful sign-in clears the client's failures (not the account's locks)."""
        with self._state(write=True) as state:
            state["clients"].pop(client, None)

    def unlock(self, client: str | None = None) -> int:
        """Lift the locks (one client's, or every lock and failure when ``client`` is None); returns how many."""
        with self._state(write=True) as state:
            if client is None:
                lifted = len(state["locks"])
                state["locks"].clear()
                state["clients"].clear()
                state["accounts"].clear()
                return lifted
            lifted = int(state["locks"].pop(f"client:{client}", None) is not None)
            state["clients"].pop(client, None)
            return lifted

    def locks(self) -> dict[str, float]:
        """Active locks and the seconds each has left."""
        with self._state(write=False) as state:
            now = self.clock()
            return {key: until - now for key, until in state["locks"].items()}


# --- file builds (downloads) ---------------------------------------------------------------------------

BUILDS_SUFFIX = ".builds.json"


@dataclass(frozen=True)
class BuildPolicy:
    """How many files one client may have built per ``window`` seconds, and how many are built at once.

    A build waits up to ``queue_wait`` seconds for one of the ``concurrent`` slots before it is refused
    (``signed_in_wait`` for a signed-in researcher or admin, who are never rate limited).
    """

    per_client: int = 6
    window: float = 60.0
    concurrent: int = 2
    queue_wait: float = 10.0
    signed_in_wait: float = 120.0


class BuildLimiter:
    """Expensive downloads of a public deployment, held back per client and bounded process-wide.

    The per-client count is a sliding window in ``<db>.builds.json`` (the same locked state file mechanism
    as the sign-in throttle, so every process shares it); the concurrency bound is a semaphore of this
    process, shared by every session (a sliding-window count per client and a bounded pool: OWASP API
    Security Top 10 2023, API4 "Unrestricted Resource Consumption").
    """

    _slots: ClassVar[dict[int, threading.BoundedSemaphore]] = {}
    _slots_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, db: str | os.PathLike, policy: BuildPolicy | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = state_path(db, BUILDS_SUFFIX)
        self.policy = policy or BuildPolicy()
        self.clock = clock

    def admit(self, client: str) -> Verdict:
        """Count a build for ``client`` if its window has room; else how long until it has (nothing counted)."""
        now, p = self.clock(), self.policy
        with locked_state(self.path, ("clients",), write=True) as state:
            for key in list(state["clients"]):
                kept = [t for t in state["clients"][key] if now - t < p.window]
                if kept:
                    state["clients"][key] = kept
                else:
                    del state["clients"][key]
            times = state["clients"].get(client, [])
            if len(times) >= p.per_client:
                return Verdict(False, times[-p.per_client] + p.window - now, False, "rate")
            state["clients"][client] = [*times, now]
            return Verdict(True)

    def slot(self) -> threading.BoundedSemaphore:
        """The process-wide semaphore bounding concurrent builds (one per bound, shared by every session)."""
        with self._slots_lock:
            return self._slots.setdefault(self.policy.concurrent, threading.BoundedSemaphore(self.policy.concurrent))

    @contextlib.contextmanager
    def building(self, wait: float) -> Iterator[bool]:
        """Hold a build slot while the block runs; yields False when none was free within ``wait`` seconds."""
        slot = self.slot()
        got = slot.acquire(timeout=max(wait, 0.0))
        try:
            yield got
        finally:
            if got:
                slot.release()
