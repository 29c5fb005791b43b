"""Tables the way readers expect numbers: 480.878 and 0,42 in Spanish, 480,878 and 0.42 in English, the real
minus sign, a dash for none, and words for codes.

st.dataframe shows numbers in its own way whatever the language. The frame is passed as a pandas Styler
whose display text is localised; the cell values stay numbers, so sorting and the grid's own CSV download
still work on the numbers (pre-formatted strings would sort "10" before "9"). The grid ignores the Styler for
missing cells and draws them as "None": a numeric column with gaps is sent as its display text instead.
Each float column is shown with one number of decimals for all its rows (three significant digits of its
largest value, 1 to 4, never more than the column was rounded to), so it never mixes "0,16" and "0,1182"; an
estimate and its bounds follow their row instead (below). Whole numbers get thousands separators, except
columns of years (every value between 1900 and 2100). Missing cells show "—", never "None" or "nan". Columns
titled as an indicator, sex, zone or survey wave show the words for their codes.

An estimate and its interval bounds (estimate, 95% CI low and high; effect and its bounds; a mean and its
interval) are written with the same decimals on each row, chosen from that row (:func:`row_decimals`), so the
rounded estimate always lies within its rounded bounds ("0,1 | 0,11" is never shown). p- and q-values are
written at four decimals, "< 0,0001" below (never "0,0000").

The grid's toolbar can download the table as CSV (a public deployment turns that off: it cannot be
audited, ui/server_guard.py). The toolbar writes the cells' values, the screen their display text: a text
cell that a spreadsheet would run as a formula (= + - @ tab CR first, OWASP "CSV injection"; a signed number
LabLens writes, "+0,16 DE [+0,12 a +0,20]", calls nothing and is left alone) holds the apostrophe LabLens' own
files give it (``analysis.safe_export``), and is displayed without it.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import streamlit as st

from analysis import plain_language
from analysis.disclosure import PROBABILITY_COLUMNS, PUBLISHED_DECIMALS
from analysis.safe_export import FORMULA_STARTS, csv_bytes
from ui import format as fmt
from ui.export import audited_download_button
from ui.i18n import current_language, has, number, t
from ui.loaders import indicator_names

MAX_DECIMALS = 4
MISSING = "—"


def spanish_number(value: object) -> str:
    """0.4213 -> '0,4213'; -1234.5 -> '−1.234,5'; 12.0 -> '12'; NaN -> '—'."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    text = f"{abs(float(value)):,.{MAX_DECIMALS}f}".rstrip("0").rstrip(".")
    text = text.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
    return ("\u2212" if float(value) < 0 and text != "0" else "") + text


# what a formula needs to call a function, reach another sheet or program (DDE), or compare: absent from a
# signed number LabLens writes itself ('+0,16 DE [+0,12 a +0,20]'), which is left as it is
_FORMULA_CHARS = re.compile(r"[(|!=@\"'\t\r\n;]")


def formula_like(value: object) -> bool:
    """A text a spreadsheet would run: = @ tab CR first, or + - first unless a signed number follows that
    carries none of the characters a formula needs (OWASP "CSV injection")."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return False
    signed_number = value[0] in "+-" and value[1:2].isdigit() and not _FORMULA_CHARS.search(value)
    return not signed_number


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with formula-like text cells prefixed by an apostrophe (a copy only when one is found): the
    values the grid's toolbar would write to a CSV."""
    out = frame
    for i in range(frame.shape[1]):
        values = frame.iloc[:, i]
        if values.dtype != object and not pd.api.types.is_string_dtype(values):
            continue
        risky = values.map(formula_like).astype(bool)
        if risky.any():
            if out is frame:
                out = frame.copy()
            out.iloc[:, i] = values.where(~risky, "'" + values.astype(str))
    return out


def column_decimals(values: pd.Series) -> int:
    """Decimals for a whole column: 0 for whole numbers, else three significant digits of its largest magnitude
    (1 to MAX_DECIMALS: an estimate and its interval bounds, of one magnitude, then agree), never more than the
    values were rounded to."""
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    x = x[np.isfinite(x)]
    if not len(x) or np.all(x == np.round(x)):
        return 0
    nonzero = np.abs(x[x != 0])
    decimals = min(MAX_DECIMALS, max(1, 2 - math.floor(math.log10(float(nonzero.max())))))
    for rounded in range(decimals):
        if np.allclose(x, np.round(x, rounded), rtol=0, atol=1e-9):
            return max(rounded, 1)
    return decimals


def _is_years(values: pd.Series) -> bool:
    x = pd.to_numeric(values, errors="coerce").dropna()
    return bool(len(x)) and bool(((x >= 1900) & (x <= 2100) & (x == x.round())).all())


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def write_number(value: object, decimals: int, language: str) -> str:
    """A number with ``decimals`` decimals in the language's convention, a real minus sign, '—' when missing."""
    if _missing(value):
        return MISSING
    text = plain_language.number(abs(float(value)), decimals, language)
    zero = float(text.replace(",", "").replace(".", "")) == 0
    return ("\u2212" if float(value) < 0 and not zero else "") + text


def cell_formatter(values: pd.Series, language: str) -> Callable[[object], str]:
    """How every cell of a numeric column is written (see the module docstring)."""
    years = _is_years(values)
    decimals = column_decimals(values)

    def write(value: object) -> str:
        if years and not _missing(value):
            return str(int(value))
        return write_number(value, decimals, language)

    return write


def probability_formatter(language: str, decimals: int = PUBLISHED_DECIMALS["p_value"]) -> Callable[[object], str]:
    """A p- or q-value at four decimals; one under 0,0001 as '< 0,0001', never '0,0000' (a p of 1.8e-11 is not 0)."""
    floor = 10.0 ** -decimals

    def write(value: object) -> str:
        if not _missing(value) and 0 < float(value) < floor:
            return "< " + write_number(floor, decimals, language)
        return write_number(value, decimals, language)

    return write


# an estimate and its interval bounds, by their column codes: written with the same decimals on each row
INTERVALS = (("estimate", "ci_low", "ci_high"), ("mean", "ci_low", "ci_high"),
             ("effect_size", "es_ci_low", "es_ci_high"),
             ("diff", "diff_ci_low", "diff_ci_high"), ("pretrend_diff", "pretrend_ci_low", "pretrend_ci_high"),
             ("cace", "cace_ci_low", "cace_ci_high"))


def row_decimals(estimate: pd.Series, low: pd.Series, high: pd.Series) -> np.ndarray:
    """Decimals per row for an estimate and its bounds: three significant digits of the row's largest magnitude
    or two of the interval's width, whichever needs more (1 to MAX_DECIMALS), never more than the three columns
    were rounded to (0 when they hold whole numbers). Rounding is monotone, so with one number of decimals per
    row the rounded estimate lies within its rounded bounds whenever the estimate lies within its bounds."""
    x = np.column_stack([pd.to_numeric(v, errors="coerce").to_numpy(dtype=float) for v in (estimate, low, high)])
    values = x[np.isfinite(x)]
    cap = next((r for r in range(MAX_DECIMALS) if np.allclose(values, np.round(values, r), rtol=0, atol=1e-9)),
               MAX_DECIMALS)
    size = np.abs(np.where(np.isfinite(x), x, np.nan))
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing row: nanmax of nothing
        scale = 2 - np.floor(np.log10(np.nanmax(size, axis=1)))
        width = 1 - np.floor(np.log10(x[:, 2] - x[:, 1]))
    need = np.fmax(scale, np.where(np.isfinite(width), width, np.nan))
    need = np.where(np.isfinite(need), np.clip(need, 1, MAX_DECIMALS), cap)
    return np.minimum(need, cap).astype(int)


def _in_words(frame: pd.DataFrame) -> pd.DataFrame:
    """Codes in the columns titled as an indicator, sex, zone or survey wave, in words."""
    out = None
    columns = {t("col.indicator"): None, t("col.sex"): "sex", t("col.zone"): "zone", t("col.wave"): "period"}
    for title, field in columns.items():
        if title not in frame.columns or pd.api.types.is_numeric_dtype(frame[title]):
            continue
        if field is None:
            names = indicator_names()
            words = frame[title].map(lambda c, names=names: names.get(c, c) if isinstance(c, str) else c)
        elif field == "period":
            words = frame[title].map(lambda c: t(f"period.{c}") if isinstance(c, str) and has(f"period.{c}") else c)
        else:
            words = frame[title].map(lambda c, f=field: fmt.group_label(f, c) if isinstance(c, str) else c)
        out = frame.copy() if out is None else out
        out[title] = words
    return frame if out is None else out


def _interval_decimals(frame: pd.DataFrame, numeric: list) -> dict[object, np.ndarray]:
    """Per-row decimals of every column that is an estimate or one of its bounds (:data:`INTERVALS`)."""
    out: dict[object, np.ndarray] = {}
    for codes in INTERVALS:
        titles = [t(f"col.{c}") for c in codes]
        if all(title in numeric for title in titles) and not any(title in out for title in titles):
            decimals = row_decimals(*(frame[title] for title in titles))
            out.update(dict.fromkeys(titles, decimals))
    return out


def localised(frame: pd.DataFrame) -> pd.DataFrame | pd.io.formats.style.Styler:
    """The frame as shown in the session's language: a Styler writing numbers, dashes and words. A text a
    spreadsheet would run holds the apostrophe in its value (what the grid's toolbar exports), never on screen."""
    if not frame.columns.is_unique or not frame.index.is_unique:
        return spreadsheet_safe(frame)
    frame = _in_words(frame)
    language = current_language()
    numeric = [c for c in frame.columns
               if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]
    formats = {c: cell_formatter(frame[c], language) for c in numeric}
    probabilities = {t(f"col.{c}") for c in PROBABILITY_COLUMNS}
    formats.update({c: probability_formatter(language) for c in numeric if c in probabilities})
    by_row = _interval_decimals(frame, numeric)
    # the grid draws a missing number as a grey "None" whatever the Styler says: a numeric column with gaps is
    # sent as its display text ("—" in the gaps); it then sorts as text, the price of never showing "None"
    gaps = [c for c in numeric if frame[c].isna().any()]
    if gaps:
        frame = frame.assign(**{c: ([write_number(v, d, language) for v, d in zip(frame[c], by_row.pop(c), strict=True)]
                                    if c in by_row else frame[c].map(formats[c])) for c in gaps})
        for c in gaps:
            formats.pop(c)
    for c in frame.columns.difference(numeric):  # text columns: a missing cell is "—", never "None"
        if frame[c].isna().any():
            frame = frame.assign(**{c: frame[c].astype(object).where(frame[c].notna(), MISSING)})
    for c in frame.columns.difference(numeric):  # numbers among texts ("<10" beside counts): the numbers written
        found = [v for v in frame[c] if isinstance(v, (int, float, np.number)) and not isinstance(v, bool)]
        if found:
            write = cell_formatter(pd.Series(found, dtype=float), language)
            formats[c] = lambda v, write=write: (write(v) if isinstance(v, (int, float, np.number))
                                                 and not isinstance(v, bool) else v)
    safe = spreadsheet_safe(frame)
    styler = safe.style.format(formats, na_rep=MISSING)
    for c, decimals in by_row.items():  # an estimate and its bounds: one number of decimals per row
        for d in np.unique(decimals):
            styler = styler.format(lambda v, d=int(d): write_number(v, d, language), na_rep=MISSING,
                                   subset=(frame.index[decimals == d], [c]))
    if safe is not frame:  # the apostrophe is for a spreadsheet: the screen shows the text as it is
        for c in frame.columns.difference(numeric):
            risky = (safe[c] != frame[c]).to_numpy()  # the cells spreadsheet_safe prefixed
            if risky.any():
                styler = styler.format(lambda v: v[1:], subset=(frame.index[risky], [c]))
    return styler


MAX_ROWS = 250
# a count as LabLens writes it in a text column: "12.345", "850", "<10" (a year or a 12-digit code is no count)
_COUNT_TEXT = re.compile(r"^(?:<\s*\d+|\d{1,3}(?:[.,\u202f\u00a0]\d{3})*(?:[.,]\d+)?)$")
WRAP_CHARS = 34  # a text longer than this is cut in a phone's column: the rows get room for more lines
WRAP_PX = 260  # the width of a column of long texts: 34 characters a line, most of a phone's width
MAX_LINES = 3
LINE_PX = 21  # a line of the grid's 14-px text, measured in Chromium
ROW_PX = 35  # the grid's one-line row
# the column that names a row, most specific first (its title in the session's language): kept in view when a
# phone scrolls the grid sideways (st.column_config pinned=True), so an estimate never scrolls away from its
# territory, school or indicator
KEY_COLUMNS = ("col.school", "impl.col.school", "col.name", "col.municipality", "col.department", "col.authority",
               "impl.col.territory", "pilot.col.stratum", "col.indicator", "col.program")
PINNED_PX = 130  # a pinned long text wraps in a third of a 390-px phone: the values keep the rest


def count_like(values: pd.Series) -> bool:
    """Whether a column reads as numbers: every cell a number, a written count or a suppression mark ("<10"),
    or missing ("—"), at least one not missing; such a column is right-aligned like the numeric ones."""
    seen = False
    for v in values:
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) or v in (MISSING, ""):
            continue
        if isinstance(v, bool) or not (isinstance(v, (int, float, np.number))
                                       or (isinstance(v, str) and _COUNT_TEXT.match(v.strip()))):
            return False
        seen = True
    return seen


def _is_text(values: pd.Series) -> bool:
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    return not numeric and not pd.api.types.is_bool_dtype(values) and not count_like(values)


def key_column(frame: pd.DataFrame) -> object | None:
    """The column that names each row, pinned in view while a phone scrolls sideways: the most specific of
    :data:`KEY_COLUMNS` among the text columns (the territory before its programme), else the first column
    when it is text; None for a table of numbers only."""
    texts = [c for c in frame.columns if _is_text(frame[c])]
    for key in KEY_COLUMNS:
        found = [c for c in texts if c == t(key)]
        if found:
            return found[0]
    if texts and texts[0] == frame.columns[0]:
        return frame.columns[0]
    return None


def grid_layout(frame: pd.DataFrame, pin: object | None = None) -> tuple[dict, int | None]:
    """(column_config, row_height) for st.dataframe: numbers sent as text (counts with "<10", numeric columns
    with gaps) right-aligned as the numeric columns are; when a text is too long for a phone's column, rows
    tall enough for it to wrap (up to MAX_LINES lines) in a column of WRAP_PX, instead of a text cut with "…"
    (a "large" column held it on one line, most of it scrolled off a phone's screen). The row's name
    (``pin``, else :func:`key_column`) is pinned: it stays in view while the grid scrolls sideways, a long one
    wrapped in PINNED_PX."""
    config: dict = {}
    longest = 0
    for c in frame.columns:
        values = frame[c]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            if values.isna().any():  # sent as its display text (localised): aligned as a number still
                config[c] = st.column_config.Column(alignment="right")
            continue
        if count_like(values):
            config[c] = st.column_config.Column(alignment="right")
            continue
        size = max((len(v) for v in values if isinstance(v, str)), default=0)
        if size > WRAP_CHARS:
            config[c] = st.column_config.Column(width=WRAP_PX)
            longest = max(longest, size)
    pin = key_column(frame) if pin is None else pin
    if pin in frame.columns:
        long_key = pin in config and config[pin].get("width") == WRAP_PX
        config[pin] = st.column_config.Column(pinned=True, width=PINNED_PX if long_key else None)
        if long_key:  # wrapped in a narrower column: as many lines as the key needs there (up to MAX_LINES)
            size = max((len(v) for v in frame[pin] if isinstance(v, str)), default=0)
            longest = max(longest, math.ceil(size * WRAP_PX / PINNED_PX))
    if not longest:
        return config, None
    lines = min(MAX_LINES, math.ceil(longest / WRAP_CHARS))
    return config, ROW_PX + LINE_PX * (lines - 1)


def table(frame: pd.DataFrame, *, max_rows: int = MAX_ROWS, pin: object | None = None, **kwargs) -> None:
    """st.dataframe, full width, without the index, numbers in the session's convention, counts right-aligned,
    long texts wrapped and the row's name pinned (``pin``, else :func:`key_column`; :func:`grid_layout`).

    At most ``max_rows`` rows are drawn, the rest go to a CSV built on click: a 40,000-school table
    (national scale, issue #6) took about a second of every rerun to localise and send.
    """
    shown = frame if len(frame) <= max_rows else frame.head(max_rows)
    config, row_height = grid_layout(_in_words(shown), pin)  # the words' length, not the codes'.
    kwargs = {"column_config": config, "row_height": row_height, **kwargs}
    if row_height and "height" not in kwargs:  # as many rows in view as the grid's usual ten one-line rows
        kwargs["height"] = ROW_PX + 2 + row_height * min(len(shown), 10)
    st.dataframe(localised(shown), hide_index=True, width="stretch", **kwargs)
    if len(frame) <= max_rows:
        return
    st.caption(t("table.truncated", shown=number(max_rows), total=number(len(frame))))
    language = current_language()
    audited_download_button(t("evidence.download_csv"), lambda: csv_bytes(frame, language), file_name="table.csv",
                            mime="text/csv", what="table", key=f"table-csv-{len(frame)}-{len(frame.columns)}",
                            details={"rows": len(frame), "columns": [str(c) for c in frame.columns]})
