"""The evidence table's column dictionary: every column, its Table Schema type and its meaning in Spanish and
English (dictionary.csv, the XLSX dictionary sheet, datapackage.json).

``COMPARE_COLUMN_DOCS`` describes compare()'s own output columns (``PREPOST_COLUMNS`` / ``DID_COLUMNS``);
``PACK_COLUMN_DOCS`` the columns the evidence table adds or keys on (indicator, grouping, programme, groups,
observed years).
"""

from __future__ import annotations

import pandas as pd

from analysis.compare.designs import column_registry

# compare()'s columns are described once, by the designs that give them (analysis/compare/columns.py)
COMPARE_COLUMN_DOCS: dict[str, tuple[str, str]] = {name: (c.es, c.en) for name, c in column_registry().items()}

# columns only the evidence table has (its keys and windows are described by compare())
PACK_COLUMN_DOCS: dict[str, tuple[str, str]] = {
    "indicator": ("Código del indicador (catálogo de indicadores)", "Indicator code (indicator catalogue)"),
    "grouping": ("Campos de agrupación de la fila, unidos con +; vacío = sin agrupar",
                 "Grouping fields of the row joined with +; empty = no grouping"),
}
COLUMN_DOCS: dict[str, tuple[str, str]] = {**COMPARE_COLUMN_DOCS, **PACK_COLUMN_DOCS}
DICTIONARY_COLUMNS_DOCS: dict[str, tuple[str, str]] = {
    "column": ("Nombre de la columna en evidence.csv", "Column name in evidence.csv"),
    "type": ("Tipo de Table Schema", "Table Schema type"),
    "description_es": ("Descripción en español", "Description in Spanish"),
    "description_en": ("Descripción en inglés", "Description in English"),
}


def column_type(series: pd.Series) -> str:
    """The Table Schema type of a column (https://specs.frictionlessdata.io/table-schema/#types-and-formats)."""
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        return "number"
    return "string"


def describe(column: str) -> tuple[str, str]:
    """(Spanish, English) description of an evidence-table column; grouping attributes get a generic one."""
    return COLUMN_DOCS.get(column, (f"Grupo: atributo «{column}»", f"Group: attribute '{column}'"))


def dictionary(table: pd.DataFrame) -> pd.DataFrame:
    """One row per column of the evidence table: name, Table Schema type, description in Spanish and English."""
    rows = [(c, column_type(table[c]), *describe(c)) for c in table.columns]
    return pd.DataFrame(rows, columns=list(DICTIONARY_COLUMNS_DOCS)).astype("str")
