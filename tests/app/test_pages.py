"""Pages through Streamlit's AppTest, in both languages, on a demo database."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from ui.i18n import catalogue

RAW_KEY = "⟦"


def _run(lang: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    if lang:
        at.query_params["lang"] = lang
    return at.run()


def _texts(at: AppTest) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.title] + [e.value for e in at.warning]
    parts += [e.value for e in at.subheader] + [e.value for e in at.caption] + [m.label for m in at.metric]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("lang", ["es", "en"])
def test_home_shows_programmes_and_demo_banner(lang):
    at = _run(lang)
    assert not at.exception, at.exception
    text = _texts(at)
    assert RAW_KEY not in text
    assert catalogue(lang)["banner.demo"] in text
    assert at.title[0].value == catalogue(lang)["page.home"]
    overview = at.dataframe[0].value
    programmes = set(overview.iloc[:, 0])
    assert {"ValleLabs", "MiLab"} <= programmes
    # students per programme are real counts from the demo, not placeholders
    students = overview.set_index(overview.columns[0]).iloc[:, 2]
    assert int(students["ValleLabs"].max()) > 100


def test_spanish_is_the_default_language():
    at = _run()
    assert at.title[0].value == "Inicio"
