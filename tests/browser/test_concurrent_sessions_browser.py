"""Four dashboard sessions read pages while a CLI import publishes a new snapshot: no error, no mixed page."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import duckdb
import pytest

from tests.browser.conftest import serve, wait_for_app
from tests.conftest import ROOT

SESSIONS = 4  # enough readers to overlap a publication; eight took 42 s for the same proof
PROGRAMME = "Concurrencia"
ERRORS = "[data-testid=stException], [data-testid=stAlertContentError]"
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


def _read_all(pages, url: str) -> list[tuple]:
    """Load Inicio in every session at once; each page's metrics (label and value) as its fingerprint."""
    for page in pages:
        page.goto(f"{url}/?lang=es", wait_until="commit")
    shown = []
    for page in pages:
        wait_for_app(page)
        # the caption under the programme cards: once it is drawn, every card above it is too
        page.get_by_text(CARDS_DRAWN).wait_for(timeout=60_000)
        wait_for_app(page)
        page.wait_for_function("document.querySelectorAll('[data-testid=stMetric]').length > 0", timeout=60_000)
        assert page.locator(ERRORS).count() == 0, page.inner_text("[data-testid=stMain]")[:500]
        shown.append(_settled_metrics(page))
    return shown


def _settled_metrics(page) -> tuple:
    """The page's metrics once its script has finished and three readings 300 ms apart agree (the frontend
    draws in several frames, and under load a reading can fall between a rerun's first and last element)."""
    readings: list[tuple] = []
    for _ in range(60):
        idle = page.locator("[data-testid=stApp][data-test-script-state=notRunning]").count() == 1
        current = tuple(sorted(page.locator("[data-testid=stMetric]").all_inner_texts()))
        readings = [*readings, current] if idle and current else []
        if len(readings) >= 3 and len(set(readings[-3:])) == 1:
            return current
        page.wait_for_timeout(300)
    return readings[-1] if readings else ()


def test_sessions_read_during_an_import_without_errors_or_mixed_pages(browser, busy_app) -> None:
    url, db, work = busy_app
    roster = work / "roster.csv"
    _roster(db, roster)
    contexts = [browser.new_context(viewport={"width": 1200, "height": 900}) for _ in range(SESSIONS)]
    pages = [context.new_page() for context in contexts]
    started = time.monotonic()
    try:
        # one session fills the result caches, so the others do not compute them at once; its reading counts
        before = _read_all(pages[:1], url) + _read_all(pages[1:], url)
        old = max(before, key=len)
        # under load a reading may catch a page whose last cards are still being drawn (a subset), but never
        # a value the full page does not hold
        assert all(set(shown) <= set(old) for shown in before), "the sessions disagree before the import"
        importer = subprocess.Popen([sys.executable, "-m", "analysis", "import", str(roster), "--db", str(db)],
                                    cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True)
        during: list[tuple] = []
        rounds = 0
        while rounds == 0 or (importer.poll() is None and rounds < 3):  # every session reloads while it runs
            during += _read_all(pages, url)
            rounds += 1
        _, err = importer.communicate(timeout=60)
        assert importer.returncode == 0, err
        after = _read_all(pages[:1], url) + _read_all(pages[1:], url)
        new = max(after, key=len)
        assert all(set(shown) <= set(new) for shown in after)
        assert new != old  # the new programme's card adds metrics
        assert all(PROGRAMME in page.inner_text("[data-testid=stMain]") for page in pages)
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
              f"{len(during) - whole} still drawing), "
              "0 errors, 0 mixed pages")
    finally:
        for context in contexts:
            context.close()
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM assignments WHERE program = ?", [PROGRAMME]).fetchall() == [(6,)]
