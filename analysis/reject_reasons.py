"""Why a row or a value of an import was rejected, said in Spanish or English: the shapes of the reasons the
``rejects`` table stores (analysis/importer/normalise.py normalise_unit, staging.py, writing.py, sittings.py,
records.py; analysis/forms/frames.py record_value) and the rejects report's column names.

Part of the one catalogue of reasons (analysis/reasons.py merges these texts and shapes into its own, so
``reject`` and ``say`` know them); kept apart only so that no module passes 600 lines.
"""

from __future__ import annotations

import re

TEXTS: dict[str, dict[str, str]] = {
    "es": {
        "rec.not_a_number": "no es un número", "rec.not_whole": "no es un número entero",
        "rec.below": "menor que {bound}", "rec.above": "mayor que {bound}",
        "rec.not_a_date": "no es una fecha (AAAA-MM-DD)",
        "rec.not_a_choice": "no es una de las opciones de la pregunta «{question}»",
        "rec.not_a_choice_list": "no es una de las opciones de la lista «{list}»",
        "rec.record_not_loaded": "registro no cargado: {problem}",
        "rec.no_school": "sin código de establecimiento", "rec.no_date": "sin fecha válida",
        "rec.bad_school": "«{code}» no es un código de establecimiento de {country} ({shape})",
        "rec.no_country": "no se sabe de qué país es el código «{code}»; añada una columna de país",
        "rec.damaged": "«{code}» es un código dañado por una hoja de cálculo (notación científica)",
        "rec.not_dane": "«{code}» no es un código DANE (solo dígitos)",
        "rec.not_dane_department": "«{code}» no es un código DANE de departamento (2 dígitos)",
        "rec.not_co_department": "«{code}» no es un código de departamento de Colombia",
        "rec.not_dane_municipality": "«{code}» no es un código DANE de municipio (5 dígitos)",
        "rec.no_department_prefix": "«{code}» no empieza con un código de departamento",
        "rec.not_mineduc": "«{code}» no es un código de establecimiento del MINEDUC (DD-MM-NNNN-NN)",
        "rec.not_gt_municipality": "«{code}» no es un código de municipio (DD-MM)",
        "rec.not_gt_department": "«{code}» no es un código de departamento de Guatemala (01-22)",
        "rec.no_gt_department": "«{code}»: el departamento {dept} no existe en Guatemala (01-22)",
        "rec.no_gt_municipality": "«{code}»: el municipio {muni} no existe en el departamento {dept} de Guatemala "
                                  "({known})",
        "rec.not_iso": "«{code}» no es un código de país ISO 3166-1",
        "rec.not_unit_code": "«{code}» no es un código de unidad (40 caracteres imprimibles como máximo)",
        "rec.no_year": "sin año", "rec.not_a_year": "no es un año",
        "rec.future_year": "año {year} posterior al año en curso ({current})",
        "rec.unknown_wave": "momento desconocido (se espera pre, post, baseline o endline)",
        "rec.no_time": "sin año ni momento", "rec.no_student": "sin código de estudiante",
        "rec.unknown_level": "nivel escolar desconocido (se espera {levels})",
        "rec.unknown_sex": "sexo desconocido (se espera F o M); cargado sin sexo",
        "rec.bad_count": "el conteo no es un número; cargado sin conteo",
        "rec.out_of_range": "fuera del rango válido de «{indicator}» [{low}, {high}]",
        "rec.not_binary": "no es 0 ni 1", "rec.not_scale_point": "no es un punto entero de la escala",
        "rec.duplicate": "repite la fila {row} (misma unidad, indicador, año, momento, nivel, subgrupo y estudiante)",
        "rec.duplicate_roster": "repite la fila {row} (misma unidad y programa)",
        "rec.conflicting_repeat": "valores distintos para la misma clave (filas {rows}: {values})",
        "part.and": " y ",
        "rec.no_programme": "sin nombre de programa",
        "rec.other_sitting_main": "otra convocatoria del mismo año (n = {n}): se conserva la convocatoria principal "
                                  "del calendario {calendar} (periodo {period}, fila {row})",
        "rec.other_sitting_larger": "otra convocatoria del mismo año (n = {n}): se conserva la convocatoria con más "
                                    "evaluados (periodo {period}, fila {row}, n = {kept_n})",
        "rec.other_sitting_later": "otra convocatoria del mismo año (n = {n}): se conserva la posterior, pues el "
                                   "número de evaluados no las distingue (periodo {period}, fila {row})",
        "rec.conflict_kept": "conflicto: se conservó el valor {value} ya cargado por la importación {import_id}",
        # the rejects report's column names (the Datos page's rejects table too: ui/analysis_words.py)
        "col.row_number": "fila", "col.column_name": "columna", "col.raw_value": "valor leído", "col.reason": "motivo",
        "no_rejects": "ninguna fila rechazada",
        "rejects_written": "{n} valor(es) rechazado(s) escritos en {path}",
    },
    "en": {
        "rec.not_a_number": "not a number", "rec.not_whole": "not a whole number",
        "rec.below": "below {bound}", "rec.above": "above {bound}",
        "rec.not_a_date": "not a date (YYYY-MM-DD)",
        "rec.not_a_choice": "not one of the choices of the question “{question}”",
        "rec.not_a_choice_list": "not one of the choices of '{list}'",
        "rec.record_not_loaded": "record not loaded: {problem}",
        "rec.no_school": "no school code", "rec.no_date": "no valid date",
        "rec.bad_school": "'{code}' is not a school code of {country} ({shape})",
        "rec.no_country": "cannot tell the country of code '{code}'; add a country column",
        "rec.damaged": "'{code}' is a code damaged by a spreadsheet (scientific notation)",
        "rec.not_dane": "'{code}' is not a DANE code (digits only)",
        "rec.not_dane_department": "'{code}' is not a DANE department code (2 digits)",
        "rec.not_co_department": "'{code}' is not a Colombian department code",
        "rec.not_dane_municipality": "'{code}' is not a DANE municipality code (5 digits)",
        "rec.no_department_prefix": "'{code}' does not start with a department code",
        "rec.not_mineduc": "'{code}' is not a MINEDUC school code (DD-MM-NNNN-NN)",
        "rec.not_gt_municipality": "'{code}' is not a municipality code (DD-MM)",
        "rec.not_gt_department": "'{code}' is not a Guatemalan department code (01-22)",
        "rec.no_gt_department": "'{code}': department {dept} does not exist in Guatemala (01-22)",
        "rec.no_gt_municipality": "'{code}': municipality {muni} does not exist in department {dept} of Guatemala "
                                  "({known})",
        "rec.not_iso": "'{code}' is not an ISO 3166-1 country code",
        "rec.not_unit_code": "'{code}' is not a unit code (at most 40 printable characters)",
        "rec.no_year": "no year", "rec.not_a_year": "not a year",
        "rec.future_year": "year {year} is after the current year ({current})",
        "rec.unknown_wave": "unknown wave (expected pre, post, baseline or endline)",
        "rec.no_time": "neither a year nor a wave", "rec.no_student": "no student ID",
        "rec.unknown_level": "unknown level (expected {levels})",
        "rec.unknown_sex": "unknown sex (expected F or M); loaded without sex",
        "rec.bad_count": "count is not a number; loaded without n",
        "rec.out_of_range": "outside the valid range of “{indicator}” [{low}, {high}]",
        "rec.not_binary": "not 0 or 1", "rec.not_scale_point": "not a whole scale point",
        "rec.duplicate": "duplicate of row {row} (same unit, indicator, year, wave, level, subgroup and student)",
        "rec.duplicate_roster": "duplicate of row {row} (same unit and programme)",
        "rec.conflicting_repeat": "different values for the same key (rows {rows}: {values})",
        "part.and": " and ",
        "rec.no_programme": "no programme name",
        "rec.other_sitting_main": "other sitting of the same year (n = {n}): the main sitting of calendar {calendar} "
                                  "is kept (period {period}, row {row})",
        "rec.other_sitting_larger": "other sitting of the same year (n = {n}): the sitting with more students tested "
                                    "is kept (period {period}, row {row}, n = {kept_n})",
        "rec.other_sitting_later": "other sitting of the same year (n = {n}): the later sitting is kept, as the number "
                                   "tested does not tell them apart (period {period}, row {row})",
        "rec.conflict_kept": "conflict: kept the value {value} already loaded by import {import_id}",
        "col.row_number": "row", "col.column_name": "column", "col.raw_value": "value read", "col.reason": "reason",
        "no_rejects": "no rejected rows",
        "rejects_written": "{n} rejected value(s) written to {path}",
    },
}

# a unit code's problem (analysis/importer/normalise.py normalise_unit, analysis/importer/records.py)
_CODE_PROBLEMS: list[tuple[str, str]] = [
    (r"no unit code", "rec.no_school"), (r"no valid date", "rec.no_date"),
    (r"'(?P<code>.*)' is not a school code of (?P<country>\w+) \((?P<shape>.+)\)", "rec.bad_school"),
    (r"cannot tell the country of code '(?P<code>.*)'; add a country column", "rec.no_country"),
    (r"'(?P<code>.*)' is a code damaged by a spreadsheet \(scientific notation\)", "rec.damaged"),
    (r"'(?P<code>.*)' is not a DANE code \(digits only\)", "rec.not_dane"),
    (r"'(?P<code>.*)' is not a DANE department code \(2 digits\)", "rec.not_dane_department"),
    (r"'(?P<code>.*)' is not a Colombian department code", "rec.not_co_department"),
    (r"'(?P<code>.*)' is not a DANE municipality code \(5 digits\)", "rec.not_dane_municipality"),
    (r"'(?P<code>.*)' does not start with a department code", "rec.no_department_prefix"),
    (r"'(?P<code>.*)' is not a MINEDUC school code \(DD-MM-NNNN-NN\)", "rec.not_mineduc"),
    (r"'(?P<code>.*)' is not a municipality code \(DD-MM\)", "rec.not_gt_municipality"),
    (r"'(?P<code>.*)' is not a Guatemalan department code \(01-22\)", "rec.not_gt_department"),
    (r"'(?P<code>.*)': department (?P<dept>\d+) does not exist in Guatemala \(01-22\)", "rec.no_gt_department"),
    (r"'(?P<code>.*)': municipality (?P<muni>\d+) does not exist in department (?P<dept>\d+) of Guatemala "
     r"\((?P<known>[0-9-]+)\)", "rec.no_gt_municipality"),
    (r"'(?P<code>.*)' is not an ISO 3166-1 country code", "rec.not_iso"),
    (r"'(?P<code>.*)' is not a unit code \(at most 40 printable characters\)", "rec.not_unit_code"),
]
# a rejected value or row (analysis/forms/frames.py record_value, analysis/importer/staging.py and writing.py)
REJECTS: list[tuple[re.Pattern[str], str]] = [(re.compile(p, re.S), k) for p, k in [
    (r"not a number", "rec.not_a_number"), (r"not a whole number", "rec.not_whole"),
    (r"below (?P<bound>-?[0-9.e+]+)", "rec.below"), (r"above (?P<bound>-?[0-9.e+]+)", "rec.above"),
    (r"not a date \(YYYY-MM-DD\)", "rec.not_a_date"),
    (r"not one of the choices of '(?P<list>.+)'", "rec.not_a_choice"),
    *_CODE_PROBLEMS,
    (r"no year", "rec.no_year"), (r"not a year", "rec.not_a_year"),
    (r"year (?P<year>\d+) is after the current year \((?P<current>\d+)\)", "rec.future_year"),
    (r"unknown wave \(expected pre, post, baseline or endline\)", "rec.unknown_wave"),
    (r"neither a year nor a wave", "rec.no_time"), (r"no student ID", "rec.no_student"),
    (r"unknown level \(expected (?P<levels>.+)\)", "rec.unknown_level"),
    (r"unknown sex \(expected F or M\); loaded without sex", "rec.unknown_sex"),
    (r"count is not a number; loaded without n", "rec.bad_count"),
    (r"outside the valid range of (?P<indicator>\S+) \[(?P<low>[^,]*), (?P<high>[^\]]*)\]", "rec.out_of_range"),
    (r"not 0 or 1", "rec.not_binary"), (r"not a whole scale point", "rec.not_scale_point"),
    (r"duplicate of row (?P<row>\d+) \(same unit, indicator, year, wave, level, subgroup and student\)",
     "rec.duplicate"),
    (r"duplicate of row (?P<row>\d+) \(same unit and programme\)", "rec.duplicate_roster"),
    # one key, different values: every row rejected (analysis/importer/staging.py _reject_duplicates)
    (r"different values for the same key \(rows (?P<rows>[0-9, …]+(?: and [0-9…]+)?): (?P<values>.*)\)",
     "rec.conflicting_repeat"),
    (r"no programme name", "rec.no_programme"),
    # another test sitting of the same school-year (analysis/importer/sittings.py)
    (r"other sitting of the same year \(n = (?P<n>[0-9.]+|\?)\): the main sitting of calendar (?P<calendar>\S+) is "
     r"kept \(period (?P<period>\S+), row (?P<row>\d+)\)", "rec.other_sitting_main"),
    (r"other sitting of the same year \(n = (?P<n>[0-9.]+|\?)\): the sitting with more students tested is kept "
     r"\(period (?P<period>\S+), row (?P<row>\d+), n = (?P<kept_n>[0-9.]+)\)", "rec.other_sitting_larger"),
    (r"other sitting of the same year \(n = (?P<n>[0-9.]+|\?)\): the later sitting is kept, as the number tested "
     r"does not tell them apart \(period (?P<period>\S+), row (?P<row>\d+)\)", "rec.other_sitting_later"),
    (r"conflict: kept the value (?P<value>.+) already loaded by import (?P<import_id>\d+)", "rec.conflict_kept"),
]]

#: the parts of a reject reason that are lists ('1, 2 and 3'), their last 'and' said in the reader's language
LISTS = ("rows", "values")
