"""The evidence table's column dictionary: every column, its Table Schema type and its meaning in Spanish and
English (dictionary.csv, the XLSX dictionary sheet, datapackage.json).

``COMPARE_COLUMN_DOCS`` describes compare()'s own output columns (``PREPOST_COLUMNS`` / ``DID_COLUMNS``);
``PACK_COLUMN_DOCS`` the columns the evidence table adds or keys on (indicator, grouping, programme, groups,
observed years).
"""

from __future__ import annotations

import pandas as pd

COMPARE_COLUMN_DOCS: dict[str, tuple[str, str]] = {
    "design": ("Diseño: prepost (antes/después) o did (diferencias en diferencias con escuelas de comparación)",
               "Design: prepost (before/after) or did (difference-in-differences against comparison schools)"),
    "test": ("Prueba: paired_t (estudiantes vinculados), welch_t (cohortes no vinculadas) o sobre unidades",
             "Test: paired_t (linked students), welch_t (unlinked cohorts) or over units"),
    "n_units": ("Unidades (escuelas o municipios) del grupo", "Units (schools or municipalities) in the group"),
    "n_pre": ("Observados antes (estudiantes, o unidad-periodos en tasas)",
              "Observed before (students, or unit-periods for rates)"),
    "n_post": ("Observados después", "Observed after"),
    "n_linked": ("Estudiantes vinculados antes y después (los que usa la prueba pareada)",
                 "Students linked before and after (used by the paired test)"),
    "attrition": ("Desgaste: proporción de los de antes que faltan después (0–1)",
                  "Attrition: share of the pre sample missing at post (0–1)"),
    "mean_pre": ("Media antes, en la unidad del indicador", "Mean before, in the indicator's unit"),
    "mean_post": ("Media después", "Mean after"),
    "diff": ("Diferencia después − antes (media de diferencias por estudiante si están vinculados)",
             "Difference after − before (mean of within-student differences when linked)"),
    "diff_ci_low": ("Límite inferior del intervalo de confianza de la diferencia", "Difference: lower CI bound"),
    "diff_ci_high": ("Límite superior del intervalo de confianza de la diferencia", "Difference: upper CI bound"),
    "estimate": ("Estimación de diferencias en diferencias (unidad del indicador)",
                 "Difference-in-differences estimate (indicator's unit)"),
    "se": ("Error estándar agrupado por unidad", "Standard error clustered on the unit"),
    "ci_low": ("Límite inferior del IC de la estimación (t con G−1 grados de libertad)",
               "Estimate: lower CI bound (t with G−1 degrees of freedom)"),
    "ci_high": ("Límite superior del IC de la estimación", "Estimate: upper CI bound"),
    "p_value": ("Valor p", "p-value"),
    "q_value": ("Valor q de Benjamini–Hochberg sobre las filas de una misma llamada a compare()",
                "Benjamini–Hochberg q-value over the rows of one compare() call"),
    "wild_p_value": ("Valor p del bootstrap salvaje por conglomerados (pocos conglomerados)",
                     "Wild cluster bootstrap p-value (few clusters)"),
    "n_clusters": ("Conglomerados (unidades) en total", "Clusters (units) in total"),
    "n_treated": ("Unidades del programa", "Programme units"),
    "n_comparison": ("Unidades de comparación", "Comparison units"),
    "mean_treated_pre": ("Media del programa antes", "Programme mean before"),
    "mean_treated_post": ("Media del programa después", "Programme mean after"),
    "mean_comparison_pre": ("Media de comparación antes", "Comparison mean before"),
    "mean_comparison_post": ("Media de comparación después", "Comparison mean after"),
    "inference_reliable": ("Falso con 3 o menos conglomerados de un lado: sin inferencia fiable",
                           "False with 3 or fewer clusters on a side: no reliable inference"),
    "effect_size": ("Tamaño del efecto: g de Hedges (DE), puntos porcentuales o índice de Cox",
                    "Effect size: Hedges' g (SD), percentage points or Cox index"),
    "effect_size_kind": ("Unidad del efecto: hedges_g, pp, cox o points", "Effect unit: hedges_g, pp, cox or points"),
    "es_ci_low": ("Límite inferior del IC del efecto", "Effect: lower CI bound"),
    "es_ci_high": ("Límite superior del IC del efecto", "Effect: upper CI bound"),
    "improvement_index": ("Índice de mejora de la WWC: 100·Φ(g) − 50 (puntos percentiles)",
                          "WWC improvement index: 100·Φ(g) − 50 (percentile points)"),
    "months_progress": ("Meses de progreso equivalentes EEF (calibrados en años escolares del Reino Unido)",
                        "EEF-equivalent months of progress (calibrated on UK school years)"),
    "p_value_naive": ("Valor p ingenuo a nivel de estudiante", "Naive student-level p-value"),
    "p_value_icc_corrected": ("Valor p con la corrección por conglomerados de la WWC (ICC)",
                              "p-value with the WWC clustering correction (ICC)"),
    "icc": ("Correlación intraclase usada (DiD) o estimada de los datos (prepost)",
            "Intraclass correlation used (DiD) or estimated from the data (prepost)"),
    "design_effect": ("Efecto de diseño 1 + (m − 1)ρ", "Design effect 1 + (m − 1)ρ"),
    "pretrend_diff": ("Diferencia de pendientes previas (programa − comparación)",
                      "Difference in pre-period slopes (programme − comparison)"),
    "pretrend_ci_low": ("Límite inferior del IC de la diferencia de pendientes previas",
                        "Pre-trend difference: lower CI bound"),
    "pretrend_ci_high": ("Límite superior del IC de la diferencia de pendientes previas",
                         "Pre-trend difference: upper CI bound"),
    "pretrend_p": ("Valor p de la diferencia de pendientes previas", "p-value of the pre-trend difference"),
    "pretrend_significant": ("Verdadero si las tendencias previas difieren", "True when pre-period trends differ"),
    "baseline_g": ("Diferencia en la línea de base (g de Hedges, programa − comparación)",
                   "Baseline difference (Hedges' g, programme − comparison)"),
    "baseline_equivalence": ("Equivalencia en la línea de base (cortes de la WWC 0,05 y 0,25)",
                             "Baseline equivalence (WWC cut-offs 0.05 and 0.25)"),
    "differential_attrition": ("Desgaste diferencial |programa − comparación|",
                               "Differential attrition |programme − comparison|"),
    "attrition_rating": ("Desgaste según el límite cauteloso de la WWC", "Attrition by the WWC cautious boundary"),
    "reliability": ("Confiabilidad: ok, low (menos de 30 estudiantes o 5 unidades) o suppressed (menos del "
                    "tamaño mínimo de celda: sin valores)",
                    "Reliability: ok, low (fewer than 30 students or 5 units) or suppressed (under the minimum "
                    "cell size: no values)"),
    "flags": ("Advertencias de contexto (pandemia, cambio de escala Saber 11, composición, selección, …)",
              "Context flags (pandemic, Saber 11 scale change, composition, selection, …)"),
    "evidence": ("Nivel de evidencia de los chequeos de LabLens (no es una calificación oficial de la WWC)",
                 "Evidence level from the LabLens checks (not an official WWC rating)"),
    "evidence_reasons": ("Razones del nivel de evidencia", "Reasons for the evidence level"),
    "pre_window": ("Ventana antes (años, ondas o relativa al año de inicio)",
                   "Pre window (years, waves or relative to the start year)"),
    "post_window": ("Ventana después", "Post window"),
    "note": ("Nota (p. ej., sin unidades de comparación en el país)", "Note (e.g. no comparison units in the country)"),
}
PACK_COLUMN_DOCS: dict[str, tuple[str, str]] = {
    "indicator": ("Código del indicador (catálogo de indicadores)", "Indicator code (indicator catalogue)"),
    "grouping": ("Campos de agrupación de la fila, unidos con +; vacío = sin agrupar",
                 "Grouping fields of the row joined with +; empty = no grouping"),
    "program": ("Programa (ValleLabs, MiLab, …; comparison = grupo de comparación); nunca se agregan",
                "Programme (ValleLabs, MiLab, …; comparison = comparison group); never pooled"),
    "country": ("País, código ISO (CO, GT)", "Country, ISO code (CO, GT)"),
    "start_year_cohort": ("Cohorte por año de inicio (adopción escalonada: cada cohorte por separado)",
                          "Start-year cohort (staggered adoption: each cohort separately)"),
    "lab_type": ("Tipo de laboratorio", "Lab type"),
    "department": ("Departamento", "Department"),
    "municipality": ("Municipio", "Municipality"),
    "authority": ("Autoridad educativa a cargo", "Education authority in charge"),
    "school": ("Escuela (unit_id)", "School (unit_id)"),
    "zone": ("Zona (rural o urbana)", "Zone (rural or urban)"),
    "sex": ("Sexo", "Sex"),
    "grade": ("Grado", "Grade"),
    "level": ("Nivel escolar", "School level"),
    "start_year": ("Año de inicio del programa en la unidad", "Programme start year of the unit"),
    "pre_years": ("Años observados en la ventana antes, separados por espacios",
                  "Years observed in the pre window, space-separated"),
    "post_years": ("Años observados en la ventana después, separados por espacios",
                   "Years observed in the post window, space-separated"),
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
