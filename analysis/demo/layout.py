"""Layout of the schools: how many per arm, their places, codes, names, sizes and school-level random
effects (random stream 0)."""

from __future__ import annotations

import math

import numpy as np

from analysis.catalog import VALLE_CERTIFIED, VALLE_MUNICIPALITIES, unit_id
from analysis.demo.params import (
    ARMS,
    ATTRITION,
    DEFAULT_STUDENTS,
    ENROL_OR,
    ENROL_SCHOOL_SD,
    GROWTH_SCHOOL_SD,
    LAB_EFFECT,
    LAB_TYPES,
    MEAN_SCHOOL_WEIGHT,
    MOT_EFFECT,
    MOT_GROWTH_SCHOOL_SD,
    MOT_ICC,
    SCORE_ICC,
    SELECTION,
    SUBJECT_FACTOR,
    SUBJECT_SHARED,
    SUBJECTS,
)
from analysis.demo.places import (
    CO_NAMES,
    GT_LEVEL_SUFFIX,
    GT_MUNICIPALITIES,
    GT_NAMES,
    MAX_GT_SCHOOL_NUMBER,
    VALLE_BOX,
    VALLE_PLACES,
)


def school_counts(students: int) -> dict[tuple[str, str], int]:
    """Schools per arm for a size: the default counts scaled by students / DEFAULT_STUDENTS.

    ValleLabs stays a multiple of 6 so its lab-type shares are exactly 1/6, 1/3, 1/2.
    """
    f = students / DEFAULT_STUDENTS
    return {("CO", "ValleLabs"): 6 * max(1, round(20 * f)),
            ("CO", "comparison"): max(4, round(80 * f)),
            ("GT", "MiLab"): max(2, round(40 * f)),
            ("GT", "comparison"): max(2, round(40 * f))}


def rng_stream(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream,)))


def _lab_types(programme: str, n: int) -> list[tuple[str, int]]:
    types = LAB_TYPES[programme]
    counts = [max(1, round(share * n)) for _name, share, _y in types[:-1]]
    counts.append(n - sum(counts))
    return [(name, c) for (name, _s, _y), c in zip(types, counts, strict=True)]


def school_layout(students: int, seed: int) -> dict:
    """All schools and their random effects (numpy arrays, sorted by unit_id)."""
    rng = rng_stream(seed, 0)
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
            base = CO_NAMES[name_no[i] % len(CO_NAMES)]
            prefix = "Institución Educativa Rural" if lay["rural"][i] else "Institución Educativa"
        else:
            base = GT_NAMES[name_no[i] % len(GT_NAMES)]
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
