"""Imported text is text outside the pages' main views too (issue 21, item 3): the reasons quoted from an
uploaded file (its name, its columns, a cell), the column headers the mapping form labels its selectors with,
and the pilot roster download. The hostile inputs are the issue's own: a Markdown image (a tracking pixel),
a Markdown link, and a spreadsheet formula. (Names on the main pages: tests/browser/test_hostile_text_browser.py.)
"""

from __future__ import annotations

import csv
import hashlib
import io
import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analysis.implementation.cost import CostError, read_cost_bytes
from analysis.pilot.assign import Options, assign
from ui import format as fmt
from ui import implementation_view, messages

PIXEL = "![a](http://host.example/x.png)"
LINK = "[link](http://host.example/p)"
FORMULA = '=HYPERLINK("http://host.example/h","clic")'
# Markdown that would draw: an image or a link not preceded by a backslash, or an address left to autolink
_ACTIVE = re.compile(r"(?<!\\)!\[|(?<!\\)\]\(|://")


def inert(markdown: str) -> bool:
    """Whether ``markdown`` can neither load an image nor make a link when Streamlit renders it."""
    return _ACTIVE.search(markdown) is None


def test_the_markers_are_found_where_not_escaped():
    assert not any(inert(x) for x in (PIXEL, LINK, f"x {LINK} y", "see http://host.example"))
    assert all(inert(fmt.md(x)) for x in (PIXEL, LINK, FORMULA))


@pytest.mark.parametrize("lang", ["es", "en"])
@pytest.mark.parametrize("reason", [
    f"{PIXEL}.csv: the file has a header but no data rows",  # an uploaded file's name
    f"the mapping names column '{LINK}', which the file does not have",
    f"layout not recognised; columns it could not place: {PIXEL}, {LINK}. Write a mapping file (docs)",
    f"a reason nobody anticipated, quoting a cell: {PIXEL}",  # shown as technical detail
])
def test_a_reason_quoting_the_file_is_shown_as_text(reason, lang, monkeypatch):
    for module in ("ui.i18n", "ui.format", "ui.messages"):
        monkeypatch.setattr(f"{module}.current_language", lambda: lang)
    said = messages.reason(reason)
    assert inert(said), said
    assert "host.example" in said.replace(fmt.WORD_JOINER, "").replace("\\", "")  # quoted, not dropped


def test_a_cost_file_cell_is_quoted_as_text():
    data = ("program,lab_type,item,amount,currency,price_year\n"
            f"MiLab,,\"{PIXEL}\",100,USD,2024\n").encode()
    with pytest.raises(CostError) as caught:
        read_cost_bytes(data, "costos.csv")
    said = implementation_view.cost_error(caught.value)
    assert caught.value.code == "cost_bad_item" and inert(said) and fmt.md(PIXEL) in said


def _mapping_app():
    import pandas as pd

    from tests.app.test_hostile_text import LINK, PIXEL
    from ui import data_view

    headers = ["escuela", PIXEL, LINK]
    data_view.mapping_form({"unplaced": headers[1:], "headers": headers, "roles": {},
                            "preview": pd.DataFrame({h: ["1"] for h in headers})})


def test_the_mapping_form_labels_its_selectors_with_the_headers_as_text():
    """A widget label is Markdown in Streamlit: a column header was one image or link per selector."""
    at = AppTest.from_function(_mapping_app, default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    labels = [s.label for s in at.selectbox][-3:]
    assert labels == ["escuela", fmt.md(PIXEL), fmt.md(LINK)] and all(inert(x) for x in labels)
    assert all(inert(w.value) for w in at.warning) and at.warning


def test_the_pilot_roster_download_neutralises_a_formula_and_its_seal_is_of_those_bytes():
    rows = [{"country": "GT", "unit_type": "school", "unit_code": f"14-01-{k:04d}-43", "department": "Quiché",
             "municipality": FORMULA if k % 2 else "Chajul", "zone": "rural", "sector": "oficial",
             "enrolment": 40 + k, "baseline": 400 + k} for k in range(12)]
    result = assign(pd.DataFrame(rows), Options(seed=7, strata=("municipality",)))
    data = result.roster_csv()
    strata = {r["stratum"] for r in csv.DictReader(io.StringIO(data.decode("utf-8")))}
    assert strata == {"Chajul", "'" + FORMULA}  # opened in a spreadsheet, the cell is text
    assert hashlib.sha256(data).hexdigest() == result.record["roster_sha256"]
