"""ICFES "Clasificación de planteles" Saber 11 (SB11-CLASIFI-PLANTELES-<periodo>, 2014 onward).

One row per school (COLE_COD_DANE, the 12-digit DANE establishment code) and cohort (COLE_GRADO 11, or
26 for the adult cycles of the same school), with the school's indices over its last three years of
results on a 0-1 scale (ICFES, "Metodología de clasificación de planteles", Saber 11). Editions differ
only in how they are written (UTF-8 with '¬' and decimal commas; ISO-8859-1 with 'TAB|TAB'); readers.py
handles both. Excel re-saves whose codes became '2.0579E+11' are refused (location.damaged_codes).

Mapping to LabLens:
- unit: the school, coded by COLE_COD_DANE as every Colombian school code (normalise.normalise_unit;
  the 2011-2013 layouts key school x shift because those files have no DANE code); placed in its stated
  municipality COLE_CODMPIO_COLEGIO (normalise.place_co_school);
- year: PERIODO's first four digits (20204 -> 2020, 20191 -> 2019): the classification published after a
  year's sittings belongs to that year; ICFES publishes one after each sitting (…1 after calendar B's, …2 or
  …4 after calendar A's), so a file holding both periods of a year keeps, for each school and grade, the one
  of its calendar and skips the other with its reason (sittings.py), never one of them as a duplicate;
- INDICE_* -> icfes_index_* (kind index, 0-1); n = EVALUADOS_ULTIMOS_3; grade = COLE_GRADO, so a grade 26
  row is the adult-cycle subgroup of the school, not a duplicate of its grade 11 row;
- unit attributes: sector (COLE_NATURALEZA, OFICIAL / NO OFICIAL), category (COLE_CATEGORIA, A+ .. D),
  calendar, population_gender.
"""

from __future__ import annotations

import re

from analysis.importer.layouts import Layout, ValueSpec, fold

INDEX_COLUMNS = {
    "indice_matematicas": "icfes_index_math", "indice_c_naturales": "icfes_index_science",
    "indice_ciencias_naturales": "icfes_index_science", "indice_sociales_ciudadanas": "icfes_index_social",
    "indice_lectura_critica": "icfes_index_reading", "indice_ingles": "icfes_index_english",
    "indice_total": "icfes_index_total",
}
ATTRIBUTES = {"cole_naturaleza": "sector", "cole_categoria": "category", "cole_calendario_colegio": "calendar",
              "cole_calendario": "calendar", "cole_generopoblacion": "population_gender"}


def _find(f: list[str], *names: str) -> int | None:
    return next((f.index(n) for n in names if n in f), None)


def period_year(source_name: str) -> int | None:
    """The year of a period written in a file name: 'SB11-CLASIFI-PLANTELES-20204' -> 2020."""
    m = re.search(r"(?<!\d)(20\d{2})[1-4]?(?!\d)", source_name)
    return int(m.group(1)) if m else None


def recognise_planteles(headers: list[str], source_name: str) -> Layout | None:
    """The ICFES school classification, from its COLE_COD_DANE and INDICE_* columns."""
    f = [fold(h) for h in headers]
    code = _find(f, "cole_cod_dane", "cole_cod_dane_establecimiento")
    values = [ValueSpec(i, INDEX_COLUMNS[h]) for i, h in enumerate(f) if h in INDEX_COLUMNS]
    if code is None or not values:
        return None
    year_col = _find(f, "periodo")
    year = None if year_col is not None else period_year(source_name)
    layout = Layout("icfes_planteles", "ICFES Saber 11 school classification (clasificación de planteles)",
                    country="CO", unit_type="school", code_cols=[code], year_col=year_col, year_const=year,
                    name_col=_find(f, "cole_inst_nombre", "cole_nombre_establecimiento"),
                    municipality_code_col=_find(f, "cole_codmpio_colegio", "cole_cod_mcpio_ubicacion"),
                    municipality_col=_find(f, "cole_mpio_municipio", "cole_mcpio_ubicacion"),
                    department_col=_find(f, "cole_cod_depto", "cole_depto_colegio", "cole_depto_ubicacion"),
                    grade_col=_find(f, "cole_grado"), n_col=_find(f, "evaluados_ultimos_3"), values=values,
                    unit_attribute_cols={i: ATTRIBUTES[h] for i, h in enumerate(f) if h in ATTRIBUTES},
                    sitting_col=year_col, calendar_col=_find(f, "cole_calendario_colegio", "cole_calendario"))
    if year_col is None and year is None:
        return None
    used = {code, year_col, layout.name_col, layout.municipality_code_col, layout.municipality_col,
            layout.department_col, layout.grade_col, layout.n_col, *[v.column for v in values],
            *layout.unit_attribute_cols}
    layout.ignored = [headers[i] for i in range(len(headers)) if i not in used]
    layout.notes.append("schools are placed in the municipality the file states (COLE_CODMPIO_COLEGIO); "
                        "grade 26 rows (adult cycles) are a subgroup of their school (grade 26)")
    return layout
