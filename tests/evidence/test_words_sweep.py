"""A Spanish evidence pack and a Spanish reject report speak Spanish (issue 16): every reason that reaches them —
compare()'s reason for an indicator without results, the rules that hid a group, a field-form export's rejected
values and records — is said in Spanish (analysis/reasons.py), and no text file holds "None" or "nan".

The pack is built on the shared export demo with one indicator left without results (windows that hold no data)
and suppressed groups (grades under a minimum cell of 120); the report comes from ``python -m analysis import
--lang es`` and ``rejects --lang es`` on an ODK Central export of the lab log and of the student questionnaire
with bad values. The English words are the list the browser test keeps (tests/words.py). Codes are left out
before the search: what a machine reads (column names, programme, unit and design codes, commands, the values
as the user's file wrote them) is not prose.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile

import pandas as pd
import pytest

from analysis.catalog import INDICATORS
from analysis.cli import main
from analysis.compare.designs import DESIGNS
from analysis.evidence import EvidenceRequest, evidence_table, pack_bytes
from analysis.fields import GROUP_FIELDS
from analysis.forms.definitions import lab_log_form, student_form
from tests.evidence.conftest import pack_context
from tests.forms.exports import Submission, central, zip_of
from tests.forms.test_odk_import import _student
from tests.forms.test_records_import import LAB, _lab
from tests.words import ENGLISH, MISSING

BASE = {"design": "prepost", "level": "all", "weighted": False, "conf_level": 0.95, "icc": None, "program": None,
        "by": ["grade"]}
CALLS = ({**BASE, "indicator": "score_math", "min_cell": 120, "pre": None, "post": None},  # small grades hidden
         {**BASE, "indicator": "dropout_rate", "min_cell": 120, "pre": "1990", "post": "1991"})  # no results
# what a machine reads: the code vocabulary of the catalogue and of the designs
CODES = ({"comparison", "waves", *GROUP_FIELDS, *DESIGNS}
         | {value for i in INDICATORS for value in (i.code, i.unit, i.kind, i.domain)})
SNAKE = re.compile(r"\b\w+_\w+\b")  # column names and codes (score_math, suppression_reason, school_code)


def _codes_out(text: str, codes: set[str]) -> str:
    """``text`` without code words, snake_case names and ``name = value`` pairs (methods: reliability = low)."""
    text = re.sub(r"\b\w+ = \w+\b", " ", SNAKE.sub(" ", text))
    return re.sub(r"\b(" + "|".join(sorted(map(re.escape, codes), key=len, reverse=True)) + r")\b", " ", text)


def _brief_text(page: str) -> str:
    """The brief's visible prose: no script, style, code or command blocks, no tags."""
    page = re.sub(r"<(script|style|pre|code)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _methods_text(markdown: str) -> str:
    """methods.md's prose and tables without fenced commands and `code` spans."""
    return re.sub(r"`[^`]*`", " ", re.sub(r"```.*?```", " ", markdown, flags=re.S))


def _spanish_of_package(package: dict) -> str:
    """The Spanish half of datapackage.json's texts: titles and descriptions before ' / ', every description_es,
    the Spanish citation."""
    out = [package["title"].split(" / ")[0], package["description"].split(" / ")[0], package["citation"]["es"]]
    for resource in package["resources"]:
        out.append(resource["title"].split(" / ")[0])
        out += [f["description_es"] for f in resource["schema"]["fields"]]
    return "\n".join(out)


@pytest.fixture(scope="module")
def spanish_pack(export_db) -> tuple[pd.DataFrame, dict[str, str]]:
    request = EvidenceRequest(indicators=("score_math", "dropout_rate"), design="prepost", by=("grade",),
                              min_cell=120, calls=CALLS)
    table = evidence_table(export_db, request, skip_errors=True)
    context = pack_context(export_db, "demo")
    with zipfile.ZipFile(io.BytesIO(pack_bytes(table, request, context, "es"))) as archive:
        files = {n: archive.read(n).decode("utf-8-sig") for n in archive.namelist() if not n.endswith(
            (".xlsx", ".parquet"))}
    return table, files


def test_spanish_pack_says_every_reason_in_spanish(spanish_pack):
    table, files = spanish_pack
    # the pack holds both cases the sweep is about: an indicator without results and suppressed groups
    assert "dropout_rate" in table.attrs["missing"] and "dropout_rate" not in set(table["indicator"])
    assert (table["reliability"] == "suppressed").sum() >= 2
    codes = CODES | set(table.columns)
    prose = {"brief.html": _brief_text(files["brief.html"]), "methods.md": _methods_text(files["methods.md"]),
             "datapackage.json": _spanish_of_package(json.loads(files["datapackage.json"])),
             "dictionary.csv": "\n".join(pd.read_csv(io.StringIO(files["dictionary.csv"]))["description_es"]),
             "evidence_es.csv": files["evidence_es.csv"]}
    for name, text in prose.items():
        left = _codes_out(text, codes)
        assert not ENGLISH.search(left), (name, [left[max(0, m.start() - 60):m.end() + 30]
                                                 for m in ENGLISH.finditer(left)][:5])
    # the reason, in Spanish and with the indicator's label, in the brief and in methods.md
    reason = ("no hay observaciones de «Tasa de deserción intraanual» en las ventanas antes y después; hay datos de "
              "los años 2015-2025")
    assert f"Sin resultados para este indicador. Motivo: {reason}." in prose["brief.html"]
    assert f"- Tasa de deserción intraanual (`dropout_rate`): {reason}." in files["methods.md"]
    # the suppressed groups are said in words in the brief (the rule, in Spanish)
    assert "sin resultado publicable (alguna celda tiene menos de 120 estudiantes)" in prose["brief.html"]
    for name, text in files.items():  # every text file of the pack, provenance.json included
        shown = _brief_text(text) if name == "brief.html" else text
        assert not MISSING.search(shown), (name, MISSING.findall(shown)[:5])


def _bad_exports(folder):
    """A lab log export (a formula, a bad school code, a word, a negative count, an unknown choice) and a
    student export (an unknown sex, item and score outside their range, a code that is no MINEDUC code)."""
    lab = [*LAB, _lab("c9", visit_date="2026-06-30", hours_of_use="abc", students_attending="-5",
                      equipment_status="roto")]
    students = [Submission("s1", _student("EST-1", "X", "4", "4 5 3 2 4 5 4 9", enter_scores="yes",
                                          score_math="5000")),
                Submission("s2", _student("EST-2", "M", "5", "3 3 3 4 2 3 3 2", school_code="99-99")),
                Submission("s3", _student("EST-3", "F", "5", "3 3 3 4 2 3 3 2"))]
    empty = [_lab("z2", school_code=""), _lab("z3", visit_date="")]
    paths = {}
    for name, form, subs in (("lab.zip", lab_log_form(), lab), ("students.zip", student_form(), students),
                             ("empty.zip", lab_log_form(), empty)):
        paths[name] = folder / name
        paths[name].write_bytes(zip_of(central(form, subs)))
    return paths


def test_spanish_reject_report_names_row_column_and_reason_in_spanish(tmp_path, capsys):
    db, paths = str(tmp_path / "lablens.duckdb"), _bad_exports(tmp_path)
    for name in ("lab.zip", "students.zip"):
        assert main(["import", "--db", db, str(paths[name]), "--lang", "es",
                     "--rejects-out", str(tmp_path / f"{name}.csv")]) == 0
    capsys.readouterr()
    assert main(["import", "--db", db, str(paths["empty.zip"]), "--lang", "es",
                 "--rejects-out", str(tmp_path / "empty.zip.csv")]) == 1
    error = capsys.readouterr().err
    assert main(["rejects", "--db", db, "1", "--lang", "es"]) == 0
    shown = capsys.readouterr().out
    assert error == ("error: empty.zip: no hay nada que cargar: se rechazaron todos los registros (2; "
                     "--rejects-out ARCHIVO los escribe); la base de datos no cambió\n")
    reports = {name: pd.read_csv(tmp_path / f"{name}.csv", dtype=str, keep_default_na=False)
               for name in paths}
    assert all(list(r.columns) == ["fila", "columna", "valor leído", "motivo"] for r in reports.values())
    got = {name: [tuple(row) for row in r.itertuples(index=False)] for name, r in reports.items()}
    assert got["lab.zip"] == [
        ("1", "sessions_held", "'=1+1", "no es un número"),
        ("4", "school_code", "99", "registro no cargado: «99» no es un código de establecimiento de CO (NNNNNNNNNNNN)"),
        ("6", "equipment_status", "roto", "no es una de las opciones de la pregunta «Estado de los equipos»"),
        ("6", "hours_of_use", "abc", "no es un número"),
        ("6", "students_attending", "'-5", "menor que 0")]
    assert got["students.zip"] == [
        ("1", "motivation_item_8", "9", "fuera del rango válido de «Motivación 8: Pienso a menudo en dejar la "
                                        "escuela.» [1, 5]"),
        ("1", "score_math", "5000", "fuera del rango válido de «Puntaje en matemáticas» [0, 1000]"),
        ("1", "sex", "X", "sexo desconocido (se espera F o M); cargado sin sexo"),
        ("2", "school_code", "99-99", "«99-99» no es un código de establecimiento del MINEDUC (DD-MM-NNNN-NN)")]
    assert got["empty.zip"] == [("1", "school_code", "", "registro no cargado: sin código de establecimiento"),
                                ("2", "date", "", "registro no cargado: sin fecha válida")]
    assert "fila" in shown and "motivo" in shown and "menor que 0" in shown
    texts = [*(p.read_text(encoding="utf-8-sig") for p in tmp_path.glob("*.csv")), shown, error]
    for text in texts:
        left = _codes_out(text, CODES)
        assert not ENGLISH.search(left), [left[max(0, m.start() - 60):m.end() + 30] for m in ENGLISH.finditer(left)]
        assert not MISSING.search(text), MISSING.findall(text)
