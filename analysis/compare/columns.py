"""compare()'s output columns: the single description (Spanish and English) and which designs give each.

Columns every design gives (most are added by :mod:`analysis.compare.finish`) are documented here; the
grouping fields in :mod:`analysis.fields`; each design module documents the columns it adds
(``COLUMN_DOCS``). :func:`registry` puts them together for the registered designs; the package
docstring's column list, the evidence pack's dictionary and the tests read it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, replace

from analysis import fields
from analysis.compare.request import Design

KEY_COLUMNS = ("program", "country")  # programmes and countries are never pooled
LIST_COLUMNS = ("pre_years", "post_years")  # every design ends with the years of each window

SHARED_DOCS: dict[str, tuple[str, str]] = {
    "p_value": ("Valor p", "p-value"),
    "q_value": ("Valor q de Benjamini–Hochberg sobre las filas de una misma llamada a compare()",
                "Benjamini–Hochberg q-value over the rows of one compare() call"),
    "effect_size": ("Tamaño del efecto: g de Hedges (DE), puntos porcentuales o índice de Cox",
                    "Effect size: Hedges' g (SD), percentage points or Cox index"),
    "effect_size_kind": ("Unidad del efecto: hedges_g, pp, cox o points", "Effect unit: hedges_g, pp, cox or points"),
    "es_ci_low": ("Límite inferior del IC del efecto", "Effect: lower CI bound"),
    "es_ci_high": ("Límite superior del IC del efecto", "Effect: upper CI bound"),
    "improvement_index": ("Índice de mejora de la WWC: 100·Φ(g) − 50 (puntos percentiles)",
                          "WWC improvement index: 100·Φ(g) − 50 (percentile points)"),
    "months_progress": ("Meses de progreso equivalentes EEF (calibrados en años escolares del Reino Unido)",
                        "EEF-equivalent months of progress (calibrated on UK school years)"),
    "attrition": ("Desgaste: proporción de los de antes que faltan después (0–1)",
                  "Attrition: share of the pre sample missing at post (0–1)"),
    "icc": ("Correlación intraclase usada (DiD) o estimada de los datos (prepost)",
            "Intraclass correlation used (DiD) or estimated from the data (prepost)"),
    "reliability": ("Confiabilidad: ok, low (menos de 30 estudiantes o 5 unidades) o suppressed (menos del "
                    "tamaño mínimo de celda: sin valores)",
                    "Reliability: ok, low (fewer than 30 students or 5 units) or suppressed (under the minimum "
                    "cell size: no values)"),
    "suppression_reason": ("Regla que ocultó la fila: small_cell (alguna celda tiene menos de 10 estudiantes) o "
                           "complementary (oculta para que otra celda no se deduzca de un total); vacía si se "
                           "muestra",
                           "Rule that hid the row: small_cell (some cell has fewer than 10 students) or complementary "
                           "(hidden so that another cell cannot be derived from a total); empty when shown"),
    "flags": ("Advertencias de contexto (pandemia, cambio de escala Saber 11, composición, selección, …)",
              "Context flags (pandemic, Saber 11 scale change, composition, selection, …)"),
    "evidence": ("Solidez del diseño según los chequeos de LabLens (diseño, escuelas, desgaste, línea de base, "
                 "tendencias previas; no el resultado ni una calificación oficial de la WWC)",
                 "Design strength from the LabLens checks (design, schools, attrition, baseline, pre-trends; not "
                 "the result, nor an official WWC rating)"),
    "evidence_reasons": ("Razones de la solidez del diseño", "Reasons for the design strength"),
    "pre_window": ("Ventana antes (años, ondas o relativa al año de inicio)",
                   "Pre window (years, waves or relative to the start year)"),
    "post_window": ("Ventana después", "Post window"),
    "pre_years": ("Años observados en la ventana antes, separados por espacios",
                  "Years observed in the pre window, space-separated"),
    "post_years": ("Años observados en la ventana después, separados por espacios",
                   "Years observed in the post window, space-separated"),
    # the comparison designs' columns (did, rct): one text for both
    "ci_low": ("Límite inferior del IC de la estimación (t con G−1 grados de libertad)",
               "Estimate: lower CI bound (t with G−1 degrees of freedom)"),
    "ci_high": ("Límite superior del IC de la estimación",
               "Estimate: upper CI bound"),
    "mean_treated_post": ("Media del programa después",
                         "Programme mean after"),
    "mean_comparison_post": ("Media de comparación después",
                            "Comparison mean after"),
    "baseline_g": ("Diferencia en la línea de base (g de Hedges, programa − comparación)",
                  "Baseline difference (Hedges' g, programme − comparison)"),
    "baseline_equivalence": ("Equivalencia en la línea de base (cortes de la WWC 0,05 y 0,25)",
                            "Baseline equivalence (WWC cut-offs 0.05 and 0.25)"),
    "differential_attrition": ("Desgaste diferencial |programa − comparación|",
                              "Differential attrition |programme − comparison|"),
    "attrition_rating": ("Desgaste según el límite cauteloso de la WWC",
                        "Attrition by the WWC cautious boundary"),
}


# every column's short name in (Spanish, English): the header of the pages' tables (ui/i18n.py reads them as col.*;
# they are not in ui/locales) and of `python -m analysis compare --format table`
LABELS: dict[str, tuple[str, str]] = {
    "program": ("Programa", "Programme"), "country": ("País", "Country"),
    "lab_type": ("Tipo de laboratorio", "Lab type"), "department": ("Departamento", "Department"),
    "municipality": ("Municipio", "Municipality"), "authority": ("Entidad a cargo", "Education authority"),
    "school": ("Escuela", "School"), "zone": ("Zona", "Zone"), "sex": ("Sexo", "Sex"), "grade": ("Grado", "Grade"),
    "level": ("Nivel", "Level"), "start_year": ("Año de inicio", "Start year"), "design": ("Diseño", "Design"),
    "test": ("Prueba", "Test"), "n_units": ("Unidades", "Units"), "n_pre": ("n antes", "n before"),
    "n_post": ("n después", "n after"), "n_linked": ("n vinculados", "n linked"),
    "attrition": ("Pérdida de muestra", "Attrition"), "mean_pre": ("Media antes", "Mean before"),
    "mean_post": ("Media después", "Mean after"), "diff": ("Diferencia", "Difference"),
    "diff_ci_low": ("Diferencia: IC inferior", "Difference: CI low"),
    "diff_ci_high": ("Diferencia: IC superior", "Difference: CI high"),
    "diff_se": ("Diferencia: error estándar", "Difference: standard error"),
    "df": ("Grados de libertad", "Degrees of freedom"), "p_value": ("p", "p"), "q_value": ("q", "q"),
    "effect_size": ("Efecto", "Effect"), "effect_size_kind": ("Unidad del efecto", "Effect unit"),
    "es_ci_low": ("Efecto: IC inferior", "Effect: CI low"), "es_ci_high": ("Efecto: IC superior", "Effect: CI high"),
    "improvement_index": ("Índice de mejora", "Improvement index"), "months_progress": ("Meses EEF", "EEF months"),
    "icc": ("CCI", "ICC"), "design_effect": ("Efecto de diseño", "Design effect"),
    "reliability": ("Confiabilidad", "Reliability"),
    "suppression_reason": ("Motivo de supresión", "Suppression reason"), "flags": ("Contexto", "Context"),
    "evidence": ("Solidez del diseño", "Design strength"), "evidence_reasons": ("Chequeos", "Checks"),
    "pre_window": ("Antes", "Before"), "post_window": ("Después", "After"),
    "pre_years": ("Años antes", "Years before"), "post_years": ("Años después", "Years after"),
    "start_year_cohort": ("Cohorte (año de inicio)", "Cohort (start year)"), "estimate": ("Estimación", "Estimate"),
    "se": ("Error estándar", "Standard error"), "ci_low": ("IC 95 % inferior", "95% CI low"),
    "ci_high": ("IC 95 % superior", "95% CI high"), "wild_p_value": ("p (wild bootstrap)", "p (wild bootstrap)"),
    "n_clusters": ("Escuelas", "Schools"), "n_treated": ("Escuelas del programa", "Programme schools"),
    "n_comparison": ("Escuelas de comparación", "Comparison schools"),
    "mean_treated_pre": ("Programa antes", "Programme before"),
    "mean_treated_post": ("Programa después", "Programme after"),
    "mean_comparison_pre": ("Comparación antes", "Comparison before"),
    "mean_comparison_post": ("Comparación después", "Comparison after"),
    "inference_reliable": ("Inferencia fiable", "Reliable inference"), "p_value_naive": ("p ingenua", "naive p"),
    "p_value_icc_corrected": ("p corregida (CCI)", "ICC-corrected p"), "icc_source": ("Origen del CCI", "ICC source"),
    "pretrend_diff": ("Diferencia de tendencias previas", "Pre-trend difference"),
    "pretrend_ci_low": ("Tendencias: IC inferior", "Pre-trend: CI low"),
    "pretrend_ci_high": ("Tendencias: IC superior", "Pre-trend: CI high"),
    "pretrend_p": ("p tendencias", "pre-trend p"),
    "pretrend_significant": ("Tendencias distintas", "Pre-trends differ"), "baseline_g": ("g al inicio", "Baseline g"),
    "baseline_equivalence": ("Equivalencia inicial", "Baseline equivalence"),
    "differential_attrition": ("Pérdida diferencial", "Differential attrition"),
    "attrition_rating": ("Pérdida (chequeo)", "Attrition (check)"), "note": ("Nota", "Note"),
    "n_blocks": ("Bloques", "Blocks"), "baseline_adjusted": ("Ajustado por la línea de base", "Baseline-adjusted"),
    "compliance": ("Cumplimiento", "Compliance"), "cace": ("CACE (laboratorio funcionando)", "CACE (operating lab)"),
    "cace_se": ("CACE: error estándar", "CACE: standard error"), "cace_ci_low": ("CACE: IC inferior", "CACE: CI low"),
    "cace_ci_high": ("CACE: IC superior", "CACE: CI high"), "cace_p_value": ("CACE: p", "CACE: p"),
    "cace_note": ("CACE: nota", "CACE: note"),
}


@dataclass(frozen=True)
class Column:
    """One output column: its name, the designs that give it, its description and its short name (``label``, a
    table's header) in Spanish and English."""

    name: str
    designs: tuple[str, ...]
    es: str
    en: str
    label: tuple[str, str] = ("", "")


def _join(words: Sequence[str], last: str) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"


def design_doc(designs: Sequence[Design]) -> tuple[str, str]:
    """The description of the ``design`` column, naming every registered design."""
    es = _join([f"{d.NAME} ({d.LABEL[0]})" for d in designs], "o")
    en = _join([f"{d.NAME} ({d.LABEL[1]})" for d in designs], "or")
    return f"Diseño: {es}", f"Design: {en}"


def output_columns(design: Design) -> tuple[str, ...]:
    """A design's columns after the grouping fields, in output order (the list columns last)."""
    return (*design.KEY_COLUMNS, *design.COLUMNS, *LIST_COLUMNS)


def registry(designs: Sequence[Design]) -> dict[str, Column]:
    """Every column compare() can give with the designs that give it: keys, grouping fields, then each
    design's columns in its order."""
    every = tuple(d.NAME for d in designs)
    docs: dict[str, tuple[str, str]] = {"design": design_doc(designs), **SHARED_DOCS}
    out = {f.name: Column(f.name, every, *f.doc) for f in fields.FIELDS if f.alias_of is None}
    out = {name: out[name] for name in KEY_COLUMNS} | out
    for d in designs:
        for name in output_columns(d):
            if name not in out:
                out[name] = Column(name, (), *d.COLUMN_DOCS.get(name, docs.get(name, ("", ""))))
            if d.NAME not in out[name].designs:
                out[name] = replace(out[name], designs=(*out[name].designs, d.NAME))
    return {name: replace(c, label=LABELS.get(name, ("", ""))) for name, c in out.items()}


def header(name: str, lang: str) -> str:
    """A column's short name in ``lang`` (English unless "es"); the code itself for a column without one (a grouping
    attribute of the file)."""
    es, en = LABELS.get(name, ("", ""))
    return (es if lang == "es" else en) or name


def docstring(designs: Sequence[Design]) -> str:
    """The column list of the package docstring."""
    lines = ["Output columns (stable; described, in Spanish and English, by ``column_registry()``):",
             "- keys: ``program``, ``country`` (programmes and countries are never pooled), then the ``by`` fields;"]
    for d in designs:
        names = ", ".join((*d.KEY_COLUMNS, *d.COLUMNS, *LIST_COLUMNS))
        lines += textwrap.wrap(f"- {d.NAME}: {names}.", 104, subsequent_indent="  ")
        lines += [f"  {line}" for line in d.COLUMN_NOTE.splitlines() if line.strip()]
    return "\n".join(lines) + "\n"
