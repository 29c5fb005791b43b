"""Suggested mappings: what each column of an unrecognised file probably is (issue 14, item 4).

Headers are matched by their words ('tokens' of the folded header), not only by exact alias, so that the
official headers of ministries place themselves: COLE_COD_DANE and CODIGO_DANE are unit codes,
COLE_CODMPIO_COLEGIO a municipality code, PERIODO, AÑO and Chile's AGNO a year, COLE_MPIO_MUNICIPIO a
municipality name, EVALUADOS_ULTIMOS_3 a count. Text columns become attributes, never indicators; numeric
columns are indicator candidates shown with their observed range. ``suggest_mapping`` writes the whole
TOML file (``python -m analysis import FILE --suggest-mapping > map.toml``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from analysis.catalog import INDICATOR_BY_CODE
from analysis.importer.icfes import INDEX_COLUMNS
from analysis.importer.numbers import decide, number_sql
from analysis.importer.readers import SourceTable, describe_delimiter, read_into, reading
from analysis.privacy import is_personal_column

FILL_IN = "FILL_IN"
_CODE = {"cod", "codigo", "code", "cd", "id"}
_SCHOOL = {"establecimiento", "colegio", "institucion", "escuela", "sede", "ie", "centro", "plantel", "school"}
_MUNI = {"mpio", "municipio", "mcpio", "municipality", "comuna", "com", "ciudad", "distrito"}
_DEPT = {"depto", "departamento", "dpto", "department", "region", "provincia"}
_YEAR = {"ano", "anio", "anno", "agno", "year", "periodo", "ciclo"}
# a column named by the school alone ("escuela", "establecimiento") holds its code in the files programmes send;
# the school's name comes in a column that says so ("nombre", "nombre_escuela": the name rule)
_SCHOOL_CODE = ("escuela", "establecimiento", "colegio", "plantel", "institucion", "sede")
CO_DANE = re.compile(r"^\d{12}$")  # Colombia's DANE school code: 12 digits

# (role, rule) in priority order; each role goes to the first column that matches it.
RULES: list[tuple[str, object]] = [
    ("student_id", lambda f, t: f in ("student_id", "id_estudiante", "estudiante_id", "codigo_estudiante",
                                      "id_alumno", "codigo_alumno", "alumno_id", "mrun", "codigo_personal")),
    ("municipality_code", lambda f, t: bool(t & {"codmpio", "divipola", "codmun", "codmunicipio"})
     or bool(t & _CODE and t & _MUNI)),
    ("department_code", lambda f, t: bool(t & {"coddepto", "coddpto", "cod_dpto"}) or bool(t & _CODE and t & _DEPT)),
    ("unit_code", lambda f, t: f in ("school_code", "unit_code", "codigo", "code", "dane", "cod_dane", *_SCHOOL_CODE)
     or bool(t & {"dane", "rbd", "modular"}) or bool(t & _CODE and t & _SCHOOL) or f == "cod_mod"),
    ("start_year", lambda f, t: "inicio" in t or f == "start_year"),
    ("year", lambda f, t: bool(t & _YEAR)),
    ("municipality", lambda f, t: bool(t & _MUNI)),
    ("department", lambda f, t: bool(t & _DEPT)),
    ("name", lambda f, t: bool(t & {"nombre", "nom", "name"})),
    ("n", lambda f, t: bool(t & {"evaluados", "presentes", "tested"})),
    ("n", lambda f, t: bool(t & {"matriculados", "estudiantes", "alumnos", "students"}) or f == "n"),
    ("sex", lambda f, t: bool(t & {"sexo", "genero", "sex", "gender"})),
    ("grade", lambda f, t: bool(t & {"grado", "grade", "curso"})),
    ("wave", lambda f, t: bool(t & {"wave", "ola", "momento", "medicion", "aplicacion"})),
    ("level", lambda f, t: bool(t & {"nivel", "level"})),
    ("zone", lambda f, t: bool(t & {"zona", "zone"}) or f == "area"),
    ("country", lambda f, t: bool(t & {"pais", "country"})),
    ("unit_type", lambda f, t: f in ("unit_type", "tipo_unidad")),
    ("program", lambda f, t: bool(t & {"programa", "program", "programme"})),
    ("lab_type", lambda f, t: f in ("lab_type", "tipo_laboratorio", "tipo_lab")),
    ("authority", lambda f, t: bool(t & {"etc", "dideduc", "ugel", "secretaria", "sostenedor"})),
]


def indicator_for(folded: str) -> str | None:
    """A catalogue indicator a header names: its code, an ICFES index, or a Spanish alias."""
    from analysis.importer.layouts import INDICATOR_ALIASES

    if folded in INDICATOR_BY_CODE:
        return folded
    return INDEX_COLUMNS.get(folded) or INDICATOR_ALIASES.get(folded)


def guess_roles(headers: list[str]) -> dict[int, str]:
    """Column index -> role ('unit_code', ..., or 'indicator:CODE') for the headers that say what they are."""
    from analysis.importer.layouts import fold

    folded = [fold(h) for h in headers]
    roles: dict[int, str] = {}
    for i, f in enumerate(folded):
        code = indicator_for(f)
        if code:
            roles[i] = f"indicator:{code}"
    taken: set[str] = set()
    for role, rule in RULES:
        if role in taken:
            continue
        for i, f in enumerate(folded):
            personal = role == "name" and is_personal_column(headers[i])
            if i not in roles and rule(f, set(f.split("_"))) and not personal:
                roles[i] = role
                taken.add(role)
                break
    return roles


def _country(headers: list[str], codes: list[str]) -> str | None:
    """The country a file's headers or school codes point to (Guatemala DD-MM-NNNN-NN, Colombia's 12-digit
    DANE codes), else None."""
    from analysis.importer.layouts import fold
    from analysis.importer.normalise import GT_SCHOOL

    words = {w for h in headers for w in fold(h).split("_")}
    if "rbd" in words or "mrun" in words:
        return "CL"
    if "modular" in words or "ugel" in words:
        return "PE"
    if "dane" in words or "divipola" in words:
        return "CO"
    codes = [str(c).strip() for c in codes if str(c).strip()]
    if codes and all(GT_SCHOOL.match(c) for c in codes):
        return "GT"
    if codes and all(CO_DANE.match(c) for c in codes):
        return "CO"
    return None


country_from_codes = _country


def country_of_values(headers: list[str], columns: list[list[object]]) -> str | None:
    """The country a file points to by its headers, else by a column whose every non-empty value is a school
    code of one country (MINEDUC's DD-MM-NNNN-NN: Guatemala; a 12-digit DANE code: Colombia); None if none does.
    ``columns``: a preview of each column's values, in the order of ``headers``."""
    by_headers = _country(headers, [])
    if by_headers:
        return by_headers
    found = {_country([], values) for values in columns if any(str(v).strip() for v in values if v is not None)}
    found.discard(None)
    return found.pop() if len(found) == 1 else None


def code_column(headers: list[str], rows: list[list[object]], roles: dict[str, str]) -> str | None:
    """The header of the column holding school codes, recognised by its values (every non-empty value of the
    preview a Guatemalan or Colombian school code) when no column has the unit-code role yet."""
    from analysis.importer.normalise import GT_SCHOOL

    if "unit_code" in roles.values():
        return None
    for i, header in enumerate(headers):
        values = [str(r[i]).strip() for r in rows if i < len(r) and str(r[i]).strip()]
        if values and roles.get(header, "ignore") == "ignore" and (
                all(GT_SCHOOL.match(v) for v in values) or all(CO_DANE.match(v) for v in values)):
            return header
    return None


def _profile(con: duckdb.DuckDBPyConnection, source: SourceTable, columns: list[int]) -> dict[int, tuple]:
    """Per column: (numeric share, min, max, decimal mark) of its non-blank values."""
    if not columns:
        return {}
    samples = {c: [r[0] for r in con.execute(f"SELECT c{c} FROM raw WHERE c{c} LIKE '%,%' OR c{c} LIKE '%.%' "
                                             "LIMIT 2000").fetchall()] for c in columns}
    marks = decide(samples, source.delimiter)
    out = {}
    for c in columns:
        value = number_sql(f"c{c}", marks[c])
        filled, numeric, low, high = con.execute(
            f"SELECT count(*), count(v), min(v), max(v) FROM (SELECT {value} AS v FROM raw "
            f"WHERE coalesce(trim(c{c}), '') NOT IN ('', '-', 'NA', 'N/A', 'ND'))").fetchall()[0]
        out[c] = (numeric / filled if filled else 0.0, low, high, marks[c])
    return out


def _toml(text: str) -> str:
    from analysis.importer.mapping import _toml_string

    return _toml_string(text)


def _number(x: float) -> str:
    return f"{x:g}"


def suggest_mapping(path: str | os.PathLike, name: str | None = None) -> str:
    """A mapping file for ``path``, ready to edit: every column placed, indicators to fill in."""
    con = duckdb.connect()
    try:
        source = read_into(con, Path(path), name)
        roles = guess_roles(source.headers)
        unplaced = [i for i in range(len(source.headers)) if i not in roles]
        profile = _profile(con, source, unplaced + [i for i, r in roles.items() if r.startswith("indicator:")])
        code_col = next((i for i, r in roles.items() if r == "unit_code"), None)
        codes = ([r[0] for r in con.execute(f"SELECT c{code_col} FROM raw WHERE c{code_col} IS NOT NULL LIMIT 50")
                  .fetchall()] if code_col is not None else [])
        preview = con.execute("SELECT " + ", ".join(f"c{i}" for i in range(len(source.headers)))
                              + " FROM raw LIMIT 50").fetchall() if code_col is None and source.headers else []
    finally:
        con.close()
    # no unit-code column named: a column whose values are all one country's school codes tells the country
    country = _country(source.headers, codes) or country_of_values(
        source.headers, [[r[i] for r in preview if r[i] is not None] for i in range(len(source.headers))])
    lines = [f"# Mapping suggested by LabLens for {source.name} ({reading(source)}).",
             f"# Replace each {FILL_IN} with an indicator code (python -m analysis indicators lists them; a new",
             "# code needs an [indicators.CODE] table, see the end) or set the column to \"ignore\".",
             "", "[source]",
             f"country = {_toml(country or FILL_IN)}   # ISO 3166-1 code: CO, GT, CL, PE, ...",
             'unit_type = "school"      # school | municipality | department']
    if "year" not in roles.values():
        lines.append(f'year = "{FILL_IN}"             # the file has no year column: write the year, e.g. 2024')
    if source.file_format == "csv":
        lines.append(f"encoding = {_toml(source.encoding or 'utf-8')}")
        lines.append(f"delimiter = {_toml(describe_delimiter(source.delimiter))}")
    marks = {p[3] for i, p in profile.items() if p[0] >= 0.95 and (i in unplaced or roles.get(i, "").startswith(
        "indicator:"))}
    if marks == {","}:
        lines.append('decimal = ","')
    lines += ["", "[columns]"]
    for i, header in enumerate(source.headers):
        key = _toml(header)
        role = roles.get(i)
        share, low, high, _ = profile.get(i, (0.0, None, None, "."))
        shown = f"   # numbers {_number(low)} to {_number(high)}" if share >= 0.95 and low is not None else ""
        if role and role.startswith("indicator:"):
            lines.append(f"{key} = {{ indicator = {_toml(role.split(':', 1)[1])} }}{shown}")
        elif role:
            lines.append(f"{key} = {_toml(role)}")
        elif is_personal_column(header):
            lines.append(f'{key} = "ignore"   # names or contacts a person: never stored')
        elif shown:
            lines.append(f"{key} = {{ indicator = {_toml(FILL_IN)} }}{shown}")
        else:
            lines.append(f'{key} = "attribute"   # text, kept as an attribute')
    lines += ["", "# [indicators.my_indicator]     # a new indicator, when no catalogue code fits",
              '# domain = "learning"           # learning | motivation | retention | context',
              '# kind = "score"                # score | rate | binary | likert | count | sd | index',
              '# unit = "points"', "# min_value = 0", "# max_value = 100", "# higher_is_better = true",
              '# label_es = "..."', '# label_en = "..."']
    return "\n".join(lines) + "\n"
