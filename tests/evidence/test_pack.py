"""The evidence pack (issue #5): every part opened and checked against compare() and the database.

References: Frictionless Data Package / Table Schema (https://specs.frictionlessdata.io/), validated with the
``frictionless`` library; OWASP "CSV injection" for the formula rules; docs/DESIGN.md, "Privacy and disclosure".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import subprocess
import time
import zipfile
from pathlib import Path

import duckdb
import numpy as np
import openpyxl
import pandas as pd
import pytest

import analysis
from analysis import row_notes
from analysis.cli import main
from analysis.compare import VALUE_COLUMNS_SUPPRESSED, compare
from analysis.disclosure import round_published
from analysis.evidence import EvidenceRequest, evidence_table, pack_bytes, reproducible_connection
from analysis.evidence.table import tidy
from tests.evidence.conftest import pack_context

INDICATORS = ["score_math", "dropout_rate", "motivation_index"]
# the demo holds implementation records, so its packs carry the implementation facts and the dose-response too
PACK_FILES = ["evidence.csv", "evidence_es.csv", "dictionary.csv", "evidence.xlsx", "evidence.parquet",
              "datapackage.json", "methods.md", "dose_response.csv", "implementation.csv", "brief.html",
              "provenance.json"]
EXTRA_FILES = ("dose_response.csv", "implementation.csv")  # added by the CLI and the page from the database
DATA_FILES = [n for n in PACK_FILES if n not in ("brief.html", "provenance.json", *EXTRA_FILES)]
KEYS = ["indicator", "program", "country", "start_year_cohort"]


def _export(db: str, out: Path, *extra: str) -> int:
    return main(["export", "--db", db, "--out", str(out), *extra])


@pytest.fixture(scope="module")
def pack(export_db, tmp_path_factory) -> dict[str, bytes]:
    """The pack of three indicators (DiD) with the Spanish CSV variant, from the command line."""
    out = tmp_path_factory.mktemp("pack") / "evidence.zip"
    assert _export(export_db, out, "--indicator", "score_math,dropout_rate", "--indicator", "motivation_index",
                   "--design", "did", "--csv-locale", "es") == 0
    with zipfile.ZipFile(out) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _expected(db: str, design: str = "did", **kwargs) -> pd.DataFrame:
    """compare() called directly, one call per indicator, in the table's layout (first columns, year text), at
    display precision (docs/METHODS.md, "Disclosure avoidance").

    On one DuckDB thread, as exports run: with several threads DuckDB sums floats in a varying order and
    the last binary digit of some results changes from call to call (checked below).
    """
    parts = []
    con = reproducible_connection(db)
    for code in INDICATORS:
        frame = compare(con, code, design=design, **kwargs)
        frame = frame.drop(columns="design")
        frame.insert(0, "indicator", code)
        frame.insert(1, "design", design)
        frame.insert(2, "grouping", "")
        frame["pre_years"] = frame["pre_years"].map(lambda ys: " ".join(str(int(y)) for y in sorted(ys)))
        frame["post_years"] = frame["post_years"].map(lambda ys: " ".join(str(int(y)) for y in sorted(ys)))
        parts.append(frame)
    con.close()
    return round_published(pd.concat(parts, ignore_index=True))  # files hold what the screen shows


def _same_column(got: pd.Series, want: pd.Series, name: str, digits16: bool = False) -> None:
    got, want = got.reset_index(drop=True), want.reset_index(drop=True)
    if pd.api.types.is_numeric_dtype(want) and not pd.api.types.is_bool_dtype(want):
        g, w = pd.to_numeric(got).to_numpy(dtype=float), pd.to_numeric(want).to_numpy(dtype=float)
        if digits16:  # openpyxl writes '%.16g' (Excel itself keeps 15 significant digits)
            w = np.array([float(f"{v:.16g}") for v in w])
        assert np.array_equal(g, w, equal_nan=True), name  # exact: floats round-trip, no tolerance
    else:
        # text "" and missing are the same cell in CSV (Table Schema missingValues [""])
        def norm(v):
            return None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or v == "" else v
        assert [norm(v) for v in got] == [norm(v) for v in want], name


def _match(got: pd.DataFrame, want: pd.DataFrame, digits16: bool = False) -> None:
    sort = [k for k in KEYS if k in want]
    got = got.sort_values(sort, kind="stable").reset_index(drop=True)
    want = want.sort_values(sort, kind="stable").reset_index(drop=True)
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want) > 0
    for column in want.columns:
        _same_column(got[column], want[column], column, digits16)


def _read_csv(data: bytes, sep: str = ",", decimal: str = ".") -> pd.DataFrame:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark: Excel shows accents
    return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", sep=sep, decimal=decimal,
                       keep_default_na=False, na_values=[""])


def test_pack_holds_every_part_with_fixed_entry_times(pack, export_db, tmp_path):
    assert list(pack) == PACK_FILES
    out = tmp_path / "again.zip"
    assert _export(export_db, out, "--indicator", "score_math", "--design", "did", "--lang", "en") == 0
    with zipfile.ZipFile(out) as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert "evidence_es.csv" not in archive.namelist()  # an English pack: only with --csv-locale es
    spanish = tmp_path / "es.zip"
    assert _export(export_db, spanish, "--indicator", "score_math", "--design", "did") == 0
    with zipfile.ZipFile(spanish) as archive:
        assert "evidence_es.csv" in archive.namelist()  # a Spanish pack opens in a Spanish Excel
        methods = archive.read("methods.md").decode("utf-8")
        package = json.loads(archive.read("datapackage.json"))
    # a runnable command with the exact options, a suggested citation and the licence (CC BY 4.0 by default)
    command = ("python -m analysis export --indicator score_math --design did --min-cell 10 --lang es "
               "--csv-locale es --out evidence_pack.zip")
    assert command in methods
    assert package["licenses"] == [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
                                     "title": "CC BY 4.0"}]
    assert package["citation"]["es"] in methods and "LabLens (" in package["citation"]["es"]
    assert "Licencia de la evidencia: CC BY 4.0" in methods


def test_datapackage_is_a_valid_frictionless_package(pack, tmp_path):
    frictionless = pytest.importorskip("frictionless")
    for name, data in pack.items():
        (tmp_path / name).write_bytes(data)
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])[:5]
    package = json.loads(pack["datapackage.json"])
    assert [r["name"] for r in package["resources"]] == ["evidence", "evidence-es", "dictionary"]
    fields = {f["name"]: f for f in package["resources"][0]["schema"]["fields"]}
    assert fields["n_treated"]["type"] == "integer" and fields["effect_size"]["type"] == "number"
    assert fields["inference_reliable"]["type"] == "boolean" and fields["program"]["type"] == "string"
    assert all(f["description_es"] and f["description_en"] and f["description_es"] != f["description_en"]
               for f in fields.values() if f["name"] not in ("sex",))
    assert package["resources"][0]["schema"]["missingValues"] == [""]
    es_fields = {f["name"]: f for f in package["resources"][1]["schema"]["fields"]}
    assert package["resources"][1]["dialect"]["delimiter"] == ";" and es_fields["effect_size"]["decimalChar"] == ","
    header = _read_csv(pack["evidence.csv"]).columns.tolist()
    assert list(fields) == header


def test_frictionless_rejects_a_broken_table(pack, tmp_path):
    """The validation above can fail: a text in an integer column is reported."""
    frictionless = pytest.importorskip("frictionless")
    for name, data in pack.items():
        (tmp_path / name).write_bytes(data)
    table = _read_csv(pack["evidence.csv"])
    table["n_treated"] = table["n_treated"].astype(object)
    table.loc[0, "n_treated"] = "many"
    (tmp_path / "evidence.csv").write_bytes(table.to_csv(index=False).encode("utf-8-sig"))
    assert not frictionless.validate(str(tmp_path / "datapackage.json")).valid


def test_csv_and_parquet_read_back_match_compare_exactly(pack, export_db):
    want = _expected(export_db)
    _match(_read_csv(pack["evidence.csv"]), want)
    # the Spanish file says each row's note in Spanish (analysis/row_notes.py); the others keep compare()'s English
    _match(_read_csv(pack["evidence_es.csv"], sep=";", decimal=","),
           want.assign(note=[row_notes.say(v, "es") if isinstance(v, str) else v for v in want["note"]]))
    assert (want["note"].fillna("") != "").any()  # the check above can fail: some row has a note
    parquet = pd.read_parquet(io.BytesIO(pack["evidence.parquet"]))
    _match(parquet, want)
    # Parquet keeps text exactly (empty flags stay "", not missing) and integers as integers
    assert parquet["flags"].notna().all()
    assert str(parquet["n_treated"].dtype) == "Int64"


def test_no_exported_p_or_q_is_zero_when_the_true_one_is_not(pack, export_db):
    """A p of 1.8e-11 rounded to four decimals was exported as 0 (evidence_es.csv '0,0'): under 0.0001 a p- or
    q-value keeps three significant digits (docs/METHODS.md, "Disclosure avoidance"), in every file."""
    con = reproducible_connection(export_db)
    true = pd.concat([compare(con, code, design="did").assign(indicator=code) for code in INDICATORS],
                     ignore_index=True)
    con.close()
    true = true.sort_values(KEYS, kind="stable").reset_index(drop=True)
    files = {"evidence.csv": _read_csv(pack["evidence.csv"]),
             "evidence_es.csv": _read_csv(pack["evidence_es.csv"], sep=";", decimal=","),
             "evidence.parquet": pd.read_parquet(io.BytesIO(pack["evidence.parquet"])),
             "evidence.xlsx": pd.read_excel(io.BytesIO(pack["evidence.xlsx"]), sheet_name="evidence")}
    tiny = 0
    for name, frame in files.items():
        frame = frame.sort_values(KEYS, kind="stable").reset_index(drop=True)
        for column in ("p_value", "q_value", "wild_p_value", "p_value_naive", "p_value_icc_corrected", "pretrend_p"):
            want = pd.to_numeric(true[column], errors="coerce").to_numpy(dtype=float)
            got = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
            positive = want > 0
            assert (got[positive] > 0).all(), (name, column)
            small = positive & (want < 1e-4)
            assert np.allclose(got[small], want[small], rtol=5e-3, atol=0), (name, column)  # 3 significant digits
            assert np.array_equal(got[~small], np.round(want[~small], 4), equal_nan=True), (name, column)
            tiny += int(small.sum())
    assert tiny >= 8  # the demo's clear effects: p far below 0.0001 in each of the four files


def test_xlsx_has_four_sheets_numbers_as_numbers_and_no_formula(pack, export_db):
    book = openpyxl.load_workbook(io.BytesIO(pack["evidence.xlsx"]))
    assert book.sheetnames == ["evidence", "dictionary", "methods", "provenance"]
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)
    rows = list(book["evidence"].iter_rows(values_only=True))
    frame = pd.DataFrame(rows[1:], columns=rows[0])
    assert all(isinstance(v, float) for v in frame["effect_size"].dropna())
    assert all(isinstance(v, int) for v in frame["n_treated"].dropna())
    _match(frame, _expected(export_db), digits16=True)
    dictionary = pd.DataFrame(list(book["dictionary"].iter_rows(values_only=True))[1:],
                              columns=["column", "type", "description_es", "description_en"])
    assert dictionary["column"].tolist() == list(frame.columns)
    provenance = dict(book["provenance"].iter_rows(min_row=2, values_only=True))
    assert provenance["lablens_version"] == analysis.__version__
    assert "generated_at" in provenance and provenance["generated_at"] == "provenance.json"  # no time in the xlsx


def test_provenance_names_the_source_sha256_version_commit_and_command(pack, export_db):
    prov = json.loads(pack["provenance.json"])
    with duckdb.connect(export_db, read_only=True) as con:
        import_id, source, sha = con.execute("SELECT import_id, source_name, sha256 FROM imports").fetchone()
    assert [(i["import_id"], i["source_name"], i["sha256"]) for i in prov["imports"]] == [(import_id, source, sha)]
    assert len(sha) == 64
    assert prov["lablens_version"] == analysis.__version__
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(analysis.__file__).parents[1],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        head = "unknown"
    assert prov["git_commit"] == head
    assert prov["command"].startswith("python -m analysis export ") and "--design did" in prov["command"]
    assert prov["filters"]["indicators"] == INDICATORS and prov["filters"]["min_cell"] == 10
    assert [c["indicator"] for c in prov["compare_calls"]] == INDICATORS
    generated = dt.datetime.fromisoformat(prov["generated_at"].replace("Z", "+00:00"))
    assert abs((dt.datetime.now(dt.UTC) - generated).total_seconds()) < 600
    assert prov["database"] == {"file": "lablens.duckdb", "schema_version": "1", "synthetic_demo": True}
    assert "randomised_assignments" not in prov  # only the randomised-trial design carries them
    for name in PACK_FILES:
        if name != "provenance.json":
            assert prov["files"][name] == hashlib.sha256(pack[name]).hexdigest(), name


def test_the_command_shown_names_files_without_their_folders(pack, export_db):
    """The brief's "Pedido como:", provenance and the xlsx repeat the command with the database and the pack by
    their file names: the folders (a user's home and name) stay on the user's machine."""
    folders = {str(Path(export_db).parent), "/tmp/", str(Path.home())}
    db = Path(export_db).name
    asked = f"python -m analysis export --db {db} --out evidence.zip --indicator score_math,dropout_rate"
    brief = pack["brief.html"].decode("utf-8")
    assert f"Pedido como: {asked}" in brief and json.loads(pack["provenance.json"])["command"].startswith(asked)
    sheet = openpyxl.load_workbook(io.BytesIO(pack["evidence.xlsx"]), read_only=True)["provenance"]
    assert any(isinstance(c, str) and c.startswith(asked) for row in sheet.iter_rows(values_only=True) for c in row)
    for name in ("brief.html", "provenance.json", "methods.md", "datapackage.json"):
        assert not any(folder.encode() in pack[name] for folder in folders), name
    from analysis.cli import shown_argv

    assert shown_argv(["export", "--db=C:\\Users\\ana\\lab.duckdb", "--out", "/home/ana/p.zip", "--costs",
                       "../c.csv", "--indicator", "a/b"]) == [
        "export", "--db=lab.duckdb", "--out", "p.zip", "--costs", "c.csv", "--indicator", "a/b"]


def test_methods_give_design_windows_icc_min_cell_and_confidence(pack):
    text = pack["methods.md"].decode("utf-8")
    assert text.startswith("# Métodos de esta tabla de evidencia")  # default language: Spanish
    assert "| design | did |" in text and "| min_cell | 10 |" in text and "| confidence_level | 0.95 |" in text
    assert "| icc_wwc_correction | score_math: 0.2; dropout_rate: 0.1; motivation_index: 0.1 |" in text
    # windows as compare() chose them: staggered ValleLabs start years give one cohort each
    assert "| dropout_rate | ValleLabs | CO | 2019 | 2015-2018 | 2019-2025 |" in text
    assert "| score_math | ValleLabs | CO |  | 2022-2022 | 2023-2023 | 2022 | 2023 |" in text


def test_data_files_are_byte_identical_across_runs(export_db, tmp_path):
    """Same filters, same bytes: no time inside the data files (XLSX core.xml and ZIP entries included)."""
    request = EvidenceRequest(indicators=tuple(INDICATORS), design="did", command="test")
    context = pack_context(export_db, "lablens.duckdb")
    outs = {fmt: [tmp_path / f"{i}.{fmt}" for i in (1, 2)] for fmt in ("xlsx", "csv", "parquet")}
    first = pack_bytes(evidence_table(export_db, request), request, context, csv_locale="es")
    for fmt in outs:
        assert _export(export_db, outs[fmt][0], "--indicator", "score_math", "--design", "did") == 0
    time.sleep(2.1)  # ZIP times have a 2-second resolution, XLSX properties 1 second (one wait for every file)
    second = pack_bytes(evidence_table(export_db, request), request, context, csv_locale="es")
    for fmt in outs:
        assert _export(export_db, outs[fmt][1], "--indicator", "score_math", "--design", "did") == 0
    files = [zipfile.ZipFile(io.BytesIO(z)) for z in (first, second)]
    for name in DATA_FILES:
        assert files[0].read(name) == files[1].read(name), name
    a, b = (json.loads(f.read("provenance.json")) for f in files)
    assert a["generated_at"] != b["generated_at"]  # provenance and the brief carry the time, no data file does
    for p in (a, b):  # the brief states the minute it was made: its hash differs across a minute boundary
        p.pop("generated_at")
        p["files"].pop("brief.html")
    assert a == b
    for fmt, (one, two) in outs.items():
        assert one.read_bytes() == two.read_bytes(), fmt


def test_single_format_exports_are_the_pack_tables(pack, export_db, tmp_path):
    args = ["--indicator", "score_math,dropout_rate,motivation_index", "--design", "did"]
    assert _export(export_db, tmp_path / "t.csv", *args) == 0
    assert (tmp_path / "t.csv").read_bytes() == pack["evidence.csv"]
    assert _export(export_db, tmp_path / "t_es.csv", *args, "--csv-locale", "es") == 0
    assert (tmp_path / "t_es.csv").read_bytes() == pack["evidence_es.csv"]
    assert _export(export_db, tmp_path / "t.parquet", *args) == 0
    assert (tmp_path / "t.parquet").read_bytes() == pack["evidence.parquet"]
    assert _export(export_db, tmp_path / "t.xlsx", *args) == 0
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert book.sheetnames == ["evidence"]  # the table alone
    assert book["evidence"].max_row == len(_read_csv(pack["evidence.csv"])) + 1


def test_cli_errors_are_one_line(export_db, tmp_path, capsys):
    """In English (--lang en) as they always were; in Spanish: tests/evidence/test_cli_lang.py."""
    assert _export(export_db, tmp_path / "x.zip", "--indicator", "no_such_code", "--lang", "en") == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no data for indicator 'no_such_code'") and err.count("\n") == 1
    assert _export(export_db, tmp_path / "x.txt", "--indicator", "score_math", "--lang", "en") == 1
    assert "must end in .zip, .xlsx, .csv, .parquet" in capsys.readouterr().err
    assert _export(export_db, tmp_path / "missing" / "x.zip", "--indicator", "score_math", "--lang", "en") == 1
    assert "does not exist" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing half-written


def _texts(files: dict[str, bytes]) -> str:
    """Every text a pack holds, XLSX strings included."""
    out = [data.decode("utf-8", errors="replace") for name, data in files.items()
           if name.endswith((".csv", ".json", ".md"))]
    out.append(files["brief.html"].decode("utf-8").split("</head>", 1)[1])  # without the plotly.js bundle
    with zipfile.ZipFile(io.BytesIO(files["evidence.xlsx"])) as book:
        out += [book.read(n).decode("utf-8") for n in book.namelist() if n.endswith(".xml")]
    return "\n".join(out)


def test_suppressed_cells_stay_suppressed_in_every_file(export_db, tmp_path):
    """With --min-cell 40 some schools are suppressed: no file holds their values, nor any student key."""
    out = tmp_path / "schools.zip"
    assert _export(export_db, out, "--indicator", "score_math", "--by", "school", "--min-cell", "40",
                   "--lang", "en") == 0
    with zipfile.ZipFile(out) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    con = reproducible_connection(export_db)
    visible = compare(con, "score_math", by="school", min_cell=1)
    hidden = compare(con, "score_math", by="school", min_cell=40)
    con.close()
    suppressed = hidden["reliability"] == "suppressed"
    assert 0 < suppressed.sum() < len(hidden)
    value_columns = [c for c in VALUE_COLUMNS_SUPPRESSED if c in hidden]
    for frame in (_read_csv(files["evidence.csv"]), pd.read_parquet(io.BytesIO(files["evidence.parquet"]))):
        rows = frame.set_index("school").loc[hidden.loc[suppressed, "school"]]
        assert (rows["reliability"] == "suppressed").all()
        assert rows[value_columns].isna().all().all()
    book = openpyxl.load_workbook(io.BytesIO(files["evidence.xlsx"]))
    rows = list(book["evidence"].iter_rows(values_only=True))
    sheet = pd.DataFrame(rows[1:], columns=rows[0]).set_index("school").loc[hidden.loc[suppressed, "school"]]
    assert sheet[value_columns].isna().all().all()
    # the suppressed means exist (min_cell=1) but appear in no file, in any rounding the files use
    text = _texts(files)
    secret = visible.set_index("school").loc[hidden.loc[suppressed, "school"], ["mean_post", "effect_size"]]
    for value in secret.to_numpy(dtype=float).ravel():
        for shown in (repr(float(value)), f"{value:.6f}", f"{value:.6f}".replace(".", ",")):
            assert shown not in text, shown
    shown_rows = round_published(hidden[~suppressed])  # the search finds the values shown (it can fail)
    assert repr(float(shown_rows["mean_post"].iloc[0])) in text
    assert repr(float(hidden.loc[~suppressed, "mean_post"].iloc[0])) not in text  # never beyond display precision
    # each hidden row says which rule hid it
    assert set(frame.set_index("school").loc[hidden.loc[suppressed, "school"], "suppression_reason"]) <= {
        "small_cell", "complementary"}
    assert "no publishable result (some cell has fewer than 40 students)" in files["brief.html"].decode()
    with duckdb.connect(export_db, read_only=True) as con:
        keys = [r[0] for r in con.execute("SELECT DISTINCT student_key FROM observations WHERE student_key IS NOT "
                                          "NULL LIMIT 200").fetchall()]
    assert len(keys) == 200 and not any(k in text for k in keys)


def test_tidy_turns_year_lists_and_flags_into_file_types():
    frame = pd.DataFrame({"pre_years": [np.array([2016, 2015]), None], "pretrend_significant": [True, None],
                          "note": [None, None], "n": pd.array([1, None], dtype="Int64")})
    out = tidy(frame)
    assert out["pre_years"].tolist()[0] == "2015 2016" and pd.isna(out["pre_years"].tolist()[1])
    assert str(out["pretrend_significant"].dtype) == "boolean" and out["pretrend_significant"].isna().tolist() == \
        [False, True]
    assert pd.api.types.is_string_dtype(out["note"]) and str(out["n"].dtype) == "Int64"


def test_compare_is_bit_reproducible_on_one_thread_only_so_exports_use_one(export_db):
    """Why exports use reproducible_connection: the single-threaded results never vary."""
    con = reproducible_connection(export_db)
    try:
        runs = [compare(con, "dropout_rate", design="did") for _ in range(5)]
    finally:
        con.close()
    for run in runs[1:]:
        for column in run.select_dtypes("float").columns:
            assert np.array_equal(run[column].to_numpy(float), runs[0][column].to_numpy(float), equal_nan=True)


def test_rct_pack_carries_the_registered_assignment(export_db, tmp_path):
    """The randomised trial's pack names the randomisation behind it: seed, frame and roster sha256."""
    out = tmp_path / "rct.zip"
    assert _export(export_db, out, "--indicator", "score_math", "--design", "rct") == 0
    with zipfile.ZipFile(out) as archive:
        prov = json.loads(archive.read("provenance.json"))
        table = pd.read_csv(io.BytesIO(archive.read("evidence.csv")))
    with duckdb.connect(export_db, read_only=True) as con:
        record = json.loads(con.execute("SELECT record_json FROM pilot_assignments").fetchone()[0])
    (assignment,) = prov["randomised_assignments"]
    assert assignment["assignment_id"] == 1 and assignment["status"] == "active"
    assert assignment["record"] == record and record["seed"] == 20260115
    assert list(table["design"]) == ["rct"] and table.loc[0, "n_treated"] == 30


def test_a_missing_result_says_why_in_the_brief(export_db):
    """'No results' never stands alone: the brief gives compare()'s reason for an indicator without rows."""
    request = EvidenceRequest(indicators=("score_math",), design="did", pre="1990", post="1991")
    table = evidence_table(export_db, request, skip_errors=True)
    assert table.empty and "fall in the pre and post windows" in table.attrs["missing"]["score_math"]
    context = pack_context(export_db, "demo")
    with zipfile.ZipFile(io.BytesIO(pack_bytes(table, request, context, "es"))) as archive:
        brief = archive.read("brief.html").decode("utf-8")
    # compare()'s reason said in the brief's language (analysis/reasons.py), the indicator by its label
    assert ("Sin resultados para este indicador. Motivo: no hay observaciones de «Puntaje en matemáticas» en las "
            "ventanas antes y después" in brief) and "fall in the pre and post windows" not in brief


def test_the_brief_says_which_trial_schools_the_did_left_out(export_db):
    """MiLab's DiD leaves the randomised cohort's 60 schools to design rct (METHODS.md "Designs" 2): the brief
    says so in its language (analysis/row_notes.py), and its MiLab row rests on the first cohort alone."""
    from analysis.evidence.brief import brief_html

    request = EvidenceRequest(indicators=("score_math",), design="did")
    table = evidence_table(export_db, request)
    milab = table[table["program"] == "MiLab"].iloc[0]
    assert milab["n_treated"] == 8 and "2026" not in str(milab["pre_years"])  # the 2024 cohort of this demo
    context = pack_context(export_db, "demo")
    brief = brief_html(table, request, context, "es")
    assert ("Notas: se dejaron fuera 60 escuelas de un ensayo aleatorizado (30 del programa, 30 de comparación): "
            "las analiza el diseño del ensayo aleatorizado") in brief
    assert "Notes: 60 schools of a randomised trial left out" in brief_html(table, request, context, "en")
