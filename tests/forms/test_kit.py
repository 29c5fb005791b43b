"""The kit: every form converts with pyxform without error or warning, and its fields are the catalogue's codes."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest
from pyxform.xls2xform import convert

from analysis.catalog import INDICATOR_BY_CODE, INDICATORS, MOTIVATION_ITEMS
from analysis.forms.definitions import (
    CO_SCHOOL_REGEX,
    FORMS,
    GT_SCHOOL_REGEX,
    PERSON_CODE_REGEX,
    all_forms,
    leaves,
    student_form,
)
from analysis.forms.xlsform import file_name, kit_entries, kit_zip, readme_es, workbook_bytes
from analysis.importer.layouts import recognise_canonical

FORM_IDS = [f.form_id for f in all_forms()]


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_every_form_converts_with_pyxform_without_warnings(form_id):
    form = FORMS[form_id]
    warnings: list[str] = []
    result = convert(workbook_bytes(form), warnings=warnings, file_type=".xlsx")
    assert warnings == []
    assert result.warnings == []
    assert f'<data id="{form_id}" version="{form.version}">' in result.xform
    for lang in ("Español (es)", "English (en)"):
        assert f'<translation default="true()" lang="{lang}">' in result.xform or f'lang="{lang}"' in result.xform
    assert "<lablens_version/>" in result.xform and f"'{form.version}'" in result.xform


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_workbook_sheets_settings_and_spanish_first(form_id):
    form = FORMS[form_id]
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(form)))
    assert book.sheetnames == ["survey", "choices", "settings"]
    survey_header = [c.value for c in book["survey"][1]]
    assert survey_header[:4] == ["type", "name", "label::Español (es)", "label::English (en)"]
    settings = [[c.value for c in row] for row in book["settings"].iter_rows()]
    assert settings == [["form_id", "form_title", "version", "default_language"],
                        [form_id, form.title_es, form.version, "Español (es)"]]
    # no cell is a live formula, and every labelled row has both languages
    for ws in book.worksheets:
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    es, en = survey_header.index("label::Español (es)"), survey_header.index("label::English (en)")
    for row in book["survey"].iter_rows(min_row=2, values_only=True):
        assert (row[es] is None) == (row[en] is None), row


def test_student_form_fields_are_the_catalogues_codes():
    """Walk both: every motivation/score field is a catalogue indicator, every analysed likert item is asked."""
    form = student_form()
    names = [leaf.field.name for leaf in leaves(form)]
    indicator_fields = [n for n in names if n.startswith(("motivation", "score"))]
    assert indicator_fields and all(n in INDICATOR_BY_CODE for n in indicator_fields)
    likert = [i.code for i in INDICATORS if i.kind == "likert" and i.scale == "motivation"]
    assert likert == [f"motivation_item_{i}" for i in range(1, len(MOTIVATION_ITEMS) + 1)]
    assert [n for n in names if n.startswith("motivation_item_")] == likert
    assert {n for n in names if n.startswith("score_")} == {i.code for i in INDICATORS if i.kind == "score"}
    by_name = {leaf.field.name: leaf.field for leaf in leaves(form)}
    for code in likert:  # the catalogue's wording and range
        ind = INDICATOR_BY_CODE[code]
        assert by_name[code].label_es == ind.label_es.split(": ", 1)[1]
        assert by_name[code].label_en == ind.label_en.split(": ", 1)[1]
        assert by_name[code].constraint == f". >= {ind.min_value:g} and . <= {ind.max_value:g}" == ". >= 1 and . <= 5"
        assert by_name[code].required
    assert [c.name for c in form.choices if c.list_name == "likert"] == ["1", "2", "3", "4", "5"]
    assert by_name["score_math"].constraint == ". >= 0 and . <= 1000" and not by_name["score_math"].required
    group = next(f for f in form.fields if f.type == "begin_group" and f.name == "scores")
    assert group.relevant == "${enter_scores} = 'yes'"
    assert {c.name for c in form.choices if c.list_name == "wave"} == {"baseline", "endline"}


def test_the_importer_reads_the_student_form_as_its_canonical_layout():
    """The student fields, as column names, are what the canonical recogniser places (nothing left over)."""
    form = student_form()
    columns = ["student_id", "school_code", "country", "year", "wave", "sex", "grade",
               *(leaf.field.name for leaf in leaves(form) if leaf.field.name.startswith(("motivation_", "score_")))]
    layout = recognise_canonical(columns)
    assert layout is not None and layout.name == "lablens_students"
    assert {columns[v.column] for v in layout.values} == set(columns[7:])
    assert layout.attribute_cols == {} and layout.dropped == []


def test_constraints_hours_counts_and_codes():
    for form in all_forms():
        for leaf in leaves(form):
            f = leaf.field
            if f.type in ("integer", "decimal") and not f.name.startswith("score_") and f.name != "year":
                assert f.constraint.startswith(". >= 0"), (form.form_id, f.name)
            if f.name == "school_code":
                assert GT_SCHOOL_REGEX in f.constraint and CO_SCHOOL_REGEX in f.constraint and f.required
    # the patterns themselves (XPath regex() and Python agree on this subset)
    assert re.match(GT_SCHOOL_REGEX, "16-01-0123-43") and not re.match(GT_SCHOOL_REGEX, "16-1-0123-43")
    assert re.match(CO_SCHOOL_REGEX, "176001000123") and not re.match(CO_SCHOOL_REGEX, "76001")
    assert re.match(PERSON_CODE_REGEX, "EST-0042") and not re.match(PERSON_CODE_REGEX, "María López")


def test_kit_is_reproducible_and_holds_every_form_and_the_readme():
    assert kit_zip() == kit_zip()
    with zipfile.ZipFile(io.BytesIO(kit_zip())) as archive:
        assert archive.namelist() == [*(file_name(f) for f in all_forms()), "LEEME.md"]
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    text = readme_es()
    for step in ("## 1. Cargar", "## 2. Recoger sin conexión", "## 3. Exportar", "## 4. Importar", "## 5. Seguir"):
        assert step in text
    assert "ODK Central" in text and "KoboToolbox" in text and "nunca su nombre" in text
    assert dict(kit_entries())["LEEME.md"] == text.encode("utf-8")


def test_cli_writes_the_kit(tmp_path, capsys):
    from analysis.cli import main

    assert main(["forms", "--out", str(tmp_path / "kit")]) == 0
    written = sorted(p.name for p in (tmp_path / "kit").iterdir())
    assert written == sorted([*(file_name(f) for f in all_forms()), "LEEME.md"])
    assert (tmp_path / "kit" / file_name(student_form())).read_bytes() == workbook_bytes(student_form())
    assert "LEEME.md" in capsys.readouterr().out
    assert main(["forms", "--out", str(tmp_path / "kit.zip")]) == 0
    assert (tmp_path / "kit.zip").read_bytes() == kit_zip()
