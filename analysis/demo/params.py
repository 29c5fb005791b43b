"""The simulation's parameters: arms and sizes, waves and windows, scores, motivation, enrolment and
yearly rates (data/README.md explains each one)."""

from __future__ import annotations

import math

from analysis.catalog import MOTIVATION_ITEMS

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
MOT_X_SD = math.sqrt(1.0 + MOT_ITEM_NOISE_VAR)
MOT_THRESHOLDS = tuple(t * MOT_X_SD for t in (-1.75, -0.95, -0.05, 0.95))
MOT_ITEM_OFFSETS = tuple(o * MOT_X_SD for o in (-0.15, 0.10, -0.05, 0.20, -0.30, 0.00, -0.20, 0.25))
MOT_REVERSED = tuple(rev for _es, _en, rev in MOTIVATION_ITEMS)
MOT_EFFECT = {"ValleLabs": 0.25, "MiLab": 0.20}      # latent SD units
MOT_MATURATION = {"CO": -0.10, "GT": 0.0}

# --- Next-year enrolment ------------------------------------------------------------------------
ENROL_BASE_P = {"CO": 0.90, "GT": 0.85}
ENROL_SCHOOL_SD = 0.5            # logit scale
ENROL_OR = {"ValleLabs": 1.5, "MiLab": 1.3}  # conditional (school-specific) odds ratio

# --- Yearly rates (percent) ---------------------------------------------------------------------
DROPOUT_EFFECT = {"ValleLabs": -1.0, "MiLab": -0.8}  # points, every year >= start_year
YEAR_EFFECTS = {
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
SCHOOL_RATE_MODEL = {
    "CO": {"dropout": (2.0, 0.8, 0.9), "failure": (3.0, 1.2, 1.0), "repetition": (1.2, 0.5, 0.5)},
    "GT": {"dropout": (2.5, 1.0, 0.9), "failure": (4.0, 1.5, 1.0), "repetition": (2.5, 1.0, 0.5)},
}
DROPOUT_RURAL = 0.8
DROPOUT_SELECTION = 0.4

# --- Implementation records: lab logs, teacher training, governance checklists (random stream 60) ------
IMPL_STREAM = 60
LOG_YEARS = {"CO": (2022, 2023, 2024, 2025), "GT": (2024, 2025)}   # the pilot's information system
SCHOOL_MONTHS = {"CO": tuple(range(2, 12)), "GT": tuple(range(1, 11))}  # calendar A: Feb-Nov; Jan-Oct
NOT_INSTALLED = {"ValleLabs": 0.0, "MiLab": 0.15}   # share of the programme's labs planned, never installed
NOT_OPERATING = {"ValleLabs": 0.05, "MiLab": 0.15}  # installed, never operating (equipment, connectivity)
HOURS_PER_TERM = {"mean": 45.0, "sd": 15.0, "floor": 8.0}  # an operating lab's planned hours per term
MONTH_OUTAGE_P = 0.05      # an operating lab's chance of a month without use
# The planted dose-response: score gain (SD, mathematics; other subjects x SUBJECT_FACTOR) per lab hour per
# term in the post-wave school year, centred within programme x lab type (data/README.md).
DOSE_SLOPE = 0.005         # = +0.05 SD per 10 hours per term
TEACHERS = {"CO": (4, 10), "GT": (1, 3)}  # teachers per programme school (inclusive range)
MODULE_HOURS = {"lab_intro": 8.0, "computational_thinking": 12.0, "robotics": 16.0, "steam_projects": 12.0,
                "digital_fabrication": 16.0}
GOVERNANCE_MONTHS = (3, 6, 9)  # checklist dates: the last day of March, June and September
