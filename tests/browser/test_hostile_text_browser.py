"""Imported text is text (issue 21, item 3): names, programme names and attribute values that look like
Markdown, links, images or spreadsheet formulas are shown literally, and the browser fetches nothing and
links nowhere because of them."""

from __future__ import annotations

import shutil
import urllib.parse

import duckdb
import pytest

from tests.browser.conftest import serve, wait_for_app

EVIL = "evil.example"
PROGRAMME = f'[Programa](http://{EVIL}/p) =HYPERLINK("http://{EVIL}/h") www.{EVIL}'
SCHOOL = f"![pixel](http://{EVIL}/x.png) **Escuela** [sitio](javascript:alert(1)) # 5"
ATTRIBUTE = f"![a](http://{EVIL}/attr.png) maya"


@pytest.fixture(scope="module")
def hostile_app(browser_db, tmp_path_factory):
    work = tmp_path_factory.mktemp("hostile")
    db = work / "lablens.duckdb"
    shutil.copyfile(browser_db, db)
    with duckdb.connect(str(db)) as con:  # an edit made outside LabLens: every view is computed from the rows
        # a school of the programme renamed below: its profile shows both names (heading, metric value)
        school = con.execute("SELECT unit_id FROM assignments WHERE program = 'MiLab' ORDER BY 1 LIMIT 1"
                             ).fetchone()[0]
        con.execute("UPDATE assignments SET program = ? WHERE program = 'MiLab'", [PROGRAMME])
        con.execute("UPDATE units SET name = ? WHERE unit_id = ?", [SCHOOL, school])
        con.execute("UPDATE student_attributes SET value = ? WHERE name = 'ethnicity' AND value = 'maya'",
                    [ATTRIBUTE])
    with serve(db, work) as url:
        yield url, school


@pytest.fixture(scope="module")
def hostile_tab(browser):
    """One browser tab for the module (the page's scripts come from its cache after the first visit); every
    request to the hostile host is recorded and refused."""
    fetched: list[str] = []
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route(f"**/*{EVIL}*", lambda route: (fetched.append(route.request.url), route.abort()))
    page = context.new_page()
    yield page, fetched
    context.close()


def _visit(tab, url: str, shown: str) -> list[str]:
    """Open ``url`` (a new session of the app), wait until ``shown`` is on the page as plain text (the invisible
    word joiners that keep addresses from becoming links aside), check that nothing links or loads from the
    hostile host; returns the requests made to it during this visit."""
    page, fetched = tab
    fetched.clear()
    page.goto(url)
    wait_for_app(page)
    page.wait_for_function(
        "s => document.querySelector('[data-testid=stMain]').innerText.replaceAll('\u2060', '').includes(s)",
        arg=shown, timeout=60_000)
    wait_for_app(page)
    assert page.locator("[data-testid=stException]").count() == 0
    links = page.locator(f"a[href*='{EVIL}'], a[href^='javascript'], img[src*='{EVIL}']").count()
    assert links == 0, url
    return list(fetched)


@pytest.mark.parametrize("path, shown", [
    ("inicio?lang=es", PROGRAMME),
    ("logros?lang=es", PROGRAMME),
    ("comparar?lang=es&indicador=score_math", PROGRAMME),
    ("comparar?lang=en&indicador=score_math&agrupar=ethnicity&grupo=" + urllib.parse.quote(ATTRIBUTE), ATTRIBUTE),
])
def test_hostile_names_are_shown_literally_and_fetch_nothing(hostile_tab, hostile_app, path, shown):
    url, _ = hostile_app
    assert _visit(hostile_tab, f"{url}/{path}", shown) == []


def test_a_hostile_school_name_is_a_heading_of_plain_text(hostile_tab, hostile_app):
    url, school = hostile_app
    assert _visit(hostile_tab, f"{url}/escuelas?lang=es&escuela={school}", SCHOOL) == []
