"""Property: any messy canonical CSV either loads exactly what it says, or fails in one line leaving the
database byte-identical.

Files vary in encoding, delimiter, decimal convention, thousands separators, line endings, blank rows,
and hold some invalid and out-of-range values. The expected values are parsed back here, independently
of the importer.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from importer_helpers import leftovers, query, sha256, write

from analysis.importer.errors import ImportFailed
from analysis.importer.layouts import NotRecognised
from analysis.importer.pipeline import import_file

ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp1252")
DELIMITERS = (",", ";", "\t", "|")
# column header -> (indicator, min, max)
VALUE_COLUMNS = {"dropout_rate": ("dropout_rate", 0.0, 100.0), "score_math": ("score_math", 0.0, 1000.0),
                 "population_5_16": ("population_5_16", 0.0, None)}


@dataclass
class Cell:
    text: str          # as written in the file
    kind: str          # valid | range | nan | blank
    value: float | None = None


def _format(number: float, decimals: int, mark: str, thousands: bool) -> str:
    text = f"{number:,.{decimals}f}" if thousands else f"{number:.{decimals}f}"
    if mark == ",":  # 1,234.5 -> 1.234,5
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


@st.composite
def cells(draw, column: str, mark: str) -> Cell:
    _, low, high = VALUE_COLUMNS[column]
    kind = draw(st.sampled_from(["valid"] * 6 + ["range", "nan", "blank"]))
    if kind == "blank":
        return Cell(draw(st.sampled_from(["", " ", "NA", "N.D.", "-", "#N/A", "sin dato"])), "blank")
    if kind == "nan":
        return Cell(draw(st.sampled_from(["x1", "12a", "??", "1..2", "abc"])), "nan")
    decimals = draw(st.integers(0, 2))
    top = high if high is not None else 9_999_999.0
    if kind == "valid":
        number = round(draw(st.floats(low, top, allow_nan=False)), decimals)
        number = min(max(number, low), top)
    else:
        number = draw(st.sampled_from([-1.5, -20.0, (high or 0) + 0.5, (high or 0) + 7.25])) if high else -3.0
        decimals = 2  # written exactly: 1000.5 must not print as an in-range '1000'
    thousands = abs(number) >= 1000 and draw(st.booleans())
    text = _format(number, decimals, mark, thousands)
    value = float(text.replace(".", "").replace(",", ".")) if mark == "," else float(text.replace(",", ""))
    return Cell(text, kind, value)


@dataclass
class Case:
    encoding: str
    delimiter: str
    mark: str
    newline: str
    year_header: str
    broken_header: bool
    records: list[dict]
    blanks: list[int]  # positions among the records where a blank line goes


@st.composite
def cases(draw) -> Case:
    mark = draw(st.sampled_from([".", ","]))
    n = draw(st.integers(0, 6))
    records = []
    for i in range(n):
        year = draw(st.integers(2010, 2024))
        year_text = _format(year, 0, mark, True) if draw(st.booleans()) else str(year)
        count = draw(st.one_of(st.none(), st.integers(0, 2_000_000)))
        count_text = "" if count is None else _format(count, 0, mark, draw(st.booleans()))
        records.append({"code": f"1760010{i:05d}", "year": year, "year_text": year_text, "n": count,
                        "n_text": count_text, "note": draw(st.sampled_from(["", "revisión", "año atípico", "ok"])),
                        **{c: draw(cells(c, mark)) for c in VALUE_COLUMNS}})
    if records:  # guarantee evidence of the decimal mark (a lone '1.000' is ambiguous by nature)
        evidence = f"{draw(st.integers(1, 99))}{mark}{draw(st.integers(1, 9))}5"
        records[0]["dropout_rate"] = Cell(evidence, "valid", float(evidence.replace(",", ".")))
    return Case(
        encoding=draw(st.sampled_from(ENCODINGS)), delimiter=draw(st.sampled_from(DELIMITERS)), mark=mark,
        newline=draw(st.sampled_from(["\n", "\r\n"])), year_header=draw(st.sampled_from(["year", "año", "Año"])),
        broken_header=draw(st.integers(0, 9)) == 0, records=records,
        blanks=draw(st.lists(st.integers(0, n), max_size=3)))


def _render(case: Case) -> str:
    header = ["school_code" if not case.broken_header else "escuela_xyz", case.year_header, *VALUE_COLUMNS, "n",
              "observación"]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=case.delimiter, lineterminator=case.newline)
    writer.writerow(header)
    for i, r in enumerate([*case.records, None]):
        for _ in range(case.blanks.count(i)):
            out.write(case.delimiter * (len(header) - 1) + case.newline if i % 2 else case.newline)
        if r is not None:
            writer.writerow([r["code"], r["year_text"], *[r[c].text for c in VALUE_COLUMNS], r["n_text"], r["note"]])
    return out.getvalue()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with one earlier import, copied fresh for every example."""
    folder = tmp_path_factory.mktemp("template")
    db = folder / "lablens.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LABLENS_KEY_FILE", str(folder / "key.bin"))
        import_file(write(folder / "base.csv", "school_code,year,dropout_rate\n176009999999,2019,7.5\n"), db)
    return db


@pytest.mark.slow
@settings(max_examples=14, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(case=cases())
def test_messy_canonical_csv_loads_exactly_or_fails_cleanly(template: Path, case: Case) -> None:
    folder = Path(tempfile.mkdtemp(prefix="lablens-prop-", dir=template.parent))
    try:
        db = folder / "lablens.duckdb"
        shutil.copyfile(template, db)
        before = sha256(db)
        text = _render(case)
        encoding = case.encoding
        if encoding == "cp1252":
            text.encode("cp1252")  # every generated character exists in Windows-1252
        path = write(folder / "datos.csv", text, encoding)
        expect_failure = case.broken_header or not case.records
        try:
            summary = import_file(path, db)
        except (ImportFailed, NotRecognised) as exc:
            assert expect_failure, f"unexpected failure: {exc}"
            assert str(exc) and "\n" not in str(exc)
            assert ("layout not recognised" in str(exc)) == (case.broken_header and bool(case.records))
            assert sha256(db) == before and leftovers(db) == []
            return
        assert not expect_failure, "a file without data rows or with an unknown layout was imported"
        _check_loaded(db, case, summary)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _check_loaded(db: Path, case: Case, summary: dict) -> None:
    assert summary["status"] == "active" and summary["import_id"] == 2
    assert summary["encoding"] == case.encoding and summary["delimiter"] == case.delimiter
    assert summary["rows_read"] == len(case.records)
    expected_obs, expected_rejects = {}, set()
    for row, r in enumerate(case.records, start=1):
        for column, (indicator, low, high) in VALUE_COLUMNS.items():
            cell = r[column]
            if cell.kind == "valid":
                expected_obs[(f"CO-{r['code']}", indicator)] = (r["year"], cell.value, r["n"])
            elif cell.kind == "nan":
                expected_rejects.add((row, column, cell.text.strip(), "not a number"))
            elif cell.kind == "range":
                expected_rejects.add((row, column, cell.text.strip(), "outside the valid range of "
                                      f"{indicator} [{low}, {'' if high is None else high}]"))
    stored = {(u, i): (y, v, n) for u, i, y, v, n in query(
        db, "SELECT unit_id, indicator, year, value, n FROM observations WHERE import_id = 2")}
    assert stored == {k: (y, v, None if n is None else float(n)) for k, (y, v, n) in expected_obs.items()}
    rejects = {(r, c, (v or "").strip(), why) for r, c, v, why in query(
        db, "SELECT row_number, column_name, raw_value, reason FROM rejects WHERE import_id = 2")}
    assert rejects == expected_rejects
    assert query(db, "SELECT unit_id, value FROM observations WHERE import_id = 1") == [("CO-176009999999", 7.5)]
    assert leftovers(db) == []
