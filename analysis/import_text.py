"""An import's summary and notes said in Spanish or English: what ``python -m analysis import`` prints and the
Datos page shows.

The importer writes its notes in English (the stored summary and ``import --json`` keep them as text). Like
analysis/reasons.py — the catalogue of reasons, whose sibling this is — each note is recognised here by its shape
and said again in the reader's language; a note no shape knows is quoted as the technical detail it is. The shapes
follow the notes written in analysis/importer (readers, layouts, icfes, location, staging, writing, records,
boundaries) and analysis/forms/odk.py; tests/importer/test_import_text.py imports files that raise each one.
In English a note and the summary are printed exactly as the importer wrote them (scripts read them).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from analysis import read_reasons, reasons

# a school level and a measurement wave: said here once, for the summary, the conflict table and the pages (ui/i18n.py
# reads these families, ``level.*`` and ``wave.*``, from here; they are not in ui/locales)
WORDS: dict[str, dict[str, str]] = {
    "es": {"level.all": "todos los niveles", "level.transition": "transición", "level.primary": "primaria",
           "level.secondary": "secundaria", "level.upper_secondary": "media",
           "wave.pre": "antes", "wave.post": "después", "wave.baseline": "línea de base",
           "wave.endline": "línea final"},
    "en": {"level.all": "all levels", "level.transition": "transition", "level.primary": "primary",
           "level.secondary": "lower secondary", "level.upper_secondary": "upper secondary",
           "wave.pre": "before", "wave.post": "after", "wave.baseline": "baseline", "wave.endline": "endline"},
}

TEXTS: dict[str, dict[str, str]] = {"es": {
    # the summary lines of `import` (analysis/cli.py)
    "head": "{source}: {status} (importación {import_id})",
    "status.active": "cargada", "status.already_imported": "ya importada", "status.nothing_new": "nada nuevo",
    "recognised": "  formato reconocido: {layout}",
    "rows": "  filas leídas {read}, cargadas {loaded}, rechazadas enteras {rejected}",
    "values_in_loaded": "; además, {n} valor(es) rechazado(s) en filas cargadas",
    "rows_totals": ", filas de totales excluidas {n}",
    "rows_other_sitting": " ({n} de ellas, otra convocatoria del mismo año)",
    "observations": "  valores cargados {n}, duplicados omitidos {duplicates}, conflictos {conflicts}",
    "indicators": "  indicadores: {indicators}", "years": "  años: {first}–{last} ({n})", "no_years": "  años: —",
    "waves": "  momentos: {waves}; estudiantes {students}",
    "records": "  {target}: registros {n}, envíos omitidos por repetidos {duplicates}, valores rechazados {rejected}",
    "assignments": "  asignaciones {n}: {programs}", "units": "  unidades en el archivo: {n}",
    "territories": "  territorios donde están esas unidades (municipios, departamentos): {n}",
    "note": "  nota: {note}",
    "rejected_rows": "  filas rechazadas: python -m analysis rejects {import_id} --lang es --out rechazos.csv",
    "target.lab_log": "registro del laboratorio", "target.teacher_training": "formación docente",
    "target.governance_check": "gobernanza",
    **WORDS["es"],
    # the comments of a suggested mapping (analysis/importer/recognise.py not_recognised); its values are codes
    "toml.head": "# Asignación de columnas sugerida por LabLens para {name} ({reading}).",
    "toml.fill_in": "# Cambie cada {fill} por un código de indicador (python -m analysis indicators los lista; un "
                    "código\n# nuevo necesita una tabla [indicators.CODE], vea el final) o ponga la columna en "
                    "\"ignore\".",
    "toml.iso": "# código de país ISO 3166-1: CO, GT, CL, PE, ...",
    "toml.no_year": "# el archivo no tiene columna de año: escriba el año, p. ej., 2024",
    "toml.numbers": "# números de {low} a {high}",
    "toml.personal": "# nombra o contacta a una persona: nunca se guarda",
    "toml.attribute": "# texto, se conserva como atributo",
    "toml.new_indicator": "# un indicador nuevo, cuando ningún código del catálogo sirve",
    "read.as": "leído como {parts}", "read.text": "texto", "read.encoding": "codificación {encoding}",
    "read.delimiter": "separador {delimiter}", "read.columns": "{n} columna(s)",
    "toml.country": "# cualquier código de país ISO 3166-1: CO, GT, CL, PE, ...",
    "toml.unit_type": "# school (escuela) | municipality (municipio) | department (departamento)",
    "toml.ignore": "# o \"ignore\" (no cargar)",
    # the placeholder of an indicator the user must choose (analysis/importer/recognise.py CHOOSE_A_CODE)
    "toml.choose": "ELIJA_UN_CODIGO",
    # the placeholder of a value the user must write (analysis/importer/suggest.py FILL_IN: an indicator, a country,
    # a year)
    "toml.fill": "COMPLETAR",
    "suggested_mapping": "Asignación de columnas sugerida (guárdela como mapping.toml, edítela y use --mapping "
                         "mapping.toml):",
    "col.row_number": "fila", "col.unit_id": "unidad", "col.indicator": "indicador", "col.year": "año",
    "col.wave": "momento", "col.level": "nivel", "col.sex": "sexo", "col.grade": "grado",
    "col.old_value": "valor anterior", "col.new_value": "valor nuevo", "col.old_import": "importación anterior",
    "col.program": "programa", "col.old_lab_type": "tipo de laboratorio anterior",
    "col.lab_type": "tipo de laboratorio",
    "col.old_start_year": "año de inicio anterior", "col.start_year": "año de inicio",
    # a recognised layout (analysis/importer/layouts.py, icfes.py, mapping.py, records.py, boundaries.py)
    "lay.icfes_planteles": "clasificación de planteles del ICFES Saber 11",
    "lay.men_municipal": "estadísticas del MEN por municipio", "lay.men_department": "estadísticas del MEN por "
                                                                                      "departamento",
    "lay.siya_json": "indicador municipal del SIYA ya3-{n} (JSON)", "lay.siya_table": "indicador municipal del SIYA "
                                                                                     "(tabla)",
    "lay.saber11_school": "resultados del ICFES Saber 11 por establecimiento y jornada (formato de {year})",
    "lay.saber11_municipal_ranking": "promedios del ICFES Saber 11 por municipio (solo nombres)",
    "lay.saber11_department_ranking": "promedios del ICFES Saber 11 por departamento (solo nombres)",
    "lay.mineduc_directory": "directorio de establecimientos del MINEDUC (Guatemala)",
    "lay.roster": "lista de escuelas del programa", "lay.lablens_students": "formato propio de LabLens (estudiantes)",
    "lay.lablens_units": "formato propio de LabLens (unidades)", "lay.mapping": "archivo de asignación ({target})",
    "lay.records": "exportación de {server} de {form}", "lay.boundaries": "límites: {layouts}",
    "target.observations": "valores", "target.units": "unidades", "target.roster": "lista de escuelas",
    # the importer's notes
    "decoded": "texto leído con la codificación {encoding}",
    "one_cell": "la hoja «{sheet}» declaraba un tamaño de una celda; se recuperaron sus {n} filas",
    "error_rows": "se ignoraron {n} fila(s) finales con solo errores de hoja de cálculo (p. ej., #NUM!)",
    "saber_no_codes": "este formato no trae códigos de establecimiento: cada escuela se identifica por departamento, "
                      "municipio, nombre, jornada, calendario, sector y aplicación de la prueba, así que no se puede "
                      "enlazar con los códigos ICFES de 2013; se rechazan las escuelas del mismo nombre que nada "
                      "distingue",
    "by_name": "los territorios se identifican por su nombre y se emparejan con los códigos DANE; se rechazan los "
               "nombres sin pareja",
    "icfes_place": "cada escuela se ubica en el municipio que declara el archivo (COLE_CODMPIO_COLEGIO); las filas "
                   "del grado 26 (ciclos de adultos) son un subgrupo de su escuela (grado 26)",
    "authority": "{n} unidad(es) del Valle del Cauca tienen en la columna {column} una entidad territorial "
                 "certificada que no es la de su municipio (p. ej., {code}: «{stated}» en el archivo, «{derived}» "
                 "según su municipio): se conserva el valor del archivo (todas en authority_conflicts del resumen, "
                 "import --json)",
    "department_conflict": "{n} escuela(s) declaran un departamento que no es el de su municipio (p. ej., {code}: "
                           "departamento {department}, municipio {municipality}): se ubicaron en el municipio",
    "loc.disagree": "{n} escuela(s) tienen el código de un municipio pero el archivo declara otro: se ubicaron donde "
                    "dice el archivo (p. ej., {examples}; todas en location_report del resumen, import --json)",
    "loc.stated_not_in_divipola": "{n} escuela(s) declaran un municipio que no está en la DIVIPOLA del DANE: se "
                                  "ubicaron en el municipio de su código, o si no en un departamento (p. ej., "
                                  "{examples}; todas en location_report del resumen, import --json)",
    "loc.registered_not_in_divipola": "{n} código(s) de escuela nombran un municipio que no está en la DIVIPOLA y el "
                                      "archivo no declara ninguno: se ubicaron en un departamento (p. ej., "
                                      "{examples}; todas en location_report del resumen, import --json)",
    "ex.disagree": "{code} con código de {registered}, declarada en {stated}: ubicada en {placed}",
    "ex.stated_not_in_divipola": "{code} declara el municipio {stated}, que no está en la DIVIPOLA del DANE: "
                                 "ubicada en {placed}",
    "ex.registered_not_in_divipola": "{code} tiene el municipio {registered} en su código, que no está en la "
                                     "DIVIPOLA del DANE, y el archivo no declara ninguno: ubicada en {placed}",
    "placed.department": "el departamento {code}", "placed.none": "ningún territorio",
    "dropped": "se descartaron sin guardarlas las columnas que nombran, ubican o contactan a personas: {columns}",
    "same_file": "este mismo archivo ({same}) es la importación {import_id}; nada cambió",
    "same.sha256": "mismo sha256", "same.sha256_mapping": "mismo sha256 y misma asignación de columnas",
    "submissions_known": "se omitieron {n} envío(s) que ya estaban en la base de datos",
    "feature_rejected": "elemento {n} rechazado: {reason}",
    "enumerators": "se descartaron los nombres y los códigos de los encuestadores: {columns}",
    "personal": "se descartaron las columnas que nombran o contactan a personas: {columns}",
    "repeated": "{n} envío(s) recibidos más de una vez (mismo ID de instancia) se conservaron una sola vez{differ}",
    "repeated_differ": "; {n} copia(s) difieren y se conservó la primera",
    "repeat_rows_known": "se omitieron {n} fila(s) de grupos repetidos de envíos ya leídos",
    "orphans": "se ignoraron {n} fila(s) de grupos repetidos cuyo envío no está en la exportación",
    "no_instance": "{n} envío(s) sin ID de instancia: no se puede comprobar si están repetidos",
    "not_fields": "se ignoraron las columnas que no son campos de {form}: {columns}",
    "stray_repeat": "{source}: grupo repetido de ningún formulario leído aquí; se ignoró",
    # a boundary file's layout (analysis/importer/boundaries.py RECOGNISED)
    "bnd.dane.municipalities": "municipios del MGN del DANE {keys}",
    "bnd.dane.departments": "departamentos del MGN del DANE {keys}",
    "bnd.minfin.municipalities": "municipios del MINFIN de Guatemala {keys}",
    "bnd.minfin.departments": "departamentos del MINFIN de Guatemala {keys}",
}}

Words = Callable[[dict[str, str], str], dict[str, str]]


def _t(key: str, lang: str, **params: object) -> str:
    return TEXTS[lang][key].format(**params)


def integer(value: object, lang: str) -> str:
    """A count as a reader writes it: 1.234 in Spanish (analysis/evidence/brief.py writes numbers the same way)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "—" if value is None else str(value)
    return f"{value:,.0f}".replace(",", ".") if lang == "es" else f"{value:,.0f}"


def _counts(params: dict[str, str], lang: str) -> dict[str, str]:
    return {k: integer(int(v), lang) if k == "n" and v.isdigit() else v for k, v in params.items()}


def _placed(placed: str, lang: str) -> str:
    m = re.fullmatch(r"department (\S+)", placed)
    return _t("placed.department", lang, code=m.group(1)) if m else (
        _t("placed.none", lang) if placed == "no territory" else placed)


_EXAMPLES = {
    "disagree": r"(?P<code>\S+) coded in (?P<registered>.+?), stated in (?P<stated>.+?): placed in (?P<placed>.+)",
    "stated_not_in_divipola": r"(?P<code>\S+) stated municipality (?P<stated>.+?) is not in DANE's DIVIPOLA list: "
                              r"placed in (?P<placed>.+)",
    "registered_not_in_divipola": r"(?P<code>\S+) code's municipality (?P<registered>.+?) is not in DANE's DIVIPOLA "
                                  r"list and the file states none: placed in (?P<placed>.+)",
}


def _location(issue: str) -> Words:
    def words(params: dict[str, str], lang: str) -> dict[str, str]:
        said = []
        for example in params["examples"].split("; "):
            m = re.fullmatch(_EXAMPLES[issue], example)
            if m is None:
                return {**_counts(params, lang), "examples": reasons.text("untranslated", lang,
                                                                          text=params["examples"])}
            said.append(_t(f"ex.{issue}", lang, **{**m.groupdict(), "placed": _placed(m["placed"], lang)}))
        return {**_counts(params, lang), "examples": "; ".join(said)}
    return words


def _same(params: dict[str, str], lang: str) -> dict[str, str]:
    return {**params, "same": _t("same.sha256_mapping" if "mapping" in params["same"] else "same.sha256", lang)}


def _repeated(params: dict[str, str], lang: str) -> dict[str, str]:
    differ = params.pop("differ", None)
    return {**_counts(params, lang), "differ": _t("repeated_differ", lang, n=differ) if differ else ""}


def boundary_reason(text: str, lang: str) -> str:
    """A boundary feature's reject reason in ``lang`` (the rejects table and a note; analysis/read_reasons.py)."""
    if lang == "en":
        return text
    said = read_reasons.boundary_reason(text, lang)
    return said if said is not None else reasons.reject(text, lang)


def _feature(params: dict[str, str], lang: str) -> dict[str, str]:
    return {**params, "reason": boundary_reason(params["reason"], lang)}


# (English shape, key, how its parts are put in words)
NOTES: list[tuple[re.Pattern[str], str, Words | None]] = [(re.compile(p, re.S), k, w) for p, k, w in [
    (r"decoded from (?P<encoding>\S+)", "decoded", None),
    (r"sheet '(?P<sheet>.*)' declared a one-cell size; all (?P<n>\d+) rows were recovered", "one_cell", _counts),
    (r"(?P<n>\d+) trailing row\(s\) holding only spreadsheet errors \(e\.g\. #NUM!\) ignored", "error_rows", _counts),
    (r"this layout has no school codes: schools are keyed by department, .*", "saber_no_codes", None),
    (r"territories are identified by name and matched to DANE codes; unmatched names are rejected", "by_name", None),
    (r"schools are placed in the municipality the file states \(COLE_CODMPIO_COLEGIO\); grade 26 .*", "icfes_place",
     None),
    (r"(?P<n>\d+) unit\(s\) of Valle del Cauca have an authority in column (?P<column>.+) that is not the ETC of their "
     r"municipality \(e\.g\. (?P<code>\S+): '(?P<stated>.*)' in the file, '(?P<derived>.*)' by its municipality\): "
     r"the file's value is kept .*", "authority", _counts),
    (r"(?P<n>\d+) school\(s\) state a department that is not their municipality's \(e\.g\. (?P<code>\S+): department "
     r"(?P<department>\S+), municipality (?P<municipality>\S+)\): placed in the municipality", "department_conflict",
     _counts),
    (r"(?P<n>\d+) school\(s\) are coded in one municipality but the file states another: placed where the file says "
     r"they are \(e\.g\. (?P<examples>.+); all in the summary's location_report, import --json\)", "loc.disagree",
     _location("disagree")),
    (r"(?P<n>\d+) school\(s\) state a municipality that is not in DANE's DIVIPOLA list: placed in their code's "
     r"municipality, else a department \(e\.g\. (?P<examples>.+); all in the summary's location_report, "
     r"import --json\)", "loc.stated_not_in_divipola", _location("stated_not_in_divipola")),
    (r"(?P<n>\d+) school code\(s\) name a municipality that is not in DIVIPOLA and the file states none: placed in a "
     r"department \(e\.g\. (?P<examples>.+); all in the summary's location_report, import --json\)",
     "loc.registered_not_in_divipola", _location("registered_not_in_divipola")),
    (r"columns naming, locating or contacting people were dropped and not stored: (?P<columns>.*)", "dropped", None),
    (r"this exact file \((?P<same>same sha256(?: and mapping)?)\) is import (?P<import_id>\d+); nothing changed",
     "same_file", _same),
    (r"(?P<n>\d+) submission\(s\) already in the database skipped", "submissions_known", _counts),
    (r"feature (?P<n>\d+) rejected: (?P<reason>.+)", "feature_rejected", _feature),
    (r"enumerator names and IDs dropped: (?P<columns>.*)", "enumerators", None),
    (r"columns naming or contacting people dropped: (?P<columns>.*)", "personal", None),
    (r"(?P<n>\d+) submission\(s\) received more than once \(same instance ID\) kept once(?:; (?P<differ>\d+) "
     r"copy\(ies\) differ and the first was kept)?", "repeated", _repeated),
    (r"(?P<n>\d+) repeat row\(s\) of submissions already read skipped", "repeat_rows_known", _counts),
    (r"(?P<n>\d+) repeat row\(s\) whose submission is not in the export ignored", "orphans", _counts),
    (r"(?P<n>\d+) submission\(s\) without an instance ID: they cannot be checked for duplicates", "no_instance",
     _counts),
    (r"columns that are not fields of (?P<form>\S+) ignored: (?P<columns>.*)", "not_fields", None),
    (r"(?P<source>.+): a repeat group of no form read here; ignored", "stray_repeat", None),
]]

# what an import did not use, and a large share of rejected rows (analysis/importer/cautions.py): a block of its own
TEXTS["es"].update({
    "unused": "columnas no usadas: {columns}",
    "unused_attributes": "columnas que ningún análisis usa, guardadas como atributos del estudiante: {columns}",
    "rejected_share": "aviso: se rechazaron {n} de {read} filas ({percent} %), más del {limit} %; revise las filas "
                      "rechazadas antes de usar estos datos",
})


def _share(params: dict[str, str], lang: str) -> dict[str, str]:
    return {k: integer(int(v), lang) if k in ("n", "read") else v for k, v in params.items()}


NOTES.extend((re.compile(p, re.S), k, w) for p, k, w in [
    (r"columns not used: (?P<columns>.*)", "unused", None),
    (r"columns not used by the analyses, kept as student attributes: (?P<columns>.*)", "unused_attributes", None),
    (r"warning: (?P<n>\d+) of (?P<read>\d+) rows \((?P<percent>\d+) %\) were rejected, more than (?P<limit>\d+) %; "
     r"read the rejected rows before using these data", "rejected_share", _share),
])


def note(text: object, lang: str) -> str:
    """One note of an import in ``lang``; in English as the importer wrote it."""
    text = str(text)
    if lang not in TEXTS:
        return text
    for pattern, key, words in NOTES:
        m = pattern.fullmatch(text.strip())
        if m:
            params = {k: v for k, v in m.groupdict().items() if v is not None}
            return _t(key, lang, **(words(params, lang) if words else params))
    return reasons.text("untranslated", lang, text=text)


_LAYOUTS = [(re.compile(p), k) for p, k in [
    (r"SIYA municipal indicator ya3-(?P<n>\S+) \(JSON\)", "siya_json"),
    (r"ICFES Saber 11 results by school and shift \((?P<year>\d{4}) layout\)", "saber11_school"),
    (r"mapping file \((?P<target>\w+)\)", "mapping"),
    (r"(?P<server>.+) export of (?P<form>\S+)", "records"), (r"boundaries: (?P<layouts>.*)", "boundaries"),
]]


def _boundary_layout(part: str, lang: str) -> str:
    m = re.fullmatch(r"(DANE MGN|MINFIN Guatemala) (municipalities|departments) (\(.*\))", part)
    if m is None:
        return part
    return _t(f"bnd.{'dane' if m[1] == 'DANE MGN' else 'minfin'}.{m[2]}", lang, keys=m[3])


def layout(description: object, code: object, lang: str) -> str:
    """A recognised layout's description in ``lang`` (the importer's own words in English)."""
    text = str(description)
    if lang not in TEXTS:
        return text
    for pattern, key in _LAYOUTS:
        m = pattern.fullmatch(text)
        if m:
            params = m.groupdict()
            if "layouts" in params:
                params["layouts"] = "; ".join(_boundary_layout(part, lang) for part in params["layouts"].split("; "))
            if "target" in params:
                params["target"] = TEXTS[lang].get(f"target.{params['target']}", params["target"])
            return _t(f"lay.{key}", lang, **params)
    key = f"lay.{code}"
    return _t(key, lang) if key in TEXTS[lang] and "{" not in TEXTS[lang][key] else reasons.text(
        "untranslated", lang, text=text)


def conflict_table(frame, lang: str) -> str:
    """The first differing values of a refused import as a text table (stderr); Spanish column names, indicators by
    their labels, numbers with a decimal comma and an empty cell as '—'."""
    frame = frame.head(20)
    if lang not in TEXTS:
        return frame.to_string(index=False)
    names = reasons.Speaker(lang).names
    out = frame.astype(object).where(frame.notna(), "—")
    if "indicator" in out:
        out["indicator"] = [names.get(c, c) for c in out["indicator"]]
    for col in ("old_value", "new_value"):
        if col in out:
            out[col] = [v if v == "—" else f"{float(v):g}".replace(".", ",") for v in out[col]]
    for col in ("year", "old_start_year", "start_year"):
        if col in out:
            out[col] = [v if v == "—" else f"{int(float(v))}" for v in out[col]]
    for col in ("wave", "level"):
        if col in out:
            out[col] = [TEXTS[lang].get(f"{col}.{v}", v) for v in out[col]]
    out = out.rename(columns={c: TEXTS[lang][f"col.{c}"] for c in out.columns if f"col.{c}" in TEXTS[lang]})
    return out.to_string(index=False)


def reading(text: str, lang: str) -> str:
    """How a file was read ('read as text, encoding utf-8, delimiter ',', 5 column(s)': analysis/importer/readers.py
    reading) in ``lang``."""
    m = re.fullmatch(r"read as (?P<format>\w+)(?:, encoding (?P<encoding>\S+))?(?:, delimiter (?P<delimiter>'.*'))?"
                     r", (?P<n>\d+) column\(s\)", text)
    if lang not in TEXTS or m is None:
        return text
    parts = [_t("read.text", lang) if m["format"] == "text" else m["format"]]
    parts += [_t(f"read.{k}", lang, **{k: m[k]}) for k in ("encoding", "delimiter") if m[k]]
    return _t("read.as", lang, parts=", ".join([*parts, _t("read.columns", lang, n=integer(int(m["n"]), lang))]))


def _decimal(value: str, lang: str) -> str:
    return value.replace(".", ",") if lang == "es" and re.fullmatch(r"-?\d+\.\d+", value) else value


# a suggested mapping's comments (analysis/importer/recognise.py not_recognised, suggest.py suggest_mapping)
_TOML: list[tuple[re.Pattern[str], Callable[[re.Match[str], str], str]]] = [(re.compile(p), f) for p, f in [
    (r"# any ISO 3166-1 code: CO, GT, CL, PE, \.\.\.", lambda m, lang: _t("toml.country", lang)),
    (r"# ISO 3166-1 code: CO, GT, CL, PE, \.\.\.", lambda m, lang: _t("toml.iso", lang)),
    (r"# school \| municipality \| department", lambda m, lang: _t("toml.unit_type", lang)),
    (r'# or "ignore"$', lambda m, lang: _t("toml.ignore", lang)),
    (r'"CHOOSE_A_CODE"', lambda m, lang: f'"{_t("toml.choose", lang)}"'),
    (r'"FILL_IN"', lambda m, lang: f'"{_t("toml.fill", lang)}"'),
    (r"# Mapping suggested by LabLens for (.+) \((read as .*)\)\.$",
     lambda m, lang: _t("toml.head", lang, name=m[1], reading=reading(m[2], lang))),
    (r"# Replace each (\S+) with an indicator code \(python -m analysis indicators lists them; a new\n# code needs "
     r"an \[indicators\.CODE\] table, see the end\) or set the column to \"ignore\"\.",
     lambda m, lang: _t("toml.fill_in", lang, fill=_t("toml.fill", lang) if m[1] == "FILL_IN" else m[1])),
    (r"# the file has no year column: write the year, e\.g\. 2024", lambda m, lang: _t("toml.no_year", lang)),
    (r"# numbers (\S+) to (\S+)$", lambda m, lang: _t("toml.numbers", lang, low=_decimal(m[1], lang),
                                                        high=_decimal(m[2], lang))),
    (r"# names or contacts a person: never stored", lambda m, lang: _t("toml.personal", lang)),
    (r"# text, kept as an attribute", lambda m, lang: _t("toml.attribute", lang)),
    (r"# a new indicator, when no catalogue code fits", lambda m, lang: _t("toml.new_indicator", lang)),
]]


def suggestion(text: str, lang: str) -> str:
    """A suggested mapping file (TOML) with its comments in ``lang``; its keys and values stay the codes a mapping
    file is written in."""
    if lang not in TEXTS:
        return text
    for pattern, words in _TOML:
        text = pattern.sub(lambda m, words=words: words(m, lang), text) if r"\n" in pattern.pattern else "\n".join(
            pattern.sub(lambda m, words=words: words(m, lang), line) for line in text.split("\n"))
    return text


def summary_lines(s: dict, lang: str) -> str:
    """The lines `python -m analysis import` prints for one import's summary, in ``lang``."""
    if lang not in TEXTS:
        return _english(s)
    n = lambda value: integer(value, lang)  # noqa: E731
    names = reasons.Speaker(lang).names
    status = s.get("status")
    import_id = "—" if s.get("import_id") is None else s["import_id"]
    code = s.get("recognized_as")
    said_layout = layout(s.get("layout"), code, lang)
    lines = [_t("head", lang, source=s["source_name"], import_id=import_id,
                status=TEXTS[lang].get(f"status.{status}", status)),
             _t("recognised", lang, layout=said_layout)
             # the layout's code as secondary detail, unless it is already there or an English word (mapping)
             + (f" ({code})" if code and code != "mapping" and code not in said_layout else ""),
             _t("rows", lang, read=n(s.get("rows_read")), loaded=n(s.get("rows_loaded")),
                rejected=n(s.get("rows_rejected")))
             + (_t("rows_other_sitting", lang, n=n(s["rows_other_sitting"])) if s.get("rows_other_sitting") else "")
             + (_t("rows_totals", lang, n=n(s["rows_excluded_totals"])) if s.get("rows_excluded_totals") else "")
             + (_t("values_in_loaded", lang, n=n(s["values_rejected_in_loaded_rows"]))
                if s.get("values_rejected_in_loaded_rows") else "")]
    if "observations" in s:
        lines.append(_t("observations", lang, n=n(s.get("observations_loaded", s["observations"])),
                        duplicates=n(s.get("duplicates_skipped", 0)), conflicts=n(s.get("conflicts", 0))))
        lines.append(_t("indicators", lang, indicators=", ".join(names.get(c, c) for c in s.get("indicators", []))
                        or "—"))
        years = s.get("years") or []
        lines.append(_t("years", lang, first=years[0], last=years[-1], n=len(years)) if years
                     else _t("no_years", lang))
        if s.get("waves"):
            lines.append(_t("waves", lang, students=n(s.get("students")),
                            waves=", ".join(TEXTS[lang].get(f"wave.{w}", w) for w in s["waves"])))
    if "records_loaded" in s:
        lines.append(_t("records", lang, target=TEXTS[lang].get(f"target.{s['target']}", s["target"]),
                        n=n(s["records_loaded"]), duplicates=n(s.get("duplicates_skipped", 0)),
                        rejected=n(s.get("values_rejected", 0))))
    if "assignments" in s:
        lines.append(_t("assignments", lang, n=n(s["assignments"]), programs=", ".join(s.get("programs", []))))
    if s.get("units_in_file") is not None:  # a boundary file has territories, not units
        lines.append(_t("units", lang, n=n(s["units_in_file"])))
        if s.get("territories_of_units"):
            lines.append(_t("territories", lang, n=n(s["territories_of_units"])))
    lines.extend(_t("note", lang, note=note(text, lang)) for text in s.get("notes", []))
    if s.get("rows_rejected") or s.get("values_rejected_in_loaded_rows"):
        lines.append(_t("rejected_rows", lang, import_id=s.get("import_id")))
    return "\n".join(lines)


def _english(s: dict) -> str:
    """The summary as the command line has always printed it (scripts read these lines)."""
    lines = [f"{s['source_name']}: {s.get('status')} (import {s.get('import_id')})",
             f"  recognised as: {s.get('recognized_as')} — {s.get('layout')}",
             f"  rows read {s.get('rows_read')}, loaded {s.get('rows_loaded')}, rejected whole {s.get('rows_rejected')}"
             + (f" ({s['rows_other_sitting']} of them another sitting of the same year)"
                if s.get("rows_other_sitting") else "")
             + (f", total rows kept out {s['rows_excluded_totals']}" if s.get("rows_excluded_totals") else "")
             + (f"; also {s['values_rejected_in_loaded_rows']} value(s) rejected in loaded rows"
                if s.get("values_rejected_in_loaded_rows") else "")]
    if "observations" in s:
        lines.append(f"  observations {s.get('observations_loaded', s['observations'])}, duplicates skipped "
                     f"{s.get('duplicates_skipped', 0)}, conflicts {s.get('conflicts', 0)}")
        lines.append(f"  indicators: {', '.join(s.get('indicators', [])) or '-'}")
        years = s.get("years") or []
        lines.append(f"  years: {years[0]}–{years[-1]} ({len(years)})" if years else "  years: -")
        if s.get("waves"):
            lines.append(f"  waves: {', '.join(s['waves'])}; students {s.get('students')}")
    if "records_loaded" in s:  # a lab log, training or governance export (analysis/importer/records.py)
        lines.append(f"  {s['target']}: records {s['records_loaded']}, submissions skipped as duplicates "
                     f"{s.get('duplicates_skipped', 0)}, values rejected {s.get('values_rejected', 0)}")
    if "assignments" in s:
        lines.append(f"  assignments {s['assignments']}: {', '.join(s.get('programs', []))}")
    lines.append(f"  units in file: {s.get('units_in_file')}")
    if s.get("territories_of_units"):
        lines.append(f"  territories these units are in (municipalities, departments): {s['territories_of_units']}")
    for text in s.get("notes", []):
        lines.append(f"  note: {text}")
    if s.get("rows_rejected") or s.get("values_rejected_in_loaded_rows"):
        lines.append(f"  rejected rows: python -m analysis rejects {s.get('import_id')} --out rejects.csv")
    return "\n".join(lines)
