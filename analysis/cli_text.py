"""What the command line says in its own words, in Spanish or English: its errors (a bad --out, a missing database,
an interruption), its lines (an export written, an import rolled back) and the options of ``compare`` and
``export``.

Part of the one catalogue of reasons with analysis/reasons.py (the analysis's own reasons: compare(), the
importer), analysis/read_reasons.py and analysis/import_text.py; kept apart so that analysis/cli.py stays under
600 lines. A line of the command line itself is raised with a key (``CliError.said``); a reason of the store
(analysis/db) is recognised by its shape, as reasons.py does; any other reason goes to :func:`reasons.say`.
In English every line is what the command line has always printed (scripts read them). Which language each
command speaks by default: docs/DESIGN.md "CLI".
"""

from __future__ import annotations

import argparse
import difflib
import math
import os
import re
import sys
from functools import cache
from typing import NoReturn

from analysis import code_words, fields, plain_language, reasons, row_notes
from analysis.compare.designs import DEFAULT, DESIGNS, get
from analysis.disclosure import MIN_CELL_FLOOR
from analysis.option_ranges import conf_level, icc, min_cell

#: the commands with ``--lang``: their errors and lines are said in it (the others speak English)
LANG_COMMANDS = ("import", "rejects", "export", "compare", "rollback", "imports")

TEXTS: dict[str, dict[str, str]] = {
    "es": {
        "out_suffix": "--out {out}: el archivo debe terminar en {formats}",
        "out_folder": "--out {out}: la carpeta {folder} no existe",
        "no_indicator": "--indicator: indique al menos un código de indicador",
        "costs": "--costs: {reason}",
        "exported": "{rows} fila(s) de {indicators} ({design}) escritas en {out} ({size} bytes)",
        "indicator": "«{label}»",
        "rolled_back": "importación {import_id} deshecha: {removed} observaciones quitadas, {restored} restauradas",
        "no_imports": "todavía no hay importaciones",
        "demo_source": "demostración: datos sintéticos (semilla {seed})",
        "yes": "sí", "no": "no",
        "no_database": "no hay base de datos en {db}: cree la de demostración con «python -m analysis demo» o "
                       "importe un archivo",
        "cannot_open": "no se puede abrir {db} (detalle técnico: «{detail}»)",
        "busy": "otra importación está escribiendo en {db}; inténtelo de nuevo cuando termine",
        "damaged": "el archivo de base de datos {db} está dañado (detalle técnico: «{detail}»): restáurelo con "
                   "«python -m analysis restore» («python -m analysis restore --list» muestra las copias)",
        "database_error": "error de la base de datos (detalle técnico: «{detail}»)",
        "os_error": "no se pudo leer o escribir un archivo{where} (detalle técnico: «{detail}»); la base de datos "
                    "publicada no cambió",
        "interrupted": "interrumpido; la base de datos publicada no cambió",
        "guess": "¿quiso decir «{option}»?", "guesses": "¿quiso decir {pairs}?",
        "guess_for": "«{option}» en lugar de «{typed}»",
    },
    "en": {
        "out_suffix": "--out {out}: the file must end in {formats}",
        "out_folder": "--out {out}: folder {folder} does not exist",
        "no_indicator": "--indicator: give at least one indicator code",
        "costs": "--costs: {reason}",
        "exported": "{rows} row(s) of {indicators} ({design}) written to {out} ({size} bytes)",
        "indicator": "{label}",
        "rolled_back": "import {import_id} rolled back: {removed} observations removed, {restored} restored",
        "no_imports": "no imports yet",
        "demo_source": "demo: synthetic data (seed {seed})",
        "yes": "yes", "no": "no",
        "no_database": "no database at {db}: build the demo with 'python -m analysis demo' or import a file",
        "cannot_open": "cannot open {db}: {detail}",
        "busy": "another import is writing to {db}; try again when it ends",
        "damaged": "the database file {db} is damaged ({detail}): restore it with 'python -m analysis restore' "
                   "(python -m analysis restore --list shows the backups)",
        "database_error": "database error: {detail}",
        "os_error": "{detail}{where}; the published database is unchanged",
        "interrupted": "interrupted; the published database is unchanged",
        "guess": "did you mean '{option}'?", "guesses": "did you mean {pairs}?",
        "guess_for": "'{option}' for '{typed}'",
    },
}

# a cost file or exchange rate that cannot be used (analysis/implementation/cost.py CostError, by its code): said once
# here, for "--costs: " of `export --lang es` and for the Implementación page (ui/i18n.py reads them as impl.cost_*,
# capitalised); the English command line prints the error's own message
COST: dict[str, dict[str, str]] = {
    "es": {
        "cost_missing_columns": "al archivo de costos le faltan las columnas {columns}",
        "cost_bad_item": "el rubro debe ser instalación, funcionamiento o formación, no «{value}»",
        "cost_bad_amount": "el monto debe ser un número mayor o igual a cero, no «{value}»",
        "cost_bad_currency": "la moneda debe ser un código de tres letras como COP, GTQ o USD, no «{value}»",
        "cost_bad_year": "el año de precios debe ser un año, no «{value}»",
        "cost_bad_program": "falta el programa",
        "cost_empty": "el archivo de costos no tiene filas",
        "cost_unreadable": "el archivo de costos no se puede leer como tabla CSV o XLSX (¿está vacío o es de otro "
                           "tipo?)",
        "cost_duplicate": "el mismo programa, tipo de laboratorio y rubro aparecen dos veces",
        "cost_bad_rate": "la tasa de cambio de {currency} debe ser un número positivo",
        "cost_missing_rate": "falta la tasa de cambio de {currency} (unidades por dólar)",
        "cost_bad_horizon": "el horizonte debe ser de al menos un año",
        "cost_no_program": "el archivo de costos no tiene filas para {program}",
        "cost_unknown_program": "{program} no tiene escuelas en el listado del programa",
        "cost_where": " (fila {row}, columna {column})",
    },
    "en": {
        "cost_missing_columns": "the cost file lacks the columns {columns}",
        "cost_bad_item": "the item must be installation, running or training, not “{value}”",
        "cost_bad_amount": "the amount must be a number of zero or more, not “{value}”",
        "cost_bad_currency": "the currency must be a three-letter code such as COP, GTQ or USD, not “{value}”",
        "cost_bad_year": "the price year must be a year, not “{value}”",
        "cost_bad_program": "the programme is missing",
        "cost_empty": "the cost file has no rows",
        "cost_unreadable": "the cost file cannot be read as a CSV or XLSX table (is it empty or of another kind?)",
        "cost_duplicate": "the same programme, lab type and item appear twice",
        "cost_bad_rate": "the exchange rate of {currency} must be a positive number",
        "cost_missing_rate": "the exchange rate of {currency} is missing (units per US dollar)",
        "cost_bad_horizon": "the horizon must be at least one year",
        "cost_no_program": "the cost file has no rows for {program}",
        "cost_unknown_program": "{program} has no schools in the programme roster",
        "cost_where": " (row {row}, column {column})",
    },
}

# (English shape, key): a reason of the store (analysis/db/connect.py, analysis/db/snapshot.py)
STORE: list[tuple[re.Pattern[str], str]] = [(re.compile(p, re.S), k) for p, k in [
    (r"no database at (?P<db>.+?): build the demo with 'python -m analysis demo' or import a file", "no_database"),
    (r"the database file (?P<db>.+?) is damaged \((?P<detail>.*)\): restore it with .*", "damaged"),
    (r"cannot open (?P<db>.+?): (?P<detail>.+)", "cannot_open"),
    (r"another import is writing to (?P<db>.+?); try again when it ends", "busy"),
]]


def line(key: str, lang: str, **params: object) -> str:
    """One line of the command line in ``lang`` (English when ``lang`` is neither)."""
    return TEXTS[lang if lang in TEXTS else "en"][key].format(**params)


# (English shape of an error of compare() that lists what could have been typed: analysis/compare/request.py)
GUESSES: list[re.Pattern[str]] = [re.compile(p, re.S) for p in [
    r"no data for indicator '(?P<typed>[^']+)'; the database has: (?P<options>.+)",
    r"cannot group by (?P<typed>[^;]+); choose from (?P<options>.+?)(?: or a student attribute \((?P<more>.+)\))?",
    r"no programme '(?P<typed>[^']+)'; the roster has: (?P<options>.+)",
    r"indicator '[^']+' has no level '(?P<typed>[^']+)'; it has: (?P<options>.+)",
]]


def guess(text: str, lang: str) -> str:
    """What the user probably meant, when ``text`` is an error listing the options (an indicator code, a grouping
    field, a programme, a level) and one of them is close to what was typed (difflib's ratio of at least 0.6, case
    aside): "¿quiso decir «score_math»?"; "" otherwise."""
    for pattern in GUESSES:
        m = pattern.fullmatch(text.strip())
        if m is None:
            continue
        options = [o for part in (m["options"], m.groupdict().get("more") or "") for o in part.split(", ") if o]
        lowered = {o.lower(): o for o in options}
        pairs = [(typed, lowered[close[0]]) for typed in m["typed"].split(", ")
                 if (close := difflib.get_close_matches(typed.lower(), list(lowered), n=1, cutoff=0.6))]
        if len(pairs) == 1:
            return line("guess", lang, option=pairs[0][1])
        if pairs:
            return line("guesses", lang, pairs=", ".join(line("guess_for", lang, option=o, typed=t) for t, o in pairs))
    return ""


def say(exc: BaseException, lang: str) -> str:
    """An error of a command in ``lang`` (:func:`error_text`), with what the user probably meant when the error lists
    the options (:func:`guess`)."""
    text, hint = error_text(exc, lang), guess(str(exc), lang)
    return f"{text}; {hint}" if hint else text


def error_text(exc: BaseException, lang: str) -> str:
    """An error of a command in ``lang``: a line raised with a key, a reason of the store, or one of the analysis
    (:func:`reasons.say`, worded for the command line). In English, the error as raised."""
    if lang == "en" or lang not in TEXTS:
        return str(exc)
    key = getattr(exc, "key", None)
    if key is not None:
        params = dict(getattr(exc, "params", {}))
        if "reason" in params:  # a reason inside the line (a cost file's) is said in turn
            params["reason"] = _cost(params["reason"], lang)
        return line(key, lang, **params)
    text = str(exc).strip()
    for pattern, store_key in STORE:
        m = pattern.fullmatch(text)
        if m:
            return line(store_key, lang, **m.groupdict())
    return reasons.say(text, lang, cli=True)


def _cost(exc: object, lang: str) -> str:
    """A cost file's error (CostError: a code, its values, the row and column) in ``lang``."""
    code, values = getattr(exc, "code", None), getattr(exc, "params", {})
    if lang != "es" or code not in COST["es"]:
        return reasons.say(exc, lang, cli=True)
    where = COST["es"]["cost_where"].format(row=exc.row, column=exc.column) if getattr(exc, "row", None) else ""
    return COST["es"][code].format(**values) + where


def exported(rows: int, codes: list[str], design: str, out: object, size: int, lang: str) -> str:
    """The line of a written export: in Spanish the indicators and the design by their labels (the catalogue's, the
    design's); in English the codes, as always."""
    if lang == "en" or lang not in TEXTS:
        return line("exported", "en", rows=rows, indicators=", ".join(codes), design=design, out=out,
                    size=integer(size, "en"))
    names = reasons.Speaker(lang).names
    indicators = ", ".join(line("indicator", lang, label=names.get(c, c)) for c in codes)
    return line("exported", lang, rows=integer(rows, lang), indicators=indicators, design=get(design).LABEL[0],
                out=out, size=integer(size, lang))


#: the import history's columns and statuses: ``imports --lang es`` and the Datos page's history (ui/analysis_words.py
#: reads them as col.* and import.status.*, capitalised); ``imports`` in English prints the codes (scripts read them)
IMPORTS: dict[str, dict[str, str]] = {
    "es": {"import_id": "importación", "source_name": "archivo", "recognized_as": "formato",
           "rows_read": "filas leídas", "rows_loaded": "filas cargadas", "rows_rejected": "filas rechazadas enteras",
           "imported_at": "fecha (UTC)", "status": "estado"},
    "en": {"import_id": "import", "source_name": "file", "recognized_as": "recognised as", "rows_read": "rows read",
           "rows_loaded": "rows loaded", "rows_rejected": "rows rejected whole",
           "imported_at": "date (UTC)",
           "status": "status"},
}
IMPORT_STATUS: dict[str, dict[str, str]] = {"es": {"active": "cargada", "rolled_back": "deshecha"},
                                            "en": {"active": "active", "rolled_back": "rolled back"}}


def imports_table(frame, lang: str) -> str:
    """The import history as ``imports`` prints it: in Spanish with columns, counts, dates and statuses in words
    (a format's code stays as the importer names it); in English as it always was."""
    frame = frame.drop(columns=["sha256"])
    if lang != "es":
        return frame.to_string(index=False)
    out = frame.astype(object).where(frame.notna(), "—")
    demo = re.compile(r"demo: synthetic data \(seed (?P<seed>\d+)\)")
    out["source_name"] = [line("demo_source", lang, **m.groupdict()) if (m := demo.fullmatch(str(v))) else v
                          for v in out["source_name"]]
    for col in ("rows_read", "rows_loaded", "rows_rejected"):
        out[col] = [v if v == "—" else integer(int(v), lang) for v in out[col]]
    out["imported_at"] = [str(v)[:19] for v in out["imported_at"]]
    out["status"] = [IMPORT_STATUS["es"].get(v, v) for v in out["status"]]
    return out.rename(columns=IMPORTS["es"]).to_string(index=False)


def _cell(value: object, lang: str) -> str:
    """One cell of ``compare --format table``: counts with thousands separators, up to four decimals (three
    significant digits below 0.0001, never a p of 0), a decimal comma and thousands points in Spanish; yes/no; the
    years of a window listed; "—" for no value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return line("yes" if value else "no", lang)
    if isinstance(value, int):
        return integer(value, lang)
    if isinstance(value, float):
        small = value != 0 and abs(value) < 1e-4
        text = f"{value:.3g}" if small else f"{value:,.4f}".rstrip("0").rstrip(".")
        return text.translate(_ES_NUMBER) if lang == "es" else text
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


_ES_NUMBER = str.maketrans({",": ".", ".": ","})

#: the words of compare()'s tests (the codes analysis/stats/prepost.py and analysis/compare/prepost.py write; the
#: column registry describes them): said nowhere else
TESTS: dict[str, dict[str, str]] = {
    "es": {"paired_t": "t pareada (estudiantes vinculados)", "welch_t": "t de Welch (cohortes no vinculadas)",
           "paired_t_units": "t pareada sobre las unidades", "welch_t_units": "t de Welch sobre las unidades"},
    "en": {"paired_t": "paired t (linked students)", "welch_t": "Welch t (unlinked cohorts)",
           "paired_t_units": "paired t over the units", "welch_t_units": "Welch t over the units"},
}


@cache
def page_words(lang: str) -> dict[str, str]:
    """The words of a reliability, a check of the design, a context flag and an effect unit
    (analysis/code_words.py, which the pages read too) and of a design strength (analysis/plain_language.py)."""
    return {**code_words.WORDS[lang], **{f"evidence.{k}": v for k, v in plain_language.DESIGN_STRENGTH[lang].items()}}


def value_words(column: str, value: object, lang: str, min_cell: int = 10) -> object:
    """A coded value of compare()'s ``column`` in words of ``lang``, as the pages say it (``page_words``; a design by
    the design registry's label, a test by :data:`TESTS`, a row's note by analysis/row_notes.py); a list of codes
    ("few_clusters, pretrends_not_assessed") as a list of words separated by "; "; anything else, or a code no
    catalogue knows, as it is."""
    if not isinstance(value, str) or not value.strip():
        return value
    lang = lang if lang in TEXTS else "en"
    if column == "note":
        return row_notes.say(value, lang)
    if column == "design":
        return get(value).LABEL[lang == "en"] if value in DESIGNS else value
    if column == "test":
        return TESTS[lang].get(value, value)
    words = page_words(lang)
    if column == "suppression_reason":  # the rule that hid the row; a small cell is under --min-cell, not 10
        key = "rel.suppressed_complementary" if value == "complementary" else "rel.suppressed"
        return words[key].replace("10", str(min_cell)) if value in ("small_cell", "complementary") and key in words \
            else value
    prefix = {"reliability": "rel", "evidence": "evidence", "effect_size_kind": "unit", "flags": "flag",
              "evidence_reasons": "reason"}.get(column)
    if prefix is None:
        return value
    codes = [c.strip() for c in value.split(",") if c.strip()]
    return "; ".join(words.get(f"{prefix}.{'suppressed_short' if c == 'suppressed' else c}", c) for c in codes)


#: the columns whose values are codes said in words in ``compare --format table`` (:func:`value_words`)
WORDED = ("design", "test", "effect_size_kind", "reliability", "suppression_reason", "flags", "evidence",
          "evidence_reasons", "note")


def compare_table(frame, lang: str, conf_level: float = 0.95, min_cell: int = 10) -> str:
    """``compare --format table``: each column by its short name in ``lang`` (the column registry,
    analysis/compare/columns.py LABELS, the words the pages use; an interval's "95" is ``conf_level``'s), its coded
    values in words (:func:`value_words`) and numbers as a reader of ``lang`` writes them; one result row is printed
    as a column of name and value. ``--format csv|json`` keep the codes (scripts read them)."""
    import pandas as pd

    from analysis.compare.columns import header as registry_header

    def header(column: str, lang: str) -> str:
        percent = f"{conf_level * 100:g}".replace(".", "," if lang == "es" else ".")
        return registry_header(column, lang).replace("95", percent)

    cells = frame.astype(object).where(frame.notna(), None)  # NaN, NA and NaT alike: no value
    said = {c: [value_words(c, v, lang, min_cell) if c in WORDED else v for v in cells[c].tolist()]
            for c in frame.columns}
    out = pd.DataFrame({header(c, lang): [_cell(v, lang) for v in said[c]] for c in frame.columns},
                       columns=[header(c, lang) for c in frame.columns])
    if len(out) == 1:
        return out.T.to_string(header=False)
    return out.to_string(index=False)


def integer(value: int, lang: str) -> str:
    """A count as a reader of ``lang`` writes it (1.234 in Spanish, 1,234 in English)."""
    return f"{value:,}".replace(",", ".") if lang == "es" else f"{value:,}"


#: the environment variable that sets every command's default --lang (es or en; docs/DESIGN.md "CLI")
LANG_VARIABLE = "LABLENS_LANG"


def default_lang() -> str:
    """The --lang of a command that is not given one: ``$LABLENS_LANG`` when it is es or en, else Spanish (the
    product's rule: Spanish by default, English complete; docs/DESIGN.md "CLI")."""
    value = os.environ.get(LANG_VARIABLE, "").strip().lower()
    return value if value in TEXTS else "es"


# (argparse's English shape, Spanish): the errors of a malformed command (Python's argparse module)
ARGPARSE_ES: list[tuple[re.Pattern[str], str]] = [(re.compile(p, re.S), t) for p, t in [
    (r"the following arguments are required: (?P<a>.+)", "faltan argumentos obligatorios: {a}"),
    (r"unrecognized arguments: (?P<a>.+)", "argumentos no reconocidos: {a}"),
    (r"one of the arguments (?P<a>.+) is required", "se necesita uno de los argumentos {a}"),
    (r"ambiguous option: (?P<a>\S+) could match (?P<b>.+)", "opción ambigua: {a} puede ser {b}"),
    (r"argument (?P<a>\S+): invalid choice: (?P<b>.+) \(choose from (?P<c>.+)\)",
     "argumento {a}: {b} no es una de las opciones ({c})"),
    (r"argument (?P<a>\S+): invalid (?:int|float) value: (?P<b>.+)", "argumento {a}: {b} no es un número válido"),
    (r"argument (?P<a>\S+): invalid \w+ value: (?P<b>.+)", "argumento {a}: {b} no es un valor válido"),
    (r"argument (?P<a>\S+): expected one argument", "argumento {a}: falta su valor"),
    (r"argument (?P<a>\S+): not allowed with argument (?P<b>.+)", "argumento {a}: no se permite junto con {b}"),
    (r"argument (?P<a>\S+): ignored explicit argument (?P<b>.+)", "argumento {a}: no admite el valor {b}"),
    # the ranges of compare's and the pilot's settings (analysis/option_ranges.py)
    (r"argument (?P<a>\S+): must be a whole number of at least (?P<f>\d+) \(no cell of fewer than \d+ students is "
     r"ever shown\), not (?P<b>.+)", "argumento {a}: debe ser un número entero de al menos {f} (nunca se muestra una "
     "celda de menos de {f} estudiantes), no {b}"),
    (r"argument (?P<a>\S+): must be at least 0 and less than 1, not (?P<b>.+)",
     "argumento {a}: debe ser al menos 0 y menor que 1, no {b}"),
    (r"argument (?P<a>\S+): must be more than 0 and less than 1, not (?P<b>.+)",
     "argumento {a}: debe ser mayor que 0 y menor que 1, no {b}"),
]]



def argv_lang(argv: list[str]) -> str:
    """The --lang of a command line before it is parsed (a malformed command is told off in it too)."""
    command = argv[0] if argv else ""
    if command not in LANG_COMMANDS:
        return "en"
    lang = default_lang()
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            lang = argv[i + 1]
        elif arg.startswith("--lang="):
            lang = arg.split("=", 1)[1]
    return lang if lang in TEXTS else "en"


class Parser(argparse.ArgumentParser):
    """argparse's parser, its errors said in ``lang`` (Spanish: :data:`ARGPARSE_ES`; English: argparse's own)."""

    def __init__(self, *args: object, lang: str = "en", **kwargs: object):
        super().__init__(*args, **kwargs)
        self.lang = lang

    def add_subparsers(self, **kwargs: object) -> argparse._SubParsersAction:
        kwargs.setdefault("parser_class", lambda **kw: Parser(lang=self.lang, **kw))
        return super().add_subparsers(**kwargs)

    def error(self, message: str) -> NoReturn:
        if self.lang != "es":
            super().error(message)
        said = next((t.format(**m.groupdict()) for p, t in ARGPARSE_ES if (m := p.fullmatch(message))),
                    None) or reasons.text("untranslated", "es", text=message)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {said}\n")

    def format_usage(self) -> str:
        usage = super().format_usage()
        return "uso: " + usage.removeprefix("usage: ") if self.lang == "es" else usage


def lang_option(p: argparse.ArgumentParser, what: str) -> None:
    """``--lang es|en``: the language of ``what``; the default is :func:`default_lang`'s (docs/DESIGN.md "CLI")."""
    p.add_argument("--lang", choices=["es", "en"], default=default_lang(),
                   help=f"language of {what} (default ${LANG_VARIABLE} if es or en, else es)")


def compare_options(p: argparse.ArgumentParser, many_indicators: bool = False) -> None:
    """Options shared by compare and export (export takes several indicators: repeat or comma-separate)."""
    if many_indicators:
        p.add_argument("--indicator", required=True, action="append",
                       help="indicator code(s) for the evidence table: repeat or comma-separate")
    else:
        p.add_argument("--indicator", required=True, help="indicator code, e.g. score_math or dropout_rate")
    p.add_argument("--design", choices=DESIGNS, default=DEFAULT)
    p.add_argument("--by", action="append", default=[], help=fields.by_help())
    p.add_argument("--program", help="one programme (default: every programme, never pooled)")
    p.add_argument("--pre", help="pre window: 2016-2019, a year, or a wave (pre, baseline)")
    p.add_argument("--post", help="post window: 2020-2022, a year, or a wave (post, endline)")
    p.add_argument("--level", default="all", help="school level (default: all = total rows only)")
    p.add_argument("--min-cell", type=min_cell, default=10,
                   help=f"minimum students per shown cell (default 10, never below {MIN_CELL_FLOOR})")
    p.add_argument("--weighted", action="store_true", help="weight unit rates by their n")
    p.add_argument("--icc", type=icc, help="ICC for the WWC clustering correction (default 0.20 / 0.10)")
    p.add_argument("--conf-level", type=conf_level, default=0.95,
                   help="confidence level of the intervals (default 0.95)")
