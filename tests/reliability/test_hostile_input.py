"""Hostile input: SQL-looking values everywhere, traversal in upload names, bombs, huge rows, NUL bytes,
mixed encodings, and a bounded fuzz sample (bench/soak.py runs the long one)."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.compare import CompareError, compare
from analysis.importer import readers
from analysis.importer.errors import ImportFailed
from analysis.importer.pipeline import import_file, stage_with_mapping
from analysis.importer.readers import ReadError, read_into
from analysis.importer.staging import stage
from harness.hostile import SQLISH, run_case
from tests.reliability.helpers import rates_csv, rows, sha256, write

INJECTION = "x' OR 1=1 --"


@pytest.fixture(scope="module")
def rates_db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    db = folder / "lablens.duckdb"
    import_file(rates_csv(folder / "v1.csv", range(20), 2019), db)
    return db


@pytest.mark.parametrize("field", ["indicator", "program", "by", "pre", "post", "level", "design"])
def test_sql_in_every_compare_parameter_is_a_clean_compare_error(rates_db: Path, field: str) -> None:
    before = sha256(rates_db)
    args = {"indicator": "dropout_rate", field: [INJECTION] if field == "by" else INJECTION}
    with pytest.raises(CompareError) as caught:
        compare(rates_db, **args)
    assert "\n" not in str(caught.value).strip() and str(caught.value)
    assert sha256(rates_db) == before and rows(rates_db, "SELECT count(*) FROM observations") == [(20,)]


def test_the_cli_answers_an_injected_program_in_one_line(rates_db: Path) -> None:
    from tests.reliability.helpers import cli_here, one_line_error

    assert one_line_error(cli_here("compare", "--indicator", "dropout_rate", "--program", INJECTION,
                                   "--db", str(rates_db)))


@pytest.mark.parametrize("value", SQLISH[:4])
def test_sql_in_a_mapping_is_refused_or_stored_as_text(tmp_path: Path, value: str) -> None:
    """Column names and indicator codes from a mapping never reach SQL text."""
    db = tmp_path / "lablens.duckdb"
    import_file(rates_csv(tmp_path / "v1.csv", range(3), 2019), db)
    before = sha256(db)
    src = write(tmp_path / "m.csv", f"escuela,periodo,{value.replace(',', ' ')}\n176001000001,2020,5\n")
    mapping = {"country": "CO", "unit_type": "school", "columns": {"escuela": "school_code", "periodo": "year"},
               "indicators": {value.replace(",", " "): {"code": value, "domain": "learning", "kind": "score"}}}
    with pytest.raises(ImportFailed) as caught:
        stage_with_mapping(src, mapping, db).con.close()
    assert "\n" not in str(caught.value)
    assert sha256(db) == before


def test_upload_names_cannot_choose_the_temporary_path() -> None:
    from ui.data_view import _temp_copy

    for name in ("../../../../etc/cron.d/evil.csv", "/etc/passwd.csv", "..\\..\\win.csv", "a/../../b.xlsx"):
        path = _temp_copy(name, b"a,b\n1,2\n")
        try:
            assert path.parent == Path(__import__("tempfile").gettempdir())
            assert ".." not in path.name and "/" not in path.name and path.suffix in (".csv", ".xlsx")
            assert path.read_bytes() == b"a,b\n1,2\n"
        finally:
            path.unlink()


def _bomb(path: Path, sheet_bytes: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b"a" * sheet_bytes)
    return path


def test_an_xlsx_zip_bomb_is_refused_before_it_expands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "MAX_XLSX_UNCOMPRESSED", 5_000_000)  # the real cap is 1.5 GB
    bomb = _bomb(tmp_path / "bomb.xlsx", 20_000_000)
    assert bomb.stat().st_size < 100_000  # 200:1
    with pytest.raises(ReadError, match=r"expands to 0\.0 GB; refused"):
        read_into(__import__("duckdb").connect(), bomb)
    # a bomb that lies about its size in the directory is caught by the zip reader, in one line
    data = bytearray(bomb.read_bytes())
    offset = data.rfind(b"PK\x01\x02")
    while offset != -1:
        data[offset + 24:offset + 28] = (100).to_bytes(4, "little")  # declared uncompressed size
        offset = data.rfind(b"PK\x01\x02", 0, offset)
    liar = tmp_path / "liar.xlsx"
    liar.write_bytes(bytes(data))
    with pytest.raises(ImportFailed) as caught:
        stage(liar).con.close()
    assert "\n" not in str(caught.value)


def test_ten_thousand_columns_are_refused_in_one_line(tmp_path: Path) -> None:
    header = ",".join(f"c{i}" for i in range(10_000))
    src = write(tmp_path / "wide.csv", header + "\n" + ",".join("1" for _ in range(10_000)) + "\n")
    with pytest.raises(ImportFailed, match="10000 columns; LabLens reads at most 2000"):
        stage(src)


def test_a_ten_megabyte_line_loads_or_rejects_without_harm(tmp_path: Path) -> None:
    db = tmp_path / "lablens.duckdb"
    import_file(rates_csv(tmp_path / "v1.csv", range(3), 2019), db)
    huge = "9" * 10_000_000
    src = write(tmp_path / "huge.csv", f"school_code,year,dropout_rate\n176001000050,2020,{huge}\n"
                                       "176001000051,2020,4.5\n")
    summary = import_file(src, db)
    assert (summary["rows_loaded"], summary["rows_rejected"]) == (1, 1)  # out of range: rejected, not clipped
    assert rows(db, "SELECT value FROM observations WHERE import_id = 2") == [(4.5,)]
    too_long = write(tmp_path / "longer.csv", "school_code,year,dropout_rate\n1,2020," + "9" * 25_000_000 + "\n")
    before = sha256(db)
    with pytest.raises(ImportFailed, match="cannot parse"):
        import_file(too_long, db)
    assert sha256(db) == before


@pytest.mark.parametrize(("data", "reason"), [(b"school_code,year\x00,dropout_rate\n1,2020,3\n", "NUL bytes"),
                                             (b"\x00" * 100, "no data rows")], ids=["nul-in-header", "only-nul"])
def test_nul_bytes_are_refused_in_one_line(tmp_path: Path, data: bytes, reason: str) -> None:
    db = tmp_path / "lablens.duckdb"
    with pytest.raises(ImportFailed, match=reason):
        import_file(_bytes(tmp_path / "nul.csv", data), db)
    assert not db.exists()


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_mixed_encodings_decode_or_say_which_encoding_failed(tmp_path: Path) -> None:
    # Windows-1252 text after a UTF-8 mark: refused with the reason (it used to raise UnicodeDecodeError)
    mixed = _bytes(tmp_path / "mixed.csv", b"\xef\xbb\xbfschool_code,year,dropout_rate\n"
                   + b"176001000001,2020,3\n" + "176001000002,2020,ñ\n".encode("cp1252"))
    with pytest.raises(ImportFailed, match="holds bytes of another encoding"):
        stage(mixed)
    # UTF-8 and Windows-1252 lines without a mark: read as Windows-1252, every row kept
    lines = b"school_code,year,dropout_rate,municipio\n176001000001,2020,3,Cali\n" + \
        "176001000002,2020,4,Tuluá\n".encode("cp1252") + "176001000003,2020,5,Jamundí\n".encode()
    staged = stage(_bytes(tmp_path / "lines.csv", lines))
    try:
        assert staged.source.encoding == "cp1252" and staged.source.n_rows == 3
    finally:
        staged.con.close()


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_fuzz_sample_of_hostile_files_fails_cleanly(tmp_path: Path, seed: int) -> None:
    """40 generated files staged, every fifth also imported: success or a one-line named failure."""
    db = tmp_path / "fuzz.duckdb" if seed % 5 == 0 else None
    assert run_case(random.Random(seed), tmp_path, db) in {"ok", "ImportFailed", "NotRecognised", "ReadError",
                                                           "MappingError"}
