"""The four field forms of the data-collection kit, as data, generated from LabLens' own catalogue.

Field names ARE the codes the importer expects (DESIGN.md, "Canonical indicator codes"): the student
questionnaire asks ``motivation_item_N`` with the catalogue's wording and range and ``score_*`` for every
score indicator, so an export of it is a "LabLens canonical student file" once its headers are read.

Rows follow the XLSForm specification (https://xlsform.org/en/ and ODK's XLSForm reference,
https://docs.getodk.org/xlsform/): ``survey`` rows with ``type``/``name``/``label::Español (es)``/
``label::English (en)``/``required``/``constraint``/``relevant``/``calculation``; ``choices`` rows with
``list_name``/``name``/labels; a ``settings`` row with ``form_id``, ``form_title``, ``version`` and
``default_language``. Each form also carries two hidden ``calculate`` fields, ``lablens_form`` and
``lablens_version``, so every exported submission says which form and version it came from whatever the
server adds (KoboToolbox's ``__version__`` is its own deployment id, not the XLSForm version).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from analysis.catalog import INDICATORS, Indicator

LANGUAGES = (("es", "Español (es)"), ("en", "English (en)"))
DEFAULT_LANGUAGE = "Español (es)"

# One version constant per form (ODK's convention: yyyymmddrr, so a newer form sorts after an older one).
STUDENT_VERSION = "2026120601"
LAB_LOG_VERSION = "2026120601"
TRAINING_VERSION = "2026120601"
GOVERNANCE_VERSION = "2026120601"

# School codes by country (analysis/importer/normalise.py): MINEDUC DD-MM-NNNN-NN, DANE 12 digits.
GT_SCHOOL_REGEX = "^[0-9]{2}-[0-9]{2}-[0-9]{4}-[0-9]{2}$"
CO_SCHOOL_REGEX = "^[0-9]{12}$"
# A person's code: letters, digits, '-' or '_', no spaces, so a full name cannot be typed in.
PERSON_CODE_REGEX = "^[A-Za-z0-9_-]{3,24}$"


@dataclass(frozen=True)
class Field:
    """One ``survey`` row. ``type`` is the XLSForm type (``begin_group``, ``select_one yes_no`` ...)."""

    type: str
    name: str
    label_es: str = ""
    label_en: str = ""
    hint_es: str = ""
    hint_en: str = ""
    required: bool = False
    constraint: str = ""
    message_es: str = ""
    message_en: str = ""
    relevant: str = ""
    calculation: str = ""
    appearance: str = ""

    @property
    def is_structure(self) -> bool:
        """Group and repeat delimiters hold no value."""
        return self.type.split()[0] in ("begin_group", "end_group", "begin_repeat", "end_repeat")

    @property
    def list_name(self) -> str | None:
        """The choice list of a ``select_one`` field."""
        parts = self.type.split()
        return parts[1] if parts[0] == "select_one" else None


@dataclass(frozen=True)
class Choice:
    """One ``choices`` row; ``value`` is what LabLens stores when it differs from the XLSForm name."""

    list_name: str
    name: str
    label_es: str
    label_en: str
    value: str | None = None


@dataclass(frozen=True)
class FormDef:
    """One form of the kit and what the parser needs to read its exports back."""

    form_id: str
    title_es: str
    title_en: str
    version: str
    fields: tuple[Field, ...]
    choices: tuple[Choice, ...]
    kind: str  # "students" (canonical student rows) | "records" (per-school dated records)
    date_field: str
    person_fields: tuple[str, ...] = ()  # codes pseudonymised like student IDs
    free_text: tuple[str, ...] = ()
    #: every version whose exports this LabLens reads (the current one last)
    known_versions: tuple[str, ...] = field(default=())

    @property
    def versions(self) -> tuple[str, ...]:
        """Known versions, the current one included."""
        return tuple(dict.fromkeys((*self.known_versions, self.version)))


@dataclass(frozen=True)
class Leaf:
    """A value field with where it sits: its groups and, when inside one, its repeat."""

    field: Field
    path: tuple[str, ...]  # group (and repeat) names above the field
    repeat: str | None


def leaves(form: FormDef) -> Iterator[Leaf]:
    """Every value-holding field in form order, with its group path (metadata fields included)."""
    stack: list[tuple[str, bool]] = []
    for f in form.fields:
        kind = f.type.split()[0]
        if kind in ("begin_group", "begin_repeat"):
            stack.append((f.name, kind == "begin_repeat"))
        elif kind in ("end_group", "end_repeat"):
            stack.pop()
        else:
            repeats = [name for name, is_repeat in stack if is_repeat]
            yield Leaf(f, tuple(name for name, _ in stack), repeats[-1] if repeats else None)


def repeats(form: FormDef) -> list[tuple[str, tuple[str, ...]]]:
    """(repeat name, full path including it) for every repeat of the form."""
    out, stack = [], []
    for f in form.fields:
        kind = f.type.split()[0]
        if kind in ("begin_group", "begin_repeat"):
            stack.append(f.name)
            if kind == "begin_repeat":
                out.append((f.name, tuple(stack)))
        elif kind in ("end_group", "end_repeat"):
            stack.pop()
    return out


# --- shared pieces ---------------------------------------------------------------------------------

YES_NO = (Choice("yes_no", "yes", "Sí", "Yes", "1"), Choice("yes_no", "no", "No", "No", "0"))
COUNTRY = (Choice("country", "CO", "Colombia", "Colombia"), Choice("country", "GT", "Guatemala", "Guatemala"))


def _meta(form_id: str, version: str) -> tuple[Field, ...]:
    """ODK metadata (start, end, today) and the two hidden fields naming the form and its version.

    No ``deviceid`` or ``username``: the kit collects nothing that identifies the enumerator.
    """
    return (
        Field("start", "start"),
        Field("end", "end"),
        Field("today", "today"),
        Field("calculate", "lablens_form", calculation=f"'{form_id}'"),
        Field("calculate", "lablens_version", calculation=f"'{version}'"),
    )


def _school(date_name: str, date_es: str, date_en: str) -> tuple[Field, ...]:
    """Country, school code (checked against the country's pattern) and the record's date."""
    return (
        Field("select_one country", "country", "País", "Country", required=True),
        Field("text", "school_code", "Código del establecimiento", "School code",
              hint_es="Guatemala: código MINEDUC DD-MM-NNNN-NN (p. ej. 16-01-0123-43). Colombia: código DANE "
                      "de 12 dígitos.",
              hint_en="Guatemala: MINEDUC code DD-MM-NNNN-NN (e.g. 16-01-0123-43). Colombia: 12-digit DANE "
                      "code.",
              required=True,
              constraint=f"if(${{country}} = 'GT', regex(., '{GT_SCHOOL_REGEX}'), regex(., '{CO_SCHOOL_REGEX}'))",
              message_es="Guatemala: DD-MM-NNNN-NN; Colombia: 12 dígitos.",
              message_en="Guatemala: DD-MM-NNNN-NN; Colombia: 12 digits."),
        Field("date", date_name, date_es, date_en, required=True, constraint=". <= today()",
              message_es="La fecha no puede ser futura.", message_en="The date cannot be in the future."),
    )


def _count(name: str, es: str, en: str, required: bool = True, relevant: str = "",
           maximum: int | None = None) -> Field:
    """A whole number ≥ 0 (and ≤ ``maximum`` when given)."""
    constraint = ". >= 0" + (f" and . <= {maximum}" if maximum is not None else "")
    bound_es = f" y a lo sumo {maximum}" if maximum is not None else ""
    bound_en = f" and at most {maximum}" if maximum is not None else ""
    return Field("integer", name, es, en, required=required, relevant=relevant, constraint=constraint,
                 message_es=f"Un número entero de 0 o más{bound_es}.",
                 message_en=f"A whole number, 0 or more{bound_en}.")


def _hours(name: str, es: str, en: str, maximum: int, relevant: str = "") -> Field:
    return Field("decimal", name, es, en, required=True, relevant=relevant, constraint=f". >= 0 and . <= {maximum}",
                 message_es=f"Horas: de 0 a {maximum}.", message_en=f"Hours: 0 to {maximum}.")


def _range_text(ind: Indicator) -> tuple[str, str, str]:
    """XLSForm constraint and messages for an indicator's catalogue range."""
    lo, hi = ind.min_value, ind.max_value
    parts = ([f". >= {lo:g}"] if lo is not None else []) + ([f". <= {hi:g}"] if hi is not None else [])
    return (" and ".join(parts), f"Valor entre {lo:g} y {hi:g}.", f"A value between {lo:g} and {hi:g}.")


# --- 1. student questionnaire ---------------------------------------------------------------------

#: the likert items LabLens analyses: the catalogue's motivation scale (analysis.catalog.MOTIVATION_ITEMS)
MOTIVATION_INDICATORS: tuple[Indicator, ...] = tuple(
    i for i in INDICATORS if i.kind == "likert" and i.scale == "motivation")
SCORE_INDICATORS: tuple[Indicator, ...] = tuple(i for i in INDICATORS if i.kind == "score")

LIKERT_LABELS = (("Muy en desacuerdo", "Strongly disagree"), ("En desacuerdo", "Disagree"),
                 ("Ni de acuerdo ni en desacuerdo", "Neither agree nor disagree"),
                 ("De acuerdo", "Agree"), ("Muy de acuerdo", "Strongly agree"))


def _likert_choices() -> tuple[Choice, ...]:
    """Choices 1..5 from the catalogue's likert range (every motivation item shares it)."""
    lo = {int(i.min_value) for i in MOTIVATION_INDICATORS}
    hi = {int(i.max_value) for i in MOTIVATION_INDICATORS}
    assert len(lo) == len(hi) == 1 and max(hi) - min(lo) + 1 == len(LIKERT_LABELS), "one 1-5 scale expected"
    return tuple(Choice("likert", str(v), f"{v} · {es}", f"{v} · {en}")
                 for v, (es, en) in enumerate(LIKERT_LABELS, start=min(lo)))


def _statement(ind: Indicator, lang: str) -> str:
    """The item's wording without the catalogue's 'Motivación N: ' prefix."""
    label = ind.label_es if lang == "es" else ind.label_en
    return label.split(": ", 1)[1] if ": " in label else label


def student_form() -> FormDef:
    """Student questionnaire (baseline / endline): codes, grade, sex, motivation scale, optional scores."""
    motivation = []
    for ind in MOTIVATION_INDICATORS:
        constraint, m_es, m_en = _range_text(ind)
        motivation.append(Field("select_one likert", ind.code, _statement(ind, "es"), _statement(ind, "en"),
                                required=True, constraint=constraint, message_es=m_es, message_en=m_en))
    scores = []
    for ind in SCORE_INDICATORS:
        constraint, m_es, m_en = _range_text(ind)
        scores.append(Field("decimal", ind.code, ind.label_es, ind.label_en, constraint=constraint,
                            message_es=m_es, message_en=m_en, hint_es="Déjelo vacío si no hay puntaje.",
                            hint_en="Leave empty when there is no score."))
    fields = (
        *_meta("lablens_students", STUDENT_VERSION),
        Field("begin_group", "identification", "Identificación", "Identification"),
        Field("select_one wave", "wave", "Momento de la medición", "Survey wave", required=True),
        Field("integer", "year", "Año escolar", "School year", required=True,
              constraint=". >= 2015 and . <= 2040", message_es="Un año entre 2015 y 2040.",
              message_en="A year between 2015 and 2040."),
        *_school("survey_date", "Fecha de aplicación", "Survey date"),
        Field("text", "student_id", "Código del estudiante", "Student code",
              hint_es="El código asignado por la escuela; nunca el nombre.",
              hint_en="The code the school assigned; never the name.", required=True,
              constraint=f"regex(., '{PERSON_CODE_REGEX}')",
              message_es="Solo letras, números, '-' o '_', sin espacios (nunca el nombre).",
              message_en="Letters, digits, '-' or '_' only, no spaces (never the name)."),
        Field("select_one sex", "sex", "Sexo", "Sex", required=True),
        Field("integer", "grade", "Grado", "Grade", required=True, constraint=". >= 0 and . <= 13",
              message_es="Un grado entre 0 y 13.", message_en="A grade between 0 and 13."),
        Field("end_group", "identification"),
        Field("begin_group", "motivation", "Motivación: ¿qué tan de acuerdo estás?",
              "Motivation: how much do you agree?"),
        *motivation,
        Field("end_group", "motivation"),
        Field("select_one yes_no", "enter_scores", "¿Registrar puntajes de pruebas?", "Enter test scores?",
              required=True),
        Field("begin_group", "scores", "Puntajes", "Scores", relevant="${enter_scores} = 'yes'"),
        *scores,
        Field("end_group", "scores"),
    )
    choices = (
        Choice("wave", "baseline", "Línea de base (inicio)", "Baseline"),
        Choice("wave", "endline", "Línea final (cierre)", "Endline"),
        *COUNTRY,
        Choice("sex", "F", "Femenino", "Female"),
        Choice("sex", "M", "Masculino", "Male"),
        *_likert_choices(),
        *YES_NO,
    )
    return FormDef("lablens_students", "LabLens · Cuestionario de estudiantes", "LabLens · Student questionnaire",
                   STUDENT_VERSION, fields, choices, kind="students", date_field="survey_date",
                   person_fields=("student_id",))


# --- 2. lab log -----------------------------------------------------------------------------------

#: XLSForm choice name -> the lab type LabLens stores (assignments.lab_type; analysis/demo.py)
LAB_TYPES = (("lab_center", "Lab Center"), ("lab_point", "Lab Point"), ("lab_spark", "Lab Spark"))


def lab_log_form() -> FormDef:
    """Lab log, per school and visit (or month): installation, type, use, equipment, connectivity."""
    installed = "${lab_installed} = 'yes'"
    operating = installed + " and ${operating} = 'yes'"
    fields = (
        *_meta("lablens_lab_log", LAB_LOG_VERSION),
        Field("begin_group", "school", "Establecimiento y visita", "School and visit"),
        *_school("visit_date", "Fecha de la visita o cierre del mes", "Visit date or end of the month"),
        Field("select_one period", "period", "Este registro cubre", "This record covers", required=True),
        Field("end_group", "school"),
        Field("begin_group", "lab", "Laboratorio", "Lab"),
        Field("select_one yes_no", "lab_installed", "¿El laboratorio está instalado?", "Is the lab installed?",
              required=True),
        Field("date", "installed_on", "Fecha de instalación", "Installation date", required=True,
              relevant=installed, constraint=". <= today()", message_es="La fecha no puede ser futura.",
              message_en="The date cannot be in the future."),
        Field("select_one lab_type", "lab_type", "Tipo de laboratorio", "Lab type", required=True,
              relevant=installed),
        Field("select_one yes_no", "operating", "¿Está funcionando?", "Is it operating?", required=True,
              relevant=installed),
        _count("sessions_held", "Clases realizadas en el laboratorio", "Class sessions held in the lab",
               relevant=operating, maximum=500),
        _hours("hours_of_use", "Horas de uso", "Hours of use", maximum=744, relevant=operating),
        _count("students_attending", "Estudiantes que asistieron", "Students attending", relevant=operating,
               maximum=5000),
        Field("select_one equipment", "equipment_status", "Estado de los equipos", "Equipment status",
              required=True, relevant=installed),
        Field("select_one connectivity", "connectivity", "Conectividad", "Connectivity", required=True,
              relevant=installed),
        Field("end_group", "lab"),
        Field("text", "comments", "Observaciones (sin nombres de personas)", "Comments (no people's names)",
              appearance="multiline"),
    )
    choices = (
        *COUNTRY,
        Choice("period", "visit", "Una visita", "One visit"),
        Choice("period", "month", "Un mes completo", "A whole month"),
        *YES_NO,
        *(Choice("lab_type", name, value, value, value) for name, value in LAB_TYPES),
        Choice("equipment", "all_working", "Todo funciona", "All working"),
        Choice("equipment", "partly_working", "Funciona en parte", "Partly working"),
        Choice("equipment", "not_working", "No funciona", "Not working"),
        Choice("connectivity", "none", "Sin conexión", "No connection"),
        Choice("connectivity", "intermittent", "Intermitente", "Intermittent"),
        Choice("connectivity", "stable", "Estable", "Stable"),
    )
    return FormDef("lablens_lab_log", "LabLens · Bitácora del laboratorio", "LabLens · Lab log", LAB_LOG_VERSION,
                   fields, choices, kind="records", date_field="visit_date", free_text=("comments",))


# --- 3. teacher training record -------------------------------------------------------------------

TRAINING_MODULES = (
    ("lab_intro", "Introducción al laboratorio", "Introduction to the lab"),
    ("computational_thinking", "Pensamiento computacional", "Computational thinking"),
    ("robotics", "Robótica educativa", "Educational robotics"),
    ("steam_projects", "Proyectos STEAM de aula", "STEAM classroom projects"),
    ("digital_fabrication", "Fabricación digital", "Digital fabrication"),
)


def training_form() -> FormDef:
    """Teacher training record: one session (school, module, date) and a repeat of teachers who took it."""
    fields = (
        *_meta("lablens_training", TRAINING_VERSION),
        Field("begin_group", "session", "Sesión de formación", "Training session"),
        *_school("training_date", "Fecha de la formación", "Training date"),
        Field("select_one module", "module", "Módulo", "Module", required=True),
        Field("end_group", "session"),
        Field("begin_repeat", "participants", "Docente participante", "Participating teacher"),
        Field("text", "teacher_id", "Código del docente", "Teacher code",
              hint_es="El código del docente; nunca el nombre.", hint_en="The teacher's code; never the name.",
              required=True, constraint=f"regex(., '{PERSON_CODE_REGEX}')",
              message_es="Solo letras, números, '-' o '_', sin espacios (nunca el nombre).",
              message_en="Letters, digits, '-' or '_' only, no spaces (never the name)."),
        _hours("hours", "Horas cursadas", "Hours attended", maximum=200),
        Field("select_one yes_no", "completed", "¿Completó el módulo?", "Completed the module?", required=True),
        Field("end_repeat", "participants"),
    )
    choices = (*COUNTRY, *(Choice("module", n, es, en) for n, es, en in TRAINING_MODULES), *YES_NO)
    return FormDef("lablens_training", "LabLens · Registro de formación docente", "LabLens · Teacher training record",
                   TRAINING_VERSION, fields, choices, kind="records", date_field="training_date",
                   person_fields=("teacher_id",))


# --- 4. governance checklist ----------------------------------------------------------------------

def governance_form() -> FormDef:
    """Participatory governance checklist: committee, meetings, families, community, territorial links."""
    committee = "${committee_in_place} = 'yes'"
    fields = (
        *_meta("lablens_governance", GOVERNANCE_VERSION),
        Field("begin_group", "school", "Establecimiento", "School"),
        *_school("checklist_date", "Fecha de la verificación", "Checklist date"),
        Field("end_group", "school"),
        Field("begin_group", "governance", "Gobernanza participativa", "Participatory governance"),
        Field("select_one yes_no", "committee_in_place", "¿Hay un comité escolar del laboratorio?",
              "Is there a school lab committee?", required=True),
        _count("committee_members", "Integrantes del comité", "Committee members", relevant=committee, maximum=100),
        _count("meetings_held", "Reuniones realizadas en el periodo", "Meetings held in the period",
               relevant=committee, maximum=100),
        Field("select_one yes_no", "families_take_part", "¿Participan las familias?", "Do families take part?",
              required=True),
        Field("select_one yes_no", "community_takes_part", "¿Participa la comunidad (líderes, organizaciones)?",
              "Does the community take part (leaders, organisations)?", required=True),
        Field("select_one articulation", "territorial_articulation",
              "Articulación territorial", "Territorial articulation", required=True),
        Field("end_group", "governance"),
        Field("text", "comments", "Observaciones (sin nombres de personas)", "Comments (no people's names)",
              appearance="multiline"),
    )
    choices = (
        *COUNTRY, *YES_NO,
        Choice("articulation", "none", "Ninguna", "None"),
        Choice("articulation", "municipal", "Con el municipio", "With the municipality"),
        Choice("articulation", "departmental", "Con el departamento", "With the department"),
        Choice("articulation", "both", "Con municipio y departamento", "With municipality and department"),
    )
    return FormDef("lablens_governance", "LabLens · Lista de verificación de gobernanza",
                   "LabLens · Governance checklist", GOVERNANCE_VERSION, fields, choices, kind="records",
                   date_field="checklist_date", free_text=("comments",))


def all_forms() -> tuple[FormDef, ...]:
    """The kit, in the order the README presents it."""
    return (student_form(), lab_log_form(), training_form(), governance_form())


FORMS: dict[str, FormDef] = {f.form_id: f for f in all_forms()}
