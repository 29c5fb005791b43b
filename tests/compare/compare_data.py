"""Data builders for the compare() suite: the rows written to the imported files, and import helpers.

Every database of this suite is written as files (canonical student CSVs, aggregate unit-rate CSVs,
a SIYA-style municipal table, rosters) and loaded with ``analysis.importer.pipeline.import_file`` — the
path `python -m analysis import` takes. The raw frames are kept so that tests recompute every number
independently (scipy / statsmodels / pandas). Fixtures live in conftest.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.importer.pipeline import import_file

# --- import helpers ---------------------------------------------------------------------------------

def load(db: Path, *files: Path) -> list[dict]:
    """Import files with the real importer; every row must load (tests recompute from the raw files)."""
    out = []
    for f in files:
        summary = import_file(f, db)
        assert summary["status"] == "active", summary
        assert summary["rows_rejected"] == 0, (f, summary)
        out.append(summary)
    return out


def write_roster(path: Path, rows: list[tuple]) -> Path:
    """rows: (country, unit_type, unit_code, program, lab_type, start_year)."""
    frame = pd.DataFrame(rows, columns=["country", "unit_type", "unit_code", "program", "lab_type", "start_year"])
    frame.to_csv(path, index=False)
    return path


# --- student-level database -------------------------------------------------------------------------------

# (school code, country, programme, lab type, zone): Colombian DANE establishment codes (12 digits,
# digits 2-6 = municipality) and MINEDUC codes (DD-MM-NNNN-NN). Invented schools, real territories.
STUDENT_SCHOOLS = [
    ("176001000101", "CO", "ValleLabs", "Lab Center", "urbana"),    # Cali
    ("176001000102", "CO", "ValleLabs", "Lab Point", "rural"),      # Cali
    ("176109000103", "CO", "ValleLabs", "Lab Center", "urbana"),    # Buenaventura
    ("176111000104", "CO", "ValleLabs", "Lab Spark", "rural"),      # Guadalajara de Buga
    ("176520000105", "CO", "ValleLabs", "Lab Point", "urbana"),     # Palmira
    ("176834000106", "CO", "ValleLabs", "Lab Spark", "rural"),      # Tuluá
    ("176892000107", "CO", "comparison", None, "urbana"),           # Yumbo
    ("119001000201", "CO", "comparison", None, "urbana"),           # Popayán (Cauca)
    ("119001000202", "CO", "comparison", None, "rural"),
    ("152001000203", "CO", "comparison", None, "urbana"),           # Pasto (Nariño)
    ("152001000204", "CO", "comparison", None, "rural"),
    ("119698000205", "CO", "comparison", None, "rural"),            # Santander de Quilichao
    ("176147000301", "CO", "CohortLab", None, "urbana"),            # Cartago: unlinked cohorts
    ("176364000302", "CO", "CohortLab", None, "urbana"),            # Jamundí
    ("176400000303", "CO", "CohortLab", None, "rural"),             # La Unión
    ("176248000304", "CO", "CohortLab", None, "urbana"),            # El Cerrito
    ("176306000305", "CO", "CohortLab", None, "rural"),             # Ginebra
    ("01-01-0101-46", "GT", "MiLab", "Lab Center", "rural"),
    ("03-01-0102-46", "GT", "MiLab", "Lab Point", "rural"),
    ("04-02-0103-46", "GT", "MiLab", "Lab Center", "rural"),
    ("05-01-0104-46", "GT", "MiLab", "Lab Point", "rural"),
    ("07-03-0105-46", "GT", "MiLab", "Lab Spark", "rural"),
    ("01-01-0201-46", "GT", "comparison", None, "rural"),
    ("03-02-0202-46", "GT", "comparison", None, "rural"),
    ("04-01-0203-46", "GT", "comparison", None, "rural"),
    ("05-02-0204-46", "GT", "comparison", None, "rural"),
    ("07-01-0205-46", "GT", "comparison", None, "rural"),
]
PLANTED_GAIN = {"ValleLabs": 6.0, "MiLab": 4.0, "CohortLab": 3.0, "comparison": 1.0}


@dataclass
class StudentDB:
    db: Path
    raw: pd.DataFrame  # exactly the rows of the student CSV (one per student x wave)
    schools: pd.DataFrame  # unit_code, country, program, lab_type, zone


def make_student_rows(seed: int = 7) -> pd.DataFrame:
    """Linked students with pre (2017) and post (2019) waves, some attrition and some joiners.

    MiLab has only 6 girls (disclosure tests); 4 ValleLabs girls have etnia 'rom' (a tiny attribute group;
    in an etnia x sex table complementary suppression then needs more than one pass); CohortLab tests
    different students at pre and post (unlinked cohorts).
    """
    rng = np.random.default_rng(seed)
    rows = []
    rom = 0
    for code, _country, prog, _lab, _zone in STUDENT_SCHOOLS:
        school_effect = rng.normal(0, 4)
        n = int(rng.integers(22, 31))
        for i in range(n):
            sid = f"{code}-{i:03d}"
            if prog == "MiLab":  # six girls in all: the first student of each school, two in the first
                sex = "F" if i == 0 or (i == 1 and code == "01-01-0101-46") else "M"
            else:
                sex = "F" if rng.random() < 0.5 else "M"
            etnia = rng.choice(["mestizo", "afro", "indigena"], p=[0.6, 0.25, 0.15])
            if prog == "ValleLabs" and rom < 4 and i == 5:  # all girls: a one-cell row of an etnia x sex table
                etnia, sex, rom = "rom", "F", rom + 1
            grade = "9" if rng.random() < 0.5 else "10"
            pre = float(np.round(50 + school_effect + rng.normal(0, 10), 2))
            post = float(np.round(pre + PLANTED_GAIN[prog] + 0.5 * school_effect + rng.normal(0, 6), 2))
            common = {"school_code": code, "sex": sex, "grade": grade, "etnia": etnia}
            if prog == "CohortLab":  # different students at pre and post
                rows.append({"student_id": sid + "-a", "wave": "pre", "year": 2017, "score_math": pre, **common})
                rows.append({"student_id": sid + "-b", "wave": "post", "year": 2019, "score_math": post, **common})
                continue
            rows.append({"student_id": sid, "wave": "pre", "year": 2017, "score_math": pre, **common})
            if rng.random() < 0.9:  # about 10% attrition
                rows.append({"student_id": sid, "wave": "post", "year": 2019, "score_math": post, **common})
        for j in range(2):  # joiners: observed at post only
            sex = "M" if prog == "MiLab" else ("F" if j else "M")
            rows.append({"student_id": f"{code}-j{j}", "school_code": code, "sex": sex, "grade": "10",
                         "etnia": "mestizo", "wave": "post", "year": 2019,
                         "score_math": float(np.round(55 + rng.normal(0, 10), 2))})
    frame = pd.DataFrame(rows)
    zones = {c: z for c, _, _, _, z in STUDENT_SCHOOLS}
    frame["zone"] = frame["school_code"].map(zones)
    return frame[["student_id", "school_code", "wave", "year", "sex", "grade", "etnia", "zone", "score_math"]]


def schools_frame() -> pd.DataFrame:
    frame = pd.DataFrame(STUDENT_SCHOOLS, columns=["unit_code", "country", "program", "lab_type", "zone"])
    frame["zone"] = frame["zone"].map({"urbana": "urban", "rural": "rural"})
    return frame


def with_units(raw: pd.DataFrame, schools: pd.DataFrame) -> pd.DataFrame:
    """Raw student rows with programme, country, lab type and zone of their school."""
    return raw.drop(columns=["zone"]).merge(schools, left_on="school_code", right_on="unit_code", how="left")


# --- aggregate (unit-rate) database -----------------------------------------------------------------------

RATE_SCHOOLS = [
    # code, country, programme, lab type, start year, years observed
    ("176001000401", "CO", "ValleLabs", "Lab Center", 2017, range(2014, 2022)),
    ("176109000402", "CO", "ValleLabs", "Lab Point", 2017, range(2014, 2022)),
    ("176111000403", "CO", "ValleLabs", "Lab Spark", 2017, range(2014, 2022)),
    ("176520000404", "CO", "ValleLabs", "Lab Center", 2018, range(2014, 2022)),
    ("176834000405", "CO", "ValleLabs", "Lab Point", 2018, range(2015, 2022)),
    ("119001000501", "CO", "comparison", None, None, range(2014, 2022)),
    ("119001000502", "CO", "comparison", None, None, range(2014, 2022)),
    ("119698000503", "CO", "comparison", None, None, range(2014, 2022)),
    ("152001000504", "CO", "comparison", None, None, range(2014, 2022)),
    ("152001000505", "CO", "comparison", None, None, range(2014, 2022)),
    ("176892000506", "CO", "comparison", None, None, range(2014, 2022)),
    ("176892000507", "CO", "comparison", None, None, range(2016, 2022)),
    ("119001000508", "CO", "comparison", None, None, range(2014, 2020)),
    # WelchLab: no unit is observed in both windows -> Welch over unit-periods
    ("176147000601", "CO", "WelchLab", None, 2017, range(2014, 2017)),
    ("176147000602", "CO", "WelchLab", None, 2017, range(2014, 2017)),
    ("176364000603", "CO", "WelchLab", None, 2017, range(2014, 2017)),
    ("176364000604", "CO", "WelchLab", None, 2017, range(2017, 2022)),
    ("176400000605", "CO", "WelchLab", None, 2017, range(2017, 2022)),
    ("176400000606", "CO", "WelchLab", None, 2017, range(2017, 2022)),
    # GrowLab: the number of students counted grows by half from 2017 (composition change)
    ("176318000701", "CO", "GrowLab", None, 2017, range(2014, 2022)),
    ("176318000702", "CO", "GrowLab", None, 2017, range(2014, 2022)),
    ("176318000703", "CO", "GrowLab", None, 2017, range(2014, 2022)),
    ("176318000704", "CO", "GrowLab", None, 2017, range(2014, 2022)),
    ("176318000705", "CO", "GrowLab", None, 2017, range(2014, 2022)),
]
SCORE_UNITS = [  # (code, country, programme) with Saber-like school means 2012-2016
    ("176001000401", "CO", "ValleLabs"), ("176109000402", "CO", "ValleLabs"), ("176111000403", "CO", "ValleLabs"),
    ("176520000404", "CO", "ValleLabs"), ("176834000405", "CO", "ValleLabs"),
    ("01-01-0401-46", "GT", "MiLab"), ("03-01-0402-46", "GT", "MiLab"), ("04-02-0403-46", "GT", "MiLab"),
    ("05-01-0404-46", "GT", "MiLab"), ("07-03-0405-46", "GT", "MiLab"),
]
TERRITORIES = ["76036", "76041", "76054"]  # Andalucía, Ansermanuevo, Argelia (Valle): TerritoryLab
LEVEL_NAMES = {"total": "all", "primaria": "primary", "secundaria": "secondary"}


@dataclass
class RatesDB:
    db: Path
    rates: pd.DataFrame  # school_code, year, level (canonical), dropout_rate, n
    scores: pd.DataFrame  # school_code, year, score_math, n
    territories: pd.DataFrame  # codmpio, anno, desercion
    units: pd.DataFrame  # unit_code, country, program, lab_type, start_year


def make_rate_rows(seed: int = 11) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    rates = []
    for code, _country, prog, _lab, start, years in RATE_SCHOOLS:
        base = rng.uniform(3, 8)
        size = int(rng.integers(80, 400))
        for year in years:
            effect = -1.2 if prog != "comparison" and start is not None and year >= start else 0.0
            n_year = size * (1.5 if prog == "GrowLab" and year >= 2017 else 1.0)
            prim = float(np.round(max(0.0, base - 1 + effect + rng.normal(0, 0.6)), 2))
            sec = float(np.round(max(0.0, base + 1.5 + effect + rng.normal(0, 0.6)), 2))
            n_prim, n_sec = round(0.6 * n_year), round(0.4 * n_year)
            total = float(np.round((prim * n_prim + sec * n_sec) / (n_prim + n_sec) + rng.normal(0, 0.3), 2))
            total = max(total, 0.0)
            rates += [(code, year, "total", total, n_prim + n_sec), (code, year, "primaria", prim, n_prim),
                      (code, year, "secundaria", sec, n_sec)]
    scores = []
    for code, country, _prog in SCORE_UNITS:
        base = rng.uniform(40, 55) if country == "CO" else rng.uniform(45, 60)
        for year in range(2012, 2017):
            scale = 1.0 if country == "GT" or year < 2014 else 1.1  # a Saber-like change of scale in 2014
            scores.append((code, year, float(np.round(scale * (base + rng.normal(0, 1.5)), 2)),
                           int(rng.integers(30, 120))))
    terr = [(code, year, float(np.round(rng.uniform(1, 9), 2))) for code in TERRITORIES for year in range(2014, 2022)]
    return (pd.DataFrame(rates, columns=["school_code", "year", "level", "dropout_rate", "n"]),
            pd.DataFrame(scores, columns=["school_code", "year", "score_math", "n"]),
            pd.DataFrame(terr, columns=["codmpio", "anno", "desercion"]))


