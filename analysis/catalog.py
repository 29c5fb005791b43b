"""Reference lists LabLens ships: indicator catalogue, school levels, territories.

The indicator codes are the public contract of docs/DESIGN.md ("Canonical indicator codes": extend freely,
never rename). Territory codes are DANE DIVIPOLA (Colombia) and MINEDUC/INE (Guatemala).
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

LEVELS: tuple[str, ...] = ("all", "transition", "primary", "secondary", "upper_secondary")


@dataclass(frozen=True)
class Indicator:
    """One row of the public `indicators` table."""

    code: str
    domain: str  # learning | motivation | retention | context
    kind: str  # score | rate | binary | likert | count | sd | index
    unit: str
    higher_is_better: bool | None
    min_value: float | None
    max_value: float | None
    label_es: str
    label_en: str
    scale: str | None = None
    reverse_coded: bool = False


def _rate(code: str, es: str, en: str, higher: bool | None, capped: bool = True,
          domain: str = "retention") -> Indicator:
    return Indicator(code, domain, "rate", "percent", higher, 0.0, 100.0 if capped else None, es, en)


def _score(code: str, es: str, en: str) -> Indicator:
    return Indicator(code, "learning", "score", "points", True, 0.0, 1000.0, es, en)


def _score_sd(code: str, es: str, en: str) -> Indicator:
    return Indicator(f"{code}_sd", "learning", "sd", "points", None, 0.0, 1000.0,
                     f"Desviación estándar: {es}", f"Standard deviation: {en}")


_SCORES = [
    ("score_math", "Puntaje en matemáticas", "Mathematics score"),
    ("score_language", "Puntaje en lenguaje / lectura crítica", "Language / critical reading score"),
    ("score_science", "Puntaje en ciencias naturales", "Natural sciences score"),
    ("score_social", "Puntaje en sociales y ciudadanas", "Social studies score"),
    ("score_global", "Puntaje global", "Global score"),
    ("score_english", "Puntaje en inglés", "English score"),
    ("score_philosophy", "Puntaje en filosofía", "Philosophy score"),
    ("score_chemistry", "Puntaje en química", "Chemistry score"),
    ("score_physics", "Puntaje en física", "Physics score"),
    ("score_biology", "Puntaje en biología", "Biology score"),
]

MOTIVATION_ITEMS: tuple[tuple[str, str, bool], ...] = (
    ("Me gusta aprender cosas nuevas en la escuela.", "I like learning new things at school.", False),
    ("Me esfuerzo aunque las tareas sean difíciles.", "I keep trying even when tasks are hard.", False),
    ("Las clases de ciencias y tecnología me interesan.", "Science and technology lessons interest me.",
     False),
    ("Me aburro en la mayoría de las clases.", "I am bored in most lessons.", True),
    ("Quiero seguir estudiando después de este año.", "I want to keep studying after this year.", False),
    ("Me siento capaz de resolver problemas con otros.", "I feel able to solve problems with others.",
     False),
    ("Creo que lo que aprendo sirve para mi vida.", "I believe what I learn is useful in my life.", False),
    ("Pienso a menudo en dejar la escuela.", "I often think about leaving school.", True),
)

INDICATORS: tuple[Indicator, ...] = (
    _rate("dropout_rate", "Tasa de deserción intraanual", "Intra-annual dropout rate", False),
    _rate("retention_rate", "Tasa de retención", "Retention rate", True),
    _rate("promotion_rate", "Tasa de aprobación", "Promotion (pass) rate", True),
    _rate("failure_rate", "Tasa de reprobación", "Failure rate", False),
    _rate("repetition_rate", "Tasa de repitencia", "Repetition rate", False),
    _rate("net_coverage_rate", "Cobertura neta", "Net coverage rate", True, capped=False),
    _rate("gross_coverage_rate", "Cobertura bruta", "Gross coverage rate", None, capped=False),
    _rate("enrolment_rate_5_16", "Tasa de matriculación 5 a 16 años", "Enrolment rate, ages 5-16", True,
          capped=False),
    _rate("attendance_rate", "Tasa de asistencia", "Attendance rate", True),
    Indicator("enrolled_next_year", "retention", "binary", "proportion", True, 0.0, 1.0,
              "Matriculado el año siguiente", "Enrolled the following year"),
    *[_score(c, es, en) for c, es, en in _SCORES],
    *[_score_sd(c, es, en) for c, es, en in _SCORES],
    Indicator("motivation_index", "motivation", "index", "likert 1-5", True, 1.0, 5.0,
              "Índice de motivación (media de los ítems)", "Motivation index (mean of items)",
              scale="motivation"),
    *[Indicator(f"motivation_item_{i}", "motivation", "likert", "likert 1-5", not rev, 1.0, 5.0,
                f"Motivación {i}: {es}", f"Motivation {i}: {en}", scale="motivation", reverse_coded=rev)
      for i, (es, en, rev) in enumerate(MOTIVATION_ITEMS, start=1)],
    Indicator("population_5_16", "context", "count", "people", None, 0.0, None,
              "Población de 5 a 16 años", "Population aged 5-16"),
    Indicator("average_class_size", "context", "count", "students", None, 0.0, None,
              "Tamaño promedio de grupo", "Average class size"),
    _rate("internet_connected_sites_rate", "Sedes conectadas a internet", "School sites connected to the "
          "internet", True, domain="context"),
    Indicator("students_tested", "context", "count", "students", None, 0.0, None,
              "Estudiantes evaluados", "Students tested"),
    *[Indicator(f"icfes_index_{c}", "learning", "index", "index 0-1", True, 0.0, 1.0, f"Índice ICFES: {es}",
                f"ICFES index: {en}", scale="icfes_index") for c, es, en in (
        ("math", "matemáticas", "mathematics"), ("science", "ciencias naturales", "natural sciences"),
        ("social", "sociales y ciudadanas", "social studies and citizenship"),
        ("reading", "lectura crítica", "critical reading"), ("english", "inglés", "English"),
        ("total", "índice total", "total index"))],
)

INDICATOR_BY_CODE: dict[str, Indicator] = {i.code: i for i in INDICATORS}

# an indicator's kind and unit in words, said once (the pages read them as ``kind.*`` and ``measure.*`` through
# ui/analysis_words.py; the pre-analysis plan reads them here)
KIND_WORDS: dict[str, dict[str, str]] = {
    "es": {"score": "puntaje", "rate": "tasa", "binary": "sí/no", "likert": "escala Likert", "count": "conteo",
           "sd": "desviación estándar", "index": "índice"},
    "en": {"score": "score", "rate": "rate", "binary": "yes/no", "likert": "Likert scale", "count": "count",
           "sd": "standard deviation", "index": "index"},
}
UNIT_WORDS: dict[str, dict[str, str]] = {
    "es": {"percent": "por ciento", "proportion": "proporción", "people": "personas", "points": "puntos",
           "likert 1-5": "escala 1 a 5", "students": "estudiantes", "index 0-1": "índice de 0 a 1"},
    "en": {"percent": "percent", "proportion": "proportion", "people": "people", "points": "points",
           "likert 1-5": "scale 1 to 5", "students": "students", "index 0-1": "index from 0 to 1"},
}


def indicator_rows() -> list[tuple]:
    """Rows for the `indicators` table, in its column order."""
    return [
        (i.code, i.domain, i.kind, i.unit, i.higher_is_better, i.min_value, i.max_value, i.scale,
         i.reverse_coded, i.label_es, i.label_en)
        for i in INDICATORS
    ]


# --- Territories -------------------------------------------------------------------------------

CO_DEPARTMENTS: dict[str, str] = {
    "05": "Antioquia", "08": "Atlántico", "11": "Bogotá, D.C.", "13": "Bolívar", "15": "Boyacá",
    "17": "Caldas", "18": "Caquetá", "19": "Cauca", "20": "Cesar", "23": "Córdoba",
    "25": "Cundinamarca", "27": "Chocó", "41": "Huila", "44": "La Guajira", "47": "Magdalena",
    "50": "Meta", "52": "Nariño", "54": "Norte de Santander", "63": "Quindío", "66": "Risaralda",
    "68": "Santander", "70": "Sucre", "73": "Tolima", "76": "Valle del Cauca", "81": "Arauca",
    "85": "Casanare", "86": "Putumayo",
    "88": "Archipiélago de San Andrés, Providencia y Santa Catalina", "91": "Amazonas",
    "94": "Guainía", "95": "Guaviare", "97": "Vaupés", "99": "Vichada",
}

# Valle del Cauca's 42 municipalities (DANE DIVIPOLA). The 8 certified ones run their own schools
# (their own ETC); the other 34 are served by the departmental Education Secretariat.
VALLE_MUNICIPALITIES: dict[str, str] = {
    "76001": "Cali", "76020": "Alcalá", "76036": "Andalucía", "76041": "Ansermanuevo",
    "76054": "Argelia", "76100": "Bolívar", "76109": "Buenaventura", "76111": "Guadalajara de Buga",
    "76113": "Bugalagrande", "76122": "Caicedonia", "76126": "Calima", "76130": "Candelaria",
    "76147": "Cartago", "76233": "Dagua", "76243": "El Águila", "76246": "El Cairo",
    "76248": "El Cerrito", "76250": "El Dovio", "76275": "Florida", "76306": "Ginebra",
    "76318": "Guacarí", "76364": "Jamundí", "76377": "La Cumbre", "76400": "La Unión",
    "76403": "La Victoria", "76497": "Obando", "76520": "Palmira", "76563": "Pradera",
    "76606": "Restrepo", "76616": "Riofrío", "76622": "Roldanillo", "76670": "San Pedro",
    "76736": "Sevilla", "76823": "Toro", "76828": "Trujillo", "76834": "Tuluá", "76845": "Ulloa",
    "76863": "Versalles", "76869": "Vijes", "76890": "Yotoco", "76892": "Yumbo", "76895": "Zarzal",
}
VALLE_CERTIFIED: frozenset[str] = frozenset(
    {"76001", "76109", "76111", "76147", "76364", "76520", "76834", "76892"}
)
VALLE_ETC = "Valle del Cauca (ETC)"


def co_authority(municipality_code: str) -> str | None:
    """Colombia's education authority (ETC) for a Valle del Cauca municipality, else None.

    Certified municipalities are their own ETC; the rest of Valle del Cauca is served by the
    departmental secretariat. Outside Valle the ETC is only known when a file states it.
    """
    if municipality_code in VALLE_CERTIFIED:
        return f"{VALLE_MUNICIPALITIES[municipality_code]} (ETC)"
    if municipality_code in VALLE_MUNICIPALITIES:
        return VALLE_ETC
    return None


GT_DEPARTMENTS: dict[str, str] = {
    "01": "Guatemala", "02": "El Progreso", "03": "Sacatepéquez", "04": "Chimaltenango",
    "05": "Escuintla", "06": "Santa Rosa", "07": "Sololá", "08": "Totonicapán",
    "09": "Quetzaltenango", "10": "Suchitepéquez", "11": "Retalhuleu", "12": "San Marcos",
    "13": "Huehuetenango", "14": "Quiché", "15": "Baja Verapaz", "16": "Alta Verapaz",
    "17": "Petén", "18": "Izabal", "19": "Zacapa", "20": "Chiquimula", "21": "Jalapa",
    "22": "Jutiapa",
}


# --- Countries ----------------------------------------------------------------------------------
# ISO 3166-1 alpha-2 codes and names (Debian iso-codes, reference/countries.csv), with Spanish names for
# the Americas and Iberia. Unit codes are validated only where LabLens ships a code list, Colombia (DANE
# DIVIPOLA, establishment codes) and Guatemala (MINEDUC); elsewhere (Chile's RBD, Peru's código modular)
# they are kept as written (importer/normalise.py, normalise_unit).
COUNTRIES_FILE = Path(__file__).resolve().parent / "reference" / "countries.csv"


# The KIX LAC region, the countries offered first when a file is mapped on the Datos page.
LATIN_AMERICA: tuple[str, ...] = (
    "CO", "GT", "AR", "BO", "BR", "CL", "CR", "CU", "DO", "EC", "SV", "HN", "MX", "NI", "PA", "PY", "PE", "UY",
    "VE", "HT", "JM", "TT", "BZ", "GY", "SR", "PR", "BS", "BB", "AG", "DM", "GD", "KN", "LC", "VC")


@functools.cache
def countries() -> dict[str, tuple[str, str, str]]:
    """alpha-2 -> (alpha-3, English name, Spanish name or '') for every ISO 3166-1 country."""
    with open(COUNTRIES_FILE, encoding="utf-8") as handle:
        return {r["alpha_2"]: (r["alpha_3"], r["name_en"], r["name_es"]) for r in csv.DictReader(handle)}


def country_name(code: str, lang: str = "es") -> str:
    """'CL' -> 'Chile'; an unknown code is returned as given."""
    entry = countries().get(str(code).upper())
    if entry is None:
        return str(code)
    return (entry[2] or entry[1]) if lang == "es" else entry[1]


def unit_id(country: str, code: str) -> str:
    """Public unit identifier, unique across countries: 'CO-76001', 'GT-15-01-0050-46'."""
    return f"{country}-{code}"


def fold(text: str) -> str:
    """How LabLens matches names and headers, accent- and case-insensitively:
    'CÓDIGO_MUNICIPIO' -> 'codigo_municipio'; 'Año' -> 'ano'; 'Promedio Total' -> 'promedio_total'."""
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", folded.lower()).strip("_")
