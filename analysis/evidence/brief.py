"""The evidence pack's offline HTML brief: key charts and plain-language findings in Spanish or English.

One self-contained file: plotly.js is embedded once in the page head (``plotly.offline.get_plotlyjs()``),
so the charts draw without internet; every text taken from the data is HTML-escaped (a unit named
``<script>`` or ``=HYPERLINK(...)`` is shown as text), and plotly's own JSON escapes ``<`` and ``/``.
Charts reuse :func:`analysis.figures.effect_panels` (colour-blind palette, fixed programme colours,
suppressed cells without a point) and sentences :mod:`analysis.plain_language` (docs/METHODS.md,
"Plain language"). The strings live here, not in ui/locales, because analysis never imports the UI layer.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections.abc import Mapping

import pandas as pd

import analysis
from analysis import code_words, fields, figures, plain_language, reasons, row_notes
from analysis.compare import CompareError, designs
from analysis.evidence import cite
from analysis.evidence.request import EvidenceRequest, PackContext
from analysis.figure_text import plain_figure

_PLAIN_DID = {
    "es": {
        "plain.who_group": "{program}, {group}",
        "plain.up": "subió", "plain.down": "bajó", "plain.estimate": "estimación", "plain.unchanged": "no cambió",
        "plain.interval": "(IC 95 %: {low} a {high})",
        "plain.no_interval_text": "(sin intervalo: muy pocas escuelas para una inferencia fiable)",
        "plain.months": ", equivalente a {months} meses de progreso (escala EEF)",
        "plain.months_one": ", equivalente a {months} mes de progreso (escala EEF)",
        "plain.unit.hedges_g": "DE", "plain.unit.pp": "puntos porcentuales", "plain.unit.points": "puntos",
        "plain.unit.cox": "(índice de Cox)",
        "plain.achieved": "**{who}** · {what}: {direction} {value} {unit} {versus}{months} {interval}.",
        "plain.worse": "**{who}** · {what}: {direction} {value} {unit} {versus}{months} {interval}; el cambio va en "
                       "la dirección no deseada.",
        "plain.negligible": "**{who}** · {what}: {direction} {value} {unit} {versus}{months} {interval}; el "
                            "intervalo descarta una mejora de {threshold} {unit} o más.",
        "plain.not_enough": "**{who}** · {what}: {direction} {value} {unit} {versus}{months} {interval}, pero la "
                            "evidencia aún no basta: {reason}.",
        "plain.suppressed": "**{who}** · {what}: sin resultado publicable (alguna celda tiene menos de {k} "
                            "estudiantes).",
        "plain.suppressed_complementary": "**{who}** · {what}: sin resultado publicable (oculto para proteger "
                                          "otra celda con menos de {k} estudiantes).",
        "plain.no_estimate": "**{who}** · {what}: todavía no hay estimación (faltan datos antes o después).",
        "plain.no_estimate_why": "**{who}** · {what}: todavía no hay estimación: {reason}.",
        "plain.reason.wide": "el intervalo no distingue una mejora apreciable de ninguna",
        "plain.reason.no_interval": "muy pocas escuelas de un lado para una inferencia fiable",
        "plain.reason.low": "grupo pequeño (menos de 30 estudiantes o 5 escuelas)",
        "plain.reason.insufficient": "los chequeos del diseño no alcanzan (solidez del diseño: insuficiente)",
        "plain.reason.no_direction": "el indicador no tiene una dirección deseada",
        "plain.no_interval_text.no_variation": "(sin intervalo: los datos no varían)",
        "plain.reason.no_variation": "los datos no varían, así que no hay inferencia",
        "versus.did": "frente a las escuelas de comparación",
        "versus.prepost": "entre antes y después (sin grupo de comparación)",
        "versus.rct": "frente a las escuelas asignadas al azar a comparación",
    },
    "en": {
        "plain.who_group": "{program}, {group}",
        "plain.up": "rose", "plain.down": "fell", "plain.estimate": "estimate",
        "plain.unchanged": "did not change",
        "plain.interval": "(95% CI: {low} to {high})",
        "plain.no_interval_text": "(no interval: too few schools for reliable inference)",
        "plain.months": ", equivalent to {months} months of progress (EEF scale)",
        "plain.months_one": ", equivalent to {months} month of progress (EEF scale)",
        "plain.unit.hedges_g": "SD", "plain.unit.pp": "percentage points", "plain.unit.points": "points",
        "plain.unit.cox": "(Cox index)",
        "plain.achieved": "**{who}** · {what}: {direction} {value} {unit} {versus}{months} {interval}.",
        "plain.worse": "**{who}** · {what}: {direction} {value} {unit} {versus}{months} {interval}; the change goes "
                       "the wrong way.",
        "plain.negligible": "**{who}** · {what}: {direction} {value} {unit} {versus}{months} {interval}; the "
                            "interval rules out an improvement of {threshold} {unit} or more.",
        "plain.not_enough": "**{who}** · {what}: {direction} {value} {unit} {versus}{months} {interval}, but the "
                            "evidence is not yet enough: {reason}.",
        "plain.suppressed": "**{who}** · {what}: no publishable result (some cell has fewer than {k} students).",
        "plain.suppressed_complementary": "**{who}** · {what}: no publishable result (hidden to protect another "
                                          "cell with fewer than {k} students).",
        "plain.no_estimate": "**{who}** · {what}: no estimate yet (data before or after are missing).",
        "plain.no_estimate_why": "**{who}** · {what}: no estimate yet: {reason}.",
        "plain.reason.wide": "the interval cannot tell a meaningful improvement from none",
        "plain.reason.no_interval": "too few schools on one side for reliable inference",
        "plain.reason.low": "small group (fewer than 30 students or 5 schools)",
        "plain.reason.insufficient": "the design's checks fall short (design strength: insufficient)",
        "plain.reason.no_direction": "the indicator has no desired direction",
        "plain.no_interval_text.no_variation": "(no interval: the data do not vary)",
        "plain.reason.no_variation": "the data do not vary, so there is no inference",
        "versus.did": "relative to comparison schools",
        "versus.prepost": "between before and after (no comparison group)",
        "versus.rct": "relative to the schools randomly assigned to comparison",
    },
}

TEXT = {
    "es": {
        "title": "Resumen de evidencia", "generated": "Generado el {when} (UTC) con LabLens {version}.",
        "synthetic": "Datos sintéticos de demostración: escuelas, estudiantes y efectos inventados.",
        "request": "Solicitud", "indicators": "Indicadores", "design": "Diseño", "grouping": "Agrupación",
        "none": "ninguna", "design.did": "diferencias en diferencias frente a escuelas de comparación",
        "design.prepost": "antes y después dentro de cada programa",
        "findings": "Hallazgos en lenguaje claro", "chart_alt": "Efectos con intervalos de confianza al 95 %",
        "row_notes": "Notas:",
        **{f"status.{k}": v for k, v in plain_language.VERDICTS["es"].items()},
        "counts": "{rows} filas: {low} con baja confiabilidad, {suppressed} suprimidas (menos de {k} estudiantes, u "
                  "ocultas para proteger otra celda: "
                  "sin valores en ningún archivo).",
        "x.hedges_g": "Efecto (DE, g de Hedges)", "x.pp": "Efecto (puntos porcentuales)", "x.points": "Efecto (puntos)",
        "x.cox": "Efecto (índice de Cox)", "suppressed": "suprimido", "no_estimate": "sin estimación",
        "complementary": "oculto",
        "low": "baja confiabilidad",
        "cohort": "cohorte",
        "caveat": "Los efectos estandarizados de programas distintos dependen de la dispersión de cada población y "
                  "de cada prueba: se muestran lado a lado, nunca como ranking. Los meses EEF son una equivalencia "
                  "orientativa calibrada en años escolares del Reino Unido.",
        "reproduce": "Cómo reproducir", "reproduce_text": "Cada número sale de evidence.csv / evidence.xlsx / "
        "evidence.parquet; methods.md da los métodos y parámetros exactos y provenance.json las importaciones "
        "(con sha256), la versión y el commit. Este comando, en la carpeta de LabLens y con la misma base de "
        "datos, rehace el paquete:",
        "no_rows": "Sin resultados para este indicador: ninguna fila del análisis (compare()) lo incluye.",
        "no_rows_why": "Sin resultados para este indicador. Motivo: {reason}.",
        "asked": "Pedido como:", "cite": "Cómo citar",
        "comparison_change": "Las escuelas de comparación de {country} cambiaron {effect} {unit} en las mismas "
                             "ventanas (IC 95 %: {low} a {high}).",
    },
    "en": {
        "title": "Evidence brief", "generated": "Generated on {when} (UTC) with LabLens {version}.",
        "synthetic": "Synthetic demo data: invented schools, students and effects.",
        "request": "Request", "indicators": "Indicators", "design": "Design", "grouping": "Grouping",
        "none": "none", "design.did": "difference-in-differences against comparison schools",
        "design.prepost": "before and after within each programme", "row_notes": "Notes:",
        "findings": "Findings in plain language", "chart_alt": "Effects with 95% confidence intervals",
        **{f"status.{k}": v for k, v in plain_language.VERDICTS["en"].items()},
        "counts": "{rows} rows: {low} with low reliability, {suppressed} suppressed (fewer than {k} students, or "
                  "hidden to protect another cell: no values in any file).",
        "x.hedges_g": "Effect (SD, Hedges' g)", "x.pp": "Effect (percentage points)", "x.points": "Effect (points)",
        "x.cox": "Effect (Cox index)", "suppressed": "suppressed", "no_estimate": "no estimate",
        "complementary": "hidden",
        "low": "low reliability",
        "cohort": "cohort",
        "caveat": "Standardised effects of different programmes depend on each population's spread and each test: "
                  "they are shown side by side, never as a ranking. EEF months are an indicative equivalent "
                  "calibrated on UK school years.",
        "reproduce": "How to reproduce", "reproduce_text": "Every number comes from evidence.csv / evidence.xlsx / "
        "evidence.parquet; methods.md gives the exact methods and parameters and provenance.json the imports "
        "(with sha256), version and commit. This command, in the LabLens folder and on the same database, "
        "rebuilds the pack:",
        "no_rows": "No results for this indicator: no row of the analysis (compare()) includes it.",
        "no_rows_why": "No results for this indicator. Reason: {reason}.",
        "asked": "Asked as:", "cite": "How to cite",
        "comparison_change": "The comparison schools of {country} changed {effect} {unit} over the same windows "
                             "(95% CI: {low} to {high}).",
    },
}
COUNTRIES = {"CO": "Colombia", "GT": "Guatemala"}
STATUS_ORDER = ("achieved", "not_achieved", "not_enough")
CSS = """body{font-family:"Source Sans Pro",Arial,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;
color:#222;line-height:1.45}h1{margin-bottom:.2rem}.note{background:#fff4e5;border-left:4px solid #E69F00;
padding:.5rem .8rem}.meta{color:#555}table{border-collapse:collapse}td,th{padding:.2rem .6rem;text-align:left;
border-bottom:1px solid #ddd}.chart{margin:1rem 0}.status{font-weight:600;margin-top:.8rem}code{background:#f3f3f3;
padding:0 .2rem}"""


number = plain_language.number  # a number for a sentence (the brief's tests import it from here)


def _templates(lang: str, design: str, min_cell: int) -> dict[str, str]:
    base = {**_PLAIN_DID[lang], **code_words.WORDS[lang], "plain.pretrend": plain_language.PRETREND[lang]}
    versus = base[f"versus.{design if design in ('did', 'rct') else 'prepost'}"]
    return {k: v.replace("{versus}", versus).replace("{k}", str(min_cell)) for k, v in base.items()}


def design_label(design: str, lang: str) -> str:
    """The design in words: the brief's own phrase for did and prepost, else the design's registered LABEL."""
    if f"design.{design}" in TEXT[lang]:
        return TEXT[lang][f"design.{design}"]
    try:
        return designs.get(design).LABEL[0 if lang == "es" else 1]
    except CompareError:
        return design


def _inline(text: str) -> str:
    """Escape a sentence, then turn its **bold** markers into <strong> (after escaping: no injected tags)."""
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html.escape(text))


def indicator_label(code: str, context: PackContext, lang: str) -> str:
    """The indicator's label in ``lang`` from the pack's catalogue; its code when the catalogue lacks it."""
    info = context.indicators
    rows = info[info["code"] == code] if len(info) else info
    if len(rows):
        label = rows.iloc[0].get(f"label_{lang}")
        if isinstance(label, str) and label:
            return label
    return code


def missing_reason(missing: Mapping[str, str], code: str, context: PackContext, lang: str) -> str | None:
    """Why ``code`` has no result (compare()'s reason) in ``lang``, the indicator by its label
    (analysis.reasons: the one catalogue of reasons)."""
    reason = missing.get(code)
    if not reason:
        return None
    return reasons.say(reason, lang, {c: indicator_label(c, context, lang) for c in missing}).rstrip(".")


def _direction(code: str, context: PackContext) -> bool | None:
    info = context.indicators
    rows = info[info["code"] == code] if len(info) else info
    if not len(rows):
        return None
    value = rows.iloc[0]["higher_is_better"]
    return None if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) else bool(value)


def _group_columns(part: pd.DataFrame, by: tuple[str, ...]) -> list[str]:
    return [c for c in (*(["start_year_cohort"] if "start_year_cohort" in part else []), *by) if c in part]


# subgroup codes in words (F/M, rural/urban); other values (lab types, places) are names already
VALUE_WORDS = {"es": {("sex", "F"): "mujeres", ("sex", "M"): "hombres", ("zone", "rural"): "rural",
                      ("zone", "urban"): "urbana"},
               "en": {("sex", "F"): "girls", ("sex", "M"): "boys", ("zone", "rural"): "rural",
                      ("zone", "urban"): "urban"}}


def _group_text(row: Mapping, columns: list[str], lang: str) -> str | None:
    values = [(f"{TEXT[lang]['cohort']} {row[c]}" if c == "start_year_cohort"
               else VALUE_WORDS[lang].get((c, str(row[c])), str(row[c]))) for c in columns
              if row.get(c) is not None and row.get(c) is not pd.NA and row.get(c) == row.get(c)]
    return " · ".join(values) or None


def _grouping(by: tuple[str, ...], lang: str) -> str:
    """The grouping in words ('Sexo', not 'sex'), from the field registry's descriptions."""
    words = []
    for name in by:
        found = fields.field(name)
        words.append(found.doc[0 if lang == "es" else 1] if found else name)
    return " + ".join(words)


def chart_data(part: pd.DataFrame, by: tuple[str, ...], lang: str) -> pd.DataFrame:
    """The effect_panels frame of one indicator: program, group, effect, low, high, reliability, hover."""
    columns = _group_columns(part, by)
    rows = []
    for row in part.to_dict("records"):
        group = _group_text(row, columns, lang)
        country = COUNTRIES.get(row["country"], str(row["country"]))
        label = f"{country} · {group}" if group else country
        rows.append({"program": row["program"], "group": label, "effect": row.get("effect_size"),
                     "low": row.get("es_ci_low"), "high": row.get("es_ci_high"),
                     "reliability": row.get("reliability") or "ok",
                     "suppression_reason": row.get("suppression_reason"), "hover": f"{row['program']} · {label}"})
    return pd.DataFrame(rows, columns=["program", "group", "effect", "low", "high", "reliability", "suppression_reason",
                                       "hover"])


def _figure_html(fig, div_id: str) -> str:
    """The chart's div; text from the data in it is shown as text, not as plotly's HTML (analysis.figure_text)."""
    return plain_figure(fig).to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})


def brief_html(table: pd.DataFrame, request: EvidenceRequest, context: PackContext, lang: str = "es",
               generated_at: dt.datetime | None = None, reproduce: list[str] | None = None) -> str:
    """The offline brief: request, one effect chart and the plain-language findings per indicator, the commands
    that rebuild it (``reproduce``), the suggested citation and the licence."""
    from plotly.offline import get_plotlyjs

    text = TEXT[lang]
    templates = _templates(lang, request.design, request.min_cell)
    when = (generated_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")
    esc = html.escape
    body = [f"<h1>{esc(text['title'])}</h1>",
            f"<p class=\"meta\">{esc(text['generated'].format(when=when, version=analysis.__version__))}</p>"]
    if context.demo:
        body.append(f"<p class=\"note\">{esc(text['synthetic'])}</p>")
    labels = ", ".join(indicator_label(c, context, lang) for c in request.indicators)
    body += [f"<h2>{esc(text['request'])}</h2>", "<table>",
             f"<tr><th>{esc(text['indicators'])}</th><td>{esc(labels)}</td></tr>",
             f"<tr><th>{esc(text['design'])}</th><td>{esc(design_label(request.design, lang))}"
             "</td></tr>",
             f"<tr><th>{esc(text['grouping'])}</th><td>{esc(_grouping(request.by, lang) or text['none'])}</td></tr>",
             "</table>"]
    if "reliability" in table:
        body.append("<p>" + esc(text["counts"].format(
            rows=len(table), low=int((table["reliability"] == "low").sum()),
            suppressed=int((table["reliability"] == "suppressed").sum()), k=request.min_cell)) + "</p>")
    body.append(f"<p class=\"meta\">{esc(text['caveat'])}</p>")
    for i, code in enumerate(dict.fromkeys(request.indicators)):
        part = table[(table["indicator"] == code) & (table["program"] != "comparison")] if len(table) else table
        body.append(f"<h2>{esc(indicator_label(code, context, lang))} <code>{esc(code)}</code></h2>")
        if part.empty:
            reason = missing_reason(table.attrs.get("missing", {}), code, context, lang)
            body.append(f"<p>{esc(text['no_rows_why'].format(reason=reason) if reason else text['no_rows'])}</p>")
            continue
        kind = str(part["effect_size_kind"].dropna().iloc[0]) if part["effect_size_kind"].notna().any() else ""
        chart_texts = {"x_title": text.get(f"x.{kind}", ""), "suppressed": text["suppressed"],
                       "complementary": text["complementary"], "no_estimate": text["no_estimate"], "low": text["low"]}
        fig = figures.effect_panels(chart_data(part, request.by, lang), chart_texts, lang)
        body.append(f"<div class=\"chart\" role=\"img\" aria-label=\"{esc(text['chart_alt'])}\">"
                    f"{_figure_html(fig, f'chart-{i + 1}')}</div>")
        body.append(findings_html(part, code, request, context, lang, templates, table))
        # the rows' notes in words (e.g. a randomised trial's schools left out of the DiD: analysis/row_notes.py)
        notes = [n for n in dict.fromkeys(row_notes.say(v, lang) for v in part.get("note", pd.Series()).dropna()) if n]
        if notes:
            body.append(f"<p class=\"meta\">{esc(text['row_notes'])} {esc('; '.join(notes))}</p>")
    commands = list(reproduce or []) or [request.command or "python -m analysis export"]
    body += [f"<h2>{esc(text['reproduce'])}</h2>", f"<p>{esc(text['reproduce_text'])}</p>",
             f"<pre><code>{esc(chr(10).join(commands))}</code></pre>"]
    if request.command and reproduce:
        body.append(f"<p class=\"meta\">{esc(text['asked'])} {esc(request.command)}</p>")
    body += [f"<h2>{esc(text['cite'])}</h2>", f"<p>{esc(cite.citation(context, lang))}</p>",
             f"<p>{esc(cite.licence_line(context, lang))}</p>"]
    return "\n".join([
        "<!DOCTYPE html>", f"<html lang=\"{lang}\">", "<head>", "<meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        f"<title>LabLens · {esc(text['title'])}</title>", f"<style>{CSS}</style>",
        f"<script type=\"text/javascript\">{get_plotlyjs()}</script>", "</head>", "<body>", *body,
        "</body>", "</html>", ""])


def signed(value: float, decimals: int, lang: str) -> str:
    """+0,16 / −0,98; a value that rounds to zero is 0,00 without a sign (the pages' rule, ui/format.py)."""
    text = plain_language.bound(value, decimals, lambda v, d: number(v, d, lang))
    return f"+{text}" if value > 0 and text.lstrip("−") != number(0.0, decimals, lang) else text


def _comparison_key(row: Mapping, columns: list[str]) -> tuple:
    return (row.get("country"), *(str(row.get(c)) for c in columns), row.get("pre_window"), row.get("post_window"))


def comparison_change(row: Mapping | None, lang: str) -> str | None:
    """A before/after brief: the comparison schools' own change on the same indicator, country, group and windows
    (a programme's change alone mixes its effect with the trend every school shared)."""
    if row is None:
        return None
    effect, low, high = (pd.to_numeric(row.get(c), errors="coerce") for c in ("effect_size", "es_ci_low", "es_ci_high"))
    if any(pd.isna(v) for v in (effect, low, high)):
        return None
    kind = str(row.get("effect_size_kind") or "")
    d = 2 if kind in ("hedges_g", "cox", "pp") else plain_language.scale_decimals(effect, low, high)

    def say(value: float) -> str:
        return plain_language.bound(float(value), d, lambda x, k: number(x, k, lang))

    return TEXT[lang]["comparison_change"].format(
        country=COUNTRIES.get(row["country"], str(row["country"])), effect=signed(float(effect), d, lang),
        unit=_PLAIN_DID[lang].get(f"plain.unit.{kind}", ""), low=say(low), high=say(high))


def findings_html(part: pd.DataFrame, code: str, request: EvidenceRequest, context: PackContext, lang: str,
                  templates: Mapping[str, str] | None = None, full: pd.DataFrame | None = None) -> str:
    """The plain-language sentences of one indicator's rows, grouped by status (escaped HTML), each with its design
    strength; in a before/after brief, with the comparison schools' change from ``full`` (the whole table)."""
    text = TEXT[lang]
    templates = templates or _templates(lang, request.design, request.min_cell)
    hib = _direction(code, context)
    label = indicator_label(code, context, lang)
    columns = _group_columns(part, request.by)
    by_status: dict[str, list[str]] = {s: [] for s in STATUS_ORDER}
    comparison = {}
    if request.design == "prepost" and full is not None and "program" in full:
        rows = full[(full["indicator"] == code) & (full["program"] == "comparison")] if "indicator" in full else full
        comparison = {_comparison_key(r, columns): r for r in rows.to_dict("records")}
    for row in part.to_dict("records"):
        group = _group_text(row, columns, lang)
        found = plain_language.finding(row, code, hib, group)
        names = {"program": f"{row['program']} ({COUNTRIES.get(row['country'], row['country'])})",
                 "indicator": label, **({"group": group} if group else {})}
        sentence = plain_language.sentence(found, templates, lambda v, d: number(v, d, lang), names)
        extra = [comparison_change(comparison.get(_comparison_key(row, columns)), lang),
                 plain_language.design_strength(row.get("evidence"), lang) + "."]
        by_status[found.status].append(" ".join([sentence, *(x for x in extra if x)]))
    out = [f"<h3>{html.escape(text['findings'])}</h3>"]
    for status in STATUS_ORDER:
        if by_status[status]:
            out.append(f"<p class=\"status\">{html.escape(text['status.' + status])} ({len(by_status[status])})</p>")
            out.append("<ul>" + "".join(f"<li>{_inline(s)}</li>" for s in by_status[status]) + "</ul>")
    return "\n".join(out)
