"""Spanish templates users fill in and import (Datos page): student file, programme roster, survey.

Column names are the Spanish aliases the importer recognises with no configuration
(analysis/importer/layouts.py); the example rows are invented and marked as examples. A test imports
each template into a copy of the demo database, so a template the importer would not read fails CI.
"""

from __future__ import annotations

import pandas as pd

from analysis.catalog import MOTIVATION_ITEMS

EXAMPLE_SCHOOL_CO = "176233000001"  # an invented school code in Dagua (DANE 76233)


def students() -> pd.DataFrame:
    """One row per student and wave: scores and next-year enrolment (canonical layout)."""
    rows = [
        ("CO", EXAMPLE_SCHOOL_CO, "EJEMPLO-0001", "pre", 2022, "F", 7, 48, 51, 50, None),
        ("CO", EXAMPLE_SCHOOL_CO, "EJEMPLO-0001", "post", 2023, "F", 8, 53, 52, 55, 1),
        ("CO", EXAMPLE_SCHOOL_CO, "EJEMPLO-0002", "pre", 2022, "M", 7, 41, 44, 39, None),
        ("CO", EXAMPLE_SCHOOL_CO, "EJEMPLO-0002", "post", 2023, "M", 8, 45, 47, 44, 0),
    ]
    return pd.DataFrame(rows, columns=["pais", "codigo_escuela", "id_estudiante", "ola", "anio", "sexo", "grado",
                                       "matematicas", "lenguaje", "ciencias", "matriculado_siguiente_ano"])


def roster() -> pd.DataFrame:
    """Programme roster: which unit is in which programme, lab type and start year (or comparison)."""
    rows = [
        ("CO", "school", EXAMPLE_SCHOOL_CO, "ValleLabs", "Lab Point", 2022),
        ("CO", "school", "176233000002", "comparison", None, None),
    ]
    return pd.DataFrame(rows, columns=["pais", "tipo_unidad", "codigo", "programa", "tipo_laboratorio",
                                       "anio_inicio"])


def motivation() -> pd.DataFrame:
    """The motivation survey: one row per student and wave, items 1–5 as answered (reverse items too)."""
    items = [f"motivacion_{i}" for i in range(1, len(MOTIVATION_ITEMS) + 1)]
    answers = [(4, 4, 5, 2, 5, 4, 4, 1), (5, 4, 5, 2, 5, 5, 4, 1)]
    rows = [("CO", EXAMPLE_SCHOOL_CO, "EJEMPLO-0001", wave, year, *a)
            for (wave, year), a in zip((("pre", 2022), ("post", 2023)), answers, strict=True)]
    return pd.DataFrame(rows, columns=["pais", "codigo_escuela", "id_estudiante", "ola", "anio", *items])


def survey_items() -> pd.DataFrame:
    """The survey's items in both languages, with the reverse-coded ones marked."""
    return pd.DataFrame([(f"motivacion_{i}", es, en, rev) for i, (es, en, rev) in enumerate(MOTIVATION_ITEMS, 1)],
                        columns=["column", "item_es", "item_en", "reverse_coded"])


TEMPLATES = {"students": students, "roster": roster, "motivation": motivation}
FILE_NAMES = {"students": "plantilla_estudiantes.csv", "roster": "plantilla_programa.csv",
              "motivation": "plantilla_motivacion.csv"}
