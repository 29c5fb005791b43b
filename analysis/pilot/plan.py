"""The pre-analysis plan of a randomised pilot, in Spanish and English, as Markdown or offline HTML.

One document model (headings, paragraphs, lists, tables) renders to both formats, so the two never say
different things. Every piece of data text is escaped: Markdown control characters in Markdown, and
`html.escape` in HTML (no scripts, no external assets: the HTML opens without internet).
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass

from analysis import plain_language
from analysis.catalog import INDICATOR_BY_CODE, KIND_WORDS, UNIT_WORDS, Indicator, country_name
from analysis.import_text import WORDS
from analysis.pilot.power import PowerResult, mdes

Block = tuple  # ("h1"|"h2"|"p", text) | ("ul", [text]) | ("table", [header], [[cell]])

# default ICCs when the database has none (METHODS: WWC defaults, 0.20 achievement, 0.10 other outcomes)
DEFAULT_ICC = {"learning": 0.20}
DEFAULT_ICC_OTHER = 0.10


@dataclass(frozen=True)
class IndicatorPower:
    """One indicator's MDES and where its design values come from: ``icc_source`` is the cell the ICC was
    estimated on (`frame.pretreatment_icc`'s dict), ``{"basis": "default"}`` or ``{"basis": "given"}``."""

    indicator: Indicator
    result: PowerResult
    icc_source: dict
    sd: float | None = None  # the outcome's SD (points) that turns the MDES into the indicator's units
    school_level: bool = False
    icc_estimate: float | None = None  # an estimate below 0, used as 0
    sd_from: dict | None = None  # a school rate's SD: country, year, schools

    def unit_note(self, lang: str) -> str | None:
        """'13,3 puntos (DE 74,3)' / '1,2 pp (tasa base 85,0 %)': the MDES in the indicator's units."""
        t, r = T[lang], self.result
        if r.mdes_points is not None:
            return t["in_points"].format(pp=_num(r.mdes_points, 1, lang), base=_num(100 * r.base_rate, 1, lang))
        if not self.sd:
            return None
        unit = "pp" if self.indicator.unit == "percent" else UNIT_WORDS[lang].get(self.indicator.unit,
                                                                                    self.indicator.unit)
        return t["in_units"].format(value=_sig(r.mdes * self.sd, lang), unit=unit, sd=_sig(self.sd, lang))


T = {
    "es": {
        "title": "Plan de preanálisis: piloto {program}",
        "intro": "Este plan se fija antes de observar resultados. Generado por LabLens {version}. Todo cambio "
                 "posterior se informa como desviación del plan, con su fecha y su razón.",
        "assignment": "Asignación aleatoria",
        "seed": "Semilla pública", "frame": "Archivo del marco muestral", "sha": "sha256 del archivo",
        "registered": "Registrada en la base de datos como asignación {id} ({status}); sha256 del listado {roster}",
        "status.active": "vigente", "status.rolled_back": "deshecha",
        "eligible": "sha256 de la lista de escuelas elegibles", "method": "Método", "filter": "Filtro",
        "method_strata": "sorteo completo dentro de cada estrato: un estrato de m escuelas recibe m·P escuelas del "
                         "programa, redondeado hacia abajo o hacia arriba, y los restos se reparten por muestreo "
                         "sistemático; generador numpy default_rng(semilla) sobre el marco ordenado por código de "
                         "escuela (como randomizr::block_ra en R)",
        "method_pairs": "pares emparejados según {on}: en cada par, una escuela al programa por sorteo; generador "
                        "numpy default_rng(semilla) sobre el marco ordenado por código de escuela",
        "counts": "{treated} escuelas asignadas a {program} y {comparison} de comparación, en {strata} estratos.",
        "strata_h": ["Estrato", "Escuelas", "Tratadas"],
        "indicators": "Indicadores y dirección esperada",
        "ind_h": ["Código", "Indicador", "Tipo", "Unidad", "Dirección esperada", "Papel"],
        "up": "aumento", "down": "disminución", "none": "sin dirección (prueba bilateral)",
        "primary": "principal", "secondary": "secundario",
        "power": "Tamaño mínimo de efecto detectable (MDES)",
        "power_intro": "Fórmulas de Bloom (2006) y Dong y Maynard (2013, PowerUp!): MDES = M·√(ρ(1−R²₂)/(P(1−P)J) "
                       "+ (1−ρ)(1−R²₁)/(P(1−P)Jn)), M = t(1−α/2, gl) + t(potencia, gl); con K bloques fijos "
                       "gl = J − 2K − g.",
        "pow_h": ["Indicador", "MDES (DE)", "En unidades", "Escuelas", "Estudiantes por escuela", "CCI", "R²₁",
                  "R²₂", "Bloques", "gl", "α", "Potencia", "Origen del CCI"],
        "school_level": "análisis a nivel de escuela (tasas anuales): una observación por escuela",
        "in_units": "{value} {unit} (DE {sd})", "in_points": "{pp} pp (tasa base {base} %)",
        "icc_cell": "{indicator}, {country}: {students} estudiantes en {schools} escuelas, {year} ({wave}); {basis}; "
                    "estimador ANOVA de un factor (Donner 1986), base de datos LabLens",
        "basis.baseline": "medición de línea de base, antes de todo tratamiento",
        "basis.before_start": "año anterior al inicio de todo programa en el país",
        "basis.comparison": "solo escuelas sin programa (de comparación)",
        "icc_default": "valor por defecto {icc} (What Works Clearinghouse): la base de datos no tiene datos de "
                       "este indicador anteriores al tratamiento en al menos 10 escuelas",
        "icc_given": "indicado por quien planifica",
        "icc_negative": "estimación {icc} < 0, se usa 0",
        "sd_rates": "DE de las tasas de {schools} escuelas sin tratamiento, {country}, {year}",
        "model": "Modelo de análisis",
        "model_items": [
            "Intención de tratar (ITT): cada escuela se analiza según su asignación, haya o no funcionado el "
            "laboratorio.",
            "Puntajes e índices de estudiantes: ANCOVA a nivel de estudiante del puntaje posterior sobre la "
            "asignación, el puntaje de línea de base y efectos fijos de bloque (estrato); errores estándar "
            "agrupados por escuela (CRV1), con t de G−1 grados de libertad.",
            "Con menos de 30 escuelas en algún brazo, también el valor p del bootstrap salvaje por "
            "conglomerados (restringido, pesos Rademacher; Webb con menos de 12; B = 9.999, semilla fija). Con "
            "3 o menos escuelas en un brazo solo se informa la estimación puntual.",
            "Tasas anuales por escuela: el equivalente a nivel de escuela (una observación por escuela, tasa "
            "posterior sobre asignación, tasa de línea de base y bloques), en puntos porcentuales.",
            "Tamaño del efecto: g de Hedges con la corrección por conglomerados de la WWC; para resultados "
            "binarios, el índice de Cox (ln OR / 1,65).",
            "Si el registro indica qué escuelas asignadas tuvieron un laboratorio funcionando (lab_operating), "
            "también el efecto promedio en los cumplidores (CACE), con la asignación como instrumento, "
            "rotulado como tal.",
            "Varios indicadores: el principal decide; los secundarios se informan con valores q de "
            "Benjamini-Hochberg.",
        ],
        "rules": "Criterios: logrado / no logrado / evidencia insuficiente",
        "rules_items": [
            "Logrado: el intervalo de confianza del 95 % del efecto ITT excluye el 0 del lado de la dirección "
            "esperada.",
            "No logrado: el intervalo excluye el MDES (el intervalo entero está por debajo del efecto que el "
            "piloto puede detectar, en la dirección esperada), o el intervalo entero está del lado contrario "
            "(efecto en contra).",
            "Evidencia insuficiente: en cualquier otro caso (el intervalo incluye el 0 y el MDES).",
        ],
        "rules_why": "Por qué: el piloto se dimensionó para detectar el MDES. Un intervalo que incluye el 0 no "
                     "demuestra que no haya efecto (ausencia de evidencia no es evidencia de ausencia); solo "
                     "cuando el intervalo descarta el efecto que el piloto se propuso detectar se puede decir "
                     "que no se logró. Un indicador sin dirección esperada se informa sin veredicto.",
    },
    "en": {
        "title": "Pre-analysis plan: {program} pilot",
        "intro": "This plan is fixed before any outcome is seen. Generated by LabLens {version}. Any later "
                 "change is reported as a deviation from the plan, with its date and reason.",
        "assignment": "Random assignment",
        "seed": "Public seed", "frame": "Sampling frame file", "sha": "sha256 of the file",
        "registered": "Registered in the database as assignment {id} ({status}); roster sha256 {roster}",
        "status.active": "active", "status.rolled_back": "rolled back",
        "eligible": "sha256 of the list of eligible schools", "method": "Method", "filter": "Filter",
        "method_strata": "complete randomisation within each stratum: a stratum of m schools gets m·P programme "
                         "schools, rounded down or up, the remainders spread by systematic sampling; numpy "
                         "default_rng(seed) on the frame sorted by school code (as randomizr::block_ra in R)",
        "method_pairs": "matched pairs on {on}: in each pair one school drawn for the programme; numpy "
                        "default_rng(seed) on the frame sorted by school code",
        "counts": "{treated} schools assigned to {program} and {comparison} to comparison, in {strata} strata.",
        "strata_h": ["Stratum", "Schools", "Treated"],
        "indicators": "Indicators and intended direction",
        "ind_h": ["Code", "Indicator", "Kind", "Unit", "Intended direction", "Role"],
        "up": "increase", "down": "decrease", "none": "no direction (two-sided test)",
        "primary": "primary", "secondary": "secondary",
        "power": "Minimum detectable effect size (MDES)",
        "power_intro": "Formulas of Bloom (2006) and Dong & Maynard (2013, PowerUp!): MDES = M·√(ρ(1−R²₂)/(P(1−P)J) "
                       "+ (1−ρ)(1−R²₁)/(P(1−P)Jn)), M = t(1−α/2, df) + t(power, df); with K fixed blocks "
                       "df = J − 2K − g.",
        "pow_h": ["Indicator", "MDES (SD)", "In units", "Schools", "Students per school", "ICC", "R²₁", "R²₂",
                  "Blocks", "df", "α", "Power", "Source of the ICC"],
        "school_level": "school-level analysis (yearly rates): one observation per school",
        "in_units": "{value} {unit} (SD {sd})", "in_points": "{pp} pp (base rate {base}%)",
        "icc_cell": "{indicator}, {country}: {students} students in {schools} schools, {year} ({wave}); {basis}; "
                    "one-way ANOVA estimator (Donner 1986), LabLens database",
        "basis.baseline": "baseline measurement, before any treatment",
        "basis.before_start": "a year before any programme started in the country",
        "basis.comparison": "schools with no programme (comparison) only",
        "icc_default": "default {icc} (What Works Clearinghouse): the database holds no data of this indicator "
                       "from before any treatment in at least 10 schools",
        "icc_given": "given by the planner",
        "icc_negative": "estimate {icc} < 0, used as 0",
        "sd_rates": "SD of the rates of {schools} untreated schools, {country}, {year}",
        "model": "Analysis model",
        "model_items": [
            "Intention to treat (ITT): every school is analysed as assigned, whether or not its lab operated.",
            "Student scores and indices: student-level ANCOVA of the post score on assignment, the baseline "
            "score and block (stratum) fixed effects; standard errors clustered by school (CRV1), t with G−1 "
            "degrees of freedom.",
            "With fewer than 30 schools on either side, also the wild cluster bootstrap p-value (restricted, "
            "Rademacher weights; Webb's under 12; B = 9,999, fixed seed). With 3 or fewer schools on a side, "
            "only the point estimate is reported.",
            "Yearly school rates: the school-level equivalent (one observation per school, post rate on "
            "assignment, baseline rate and blocks), in percentage points.",
            "Effect size: Hedges' g with the WWC clustering correction; for binary outcomes the Cox index "
            "(ln OR / 1.65).",
            "Where the roster records which assigned schools had an operating lab (lab_operating), also the "
            "complier average causal effect (CACE), assignment as the instrument, labelled as such.",
            "Several indicators: the primary one decides; secondary ones are reported with Benjamini-Hochberg "
            "q-values.",
        ],
        "rules": "Thresholds: achieved / not achieved / not enough evidence",
        "rules_items": [
            "Achieved: the 95% confidence interval of the ITT effect excludes 0 on the side of the intended "
            "direction.",
            "Not achieved: the interval excludes the MDES (the whole interval lies below the effect the pilot "
            "can detect, in the intended direction), or the whole interval lies on the wrong side (harm).",
            "Not enough evidence: anything else (the interval includes both 0 and the MDES).",
        ],
        "rules_why": "Why: the pilot was sized to detect the MDES. An interval that includes 0 does not show "
                     "that there is no effect (absence of evidence is not evidence of absence); only when the "
                     "interval rules out the effect the pilot set out to detect can it be called not achieved. "
                     "An indicator with no intended direction is reported without a verdict.",
    },
}


def verdict(ci_low: float, ci_high: float, mdes_value: float, higher_is_better: bool | None) -> str:
    """'achieved' | 'not achieved' | 'not enough evidence' | 'no direction', by the plan's thresholds
    (interval and MDES in the same units; the MDES positive)."""
    if higher_is_better is None:
        return "no direction"
    lo, hi = (ci_low, ci_high) if higher_is_better else (-ci_high, -ci_low)  # oriented: good is positive
    if lo > 0:
        return "achieved"
    if hi < mdes_value or hi < 0:
        return "not achieved"
    return "not enough evidence"


def _direction(ind: Indicator, t: dict) -> str:
    return t["none"] if ind.higher_is_better is None else t["up"] if ind.higher_is_better else t["down"]


def _num(x: float | None, digits: int, lang: str) -> str:
    """1.234,5 in Spanish, 1,234.5 in English (analysis.plain_language.number); "—" when missing."""
    return "—" if x is None else plain_language.number(x, digits, lang)


def _sig(x: float, lang: str) -> str:
    """Three significant digits (13,3; 1,24; 0,172), written in ``lang``."""
    digits = max(0, 2 - math.floor(math.log10(abs(x)))) if x else 0
    return _num(x, digits, lang)


def _plain(x: float, lang: str) -> str:
    """A design value as given (0,05; 0,8), written in ``lang``."""
    text = f"{x:g}"
    return text.replace(".", ",") if lang == "es" else text


def basis_text(basis: str, lang: str) -> str:
    """Which data before any treatment an ICC came from, in words ('medición de línea de base, …')."""
    return T[lang][f"basis.{basis}"]


def method_text(record: dict, lang: str) -> str:
    """The assignment method in words of ``lang`` (the record keeps its English description)."""
    on = (record.get("options") or {}).get("pairs_on")
    return T[lang]["method_pairs"].format(on=on) if on else T[lang]["method_strata"]


def icc_source_text(p: IndicatorPower, lang: str) -> str:
    """Where the ICC (or, for a school rate, the SD) of a plan's row comes from, in words of ``lang``."""
    t, src = T[lang], p.icc_source
    if p.school_level:
        where = p.sd_from
        text = t["school_level"] + ("" if where is None else "; " + t["sd_rates"].format(
            schools=_num(where["schools"], 0, lang), country=country_name(where["country"], lang),
            year=where["year"]))
    elif src.get("basis") == "default":
        text = t["icc_default"].format(icc=_num(p.result.icc, 2, lang))
    elif src.get("basis") == "given":
        text = t["icc_given"]
    else:
        label = p.indicator.label_es if lang == "es" else p.indicator.label_en
        wave = WORDS[lang].get(f"wave.{src['wave']}", src["wave"]) if src.get("wave") else "—"
        text = t["icc_cell"].format(indicator=label, country=country_name(src["country"], lang),
                                    students=_num(src["students"], 0, lang), schools=_num(src["schools"], 0, lang),
                                    year=src["year"], wave=wave, basis=basis_text(src["basis"], lang))
    if p.icc_estimate is not None:
        text += f" ({t['icc_negative'].format(icc=_num(p.icc_estimate, 3, lang))})"
    return text


def build(record: dict, powers: list[IndicatorPower], lang: str) -> list[Block]:
    """The plan's blocks in one language."""
    t = T[lang]
    opts = record.get("options", {})
    program = opts.get("program") or "MiLab"
    blocks: list[Block] = [("h1", t["title"].format(program=program)),
                           ("p", t["intro"].format(version=record.get("lablens_version", "?")))]
    blocks += [("h2", t["assignment"]),
               ("ul", [f"{t['seed']}: {record.get('seed')}", f"{t['frame']}: {record.get('frame_file') or '—'}",
                       f"{t['sha']}: {record.get('frame_sha256') or '—'}",
                       f"{t['eligible']}: {record.get('eligible_sha256')}",
                       f"{t['method']}: {method_text(record, lang)}",
                       f"{t['filter']}: {opts.get('where') or '—'}"]
                + ([t["registered"].format(id=record["assignment_id"], roster=record.get("roster_sha256"),
                                           status=t.get(f"status.{record.get('status', 'active')}",
                                                        record.get("status")))]
                   if record.get("assignment_id") is not None else [])),
               ("p", t["counts"].format(treated=record.get("treated"), comparison=record.get("comparison"),
                                        program=program, strata=len(record.get("strata", [])))),
               ("table", t["strata_h"], [[s["stratum"], _num(s["schools"], 0, lang), _num(s["treated"], 0, lang)]
                                         for s in record.get("strata", [])])]
    rows = [[p.indicator.code, p.indicator.label_es if lang == "es" else p.indicator.label_en,
             KIND_WORDS[lang].get(p.indicator.kind, p.indicator.kind),
             UNIT_WORDS[lang].get(p.indicator.unit, p.indicator.unit), _direction(p.indicator, t),
             t["primary"] if i == 0 else t["secondary"]]
            for i, p in enumerate(powers)]
    blocks += [("h2", t["indicators"]), ("table", t["ind_h"], rows)]
    prow = []
    for p in powers:
        r = p.result
        prow.append([p.indicator.code, _num(r.mdes, 3, lang), p.unit_note(lang) or "—", _num(r.schools, 0, lang),
                     _plain(r.students, lang), _num(r.icc, 3, lang), _num(r.r2_students, 2, lang),
                     _num(r.r2_schools, 2, lang), str(r.blocks or 1), _plain(r.df, lang), _plain(r.alpha, lang),
                     _plain(r.power, lang), icc_source_text(p, lang)])
    blocks += [("h2", t["power"]), ("p", t["power_intro"]), ("table", t["pow_h"], prow)]
    blocks += [("h2", t["model"]), ("ul", t["model_items"]), ("h2", t["rules"]), ("ul", t["rules_items"]),
               ("p", t["rules_why"])]
    return blocks


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def _md(text: str) -> str:
    """Escape Markdown control characters in data text (and keep table cells on one line)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def to_markdown(blocks: list[Block]) -> str:
    """Markdown (CommonMark with pipe tables)."""
    out: list[str] = []
    for block in blocks:
        kind = block[0]
        if kind == "h1":
            out.append(f"# {_md(block[1])}")
        elif kind == "h2":
            out.append(f"## {_md(block[1])}")
        elif kind == "p":
            out.append(_md(block[1]))
        elif kind == "ul":
            out.append("\n".join(f"- {_md(item)}" for item in block[1]))
        elif kind == "hr":
            out.append("---")
        elif kind == "table":
            header, rows = block[1], block[2]
            lines = ["| " + " | ".join(_md(h) for h in header) + " |", "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


_CSS = ("body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;max-width:60rem;margin:2rem auto;"
        "padding:0 1rem;line-height:1.45;color:#1a1a1a}table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}"
        "th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f2f2f2}"
        "h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}")


def to_html(blocks: list[Block], lang: str = "es") -> str:
    """A self-contained HTML page (inline CSS only; every text escaped)."""
    e = html.escape
    title = next((b[1] for b in blocks if b[0] == "h1"), "LabLens")
    body: list[str] = []
    for block in blocks:
        kind = block[0]
        if kind in ("h1", "h2"):
            body.append(f"<{kind}>{e(block[1])}</{kind}>")
        elif kind == "p":
            body.append(f"<p>{e(block[1])}</p>")
        elif kind == "ul":
            body.append("<ul>" + "".join(f"<li>{e(item)}</li>" for item in block[1]) + "</ul>")
        elif kind == "hr":
            body.append("<hr>")
        elif kind == "table":
            head = "".join(f"<th>{e(h)}</th>" for h in block[1])
            rows = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in block[2])
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    return (f'<!DOCTYPE html>\n<html lang="{e(lang)}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n" + "\n".join(body)
            + "\n</body>\n</html>\n")


def render(record: dict, powers: list[IndicatorPower], fmt: str, langs: tuple[str, ...] = ("es", "en")) -> str:
    """The plan in ``fmt`` ('md' or 'html'), languages one after the other (Spanish first)."""
    blocks: list[Block] = []
    for i, lang in enumerate(langs):
        if i:
            blocks.append(("hr",))
        blocks += build(record, powers, lang)
    return to_markdown(blocks) if fmt == "md" else to_html(blocks, langs[0])


def indicator_power(code: str, record: dict, *, students: float, icc: float | None, icc_source: dict | str | None,
                    r2_students: float = 0.0, r2_schools: float = 0.0, alpha: float = 0.05, power: float = 0.80,
                    sd: float | None = None, base_rate: float | None = None,
                    sd_from: dict | None = None) -> IndicatorPower:
    """MDES of one indicator for the assigned schools: J = treated + comparison, P = treated / J, one block
    per stratum (K fixed blocks) when there are several. School rates are analysed one row per school
    (n = 1, ρ = 0); ``sd`` (observed) turns the MDES into the indicator's units, ``base_rate`` into points.

    ``icc_source``: the pre-treatment cell the ICC was estimated on (`frame.pretreatment_icc`), or any text
    for a value the planner gave; with no ICC the default of METHODS.md (0.20 achievement, 0.10 other)."""
    if code not in INDICATOR_BY_CODE:
        raise ValueError(f"unknown indicator '{code}' (see the indicator catalogue)")
    ind = INDICATOR_BY_CODE[code]
    schools = int(record["treated"]) + int(record["comparison"])
    share = int(record["treated"]) / schools
    k = len(record.get("strata", []))
    blocks = k if k > 1 and schools - 2 * k >= 1 else None
    school_level = ind.kind in ("rate", "count")
    source = icc_source if isinstance(icc_source, dict) else {"basis": "given"}
    if school_level:
        students, icc = 1, 0.0
    elif icc is None:
        icc = DEFAULT_ICC.get(ind.domain, DEFAULT_ICC_OTHER)
        source = {"basis": "default"}
    result = mdes(schools, students, max(0.0, icc), blocks=blocks, treated_share=share, r2_students=r2_students,
                  r2_schools=r2_schools, alpha=alpha, power=power, base_rate=base_rate)
    return IndicatorPower(ind, result, source, sd=sd if result.mdes_points is None else None,
                          school_level=school_level, icc_estimate=icc if icc < 0 else None, sd_from=sd_from)
