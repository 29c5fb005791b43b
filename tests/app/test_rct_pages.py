"""Evidencia with the randomised-trial design on the demo's randomised MiLab cohort, in both languages: the
table is compare(design="rct")'s, its CACE columns have headers in words (never a raw key)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from analysis.compare import compare
from tests.conftest import ROOT
from ui.i18n import catalogue


@pytest.mark.parametrize("lang", ["es", "en"])
def test_evidencia_shows_the_rct_table_with_its_cace(lang, demo_db):
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params["lang"] = lang
    at.query_params["indicadores"] = "score_math"
    at.query_params["diseno"] = "rct"
    at.run()
    at.switch_page("pages/evidencia.py").run()
    assert not at.exception, [e.value for e in at.exception]
    cat = catalogue(lang)
    table = next(d.value for d in at.dataframe if cat["col.cace"] in d.value.columns)
    assert not any("⟦" in str(c) for c in table.columns)
    core = compare(demo_db, "score_math", design="rct").iloc[0]
    # at display precision, as the estimate (analysis/disclosure.py PUBLISHED_DECIMALS)
    assert float(table[cat["col.cace"]].iloc[0]) == pytest.approx(round(core["cace"], 2), abs=1e-9)
    assert float(table[cat["col.estimate"]].iloc[0]) == pytest.approx(core["estimate"], rel=1e-3)
