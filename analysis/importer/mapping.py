"""Mapping files (TOML) for layouts LabLens does not recognise. Example (README.md has the full guide):

    [source]
    country = "GT"              # any ISO 3166-1 code (CO, GT, CL, PE, ...); or map a column to "country"
    unit_type = "school"        # school | municipality | department
    year = 2024                 # when the file has no year column
    target = "observations"     # observations (default) | roster | units
    decimal = ","               # optional: force the decimal mark
    delimiter = "TAB|TAB"       # optional: force the delimiter (one character, or a run such as TAB|TAB)
    encoding = "ISO-8859-1"     # optional: force the encoding

    [columns]
    "Código establecimiento" = "unit_code"
    "Ciclo" = "year"
    "Alumno" = "student_id"
    "Nota matemática" = { indicator = "score_math" }
    "Deserción primaria" = { indicator = "dropout_rate", level = "primary" }
    "Observaciones" = "ignore"

    [indicators.reading_fluency]  # a new indicator (codes are never renamed later)
    domain = "learning"
    kind = "score"
    unit = "words per minute"
    min_value = 0
    max_value = 300
    label_es = "Fluidez lectora"
    label_en = "Reading fluency"

Column names match the file's headers accent- and case-insensitively; for a file without a header
use column_1, column_2, ...
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pandas as pd

from analysis import import_text
from analysis.catalog import INDICATOR_BY_CODE, LEVELS, countries, fold
from analysis.importer.layouts import Layout, ValueSpec
from analysis.importer.readers import SourceTable, reading
from analysis.privacy import is_personal_column

ROLES = {
    "unit_code": "code_cols", "student_id": "student_col", "country": "country_col",
    "unit_type": "unit_type_col", "year": "year_col", "wave": "wave_col", "sex": "sex_col",
    "grade": "grade_col", "level": "level_col", "n": "n_col", "name": "name_col",
    "department": "department_col", "municipality": "municipality_col", "zone": "zone_col",
    "authority": "authority_col", "program": "program_col", "lab_type": "lab_type_col",
    "start_year": "start_year_col", "municipality_code": "municipality_code_col",
    "department_code": "department_col",
}
# What each role means (README.md, "Mapping roles", is written from this table).
ROLE_MEANINGS = {
    "unit_code": "the unit's code: DANE (Colombia), MINEDUC (Guatemala), or any code elsewhere (Chile's RBD)",
    "student_id": "the student's ID, replaced by a pseudonym at import",
    "country": "the unit's country (ISO 3166-1: CO, GT, CL, PE, ...), per row",
    "unit_type": "school, municipality or department, per row",
    "year": "the school year; a period such as 20204 gives its first four digits (2020)",
    "wave": "the measurement: pre, post, baseline or endline",
    "sex": "the student's sex (F or M)",
    "grade": "the grade (a subgroup: grade 26 rows of an ICFES file are a school's adult cycles)",
    "level": "the school level (transition, primary, secondary, upper_secondary)",
    "n": "how many students a unit's value stands for (evaluated, enrolled)",
    "name": "the unit's name",
    "department": "the unit's department, by name or code",
    "department_code": "the unit's department code (DANE 2 digits); same as department, give one of them",
    "municipality": "the municipality where the unit is, by name",
    "municipality_code": "the municipality where the unit is, by code (DANE 5 digits): it places a school even "
                         "when its own code was registered elsewhere",
    "zone": "urban or rural",
    "authority": "the education authority running the unit: in Colombia the ETC (entidad territorial "
                 "certificada), in Guatemala the DIDEDUC; not the school's sector (map that as an attribute). "
                 "The file's value wins over the ETC LabLens derives for Valle del Cauca; a contradiction is "
                 "listed in the summary (`authority_conflicts`)",
    "program": "the programme name (roster files), or 'comparison'",
    "lab_type": "the lab type of a programme school (roster files)",
    "start_year": "the year a unit joined the programme (roster files)",
    "attribute": "kept as it is written: a student attribute (usable as a group) in student files, a unit "
                 "attribute (sector, category, ...) otherwise",
    "ignore": "not loaded",
}
SOURCE_FIXED = {"country": "country_col", "unit_type": "unit_type_col", "year": "year_col"}
INDICATOR_FIELDS = {"domain", "kind", "unit", "higher_is_better", "min_value", "max_value", "scale",
                    "reverse_coded", "label_es", "label_en"}
DOMAINS = {"learning", "motivation", "retention", "context"}
KINDS = {"score", "rate", "binary", "likert", "count", "sd", "index"}


class MappingError(ValueError):
    """A mapping file that cannot be used, with a one-line reason."""


def load_mapping(path: str | Path) -> dict:
    """Parse and check a TOML mapping file."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"cannot read mapping file {path}: {exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"mapping file {path} is not valid TOML: {exc}") from exc
    if not isinstance(data.get("columns"), dict) or not data["columns"]:
        raise MappingError(f"mapping file {path} needs a [columns] table")
    return data


def reader_options(mapping: dict) -> dict:
    """How to read the file, when the mapping says so: {'encoding': ..., 'delimiter': ...}."""
    src = mapping.get("source") or {}
    return {key: str(src[key]) for key in ("encoding", "delimiter") if src.get(key)}


def indicator_definitions(mapping: dict) -> pd.DataFrame:
    """New indicators declared in [indicators.CODE] tables, checked, as `indicators` rows."""
    rows = []
    for code, spec in (mapping.get("indicators") or {}).items():
        if not re.fullmatch(r"[a-z][a-z0-9_]{1,62}", code):
            raise MappingError(f"indicator code '{code}' must be lower-case letters, digits and _")
        if code in INDICATOR_BY_CODE:
            raise MappingError(f"indicator '{code}' already exists in the catalogue; use it without redefining")
        unknown = set(spec) - INDICATOR_FIELDS
        if unknown:
            raise MappingError(f"indicator '{code}': unknown field(s) {', '.join(sorted(unknown))}")
        if spec.get("domain") not in DOMAINS or spec.get("kind") not in KINDS:
            raise MappingError(f"indicator '{code}': domain must be one of {sorted(DOMAINS)} and kind one of "
                               f"{sorted(KINDS)}")
        rows.append({"code": code, "domain": spec["domain"], "kind": spec["kind"], "unit": spec.get("unit"),
                     "higher_is_better": spec.get("higher_is_better"), "min_value": spec.get("min_value"),
                     "max_value": spec.get("max_value"), "scale": spec.get("scale"),
                     "reverse_coded": bool(spec.get("reverse_coded", False)),
                     "label_es": spec.get("label_es", code), "label_en": spec.get("label_en", code)})
    return pd.DataFrame(rows, columns=["code", "domain", "kind", "unit", "higher_is_better", "min_value",
                                       "max_value", "scale", "reverse_coded", "label_es", "label_en"])


def layout_from_mapping(mapping: dict, source: SourceTable, known_indicators: set[str]) -> Layout:
    """Build a Layout for `source` from a parsed mapping file."""
    src = mapping.get("source") or {}
    target = src.get("target", "observations")
    if target not in ("observations", "roster", "units"):
        raise MappingError("source.target must be observations, roster or units")
    country = src.get("country")
    if country is not None:
        country = str(country).strip().upper()
        if country not in countries():
            raise MappingError(f"source.country '{src['country']}' is not an ISO 3166-1 country code "
                               "(e.g. CO, GT, CL, PE)")
    if src.get("decimal") not in (None, ",", "."):
        raise MappingError("source.decimal must be \",\" or \".\"")
    unit_type = src.get("unit_type", "school" if target == "observations" else None)
    if unit_type is not None and unit_type not in ("school", "municipality", "department"):
        raise MappingError("source.unit_type must be school, municipality or department")
    layout = Layout("mapping", f"mapping file ({target})", target=target, country=country, unit_type=unit_type,
                    decimal=src.get("decimal"))
    if src.get("year") is not None:
        try:
            layout.year_const = int(src["year"])
        except (TypeError, ValueError) as exc:
            raise MappingError("source.year must be a year such as 2024") from exc
    folded = {fold(h): i for i, h in enumerate(source.headers)}
    declared = known_indicators | set(indicator_definitions(mapping)["code"])
    placed: set[int] = set()
    given: dict[str, tuple[str, str]] = {}  # layout field -> (header, role) that set it
    for header, role in mapping["columns"].items():
        idx = folded.get(fold(header))
        if idx is None:
            raise MappingError(f"the mapping names column '{header}', which the file does not have "
                               f"(it has: {', '.join(source.headers[:15])}; {reading(source)})")
        placed.add(idx)
        if role == "ignore":
            layout.ignored.append(source.headers[idx])
        elif isinstance(role, dict):
            indicator = role.get("indicator")
            level = role.get("level", "all")
            if indicator not in declared:
                raise MappingError(f"column '{header}': unknown indicator '{indicator}' (define it under "
                                   "[indicators.CODE] or use a catalogue code)")
            if level not in LEVELS:
                raise MappingError(f"column '{header}': level must be one of {', '.join(LEVELS)}")
            layout.values.append(ValueSpec(idx, indicator, level))
        elif role == "attribute":
            layout.attribute_cols[idx] = fold(source.headers[idx])
        elif role in ROLES:
            attr = ROLES[role]
            if attr in given:
                other, other_role = given[attr]
                raise MappingError(f"columns '{other}' ({other_role}) and '{header}' ({role}) both give the "
                                   f"{role.removesuffix('_code')}; LabLens never lets one overwrite the other: "
                                   "map one of them and set the other to \"ignore\"")
            given[attr] = (header, role)
            if attr == "code_cols":
                layout.code_cols = [idx]
            else:
                setattr(layout, attr, idx)
        else:
            raise MappingError(f"column '{header}': unknown role '{role}' (one of {', '.join(ROLES)}, "
                               "attribute, ignore, or {{ indicator = ... }})")
    for key, attr in SOURCE_FIXED.items():
        if src.get(key) is not None and attr in given:
            raise MappingError(f"source.{key} = {src[key]!r} and column '{given[attr][0]}' both give the {key}; "
                               "keep one of them")
    level_from = given.get("level_col")
    fixed_level = next((source.headers[v.column] for v in layout.values if v.level != "all"), None)
    if level_from and fixed_level:
        raise MappingError(f"column '{level_from[0]}' gives the level and column '{fixed_level}' fixes one "
                           "({ indicator = ..., level = ... }); keep one of them")
    if layout.unit_type_col is not None:
        layout.unit_type = None  # a unit_type column decides per row
    if layout.student_col is None:  # without students, an attribute describes the unit (sector, category)
        layout.unit_attribute_cols, layout.attribute_cols = layout.attribute_cols, {}
    if not layout.code_cols:
        raise MappingError("the mapping must name the unit code column (= \"unit_code\")")
    if target == "observations":
        if not layout.values:
            raise MappingError("the mapping names no indicator column ({ indicator = \"...\" })")
        if layout.year_col is None and layout.year_const is None and layout.wave_col is None:
            raise MappingError("the mapping needs a year or wave column, or source.year")
    if target == "roster" and layout.program_col is None:
        raise MappingError("a roster mapping needs a program column")
    for i, h in enumerate(source.headers):
        if i not in placed:
            if is_personal_column(h):
                layout.dropped.append(h)
            else:
                layout.ignored.append(h)
    return layout


# --- building a mapping interactively (the Datos page) ---------------------------------------------------

ROLE_CHOICES = ("ignore", *ROLES, "attribute")


# a suggestion's placeholders for an indicator to choose (recognise.py CHOOSE_A_CODE, suggest.py FILL_IN), as written
# and as said in Spanish (import_text.py)
PLACEHOLDERS = ("CHOOSE_A_CODE", "FILL_IN", *(import_text.TEXTS["es"][k] for k in ("toml.choose", "toml.fill")))


def suggested_roles(suggestion: str, headers: list[str]) -> dict[str, str]:
    """Each header's role in a suggestion written by ``not_recognised`` ('indicator:CODE' for values;
    'ignore' where the suggestion could only say CHOOSE_A_CODE or FILL_IN, in either language)."""
    try:
        columns = tomllib.loads(suggestion).get("columns", {})
    except tomllib.TOMLDecodeError:
        columns = {}
    roles = {}
    for header in headers:
        role = columns.get(header, "ignore")
        if isinstance(role, dict):
            code = role.get("indicator")
            role = f"indicator:{code}" if code and code not in PLACEHOLDERS else "ignore"
        roles[header] = role if role in ROLE_CHOICES or str(role).startswith("indicator:") else "ignore"
    return roles


def mapping_from_choices(country: str, unit_type: str, roles: dict[str, str], year: int | None = None,
                         level: str = "all") -> dict:
    """The mapping (same structure as a TOML file) a user built by picking each column's role."""
    if level not in LEVELS:
        raise MappingError(f"level must be one of {', '.join(LEVELS)}")
    chosen = set(roles.values())
    source: dict = {k: v for k, v in (("country", country), ("unit_type", unit_type)) if k not in chosen}
    if year is not None and "year" not in chosen:
        source["year"] = int(year)
    columns: dict = {}
    for header, role in roles.items():
        if role.startswith("indicator:"):
            columns[header] = {"indicator": role.split(":", 1)[1], "level": level}
        elif role in ROLE_CHOICES:
            columns[header] = role
        else:
            raise MappingError(f"column '{header}': unknown role '{role}'")
    return {"source": source, "columns": columns}


def _toml_string(text: str) -> str:
    # A JSON string is a valid TOML basic string (same escapes, \uXXXX included).
    import json

    return json.dumps(str(text), ensure_ascii=False)


def mapping_to_toml(mapping: dict) -> str:
    """A mapping as a TOML file the CLI accepts (``--mapping FILE.toml``), so a choice made in the
    dashboard can be reused for next year's file."""
    lines = ["[source]"]
    for key, value in mapping.get("source", {}).items():
        lines.append(f"{key} = {value}" if isinstance(value, int) else f"{key} = {_toml_string(value)}")
    lines += ["", "[columns]"]
    for header, role in mapping.get("columns", {}).items():
        if isinstance(role, dict):
            inner = ", ".join(f"{k} = {_toml_string(v)}" for k, v in role.items())
            lines.append(f"{_toml_string(header)} = {{ {inner} }}")
        else:
            lines.append(f"{_toml_string(header)} = {_toml_string(role)}")
    return "\n".join(lines) + "\n"
