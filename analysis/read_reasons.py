"""Why a file could not be read, placed or mapped, said in Spanish or English: the reasons of
analysis/importer/readers.py, location.py (codes damaged by a spreadsheet, a department that contradicts the
municipality), mapping.py (a mapping file that cannot be used), layouts.py (a file recognised but missing its year
or indicator), staging.py, boundaries.py, and an export of the field forms (analysis/forms/odk.py, tables.py).

Part of the one catalogue of reasons (analysis/reasons.py merges these texts and shapes into its own, so
``say`` knows them; analysis/import_text.py reads the boundary reasons from here); kept apart only so that no
module passes 600 lines. The English texts say what the importer says; the technical detail a library adds (a
decoder's or a parser's message) is quoted as such.
"""

from __future__ import annotations

import re
from collections.abc import Callable

TEXTS: dict[str, dict[str, str]] = {
    "es": {
        "read.not_found": "no se encontró el archivo", "read.empty": "el archivo está vacío",
        "read.xls": "los archivos .xls del Excel antiguo no se pueden leer; guárdelo como .xlsx o CSV",
        "read.no_rows": "el archivo no tiene filas de datos",
        "read.nul": "el archivo contiene bytes NUL; no es una tabla de texto",
        "read.decode": "no se puede leer el texto con la codificación {encoding}",
        "read.mixed": "el archivo empieza en UTF-8 pero trae bytes de otra codificación; guárdelo de nuevo en UTF-8",
        "read.parse": "no se puede leer como texto delimitado",
        "read.columns": "{n} columnas; LabLens lee como máximo {limit}",
        "read.encoding": "codificación desconocida «{encoding}» (p. ej., UTF-8, ISO-8859-1, Windows-1252)",
        "read.delimiter": "el separador {delimiter} debe tener de 1 a 5 caracteres (p. ej., ';', '¬', 'TAB|TAB')",
        "read.expands": "el libro ocupa {gb} GB al descomprimirse; se rechaza",
        "read.zip": "es un archivo zip pero no un libro de Excel",
        "read.damaged_zip": "no es un archivo .xlsx válido (zip dañado)",
        "read.workbook": "no se puede abrir el libro",
        "read.no_sheet": "el libro no tiene ninguna hoja con filas de datos",
        "read.parquet": "no es un archivo Parquet legible", "read.json": "no es un JSON válido",
        "read.json_shape": "el JSON debe ser una lista de registros o un objeto año -> [[código, valor], ...]",
        "read.detail": "{said} (detalle técnico: «{detail}»)",
        "read.damaged_codes": "los códigos de las unidades{column} fueron dañados por una hoja de cálculo: {n} "
                              "código(s) como {shown} se reescribieron en notación científica y perdieron sus últimas "
                              "cifras, que no se pueden recuperar. Descargue de nuevo el archivo original e impórtelo "
                              "sin abrirlo ni guardarlo en Excel (o dé formato de texto a la columna de códigos antes "
                              "de guardar)",
        "read.in_column": " de la columna {column}",
        "read.department_conflict": "{n} escuela(s) tienen un departamento (columna {department}) que no es el de "
                                    "su municipio (columna {municipality}), p. ej., {code}: departamento {dept}, "
                                    "municipio {muni}. LabLens no deja que uno reemplace al otro: corrija el "
                                    "archivo, o asigne una de las dos columnas como «ignore»",
        "bnd.no_feature": "no se pudo usar ningún elemento ({reason})", "bnd.no_features": "no tiene elementos",
        "bnd.no_property": "ninguna propiedad identifica el territorio (se espera MPIO_CCNCT, DPTO_CCDGO, id + "
                           "id_depto, unit_id, o country + unit_type + code); trae: {found}",
        "bnd.not_territory": "no es un código de territorio", "bnd.no_geometry": "el elemento no tiene geometría",
        "bnd.duplicate": "repite el elemento {n}",
        "bnd.not_municipality": "no es un código de municipio (departamento × 100 + municipio)",
        "bnd.not_department": "no es un código de departamento (departamento × 100)",
        "bnd.lablens": "country debe ser un código de país ISO 3166-1 (CO, GT, CL, …) y unit_type, «department» o "
                       "«municipality»",
        "bnd.no_usable": "ningún elemento utilizable",
        "bnd.not_object": "un archivo de límites es un objeto GeoJSON o TopoJSON",
        "bnd.too_large": "ocupa {mb} MB; los archivos de límites admiten como máximo {limit} MB (simplifíquelo, "
                         "p. ej., con mapshaper)",
        "read.json_entry": "el año {year} trae una entrada que no es [código, valor]",
        "read.not_staged": "no se pudo preparar para cargar",
        "lay.siya_name": "un archivo JSON año -> [código, valor], pero su nombre no dice qué indicador trae (los "
                         "archivos del SIYA se llaman ya3-1 … ya3-12)",
        "lay.saber11_no_year": "resultados del Saber 11 por establecimiento, pero el año no está ni en una columna ni "
                               "en el nombre del archivo",
        "lay.saber11_territory_no_year": "resultados del Saber 11 por territorio, pero el nombre del archivo no trae "
                                         "el año",
        "map.unknown_codes": "códigos de indicador desconocidos: {codes}; defínalos en la tabla [indicators] del "
                             "archivo de asignación",
        # an export of the field forms (analysis/forms/odk.py, tables.py; analysis/importer/form_exports.py, records.py)
        "form.not_kit": "no es una exportación de los formularios de campo de LabLens",
        "form.several": "filas de varios formularios en una misma tabla ({forms})",
        "form.unknown": "el formulario «{form}» no es uno de los de LabLens ({forms})",
        "form.no_main": "no hay tabla de envíos (solo grupos repetidos)",
        "form.not_students": "{form} trae registros por escuela, no filas de estudiantes",
        "form.not_records": "{form} no es un formulario de registros por escuela",
        "form.no_csv": "el archivo comprimido no trae ningún CSV",
        "form.damaged": "un ZIP o un libro de Excel dañado",
        "form.expands": "el archivo comprimido ocupa más de {mb} MB al descomprimirse",
        "form.not_student_file": "la exportación del formulario no se pudo leer como archivo de estudiantes",
        "form.participants": "los docentes de una sesión de formación están en su grupo repetido «participants», que "
                             "este archivo no trae: importe el .zip de ODK Central, o el XLS de KoboToolbox con su "
                             "hoja «participants»",
        "bnd.not_json": "no es un JSON válido", "read.cannot_read": "no se puede leer",
        "bnd.no_arcs": "el TopoJSON no tiene la lista «arcs» (los trazos de sus geometrías)",
        "bnd.geometry_type": "el TopoJSON tiene una geometría de tipo desconocido «{kind}»",
        "bnd.malformed": "una geometría del TopoJSON está mal formada",
        "bnd.expected": "se esperaba una FeatureCollection de GeoJSON o una Topology de TopoJSON, no el tipo «{kind}»",
        # a mapping file that cannot be used (analysis/importer/mapping.py)
        "map.read": "no se puede leer el archivo de asignación {path}",
        "map.toml": "el archivo de asignación {path} no es un TOML válido",
        "map.no_columns": "el archivo de asignación {path} necesita una tabla [columns]",
        "map.code": "el código de indicador «{code}» solo puede tener minúsculas, cifras y _",
        "map.exists": "el indicador «{code}» ya existe en el catálogo; úselo sin definirlo de nuevo",
        "map.fields": "indicador «{code}»: campo(s) desconocido(s): {fields}",
        "map.domain": "indicador «{code}»: domain debe ser uno de {domains} y kind uno de {kinds}",
        "map.target": "source.target debe ser «observations», «roster» o «units»",
        "map.country": "source.country «{country}» no es un código de país ISO 3166-1 (p. ej., CO, GT, CL, PE)",
        "map.decimal": "source.decimal debe ser \",\" o \".\"",
        "map.unit_type": "source.unit_type debe ser «school», «municipality» o «department»",
        "map.year": "source.year debe ser un año, como 2024",
        "map.indicator": "columna «{header}»: indicador desconocido «{indicator}» (defínalo en [indicators.CODE] o use "
                         "un código del catálogo)",
        "map.level": "{where}el nivel debe ser uno de {levels}", "map.where": "columna «{header}»: ",
        "map.both": "las columnas «{a}» ({ra}) y «{b}» ({rb}) dan ambas {what}; LabLens nunca deja que una reemplace "
                    "a la otra: asigne una y ponga la otra en «ignore»",
        "map.role": "columna «{header}»: rol desconocido «{role}»{roles}",
        "map.roles": " (uno de {roles}, attribute, ignore o {{ indicator = ... }})",
        "map.source_and_column": "source.{key} = {value} y la columna «{column}» dan ambas {what}; conserve solo "
                                 "uno",
        "map.level_twice": "la columna «{a}» da el nivel y la columna «{b}» fija uno ({{ indicator = ..., level = ... "
                           "}}); conserve solo uno",
    },
    "en": {
        "read.not_found": "file not found", "read.empty": "the file is empty",
        "read.xls": "old Excel .xls files are not supported; save it as .xlsx or CSV",
        "read.no_rows": "the file has no data rows", "read.nul": "the file contains NUL bytes; it is not a text table",
        "read.decode": "cannot decode the text as {encoding}",
        "read.mixed": "the file starts as UTF-8 but holds bytes of another encoding; save it again as UTF-8",
        "read.parse": "cannot parse as delimited text", "read.columns": "{n} columns; LabLens reads at most {limit}",
        "read.encoding": "unknown encoding '{encoding}' (e.g. UTF-8, ISO-8859-1, Windows-1252)",
        "read.delimiter": "delimiter {delimiter} must be 1 to 5 characters (e.g. ';', '¬', 'TAB|TAB')",
        "read.expands": "the workbook expands to {gb} GB; refused", "read.zip": "a zip file but not an Excel workbook",
        "read.damaged_zip": "not a valid .xlsx file (damaged zip)", "read.workbook": "cannot open the workbook",
        "read.no_sheet": "the workbook has no sheet with data rows", "read.parquet": "not a readable Parquet file",
        "read.json": "not valid JSON",
        "read.json_shape": "JSON must be a list of records or an object of year -> [[code, value], ...]",
        "read.detail": "{said} ({detail})",
        "read.damaged_codes": "the unit codes{column} were damaged by a spreadsheet: {n} code(s) such as {shown} were "
                              "rewritten in scientific notation and lost their last digits, which cannot be recovered. "
                              "Download the original file again and import it without opening and saving it in Excel "
                              "(or format the code column as text before saving)",
        "read.in_column": " in column {column}",
        "read.department_conflict": "{n} school(s) have a department (column {department}) that is not the department "
                                    "of their municipality (column {municipality}), e.g. {code}: department {dept}, "
                                    "municipality {muni}. LabLens does not let one overwrite the other: correct the "
                                    "file, or map one of the two columns as \"ignore\"",
        "bnd.no_feature": "no feature could be used ({reason})", "bnd.no_features": "has no features",
        "bnd.no_property": "no property identifies the territory (expected MPIO_CCNCT, DPTO_CCDGO, id + id_depto, "
                           "unit_id, or country + unit_type + code); found: {found}",
        "bnd.not_territory": "not a territory code", "bnd.no_geometry": "the feature has no geometry",
        "bnd.duplicate": "duplicate of feature {n}",
        "bnd.not_municipality": "not a municipality code (department x 100 + municipality)",
        "bnd.not_department": "not a department code (department x 100)",
        "bnd.lablens": "country must be an ISO 3166-1 code (CO, GT, CL, ...) and unit_type department or municipality",
        "bnd.no_usable": "no usable feature",
        "bnd.not_object": "a boundary file is a GeoJSON or TopoJSON object",
        "bnd.too_large": "is {mb} MB; boundary files are limited to {limit} MB (simplify it, e.g. with mapshaper)",
        "read.json_entry": "year {year} holds an entry that is not [code, value]",
        "read.not_staged": "could not be staged",
        "lay.siya_name": "a year -> [code, value] JSON file, but its name does not say which indicator it holds (SIYA "
                         "files are named ya3-1 .. ya3-12)",
        "lay.saber11_no_year": "Saber 11 school results, but the year is in neither a column nor the file name",
        "lay.saber11_territory_no_year": "Saber 11 results by territory, but the file name has no year",
        "map.unknown_codes": "unknown indicator code(s) {codes}; define them in the mapping file's [indicators] table",
        "form.not_kit": "not an export of LabLens' field forms",
        "form.several": "rows of several forms in one table ({forms})",
        "form.unknown": "form '{form}' is not one of LabLens' forms ({forms})",
        "form.no_main": "no submissions table found (only repeat groups)",
        "form.not_students": "{form} holds per-school records, not student rows",
        "form.not_records": "{form} is not a per-school records form",
        "form.no_csv": "the archive holds no CSV file", "form.damaged": "a damaged ZIP or workbook",
        "form.expands": "the archive expands beyond {mb} MB",
        "form.not_student_file": "the form export could not be read as a student file",
        "form.participants": "the teachers of a training session are in its repeat group 'participants', which this "
                             "file does not hold: import ODK Central's .zip, or KoboToolbox's XLS with its "
                             "'participants' sheet",
        "bnd.not_json": "is not valid JSON", "read.cannot_read": "cannot be read",
        "bnd.no_arcs": "the TopoJSON has no 'arcs' list",
        "bnd.geometry_type": "unknown TopoJSON geometry type '{kind}'",
        "bnd.malformed": "the TopoJSON geometry is malformed",
        "bnd.expected": "expected a GeoJSON FeatureCollection or a TopoJSON Topology, found type '{kind}'",
        "map.read": "cannot read mapping file {path}", "map.toml": "mapping file {path} is not valid TOML",
        "map.no_columns": "mapping file {path} needs a [columns] table",
        "map.code": "indicator code '{code}' must be lower-case letters, digits and _",
        "map.exists": "indicator '{code}' already exists in the catalogue; use it without redefining",
        "map.fields": "indicator '{code}': unknown field(s) {fields}",
        "map.domain": "indicator '{code}': domain must be one of {domains} and kind one of {kinds}",
        "map.target": "source.target must be observations, roster or units",
        "map.country": "source.country '{country}' is not an ISO 3166-1 country code (e.g. CO, GT, CL, PE)",
        "map.decimal": "source.decimal must be \",\" or \".\"",
        "map.unit_type": "source.unit_type must be school, municipality or department",
        "map.year": "source.year must be a year such as 2024",
        "map.indicator": "column '{header}': unknown indicator '{indicator}' (define it under [indicators.CODE] or use "
                         "a catalogue code)",
        "map.level": "{where}level must be one of {levels}", "map.where": "column '{header}': ",
        "map.both": "columns '{a}' ({ra}) and '{b}' ({rb}) both give the {what}; LabLens never lets one overwrite the "
                    "other: map one of them and set the other to \"ignore\"",
        "map.role": "column '{header}': unknown role '{role}'{roles}",
        "map.roles": " (one of {roles}, attribute, ignore, or {{ indicator = ... }})",
        "map.source_and_column": "source.{key} = {value} and column '{column}' both give the {what}; keep one of "
                                 "them",
        "map.level_twice": "column '{a}' gives the level and column '{b}' fixes one ({{ indicator = ..., level = ... "
                           "}}); keep one of them",
    },
}

#: a boundary feature's reject reason (analysis/importer/boundaries.py stage_boundaries)
BOUNDARY: list[tuple[re.Pattern[str], str]] = [(re.compile(p), k) for p, k in [
    (r"no property identifies the territory \(expected [^)]*\); found: (?P<found>.*)", "bnd.no_property"),
    (r"not a territory code", "bnd.not_territory"), (r"the feature has no geometry", "bnd.no_geometry"),
    (r"duplicate of feature (?P<n>\d+)", "bnd.duplicate"),
    (r"not a municipality code \(department x 100 \+ municipality\)", "bnd.not_municipality"),
    (r"not a department code \(department x 100\)", "bnd.not_department"),
    (r"country must be an ISO 3166-1 code \(CO, GT, CL, \.\.\.\) and unit_type department or municipality",
     "bnd.lablens"),
    (r"no usable feature", "bnd.no_usable"),
]]

#: what two columns (or a column and the mapping's [source]) both give, in Spanish
WHAT_ES = {"unit": "la unidad", "year": "el año", "wave": "el momento", "country": "el país", "level": "el nivel",
           "unit_type": "el tipo de unidad", "municipality": "el municipio", "department": "el departamento"}

#: (English shape, key): a whole reason, after the file's name ("name: ") that the importer puts first
PATTERNS: list[tuple[re.Pattern[str], str]] = [(re.compile(p, re.S), k) for p, k in [
    (r"file not found", "read.not_found"), (r"the file is empty", "read.empty"),
    (r"old Excel \.xls files are not supported; save it as \.xlsx or CSV", "read.xls"),
    (r"the file has no data rows", "read.no_rows"),
    (r"the file contains NUL bytes; it is not a text table", "read.nul"),
    (r"cannot decode the text as (?P<encoding>\S+): (?P<detail>.+)", "read.decode"),
    (r"the file starts as UTF-8 but holds bytes of another encoding \((?P<detail>.+)\); save it again as UTF-8",
     "read.mixed"),
    (r"cannot parse as delimited text: (?P<detail>.+)", "read.parse"),
    (r"(?P<n>\d+) columns; LabLens reads at most (?P<limit>\d+)", "read.columns"),
    (r"unknown encoding '(?P<encoding>.*)' \(e\.g\. UTF-8, ISO-8859-1, Windows-1252\)", "read.encoding"),
    (r"delimiter (?P<delimiter>'.*') must be 1 to 5 characters .*", "read.delimiter"),
    (r"the workbook expands to (?P<gb>[\d.]+) GB; refused", "read.expands"),
    (r"a zip file but not an Excel workbook", "read.zip"),
    (r"not a valid \.xlsx file \(damaged zip\)", "read.damaged_zip"),
    (r"cannot (?:open|read) the workbook: (?P<detail>.+)", "read.workbook"),
    (r"the workbook has no sheet with data rows", "read.no_sheet"),
    (r"not a readable Parquet file: (?P<detail>.+)", "read.parquet"),
    (r"not valid JSON \((?P<detail>.+)\)", "read.json"),
    (r"JSON must be a list of records or an object of year -> \[\[code, value\], \.\.\.\]", "read.json_shape"),
    (r"the unit codes(?: in column (?P<column>.+?))? were damaged by a spreadsheet: (?P<n>\d+) code\(s\) such as "
     r"(?P<shown>.+) were rewritten in scientific notation .*", "read.damaged_codes"),
    (r"(?P<n>\d+) school\(s\) have a department \(column (?P<department>.+?)\) that is not the department of their "
     r"municipality \(column (?P<municipality>.+?)\), e\.g\. (?P<code>\S+): department (?P<dept>\S+), municipality "
     r"(?P<muni>\S+)\. LabLens does not let one overwrite the other.*", "read.department_conflict"),
    (r"no feature could be used \((?P<reason>.+)\)", "bnd.no_feature"),
    (r"a boundary file is a GeoJSON or TopoJSON object", "bnd.not_object"),
    (r"the TopoJSON has no 'arcs' list", "bnd.no_arcs"),
    (r"year (?P<year>.+) holds an entry that is not \[code, value\]", "read.json_entry"),
    (r"could not be staged: (?P<detail>.+)", "read.not_staged"),
    (r"a year -> \[code, value\] JSON file, but its name does not say which indicator it holds \(SIYA files are "
     r"named ya3-1 \.\. ya3-12\)", "lay.siya_name"),
    (r"Saber 11 school results, but the year is in neither a column nor the file name", "lay.saber11_no_year"),
    (r"Saber 11 results by territory, but the file name has no year", "lay.saber11_territory_no_year"),
    (r"unknown indicator code\(s\) (?P<codes>.+); define them in the mapping file's \[indicators\] table",
     "map.unknown_codes"),
    (r"not an export of LabLens' field forms", "form.not_kit"),
    (r"rows of several forms in one table \((?P<forms>.+)\)", "form.several"),
    (r"form '(?P<form>.*)' is not one of LabLens' forms \((?P<forms>.+)\)", "form.unknown"),
    (r"no submissions table found \(only repeat groups\)", "form.no_main"),
    (r"(?P<form>\w+) holds per-school records, not student rows", "form.not_students"),
    (r"(?P<form>\w+) is not a per-school records form", "form.not_records"),
    (r"the archive holds no CSV file", "form.no_csv"), (r"a damaged ZIP or workbook", "form.damaged"),
    (r"the archive expands beyond (?P<mb>\d+) MB", "form.expands"),
    (r"the form export could not be read as a student file", "form.not_student_file"),
    (r"the teachers of a training session are in its repeat group 'participants', which this file does not hold: "
     r".*", "form.participants"),
    (r"unknown TopoJSON geometry type '(?P<kind>.*)'", "bnd.geometry_type"),
    (r"the TopoJSON geometry is malformed \((?P<detail>.+)\)", "bnd.malformed"),
    (r"expected a GeoJSON FeatureCollection or a TopoJSON Topology, found type '(?P<kind>.*)'", "bnd.expected"),
    (r"cannot read mapping file (?P<path>.+?): (?P<detail>.+)", "map.read"),
    (r"mapping file (?P<path>.+?) is not valid TOML: (?P<detail>.+)", "map.toml"),
    (r"mapping file (?P<path>.+?) needs a \[columns\] table", "map.no_columns"),
    (r"indicator code '(?P<code>.*)' must be lower-case letters, digits and _", "map.code"),
    (r"indicator '(?P<code>.*)' already exists in the catalogue; use it without redefining", "map.exists"),
    (r"indicator '(?P<code>.*)': unknown field\(s\) (?P<fields>.+)", "map.fields"),
    (r"indicator '(?P<code>.*)': domain must be one of (?P<domains>\[.*\]) and kind one of (?P<kinds>\[.*\])",
     "map.domain"),
    (r"source\.target must be observations, roster or units", "map.target"),
    (r"source\.country '(?P<country>.*)' is not an ISO 3166-1 country code \(e\.g\. CO, GT, CL, PE\)", "map.country"),
    (r'source\.decimal must be "," or "\."', "map.decimal"),
    (r"source\.unit_type must be school, municipality or department", "map.unit_type"),
    (r"source\.year must be a year such as 2024", "map.year"),
    (r"column '(?P<header>.*)': unknown indicator '(?P<indicator>.*)' \(define it under .*", "map.indicator"),
    (r"(?:column '(?P<header>.*)': )?level must be one of (?P<levels>.+)", "map.level"),
    (r"columns '(?P<a>.*)' \((?P<ra>\w+)\) and '(?P<b>.*)' \((?P<rb>\w+)\) both give the (?P<what>\w+); LabLens never "
     r"lets one overwrite the other.*", "map.both"),
    (r"column '(?P<header>.*)': unknown role '(?P<role>.*?)'(?: \(one of (?P<roles>.+), attribute, ignore, or "
     r"\{\{? indicator = \.\.\. \}\}?\))?", "map.role"),
    (r"source\.(?P<key>\w+) = (?P<value>.+) and column '(?P<column>.*)' both give the (?P=key); keep one of them",
     "map.source_and_column"),
    (r"column '(?P<a>.*)' gives the level and column '(?P<b>.*)' fixes one .*; keep one of them", "map.level_twice"),
]]
#: a boundary file's reasons that name the file without a colon
NAMED: list[tuple[re.Pattern[str], str]] = [(re.compile(p), k) for p, k in [
    (r"(?P<file>.+) has no features", "bnd.no_features"),
    (r"(?P<file>.+) is (?P<mb>\d+) MB; boundary files are limited to (?P<limit>\d+) MB \(simplify it, e\.g\. with "
     r"mapshaper\)", "bnd.too_large"),
    (r"(?P<file>.+?) is not valid JSON: (?P<detail>.+)", "bnd.not_json"),
    (r"cannot read (?P<file>.+?): (?P<detail>.+)", "read.cannot_read"),
]]


def boundary_reason(text: str, lang: str) -> str | None:
    """A boundary feature's reject reason in ``lang``, None when no shape knows it."""
    for pattern, key in BOUNDARY:
        m = pattern.fullmatch(text)
        if m:
            return TEXTS[lang][key].format(**m.groupdict())
    return None


def say(text: str, lang: str, escape: Callable[[str], str]) -> str | None:
    """One reason of this module in ``lang`` (parts made literal by ``escape``), None when no shape knows it."""
    texts = TEXTS[lang]
    for pattern, key in PATTERNS:
        m = pattern.fullmatch(text)
        if m is None:
            continue
        params = {k: escape(v) for k, v in m.groupdict().items() if v is not None and k != "detail"}
        if key == "read.damaged_codes":
            params["column"] = texts["read.in_column"].format(column=params["column"]) if "column" in params else ""
        if key in ("map.both", "map.source_and_column"):
            what = m["what"] if key == "map.both" else m["key"]
            params["what"] = WHAT_ES.get(what, escape(what)) if lang == "es" else escape(what)
        if key == "map.level":
            params["where"] = texts["map.where"].format(header=params.pop("header")) if "header" in params else ""
        if key == "map.role":
            params["roles"] = texts["map.roles"].format(roles=params["roles"]) if "roles" in params else ""
        if key == "bnd.no_feature":
            params["reason"] = boundary_reason(m["reason"], lang) or params["reason"]
        said = texts[key].format(**params)
        detail = m.groupdict().get("detail")
        return texts["read.detail"].format(said=said, detail=escape(detail)) if detail else said
    for pattern, key in NAMED:
        m = pattern.fullmatch(text)
        if m:
            params = {k: escape(v) for k, v in m.groupdict().items() if k not in ("file", "detail")}
            said = f"{escape(m['file'])} {texts[key].format(**params)}"
            detail = m.groupdict().get("detail")
            return texts["read.detail"].format(said=said, detail=escape(detail)) if detail else said
    return None
