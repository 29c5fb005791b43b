"""Who may do what: an open local install, or a public deployment with signed-in researchers and admins.

Configuration (``.streamlit/secrets.toml``, section ``[lablens]``; README, "Deploy"):

- ``access = "open"`` (the default when nothing is configured): a local install, every page and action.
- ``access = "public"``: visitors are **public** — suppression fixed at 10, aggregates only, no import,
  no rollback, no row-level download. Signing in grants **researcher** (the suppression threshold may
  be lowered to ``min_cell_floor``, rejected rows can be downloaded) or **admin** (also import and
  rollback). Sign-in is Streamlit's OIDC login (``st.login``, an ``[auth]`` section) with the e-mail
  addresses listed in ``admins`` / ``researchers``, or, without an identity provider, the passwords
  whose scrypt hashes are ``admin_password`` / ``researcher_password`` (``python -m analysis
  password``). The environment variable ``LABLENS_ACCESS`` overrides ``access``.
- ``downloads_per_minute`` (6) and ``concurrent_downloads`` (2): the build limits of a public deployment's
  downloads (ui/export.py); the environment variables ``LABLENS_DOWNLOADS_PER_MINUTE`` and
  ``LABLENS_CONCURRENT_DOWNLOADS`` override them.

The role lives in the server-side session only: no URL parameter or widget can raise it, and every
write action checks it again where it happens (:func:`require`), not only where its button is drawn.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import streamlit as st

from analysis import audit
from analysis.disclosure import MIN_CELL, MIN_CELL_FLOOR
from analysis.privacy import verify_password
from analysis.throttle import SignInThrottle, Verdict, client_address, client_id
from ui.db import db_path
from ui.i18n import t

ROLES = ("public", "researcher", "admin")
ABSOLUTE_FLOOR = MIN_CELL_FLOOR  # no configuration can lower suppression below this
PERMISSIONS = {
    "public": set(),
    "researcher": {"lower_suppression", "row_level_download"},
    "admin": {"lower_suppression", "row_level_download", "import", "rollback"},
}
ROLE_KEY = "_lablens_role"
ACTOR_KEY = "_lablens_actor"
MIN_CELL_KEY = "_lablens_min_cell"


@dataclass(frozen=True)
class Settings:
    access: str = "open"
    min_cell_floor: int = MIN_CELL
    admins: frozenset[str] = field(default_factory=frozenset)
    researchers: frozenset[str] = field(default_factory=frozenset)
    admin_password: str | None = None
    researcher_password: str | None = None
    oidc: bool = False
    downloads_per_minute: int = 6
    concurrent_downloads: int = 2


def _secrets() -> dict:
    try:
        return {k: st.secrets[k] for k in st.secrets}
    except (FileNotFoundError, KeyError, OSError, ValueError):
        return {}
    except Exception:
        return {}


def _count(section: dict, key: str, default: int) -> int:
    """A positive count from the environment (``LABLENS_<KEY>``) or the ``[lablens]`` section; else the default."""
    try:
        return max(1, int(os.environ.get(f"LABLENS_{key.upper()}") or section.get(key, default)))
    except (TypeError, ValueError):
        return default


def settings() -> Settings:
    """The access configuration; anything malformed falls back to the safer value."""
    secrets = _secrets()
    section = dict(secrets.get("lablens", {}) or {})
    access = os.environ.get("LABLENS_ACCESS") or str(section.get("access", "open"))
    if access not in ("open", "public"):
        access = "public"  # a typo must never open an installation
    try:
        floor = int(section.get("min_cell_floor", MIN_CELL))
    except (TypeError, ValueError):
        floor = MIN_CELL
    return Settings(
        access=access,
        min_cell_floor=min(max(floor, ABSOLUTE_FLOOR), MIN_CELL),
        admins=frozenset(str(e).lower() for e in section.get("admins", []) or []),
        researchers=frozenset(str(e).lower() for e in section.get("researchers", []) or []),
        admin_password=section.get("admin_password"),
        researcher_password=section.get("researcher_password"),
        oidc="auth" in secrets,
        downloads_per_minute=_count(section, "downloads_per_minute", Settings.downloads_per_minute),
        concurrent_downloads=_count(section, "concurrent_downloads", Settings.concurrent_downloads),
    )


def _oidc_role(conf: Settings) -> tuple[str, str] | None:
    if not conf.oidc:
        return None
    try:
        if not st.user.is_logged_in:
            return None
        email = str(st.user.get("email") or "").lower()
    except (AttributeError, KeyError):
        return None
    if email in conf.admins:
        return "admin", email
    if email in conf.researchers:
        return "researcher", email
    return "public", email


def role() -> str:
    """This session's role: admin on an open install; else from the OIDC identity or the password form."""
    conf = settings()
    if conf.access == "open":
        return "admin"
    found = _oidc_role(conf)
    if found:
        if st.session_state.get(ACTOR_KEY) != f"oidc:{found[1]}":  # first request of this signed-in session
            st.session_state[ACTOR_KEY] = f"oidc:{found[1]}"
            audit.record(db_path(), "login", f"oidc:{found[1]}", role=found[0])
        return found[0]
    chosen = st.session_state.get(ROLE_KEY)
    return chosen if chosen in ROLES else "public"


def actor() -> str:
    """Who acts, for the audit log: the signed-in identity, or 'local' on an open install."""
    conf = settings()
    if conf.access == "open":
        return "dashboard:local"
    found = _oidc_role(conf)
    if found:
        return f"oidc:{found[1]}"
    return st.session_state.get(ACTOR_KEY, "dashboard:public")


def can(permission: str) -> bool:
    return permission in PERMISSIONS[role()]


def require(permission: str) -> str | None:
    """None when allowed; else the sentence to show, and the refusal is audited."""
    if can(permission):
        return None
    audit.record(db_path(), "denied", actor(), permission=permission, role=role())
    return t("access.denied")


def min_cell() -> int:
    """The suppression threshold for this session: 10, or what a signed-in researcher chose (>= floor)."""
    if not can("lower_suppression"):
        return MIN_CELL
    floor = settings().min_cell_floor
    chosen = st.session_state.get(MIN_CELL_KEY, MIN_CELL)
    try:
        return min(max(int(chosen), floor), MIN_CELL)
    except (TypeError, ValueError):
        return MIN_CELL


def client() -> str:
    """The client's address pseudonym: the connection's address, or behind a reverse proxy on this machine
    the one the proxy states (analysis.throttle.client_address; README, "Deploy"); one shared bucket where
    neither is known."""
    try:
        address, headers = st.context.ip_address, st.context.headers
    except (AttributeError, RuntimeError):
        address, headers = None, {}
    return client_id(client_address(address if isinstance(address, str) else None, headers or {}))


def sign_in_with_password(password: str) -> Verdict:
    """Grant the role whose configured password matches, unless the throttle (analysis.throttle) says wait;
    audited either way. The password is not even checked while the client or the account is held back."""
    conf = settings()
    throttle, pseudonym = SignInThrottle(db_path()), client()
    verdict = throttle.check(pseudonym)
    if not verdict.allowed:
        audit.record(db_path(), "denied", "password:unknown", permission="login", reason=verdict.reason,
                     client=pseudonym)
        return verdict
    for name, stored in (("admin", conf.admin_password), ("researcher", conf.researcher_password)):
        if stored and verify_password(password, stored):
            throttle.success(pseudonym)
            st.session_state[ROLE_KEY] = name
            st.session_state[ACTOR_KEY] = f"password:{name}"
            audit.record(db_path(), "login", f"password:{name}", role=name)
            return Verdict(True)
    after = throttle.failure(pseudonym)
    audit.record(db_path(), "denied", "password:unknown", permission="login", client=pseudonym,
                 **({"reason": after.reason} if after.locked else {}))
    return Verdict(False, after.wait, after.locked, after.reason or "wrong_password")


def _refusal(verdict: Verdict) -> str:
    if verdict.locked:
        return t("access.locked", minutes=max(1, round(verdict.wait / 60)))
    if verdict.reason == "slowed":
        return t("access.slowed", seconds=max(1, round(verdict.wait)))
    return t("access.wrong_password")


def sign_out() -> None:
    audit.record(db_path(), "logout", actor(), role=role())
    for key in (ROLE_KEY, ACTOR_KEY, MIN_CELL_KEY):
        st.session_state.pop(key, None)


def sidebar() -> None:
    """Role, sign-in/out and (for researchers) the suppression threshold; nothing on an open install."""
    conf = settings()
    if conf.access == "open":
        return
    current = role()
    st.divider()
    st.caption(t("access.role", role=t(f"access.role.{current}")))
    if current == "public":
        if conf.oidc:
            if st.button(t("access.sign_in"), icon=":material/login:", key="access-oidc-login"):
                st.login()
        elif conf.admin_password or conf.researcher_password:
            with st.form("access-login"):
                password = st.text_input(t("access.password"), type="password")
                if st.form_submit_button(t("access.sign_in"), icon=":material/login:"):
                    verdict = sign_in_with_password(password)
                    if verdict.allowed:
                        st.rerun()
                    st.error(_refusal(verdict))
        else:
            st.caption(t("access.no_sign_in"))
        return
    if can("lower_suppression") and conf.min_cell_floor < MIN_CELL:
        st.number_input(t("access.min_cell"), min_value=conf.min_cell_floor, max_value=MIN_CELL, value=MIN_CELL,
                        step=1, key=MIN_CELL_KEY, help=t("access.min_cell_help", floor=conf.min_cell_floor))
    if st.button(t("access.sign_out"), icon=":material/logout:", key="access-logout"):
        sign_out()
        if _oidc_role(conf):
            st.logout()
        st.rerun()
