"""methods.md and the XLSX methods sheet: the parameters of the analysis, the windows used, the exact compare()
calls and the methods of each design (docs/METHODS.md is the full reference)."""

from __future__ import annotations

import json

import pandas as pd

import analysis
from analysis import stats
from analysis.compare.designs import REGISTERED
from analysis.evidence import cite
from analysis.evidence.brief import indicator_label, missing_reason
from analysis.evidence.request import EvidenceRequest, PackContext
from analysis.stats import did


def windows(table: pd.DataFrame) -> pd.DataFrame:
    """The distinct windows of the table: indicator, program, country, pre/post window and observed years."""
    cols = [c for c in ("indicator", "program", "country", "start_year_cohort", "pre_window", "post_window",
                        "pre_years", "post_years") if c in table]
    if table.empty:
        return pd.DataFrame(columns=cols)
    return table[cols].drop_duplicates().reset_index(drop=True)


def icc_rule(request: EvidenceRequest, context: PackContext) -> str:
    """How the DiD ICC was chosen: the override, or the defaults per indicator domain
    (docs/METHODS.md, "Effect sizes")."""
    if request.icc is not None:
        return f"{request.icc:g} (--icc)"
    domains = context.indicators.set_index("code")["domain"].to_dict() if len(context.indicators) else {}
    parts = [f"{code}: {stats.ICC_ACHIEVEMENT if domains.get(code) == 'learning' else stats.ICC_OTHER:g}"
             for code in request.indicators]
    return "; ".join(parts)


#: the words of the parameter values that are prose, per language (the items are codes, as in the calls)
PARAMETER_WORDS = {
    "es": {"all_programmes": "todos (cada programa por separado, nunca agregados)",
           "default_window": "la de cada indicador (ver ventanas)",
           "bootstrap": "B=9999, semilla={seed}, pesos de Rademacher (de seis puntos de Webb con menos de {webb} "
                        "conglomerados), cuando el lado más pequeño tiene menos de {below}",
           "clusters": "> {n} por lado", "multiple": "q de Benjamini-Hochberg sobre las filas de cada llamada a "
                                                   "compare()"},
    "en": {"all_programmes": "all (each programme separately, never pooled)",
           "default_window": "default (see windows)",
           "bootstrap": "B=9999, seed={seed}, Rademacher weights (Webb six-point under {webb} clusters), when the "
                        "smaller side has < {below}",
           "clusters": "> {n} per side", "multiple": "Benjamini-Hochberg q over the rows of each compare() call"},
}


def parameters(request: EvidenceRequest, context: PackContext, lang: str = "en") -> pd.DataFrame:
    """The parameters of the analysis as (item, value) rows: the methods sheet and methods.md share them; prose
    values in ``lang``."""
    words = PARAMETER_WORDS[lang if lang in PARAMETER_WORDS else "en"]
    rows = [
        ("indicators", ", ".join(request.indicators)),
        ("design", request.design),
        ("grouping", "+".join(request.by) or "-"),
        ("program", request.program or words["all_programmes"]),
        ("pre_window", request.pre or words["default_window"]),
        ("post_window", request.post or words["default_window"]),
        ("level", request.level),
        ("min_cell", str(request.min_cell)),
        ("confidence_level", f"{request.conf_level:g}"),
        ("icc_wwc_correction", icc_rule(request, context)),
        ("weighted_unit_rates", str(request.weighted).lower()),
        ("wild_bootstrap", words["bootstrap"].format(seed=did.DEFAULT_SEED, webb=did.WEBB_BELOW,
                                                     below=did.WILD_BOOTSTRAP_BELOW)),
        ("min_clusters_for_inference", words["clusters"].format(n=did.MIN_CLUSTERS_FOR_INFERENCE)),
        ("multiple_comparisons", words["multiple"]),
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
        "indicators": "Indicadores",
        "missing": "Indicadores sin resultados",
        "effects": "Efectos: g de Hedges (WWC 4.1/5.0), puntos porcentuales para tasas, índice de Cox para binarios; "
                   "índice de mejora 100·Φ(g) − 50; meses EEF como equivalencia orientativa.",
        "disclosure": "Divulgación: una celda con menos de {k} estudiantes no muestra valores (reliability = "
                      "suppressed, suppression_reason = small_cell), con supresión complementaria: en cada partición "
                      "que un visitante puede pedir, las celdas ocultas son ninguna o al menos dos con {k} o más "
                      "estudiantes entre todas, eligiendo las hermanas más pequeñas (suppression_reason = "
                      "complementary), también bajo cada celda de una vista más gruesa (departamento, autoridad, "
                      "municipio, zona; cada campo de una agrupación por dos), protegida antes; una fila suprimida "
                      "no lleva ninguna estadística de su celda. Valores "
                      "redondeados a la precisión de pantalla. Las tasas publicadas de territorios no se suprimen. "
                      "Grupos con menos de 30 estudiantes o 5 unidades: "
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
        "indicators": "Indicators",
        "missing": "Indicators without results",
        "effects": "Effects: Hedges' g (WWC 4.1/5.0), percentage points for rates, Cox index for binary outcomes; "
                   "improvement index 100·Φ(g) − 50; EEF months as an indicative equivalent.",
        "disclosure": "Disclosure: a cell with fewer than {k} students shows no values (reliability = suppressed, "
                      "suppression_reason = small_cell), with complementary suppression: in every partition a "
                      "visitor can request, the hidden cells are none or at least two holding {k} or more students "
                      "together, the smallest siblings chosen (suppression_reason = complementary), also under every "
                      "cell of a coarser view (department, authority, municipality, zone; each field of a two-field "
                      "grouping), protected first; a suppressed "
                      "row carries no statistic of its cell. Values rounded to display precision. Published "
                      "territory rates are not suppressed. Groups with fewer than 30 students or 5 units: "
                      "reliability = low. No file holds student identifiers.",
        "files": "Files",
        "files_text": "`evidence.csv` (comma, decimal point, UTF-8 with BOM), `evidence_es.csv` when asked for "
                      "(semicolon, decimal comma), `evidence.xlsx` (sheets evidence, dictionary, methods, provenance), "
                      "`evidence.parquet`, `dictionary.csv`, `datapackage.json` (Frictionless), `provenance.json` "
                      "(imports with sha256, version, commit, command, time) and `brief.html`. Text starting with "
                      "= + - @ tab or carriage return gets a leading apostrophe in CSV and is stored as text in XLSX.",
    },
}

#: Each design's paragraph of methods.md, per language (in the order the designs are listed).
# each design's paragraph, written once in its module (analysis/compare/<design>.py, METHODS)
DESIGN_METHODS_TEXT = {design.NAME: design.METHODS for design in REGISTERED}


def _md_cell(value: object) -> str:
    text = "" if value is None or (isinstance(value, float) and value != value) or value is pd.NA else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(frame: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def indicator_definitions(table: pd.DataFrame, context: PackContext, lang: str = "es") -> pd.DataFrame:
    """The catalogue entry of every indicator in the table (custom ones from a mapping included): code,
    label in ``lang``, domain, kind, unit, range and direction, so a reader knows what each number measures."""
    info = context.indicators
    codes = list(dict.fromkeys(table["indicator"])) if "indicator" in table else []
    if not len(info) or not codes:
        return pd.DataFrame(columns=["code"])
    rows = info[info["code"].isin(codes)].set_index("code").reindex(codes).reset_index()
    label = "label_es" if lang == "es" else "label_en"
    keep = [c for c in ("code", label, "domain", "kind", "unit", "min_value", "max_value", "higher_is_better")
            if c in rows]
    return rows[keep].rename(columns={label: "label"})


CITE_TEXT = {"es": {"reproduce": "Cómo reproducir", "cite": "Cómo citar"},
             "en": {"reproduce": "How to reproduce", "cite": "How to cite"}}


def methods_markdown(table: pd.DataFrame, request: EvidenceRequest, context: PackContext, lang: str = "es",
                     csv_locale: str | None = None, missing: dict[str, str] | None = None) -> str:
    """methods.md: designs, the exact parameters (windows, ICC, minimum cell, confidence level) and calls; the
    indicators left without results and why (``missing``, compare()'s reasons, said in ``lang``); how to
    rebuild the pack and how to cite it (analysis.evidence.cite)."""
    text = METHODS_TEXT[lang]
    missing = missing if missing is not None else table.attrs.get("missing", {})
    why = [f"- {indicator_label(code, context, lang)} (`{code}`): {missing_reason(missing, code, context, lang)}."
           for code in missing]
    calls = pd.DataFrame([{k: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v
                           for k, v in c.items()} for c in request.compare_calls()])
    parts = [
        f"# {text['title']}", "", text["intro"].format(version=analysis.__version__), "",
        f"## {text['params']}", "", _md_table(parameters(request, context, lang)), "",
        f"## {text['windows']}", "", _md_table(windows(table)), "",
        f"## {text['calls']}", "", _md_table(calls), "",
        f"## {text['indicators']}", "", _md_table(indicator_definitions(table, context, lang)), "",
        *([f"## {text['missing']}", "", *why, ""] if why else []),
        f"## {text['designs']}", "", *(f"- {paragraphs[lang]}" for paragraphs in DESIGN_METHODS_TEXT.values()),
        f"- {text['effects']}",
        f"- {text['disclosure'].format(k=request.min_cell)}", "",
        f"## {text['files']}", "", text["files_text"], "",
        f"## {CITE_TEXT[lang]['reproduce']}", "", "```sh",
        *cite.reproduce_commands(request, lang, csv_locale), "```", "",
        f"## {CITE_TEXT[lang]['cite']}", "", cite.citation(context, lang), "", cite.licence_line(context, lang), "",
    ]
    return "\n".join(parts)


# --- provenance ------------------------------------------------------------------------------------------

