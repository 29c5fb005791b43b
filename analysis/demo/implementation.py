"""Implementation records of the programme schools: monthly lab logs, teacher training records and
governance checklists (random streams 60, 61, 62), and the planted dose-response they carry.

Each programme school's lab is operating, installed but never operating, or planned and never installed
(MiLab: 6 of every 40 each). An operating lab has planned hours per term drawn once and monthly hours
around them, with occasional months without use. The school's realised dose is its lab hours per term in
the post-wave school year (3 x that year's logged hours / its 10 school months: what
``implementation_school_year.lab_hours_per_term`` gives), and its score effect moves by ``DOSE_SLOPE`` SD
per hour per term (x ``SUBJECT_FACTOR``) around its programme-and-lab-type mean, so every planted effect
of ``PLANTED_EFFECTS`` keeps its value (data/README.md, "Implementation records and the planted
dose-response"). The streams are separate from the outcome streams: the students' draws are unchanged,
only the programme schools' score effects move with their dose.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import duckdb
import numpy as np
import pandas as pd

from analysis.demo.layout import rng_stream
from analysis.demo.params import (
    DOSE_SLOPE,
    GOVERNANCE_MONTHS,
    HOURS_PER_TERM,
    IMPL_STREAM,
    IMPORT_ID,
    LOG_YEARS,
    MODULE_HOURS,
    MONTH_OUTAGE_P,
    NOT_INSTALLED,
    NOT_OPERATING,
    SCHOOL_MONTHS,
    SUBJECT_FACTOR,
    SUBJECTS,
    TEACHERS,
    WAVE_YEARS,
)
from analysis.forms.definitions import FORMS

LAB_FORM, TRAINING_FORM, GOVERNANCE_FORM = (FORMS[f] for f in ("lablens_lab_log", "lablens_training",
                                                               "lablens_governance"))
STATUSES = ("operating", "installed_not_operating", "not_installed")
LAB_COMMENTS = ("Se revisó la conexión eléctrica.", "Faltan repuestos para dos kits.",
                "Clase abierta con familias.", "Se actualizó el software de los equipos.")
GOV_COMMENTS = ("Reunión con la junta de acción comunal.", "Se acordó el calendario de uso del laboratorio.",
                "Participaron madres y padres de familia.")


def _statuses(rng: np.random.Generator, program: str, n: int) -> np.ndarray:
    """Exactly round(share x n) labs not installed and not operating, at random schools."""
    k_none = round(NOT_INSTALLED[program] * n)
    k_idle = round(NOT_OPERATING[program] * n)
    status = np.array(["operating"] * (n - k_none - k_idle) + ["installed_not_operating"] * k_idle
                      + ["not_installed"] * k_none, dtype=object)
    return status[rng.permutation(n)]


def _grid(lay: dict, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(school, year, month) of every school month of the log years, school by school."""
    parts = []
    for country in ("CO", "GT"):
        ym = np.array([(y, m) for y in LOG_YEARS[country] for m in SCHOOL_MONTHS[country]])
        mine = idx[lay["country"][idx] == country]
        parts.append((np.repeat(mine, len(ym)), np.tile(ym[:, 0], mine.size), np.tile(ym[:, 1], mine.size)))
    school, year, month = (np.concatenate(a) for a in zip(*parts, strict=True))
    order = np.argsort(school, kind="stable")
    return school[order], year[order], month[order]


def plan_implementation(lay: dict, seed: int) -> dict:
    """Lab status, installation date, monthly logs and realised dose of every programme school (stream 60)."""
    rng = rng_stream(seed, IMPL_STREAM)
    n = lay["unit_id"].size
    status = np.full(n, None, dtype=object)
    for program in sorted(set(lay["program"][lay["programme"]])):
        idx = np.flatnonzero(lay["program"] == program)
        status[idx] = _statuses(rng, program, idx.size)
    planned = np.maximum(HOURS_PER_TERM["floor"], rng.normal(HOURS_PER_TERM["mean"], HOURS_PER_TERM["sd"], n))
    install_month = rng.integers(1, 5, n)
    install_day = rng.integers(1, 29, n)
    has_lab = lay["programme"] & (status != "not_installed")
    start = np.array([y if y is not None else 0 for y in lay["start_year"]])
    installed_on = {int(s): dt.date(int(start[s]), int(install_month[s]), int(install_day[s]))
                    for s in np.flatnonzero(has_lab)}

    s, year, month = _grid(lay, np.flatnonzero(lay["programme"]))
    k = s.size
    installed = has_lab[s] & (start[s] * 12 + install_month[s] < year * 12 + month)
    operating = installed & (status[s] == "operating") & (rng.random(k) >= MONTH_OUTAGE_P)
    hours = np.where(operating, np.round(2 * planned[s] / 3 * rng.gamma(6.0, 1 / 6.0, k)) / 2, np.nan)
    sessions = np.where(operating, np.maximum(1, np.round(hours / rng.uniform(1.0, 2.0, k))), np.nan)
    students = np.where(operating, np.round(lay["enrolment"][s] * rng.uniform(0.3, 0.9, k)), np.nan)
    working = rng.random(k)
    equipment = np.where(operating, np.where(working < 0.85, "all_working", "partly_working"),
                         np.where(working < 0.7, "not_working", "partly_working")).astype(object)
    is_gt = lay["country"][s] == "GT"
    c = rng.random(k)
    connectivity = np.where(c < np.where(is_gt, 0.30, 0.05), "none",
                            np.where(c < np.where(is_gt, 0.80, 0.40), "intermittent", "stable")).astype(object)
    equipment[~installed] = None
    connectivity[~installed] = None
    comment = np.array(LAB_COMMENTS, dtype=object)[rng.integers(0, len(LAB_COMMENTS), k)]
    comment[rng.random(k) >= 0.05] = None
    logs = pd.DataFrame({"school": s, "year": year, "month": month, "installed": installed,
                         "operating": pd.array(np.where(installed, operating, None), dtype="boolean"),
                         "hours": hours, "sessions": sessions, "students": students, "equipment": equipment,
                         "connectivity": connectivity, "comment": comment})
    dose = np.full(n, np.nan)
    post_year = np.array([WAVE_YEARS[c]["post"] for c in lay["country"]])
    window = logs[logs["year"].to_numpy() == post_year[s]].groupby("school").agg(
        hours=("hours", "sum"), months=("month", "count"))
    dose[window.index.to_numpy()] = 3.0 * window["hours"].to_numpy() / window["months"].to_numpy()
    return {"status": status, "installed_on": installed_on, "logs": logs, "dose": dose}


def apply_dose(lay: dict, plan: dict) -> None:
    """Move each programme school's score effects by DOSE_SLOPE x SUBJECT_FACTOR x (dose - its programme-and-
    lab-type mean dose): the planted dose-response. Every group's mean effect is unchanged."""
    dose = plan["dose"]
    shift = np.zeros(dose.size)
    for key in sorted({(p, t) for p, t, on in zip(lay["program"], lay["lab_type"], lay["programme"], strict=True)
                       if on}):
        idx = np.flatnonzero((lay["program"] == key[0]) & (lay["lab_type"] == key[1]))
        shift[idx] = DOSE_SLOPE * (dose[idx] - dose[idx].mean())
    factor = np.array([SUBJECT_FACTOR[k] for k in SUBJECTS])
    lay["tau"] = lay["tau"] + shift[:, None] * factor[None, :]


def _month_ends(year: np.ndarray, month: np.ndarray) -> pd.Series:
    first = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": 1}))
    return (first + pd.offsets.MonthEnd(0)).dt.date


def _lab_log_frame(lay: dict, plan: dict) -> pd.DataFrame:
    logs = plan["logs"]
    s = logs["school"].to_numpy()
    installed = logs["installed"].to_numpy()
    dates = _month_ends(logs["year"].to_numpy(), logs["month"].to_numpy())
    installed_on = pd.Series([plan["installed_on"].get(int(i)) for i in s], dtype=object).where(installed, None)
    return pd.DataFrame({
        "submission_id": "lab:" + pd.Series(lay["unit_id"][s]) + ":" + dates.astype(str),
        "submitted_at": pd.to_datetime(dates) + pd.Timedelta(days=2, hours=17),
        "unit_id": lay["unit_id"][s], "visit_date": dates, "period": "month",
        "lab_installed": installed, "installed_on": installed_on,
        "lab_type": pd.Series(lay["lab_type"][s], dtype=object).where(installed, None),
        "operating": logs["operating"], "sessions_held": logs["sessions"].astype("Int32"),
        "hours_of_use": logs["hours"].astype("Float64"), "students_attending": logs["students"].astype("Int32"),
        "equipment_status": logs["equipment"], "connectivity": logs["connectivity"], "comments": logs["comment"]})


def _training_frame(lay: dict, seed: int) -> pd.DataFrame:
    """Each programme school trains its teachers in 1-5 modules (stream 61): hours vary by school."""
    rng = rng_stream(seed, IMPL_STREAM + 1)
    modules = list(MODULE_HOURS)
    out: dict[str, list] = {k: [] for k in ("submission_id", "entry", "submitted_at", "unit_id", "training_date",
                                            "module", "teacher_key", "hours", "completed")}
    for s in np.flatnonzero(lay["programme"]):
        country, uid = lay["country"][s], lay["unit_id"][s]
        lo, hi = TEACHERS[country]
        teachers = [hashlib.md5(f"lablens-demo:{seed}:teacher:{uid}:{t}".encode()).hexdigest()
                    for t in range(int(rng.integers(lo, hi + 1)))]
        first_year = LOG_YEARS[country][0]
        attend = rng.uniform(0.5, 1.0)  # the school's share of teachers at each session
        for k, module in enumerate(modules[:int(rng.integers(1, len(modules) + 1))]):
            year, month = first_year + (k * 4) // 10, SCHOOL_MONTHS[country][(k * 4) % 10]
            day = dt.date(year, month, int(rng.integers(1, 29)))
            sub = f"training:{uid}:{module}"
            entry = 0
            for teacher in teachers:
                if rng.random() >= attend:
                    continue
                entry += 1
                hours = float(np.round(2 * MODULE_HOURS[module] * rng.uniform(0.5, 1.0)) / 2)
                out["submission_id"].append(sub)
                out["entry"].append(entry)
                out["submitted_at"].append(dt.datetime.combine(day, dt.time(18, 0)))
                out["unit_id"].append(uid)
                out["training_date"].append(day)
                out["module"].append(module)
                out["teacher_key"].append(teacher)
                out["hours"].append(hours)
                out["completed"].append(hours >= 0.75 * MODULE_HOURS[module])
    return pd.DataFrame(out)


def _governance_frame(lay: dict, seed: int) -> pd.DataFrame:
    """Three checklists a year per programme school (stream 62), by a school's participation propensity."""
    rng = rng_stream(seed, IMPL_STREAM + 2)
    n = lay["unit_id"].size
    g = rng.uniform(0.2, 0.95, n)
    parts = []
    for country in ("CO", "GT"):
        ym = np.array([(y, m) for y in LOG_YEARS[country] for m in GOVERNANCE_MONTHS])
        mine = np.flatnonzero(lay["programme"] & (lay["country"] == country))
        parts.append((np.repeat(mine, len(ym)), np.tile(ym[:, 0], mine.size), np.tile(ym[:, 1], mine.size)))
    s, year, month = (np.concatenate(a) for a in zip(*parts, strict=True))
    order = np.argsort(s, kind="stable")
    s, year, month = s[order], year[order], month[order]
    k, gs = s.size, g[s]
    committee = rng.random(k) < gs
    members = np.where(committee, rng.integers(4, 13, k), -1)
    meetings = np.where(committee, rng.poisson(3 * gs), -1)
    families = rng.random(k) < gs
    community = rng.random(k) < 0.8 * gs
    links = np.array(["municipal", "departmental", "both"], dtype=object)[rng.integers(0, 3, k)]
    links[rng.random(k) > gs] = "none"
    comment = np.array(GOV_COMMENTS, dtype=object)[rng.integers(0, len(GOV_COMMENTS), k)]
    comment[rng.random(k) >= 0.05] = None
    dates = _month_ends(year, month)
    return pd.DataFrame({
        "submission_id": "governance:" + pd.Series(lay["unit_id"][s]) + ":" + dates.astype(str),
        "submitted_at": pd.to_datetime(dates) + pd.Timedelta(days=1, hours=16),
        "unit_id": lay["unit_id"][s], "checklist_date": dates, "committee_in_place": committee,
        "committee_members": pd.array(np.where(members < 0, None, members), dtype="Int32"),
        "meetings_held": pd.array(np.where(meetings < 0, None, meetings), dtype="Int32"),
        "families_take_part": families, "community_takes_part": community, "territorial_articulation": links,
        "comments": comment})


def insert_implementation(con: duckdb.DuckDBPyConnection, lay: dict, plan: dict, seed: int) -> dict[str, int]:
    """Insert the lab logs, training records and governance checklists; returns their row counts."""
    counts = {}
    for table, form, frame in (("lab_log", LAB_FORM, _lab_log_frame(lay, plan)),
                               ("teacher_training", TRAINING_FORM, _training_frame(lay, seed)),
                               ("governance_check", GOVERNANCE_FORM, _governance_frame(lay, seed))):
        frame.insert(0, "form_version", form.version)
        frame.insert(0, "form_id", form.form_id)
        frame.insert(0, "import_id", IMPORT_ID)
        columns = [r[0] for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = 'target' AND table_name = ? "
            "ORDER BY column_index", [table]).fetchall()]
        con.register("demo_impl", frame)
        # submission IDs: UUID-shaped md5 of the record's place (demo records have no real instance)
        select = ", ".join(
            "regexp_replace(md5($prefix || submission_id), '^(.{8})(.{4})(.{4})(.{4})(.{12})$', "
            "'\\1-\\2-\\3-\\4-\\5')" if c == "submission_id" else f'"{c}"' for c in columns)
        con.execute(f"INSERT INTO target.{table} SELECT {select} FROM demo_impl",
                    {"prefix": f"lablens-demo:{seed}:"})
        con.unregister("demo_impl")
        counts[table] = len(frame)
    return counts
