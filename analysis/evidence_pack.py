"""Evidence packs: citable, reproducible exports of the evidence table (issue #5; DESIGN.md, "CLI").

One implementation for ``python -m analysis export`` and the Evidencia page's downloads:

- :func:`evidence_table` runs ``compare()`` for every call of an :class:`EvidenceRequest` and stacks the
  results under ``indicator``, ``design`` and ``grouping`` columns (stable order, compare's own columns);
- :func:`pack_bytes` builds the ``.zip`` evidence pack: ``evidence.csv`` (and ``evidence_es.csv`` with
  ``;`` and decimal commas on request), ``evidence.xlsx`` (sheets evidence, dictionary, methods,
  provenance), ``evidence.parquet``, ``dictionary.csv``, ``datapackage.json`` (Frictionless Data Package,
  https://specs.frictionlessdata.io/data-package/), ``methods.md``, ``provenance.json`` and an offline
  HTML brief (``brief.html``, :mod:`analysis.evidence_brief`);
- :func:`export_bytes` gives the evidence table alone as ``.xlsx``, ``.csv`` or ``.parquet``.

Reproducible: the same table gives byte-identical data files (no time inside them, fixed ZIP and XLSX
timestamps, :mod:`analysis.safe_export`); only ``provenance.json`` carries the generation time (and the
brief shows it). Private: values come from compare(), whose suppression (fewer than ``min_cell``
students) is kept in every file; a table holding a ``student_key`` column is refused; no text can run
as a spreadsheet formula.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

import analysis
from analysis import stats
from analysis.db.connect import cursor
from analysis.disclosure import MIN_CELL
from analysis.safe_export import csv_bytes, parquet_bytes, xlsx_bytes, zip_bytes

FORMATS = (".zip", ".xlsx", ".csv", ".parquet")
PREFIX_COLUMNS = ("indicator", "design", "grouping")
LIST_COLUMNS = ("pre_years", "post_years")
BOOLEAN_COLUMNS = ("inference_reliable", "pretrend_significant")
INTEGER_COLUMNS = ("start_year_cohort", "start_year")
FORBIDDEN_COLUMNS = ("student_key",)
REPO_ROOT = Path(__file__).resolve().parents[1]
#: DuckDB threads for exports: one thread gives the same floating-point sums on every run.
REPRODUCIBLE_THREADS = 1
PACKAGES = ("duckdb", "pandas", "numpy", "scipy", "statsmodels", "pyarrow", "plotly", "openpyxl")

# --- queries (bound parameters only) ---------------------------------------------------------------------

IMPORTS_SQL = """SELECT import_id, source_name, sha256, recognized_as, status, rows_loaded, imported_at
FROM imports ORDER BY import_id"""
INDICATORS_SQL = """SELECT code, domain, kind, unit, higher_is_better, label_es, label_en
FROM indicators ORDER BY code"""
META_SQL = "SELECT key, value FROM meta ORDER BY key"


class ExportError(ValueError):
    """An export that cannot be written, with a one-line reason."""


# --- request and context ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class EvidenceRequest:
    """What the evidence table holds: indicators x design x grouping, and compare()'s parameters.

    ``calls`` lists the exact compare() keyword arguments when they differ per programme (the Evidencia
    page aligns yearly indicators on each programme's windows); empty means one call per indicator
    with the request's own filters. ``command`` says how it was asked (a command line, or a page and its
    filters) and goes into provenance.json.
    """

    indicators: tuple[str, ...]
    design: str = "did"
    by: tuple[str, ...] = ()
    program: str | None = None
    pre: str | None = None
    post: str | None = None
    level: str = "all"
    min_cell: int = MIN_CELL
    weighted: bool = False
    icc: float | None = None
    conf_level: float = 0.95
    command: str = ""
    calls: tuple[Mapping, ...] = field(default=())

    def compare_calls(self) -> list[dict]:
        """The compare() keyword arguments of every call, in table order."""
        if self.calls:
            return [dict(c) for c in self.calls]
        return [{"indicator": code, "design": self.design, "by": list(self.by) or None, "program": self.program,
                 "pre": self.pre, "post": self.post, "level": self.level, "min_cell": self.min_cell,
                 "weighted": self.weighted, "conf_level": self.conf_level, "icc": self.icc}
                for code in self.indicators]

    def filters(self) -> dict:
        """The request as plain JSON-able values (provenance, methods)."""
        out = asdict(self)
        out.pop("calls")
        out.pop("command")
        out["indicators"], out["by"] = list(self.indicators), list(self.by)
        return out


@dataclass
class PackContext:
    """What the pack says about the database: imports (with sha256), indicator catalogue, meta, file name."""

    imports: pd.DataFrame
    indicators: pd.DataFrame
    meta: dict[str, str]
    database: str

    @property
    def demo(self) -> bool:
        return self.meta.get("demo") == "true"


def load_context(con: duckdb.DuckDBPyConnection, database: str) -> PackContext:
    """Imports, indicators and meta of an open database (read-only queries on a fresh cursor)."""
    cur = cursor(con)
    try:
        meta = dict(cur.execute(META_SQL).fetchall())
        return PackContext(cur.execute(IMPORTS_SQL).df(), cur.execute(INDICATORS_SQL).df(), meta, database)
    finally:
        cur.close()


# --- the evidence table ----------------------------------------------------------------------------------

def _years_text(value: object) -> object:
    """A window's observed years as text ('2015 2016 2017'): lists do not fit CSV or spreadsheet cells."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    years = [int(y) for y in value if y is not None and y == y]
    return " ".join(str(y) for y in sorted(years))


def tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """compare() output in file-ready types: year lists as text, true/false/missing as nullable booleans."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if column in LIST_COLUMNS:
            out[column] = pd.Series([_years_text(v) for v in values], index=out.index, dtype="str")
        elif column in BOOLEAN_COLUMNS or (values.dtype == object and len(values.dropna()) and values.dropna().map(
                lambda v: isinstance(v, bool | np.bool_)).all()):
            out[column] = values.astype("boolean")
        elif column in INTEGER_COLUMNS:
            out[column] = pd.to_numeric(values, errors="coerce").round().astype("Int64")
        elif values.dtype == object and values.dropna().map(lambda v: isinstance(v, str)).all():
            out[column] = pd.Series(values.tolist(), index=out.index, dtype="str")
    return out


def stack(frames: Sequence[tuple[Mapping, pd.DataFrame]]) -> pd.DataFrame:
    """Results of several compare() calls as one table: indicator, design, grouping first, call order kept."""
    parts = []
    for call, frame in frames:
        if frame is None or frame.empty:
            continue
        part = tidy(frame)
        by = call.get("by") or []
        by = [by] if isinstance(by, str) else list(by)
        if "design" in part:
            part = part.drop(columns="design")
        part.insert(0, "indicator", call["indicator"])
        part.insert(1, "design", call.get("design", "prepost"))
        part.insert(2, "grouping", "+".join(by))
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=list(PREFIX_COLUMNS))
    table = pd.concat(parts, ignore_index=True)
    for column in table.columns:  # concat of all-missing parts can fall back to object
        if table[column].dtype == object:
            table[column] = tidy(table[[column]])[column]
    check_private(table)
    return order_rows(table, [call["indicator"] for call, _ in frames])


def order_rows(table: pd.DataFrame, indicators: Sequence[str]) -> pd.DataFrame:
    """Stable row order: indicators as requested, then programmes (ValleLabs, MiLab, others, comparison), then
    compare()'s own order within a programme (its keys and by-groups)."""
    from analysis.periods import programme_order

    rank = {code: i for i, code in enumerate(dict.fromkeys(indicators))}
    programmes = {p: i for i, p in enumerate(programme_order(table["program"]))} if "program" in table else {}
    keys = pd.DataFrame({"_i": table["indicator"].map(rank),
                         "_p": table["program"].map(programmes) if programmes else 0}, index=table.index)
    order = keys.sort_values(["_i", "_p"], kind="stable").index
    return table.loc[order].reset_index(drop=True)


def reproducible_connection(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection whose results are bit-for-bit reproducible: DuckDB adds floating-point
    numbers in a different order from run to run when it aggregates on several threads (the last binary
    digit of a mean or an estimate changes), so exports run compare() on one thread."""
    from analysis.db.connect import open_db

    con = open_db(path)
    con.execute(f"SET threads = {REPRODUCIBLE_THREADS}")
    return con


def evidence_table(db: duckdb.DuckDBPyConnection | str | Path, request: EvidenceRequest,
                   skip_errors: bool = False) -> pd.DataFrame:
    """compare() for every call of ``request``, stacked.

    Raises ``CompareError`` for a call it cannot answer, unless ``skip_errors`` (the page leaves such calls
    out and says why). A path is opened with :func:`reproducible_connection`.
    """
    from analysis.compare import CompareError, compare

    con = db if isinstance(db, duckdb.DuckDBPyConnection) else reproducible_connection(db)
    frames = []
    try:
        for call in request.compare_calls():
            kwargs = dict(call)
            try:
                frames.append((call, compare(con, kwargs.pop("indicator"), **kwargs)))
            except CompareError:
                if not skip_errors:
                    raise
    finally:
        if con is not db:
            con.close()
    return stack(frames)


def check_private(table: pd.DataFrame) -> None:
    """Refuse a table that holds student identifiers (keyed pseudonyms included)."""
    bad = [c for c in table.columns if c in FORBIDDEN_COLUMNS]
    if bad:
        raise ExportError(f"the evidence table must not hold {', '.join(bad)}")


# --- dictionary: every column, its type and meaning in Spanish and English --------------------------------

COLUMN_DOCS: dict[str, tuple[str, str]] = {
    "indicator": ("Código del indicador (catálogo de indicadores)", "Indicator code (indicator catalogue)"),
    "design": ("Diseño: prepost (antes/después) o did (diferencias en diferencias con escuelas de comparación)",
               "Design: prepost (before/after) or did (difference-in-differences against comparison schools)"),
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
    "pre_years": ("Años observados en la ventana antes, separados por espacios",
                  "Years observed in the pre window, space-separated"),
    "post_years": ("Años observados en la ventana después, separados por espacios",
                   "Years observed in the post window, space-separated"),
}
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


# --- methods ---------------------------------------------------------------------------------------------

def windows(table: pd.DataFrame) -> pd.DataFrame:
    """The distinct windows of the table: indicator, program, country, pre/post window and observed years."""
    cols = [c for c in ("indicator", "program", "country", "start_year_cohort", "pre_window", "post_window",
                        "pre_years", "post_years") if c in table]
    if table.empty:
        return pd.DataFrame(columns=cols)
    return table[cols].drop_duplicates().reset_index(drop=True)


def icc_rule(request: EvidenceRequest, context: PackContext) -> str:
    """How the DiD ICC was chosen: the override, or the defaults per indicator domain (METHODS.md)."""
    if request.icc is not None:
        return f"{request.icc:g} (--icc)"
    domains = context.indicators.set_index("code")["domain"].to_dict() if len(context.indicators) else {}
    parts = [f"{code}: {stats.ICC_ACHIEVEMENT if domains.get(code) == 'learning' else stats.ICC_OTHER:g}"
             for code in request.indicators]
    return "; ".join(parts)


def parameters(request: EvidenceRequest, context: PackContext) -> pd.DataFrame:
    """The parameters of the analysis as (item, value) rows: the methods sheet and methods.md share them."""
    from analysis.stats import did

    rows = [
        ("indicators", ", ".join(request.indicators)),
        ("design", request.design),
        ("grouping", "+".join(request.by) or "-"),
        ("program", request.program or "all (each programme separately, never pooled)"),
        ("pre_window", request.pre or "default (see windows)"),
        ("post_window", request.post or "default (see windows)"),
        ("level", request.level),
        ("min_cell", str(request.min_cell)),
        ("confidence_level", f"{request.conf_level:g}"),
        ("icc_wwc_correction", icc_rule(request, context)),
        ("weighted_unit_rates", str(request.weighted).lower()),
        ("wild_bootstrap", f"B=9999, seed={did.DEFAULT_SEED}, Rademacher weights (Webb six-point under "
                           f"{did.WEBB_BELOW} clusters), when the smaller side has < {did.WILD_BOOTSTRAP_BELOW}"),
        ("min_clusters_for_inference", f"> {did.MIN_CLUSTERS_FOR_INFERENCE} per side"),
        ("multiple_comparisons", "Benjamini-Hochberg q over the rows of each compare() call"),
        ("compare_calls", str(len(request.compare_calls()))),
    ]
    return pd.DataFrame(rows, columns=["item", "value"]).astype("str")


METHODS_TEXT = {
    "es": {
        "title": "Métodos de esta tabla de evidencia",
        "intro": "Generada por LabLens {version} con `compare()`; METHODS.md y la página Métodos del tablero son "
                 "la referencia completa. Cada fila es un programa × país × grupo; los programas y países nunca se "
                 "agregan.",
        "params": "Parámetros", "windows": "Ventanas usadas", "calls": "Llamadas exactas a compare()",
        "designs": "Diseños",
        "prepost": "**prepost**: estudiantes vinculados por `student_key` → t pareada sobre las diferencias por "
                   "estudiante; cohortes no vinculadas → Welch; tasas agregadas por unidad → t pareada sobre "
                   "unidades presentes en ambas ventanas (si no, Welch). g de Hedges con la DE combinada de las "
                   "dos ondas; varianza inflada por el efecto de diseño 1 + (m − 1)ρ, ρ estimada de los datos.",
        "did": "**did**: y = a + b·programa + c·después + d·programa·después sobre observaciones unidad-periodo; "
               "d es la estimación. Errores estándar agrupados por unidad (statsmodels, cov_type=\"cluster\"), "
               "t con G−1 grados de libertad; bootstrap salvaje restringido con pocos conglomerados; con 3 o menos "
               "conglomerados de un lado no se reporta inferencia. Comparación en el mismo país y los mismos años.",
        "effects": "Efectos: g de Hedges (WWC 4.1/5.0), puntos porcentuales para tasas, índice de Cox para binarios; "
                   "índice de mejora 100·Φ(g) − 50; meses EEF como equivalencia orientativa.",
        "disclosure": "Divulgación: una celda con menos de {k} estudiantes no muestra valores (reliability = "
                      "suppressed), con supresión complementaria entre grupos hermanos; las tasas publicadas de "
                      "territorios no se suprimen. Grupos con menos de 30 estudiantes o 5 unidades: "
                      "reliability = low. Ningún archivo contiene identificadores de estudiantes.",
        "files": "Archivos",
        "files_text": "`evidence.csv` (coma, punto decimal, UTF-8 con BOM), `evidence_es.csv` si se pidió (punto y "
                      "coma, coma decimal), `evidence.xlsx` (hojas evidence, dictionary, methods, provenance), "
                      "`evidence.parquet`, `dictionary.csv`, `datapackage.json` (Frictionless), `provenance.json` "
                      "(importaciones con sha256, versión, commit, comando, hora) y `brief.html`. Los textos que "
                      "empiezan con = + - @ tabulador o retorno llevan un apóstrofo inicial en CSV y se guardan como "
                      "texto en XLSX.",
    },
    "en": {
        "title": "Methods of this evidence table",
        "intro": "Generated by LabLens {version} with `compare()`; METHODS.md and the dashboard's Methods page are "
                 "the full reference. Each row is a programme × country × group; programmes and countries are never "
                 "pooled.",
        "params": "Parameters", "windows": "Windows used", "calls": "Exact compare() calls",
        "designs": "Designs",
        "prepost": "**prepost**: students linked by `student_key` → paired t over within-student differences; "
                   "unlinked cohorts → Welch; aggregate unit rates → paired t over units present in both windows "
                   "(else Welch). Hedges' g with the SD pooled over the two waves; variance inflated by the design "
                   "effect 1 + (m − 1)ρ, ρ estimated from the data.",
        "did": "**did**: y = a + b·treated + c·post + d·treated·post over unit-period observations; d is the "
               "estimate. Standard errors clustered on the unit (statsmodels, cov_type=\"cluster\"), t with G−1 "
               "degrees of freedom; restricted wild cluster bootstrap with few clusters; with 3 or fewer clusters on "
               "a side no inference is reported. Comparison units of the same country and calendar years.",
        "effects": "Effects: Hedges' g (WWC 4.1/5.0), percentage points for rates, Cox index for binary outcomes; "
                   "improvement index 100·Φ(g) − 50; EEF months as an indicative equivalent.",
        "disclosure": "Disclosure: a cell with fewer than {k} students shows no values (reliability = suppressed), "
                      "with complementary suppression among sibling groups; published territory rates are not "
                      "suppressed. Groups with fewer than 30 students or 5 units: reliability = low. No file holds "
                      "student identifiers.",
        "files": "Files",
        "files_text": "`evidence.csv` (comma, decimal point, UTF-8 with BOM), `evidence_es.csv` when asked for "
                      "(semicolon, decimal comma), `evidence.xlsx` (sheets evidence, dictionary, methods, provenance), "
                      "`evidence.parquet`, `dictionary.csv`, `datapackage.json` (Frictionless), `provenance.json` "
                      "(imports with sha256, version, commit, command, time) and `brief.html`. Text starting with "
                      "= + - @ tab or carriage return gets a leading apostrophe in CSV and is stored as text in XLSX.",
    },
}


def _md_cell(value: object) -> str:
    text = "" if value is None or (isinstance(value, float) and value != value) or value is pd.NA else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(frame: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def methods_markdown(table: pd.DataFrame, request: EvidenceRequest, context: PackContext, lang: str = "es") -> str:
    """methods.md: designs, the exact parameters (windows, ICC, minimum cell, confidence level) and calls."""
    text = METHODS_TEXT[lang]
    calls = pd.DataFrame([{k: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v
                           for k, v in c.items()} for c in request.compare_calls()])
    parts = [
        f"# {text['title']}", "", text["intro"].format(version=analysis.__version__), "",
        f"## {text['params']}", "", _md_table(parameters(request, context)), "",
        f"## {text['windows']}", "", _md_table(windows(table)), "",
        f"## {text['calls']}", "", _md_table(calls), "",
        f"## {text['designs']}", "", f"- {text['prepost']}", f"- {text['did']}", f"- {text['effects']}",
        f"- {text['disclosure'].format(k=request.min_cell)}", "",
        f"## {text['files']}", "", text["files_text"], "",
    ]
    return "\n".join(parts)


# --- provenance ------------------------------------------------------------------------------------------

@cache
def git_commit() -> tuple[str, bool | None]:
    """(commit, uncommitted changes in analysis/?) of the LabLens checkout, or ("unknown", None) outside git;
    asked once per process (the code a process runs does not change under it)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True,
                                timeout=5, check=True).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "analysis"],
                                cwd=REPO_ROOT, capture_output=True, text=True, timeout=5, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown", None
    return (commit or "unknown"), bool(status.strip())


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _json_value(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.isoformat()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def imports_records(context: PackContext) -> list[dict]:
    """The imports behind the numbers: id, source file name, sha256, status, rows, time."""
    return [{k: _json_value(v) for k, v in row.items()} for row in context.imports.to_dict("records")]


def provenance(request: EvidenceRequest, context: PackContext, files: Mapping[str, bytes] | None = None,
               generated_at: dt.datetime | None = None) -> dict:
    """provenance.json: imports with sha256, LabLens version and commit, the command and filters, the calls,
    package versions, the sha256 of every other file in the pack, and the generation time (UTC)."""
    commit, dirty = git_commit()
    when = (generated_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    return {
        "generated_at": when.isoformat().replace("+00:00", "Z"),
        "lablens_version": analysis.__version__,
        "git_commit": commit,
        "git_uncommitted_changes": dirty,
        "command": request.command,
        "filters": request.filters(),
        "compare_calls": request.compare_calls(),
        "database": {"file": context.database, "schema_version": context.meta.get("schema_version"),
                     "synthetic_demo": context.demo},
        "imports": imports_records(context),
        "software": _versions(),
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in (files or {}).items()},
    }


def provenance_rows(request: EvidenceRequest, context: PackContext) -> pd.DataFrame:
    """Provenance as (item, value) rows without the time, so the XLSX stays byte-identical across runs."""
    commit, _ = git_commit()
    rows = [("lablens_version", analysis.__version__), ("git_commit", commit), ("command", request.command),
            ("filters", json.dumps(request.filters(), ensure_ascii=False, sort_keys=True)),
            ("database", context.database), ("synthetic_demo", str(context.demo).lower())]
    for imp in imports_records(context):
        rows.append((f"import {imp['import_id']}",
                     f"{imp['source_name']} [{imp['status']}] sha256={imp['sha256']}"))
    rows.append(("generated_at", "provenance.json"))
    return pd.DataFrame(rows, columns=["item", "value"]).astype("str")


# --- Frictionless Data Package ---------------------------------------------------------------------------

def _schema(frame: pd.DataFrame, docs: Mapping[str, tuple[str, str]] | None, decimal_comma: bool = False) -> dict:
    fields = []
    for column in frame.columns:
        kind = column_type(frame[column])
        es, en = (docs or {}).get(column) or describe(column)
        spec = {"name": str(column), "type": kind, "description": f"{es} / {en}",
                "description_es": es, "description_en": en}
        if kind == "boolean":
            spec.update(trueValues=["True"], falseValues=["False"])
        if kind == "number" and decimal_comma:
            spec["decimalChar"] = ","
        fields.append(spec)
    return {"fields": fields, "missingValues": [""]}


def datapackage(table: pd.DataFrame, dictionary_frame: pd.DataFrame, csv_es: bool) -> dict:
    """datapackage.json (Frictionless Data Package v1, tabular): one resource per CSV table with its Table Schema."""
    def resource(name: str, path: str, frame: pd.DataFrame, docs, delimiter: str, title: str, decimal_comma=False):
        return {"name": name, "path": path, "profile": "tabular-data-resource", "title": title, "format": "csv",
                "mediatype": "text/csv", "encoding": "utf-8-sig",
                "dialect": {"delimiter": delimiter, "header": True, "quoteChar": '"', "doubleQuote": True},
                "schema": _schema(frame, docs, decimal_comma)}

    resources = [resource("evidence", "evidence.csv", table, None, ",",
                          "Tabla de evidencia / Evidence table")]
    if csv_es:
        resources.append(resource("evidence-es", "evidence_es.csv", table, None, ";",
                                  "Tabla de evidencia (Excel en español) / Evidence table (Spanish Excel)",
                                  decimal_comma=True))
    resources.append(resource("dictionary", "dictionary.csv", dictionary_frame, DICTIONARY_COLUMNS_DOCS, ",",
                              "Diccionario de columnas / Column dictionary"))
    return {
        "profile": "tabular-data-package",
        "name": "lablens-evidence",
        "title": "LabLens: tabla de evidencia / evidence table",
        "description": "Resultados de compare() (pre/post o diferencias en diferencias) por programa, país y grupo; "
                       "ver methods.md y provenance.json. / Results of compare() (pre/post or "
                       "difference-in-differences) per programme, country and group; see methods.md and "
                       "provenance.json.",
        "version": analysis.__version__,
        "keywords": ["education", "evaluation", "ValleLabs", "MiLab"],
        "resources": resources,
    }


# --- files -----------------------------------------------------------------------------------------------

def file_stem(request: EvidenceRequest) -> str:
    """A download name: lablens_<design>[_<grouping>]."""
    return f"lablens_{request.design}" + (f"_{'_'.join(request.by)}" if request.by else "")


def data_files(table: pd.DataFrame, request: EvidenceRequest, context: PackContext, lang: str = "es",
               csv_locale: str | None = None) -> dict[str, bytes]:
    """The pack's files other than provenance.json and the brief; identical bytes for the same inputs."""
    check_private(table)
    dictionary_frame = dictionary(table)
    files = {"evidence.csv": csv_bytes(table)}
    if csv_locale == "es":
        files["evidence_es.csv"] = csv_bytes(table, locale="es")
    files["dictionary.csv"] = csv_bytes(dictionary_frame)
    files["evidence.xlsx"] = xlsx_bytes({"evidence": table, "dictionary": dictionary_frame,
                                         "methods": parameters(request, context),
                                         "provenance": provenance_rows(request, context)})
    files["evidence.parquet"] = parquet_bytes(table)
    package = datapackage(table, dictionary_frame, csv_locale == "es")
    files["datapackage.json"] = (json.dumps(package, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    files["methods.md"] = methods_markdown(table, request, context, lang).encode("utf-8")
    return files


def pack_bytes(table: pd.DataFrame, request: EvidenceRequest, context: PackContext, lang: str = "es",
               csv_locale: str | None = None, generated_at: dt.datetime | None = None) -> bytes:
    """The .zip evidence pack (entries in a fixed order with fixed timestamps)."""
    from analysis.evidence_brief import brief_html

    if lang not in METHODS_TEXT:
        raise ExportError(f"language must be one of {', '.join(METHODS_TEXT)}, not '{lang}'")
    files = data_files(table, request, context, lang, csv_locale)
    when = (generated_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    files["brief.html"] = brief_html(table, request, context, lang, generated_at=when).encode("utf-8")
    prov = provenance(request, context, files, generated_at=when)
    files["provenance.json"] = (json.dumps(prov, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return zip_bytes(files.items())


def export_bytes(fmt: str, table: pd.DataFrame, request: EvidenceRequest, context: PackContext, lang: str = "es",
                 csv_locale: str | None = None) -> bytes:
    """The export named by its suffix: .zip (the pack) or the evidence table alone as .xlsx, .csv, .parquet."""
    fmt = fmt if fmt.startswith(".") else f".{fmt}"
    check_private(table)
    if fmt == ".zip":
        return pack_bytes(table, request, context, lang, csv_locale)
    if fmt == ".csv":
        return csv_bytes(table, locale=csv_locale or "en")
    if fmt == ".xlsx":
        return xlsx_bytes({"evidence": table})
    if fmt == ".parquet":
        return parquet_bytes(table)
    raise ExportError(f"unknown export format '{fmt}': use one of {', '.join(FORMATS)}")
