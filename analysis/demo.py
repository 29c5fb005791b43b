"""Seeded synthetic demo database: invented schools and students in real places, with planted effects.

`build_demo(path, students, seed)` writes a complete database through `store.writable_snapshot`:
Valle del Cauca (department, its 42 DANE municipalities, invented schools with 12-digit DANE-style
codes) and Guatemala (its 22 departments, 19 real municipalities, invented rural schools with
MINEDUC-style codes), ValleLabs / MiLab / comparison assignments, linked students with pre/post
scores, motivation items and next-year enrolment, and yearly school and municipality rates.

Everything about schools, students and effects is invented; place names and codes are real. The true
effects are in `PLANTED_EFFECTS`, defined in the simulation's own terms (data/README.md explains each
one) so that tests of the analysis engine can check that it recovers them.

Generation is vectorised numpy in chunks of schools (at most `CHUNK_STUDENTS` students each), and each
chunk is inserted as one Arrow frame that DuckDB unpivots into the long `observations` table, student
by student (rows of one student sit together, which lets DuckDB dictionary-compress the keys).
The same seed and size always give identical table contents (only `imports.imported_at` differs).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from analysis.catalog import (
    GT_DEPARTMENTS,
    MOTIVATION_ITEMS,
    VALLE_CERTIFIED,
    VALLE_MUNICIPALITIES,
    co_authority,
    indicator_rows,
    unit_id,
)
from analysis.db.connect import default_db_path
from analysis.db.schema import create_schema
from analysis.precompute.publish import writable_snapshot

DEMO_VERSION = 1
DEFAULT_STUDENTS = 20_000
DEFAULT_SEED = 20240601
MIN_STUDENTS = 100
CHUNK_STUDENTS = 500_000
IMPORT_ID = 1

# --- Design: arms, sizes, windows -------------------------------------------------------------

# Schools per arm at the default size; counts scale linearly with `students` (see `school_counts`).
# Students are shared out in proportion to random school weights averaging 84 (Colombia, secondary)
# and 40 (Guatemala, small rural primary schools): about 71 students per school overall.
ARMS: tuple[tuple[str, str], ...] = (
    ("CO", "ValleLabs"), ("CO", "comparison"), ("GT", "MiLab"), ("GT", "comparison"))
BASE_SCHOOLS = {("CO", "ValleLabs"): 120, ("CO", "comparison"): 80,
                ("GT", "MiLab"): 40, ("GT", "comparison"): 40}
MEAN_SCHOOL_WEIGHT = {"CO": 84.0, "GT": 40.0}
PROGRAMME_OF = {"CO": "ValleLabs", "GT": "MiLab"}

# Lab types: (name, share of the programme's schools, start year).
LAB_TYPES: dict[str, tuple[tuple[str, float, int], ...]] = {
    "ValleLabs": (("Lab Center", 1 / 6, 2019), ("Lab Point", 1 / 3, 2020), ("Lab Spark", 1 / 2, 2021)),
    "MiLab": (("Lab Point", 0.4, 2024), ("Lab Spark", 0.6, 2024)),
}
WAVE_YEARS = {"CO": {"pre": 2022, "post": 2023}, "GT": {"pre": 2024, "post": 2025}}
RATE_YEARS = {"CO": tuple(range(2015, 2026)), "GT": tuple(range(2019, 2026))}
FIRST_PRE_GRADE = {"CO": 6, "GT": 1}  # pre grades CO 6-10, GT 1-5; post = pre + 1 unless repeating
REPEAT_P = {"CO": 0.05, "GT": 0.08}
P_MALE = {"CO": 0.49, "GT": 0.51}
ATTRITION = {("CO", "ValleLabs"): 0.09, ("CO", "comparison"): 0.12,
             ("GT", "MiLab"): 0.11, ("GT", "comparison"): 0.15}

# --- Scores -----------------------------------------------------------------------------------
SUBJECTS = ("score_math", "score_language", "score_science")
SCORE_SCALE = {"CO": {"mean": 50.0, "sd": 10.0, "min": 0.0, "max": 100.0},   # Saber-like 0-100
               "GT": {"mean": 470.0, "sd": 75.0, "min": 200.0, "max": 800.0}}  # DIGEDUCA-like
SCORE_ICC = 0.18            # school share of the score variance (latent SD units, within an arm)
GROWTH_SCHOOL_SD = 0.10     # school-level variation of the pre->post gain
SCORE_AUTOCORR = 0.75       # student-level persistence of the individual deviation
SUBJECT_SHARED = {"student": 0.6, "school": 0.7}  # variance share common to the three subjects
SEX_GAP = {"score_math": 0.10, "score_language": -0.12, "score_science": 0.04}  # boys - girls, SD
MATURATION = {"CO": 0.20, "GT": 0.30}   # common pre->post growth, SD units
SELECTION = {"ValleLabs": -0.15, "MiLab": -0.10}  # programme schools' baseline shift, SD units
SUBJECT_FACTOR = {"score_math": 1.0, "score_language": 0.5, "score_science": 1.2}
LAB_EFFECT = {("ValleLabs", "Lab Center"): 0.40, ("ValleLabs", "Lab Point"): 0.25,
              ("ValleLabs", "Lab Spark"): 0.10, ("MiLab", "Lab Point"): 0.12,
              ("MiLab", "Lab Spark"): 0.12}  # mathematics, SD units; other subjects x SUBJECT_FACTOR

# --- Motivation (8 Likert items, 4 and 8 reverse-coded) -----------------------------------------
MOT_ICC = 0.08
MOT_GROWTH_SCHOOL_SD = 0.10
MOT_AUTOCORR = 0.60
MOT_ITEM_NOISE_VAR = 1.6
_MOT_X_SD = math.sqrt(1.0 + MOT_ITEM_NOISE_VAR)
MOT_THRESHOLDS = tuple(t * _MOT_X_SD for t in (-1.75, -0.95, -0.05, 0.95))
MOT_ITEM_OFFSETS = tuple(o * _MOT_X_SD for o in (-0.15, 0.10, -0.05, 0.20, -0.30, 0.00, -0.20, 0.25))
MOT_REVERSED = tuple(rev for _es, _en, rev in MOTIVATION_ITEMS)
MOT_EFFECT = {"ValleLabs": 0.25, "MiLab": 0.20}      # latent SD units
MOT_MATURATION = {"CO": -0.10, "GT": 0.0}

# --- Next-year enrolment ------------------------------------------------------------------------
ENROL_BASE_P = {"CO": 0.90, "GT": 0.85}
ENROL_SCHOOL_SD = 0.5            # logit scale
ENROL_OR = {"ValleLabs": 1.5, "MiLab": 1.3}  # conditional (school-specific) odds ratio

# --- Yearly rates (percent) ---------------------------------------------------------------------
DROPOUT_EFFECT = {"ValleLabs": -1.0, "MiLab": -0.8}  # points, every year >= start_year
_YEAR_EFFECTS = {
    "CO": {
        "dropout": (0.3, 0.5, 0.3, 0.1, 0.2, 1.8, 2.6, 1.0, 0.4, 0.1, 0.0),
        "failure": (0.8, 1.0, 0.8, 0.9, 0.7, -1.5, -0.8, 1.2, 0.9, 0.6, 0.5),
        "repetition": (0.3, 0.4, 0.4, 0.3, 0.3, -0.6, -0.3, 0.8, 0.6, 0.4, 0.3),
    },
    "GT": {
        "dropout": (0.2, 2.2, 2.8, 1.0, 0.4, 0.1, 0.0),
        "failure": (1.0, -2.5, -1.5, 1.5, 1.0, 0.8, 0.6),
        "repetition": (0.5, -1.0, -0.6, 1.0, 0.7, 0.5, 0.4),
    },
}
# School base levels: floor + Gamma(2, scale) (+ rural, + programme selection for dropout);
# year effect; symmetric triangular noise of the given half-width. Floors keep every value > 0.
_SCHOOL_RATE_MODEL = {
    "CO": {"dropout": (2.0, 0.8, 0.9), "failure": (3.0, 1.2, 1.0), "repetition": (1.2, 0.5, 0.5)},
    "GT": {"dropout": (2.5, 1.0, 0.9), "failure": (4.0, 1.5, 1.0), "repetition": (2.5, 1.0, 0.5)},
}
DROPOUT_RURAL = 0.8
DROPOUT_SELECTION = 0.4

# --- Places -------------------------------------------------------------------------------------
# Valle del Cauca municipality centroids (area-weighted, from DANE MGN 2018 boundaries) and
# approximate populations in thousands (used only as weights for placing invented schools).
VALLE_PLACES: dict[str, tuple[float, float, int]] = {
    "76001": (3.399, -76.578, 2228), "76020": (4.679, -75.788, 22), "76036": (4.154, -76.172, 18),
    "76041": (4.799, -76.033, 19), "76054": (4.714, -76.140, 6), "76100": (4.363, -76.361, 15),
    "76109": (3.612, -77.085, 311), "76111": (3.856, -76.099, 128), "76113": (4.197, -76.090, 21),
    "76122": (4.320, -75.836, 30), "76126": (3.940, -76.634, 17), "76130": (3.382, -76.386, 86),
    "76147": (4.707, -75.923, 134), "76233": (3.644, -76.721, 37), "76243": (4.910, -76.062, 10),
    "76246": (4.758, -76.221, 9), "76248": (3.679, -76.206, 57), "76250": (4.544, -76.271, 8),
    "76275": (3.303, -76.168, 58), "76306": (3.737, -76.191, 22), "76318": (3.785, -76.301, 35),
    "76364": (3.211, -76.627, 145), "76377": (3.698, -76.591, 12), "76400": (4.542, -76.105, 39),
    "76403": (4.483, -75.966, 13), "76497": (4.595, -75.952, 15), "76520": (3.555, -76.229, 310),
    "76563": (3.418, -76.184, 57), "76606": (3.806, -76.535, 16), "76616": (4.106, -76.374, 14),
    "76622": (4.448, -76.170, 33), "76670": (3.980, -76.207, 19), "76736": (4.187, -75.886, 45),
    "76823": (4.645, -76.077, 16), "76828": (4.231, -76.346, 17), "76834": (4.028, -76.033, 218),
    "76845": (4.707, -75.775, 5), "76863": (4.633, -76.215, 7), "76869": (3.742, -76.473, 11),
    "76890": (3.903, -76.392, 17), "76892": (3.597, -76.508, 107), "76895": (4.357, -76.049, 46),
}
VALLE_BOX = {"lat": (3.0, 5.0), "lon": (-77.3, -75.7)}

# Guatemalan municipalities (INE/MINEDUC code DD-MM): name, centroid (from MINFIN boundaries) and
# approximate shares of maya / ladino / garifuna / xinka pupils, used only to draw the attribute.
ETHNICITIES = ("maya", "ladino", "garifuna", "xinka")
GT_MUNICIPALITIES: dict[str, tuple[str, float, float, tuple[float, float, float, float]]] = {
    "04-01": ("Chimaltenango", 14.686, -90.822, (0.75, 0.25, 0.0, 0.0)),
    "04-06": ("Tecpán Guatemala", 14.803, -91.006, (0.90, 0.10, 0.0, 0.0)),
    "06-08": ("Chiquimulilla", 13.973, -90.335, (0.02, 0.83, 0.0, 0.15)),
    "07-01": ("Sololá", 14.823, -91.181, (0.95, 0.05, 0.0, 0.0)),
    "07-19": ("Santiago Atitlán", 14.604, -91.228, (0.97, 0.03, 0.0, 0.0)),
    "08-01": ("Totonicapán", 14.898, -91.321, (0.97, 0.03, 0.0, 0.0)),
    "12-01": ("San Marcos", 15.002, -91.835, (0.25, 0.75, 0.0, 0.0)),
    "12-04": ("Comitancillo", 15.111, -91.746, (0.95, 0.05, 0.0, 0.0)),
    "13-01": ("Huehuetenango", 15.315, -91.388, (0.30, 0.70, 0.0, 0.0)),
    "13-26": ("Santa Cruz Barillas", 15.932, -91.221, (0.75, 0.25, 0.0, 0.0)),
    "14-01": ("Santa Cruz del Quiché", 15.041, -91.124, (0.85, 0.15, 0.0, 0.0)),
    "14-13": ("Nebaj", 15.562, -91.173, (0.90, 0.10, 0.0, 0.0)),
    "15-01": ("Salamá", 15.069, -90.288, (0.40, 0.60, 0.0, 0.0)),
    "15-03": ("Rabinal", 15.113, -90.507, (0.85, 0.15, 0.0, 0.0)),
    "16-01": ("Cobán", 15.711, -90.540, (0.88, 0.12, 0.0, 0.0)),
    "16-09": ("San Pedro Carchá", 15.579, -90.152, (0.97, 0.03, 0.0, 0.0)),
    "17-01": ("Flores", 17.370, -89.535, (0.10, 0.90, 0.0, 0.0)),
    "17-10": ("Sayaxché", 16.306, -90.222, (0.55, 0.45, 0.0, 0.0)),
    "18-02": ("Livingston", 15.777, -89.151, (0.60, 0.22, 0.18, 0.0)),
}
GT_LEVEL_SUFFIX = "43"  # MINEDUC level code of primary schools
MAX_GT_SCHOOL_NUMBER = 9999

_CO_NAMES = (
    "San José", "Santa Teresita", "La Inmaculada", "Simón Bolívar", "Antonio Nariño",
    "Francisco de Paula Santander", "Policarpa Salavarrieta", "Jorge Isaacs", "José María Córdoba",
    "Gabriela Mistral", "Nuestra Señora del Carmen", "San Vicente", "La Esperanza", "El Rosario",
    "Juan XXIII", "Camilo Torres", "Sagrada Familia", "Alfonso López Pumarejo", "Rafael Uribe Uribe",
    "Jorge Eliécer Gaitán", "Atanasio Girardot", "Cristóbal Colón", "María Auxiliadora",
    "Santa Rosa", "Los Andes", "La Paz", "Luis Carlos Galán", "Agrícola", "Técnico Agropecuario",
    "Manuela Beltrán", "Pedro Nel Ospina", "Santa Inés", "San Luis Gonzaga", "Nuevo Horizonte",
)
_GT_NAMES = (
    "Los Pinos", "El Naranjo", "San Antonio", "Las Flores", "La Esperanza", "El Rosario",
    "Santa Elena", "San Isidro", "Buena Vista", "El Carmen", "San José", "La Libertad", "Santa Cruz",
    "El Progreso", "San Juan", "Las Palmas", "El Mirador", "La Cumbre", "San Pablo", "Santa María",
    "Nueva Esperanza", "El Paraíso", "Los Encuentros", "San Lucas", "La Unión", "San Miguel",
)


# --- Exact planted effects ----------------------------------------------------------------------

def _norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _expected_motivation_index(mu: float) -> float:
    """E[motivation_index] when the latent trait is N(mu, 1): exact, from the item thresholds."""
    total = 0.0
    for offset in MOT_ITEM_OFFSETS:
        total += sum(_norm_cdf((mu - t - offset) / _MOT_X_SD) for t in MOT_THRESHOLDS)
    return 1.0 + total / len(MOT_ITEM_OFFSETS)


def _mean_enrol_p(country: str, log_or: float) -> float:
    """Population mean of P(enrolled next year): E_u[expit(alpha + u + log_or)], u ~ N(0, sd^2)."""
    nodes, weights = np.polynomial.hermite.hermgauss(80)
    alpha = math.log(ENROL_BASE_P[country] / (1.0 - ENROL_BASE_P[country]))
    eta = alpha + math.sqrt(2.0) * ENROL_SCHOOL_SD * nodes + log_or
    return float(np.sum(weights / (1.0 + np.exp(-eta))) / math.sqrt(math.pi))


def _odds(p: float) -> float:
    return p / (1.0 - p)


def _r(x: float) -> float:
    return round(float(x), 6)


def _planted_effects() -> dict:
    out: dict = {
        "version": DEMO_VERSION,
        "definitions": {
            "score g": "difference-in-differences of population mean scores (programme minus comparison, "
                       "post minus pre) divided by the population SD of individual scores within an arm "
                       "at the pre wave, which is the scale SD (sd_points); equals did_points / sd_points",
            "score prepost_g": "programme pre->post change of population mean scores divided by the SD "
                               "pooled over the two waves within the programme (maturation + effect)",
            "motivation": "motivation_index in index points (1-5 scale); exact expectation of the "
                          "discretised items given the latent model; did = programme change minus "
                          "comparison change",
            "enrolled_next_year": "odds_ratio = odds(population mean P | programme) / odds(population "
                                  "mean P | comparison) at the post wave (marginal, population-averaged); "
                                  "conditional_odds_ratio is the school-specific logit coefficient",
            "rates": "did_points = (programme mean in years >= start_year - programme mean before) - "
                     "(comparison mean in the same calendar years - comparison mean before), over "
                     "school-years, unweighted; the effect is constant over post years and lab types",
        },
    }
    for country, programme in (("CO", "ValleLabs"), ("GT", "MiLab")):
        scale = SCORE_SCALE[country]
        types = LAB_TYPES[programme]
        block: dict = {
            "country": country,
            "waves": dict(WAVE_YEARS[country]),
            "rate_years": [RATE_YEARS[country][0], RATE_YEARS[country][-1]],
            "lab_types": {name: {"share_of_schools": _r(share), "start_year": start}
                          for name, share, start in types},
            "attrition": {"programme": ATTRITION[(country, programme)],
                          "comparison": ATTRITION[(country, "comparison")],
                          "differential_points": _r(100 * (ATTRITION[(country, "comparison")]
                                                           - ATTRITION[(country, programme)]))},
        }
        for subject in SUBJECTS:
            by_type = {name: LAB_EFFECT[(programme, name)] * SUBJECT_FACTOR[subject]
                       for name, _s, _y in types}
            mean_tau = sum(share * by_type[name] for name, share, _y in types)
            var_tau = sum(share * (by_type[name] - mean_tau) ** 2 for name, share, _y in types)
            mat = MATURATION[country]
            block[subject] = {
                "did_g": _r(mean_tau),
                "did_points": _r(mean_tau * scale["sd"]),
                "sd_points": scale["sd"],
                "by_lab_type_g": {k: _r(v) for k, v in by_type.items()},
                "prepost_points": _r((mat + mean_tau) * scale["sd"]),
                "prepost_g": _r((mat + mean_tau) / math.sqrt((2.0 + var_tau) / 2.0)),
                "comparison_prepost_points": _r(mat * scale["sd"]),
                "comparison_prepost_g": _r(mat),
                "baseline_gap_g": SELECTION[programme],
                "icc": SCORE_ICC,
            }
        mat_m, eff_m = MOT_MATURATION[country], MOT_EFFECT[programme]
        base = _expected_motivation_index(0.0)
        block["motivation_index"] = {
            "did_points": _r(_expected_motivation_index(mat_m + eff_m) - _expected_motivation_index(mat_m)),
            "latent_shift_sd": eff_m,
            "prepost_points": _r(_expected_motivation_index(mat_m + eff_m) - base),
            "comparison_prepost_points": _r(_expected_motivation_index(mat_m) - base),
            "baseline_mean": _r(base),
        }
        p_c = _mean_enrol_p(country, 0.0)
        p_t = _mean_enrol_p(country, math.log(ENROL_OR[programme]))
        odds_ratio = _odds(p_t) / _odds(p_c)
        block["enrolled_next_year"] = {
            "odds_ratio": _r(odds_ratio),
            "conditional_odds_ratio": ENROL_OR[programme],
            "cox_index": _r(math.log(odds_ratio) / 1.65),
            "p_programme": _r(p_t),
            "p_comparison": _r(p_c),
            "difference_points": _r(100 * (p_t - p_c)),
        }
        block["dropout_rate"] = {"did_points": DROPOUT_EFFECT[programme],
                                 "baseline_gap_points": DROPOUT_SELECTION}
        block["promotion_rate"] = {"did_points": -DROPOUT_EFFECT[programme]}
        block["repetition_rate"] = {"did_points": 0.0}
        out[programme] = block
    out["municipality_rates"] = {"dropout_rate": 0.0, "promotion_rate": 0.0, "repetition_rate": 0.0}
    return out


PLANTED_EFFECTS: dict = _planted_effects()


# --- Layout -------------------------------------------------------------------------------------

def school_counts(students: int) -> dict[tuple[str, str], int]:
    """Schools per arm for a size: the default counts scaled by students / DEFAULT_STUDENTS.

    ValleLabs stays a multiple of 6 so its lab-type shares are exactly 1/6, 1/3, 1/2.
    """
    f = students / DEFAULT_STUDENTS
    return {("CO", "ValleLabs"): 6 * max(1, round(20 * f)),
            ("CO", "comparison"): max(4, round(80 * f)),
            ("GT", "MiLab"): max(2, round(40 * f)),
            ("GT", "comparison"): max(2, round(40 * f))}


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream,)))


def _lab_types(programme: str, n: int) -> list[tuple[str, int]]:
    types = LAB_TYPES[programme]
    counts = [max(1, round(share * n)) for _name, share, _y in types[:-1]]
    counts.append(n - sum(counts))
    return [(name, c) for (name, _s, _y), c in zip(types, counts, strict=True)]


def _layout(students: int, seed: int) -> dict:
    """All schools and their random effects (numpy arrays, sorted by unit_id)."""
    rng = _rng(seed, 0)
    counts = school_counts(students)
    if students < sum(counts.values()):  # unreachable above MIN_STUDENTS; kept as a guard
        raise ValueError("fewer students than schools")
    rows: dict[str, list] = {k: [] for k in ("country", "arm", "program", "lab_type", "start_year", "muni")}
    noncert = sorted(set(VALLE_MUNICIPALITIES) - VALLE_CERTIFIED)
    cert = sorted(VALLE_CERTIFIED)
    gt_munis = sorted(GT_MUNICIPALITIES)

    def weights(codes: list[str]) -> np.ndarray:
        w = np.array([VALLE_PLACES[c][2] for c in codes], dtype=float) ** 0.7
        return w / w.sum()

    for arm_no, (country, program) in enumerate(ARMS):
        n = counts[(country, program)]
        if program == "comparison":
            kinds = [(None, n, None)]
        else:
            starts = {name: start for name, _share, start in LAB_TYPES[program]}
            kinds = [(name, c, starts[name]) for name, c in _lab_types(program, n)]
        for lab_type, k, start in kinds:
            if country == "CO":
                if program == "ValleLabs":
                    munis = rng.choice(noncert, size=k, p=weights(noncert))
                else:
                    in_cert = rng.random(k) < 0.25
                    munis = np.where(in_cert, rng.choice(cert, size=k, p=weights(cert)),
                                     rng.choice(noncert, size=k, p=weights(noncert)))
            else:
                munis = rng.choice(gt_munis, size=k)
            rows["country"] += [country] * k
            rows["arm"] += [arm_no] * k
            rows["program"] += [program] * k
            rows["lab_type"] += [lab_type] * k
            rows["start_year"] += [start] * k
            rows["muni"] += [str(m) for m in munis]
    n_schools = len(rows["arm"])
    country = np.array(rows["country"])
    muni = np.array(rows["muni"])
    is_co = country == "CO"
    cert_mask = np.isin(muni, cert)
    arm = np.array(rows["arm"])
    p_rural = np.where(is_co, np.where(cert_mask, 0.30, 0.55), np.where(arm == 2, 1.0, 0.9))
    rural = rng.random(n_schools) < p_rural

    # Codes: distinct random school numbers within each municipality.
    code = np.empty(n_schools, dtype=object)
    for m in sorted(set(rows["muni"])):
        idx = np.flatnonzero(muni == m)
        if m in VALLE_MUNICIPALITIES:
            top = max(9_999, 4 * idx.size)
            nums = rng.choice(top, size=idx.size, replace=False) + 1
            code[idx] = [f"1{m}{x:06d}" for x in nums]
        else:
            if idx.size > MAX_GT_SCHOOL_NUMBER:
                raise ValueError("too many Guatemalan schools per municipality for 4-digit school numbers")
            nums = rng.choice(MAX_GT_SCHOOL_NUMBER, size=idx.size, replace=False) + 1
            code[idx] = [f"{m}-{x:04d}-{GT_LEVEL_SUFFIX}" for x in nums]
    uid = np.array([unit_id(c, k) for c, k in zip(country, code, strict=True)])
    order = np.argsort(uid, kind="stable")

    def sort(a):
        return np.asarray(a)[order]

    lay: dict = {
        "unit_id": sort(uid), "code": sort(code), "country": sort(country), "arm": sort(arm),
        "program": sort(np.array(rows["program"])),
        "lab_type": sort(np.array(rows["lab_type"], dtype=object)),
        "start_year": sort(np.array(rows["start_year"], dtype=object)), "muni": sort(muni),
        "rural": sort(rural),
    }
    n = n_schools
    is_co = lay["country"] == "CO"
    lay["is_co"] = is_co
    lay["cidx"] = np.where(is_co, 0, 1)  # index into per-country parameter pairs
    programme = lay["program"] != "comparison"
    lay["programme"] = programme
    gt_of = np.array([gt_munis.index(m) if not c else -1 for m, c in zip(lay["muni"], is_co, strict=True)])
    lay["gt_muni_idx"] = gt_of

    # Places and names.
    lat0 = np.array([VALLE_PLACES[m][0] if c else GT_MUNICIPALITIES[m][1]
                     for m, c in zip(lay["muni"], is_co, strict=True)])
    lon0 = np.array([VALLE_PLACES[m][1] if c else GT_MUNICIPALITIES[m][2]
                     for m, c in zip(lay["muni"], is_co, strict=True)])
    lat = lat0 + rng.normal(0.0, np.where(is_co, 0.035, 0.04))
    lon = lon0 + rng.normal(0.0, np.where(is_co, 0.035, 0.04))
    lay["lat"] = np.round(np.where(is_co, np.clip(lat, *VALLE_BOX["lat"]), lat), 5)
    lay["lon"] = np.round(np.where(is_co, np.clip(lon, *VALLE_BOX["lon"]), lon), 5)
    name_no = rng.integers(0, 1_000_000, n)
    names = []
    seen: dict[tuple[str, str], int] = {}
    for i in range(n):
        if is_co[i]:
            base = _CO_NAMES[name_no[i] % len(_CO_NAMES)]
            prefix = "Institución Educativa Rural" if lay["rural"][i] else "Institución Educativa"
        else:
            base = _GT_NAMES[name_no[i] % len(_GT_NAMES)]
            prefix = "EORM Aldea" if lay["rural"][i] else "EOUM Barrio"
        key = (lay["muni"][i], f"{prefix} {base}")
        seen[key] = seen.get(key, 0) + 1
        names.append(key[1] if seen[key] == 1 else f"{key[1]} No. {seen[key]}")
    lay["name"] = np.array(names, dtype=object)

    # Students per school: 1 + multinomial share of the rest, by random school weights.
    w = rng.gamma(3.0, np.where(is_co, MEAN_SCHOOL_WEIGHT["CO"], MEAN_SCHOOL_WEIGHT["GT"]) / 3.0)
    lay["size"] = 1 + rng.multinomial(students - n, w / w.sum())
    lay["enrolment"] = np.where(
        is_co, np.round(lay["size"] * rng.uniform(2.5, 4.5, n)) + 20,
        np.round(lay["size"] * rng.uniform(1.2, 1.6, n)) + 5)

    # School random effects for scores.
    sel = np.array([SELECTION.get(p, 0.0) for p in lay["program"]])
    common = rng.standard_normal(n)
    own = rng.standard_normal((n, len(SUBJECTS)))
    lam = SUBJECT_SHARED["school"]
    lay["b"] = sel[:, None] + math.sqrt(SCORE_ICC) * (math.sqrt(lam) * common[:, None]
                                                      + math.sqrt(1 - lam) * own)
    lay["v"] = GROWTH_SCHOOL_SD * rng.standard_normal((n, len(SUBJECTS)))
    tau = np.zeros((n, len(SUBJECTS)))
    for j, subject in enumerate(SUBJECTS):
        tau[:, j] = [LAB_EFFECT[(p, t)] * SUBJECT_FACTOR[subject] if t is not None else 0.0
                     for p, t in zip(lay["program"], lay["lab_type"], strict=True)]
    lay["tau"] = tau
    lay["a_mot"] = math.sqrt(MOT_ICC) * rng.standard_normal(n)
    lay["w_mot"] = MOT_GROWTH_SCHOOL_SD * rng.standard_normal(n)
    lay["tau_mot"] = np.array([MOT_EFFECT.get(p, 0.0) for p in lay["program"]])
    lay["u_enrol"] = ENROL_SCHOOL_SD * rng.standard_normal(n)
    lay["beta_enrol"] = np.array([math.log(ENROL_OR[p]) if p in ENROL_OR else 0.0 for p in lay["program"]])
    lay["attrition"] = np.array([ATTRITION[(c, p)] for c, p in zip(lay["country"], lay["program"],
                                                                      strict=True)])
    p_morning = np.where(lay["rural"], 0.85, 0.55)
    lay["p_morning"] = p_morning
    return lay


# --- Students -------------------------------------------------------------------------------------

def _dict_array(indices: np.ndarray, values: list[str]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(indices.astype(np.int32)), pa.array(values))


def _masked(values: np.ndarray) -> pa.Array:
    return pa.array(values, mask=np.isnan(values))


def _interleave(pre: np.ndarray, post: np.ndarray) -> np.ndarray:
    out = np.empty(pre.shape[0] * 2, dtype=np.result_type(pre, post))
    out[0::2] = pre
    out[1::2] = post
    return out


def _student_chunk(lay: dict, lo: int, hi: int, rng: np.random.Generator) -> dict:
    """Vectorised draw of the students of schools lo..hi-1 (both waves)."""
    s = np.repeat(np.arange(lo, hi), lay["size"][lo:hi])
    n = s.size
    c = lay["cidx"][s]
    is_co = c == 0
    pair = {"p_male": np.array([P_MALE["CO"], P_MALE["GT"]]),
            "first": np.array([FIRST_PRE_GRADE["CO"], FIRST_PRE_GRADE["GT"]]),
            "repeat": np.array([REPEAT_P["CO"], REPEAT_P["GT"]]),
            "mat": np.array([MATURATION["CO"], MATURATION["GT"]]),
            "mean": np.array([SCORE_SCALE["CO"]["mean"], SCORE_SCALE["GT"]["mean"]]),
            "sd": np.array([SCORE_SCALE["CO"]["sd"], SCORE_SCALE["GT"]["sd"]]),
            "min": np.array([SCORE_SCALE["CO"]["min"], SCORE_SCALE["GT"]["min"]]),
            "max": np.array([SCORE_SCALE["CO"]["max"], SCORE_SCALE["GT"]["max"]]),
            "mot_mat": np.array([MOT_MATURATION["CO"], MOT_MATURATION["GT"]]),
            "alpha": np.log(np.array([_odds(ENROL_BASE_P["CO"]), _odds(ENROL_BASE_P["GT"])]))}
    p_male = pair["p_male"][c]
    male = rng.random(n) < p_male
    grade_pre = pair["first"][c] + rng.integers(0, 5, n)
    grade_post = grade_pre + (rng.random(n) >= pair["repeat"][c])
    missing_post = rng.random(n) < lay["attrition"][s]

    out: dict = {"school": s, "male": male, "grade_pre": grade_pre, "grade_post": grade_post}
    shared = rng.standard_normal(n)
    lam = SUBJECT_SHARED["student"]
    for j, subject in enumerate(SUBJECTS):
        own = rng.standard_normal(n)
        fresh = rng.standard_normal(n)
        gap = SEX_GAP[subject]
        var_e = 1.0 - SCORE_ICC - gap * gap * p_male * (1.0 - p_male)
        e = np.sqrt(var_e) * (math.sqrt(lam) * shared + math.sqrt(1.0 - lam) * own)
        c_post = np.sqrt(var_e * (1.0 - SCORE_AUTOCORR ** 2) - GROWTH_SCHOOL_SD ** 2)
        stable = lay["b"][s, j] + gap * (male - p_male)
        z_pre = stable + e
        z_post = (stable + lay["v"][s, j] + SCORE_AUTOCORR * e + c_post * fresh
                  + pair["mat"][c] + lay["tau"][s, j])
        for wave, z in (("pre", z_pre), ("post", z_post)):
            y = np.clip(np.round(pair["mean"][c] + pair["sd"][c] * z), pair["min"][c], pair["max"][c])
            if wave == "post":
                y[missing_post] = np.nan
            out[f"{subject}__{wave}"] = y

    d = rng.standard_normal(n)
    fresh = rng.standard_normal(n)
    sd_d = math.sqrt(1.0 - MOT_ICC)
    c_mot = math.sqrt((1.0 - MOT_ICC) * (1.0 - MOT_AUTOCORR ** 2) - MOT_GROWTH_SCHOOL_SD ** 2)
    eta_pre = lay["a_mot"][s] + sd_d * d
    eta_post = (lay["a_mot"][s] + lay["w_mot"][s] + MOT_AUTOCORR * sd_d * d + c_mot * fresh
                + pair["mot_mat"][c] + lay["tau_mot"][s])
    cuts = np.array(MOT_ITEM_OFFSETS)[:, None] + np.array(MOT_THRESHOLDS)[None, :]  # (8, 4)
    reversed_ = np.array(MOT_REVERSED)
    for wave, eta in (("pre", eta_pre), ("post", eta_post)):
        x = eta[:, None] + math.sqrt(MOT_ITEM_NOISE_VAR) * rng.standard_normal((n, len(MOT_ITEM_OFFSETS)))
        k = 1 + (x[:, :, None] > cuts[None, :, :]).sum(axis=2)
        index = k.mean(axis=1)
        raw = np.where(reversed_[None, :], 6 - k, k).astype(float)
        if wave == "post":
            raw[missing_post] = np.nan
            index[missing_post] = np.nan
        for i in range(raw.shape[1]):
            out[f"motivation_item_{i + 1}__{wave}"] = raw[:, i]
        out[f"motivation_index__{wave}"] = index

    p = 1.0 / (1.0 + np.exp(-(pair["alpha"][c] + lay["u_enrol"][s] + lay["beta_enrol"][s])))
    enrolled = (rng.random(n) < p).astype(float)
    enrolled[is_co & (grade_post == 11)] = np.nan  # graduating class: no next-year enrolment
    out["enrolled_next_year__pre"] = np.full(n, np.nan)
    out["enrolled_next_year__post"] = enrolled

    # Student attributes: shift (Colombia) or ethnicity (Guatemala).
    r = rng.random(n)
    shares = np.array([GT_MUNICIPALITIES[m][3] for m in sorted(GT_MUNICIPALITIES)])
    cum = np.cumsum(shares, axis=1)
    gm = np.maximum(lay["gt_muni_idx"][s], 0)
    ethnic = np.minimum((r[:, None] > cum[gm]).sum(axis=1), len(ETHNICITIES) - 1)
    shift = (r >= lay["p_morning"][s]).astype(int)  # 0 mañana, 1 tarde
    out["attr_value"] = np.where(is_co, shift, 2 + ethnic)
    out["attr_name"] = np.where(is_co, 0, 1)
    return out


OBS_INDICATORS = (*SUBJECTS, *[f"motivation_item_{i}" for i in range(1, len(MOTIVATION_ITEMS) + 1)],
                  "motivation_index", "enrolled_next_year")
_GRADES = [str(g) for g in range(1, 12)]


def _insert_students(con: duckdb.DuckDBPyConnection, lay: dict, seed: int) -> int:
    """Generate and insert the students chunk by chunk; returns the number of students."""
    sizes = lay["size"]
    bounds = [0]
    acc = 0
    for i, k in enumerate(sizes):
        if acc and acc + k > CHUNK_STUDENTS:
            bounds.append(i)
            acc = 0
        acc += int(k)
    bounds.append(len(sizes))
    unit_ids = pa.array(lay["unit_id"].tolist())
    years = np.array([[WAVE_YEARS["CO"]["pre"], WAVE_YEARS["CO"]["post"]],
                      [WAVE_YEARS["GT"]["pre"], WAVE_YEARS["GT"]["post"]]], dtype=np.int32)
    first_no = 0
    for chunk_no, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        st = _student_chunk(lay, lo, hi, _rng(seed, 100 + chunk_no))
        n = st["school"].size
        keys = con.sql(
            "SELECT md5($prefix || i::VARCHAR) AS k FROM range($lo, $hi) t(i) ORDER BY i",
            params={"prefix": f"lablens-demo:{seed}:", "lo": first_no, "hi": first_no + n},
        ).to_arrow_table().column("k").combine_chunks()
        both = np.repeat(np.arange(n), 2)
        c = lay["cidx"][st["school"]]
        cols: dict = {
            "unit_id": pa.DictionaryArray.from_arrays(pa.array(st["school"][both].astype(np.int32)),
                                                      unit_ids),
            "student_key": keys.take(pa.array(both)),
            "year": pa.array(_interleave(years[c, 0], years[c, 1])),
            "wave": _dict_array(np.tile(np.array([0, 1]), n), ["pre", "post"]),
            "sex": _dict_array(st["male"][both].astype(np.int32), ["F", "M"]),
            "grade": _dict_array(_interleave(st["grade_pre"], st["grade_post"]) - 1, _GRADES),
        }
        for ind in OBS_INDICATORS:
            cols[ind] = _masked(_interleave(st[f"{ind}__pre"], st[f"{ind}__post"]))
        con.register("demo_students", pa.table(cols))
        columns = ", ".join(f'"{ind}"' for ind in OBS_INDICATORS)
        con.execute(
            "INSERT INTO target.observations "
            "SELECT $import_id, unit_id, student_key, indicator, year, wave, 'all', sex, grade, value, NULL "
            f"FROM (UNPIVOT demo_students ON {columns} INTO NAME indicator VALUE value)",
            {"import_id": IMPORT_ID},
        )
        con.unregister("demo_students")
        attrs = pa.table({
            "student_key": keys,
            "name": _dict_array(st["attr_name"], ["shift", "ethnicity"]),
            "value": _dict_array(st["attr_value"], ["mañana", "tarde", *ETHNICITIES]),
        })
        con.register("demo_attrs", attrs)
        con.execute("INSERT INTO target.student_attributes SELECT $import_id, student_key, name, value "
                    "FROM demo_attrs", {"import_id": IMPORT_ID})
        con.unregister("demo_attrs")
        first_no += n
    return first_no


# --- Rates --------------------------------------------------------------------------------------

_RATE_INDICATORS = ["dropout_rate", "promotion_rate", "repetition_rate"]


def _tri(rng: np.random.Generator, half: float, shape) -> np.ndarray:
    return rng.triangular(-half, 0.0, half, size=shape)


def _insert_rates(con: duckdb.DuckDBPyConnection, unit_ids: list[str], years: tuple[int, ...],
                  dropout: np.ndarray, failure: np.ndarray, repetition: np.ndarray,
                  n: np.ndarray) -> None:
    """Insert unit x year rates (arrays shaped units x years), rounded to two decimals."""
    d = np.round(dropout, 2)
    f = np.round(failure, 2)
    values = np.stack([d, np.round(100.0 - d - f, 2), np.round(repetition, 2)], axis=2)
    n_units, n_years, n_ind = values.shape
    grid = np.indices((n_units, n_years, n_ind)).reshape(3, -1)
    table = pa.table({
        "unit_id": pa.DictionaryArray.from_arrays(pa.array(grid[0].astype(np.int32)), pa.array(unit_ids)),
        "indicator": _dict_array(grid[2], _RATE_INDICATORS),
        "year": pa.array(np.asarray(years, dtype=np.int32)[grid[1]]),
        "value": pa.array(values.reshape(-1)),
        "n": pa.array(np.repeat(n.reshape(-1), n_ind).astype(float)),
    })
    con.register("demo_rates", table)
    con.execute("INSERT INTO target.observations SELECT $import_id, unit_id, NULL, indicator, year, NULL, "
                "'all', NULL, NULL, value, n FROM demo_rates", {"import_id": IMPORT_ID})
    con.unregister("demo_rates")


def _school_rates(con: duckdb.DuckDBPyConnection, lay: dict, seed: int) -> None:
    rng = _rng(seed, 1)
    for country in ("CO", "GT"):
        idx = np.flatnonzero(lay["country"] == country)
        years = RATE_YEARS[country]
        yrs = np.asarray(years)
        k = idx.size
        model = _SCHOOL_RATE_MODEL[country]
        eff = _YEAR_EFFECTS[country]
        programme = lay["programme"][idx]
        start = np.array([s if s is not None else 10_000 for s in lay["start_year"][idx]])
        treated_post = programme[:, None] & (yrs[None, :] >= start[:, None])
        effect = DROPOUT_EFFECT[PROGRAMME_OF[country]]
        out = {}
        for rate in ("dropout", "failure", "repetition"):
            floor, scale, half = model[rate]
            base = floor + rng.gamma(2.0, scale, k)
            if rate == "dropout":
                base = base + DROPOUT_RURAL * lay["rural"][idx] + DROPOUT_SELECTION * programme
            value = base[:, None] + np.asarray(eff[rate])[None, :] + _tri(rng, half, (k, yrs.size))
            if rate == "dropout":
                value = value + effect * treated_post
            out[rate] = value
        trend = 1.0 - 0.008 * (yrs - yrs[0])
        n = np.round(lay["enrolment"][idx][:, None] * trend[None, :]
                     * (1.0 + 0.03 * rng.standard_normal((k, yrs.size))))
        _insert_rates(con, lay["unit_id"][idx].tolist(), years, out["dropout"], out["failure"],
                      out["repetition"], np.maximum(n, 1.0))


def _municipality_rates(con: duckdb.DuckDBPyConnection, seed: int) -> None:
    """Rates of the 42 Valle municipalities (no programme effect) and their n-weighted department."""
    rng = _rng(seed, 2)
    codes = sorted(VALLE_MUNICIPALITIES)
    years = RATE_YEARS["CO"]
    yrs = np.asarray(years)
    k = len(codes)
    eff = _YEAR_EFFECTS["CO"]
    out = {}
    for rate, (floor, scale, half) in {"dropout": (2.0, 0.5, 0.4), "failure": (3.5, 0.6, 0.5),
                                       "repetition": (1.0, 0.3, 0.3)}.items():
        base = floor + rng.gamma(3.0, scale, k)
        out[rate] = base[:, None] + np.asarray(eff[rate])[None, :] + _tri(rng, half, (k, yrs.size))
    pop = np.array([VALLE_PLACES[c][2] * 1000.0 for c in codes])
    trend = 1.0 - 0.008 * (yrs - yrs[0]) - 0.02 * (yrs == 2021)
    n = np.round(pop[:, None] * 0.17 * trend[None, :] * (1.0 + 0.01 * rng.standard_normal((k, yrs.size))))
    _insert_rates(con, [unit_id("CO", c) for c in codes], years, out["dropout"], out["failure"],
                  out["repetition"], n)
    # Department CO-76: enrolment-weighted mean of its municipalities (of the rounded values).
    d, f = np.round(out["dropout"], 2), np.round(out["failure"], 2)
    r = np.round(out["repetition"], 2)
    total = n.sum(axis=0)

    def wmean(x):
        return ((x * n).sum(axis=0) / total)[None, :]

    _insert_rates(con, ["CO-76"], years, wmean(d), wmean(f), wmean(r), total[None, :])


# --- Units ----------------------------------------------------------------------------------------

def _insert_units(con: duckdb.DuckDBPyConnection, lay: dict) -> tuple[int, int]:
    cols = ("unit_id", "country", "unit_type", "code", "name", "parent_id", "department",
            "municipality", "authority", "zone", "lat", "lon")
    rows: list[tuple] = [("CO-76", "CO", "department", "76", "Valle del Cauca", None, "Valle del Cauca",
                          None, None, None, 3.86, -76.52)]
    for code in sorted(VALLE_MUNICIPALITIES):
        lat, lon, _pop = VALLE_PLACES[code]
        rows.append((unit_id("CO", code), "CO", "municipality", code, VALLE_MUNICIPALITIES[code], "CO-76",
                     "Valle del Cauca", VALLE_MUNICIPALITIES[code], co_authority(code), None, lat, lon))
    for dd in sorted(GT_DEPARTMENTS):
        rows.append((unit_id("GT", dd), "GT", "department", dd, GT_DEPARTMENTS[dd], None,
                     GT_DEPARTMENTS[dd], None, f"DIDEDUC {GT_DEPARTMENTS[dd]}", None, None, None))
    for code in sorted(GT_MUNICIPALITIES):
        name, lat, lon, _sh = GT_MUNICIPALITIES[code]
        dep = GT_DEPARTMENTS[code[:2]]
        rows.append((unit_id("GT", code), "GT", "municipality", code, name, unit_id("GT", code[:2]), dep,
                     name, f"DIDEDUC {dep}", None, lat, lon))
    n_places = len(rows)
    data = {c: [r[i] for r in rows] for i, c in enumerate(cols)}
    is_co = lay["is_co"]
    muni_name = [VALLE_MUNICIPALITIES[m] if c else GT_MUNICIPALITIES[m][0]
                 for m, c in zip(lay["muni"], is_co, strict=True)]
    dep_name = ["Valle del Cauca" if c else GT_DEPARTMENTS[m[:2]] for m, c in zip(lay["muni"], is_co,
                                                                                   strict=True)]
    school = {
        "unit_id": lay["unit_id"].tolist(), "country": lay["country"].tolist(),
        "unit_type": ["school"] * len(is_co), "code": lay["code"].tolist(), "name": lay["name"].tolist(),
        "parent_id": [unit_id("CO" if c else "GT", m) for m, c in zip(lay["muni"], is_co, strict=True)],
        "department": dep_name, "municipality": muni_name,
        "authority": [co_authority(m) if c else f"DIDEDUC {d}"
                      for m, c, d in zip(lay["muni"], is_co, dep_name, strict=True)],
        "zone": np.where(lay["rural"], "rural", "urban").tolist(),
        "lat": lay["lat"].tolist(), "lon": lay["lon"].tolist(),
    }
    table = pa.table({c: pa.array(data[c] + school[c], type=pa.float64() if c in ("lat", "lon")
                                  else pa.string()) for c in cols})
    con.register("demo_units", table)
    con.execute(f"INSERT INTO target.units SELECT {', '.join(cols)}, $import_id FROM demo_units",
                {"import_id": IMPORT_ID})
    con.unregister("demo_units")

    assign = pa.table({
        "unit_id": pa.array(lay["unit_id"].tolist()), "program": pa.array(lay["program"].tolist()),
        "lab_type": pa.array(lay["lab_type"].tolist(), type=pa.string()),
        "start_year": pa.array(lay["start_year"].tolist(), type=pa.int32()),
    })
    con.register("demo_assign", assign)
    con.execute("INSERT INTO target.assignments SELECT unit_id, program, lab_type, start_year, $import_id "
                "FROM demo_assign", {"import_id": IMPORT_ID})
    con.unregister("demo_assign")

    gt_maya = {m: GT_MUNICIPALITIES[m][3][0] for m in GT_MUNICIPALITIES}
    attr_rows: dict[str, list] = {"unit_id": [], "name": [], "value": []}
    for uid, c, m in zip(lay["unit_id"], is_co, lay["muni"], strict=True):
        attr_rows["unit_id"] += [uid, uid]
        if c:
            attr_rows["name"] += ["sector", "calendario"]
            attr_rows["value"] += ["oficial", "A"]
        else:
            attr_rows["name"] += ["sector", "modalidad"]
            attr_rows["value"] += ["oficial", "bilingüe" if gt_maya[m] >= 0.5 else "monolingüe"]
    con.register("demo_uattr", pa.table({k: pa.array(v) for k, v in attr_rows.items()}))
    con.execute("INSERT INTO target.unit_attributes SELECT unit_id, name, value, $import_id FROM demo_uattr",
                {"import_id": IMPORT_ID})
    con.unregister("demo_uattr")
    return n_places + len(is_co), len(is_co)


# --- Build ----------------------------------------------------------------------------------------

def _clear(con: duckdb.DuckDBPyConnection) -> None:
    """Empty every table of the snapshot, then restore the shipped catalogue and schema version.

    A new file already holds exactly that (create_schema ran when the snapshot opened): then nothing
    is done, which saves the slow catalogue insert on a first run.
    """
    tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'target' "
                         "ORDER BY ALL").fetchall()
    if _is_fresh(con, tables):
        return
    for schema, table in tables:
        con.execute(f'DELETE FROM target."{schema}"."{table}"')
    create_schema(con, "target")
    con.execute("USE memory")


def _is_fresh(con: duckdb.DuckDBPyConnection, tables: list[tuple[str, str]]) -> bool:
    """True when the snapshot holds only what `create_schema` writes into an empty file."""
    for schema, table in tables:
        if (schema, table) == ("main", "indicators"):
            shipped = sorted(indicator_rows())
            if sorted(con.execute("SELECT * FROM target.main.indicators").fetchall()) != shipped:
                return False
            continue
        keep = " WHERE key <> 'schema_version'" if (schema, table) == ("main", "meta") else ""
        if con.execute(f'SELECT count(*) FROM target."{schema}"."{table}"{keep}').fetchall()[0][0]:
            return False
    return True


def build_demo(path: str | os.PathLike | None = None, students: int = DEFAULT_STUDENTS,
               seed: int = DEFAULT_SEED) -> dict:
    """Build (or rebuild) the synthetic demo database at ``path`` and publish it atomically.

    ``path`` None means `store.default_db_path()`. Any content already at ``path`` is replaced.
    Returns a summary: units, schools, students, observations, student_attributes, seed, seconds.
    """
    started = time.perf_counter()
    students, seed = int(students), int(seed)
    if students < MIN_STUDENTS:
        raise ValueError(f"students must be at least {MIN_STUDENTS}, got {students}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    db = Path(path) if path is not None else default_db_path()
    lay = _layout(students, seed)
    with writable_snapshot(db) as con:
        con.execute("SET enable_progress_bar = false")
        _clear(con)
        n_units, n_schools = _insert_units(con, lay)
        n_students = _insert_students(con, lay, seed)
        _school_rates(con, lay, seed)
        _municipality_rates(con, seed)
        n_obs = con.execute("SELECT count(*) FROM target.observations").fetchall()[0][0]
        n_attr = con.execute("SELECT count(*) FROM target.student_attributes").fetchall()[0][0]
        summary = {"units": n_units, "schools": n_schools, "students": n_students, "observations": n_obs,
                   "student_attributes": n_attr, "seed": seed, "demo_version": DEMO_VERSION}
        described = f"lablens demo v{DEMO_VERSION}: seed={seed} students={students}"
        con.execute(
            "INSERT INTO target.imports VALUES ($id, $source, $sha, 'demo', $rows, $rows, 0, $at, 'active', "
            "$summary)",
            {"id": IMPORT_ID, "source": f"demo: synthetic data (seed {seed})",
             "sha": hashlib.sha256(described.encode("utf-8")).hexdigest(), "rows": n_obs,
             "at": datetime.now(UTC).replace(tzinfo=None), "summary": json.dumps(summary, sort_keys=True)},
        )
        con.executemany(
            "INSERT INTO target.meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [("demo", "true"), ("demo_seed", str(seed)), ("demo_students", str(students))],
        )
    summary["seconds"] = round(time.perf_counter() - started, 3)
    return summary
