"""Sign-in throttling for public deployments: failed password attempts are slowed, then locked.

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
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

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
    reason: str | None = None  # 'slowed' | 'client_locked' | 'account_locked'


def client_id(address: str | None) -> str:
    """A stable pseudonym of a client address (unknown addresses share one bucket)."""
    return hashlib.sha256((address or "unknown").encode("utf-8")).hexdigest()[:16]


def state_path(db: str | os.PathLike) -> Path:
    db = Path(db)
    return db.with_name(db.name + SUFFIX)


class SignInThrottle:
    """The throttle over the state file beside ``db``; ``clock`` is injectable for tests."""

    def __init__(self, db: str | os.PathLike, policy: Policy | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = state_path(db)
        self.policy = policy or Policy()
        self.clock = clock

    @contextlib.contextmanager
    def _state(self, write: bool) -> Iterator[dict]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                state = json.loads(self.path.read_text(encoding="utf-8"))
                if not isinstance(state, dict):
                    state = {}
            except (OSError, ValueError):
                state = {}  # a missing or damaged file starts afresh: it holds no secret
            state.setdefault("clients", {})
            state.setdefault("accounts", {})
            state.setdefault("locks", {})
            self._forget_old(state)
            yield state
            if write:
                tmp = self.path.with_name(self.path.name + ".tmp")
                tmp.write_text(json.dumps(state, sort_keys=True), encoding="utf-8")
                os.replace(tmp, self.path)

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
