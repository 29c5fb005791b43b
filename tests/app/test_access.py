"""Access roles: an open local install, and a public deployment whose admin actions need a sign-in."""

from __future__ import annotations

import json

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from analysis.audit import entries
from analysis.privacy import hash_password, verify_password
from tests.app.apps import run_page
from ui.i18n import catalogue

ADMIN_PASSWORD = "correcto caballo batería grapa"
RESEARCHER_PASSWORD = "investigación 2026"


def _app(page: str | None, lang: str = "en", secrets: dict | None = None, **params: str) -> AppTest:
    return run_page(page, lang, secrets=secrets, **params)


def _public_secrets(floor: int = 5) -> dict:
    return {"lablens": {"access": "public", "min_cell_floor": floor,
                        "admin_password": hash_password(ADMIN_PASSWORD),
                        "researcher_password": hash_password(RESEARCHER_PASSWORD)}}


def test_password_hashes_are_salted_scrypt():
    first, second = hash_password("x"), hash_password("x")
    assert first != second and first.startswith("scrypt$16384$8$1$")
    assert verify_password("x", first) and not verify_password("y", first)
    assert not verify_password("x", "sha256$abc") and not verify_password("x", "garbage")


def test_open_install_shows_every_action_and_no_sign_in(copy_db, router_active):
    at = _app("datos")
    cat = catalogue("en")
    assert len(at.file_uploader) == 1
    assert any(s.label == cat["data.rollback_pick"] for s in at.selectbox)
    assert not [b for b in at.button if b.label == cat["access.sign_in"]]


@pytest.mark.parametrize("params", [{}, {"role": "admin"}, {"_lablens_role": "admin", "acceso": "admin"}])
def test_public_session_cannot_reach_admin_actions_even_by_url(copy_db, monkeypatch, router_active, params):
    monkeypatch.setenv("LABLENS_ACCESS", "public")
    at = _app("datos", **params)
    cat = catalogue("en")
    assert not at.file_uploader
    assert not [s for s in at.selectbox if s.label == cat["data.rollback_pick"]]
    assert sum(c.value == cat["data.read_only"] for c in at.caption) == 2  # history and import tabs
    assert any(c.value == cat["access.role"].format(role=cat["access.role.public"]) for c in at.caption)
    assert any(c.value == cat["access.no_sign_in"] for c in at.caption)  # no sign-in method configured


def test_public_role_is_refused_where_the_action_happens(copy_db, monkeypatch):
    """Defence in depth: even called directly, a rollback from a public session is refused and audited."""
    monkeypatch.setenv("LABLENS_ACCESS", "public")

    def script():
        import streamlit as st

        from ui import data_view

        ok, message = data_view.do_rollback(1)
        st.write(f"{ok}|{message}")

    at = AppTest.from_function(script, default_timeout=60)
    at.run()
    assert not at.exception
    ok, message = at.markdown[0].value.split("|", 1)
    assert ok == "False" and message == catalogue("es")["access.denied"]
    with duckdb.connect(str(copy_db), read_only=True) as con:
        assert con.execute("SELECT status FROM imports WHERE import_id = 1").fetchall() == [("active",)]
    assert entries(copy_db)[-1]["action"] == "denied" and entries(copy_db)[-1]["permission"] == "rollback"


def test_admin_password_signs_in_and_unlocks_import(copy_db, router_active):
    cat = catalogue("en")
    at = _app("datos", secrets=_public_secrets())
    assert not at.file_uploader
    at.text_input[0].input("wrong")  # a form: type, then submit in the same run
    next(b for b in at.button if b.label == cat["access.sign_in"]).click().run()
    assert any(e.value == cat["access.wrong_password"] for e in at.error)
    at.text_input[0].input(ADMIN_PASSWORD)
    next(b for b in at.button if b.label == cat["access.sign_in"]).click().run()
    assert not at.exception
    assert len(at.file_uploader) == 1
    assert any(c.value == cat["access.role"].format(role=cat["access.role.admin"]) for c in at.caption)
    log = entries(copy_db)
    assert [e["action"] for e in log[-2:]] == ["denied", "login"] and log[-1]["actor"] == "password:admin"
    assert ADMIN_PASSWORD not in json.dumps(log)
    next(b for b in at.button if b.label == cat["access.sign_out"]).click().run()
    assert not at.file_uploader and entries(copy_db)[-1]["action"] == "logout"


def test_researcher_may_lower_suppression_down_to_the_floor_only(copy_db, router_active):
    cat = catalogue("en")
    at = _app("datos", secrets=_public_secrets(floor=5))
    at.text_input[0].input(RESEARCHER_PASSWORD)
    next(b for b in at.button if b.label == cat["access.sign_in"]).click().run()
    assert not at.file_uploader  # researchers do not import
    threshold = next(n for n in at.number_input if n.label == cat["access.min_cell"])
    assert (threshold.value, threshold.min) == (10, 5)
    small = next(f.value for f in at.dataframe if cat["col.suppressed_cells"] in f.value.columns)
    threshold.set_value(5).run()
    smaller = next(f.value for f in at.dataframe if cat["col.suppressed_cells"] in f.value.columns)
    # fewer cells fall under 5 students than under 10
    assert smaller[cat["col.suppressed_cells"]].sum() < small[cat["col.suppressed_cells"]].sum()


def test_a_misspelt_access_mode_is_public_not_open(copy_db, monkeypatch, router_active):
    monkeypatch.setenv("LABLENS_ACCESS", "publc")
    at = _app("datos")
    assert not at.file_uploader


def test_cli_prints_a_hash_the_dashboard_accepts(monkeypatch):
    """`python -m analysis password --stdin`, run through analysis.cli.main in this process (helpers.cli_here)."""
    import io

    from tests.reliability.helpers import cli_here

    monkeypatch.setattr("sys.stdin", io.StringIO(ADMIN_PASSWORD + "\n"))
    done = cli_here("password", "--stdin")
    assert done.returncode == 0, done.stderr
    assert verify_password(ADMIN_PASSWORD, done.stdout.strip())
    monkeypatch.setattr("sys.stdin", io.StringIO("corta\n"))
    short = cli_here("password", "--stdin")
    assert short.returncode == 1 and short.stderr.strip() == "error: use a password of at least 12 characters"


def test_repeated_wrong_passwords_are_slowed_then_even_the_right_one_waits(copy_db, router_active):
    """Issue 21, item 5: after three failures the form says how long to wait (in the page's language), and
    while it waits the right password is not even checked; every refusal is audited."""
    cat = catalogue("es")
    at = _app("datos", lang="es", secrets=_public_secrets())
    sign_in = next(b for b in at.button if b.label == cat["access.sign_in"])
    for guess in ("uno", "dos", "tres"):
        at.text_input[0].input(guess)
        sign_in.click().run()
    assert any(e.value.startswith("Demasiados intentos fallidos: espere ") for e in at.error)
    at.text_input[0].input(ADMIN_PASSWORD)
    next(b for b in at.button if b.label == cat["access.sign_in"]).click().run()
    assert not at.file_uploader  # still public
    assert any(e.value.startswith("Demasiados intentos fallidos") for e in at.error)
    log = entries(copy_db)
    assert [e.get("reason") for e in log[-1:]] == ["slowed"] and log[-1]["action"] == "denied"
    assert ADMIN_PASSWORD not in json.dumps(log)
