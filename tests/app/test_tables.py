"""Tables show numbers in the reader's convention: 0,42 and −1.234,5 in Spanish; the cells stay numbers."""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from ui.tables import cell_formatter, column_decimals, spanish_number


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


def test_one_number_of_decimals_per_column_and_thousands_separators():
    """A column never mixes '0,16' and '0,1182'; counts get separators ('480.878'), years do not; '—' for none."""
    effects = pd.Series([0.16, 0.1182, -0.0417, None])
    assert column_decimals(effects) == 3  # three significant digits of the largest value
    es = cell_formatter(effects, "es")
    assert [es(v) for v in effects] == ["0,160", "0,118", "\u22120,042", "—"]
    assert [cell_formatter(effects, "en")(v) for v in effects] == ["0.160", "0.118", "\u22120.042", "—"]
    counts = pd.Series([480878, 32153, 7])
    assert [cell_formatter(counts, "es")(v) for v in counts] == ["480.878", "32.153", "7"]
    assert [cell_formatter(counts, "en")(v) for v in counts] == ["480,878", "32,153", "7"]
    years = pd.Series([2019.0, 2024.0, float("nan")])
    assert [cell_formatter(years, "es")(v) for v in years] == ["2019", "2024", "—"]
    assert column_decimals(pd.Series([9.1, 16.3, 10.2])) == 1  # never more decimals than it was rounded to
    assert column_decimals(pd.Series([503.84, 478.71])) == 1 and column_decimals(pd.Series([0.0045, 0.0001])) == 4


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
    floats = [i for i, d in enumerate(data.dtypes) if pd.api.types.is_float_dtype(d)]
    checked = 0
    mark = "," if lang == "es" else "."
    for i in floats:
        write = cell_formatter(data.iloc[:, i], lang)
        for raw, text in zip(data.iloc[:, i], shown.iloc[:, i], strict=True):
            assert text == write(raw)
            checked += mark in text
            assert text not in ("None", "nan")
    assert checked >= 3  # real decimals were shown with the language's decimal mark


@pytest.mark.parametrize("page", ["evidencia", "regiones"])
def test_no_table_cell_is_drawn_as_none(page):
    """The grid draws a missing cell as a grey "None" whatever the Styler says: no cell reaches it missing."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params["lang"] = "es"
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception
    assert at.dataframe
    for frame in at.dataframe:
        missing = frame.value.isna()
        assert not missing.to_numpy().any(), list(frame.value.columns[missing.any()])


def test_counts_written_as_text_are_right_aligned_and_long_texts_wrap():
    """Inicio's students ('<10', '—' beside written counts) align as numbers do; a long label (a reason, an
    indicator's name) gets rows tall enough to wrap in a wide column instead of being cut with '…'."""
    from ui.tables import LINE_PX, ROW_PX, WRAP_PX, count_like, grid_layout

    assert count_like(pd.Series(["1.234", "<10", "—", "850"])) and count_like(pd.Series([12, "<10"], dtype=object))
    # a year, a 12-digit school code or a word is no count
    assert not count_like(pd.Series(["2019", "—"])) and not count_like(pd.Series(["176001000001"]))
    assert not count_like(pd.Series(["MiLab", "<10"])) and not count_like(pd.Series(["—", ""]))
    frame = pd.DataFrame({"Programa": ["MiLab", "ValleLabs"], "Unidades": [30, 12], "Estudiantes": ["1.234", "<10"],
                          "Motivo": ["un solo territorio con estimación en este programa: nada con qué agrupar",
                                     "—"], "Tasa": [0.5, None]})
    config, row_height = grid_layout(frame)
    assert config["Estudiantes"]["alignment"] == "right" and config["Tasa"]["alignment"] == "right"
    assert "Programa" not in config and "Unidades" not in config  # text left; numbers right by themselves
    assert config["Motivo"]["width"] == WRAP_PX and row_height == ROW_PX + 2 * LINE_PX  # 72 characters: 3 lines
    assert grid_layout(frame.drop(columns="Motivo"))[1] is None  # short texts: the grid's own row height
