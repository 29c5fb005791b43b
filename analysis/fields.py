"""The grouping and filter fields: one registry of small objects, each with its SQL and its words.

A field is what compare() groups by (``--by``), what the pages filter on and offer as subgroups, and a
column of compare()'s output. Each :class:`Field` holds its SQL expression in compare's observation
query (aliases ``o`` observations, ``u`` units, ``up`` a unit's programme), its level, the query of its
distinct values where the pages need one, the expression of a one-value filter on the pages' queries,
the translation key of its label, and its description for data dictionaries. Field names are a fixed
whitelist: a name never reaches SQL text, only these expressions do. Student attributes (shift,
ethnicity, ...) are not fields: they come from the data (``student_attributes``).
"""

from __future__ import annotations

from dataclasses import dataclass

LEVELS = ("unit", "student", "programme")


@dataclass(frozen=True)
class Field:
    """One grouping/filter field (see the module docstring)."""

    name: str
    sql: str  # expression in compare's observation query
    level: str  # unit (a school's attribute) | student (the row's) | programme (the unit's programme)
    doc: tuple[str, str]  # (Spanish, English) description of the output column
    values_sql: str | None = None  # distinct values for one indicator (one bound parameter: the indicator)
    filter_sql: str | None = None  # one-value filter on the pages' queries; None: not a page filter
    subgroup: bool = False  # offered as a subgroup on the Comparar page
    alias_of: str | None = None  # another name of the same field

    @property
    def label_key(self) -> str:
        """The translation key of the field's label (ui/locales)."""
        return f"field.{self.name}"


def _values(column: str, join: str = "") -> str:
    """The distinct values of ``column`` among one indicator's observations."""
    table = column.split(".")[0]
    if not join:
        return f"SELECT DISTINCT {column} AS value FROM observations o WHERE o.indicator = ? AND {column} IS NOT NULL"
    return f"""SELECT DISTINCT {column} AS value FROM observations o JOIN {join} {table} USING (unit_id)
               WHERE o.indicator = ? AND {column} IS NOT NULL"""


# Comparison units have no lab type: as a filter, a lab type's schools are compared with all of them,
# so the comparison units take the filter value itself (a bound parameter).
_LAB_TYPE_FILTER = "CASE WHEN up.program = 'comparison' THEN ? ELSE up.lab_type END"

FIELDS: tuple[Field, ...] = (
    Field("program", "up.program", "programme",
          ("Programa (ValleLabs, MiLab, …; comparison = grupo de comparación); nunca se agregan",
           "Programme (ValleLabs, MiLab, …; comparison = comparison group); never pooled")),
    Field("lab_type", "up.lab_type", "programme", ("Tipo de laboratorio", "Lab type"),
          values_sql=_values("a.lab_type", "assignments"), filter_sql=_LAB_TYPE_FILTER, subgroup=True),
    Field("country", "u.country", "unit", ("País, código ISO (CO, GT)", "Country, ISO code (CO, GT)")),
    Field("department", "u.department", "unit", ("Departamento", "Department"),
          values_sql=_values("u.department", "units"), filter_sql="u.department"),
    Field("municipality", "u.municipality", "unit", ("Municipio", "Municipality"), filter_sql="u.municipality"),
    Field("authority", "u.authority", "unit", ("Autoridad educativa a cargo", "Education authority in charge"),
          filter_sql="u.authority"),
    Field("school", "o.unit_id", "unit", ("Escuela (unit_id)", "School (unit_id)")),
    Field("unit", "o.unit_id", "unit", ("Escuela (unit_id)", "School (unit_id)"), alias_of="school"),
    Field("zone", "u.zone", "unit", ("Zona (rural o urbana)", "Zone (rural or urban)"),
          values_sql=_values("u.zone", "units"), filter_sql="u.zone", subgroup=True),
    Field("sex", "o.sex", "student", ("Sexo", "Sex"), values_sql=_values("o.sex"), filter_sql="o.sex",
          subgroup=True),
    Field("grade", "o.grade", "student", ("Grado", "Grade"), values_sql=_values("o.grade"), filter_sql="o.grade",
          subgroup=True),
    Field("level", "o.level", "student", ("Nivel escolar", "School level")),
    Field("start_year", "up.start_year", "programme",
          ("Año de inicio del programa en la unidad", "Programme start year of the unit")),
)
BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
# name -> SQL expression in compare's observation query (every name, aliases included)
GROUP_FIELDS: dict[str, str] = {f.name: f.sql for f in FIELDS}


def field(name: str) -> Field | None:
    """The field called ``name`` (an alias gives its target), or None (e.g. a student attribute)."""
    f = BY_NAME.get(name)
    return BY_NAME[f.alias_of] if f is not None and f.alias_of else f


def canonical(name: str) -> str:
    """The field's own name for an alias ('unit' -> 'school'); other names unchanged."""
    f = field(name)
    return f.name if f is not None else name


def names(*, level: str | None = None, subgroup: bool | None = None) -> tuple[str, ...]:
    """Field names in registry order, aliases left out, optionally of one level or the subgroups only."""
    return tuple(f.name for f in FIELDS if f.alias_of is None and (level is None or f.level == level)
                 and (subgroup is None or f.subgroup == subgroup))


def is_unit_level(name: str) -> bool:
    """True for a field that is an attribute of the unit or its programme (not of the row or student)."""
    f = field(name)
    return f is not None and f.level != "student"


def filter_fields() -> dict[str, str]:
    """field -> SQL expression of a one-value filter on the pages' queries."""
    return {f.name: f.filter_sql for f in FIELDS if f.filter_sql is not None}


def values_sql() -> dict[str, str]:
    """field -> SQL of its distinct values for one indicator (one bound parameter: the indicator code)."""
    return {f.name: f.values_sql for f in FIELDS if f.values_sql is not None}


def by_help() -> str:
    """The CLI's help text of ``--by``."""
    return (f"group by a field (repeat or comma-separate): {', '.join(names())}, or a student attribute")
