"""The pages' first views read the results stored with the snapshot (analysis.precompute.standard_results, issue #6).

If a page's default request and the writer's standard requests ever drift apart (another default
grouping, another window), the page silently computes live again and a national database's first view
is slow again; this test names the request that drifted.
"""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

import ui.loaders
from analysis.precompute import standard_results as sr
from tests.conftest import EVERY_SHAPE, ROOT, keep_with_stored_results

PAGES = ["inicio", "comparar", "regiones", "escuelas", "logros", "evidencia"]


@pytest.fixture(scope="module")
def stored_db(demo_db, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("stored") / "lablens.duckdb"
    shutil.copyfile(demo_db, path)
    keep_with_stored_results(path, EVERY_SHAPE)
    return str(path)


@pytest.mark.parametrize("page", PAGES)
def test_first_views_compute_nothing_live(stored_db, page, monkeypatch) -> None:
    monkeypatch.setenv("LABLENS_DB", stored_db)
    live: list[tuple] = []
    original = ui.loaders.compare

    def recording(db, indicator, **kwargs):
        live.append((indicator, kwargs))
        return original(db, indicator, **kwargs)

    monkeypatch.setattr(ui.loaders, "compare", recording)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params["lang"] = "es"
    if page != "inicio":
        at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert live == []
    assert not [e for e in at.warning if "calcular" in str(e.value)]  # no "could not be computed"


def test_a_stored_result_is_what_the_page_shows(stored_db, monkeypatch) -> None:
    """The same page on the same data with the stored results hidden computes them live: same table."""
    monkeypatch.setenv("LABLENS_DB", stored_db)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params["lang"] = "en"
    at.switch_page("pages/regiones.py").run()
    shown = [f.value.to_string() for f in at.dataframe]
    monkeypatch.setattr(sr, "lookup", lambda *a, **k: None)
    ui.loaders._compare_cached.clear()
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params["lang"] = "en"
    at.switch_page("pages/regiones.py").run()
    assert not at.exception
    assert shown and [f.value.to_string() for f in at.dataframe] == shown


def test_a_first_view_trusts_the_checks_kept_by_the_writer(stored_db, monkeypatch) -> None:
    """No fingerprint scan when the writer's checks still describe the file (analysis.precompute.checks)."""
    monkeypatch.setenv("LABLENS_DB", stored_db)
    scans: list[str] = []
    monkeypatch.setattr(ui.loaders.materialised, "current", lambda con: scans.append("current") or True)
    monkeypatch.setattr(ui.loaders, "signatures",
                        lambda con, indicators=None: scans.append("signatures") or {})
    monkeypatch.setattr(ui.loaders, "compare", lambda *a, **k: scans.append("compare"))
    ui.loaders._derived_current.clear()
    ui.loaders._stored_signatures.clear()
    ui.loaders._compare_cached.clear()
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params["lang"] = "es"
    at.switch_page("pages/comparar.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert scans == []
    assert at.dataframe  # the stored DiD is shown
