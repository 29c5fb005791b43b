"""The one catalogue of reasons (analysis/reasons.py): both languages complete, every shape known to it, and the
reasons the importer really gives for a unit code and a field-form value said in Spanish, never as untranslated
English. compare()'s and the mapping's reasons are raised for real in tests/app/test_messages.py; whole reject
reports and packs are swept in tests/evidence/test_words_sweep.py."""

from __future__ import annotations

import re
import string

import pandas as pd
import pytest

from analysis import reasons
from analysis.forms.definitions import lab_log_form, leaves
from analysis.forms.frames import choice_lookup, record_value
from analysis.importer.normalise import normalise_unit
from tests.words import ENGLISH

UNTRANSLATED = reasons.TEXTS["es"]["untranslated"].split("{")[0]


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_texts_and_placeholders():
    es, en = reasons.TEXTS["es"], reasons.TEXTS["en"]
    assert set(es) == set(en)
    assert {k for k in es if _placeholders(es[k]) != _placeholders(en[k])} == set()
    keys = [key for _, key, _ in reasons.PATTERNS] + [key for _, key in reasons.REJECTS]
    assert set(keys) <= set(es)
    assert all(k.removesuffix(".cli") in es for k in es)  # a command-line wording varies a page's text


@pytest.mark.parametrize(("raw", "country", "unit_type"), [
    ("", "GT", "school"), ("ABC", None, None), ("2.0579E+11", "CO", "school"), ("12-AB", "CO", None),
    ("123", "CO", "department"), ("98", "CO", "department"), ("123456", "CO", "municipality"),
    ("98001", "CO", "municipality"), ("16-01-12", "GT", "school"), ("16-1", "GT", "municipality"),
    ("99", "GT", "department"), ("X1", "ZZ", None), ("é" * 41, "CL", None)])
def test_every_unit_code_problem_is_said_in_spanish(raw, country, unit_type):
    problem = normalise_unit(raw, country, unit_type)[3]
    assert problem not in (None, "total")
    for stored in (problem, f"record not loaded: {problem}"):
        said = reasons.reject(stored, "es")
        assert not said.startswith(UNTRANSLATED) and not ENGLISH.search(said), (stored, said)
        assert reasons.reject(stored, "en") != UNTRANSLATED
    if raw and problem.startswith(f"'{raw[:40]}'"):
        assert f"«{raw[:40]}»" in reasons.reject(problem, "es")  # the code as the file wrote it


def test_every_field_form_value_reason_is_said_in_spanish():
    form = lab_log_form()
    choices = choice_lookup(form)
    by_name = {leaf.field.name: leaf for leaf in leaves(form)}
    raised = {record_value(by_name[name], raw, form, choices)[1] for name, raw in (
        ("sessions_held", "=1+1"), ("sessions_held", "2.5"), ("students_attending", "-5"),
        ("hours_of_use", "100000"), ("installed_on", "ayer"), ("equipment_status", "roto"))}
    assert None not in raised and len(raised) == 6
    said = {reasons.reject(r, "es") for r in raised}
    assert said == {"no es un número", "no es un número entero", "menor que 0", "no es una fecha (AAAA-MM-DD)",
                    "no es una de las opciones de la pregunta «Estado de los equipos»",
                    next(s for s in said if s.startswith("mayor que "))}
    assert re.fullmatch(r"mayor que \d+", next(s for s in said if s.startswith("mayor que ")))


def test_a_rejected_choice_names_the_question_by_its_label():
    """The form's label (analysis/forms/definitions.py), not its choice list's code; a list several questions share
    (yes_no) is named by the rejected cell's column; a list no form has keeps its code."""
    form = lab_log_form()
    choices = choice_lookup(form)
    by_name = {leaf.field.name: leaf for leaf in leaves(form)}
    stored = record_value(by_name["operating"], "quizás", form, choices)[1]
    assert stored == "not one of the choices of 'yes_no'"  # the stored English reason is unchanged
    assert reasons.reject(stored, "es", column="operating") == (
        "no es una de las opciones de la pregunta «¿Está funcionando?»")
    assert reasons.reject(stored, "en", column="operating") == (
        "not one of the choices of the question “Is it operating?”")
    report = reasons.rejects_report(pd.DataFrame({"row_number": [2], "column_name": ["lab/operating"],
                                                  "raw_value": ["quizás"], "reason": [stored]}), "es")
    assert report["motivo"].tolist() == ["no es una de las opciones de la pregunta «¿Está funcionando?»"]
    assert reasons.reject("not one of the choices of 'connectivity'", "en") == (
        "not one of the choices of the question “Connectivity”")
    assert reasons.reject(stored, "es") == "no es una de las opciones de la lista «yes_no»"  # which question: unknown
    assert reasons.reject("record not loaded: not one of the choices of 'equipment'", "es") == (
        "registro no cargado: no es una de las opciones de la pregunta «Estado de los equipos»")


def test_rejects_report_in_spanish_keeps_rows_and_values_and_english_keeps_the_stored_table():
    frame = pd.DataFrame({"row_number": [3, 4], "column_name": ["mate", "escuela"], "raw_value": ["abc", None],
                          "reason": ["not a number", "record not loaded: no unit code"]})
    es = reasons.rejects_report(frame, "es")
    assert list(es.columns) == ["fila", "columna", "valor leído", "motivo"]
    no_school = "registro no cargado: sin código de establecimiento"
    assert es.fillna("").to_numpy().tolist() == [[3, "mate", "abc", "no es un número"], [4, "escuela", "", no_school]]
    assert reasons.rejects_report(frame, "en").equals(frame)  # as stored: what scripts already read
    # a reason no shape knows stays readable: quoted as technical detail in Spanish, as written in English
    assert reasons.reject("something new", "es") == reasons.TEXTS["es"]["untranslated"].format(text="something new")
    assert reasons.reject("something new", "en") == "something new"


def test_the_data_page_names_a_shared_list_by_its_question() -> None:
    """The Datos page's reject table passes the rejected cell's column, so a shared list (yes_no) is named by
    the question it was asked for, as the command line's report is."""
    from ui import data_view

    frame = pd.DataFrame({"row_number": [2], "column_name": ["lab/operating"], "raw_value": ["quizás"],
                          "reason": ["not one of the choices of 'yes_no'"]})
    assert data_view._said(frame)["reason"].tolist() == [
        "no es una de las opciones de la pregunta «¿Está funcionando?»"]
