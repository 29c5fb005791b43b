"""Reasons the analysis gives, said in Spanish or English: one catalogue for the brief, the pack, the CLI and the pages.

compare(), the importer and the field-form import write their reasons in English — for the logs, the
``rejects`` table and a stored result, which keep them as text. A reason that reaches a reader (the evidence
brief and pack, ``python -m analysis import|rejects --lang es``, a page through ui/messages.py and
ui/data_view.py) is recognised here by its shape and said again in the reader's language, codes inside it
(an indicator, a field) named in words. :func:`say` takes a whole reason (a ``CompareError``, an
``ImportFailed``, a ``MappingError``), :func:`reject` one rejected row or value of an import. A reason no
shape knows is never dropped: in Spanish it is quoted as the technical detail it is (``untranslated``).
The shapes follow the messages raised in analysis/compare, analysis/importer and analysis/forms;
tests/app/test_messages.py and tests/evidence/test_words_sweep.py raise the real ones.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping

from analysis import catalog, fields, read_reasons, reject_reasons

LANGS = ("es", "en")

TEXTS: dict[str, dict[str, str]] = {
    "es": {
        "no_obs_windows": "no hay observaciones de «{indicator}» en las ventanas antes y después; hay datos de {span}",
        "part.years": "los años {years}", "part.no_years": "ningún año", "part.waves": "los momentos {waves}",
        "part.pre": "antes", "part.post": "después",
        "subgroup_only": "«{indicator}» solo tiene datos por subgrupo (sexo, grado o nivel escolar), no para la "
                         "escuela entera: elija esos subgrupos",
        "did_by_school": "diferencias en diferencias por escuela pondría una sola escuela del programa frente al "
                         "grupo de comparación, y no permite una inferencia confiable; use antes/después por escuela, "
                         "o diferencias en diferencias por tipo de laboratorio o departamento",
        "no_programme_units": "no hay escuelas del programa en la lista: importe una lista con escuelas del programa y "
                              "de comparación",
        "no_start_year": "las escuelas del programa no tienen año de inicio, así que no se sabe qué es antes y qué "
                         "después",
        "no_data": "no hay datos de «{indicator}»",
        "only_post": "«{indicator}» solo se midió después del programa: antes/después y diferencias en diferencias "
                     "necesitan una medición previa; compare las tasas del programa y de las escuelas de comparación",
        "student_attribute": "{fields} es un atributo de los estudiantes, pero «{indicator}» no tiene datos por "
                             "estudiante",
        "cannot_group": "no se puede agrupar por {fields}",
        "not_rate": "«{indicator}» no es una tasa ni un resultado sí/no",
        "rct_by_school": "un ensayo aleatorizado por escuela pondría una sola escuela frente al grupo de comparación: "
                         "use el diseño aleatorizado por departamento o por un atributo de los estudiantes",
        "rct_programme_field": "las escuelas de comparación no tienen {fields}: una comparación aleatorizada según "
                               "eso no es aleatorizada; pida el ensayo entero o por un campo de la escuela o del "
                               "estudiante",
        "no_assignment": "no hay una asignación aleatoria registrada: registre una (Diseño del piloto, o python -m "
                         "analysis pilot assign ... --register) o importe una lista con una columna de estrato "
                         "(«stratum») para las escuelas del programa y de comparación",
        "trial_no_start_year": "las escuelas del programa del ensayo no tienen año de inicio: indique las ventanas "
                               "antes y después",
        "no_level": "«{indicator}» no tiene el nivel escolar «{level}»; tiene: {levels}",
        "no_programme": "no existe el programa «{program}»; la lista tiene: {programs}",
        "comparison_not_programme": "«comparison» es el grupo de comparación, no un programa",
        "both_windows": "indique las dos ventanas, antes y después, o ninguna (entonces salen de los momentos o del "
                        "año de inicio de cada escuela)",
        "window_order": "la ventana antes ({pre}) debe terminar antes de que empiece la ventana después ({post})",
        "window_first_last": "ventana {side} {value}: el primer año no puede ser posterior al último",
        "not_window": "ventana {side} «{value}»: no es un rango de años (2016-2019), un año ni un momento",
        "conf_level": "el nivel de confianza debe estar entre 0 y 1",
        "map_unit_code": "indique qué columna trae el código de la escuela o unidad (rol «código de la unidad»)",
        "map_indicator": "indique al menos una columna con un indicador",
        "map_year": "indique una columna de año o de momento, o el año del archivo",
        "map_program": "una lista de escuelas necesita una columna de programa",
        "map_column": "la asignación nombra la columna «{column}», que el archivo no tiene",
        "no_data_rows": "el archivo tiene encabezado pero ninguna fila de datos",
        "no_indicator_columns": "no hay columnas de indicadores para cargar",
        "all_rejected": "no hay nada que cargar: se rechazaron todas las filas (vea los motivos abajo)",
        "all_rejected.cli": "no hay nada que cargar: se rechazaron todas las filas ({n} celdas rechazadas; "
                            "--rejects-out ARCHIVO las escribe); la base de datos no cambió",
        "all_records_rejected": "no hay nada que cargar: se rechazaron todos los registros ({n}); la base de datos "
                                "no cambió",
        "all_records_rejected.cli": "no hay nada que cargar: se rechazaron todos los registros ({n}; --rejects-out "
                                    "ARCHIVO los escribe); la base de datos no cambió",
        "no_import": "no existe la importación {import_id}",
        "already_rolled_back": "la importación {import_id} ya se deshizo",
        "key_mismatch": "la clave de seudonimización de este equipo no es la que se usó al crear esta base de datos: "
                        "los estudiantes no se enlazarían entre momentos. Restaure el archivo de clave original "
                        "(«{hint}», vea el README) e importe de nuevo",
        "scale_items": "la escala «{scale}» necesita al menos dos ítems con respuestas de estudiantes; hay {n}",
        # registering a pilot's assignment (analysis/pilot/register.py)
        "pilot.admin_only": "registrar una asignación es una acción de administrador",
        "pilot.registered": "el programa «{program}» ya tiene una asignación registrada activa (id {id}, semilla "
                            "{seed}); deshágala primero (python -m analysis rollback {id}), lo que queda en el "
                            "registro de auditoría",
        "pilot.same": "esta misma asignación ya es la importación {id}",
        "pilot.not_roster": "la lista de la asignación no se reconoció como lista de escuelas",
        "not_recognised": "no se reconoció el formato del archivo{lacks}{columns}. Indique abajo qué trae cada columna",
        "not_recognised.cli": "no se reconoció el formato del archivo{lacks}{columns}. Guarde la asignación sugerida "
                              "como mapping.toml, complétela y repita con --mapping mapping.toml",
        "part.more": "(y {n} más)",
        "part.lacks": "; le falta {what}", "part.lacks_unit": "una columna con el código de la escuela o unidad",
        "part.lacks_year": "una columna de año o de momento", "part.columns": "; columnas sin ubicar: {columns}",
        "untranslated": "detalle técnico (en inglés): «{text}»",
        "conflict_values": "{n} valores difieren de los ya cargados{example}; no se importó nada. Elija abajo si "
                           "reemplazarlos (se puede deshacer) o conservar los anteriores",
        "part.example": " (p. ej., {where}: {old} en la importación {old_import}, {new} aquí)",
        "conflict_roster": "{n} asignaciones difieren de la lista ya cargada; no se importó nada. Elija abajo si "
                           "reemplazarlas o conservar las anteriores",
        "conflict_values.cli": "{n} valores difieren de los ya cargados{example}; no se importó nada. Repita con "
                               "--on-conflict supersede (reemplaza los anteriores; rollback lo deshace) o "
                               "--on-conflict keep (conserva los anteriores)",
        "conflict_roster.cli": "{n} asignaciones difieren de la lista ya cargada; no se importó nada. Repita con "
                               "--on-conflict supersede o keep",
    },
    "en": {
        "no_obs_windows": "no observations of “{indicator}” fall in the pre and post windows; it has data for {span}",
        "part.years": "years {years}", "part.no_years": "no years", "part.waves": "waves {waves}",
        "part.pre": "before", "part.post": "after",
        "subgroup_only": "“{indicator}” only has data by subgroup (sex, grade or school level), not for whole schools: "
                         "choose those subgroups",
        "did_by_school": "difference-in-differences by school would put one programme school against the comparison "
                         "group, and allows no reliable inference; use pre/post by school, or "
                         "difference-in-differences by lab type or department",
        "no_programme_units": "no programme schools in the roster: import a roster with programme and comparison "
                              "schools",
        "no_start_year": "the programme schools have no start year, so before and after are unknown",
        "no_data": "there is no data for “{indicator}”",
        "only_post": "“{indicator}” was only measured after the programme: pre/post and difference-in-differences "
                     "need an earlier measurement; compare the rates of the programme and comparison schools",
        "student_attribute": "{fields} is a student attribute, but “{indicator}” has no student rows",
        "cannot_group": "cannot group by {fields}",
        "not_rate": "“{indicator}” is not a rate or a yes/no outcome",
        "rct_by_school": "a randomised trial by school would put one school against the comparison group: use the "
                         "randomised design by department or by a student attribute",
        "rct_programme_field": "comparison schools have no {fields}: a randomised comparison by it is not "
                               "randomised; ask for the whole trial or by a school or student field",
        "no_assignment": "no randomised assignment is registered: register one (Pilot design, or python -m analysis "
                         "pilot assign ... --register) or import a roster with a 'stratum' column for the programme "
                         "and comparison schools",
        "trial_no_start_year": "the trial's programme schools have no start year: give the pre and post windows",
        "no_level": "“{indicator}” has no school level “{level}”; it has: {levels}",
        "no_programme": "there is no programme “{program}”; the roster has: {programs}",
        "comparison_not_programme": "“comparison” is the comparison group, not a programme",
        "both_windows": "give both windows, pre and post, or neither (then they come from the waves or each "
                        "school's start year)",
        "window_order": "the pre window ({pre}) must end before the post window ({post}) starts",
        "window_first_last": "{side} window {value}: the first year must not be after the last",
        "not_window": "{side} window “{value}”: not a year range (2016-2019), a year or a wave",
        "conf_level": "the confidence level must be between 0 and 1",
        "map_unit_code": "say which column holds the school or unit code (role “unit code”)",
        "map_indicator": "name at least one column with an indicator",
        "map_year": "name a year or wave column, or the file's year",
        "map_program": "a roster needs a programme column",
        "map_column": "the mapping names column “{column}”, which the file does not have",
        "no_data_rows": "the file has a header but no data rows",
        "no_indicator_columns": "no indicator columns to load",
        "all_rejected": "nothing to load: every row was rejected (see the reasons below)",
        "all_rejected.cli": "nothing to load: every row was rejected ({n} rejected cells; --rejects-out FILE writes "
                            "them); the database is unchanged",
        "all_records_rejected": "nothing to load: every record was rejected ({n}); the database is unchanged",
        "all_records_rejected.cli": "nothing to load: every record was rejected ({n}; --rejects-out FILE writes "
                                    "them); the database is unchanged",
        "no_import": "there is no import {import_id}",
        "already_rolled_back": "import {import_id} is already rolled back",
        "key_mismatch": "the pseudonymisation key on this machine is not the one this database was built with: "
                        "students would not link across waves. Restore the original key file ('{hint}', see README) "
                        "and import again",
        "scale_items": "scale '{scale}' needs at least two items with student answers; found {n}",
        "pilot.admin_only": "registering an assignment is an admin action",
        "pilot.registered": "programme '{program}' already has an active registered assignment (id {id}, seed {seed}); "
                            "roll it back first (python -m analysis rollback {id}), which the audit log records",
        "pilot.same": "this exact assignment is already import {id}",
        "pilot.not_roster": "the assignment's roster was not recognised as a roster",
        "not_recognised": "the file's layout was not recognised{lacks}{columns}. Say below what each column holds",
        "not_recognised.cli": "the file's layout was not recognised{lacks}{columns}. Save the suggested mapping as "
                              "mapping.toml, fill it in and re-run with --mapping mapping.toml",
        "part.more": "(+{n} more)",
        "part.lacks": "; it lacks {what}", "part.lacks_unit": "a school or unit code column",
        "part.lacks_year": "a year or wave column", "part.columns": "; columns it could not place: {columns}",
        "untranslated": "{text}",
        "conflict_values": "{n} values differ from data already loaded{example}; nothing was imported. Choose below "
                           "whether to replace them (can be undone) or keep the old ones",
        "part.example": " (e.g. {where}: {old} in import {old_import}, {new} here)",
        "conflict_roster": "{n} assignments differ from the roster already loaded; nothing was imported. Choose below "
                           "whether to replace them or keep the old ones",
        "conflict_values.cli": "{n} values differ from data already loaded{example}; nothing was imported. Re-run with "
                               "--on-conflict supersede (replace the old values, undone by rollback) or --on-conflict "
                               "keep (keep the old values)",
        "conflict_roster.cli": "{n} assignments differ from the roster already loaded; nothing was imported. Re-run "
                               "with --on-conflict supersede or keep",
    },
}
for _lang in LANGS:  # why a row or value was rejected, and the rejects report's words (analysis/reject_reasons.py)
    TEXTS[_lang].update(reject_reasons.TEXTS[_lang])

Names = Mapping[str, str]
FieldLabel = Callable[[str], str]
Words = Callable[[dict[str, str], "Speaker"], dict[str, str]]


class Speaker:
    """What a reason is said with: the language, indicator names by code and a field's words."""

    def __init__(self, lang: str, names: Names | None = None, field_label: FieldLabel | None = None,
                 cli: bool = False, escape: Callable[[str], str] | None = None):
        self.lang = lang if lang in TEXTS else "en"
        # how a part taken from the reason or the data (a name, a file, a column) is made literal for the reader:
        # identity for plain text; a page passes its Markdown escaping, since st.error renders Markdown
        self.escape = escape or (lambda part: part)
        self.cli = cli  # the command line's wording where a page's differs ("see the reasons below")
        # the catalogue's labels unless the caller names the indicators (a page, a pack's own catalogue)
        self.names = {**_catalogue_names(self.lang), **(names or {})}
        self.field_label = field_label or (lambda name: field_words(name, self.lang))

    def text(self, key: str, **params: str) -> str:
        texts = TEXTS[self.lang]
        return texts[f"{key}.cli" if self.cli and f"{key}.cli" in texts else key].format(**params)


@functools.cache
def _catalogue_names(lang: str) -> dict[str, str]:
    return {i.code: (i.label_es if lang == "es" else i.label_en) for i in catalog.INDICATORS}


def field_words(name: str, lang: str) -> str:
    """A field in words for a sentence ('sexo'), from the field registry; a field it lacks as written."""
    found = fields.field(name.strip())
    if found is None:
        return name.strip()
    words = found.doc[0 if lang == "es" else 1]
    return words[:1].lower() + words[1:]


def _indicator(params: dict[str, str], sp: Speaker) -> dict[str, str]:
    out = dict(params)
    if "indicator" in out:
        out["indicator"] = sp.escape(sp.names.get(out["indicator"], out["indicator"]))
    return out


def _span(params: dict[str, str], sp: Speaker) -> dict[str, str]:
    out = _indicator(params, sp)
    span = out.get("span", "")
    years = re.search(r"years (\d{4}-\d{4})", span)
    waves = re.search(r"waves (.+)$", span)
    parts = [sp.text("part.years", years=years.group(1)) if years else sp.text("part.no_years")]
    if waves:
        parts.append(sp.text("part.waves", waves=", ".join(
            sp.text(f"part.{w.strip()}") if w.strip() in ("pre", "post") else sp.escape(w.strip())
            for w in waves.group(1).split(","))))
    out["span"] = ", ".join(parts)
    return out


def _number(value: str, lang: str) -> str:
    """A bound of a range as a reader writes it: 1 not 1.0, a decimal comma in Spanish; text kept as written."""
    try:
        number = float(value)
    except ValueError:
        return value
    written = f"{number:g}"
    return written.replace(".", ",") if lang == "es" else written


def _count(value: str, lang: str) -> str:
    """A count of students as a reader writes it: thousands with a point in Spanish (1.097), a comma in English."""
    if not value.isdigit():
        return _number(value, lang)
    written = f"{int(value):,}"
    return written.replace(",", ".") if lang == "es" else written


def _and(listed: str, sp: Speaker) -> str:
    """'1, 2 and 3' with the last 'and' in the reader's language."""
    head, sep, last = listed.rpartition(" and ")
    return f"{head}{sp.text('part.and')}{last}" if sep else listed


def _fields(params: dict[str, str], sp: Speaker) -> dict[str, str]:
    out = _indicator(params, sp)
    if "fields" in out:
        out["fields"] = ", ".join(sp.escape(sp.field_label(f.strip())) for f in out["fields"].split(","))
    return out


def _side(params: dict[str, str], sp: Speaker) -> dict[str, str]:
    return {**params, "side": sp.text(f"part.{params['side']}")}


def _not_recognised(params: dict[str, str], sp: Speaker) -> dict[str, str]:
    lacks = params.get("lacks")
    what = " · ".join(sp.text("part.lacks_unit") if "unit code" in part else sp.text("part.lacks_year")
                      for part in lacks.removeprefix("; it lacks ").split(" and ")) if lacks else ""
    return {"lacks": sp.text("part.lacks", what=what) if lacks else "",
            "columns": sp.text("part.columns", columns=re.sub(r"\(\+(\d+) more\)", lambda m: sp.text(
                "part.more", n=m.group(1)), sp.escape(params["columns"]))) if params.get("columns") else ""}


def _example(params: dict[str, str], sp: Speaker) -> dict[str, str]:
    """A conflict's first differing value (unit, indicator, year, level: old and new), numbers as the reader writes
    them; nothing when the reason has no example."""
    n = f"{int(params['n']):,}".replace(",", "." if sp.lang == "es" else ",")
    if "unit" not in params:
        return {"n": n, "example": ""}
    where = ", ".join(part for part in (sp.escape(params["unit"]), _indicator(params, sp)["indicator"],
                                        params["year"], "" if params["level"] == "all" else sp.escape(params["level"]))
                      if part)
    return {"n": n, "example": sp.text("part.example", where=where, old=_number(params["old"], sp.lang),
                                                  new=_number(params["new"], sp.lang),
                                                  old_import=params["old_import"])}


# (English shape, key, how its parts are put in words): whole reasons (compare(), the importer, the mapping)
PATTERNS: list[tuple[re.Pattern[str], str, Words | None]] = [
    (re.compile(r"no observations of '(?P<indicator>[^']+)' fall in the pre and post windows(?: \(no window "
                r"given[^)]*\))?; it has (?P<span>.+)"), "no_obs_windows", _span),
    (re.compile(r"'(?P<indicator>[^']+)' has no rows for whole units at level '[^']+', only by subgroup; .*"),
     "subgroup_only", _indicator),
    (re.compile(r"a DiD by school puts one programme school against the comparison group.*"), "did_by_school", None),
    (re.compile(r"no programme units in the roster.*"), "no_programme_units", None),
    (re.compile(r"the programme units have no start year.*"), "no_start_year", None),
    (re.compile(r"no data for indicator '(?P<indicator>[^']+)'.*"), "no_data", _indicator),
    (re.compile(r"no data for '(?P<indicator>[^']+)' at level '(?P<level>[^']+)'"), "no_data", _indicator),
    (re.compile(r"'(?P<indicator>[^']+)' is only observed after the programme.*"), "only_post", _indicator),
    (re.compile(r"(?P<fields>.+) is a student attribute, but '(?P<indicator>[^']+)' has no student rows"),
     "student_attribute", _fields),
    (re.compile(r"cannot group by (?P<fields>[^;]+); choose from .*"), "cannot_group", _fields),
    (re.compile(r"'(?P<indicator>[^']+)' is not a binary outcome or a rate"), "not_rate", _indicator),
    (re.compile(r"a randomised trial by school puts one school against the comparison group.*"), "rct_by_school",
     None),
    (re.compile(r"comparison schools have no (?P<fields>.+?): a randomised comparison by it .*"), "rct_programme_field",
     _fields),
    (re.compile(r"no randomised assignment: register one.*"), "no_assignment", None),
    (re.compile(r"the trial's programme schools have no start year.*"), "trial_no_start_year", None),
    (re.compile(r"indicator '(?P<indicator>[^']+)' has no level '(?P<level>[^']+)'; it has: (?P<levels>.*)"),
     "no_level", _indicator),
    (re.compile(r"no programme '(?P<program>[^']+)'; the roster has: (?P<programs>.*)"), "no_programme", None),
    (re.compile(r"'comparison' is the comparison group, not a programme"), "comparison_not_programme", None),
    (re.compile(r"give both --pre and --post, or neither.*"), "both_windows", None),
    (re.compile(r"the pre window (?P<pre>.+) must end before the post window (?P<post>.+) starts"), "window_order",
     None),
    (re.compile(r"--(?P<side>pre|post) (?P<value>.+): the first year must not be after the last"),
     "window_first_last", _side),
    (re.compile(r"--(?P<side>pre|post) '(?P<value>.*)' is not a year range.*"), "not_window", _side),
    (re.compile(r"the confidence level must be between 0 and 1"), "conf_level", None),
    (re.compile(r"the mapping must name the unit code column.*"), "map_unit_code", None),
    (re.compile(r"the mapping names no indicator column.*"), "map_indicator", None),
    (re.compile(r"the mapping needs a year or wave column, or source\.year"), "map_year", None),
    (re.compile(r"a roster mapping needs a program column"), "map_program", None),
    (re.compile(r"the mapping names column '(?P<column>[^']+)', which the file does not have.*"), "map_column",
     None),
    (re.compile(r"the file has a header but no data rows"), "no_data_rows", None),
    (re.compile(r"no indicator columns to load"), "no_indicator_columns", None),
    (re.compile(r"nothing to load, every row was rejected \((?P<n>\d+) rejected cells.*", re.S), "all_rejected", None),
    (re.compile(r"nothing to load, every record was rejected \((?P<n>\d+); .*"), "all_records_rejected", None),
    (re.compile(r"(?P<n>\d+) value\(s\) differ from data already loaded(?: \(e\.g\. (?P<unit>\S+) (?P<indicator>\S+) "
                r"(?P<year>\d*) (?P<level>\S+): (?P<old>\S+) in import (?P<old_import>\d+), (?P<new>\S+) here\))?.*",
                re.S), "conflict_values", _example),
    (re.compile(r"(?P<n>\d+) assignment\(s\) differ from the roster already loaded.*", re.S), "conflict_roster", None),
    (re.compile(r"there is no import (?P<import_id>\d+)"), "no_import", None),
    (re.compile(r"import (?P<import_id>\d+) is already rolled back"), "already_rolled_back", None),
    (re.compile(r"the pseudonymisation key on this machine is not the one this database was built with: .*\('"
                r"(?P<hint>.+)', see README\) and import again", re.S), "key_mismatch", None),
    (re.compile(r"scale '(?P<scale>.*)' needs at least two items with student answers; found (?P<n>\d+)"),
     "scale_items", None),
    (re.compile(r"registering an assignment is an admin action"), "pilot.admin_only", None),
    (re.compile(r"programme '(?P<program>.*)' already has an active registered assignment \(id (?P<id>\d+), seed "
                r"(?P<seed>\S+)\); roll it back first .*", re.S), "pilot.registered", None),
    (re.compile(r"this exact assignment is already import (?P<id>\d+)"), "pilot.same", None),
    (re.compile(r"the assignment's roster was not recognised as a roster"), "pilot.not_roster", None),
    (re.compile(r"layout not recognised(?P<lacks>; it lacks [^;.]+)?(?:; columns it could not place: "
                r"(?P<columns>.+))?\. Write a mapping file.*", re.S), "not_recognised", _not_recognised),
]
# a rejected value or row (analysis/reject_reasons.py)
REJECTS = reject_reasons.REJECTS

_RECORD = re.compile(r"record not loaded: (?P<problem>.+)", re.S)
# "<file name>: <reason>": the file named first, as the importer writes it
_FILE = re.compile(r"(?P<file>[^:\n]+\.[A-Za-z0-9]{2,8}): (?P<rest>.+)", re.S)


def _known(text: str, sp: Speaker) -> str | None:
    for pattern, key, words in PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            params = {k: v for k, v in m.groupdict().items() if v is not None}
            return sp.text(key, **(words(params, sp) if words else {k: sp.escape(v) for k, v in params.items()}))
    read = read_reasons.say(text, sp.lang, sp.escape)  # a file that cannot be read or placed
    return read if read is not None else _known_reject(text, sp)


@functools.cache
def _questions(lang: str) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """The field forms' choice questions: (list, label) by field name, and the label by choice list where one
    question alone uses the list (analysis/forms/definitions.py, the XLSForm labels in ``lang``)."""
    from analysis.forms.definitions import FORMS  # the forms are data from the catalogue (tests/test_layers.py)

    by_name: dict[str, tuple[str, str]] = {}
    by_list: dict[str, set[str]] = {}
    for form in FORMS.values():
        for f in form.fields:
            if f.list_name:
                label = f.label_es if lang == "es" else f.label_en
                by_name.setdefault(f.name, (f.list_name, label))
                by_list.setdefault(f.list_name, set()).add(label)
    return by_name, {k: next(iter(v)) for k, v in by_list.items() if len(v) == 1}


def _choice(list_name: str, column: str | None, sp: Speaker) -> str:
    """A value that is none of a choice list's options, the question named by its label: the rejected cell's
    column when it is that question, else the one question using the list; the list's code when neither."""
    by_name, by_list = _questions(sp.lang)
    field = by_name.get(column.rsplit("/", 1)[-1]) if isinstance(column, str) else None
    label = field[1] if field and field[0] == list_name else by_list.get(list_name)
    return sp.text("rec.not_a_choice", question=sp.escape(label)) if label else sp.text(
        "rec.not_a_choice_list", list=sp.escape(list_name))


def _known_reject(text: str, sp: Speaker, column: str | None = None) -> str | None:
    m = _RECORD.fullmatch(text)
    if m:
        problem = _known_reject(m.group("problem").strip(), sp, column)
        return None if problem is None else sp.text("rec.record_not_loaded", problem=problem)
    for pattern, key in REJECTS:
        m = pattern.fullmatch(text)
        if m and key == "rec.not_a_choice":
            return _choice(m["list"], column, sp)
        if m:
            params = {k: ("" if v is None else v) for k, v in m.groupdict().items()}
            params.update({k: _number(params[k], sp.lang) for k in ("low", "high", "bound") if params.get(k)})
            params.update({k: _count(params[k], sp.lang) for k in ("n", "kept_n") if params.get(k)})
            params.update({k: _and(params[k], sp) for k in reject_reasons.LISTS if params.get(k)})
            said = {k: sp.escape(v) for k, v in params.items() if k != "indicator"}
            return sp.text(key, **_indicator({**params, **said}, sp))
    return None


def say(text: object, lang: str, names: Names | None = None, field_label: FieldLabel | None = None,
        cli: bool = False, escape: Callable[[str], str] | None = None) -> str:
    """A reason of the analysis in ``lang`` (see the module docstring); ``names`` maps indicator codes to their
    names, ``field_label`` a field to its words (default: the field registry's); ``cli``: worded for the command
    line (its options, not the page's buttons); ``escape``: how parts from the reason or the data are made literal
    (a page's Markdown escaping; none for plain text)."""
    sp = Speaker(lang, names, field_label, cli, escape)
    text = str(text).strip()
    said = _known(text, sp)
    if said is not None:
        return said
    files, rest = [], text
    while m := _FILE.fullmatch(rest):  # "name: " first, once per wrapper ("x.zip: x.zip › form.csv: ...")
        files.append(sp.escape(m.group("file")))
        rest = m.group("rest").strip()
        inner = _known(rest, sp)
        if inner is not None:
            return f"{': '.join(files)}: {inner}"
    return sp.escape(text) if sp.lang == "en" else sp.text("untranslated", text=sp.escape(text))


def reject(text: object, lang: str, names: Names | None = None,
           escape: Callable[[str], str] | None = None, column: str | None = None) -> str:
    """One stored reject reason (a row's or a value's) in ``lang``; an unknown one as written, quoted as
    technical detail in Spanish (like :func:`say`). ``column``: the rejected cell's column (a form question)."""
    sp = Speaker(lang, names, escape=escape)
    text = "" if text is None else str(text).strip()
    said = _known_reject(text, sp, column)
    if said is not None:
        return said
    return sp.escape(text) if sp.lang == "en" or not text else sp.text("untranslated", text=sp.escape(text))


def text(key: str, lang: str, **params: object) -> str:
    """One of this catalogue's texts (a report's column name, a CLI line) in ``lang``."""
    return TEXTS[lang if lang in TEXTS else "en"][key].format(**params)


def rejects_report(frame, lang: str):
    """A rejects table (row_number, column_name, raw_value, reason) for a reader of ``lang``. In Spanish the
    reasons are said in Spanish and the columns named in words (fila, columna, valor, motivo); in English the
    table is left as the importer stored it (the column names and reasons scripts already read)."""
    if lang == "en" or lang not in TEXTS:
        return frame
    out = frame.copy()
    if "reason" in out:
        columns = out["column_name"] if "column_name" in out else [None] * len(out)
        out["reason"] = [reject(r, lang, column=c) for r, c in zip(out["reason"], columns, strict=True)]
    return out.rename(columns={c: text(f"col.{c}", lang) for c in out.columns if f"col.{c}" in TEXTS[lang]})
