"""Layouts: where each piece of a file goes, and recognisers for the official layouts we know.

A `Layout` says, by column position, which column holds the unit code, the year, each indicator,
and so on. Recognisers build one from the headers (accent- and case-insensitive, Spanish and
English aliases); a TOML mapping file builds one for anything else (see `mapping.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from analysis.catalog import INDICATOR_BY_CODE, fold
from analysis.privacy import is_personal_column


@dataclass
class ValueSpec:
    """One indicator column: raw column index, indicator code and level."""

    column: int
    indicator: str
    level: str = "all"


@dataclass
class Layout:
    """What every column of a file means. Column fields hold raw column indexes."""

    name: str
    description: str
    target: str = "observations"  # observations | units | roster
    country: str | None = None
    country_col: int | None = None
    unit_type: str | None = "school"
    unit_type_col: int | None = None
    code_kind: str = "auto"  # dane_department | dane_municipality | mineduc_school | saber2013 | saber_name | auto
    code_cols: list[int] = field(default_factory=list)
    name_col: int | None = None
    department_col: int | None = None
    municipality_col: int | None = None
    municipality_code_col: int | None = None
    authority_col: int | None = None
    zone_col: int | None = None
    year_col: int | None = None
    year_const: int | None = None
    wave_col: int | None = None
    # a test sitting (ICFES periodo YYYY1 / YYYY2) and the school's calendar (A, B): one school-year that
    # holds two sittings keeps its calendar's main sitting (analysis/importer/sittings.py)
    sitting_col: int | None = None
    calendar_col: int | None = None
    sex_col: int | None = None
    grade_col: int | None = None
    level_col: int | None = None
    n_col: int | None = None
    student_col: int | None = None
    program_col: int | None = None
    lab_type_col: int | None = None
    start_year_col: int | None = None
    values: list[ValueSpec] = field(default_factory=list)
    attribute_cols: dict[int, str] = field(default_factory=dict)
    unit_attribute_cols: dict[int, str] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    decimal: str | None = None
    exclude_totals: bool = True
    notes: list[str] = field(default_factory=list)
    student_prehashed: bool = False  # student IDs are already keyed pseudonyms (field-form exports)


class NotRecognised(ValueError):
    """The file matches no known layout; carries the columns it could not place."""

    def __init__(self, message: str, unplaced: list[str], suggestion: str):
        super().__init__(message)
        self.unplaced = unplaced
        self.suggestion = suggestion

    def with_reading(self, reading: str) -> NotRecognised:
        """The same error, saying how the file was read (encoding, delimiter, columns seen)."""
        return NotRecognised(f"{self} ({reading})", self.unplaced, self.suggestion)

    def in_country(self, country: str | None) -> NotRecognised:
        """The same error, its suggested mapping naming ``country`` (the one the file's codes point to)."""
        if not country:
            return self
        suggestion = re.sub(r'^country = "[A-Z]{2}"', f'country = "{country}"', self.suggestion, count=1, flags=re.M)
        return NotRecognised(str(self), self.unplaced, suggestion)


# --- MEN statistics ------------------------------------------------------------------------------

MEN_BASES = {
    "cobertura_neta": "net_coverage_rate",
    "cobertura_bruta": "gross_coverage_rate",
    "desercion": "dropout_rate",
    "aprobacion": "promotion_rate",
    "reprobacion": "failure_rate",
    "repitencia": "repetition_rate",
    "tasa_matriculacion_5_16": "enrolment_rate_5_16",
    "poblacion_5_16": "population_5_16",
    "tamano_promedio_de_grupo": "average_class_size",
    "sedes_conectadas_a_internet": "internet_connected_sites_rate",
}
LEVEL_SUFFIXES = {
    "transicion": "transition", "primaria": "primary", "secundaria": "secondary",
    "media": "upper_secondary", "basica_secundaria": "secondary",
}


def _men_value(folded: str) -> tuple[str, str] | None:
    if folded in MEN_BASES:
        return MEN_BASES[folded], "all"
    for suffix, level in LEVEL_SUFFIXES.items():
        if folded.endswith("_" + suffix):
            base = folded[: -len(suffix) - 1]
            if base in MEN_BASES:
                return MEN_BASES[base], level
    return None


def _index(folded: list[str], *names: str) -> int | None:
    for name in names:
        if name in folded:
            return folded.index(name)
    return None


def recognise_men(headers: list[str]) -> Layout | None:
    """MEN 'Estadísticas en educación ... por municipio / por departamento' (datos.gov.co)."""
    f = [fold(h) for h in headers]
    year = _index(f, "ano", "anio", "anno")
    muni = _index(f, "codigo_municipio")
    dept = _index(f, "codigo_departamento")
    values = [ValueSpec(i, *v) for i, h in enumerate(f) if (v := _men_value(h))]
    if year is None or (muni is None and dept is None) or len(values) < 2:
        return None
    if muni is not None:
        layout = Layout("men_municipal", "MEN statistics by municipality", country="CO",
                        unit_type="municipality", code_kind="dane_municipality", code_cols=[muni],
                        name_col=_index(f, "municipio"), department_col=_index(f, "departamento"),
                        authority_col=_index(f, "etc"), year_col=year, values=values)
    else:
        layout = Layout("men_department", "MEN statistics by department", country="CO",
                        unit_type="department", code_kind="dane_department", code_cols=[dept],
                        name_col=_index(f, "departamento"), year_col=year, values=values)
    used = {year, muni, dept, layout.name_col, layout.department_col, layout.authority_col,
            *[v.column for v in values]}
    layout.ignored = [headers[i] for i in range(len(headers)) if i not in used]
    return layout


# --- SIYA (Niñez YA) -------------------------------------------------------------------------------

SIYA_FILES = {
    1: ("score_math", "all"), 2: ("score_language", "all"), 3: ("score_social", "all"),
    4: ("score_global", "all"), 5: ("net_coverage_rate", "primary"),
    6: ("net_coverage_rate", "upper_secondary"), 7: ("failure_rate", "primary"),
    8: ("failure_rate", "upper_secondary"), 9: ("repetition_rate", "primary"),
    10: ("repetition_rate", "upper_secondary"), 11: ("dropout_rate", "primary"),
    12: ("dropout_rate", "upper_secondary"),
}
SIYA_COLUMNS = {
    "promedio_matematicas": ("score_math", "all"), "promedio_lectura": ("score_language", "all"),
    "promedio_lectura_critica": ("score_language", "all"), "promedio_sociales": ("score_social", "all"),
    "promedio_puntaje_global": ("score_global", "all"),
}


def _siya_value(folded: str) -> tuple[str, str] | None:
    if folded in SIYA_COLUMNS:
        return SIYA_COLUMNS[folded]
    v = _men_value(folded)
    if v:
        return v
    m = re.match(r"^(tasa_de_)?([a-z_]+?)_(primaria|secundaria|media)$", folded)
    if m and m.group(2) in MEN_BASES:
        return MEN_BASES[m.group(2)], LEVEL_SUFFIXES[m.group(3)]
    return None


def recognise_siya_json(headers: list[str], source_name: str, json_shape: str | None) -> Layout | None:
    """SIYA JSON: {year: [[DANE municipality code, value], ...]}; the indicator is in the file name."""
    if json_shape != "year_code_value":
        return None
    m = re.search(r"ya3-(\d+)", source_name.lower())
    if not m or int(m.group(1)) not in SIYA_FILES:
        raise NotRecognised(
            f"{source_name}: a year -> [code, value] JSON file, but its name does not say which "
            "indicator it holds (SIYA files are named ya3-1 .. ya3-12)",
            ["value"],
            '[source]\ncountry = "CO"\nunit_type = "municipality"\n\n[columns]\n'
            'value = { indicator = "dropout_rate", level = "primary" }\n',
        )
    indicator, level = SIYA_FILES[int(m.group(1))]
    return Layout("siya_json", f"SIYA municipal indicator ya3-{m.group(1)} (JSON)", country="CO",
                  unit_type="municipality", code_kind="dane_municipality", code_cols=[1], year_col=0,
                  values=[ValueSpec(2, indicator, level)])


def recognise_siya_xlsx(headers: list[str]) -> Layout | None:
    """SIYA downloads: columns anno, codmpio, promedio_* / desercion_* (xlsx or CSV)."""
    f = [fold(h) for h in headers]
    year = _index(f, "anno", "ano", "anio")
    code = _index(f, "codmpio", "cod_mpio", "codigo_mpio")
    values = [ValueSpec(i, *v) for i, h in enumerate(f) if (v := _siya_value(h))]
    if year is None or code is None or not values:
        return None
    return Layout("siya_table", "SIYA municipal indicator (table)", country="CO", unit_type="municipality",
                  code_kind="dane_municipality", code_cols=[code], year_col=year, values=values)


# --- ICFES Saber 11 by school, 2011-2013 --------------------------------------------------------------

SABER_AREAS = {
    "matematica": "score_math", "quimica": "score_chemistry", "fisica": "score_physics",
    "biologia": "score_biology", "filosofia": "score_philosophy", "ingles": "score_english",
    "lenguaje": "score_language", "sociales": "score_social",
}
SABER_2011_COLUMNS = [
    "puesto", "colegio", "municipio", "departamento", "naturaleza", "periodo", "jornada", "calendario",
    "evaluados", "promedio_total", "matematica", "quimica", "fisica", "biologia", "filosofia", "ingles",
    "lenguaje", "sociales", "de_matematica", "de_quimica", "de_fisica", "de_biologia", "de_filosofia",
    "de_ingles", "de_lenguaje", "de_sociales", "cse_2009",
]


def _year_from_name(source_name: str) -> int | None:
    m = re.search(r"(?<!\d)(20\d{2}|19\d{2})(?!\d)", source_name)
    return int(m.group(1)) if m else None


def _saber_values(f: list[str]) -> list[ValueSpec]:
    values = []
    for i, h in enumerate(f):
        if h in SABER_AREAS:
            values.append(ValueSpec(i, SABER_AREAS[h]))
        elif h.startswith("de_") and h[3:] in SABER_AREAS:
            values.append(ValueSpec(i, SABER_AREAS[h[3:]] + "_sd"))
        elif h == "promedio_total":
            values.append(ValueSpec(i, "score_global"))
    return values


def recognise_saber(headers: list[str], source_name: str, has_header: bool) -> Layout | None:
    """ICFES Saber 11 school results: the 2011 (no header), 2012 and 2013 layouts."""
    if not has_header and len(headers) == len(SABER_2011_COLUMNS):
        f = SABER_2011_COLUMNS
        variant = "saber11_2011"
    else:
        f = [fold(h) for h in headers]
        if not ({"matematica", "lenguaje", "evaluados"} <= set(f)):
            return None
        if not ({"colegio", "codinst", "nombre"} & set(f)):
            return recognise_saber_ranking(headers, source_name)
        variant = "saber11_2013" if "codinst" in f else "saber11_2012"
    year = None if "periodo" in f and variant == "saber11_2013" else _year_from_name(source_name)
    year_col = f.index("periodo") if variant == "saber11_2013" else None
    if year is None and year_col is None:
        raise NotRecognised(
            f"{source_name}: Saber 11 school results, but the year is in neither a column nor the "
            "file name", [], '[source]\nyear = 2012\n')
    common = dict(country="CO", unit_type="school", year_col=year_col, year_const=year,
                  n_col=f.index("evaluados"), values=_saber_values(f),
                  municipality_col=_index(f, "municipio"), department_col=_index(f, "departamento"),
                  name_col=_index(f, "colegio", "nombre"))
    sector = _index(f, "naturaleza", "oficial")
    shift = _index(f, "jornada")
    calendar = _index(f, "calendario")
    attrs = {i: n for i, n in ((sector, "sector"), (shift, "shift"), (calendar, "calendar")) if i is not None}
    if variant == "saber11_2013":
        layout = Layout(variant, "ICFES Saber 11 results by school and shift (2013 layout)",
                        code_kind="saber2013", code_cols=[f.index("codinst"), shift, calendar,
                                                          f.index("periodo")],
                        municipality_code_col=f.index("cod_municipio"), unit_attribute_cols=attrs,
                        sitting_col=f.index("periodo"), calendar_col=calendar, **common)
    else:
        sitting = _index(f, "periodo")
        layout = Layout(variant, f"ICFES Saber 11 results by school and shift ({variant[-4:]} layout)",
                        code_kind="saber_name",
                        code_cols=[i for i in (common["department_col"], common["municipality_col"],
                                               common["name_col"], shift, calendar, sector, sitting)
                                   if i is not None],
                        unit_attribute_cols=attrs, sitting_col=sitting,
                        calendar_col=calendar if sitting is not None else None, **common)
        layout.notes.append("this layout has no school codes: schools are keyed by department, "
                            "municipality, name, shift, calendar and sector (and the test sitting for "
                            "flexible-calendar programmes), so they cannot be linked to 2013's ICFES codes; "
                            "same-named schools that nothing tells apart are rejected")
    return layout


def recognise_saber_ranking(headers: list[str], source_name: str) -> Layout | None:
    """Saber 11 results aggregated by municipality or department, identified by name only."""
    f = [fold(h) for h in headers]
    dept = _index(f, "departamento")
    if dept is None:
        return None
    year = _year_from_name(source_name)
    if year is None:
        raise NotRecognised(f"{source_name}: Saber 11 results by territory, but the file name has no year",
                            [], '[source]\nyear = 2013\n')
    muni = _index(f, "municipio")
    values = [ValueSpec(i, SABER_AREAS[h]) for i, h in enumerate(f) if h in SABER_AREAS]
    common = dict(country="CO", year_const=year, n_col=f.index("evaluados"), values=values)
    if muni is not None:
        layout = Layout("saber11_municipal_ranking", "ICFES Saber 11 means by municipality (names only)",
                        unit_type="municipality", code_kind="name_municipality", code_cols=[muni, dept],
                        **common)
    else:
        layout = Layout("saber11_department_ranking", "ICFES Saber 11 means by department (names only)",
                        unit_type="department", code_kind="name_department", code_cols=[dept], **common)
    used = {muni, dept, f.index("evaluados"), *[v.column for v in values]}
    layout.ignored = [headers[i] for i in range(len(headers)) if i not in used]
    layout.notes.append("territories are identified by name and matched to DANE codes; unmatched names are "
                        "rejected")
    return layout


# --- MINEDUC school directory -----------------------------------------------------------------------------

def recognise_mineduc_directory(headers: list[str]) -> Layout | None:
    """MINEDUC 'establecimientos' directory: CODIGO DD-MM-NNNN-NN, DEPARTAMENTO, MUNICIPIO, AREA ..."""
    f = [fold(h) for h in headers]
    code = _index(f, "codigo")
    if code is None or "establecimiento" not in f or "departamento" not in f:
        return None
    attrs = {}
    for name in ("distrito", "nivel", "sector", "status", "modalidad", "jornada", "plan", "departamental"):
        if name in f:
            attrs[f.index(name)] = name
    layout = Layout("mineduc_directory", "MINEDUC school directory (Guatemala)", target="units",
                    country="GT", unit_type="school", code_kind="mineduc_school", code_cols=[code],
                    name_col=f.index("establecimiento"), department_col=f.index("departamento"),
                    municipality_col=_index(f, "municipio"), zone_col=_index(f, "area"),
                    unit_attribute_cols=attrs)
    used = {code, layout.name_col, layout.department_col, layout.municipality_col, layout.zone_col, *attrs}
    layout.ignored = [headers[i] for i in range(len(headers)) if i not in used]
    return layout


# --- LabLens canonical layout and programme rosters ------------------------------------------------

ALIASES: dict[str, tuple[str, ...]] = {
    "student_id": ("student_id", "id_estudiante", "estudiante_id", "codigo_estudiante", "id_alumno",
                   "codigo_alumno", "alumno_id", "documento_estudiante", "student", "estudiante",
                   "codigo_personal", "id"),
    "unit_code": ("school_code", "codigo_escuela", "codigo_establecimiento", "codigo_institucion",
                  "codigo_sede", "codigo_dane", "cod_dane", "dane", "school", "unit_code", "codigo_unidad",
                  "codigo", "code", "establecimiento_codigo", "cod_establecimiento"),
    "country": ("country", "pais"),
    "unit_type": ("unit_type", "tipo_unidad", "tipo"),
    "year": ("year", "ano", "anio", "anno", "ano_escolar", "ciclo", "ciclo_escolar", "school_year"),
    "wave": ("wave", "ola", "onda", "momento", "medicion", "aplicacion", "fase"),
    "sex": ("sex", "sexo", "genero", "gender"),
    "grade": ("grade", "grado"),
    "level": ("level", "nivel"),
    "n": ("n", "evaluados", "matriculados", "total_estudiantes", "students", "estudiantes"),
    "program": ("program", "programa", "programme"),
    "lab_type": ("lab_type", "tipo_laboratorio", "tipo_lab", "tipo_de_laboratorio"),
    "start_year": ("start_year", "anio_inicio", "ano_inicio", "anno_inicio", "inicio"),
    "zone": ("zone", "zona", "area"),
}
INDICATOR_ALIASES: dict[str, str] = {
    "matematicas": "score_math", "matematica": "score_math", "puntaje_matematicas": "score_math",
    "math": "score_math", "lenguaje": "score_language", "lectura": "score_language",
    "lectura_critica": "score_language", "comunicacion_y_lenguaje": "score_language",
    "reading": "score_language", "ciencias": "score_science", "ciencias_naturales": "score_science",
    "science": "score_science", "sociales": "score_social", "puntaje_global": "score_global",
    "matriculado_siguiente_ano": "enrolled_next_year", "matriculado_ano_siguiente": "enrolled_next_year",
    "sigue_matriculado": "enrolled_next_year", "asistencia": "attendance_rate",
    "indice_motivacion": "motivation_index", "desercion": "dropout_rate",
}


def indicator_code_for(folded: str, extra: set[str]) -> str | None:
    if folded in INDICATOR_BY_CODE or folded in extra:
        return folded
    if folded in INDICATOR_ALIASES:
        return INDICATOR_ALIASES[folded]
    m = re.match(r"^(motivacion|motivation|motivation_item|motivacion_item|item_motivacion|m)_?(\d+)$",
                 folded)
    if m:
        return f"motivation_item_{int(m.group(2))}"
    return None


def _aliased(f: list[str], key: str) -> int | None:
    return _index(f, *ALIASES[key])


def recognise_roster(headers: list[str]) -> Layout | None:
    """Programme roster: unit code, program, lab type, start year (country and unit type optional); a
    randomised roster's `stratum` and `lab_operating` columns become unit attributes."""
    f = [fold(h) for h in headers]
    program = _aliased(f, "program")
    code = _aliased(f, "unit_code")
    if program is None or code is None:
        return None
    # a randomised assignment's block and whether the school's lab operates (the `rct` design reads them)
    trial = {i: name for name, i in (("stratum", _index(f, "stratum", "estrato", "bloque")),
                                     ("lab_operating", _index(f, "lab_operating", "laboratorio_funcionando")))
             if i is not None}
    return Layout("roster", "programme roster", target="roster", unit_type=None,
                  country_col=_aliased(f, "country"), unit_type_col=_aliased(f, "unit_type"),
                  code_cols=[code], program_col=program, lab_type_col=_aliased(f, "lab_type"),
                  start_year_col=_aliased(f, "start_year"), unit_attribute_cols=trial)


def recognise_canonical(headers: list[str], extra_indicators: set[str] | None = None) -> Layout | None:
    """LabLens's own layout: one row per student (or unit) and wave/year, indicators as columns."""
    f = [fold(h) for h in headers]
    extra = extra_indicators or set()
    code = _aliased(f, "unit_code")
    year = _aliased(f, "year")
    wave = _aliased(f, "wave")
    values = []
    taken: set[int] = set()
    for i, h in enumerate(f):
        ind = indicator_code_for(h, extra)
        if ind and ind in INDICATOR_BY_CODE | {e: None for e in extra}:
            values.append(ValueSpec(i, ind))
            taken.add(i)
    if code is None or (year is None and wave is None) or not values:
        return None
    student = _aliased(f, "student_id")
    # a unit_type column (school | municipality | department) decides per row; else units are schools
    unit_type_col = _aliased(f, "unit_type")
    layout = Layout("lablens_students" if student is not None else "lablens_units",
                    "LabLens canonical layout (" + ("students" if student is not None else "units") + ")",
                    country_col=_aliased(f, "country"), unit_type_col=unit_type_col,
                    unit_type="school" if unit_type_col is None else None, code_cols=[code],
                    year_col=year, wave_col=wave, sex_col=_aliased(f, "sex"), grade_col=_aliased(f, "grade"),
                    level_col=_aliased(f, "level"), n_col=_aliased(f, "n") if student is None else None,
                    student_col=student, values=values, zone_col=_aliased(f, "zone"))
    used = {code, year, wave, student, layout.country_col, unit_type_col, layout.sex_col, layout.grade_col,
            layout.level_col, layout.n_col, layout.zone_col, *taken}
    for i, h in enumerate(headers):
        if i in used:
            continue
        if is_personal_column(h):
            layout.dropped.append(h)
        elif student is not None:
            layout.attribute_cols[i] = fold(h) or f"column_{i + 1}"
        else:
            layout.ignored.append(h)
    return layout
