"""Tables show numbers in the reader's convention: 0,42 and −1.234,5 in Spanish; the cells stay numbers."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from analysis.disclosure import PROBABILITY_COLUMNS
from tests.conftest import ROOT
from ui.i18n import catalogue
from ui.tables import INTERVALS, cell_formatter, column_decimals, probability_formatter, row_decimals, spanish_number


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


def _decimals(text: str, lang: str) -> int:
    mark = "," if lang == "es" else "."
    return len(text.split(mark)[1]) if mark in text else 0


def _value(text: str, lang: str) -> float:
    text = text.replace(".", "").replace(",", ".") if lang == "es" else text.replace(",", "")
    return float(text.replace("\u2212", "-"))


def _intervals_within(element, lang: str) -> int:
    """Every row of a grid's estimate and interval columns: the displayed estimate within its displayed bounds,
    with their number of decimals. Returns the rows checked."""
    data, shown = element.value, _display_values(element)
    checked = 0
    for codes in INTERVALS:
        titles = [catalogue(lang)[f"col.{c}"] for c in codes]
        if not all(title in data.columns for title in titles):
            continue
        for est, low, high in zip(*(shown[title] for title in titles), strict=True):
            if "—" in (est, low, high):
                continue
            assert _decimals(est, lang) == _decimals(low, lang) == _decimals(high, lang), (titles, est, low, high)
            assert _value(low, lang) <= _value(est, lang) <= _value(high, lang), (titles, est, low, high)
            checked += 1
    return checked


def test_an_estimate_and_its_bounds_share_their_decimals_per_row():
    """'0,1 | 0,11 | 0,17' (each column's decimals from its largest value) showed an estimate outside its own
    interval: a row's estimate and bounds get one number of decimals, from the row, so rounding keeps the order."""
    estimate, low, high = pd.Series([0.14, 1.64, 10.7]), pd.Series([0.11, 1.18, 5.28]), pd.Series([0.17, 2.1, 16.12])
    assert list(row_decimals(estimate, low, high)) == [2, 2, 1]  # the demo's motivation, mathematics (DiD)
    assert list(column_decimals(s) for s in (estimate, low, high)) == [1, 2, 1]  # the old rule: 0,1 beside 0,11
    effects = (pd.Series([0.158, -0.977]), pd.Series([0.11, -1.05]), pd.Series([0.202, -0.906]))
    assert list(row_decimals(*effects)) == [3, 2]  # 0,158 [0,110 a 0,202]; −0,98 [−1,05 a −0,91]
    assert list(row_decimals(*(pd.Series([v, np.nan]) for v in (3.0, 1.0, 5.0)))) == [0, 0]  # whole numbers stay
    assert list(row_decimals(pd.Series([0.5]), pd.Series([0.5]), pd.Series([0.5]))) == [1]  # no width: the scale
    p = probability_formatter("es")
    assert [p(v) for v in (1.83e-11, 0.00005, 0.0001, 0.5123, None)] == ["< 0,0001", "< 0,0001", "0,0001", "0,5123",
                                                                          "—"]


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
    bounded = {catalogue(lang)[f"col.{c}"] for codes in INTERVALS for c in codes}
    floats = [i for i, d in enumerate(data.dtypes) if pd.api.types.is_float_dtype(d) and data.columns[i] not in bounded]
    checked = 0
    mark = "," if lang == "es" else "."
    # the estimate tables and the chart data: every estimate within its shown interval
    assert sum(_intervals_within(frame, lang) for frame in at.dataframe) >= 6
    for i in floats:
        probability = data.columns[i] in {catalogue(lang).get(f"col.{c}") for c in PROBABILITY_COLUMNS}
        write = probability_formatter(lang) if probability else cell_formatter(data.iloc[:, i], lang)
        for raw, text in zip(data.iloc[:, i], shown.iloc[:, i], strict=True):
            assert text == write(raw)
            checked += mark in text
            assert text not in ("None", "nan")
    assert checked >= 3  # real decimals were shown with the language's decimal mark


@pytest.mark.parametrize("page", ["evidencia", "regiones"])
def test_no_table_cell_is_drawn_as_none(page):
    """The grid draws a missing cell as a grey "None" whatever the Styler says: no cell reaches it missing.
    Regiones on mathematics: verdicts such as "+0,19 DE (g) [−0,02 a +0,39]" (they start like a formula)."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params["lang"] = "es"
    if page == "regiones":
        at.query_params["indicador"] = "score_math"
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception
    assert at.dataframe
    for frame in at.dataframe:
        missing = frame.value.isna()
        assert not missing.to_numpy().any(), list(frame.value.columns[missing.any()])
    shown = [str(v) for frame in at.dataframe for v in _display_values(frame).to_numpy().ravel()]
    # the spreadsheet's apostrophe ("'+0,19 DE (g) [−0,02 a +0,39]") is for downloads, never on screen
    assert shown and not [v for v in shown if v.startswith("'")]
    if page == "evidencia":  # the evidence table: every estimate within its shown interval, row by row
        assert _intervals_within(at.dataframe[0], "es") >= 6
    else:  # the verdicts start with a signed number ("+0,19 DE (g) [...]"), held for a CSV with its apostrophe
        assert [v for v in shown if v.startswith("+")]


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
    assert "Unidades" not in config  # numbers right by themselves
    assert config["Programa"] == {**st.column_config.Column(pinned=True)}  # text left, the row's name pinned
    assert config["Motivo"]["width"] == WRAP_PX and row_height == ROW_PX + 2 * LINE_PX  # 72 characters: 3 lines
    assert grid_layout(frame.drop(columns="Motivo"))[1] is None  # short texts: the grid's own row height


def test_the_rows_name_is_pinned_for_a_phone_scrolling_sideways():
    """Regiones' verdicts: the territory (not its programme) stays in view beside its estimate; Implementación's
    schools: the school; a table of numbers only pins nothing; a long key wraps in a narrow pinned column."""
    from ui.tables import LINE_PX, PINNED_PX, ROW_PX, grid_layout, key_column

    cat = catalogue("es")
    verdicts = pd.DataFrame({cat["col.program"]: ["MiLab"] * 2, cat["col.country"]: ["Guatemala"] * 2,
                             cat["col.department"]: ["Alta Verapaz", "Quiché"], "Estimación": [0.12, -0.03]})
    assert key_column(verdicts) == cat["col.department"]
    config, _ = grid_layout(verdicts)
    assert [c for c, v in config.items() if v.get("pinned")] == [cat["col.department"]]
    schools = pd.DataFrame({cat["col.program"]: ["MiLab"], cat["impl.col.school"]: ["Escuela Oficial Rural Mixta "
                            "Aldea Chuicacá número 2 jornada matutina"], cat["impl.col.code"]: ["04-01-1260-43"]})
    config, height = grid_layout(schools)
    assert config[cat["impl.col.school"]]["pinned"] and config[cat["impl.col.school"]]["width"] == PINNED_PX
    assert height == ROW_PX + 2 * LINE_PX  # 64 characters at 17 a line in the pinned column: 3 lines (the cap)
    assert key_column(pd.DataFrame({"Año": [2024], "Valor": [0.5]})) is None
    assert key_column(pd.DataFrame({"Nota": ["x"], "Valor": [0.5]})) == "Nota"  # no named key: the first text
    assert grid_layout(pd.DataFrame({"Nota": ["x"], "Zona": ["rural"]}), pin="Zona")[0]["Zona"]["pinned"]


def test_a_bound_that_rounds_to_zero_has_no_sign():
    """MiLab's mathematics interval on the demo starts at −0.0046: shown "0,00", not "−0,00" (a negative-looking
    bound), while a bound that stays non-zero keeps its sign."""
    from ui import format as fmt

    assert fmt.signed(-0.0046, 2) == "0,00" and fmt.signed(0.004, 2) == "0,00"
    assert fmt.signed(-0.006, 2) == "−0,01" and fmt.signed(0.17, 2) == "+0,17" and fmt.signed(0.0, 1) == "0,0"
