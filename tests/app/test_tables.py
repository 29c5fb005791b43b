"""Tables show numbers in the reader's convention: 0,42 and −1.234,5 in Spanish; the cells stay numbers."""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from ui.tables import spanish_number


@pytest.mark.parametrize(("value", "text"), [
    (0.4213, "0,4213"), (-1234.5, "\u22121.234,5"), (12.0, "12"), (0.123456, "0,1235"), (-0.00001, "0"),
    (float("nan"), "—"), (None, "—"), (2024.0, "2.024"),
])
def test_spanish_number(value, text):
    assert spanish_number(value) == text


def _display_values(element) -> pd.DataFrame:
    """What the grid shows: the Styler's display values travel beside the data in the element's proto."""
    raw = element.proto.arrow_data.styler.display_values
    return pa.ipc.open_stream(io.BytesIO(raw)).read_pandas() if raw else pd.DataFrame()


@pytest.mark.parametrize("lang", ["es", "en"])
def test_chart_data_tables_use_the_language_decimal_mark(lang):
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("pages/comparar.py").run()
    assert not at.exception
    frames = [f for f in at.dataframe if any(pd.api.types.is_float_dtype(d) for d in f.value.dtypes)]
    assert frames
    data = frames[0].value
    shown = _display_values(frames[0])
    if lang == "en":
        assert shown.empty  # English: Streamlit's own number display, no Styler
        return
    floats = [i for i, d in enumerate(data.dtypes) if pd.api.types.is_float_dtype(d)]
    checked = 0
    for i in floats:
        for raw, text in zip(data.iloc[:, i], shown.iloc[:, i], strict=True):
            assert text == spanish_number(raw)
            checked += "," in text
    assert checked >= 3  # real decimals were shown with a comma
