"""Evidence packs: citable, reproducible exports of the evidence table (issue #5; docs/DESIGN.md, "CLI").

One implementation for ``python -m analysis export`` and the Evidencia page's downloads:

- :func:`analysis.evidence.table.evidence_table` runs ``compare()`` for every call of an
  :class:`~analysis.evidence.request.EvidenceRequest` and stacks the results;
- :func:`pack_bytes` builds the ``.zip`` evidence pack: ``evidence.csv`` (and ``evidence_es.csv`` with
  ``;`` and decimal commas in a Spanish pack or on request), ``evidence.xlsx`` (sheets evidence, dictionary, methods,
  provenance), ``evidence.parquet``, ``dictionary.csv``, ``datapackage.json`` (Frictionless Data Package,
  https://specs.frictionlessdata.io/data-package/), ``methods.md``, ``provenance.json`` and an offline
  HTML brief (``brief.html``, :mod:`analysis.evidence.brief`);
- :func:`export_bytes` gives the evidence table alone as ``.xlsx``, ``.csv`` or ``.parquet``.

Reproducible: the same table gives byte-identical data files (no time inside them, fixed ZIP and XLSX
timestamps, :mod:`analysis.safe_export`); only ``provenance.json`` carries the generation time (and the
brief shows it). Private: values come from compare(), whose suppression (fewer than ``min_cell``
students) is kept in every file; a table holding a ``student_key`` column is refused; no text can run
as a spreadsheet formula.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

import pandas as pd

import analysis
from analysis import row_notes
from analysis.evidence import cite
from analysis.evidence.brief import brief_html
from analysis.evidence.columns import DICTIONARY_COLUMNS_DOCS, column_type, describe, dictionary
from analysis.evidence.methods import METHODS_TEXT, methods_markdown, parameters
from analysis.evidence.provenance import provenance, provenance_rows
from analysis.evidence.request import EvidenceRequest, ExportError, PackContext
from analysis.evidence.table import check_private, without_attrs
from analysis.safe_export import csv_bytes, parquet_bytes, xlsx_bytes, zip_bytes

FORMATS = (".zip", ".xlsx", ".csv", ".parquet")

__all__ = ["FORMATS", "ExportError", "data_files", "datapackage", "export_bytes", "pack_bytes"]


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


def datapackage(table: pd.DataFrame, dictionary_frame: pd.DataFrame, csv_es: bool,
                context: PackContext | None = None) -> dict:
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
        **_citable(context),
        "resources": resources,
    }


def _citable(context: PackContext | None) -> dict:
    """The licence (Data Package "licenses") and the suggested citation, in both languages."""
    if context is None:
        return {}
    code, name, deed = cite.licence(context.licence)
    return {"licenses": [{"name": code, "path": deed, "title": name}],
            "citation": {lang: cite.citation(context, lang) for lang in ("es", "en")},
            **({"homepage": context.url} if context.url else {})}


def notes_in(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``table`` with each row's ``note`` said in ``lang`` (analysis/row_notes.py): the Spanish CSV in Spanish;
    compare() writes notes in English, which evidence.csv, the workbook and the Parquet file keep."""
    if lang != "es" or "note" not in table:
        return table
    return table.assign(note=[row_notes.say(v, lang) if isinstance(v, str) else v for v in table["note"]])


def data_files(table: pd.DataFrame, request: EvidenceRequest, context: PackContext, lang: str = "es",
               csv_locale: str | None = None) -> dict[str, bytes]:
    """The pack's files other than provenance.json and the brief; identical bytes for the same inputs."""
    check_private(table)
    missing = dict(table.attrs.get("missing", {}))  # why an indicator has no result: said in methods.md
    table = without_attrs(table)
    dictionary_frame = dictionary(table)
    files = {"evidence.csv": csv_bytes(table)}
    if csv_locale == "es":
        files["evidence_es.csv"] = csv_bytes(notes_in(table, "es"), locale="es")
    files["dictionary.csv"] = csv_bytes(dictionary_frame)
    files["evidence.xlsx"] = xlsx_bytes({"evidence": table, "dictionary": dictionary_frame,
                                         "methods": parameters(request, context, lang),
                                         "provenance": provenance_rows(request, context)})
    files["evidence.parquet"] = parquet_bytes(table)
    package = datapackage(table, dictionary_frame, csv_locale == "es", context)
    files["datapackage.json"] = (json.dumps(package, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    files["methods.md"] = methods_markdown(table, request, context, lang, csv_locale, missing).encode("utf-8")
    for name, frame in sorted(context.extra_tables.items()):  # implementation, dose and cost (issue 19)
        files[name] = csv_bytes(frame)
    return files


def pack_bytes(table: pd.DataFrame, request: EvidenceRequest, context: PackContext, lang: str = "es",
               csv_locale: str | None = None, generated_at: dt.datetime | None = None) -> bytes:
    """The .zip evidence pack (entries in a fixed order with fixed timestamps)."""
    if lang not in METHODS_TEXT:
        raise ExportError(f"language must be one of {', '.join(METHODS_TEXT)}, not '{lang}'")
    csv_locale = csv_locale or ("es" if lang == "es" else None)  # a Spanish pack opens in a Spanish Excel
    files = data_files(table, request, context, lang, csv_locale)
    when = (generated_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    files["brief.html"] = brief_html(table, request, context, lang, generated_at=when,
                                     reproduce=cite.reproduce_commands(request, lang, csv_locale)).encode("utf-8")
    prov = provenance(request, context, files, generated_at=when)
    prov["reproduce"] = cite.reproduce_commands(request, lang, csv_locale)
    prov["licence"] = cite.licence(context.licence)[0]
    prov["citation"] = cite.citation(context, lang)
    files["provenance.json"] = (json.dumps(prov, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return zip_bytes(files.items())


def export_bytes(fmt: str, table: pd.DataFrame, request: EvidenceRequest, context: PackContext, lang: str = "es",
                 csv_locale: str | None = None) -> bytes:
    """The export named by its suffix: .zip (the pack) or the evidence table alone as .xlsx, .csv, .parquet."""
    fmt = fmt if fmt.startswith(".") else f".{fmt}"
    check_private(table)
    if fmt != ".zip":
        table = without_attrs(table)
    if fmt == ".zip":
        return pack_bytes(table, request, context, lang, csv_locale)
    if fmt == ".csv":
        return csv_bytes(notes_in(table, csv_locale or "en"), locale=csv_locale or "en")
    if fmt == ".xlsx":
        return xlsx_bytes({"evidence": table})
    if fmt == ".parquet":
        return parquet_bytes(table)
    raise ExportError(f"unknown export format '{fmt}': use one of {', '.join(FORMATS)}")
