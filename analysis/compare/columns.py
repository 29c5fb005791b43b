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
    "evidence": ("Nivel de evidencia de los chequeos de LabLens (no es una calificación oficial de la WWC)",
                 "Evidence level from the LabLens checks (not an official WWC rating)"),
    "evidence_reasons": ("Razones del nivel de evidencia", "Reasons for the evidence level"),
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


@dataclass(frozen=True)
class Column:
    """One output column: its name, the designs that give it, and its description in Spanish and English."""

    name: str
    designs: tuple[str, ...]
    es: str
    en: str


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
    return out


def docstring(designs: Sequence[Design]) -> str:
    """The column list of the package docstring."""
    lines = ["Output columns (stable; described, in Spanish and English, by ``column_registry()``):",
             "- keys: ``program``, ``country`` (programmes and countries are never pooled), then the ``by`` fields;"]
    for d in designs:
        names = ", ".join((*d.KEY_COLUMNS, *d.COLUMNS, *LIST_COLUMNS))
        lines += textwrap.wrap(f"- {d.NAME}: {names}.", 104, subsequent_indent="  ")
        lines += [f"  {line}" for line in d.COLUMN_NOTE.splitlines() if line.strip()]
    return "\n".join(lines) + "\n"
