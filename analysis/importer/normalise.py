"""Normalisation of codes and categories, applied to the *distinct* raw values of a file.

Files hold millions of rows but only thousands of distinct unit codes and a handful of distinct
waves or sexes, so these rules are plain, testable Python applied to distinct values; the results
are joined back in DuckDB.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from analysis.catalog import (
    CO_DEPARTMENTS,
    GT_DEPARTMENTS,
    LEVELS,
    VALLE_MUNICIPALITIES,
    co_authority,
    countries,
    unit_id,
)

GT_SCHOOL = re.compile(r"^\d{2}-\d{2}-\d{4}-\d{2}$")
GT_MUNICIPALITY = re.compile(r"^\d{2}-\d{2}$")
# Guatemala's municipalities by department: 340 (INE; MINFIN's boundaries, data/geo/gt_municipalities.geojson),
# numbered 01..n within each department. MINEDUC's directory codes Ciudad Capital as department 00, its
# municipality part the city's zone (01-25).
GT_MUNICIPALITY_COUNT: dict[str, int] = {
    "00": 25, "01": 17, "02": 8, "03": 16, "04": 16, "05": 14, "06": 14, "07": 19, "08": 8, "09": 24, "10": 21,
    "11": 9, "12": 30, "13": 33, "14": 21, "15": 8, "16": 17, "17": 14, "18": 5, "19": 11, "20": 11, "21": 7,
    "22": 17}
TOTAL_NAMES = {"nacional", "total", "total nacional", "colombia", "guatemala total", "total general"}


def _fold(text: str | None) -> str:
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"\s+", " ", folded.strip().lower())


def slug(text: str | None) -> str:
    """Upper-case ASCII with single underscores: 'Mañana' -> 'MANANA'."""
    return re.sub(r"[^A-Z0-9]+", "_", _fold(text).upper()).strip("_")


def digits(text: str | None) -> str | None:
    """'05001', '5001', '5001.0', ' 5,001 ' -> '5001' (digits of a whole number), else None."""
    if text is None:
        return None
    if isinstance(text, str) and text.isdigit():  # the common case, same result as the rules below
        return text
    t = re.sub(r"[\s\u00a0']", "", str(text))
    t = re.sub(r"\.0+$", "", t)
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", t):
        t = re.sub(r"[.,]", "", t)
    return t if t.isdigit() else None


@functools.cache
def _country_names() -> dict[str, str]:
    """Folded alpha-2, alpha-3, English and Spanish names of every ISO 3166-1 country -> alpha-2."""
    names: dict[str, str] = {}
    for alpha2, (alpha3, name_en, name_es) in countries().items():
        for text in (alpha2, alpha3, name_en, name_es):
            if text:
                names.setdefault(_fold(text), alpha2)
    names.update({"peru": "PE", "mexico": "MX", "panama": "PA", "haiti": "HT", "belice": "BZ"})
    return names


def country_code(text: str | None) -> str | None:
    """'Colombia', 'CO', 'col' -> 'CO'; 'Chile', 'CHL', 'cl' -> 'CL': any ISO 3166-1 country, else None."""
    return _country_names().get(_fold(text))


UNIT_TYPES = {"school": "school", "escuela": "school", "establecimiento": "school", "colegio": "school",
              "sede": "school", "institucion": "school", "ie": "school",
              "municipality": "municipality", "municipio": "municipality", "mpio": "municipality",
              "department": "department", "departamento": "department", "depto": "department"}


def unit_type_code(text: str | None) -> str | None:
    """Spanish or English unit type -> school | municipality | department."""
    return UNIT_TYPES.get(_fold(text))


def infer_country(code: str) -> str | None:
    """MINEDUC codes have dashes (DD-MM-NNNN-NN); DANE codes are digits."""
    c = code.strip()
    if GT_SCHOOL.match(c) or GT_MUNICIPALITY.match(c):
        return "GT"
    if digits(c):
        return "CO"
    return None


def normalise_unit(raw_code: str | None, country: str | None, unit_type: str | None,
                   ) -> tuple[str | None, str | None, str | None, str | None]:
    """(code, country, unit_type, problem) for a raw unit code; problem 'total' marks total rows."""
    if raw_code is None or not str(raw_code).strip():
        return None, country, unit_type, "no unit code"
    raw = str(raw_code).strip()
    # every total name has letters: ASCII text without cased letters (a code) cannot fold to one
    if not (raw.isascii() and raw.upper() == raw.lower()) and _fold(raw) in TOTAL_NAMES:
        return None, country, unit_type, "total"
    country = country or infer_country(raw)
    if country is None:
        return None, None, unit_type, f"cannot tell the country of code '{raw}'; add a country column"
    if country == "CO":
        d = digits(raw)
        if d is None:
            if is_scientific(raw):
                return None, country, unit_type, f"'{raw}' is a code damaged by a spreadsheet (scientific notation)"
            return None, country, unit_type, f"'{raw}' is not a DANE code (digits only)"
        if int(d) == 0:
            return None, country, unit_type, "total"
        if unit_type is None:
            unit_type = "department" if len(d) <= 2 else "municipality" if len(d) <= 5 else "school"
        if unit_type == "department":
            if len(d) > 2:
                return None, country, unit_type, f"'{raw}' is not a DANE department code (2 digits)"
            code = d.zfill(2)
            if code not in CO_DEPARTMENTS:
                return None, country, unit_type, f"'{raw}' is not a Colombian department code"
            return code, country, unit_type, None
        if unit_type == "municipality":
            if len(d) > 5:
                return None, country, unit_type, f"'{raw}' is not a DANE municipality code (5 digits)"
            code = d.zfill(5)
            if code.endswith("000"):
                return None, country, unit_type, "total"
            if code[:2] not in CO_DEPARTMENTS:
                return None, country, unit_type, f"'{raw}' does not start with a department code"
            return code, country, unit_type, None
        # schools: DANE establishment codes have 12 digits (first digit: sector); keep as written
        code = d.zfill(12) if len(d) == 11 else d
        return code, country, "school", None
    if country == "GT":
        c = raw.upper()
        if unit_type is None:
            unit_type = ("school" if GT_SCHOOL.match(c) else "municipality" if GT_MUNICIPALITY.match(c)
                         else "department")
        if unit_type == "school" and not GT_SCHOOL.match(c):
            return None, country, unit_type, f"'{raw}' is not a MINEDUC school code (DD-MM-NNNN-NN)"
        if unit_type == "municipality" and not GT_MUNICIPALITY.match(c):
            return None, country, unit_type, f"'{raw}' is not a municipality code (DD-MM)"
        if unit_type == "department":
            d = digits(c)
            if d is None or d.zfill(2) not in GT_DEPARTMENTS:
                return None, country, unit_type, f"'{raw}' is not a Guatemalan department code (01-22)"
            c = d.zfill(2)
        else:
            problem = gt_territory_problem(c)
            if problem:
                return None, country, unit_type, problem
        return c, country, unit_type, None
    if country not in countries():
        return None, country, unit_type, f"'{country}' is not an ISO 3166-1 country code"
    # no code list shipped (Chile's RBD, Peru's código modular): kept as written
    if len(raw) > 40 or not raw.isprintable():
        return None, country, unit_type, f"'{raw[:40]}' is not a unit code (at most 40 printable characters)"
    return raw, country, unit_type or "school", None


def gt_territory_problem(code: str) -> str | None:
    """Why a MINEDUC code (DD-MM or DD-MM-NNNN-NN) names no Guatemalan territory, else None: its department is
    not one of the 22 (or 00, Ciudad Capital), or its municipality is not one of that department's."""
    dept, muni = code[:2], int(code[3:5])
    if dept not in GT_MUNICIPALITY_COUNT:
        return f"'{code}': department {dept} does not exist in Guatemala (01-22)"
    if not 1 <= muni <= GT_MUNICIPALITY_COUNT[dept]:
        return (f"'{code}': municipality {code[3:5]} does not exist in department {dept} of Guatemala "
                f"(01-{GT_MUNICIPALITY_COUNT[dept]:02d})")
    return None


def fold_name(text: str | None) -> str:
    """Accent-, case- and punctuation-insensitive name for matching places."""
    return re.sub(r"[^a-z0-9]+", " ", _fold(text)).strip()


_CO_DEPT_BY_NAME = {fold_name(v): k for k, v in CO_DEPARTMENTS.items()}
_CO_DEPT_BY_NAME.update({"bogota": "11", "bogota d c": "11", "valle": "76", "norte santander": "54",
                         "san andres": "88", "archipielago de san andres": "88", "guajira": "44"})
REFERENCE = Path(__file__).resolve().parent.parent / "reference" / "co_municipalities.csv"
_PARTICLES = {"de", "del", "la", "las", "los", "el", "y"}


def display_name(text: str) -> str:
    """'GUADALAJARA DE BUGA' -> 'Guadalajara de Buga' (names from upper-case official lists)."""
    words = text.lower().split()
    return " ".join(w if (i and w in _PARTICLES) else w.upper() if "." in w else w[:1].upper() + w[1:]
                    for i, w in enumerate(words))


def known_co_municipalities() -> dict[str, str]:
    """DIVIPOLA municipality code -> name (the shipped list plus Valle del Cauca's)."""
    return _co_municipalities()[0]


@functools.cache
def _co_municipalities() -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """DANE DIVIPOLA municipalities (1,122, MGN 2018): code -> name, (department, folded name) -> code."""
    names: dict[str, str] = {}
    by_name: dict[tuple[str, str], str] = {}
    with open(REFERENCE, encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            names[row["code"]] = display_name(row["name"])
            by_name[(row["department_code"], fold_name(row["name"]))] = row["code"]
    names.update(VALLE_MUNICIPALITIES)
    for code, name in VALLE_MUNICIPALITIES.items():
        by_name[("76", fold_name(name))] = code
    by_name.update({("76", "buga"): "76111", ("76", "calima el darien"): "76126", ("76", "darien"): "76126",
                    ("11", "bogota"): "11001", ("11", "bogota d c"): "11001"})
    return names, by_name


def co_municipality_name(code: str) -> str | None:
    """Official name of a Colombian municipality from its DANE code."""
    return _co_municipalities()[0].get(code)


def co_municipality_code(name: str | None, department_code: str | None) -> str | None:
    """DANE code from a municipality name within its department; tries 'COLON (GENOVA)' both ways."""
    if not name or not department_code:
        return None
    by_name = _co_municipalities()[1]
    folded = fold_name(name)
    candidates = [folded]
    m = re.match(r"^(.*?)\s*\((.*)\)\s*$", name)
    if m:
        candidates += [fold_name(m.group(1)), fold_name(m.group(2))]
    for candidate in candidates:
        code = by_name.get((department_code, candidate))
        if code:
            return code
    # Older files abbreviate or shorten names ('PTO', 'CUCUTA' for 'SAN JOSE DE CUCUTA', 'DOS QUEBRADAS'):
    # accept a single municipality of the department whose name contains the given one as whole words.
    same_dept = [(n, c) for (d, n), c in by_name.items() if d == department_code]
    for candidate in candidates:
        candidate = re.sub(r"\bpto\b", "puerto", candidate)
        squeezed = candidate.replace(" ", "")
        exact = {c for n, c in same_dept if n.replace(" ", "") == squeezed}
        if len(exact) == 1:
            return exact.pop()
        contained = {c for n, c in same_dept if f" {candidate} " in f" {n} "}
        if len(contained) == 1:
            return contained.pop()
    return None
_GT_DEPT_BY_NAME = {fold_name(v): k for k, v in GT_DEPARTMENTS.items()}
_GT_DEPT_BY_NAME.update({"ciudad capital": "01", "quiche": "14", "el quiche": "14", "peten": "17"})


def co_department_code(name: str | None) -> str | None:
    """Colombian department code from any of its usual spellings ('VALLE', 'Bogotá D.C.') or its DANE
    code ('5', '05')."""
    d = digits(name)
    if d is not None:
        return d.zfill(2) if d.zfill(2) in CO_DEPARTMENTS else None
    return _CO_DEPT_BY_NAME.get(fold_name(name))




def unit_rows(code: str, country: str, unit_type: str, name: str | None = None,
              department: str | None = None, municipality: str | None = None,
              authority: str | None = None, zone: str | None = None,
              parent_code: str | None = None) -> list[dict]:
    """The unit and its parents (department, municipality) as `units` rows, most specific first.

    Parent rows are shared between calls (treat every returned row as read-only)."""
    rows: list[dict] = []
    if country == "CO":
        if unit_type == "department":
            rows.append(_unit(country, "department", code, CO_DEPARTMENTS.get(code, name), None,
                              CO_DEPARTMENTS.get(code, name), None, None, None))
            return rows
        if unit_type == "municipality":
            dept = code[:2]
            muni_name = name or co_municipality_name(code)
            rows.append(_unit(country, "municipality", code, muni_name, unit_id(country, dept),
                              CO_DEPARTMENTS.get(dept), muni_name, co_etc(code, authority)[0], None))
            rows += _parent_rows(dept, country, "department")
            return rows
        place = place_co_school(code, parent_code, municipality, department)
        muni_code, dept_code = place.municipality, place.department
        dept_name = CO_DEPARTMENTS.get(dept_code) if dept_code else None
        muni_name = co_municipality_name(muni_code) if muni_code else None
        rows.append(_unit(country, "school", code, name,
                          unit_id(country, muni_code) if muni_code else
                          (unit_id(country, dept_code) if dept_code else None),
                          dept_name, muni_name, co_etc(muni_code, authority)[0], zone))
        if muni_code:
            rows += _parent_rows(muni_code, country, "municipality", name=muni_name)
        elif dept_code:
            rows += _parent_rows(dept_code, country, "department")
        return rows
    if country != "GT":  # no code list: the unit as stated, without parents
        rows.append(_unit(country, unit_type, code, name, None, department, municipality, authority, zone))
        return rows
    # Guatemala
    if unit_type == "department":
        rows.append(_unit(country, "department", code, GT_DEPARTMENTS.get(code, name), None,
                          GT_DEPARTMENTS.get(code, name), None, f"DIDEDUC {GT_DEPARTMENTS.get(code, name)}",
                          None))
        return rows
    dept = code[:2]
    if dept == "00":  # the directory's Ciudad Capital: part of department 01, municipality 01-01
        dept = "01"
    dept_name = GT_DEPARTMENTS.get(dept)
    authority = authority or (f"DIDEDUC {dept_name}" if dept_name else None)
    if unit_type == "municipality":
        rows.append(_unit(country, "municipality", code, name, unit_id(country, dept), dept_name, name,
                          authority, None))
        rows += _parent_rows(dept, country, "department")
        return rows
    muni = "01-01" if code.startswith("00-") else code[:5]
    muni_name = "Guatemala" if code.startswith("00-") else (
        municipality.title() if municipality and municipality.isupper() else municipality)
    rows.append(_unit(country, "school", code, name, unit_id(country, muni), dept_name, muni_name,
                      authority, zone))
    rows += _parent_rows(muni, country, "municipality", name=muni_name)
    return rows


@functools.lru_cache(maxsize=16_384)
def _parent_rows(code: str, country: str, unit_type: str, name: str | None = None) -> tuple[dict, ...]:
    """A parent's rows, built once: 40,000 schools of a national file share 1,100 municipalities."""
    return tuple(unit_rows(code, country, unit_type, name=name))


def _etc(name: str | None) -> str | None:
    """An ETC as MEN files name it ('CALI', 'Valle del Cauca') -> 'Cali (ETC)'."""
    if not name or not name.strip():
        return None
    text = name.strip()
    text = text.title() if text.isupper() else text
    return text if text.endswith("(ETC)") else f"{text} (ETC)"


# MEN's short names of Valle del Cauca's ETCs (its municipal files say BUGA, VALLE), folded -> LabLens's name
_ETC_ALIASES = {"buga": "guadalajara de buga", "valle": "valle del cauca", "santiago de cali": "cali"}


# how files name the office before the ETC: 'Secretaría de Educación de Cali', 'SED Valle', 'Gobernación del Valle'
_ETC_OFFICE = re.compile(r"^(?:etc |(?:secretaria|sec) (?:de )?(?:educacion|educ)(?: (?:departamental|municipal|"
                         r"distrital))? |sed |sem |gobernacion |alcaldia |municipio |departamento |"
                         r"distrito (?:especial )?)(?:de la |del |de )?")


def _etc_key(name: str) -> str:
    key = _ETC_OFFICE.sub("", fold_name(name.removesuffix("(ETC)")))
    return _ETC_ALIASES.get(key, key)


#: Valle del Cauca's ETCs as LabLens names them, by folded name: a stated 'VALLE DEL CAUCA' is stored so
_VALLE_ETCS = {_etc_key(n): n for n in {co_authority(code) for code in VALLE_MUNICIPALITIES}}


def co_etc(municipality_code: str | None, stated: str | None) -> tuple[str | None, str | None]:
    """(the authority a Colombian unit keeps, the derived ETC the file contradicts or None).

    The ETC a file states wins: the Valle del Cauca rule (`co_authority`: certified municipalities are their
    own ETC, the rest the department's) only fills a blank. A stated name that is the derived ETC spelled
    another way ('CALI', 'VALLE DEL CAUCA', MEN's 'BUGA') keeps the derived spelling, so one ETC has one name;
    any other stated name is kept and returned with the derived one, for the import's notice."""
    derived = co_authority(municipality_code) if municipality_code else None
    given = _etc(stated)
    given = _VALLE_ETCS.get(_etc_key(given), given) if given else None
    if given is None or derived is None:
        return given or derived, None
    if _etc_key(given) == _etc_key(derived):
        return derived, None
    return given, derived


def _unit(country, unit_type, code, name, parent_id, department, municipality, authority, zone) -> dict:
    return {"unit_id": unit_id(country, code), "country": country, "unit_type": unit_type, "code": code,
            "name": name, "parent_id": parent_id, "department": department, "municipality": municipality,
            "authority": authority, "zone": zone}


ZONES = {"rural": "rural", "r": "rural", "urbana": "urban", "urbano": "urban", "urban": "urban",
         "u": "urban", "cabecera": "urban", "resto": "rural", "rural disperso": "rural"}


def zone_code(text: str | None) -> str | None:
    """'URBANA' -> urban, 'RURAL' -> rural, 'SIN ESPECIFICAR' -> None."""
    return ZONES.get(_fold(text))


WAVES = {"pre": "pre", "antes": "pre", "pretest": "pre", "pre test": "pre", "entrada": "pre",
         "post": "post", "pos": "post", "despues": "post", "posttest": "post", "post test": "post",
         "salida": "post", "baseline": "baseline", "linea de base": "baseline", "linea base": "baseline",
         "inicial": "baseline", "base": "baseline", "endline": "endline", "linea final": "endline",
         "final": "endline", "cierre": "endline"}


def wave_code(text: str | None) -> str | None:
    """Spanish or English wave name -> pre | post | baseline | endline (None if unknown)."""
    return WAVES.get(_fold(text))


SEXES = {"f": "F", "femenino": "F", "mujer": "F", "nina": "F", "female": "F", "girl": "F", "fem": "F",
         "m": "M", "masculino": "M", "hombre": "M", "nino": "M", "male": "M", "boy": "M", "masc": "M",
         "h": "M"}


def sex_code(text: str | None) -> str | None:
    """F or M from the usual Spanish and English spellings."""
    return SEXES.get(_fold(text))


LEVEL_NAMES = {"all": "all", "total": "all", "todos": "all", "transition": "transition",
               "transicion": "transition", "preescolar": "transition", "preprimaria": "transition",
               "primary": "primary", "primaria": "primary", "basica primaria": "primary",
               "secondary": "secondary", "secundaria": "secondary", "basica secundaria": "secondary",
               "basico": "secondary", "ciclo basico": "secondary", "upper_secondary": "upper_secondary",
               "upper secondary": "upper_secondary", "media": "upper_secondary",
               "diversificado": "upper_secondary", "ciclo diversificado": "upper_secondary"}


def level_code(text: str | None) -> str | None:
    """Level names of both systems -> the canonical five (LEVELS)."""
    value = LEVEL_NAMES.get(_fold(text))
    return value if value in LEVELS else None


def grade_code(text: str | None) -> str | None:
    """'6°', '6º', 'sexto'... -> '6'; other text kept trimmed."""
    if text is None or not str(text).strip():
        return None
    t = str(text).strip().rstrip("°º").strip()
    t = re.sub(r"\.0+$", "", t)
    words = {"primero": "1", "segundo": "2", "tercero": "3", "cuarto": "4", "quinto": "5", "sexto": "6",
             "septimo": "7", "octavo": "8", "noveno": "9", "decimo": "10", "once": "11", "undecimo": "11"}
    return words.get(_fold(t), t)


# --- where a Colombian school is (DANE code against the stated location; analysis/importer/location.py reports)

# Codes a spreadsheet rewrote in scientific notation ('2.0579E+11'): their last digits are gone.
SCIENTIFIC = r"^\s*[0-9]+([.,][0-9]+)?[eE][+]?[0-9]+\s*$"


@dataclass(frozen=True)
class Placement:
    """Where a school is placed, and why it is worth reporting (``issue``, None when nothing is)."""

    municipality: str | None
    department: str | None
    registered: str | None
    stated: str | None
    issue: str | None = None
    stated_department: str | None = None  # the department column's code, when it names another department


def _divipola() -> dict[str, str]:
    return known_co_municipalities()


def co_department(text: str | None) -> str | None:
    """A department code from a code ('5', '05') or a name ('VALLE'); None if it is not a DIVIPOLA one."""
    if text is None or not str(text).strip():
        return None
    d = digits(text)
    if d is not None:
        return d.zfill(2) if d.zfill(2) in CO_DEPARTMENTS else None
    return co_department_code(text)


@functools.lru_cache(maxsize=65_536)
def place_co_school(code: str, stated_code: str | None = None, municipality: str | None = None,
                    department: str | None = None) -> Placement:
    """Place a Colombian school: the stated municipality (code, else name within the department) when
    DIVIPOLA has it, else the code's municipality, else a department; never a territory outside the list."""
    known = _divipola()
    registered = code[1:6] if len(code) == 12 and code.isdigit() else None
    dept = co_department(department)
    stated = None
    raw_stated = digits(stated_code) if stated_code else None
    if raw_stated and len(raw_stated) <= 5 and int(raw_stated):
        stated = raw_stated.zfill(5)
    elif municipality and municipality.strip():
        # a name is looked up within the stated department, else the code's
        stated = co_municipality_code(municipality, dept or (registered[:2] if registered else None)) \
            or municipality.strip()
    if stated in known:
        issue = "disagree" if registered and registered != stated else None
        other = dept if dept and dept != stated[:2] else None
        return Placement(stated, stated[:2], registered, stated, issue, other)
    issue = "stated_not_in_divipola" if stated else None
    if registered in known:
        return Placement(registered, registered[:2], registered, stated, issue)
    fallback = next((d for d in (stated[:2] if stated and stated[:2].isdigit() else None, dept,
                                 registered[:2] if registered else None) if d in CO_DEPARTMENTS), None)
    return Placement(None, fallback, registered, stated,
                     issue or ("registered_not_in_divipola" if registered else None))


def is_scientific(text: str | None) -> bool:
    """'2.0579E+11' -> True."""
    return bool(text) and re.match(SCIENTIFIC, str(text)) is not None
