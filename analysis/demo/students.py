"""Students: vectorised draws of both waves (scores, motivation items, next-year enrolment, attributes),
school chunk by chunk (random streams 100 + chunk), inserted as Arrow frames that DuckDB unpivots."""

from __future__ import annotations

import itertools
import math

import duckdb
import numpy as np
import pyarrow as pa

from analysis.catalog import MOTIVATION_ITEMS
from analysis.demo.arrow import dict_array, interleave, masked
from analysis.demo.effects import odds
from analysis.demo.layout import rng_stream
from analysis.demo.params import (
    CHUNK_STUDENTS,
    ENROL_BASE_P,
    FIRST_PRE_GRADE,
    GROWTH_SCHOOL_SD,
    IMPORT_ID,
    MATURATION,
    MOT_AUTOCORR,
    MOT_GROWTH_SCHOOL_SD,
    MOT_ICC,
    MOT_ITEM_NOISE_VAR,
    MOT_ITEM_OFFSETS,
    MOT_MATURATION,
    MOT_REVERSED,
    MOT_THRESHOLDS,
    P_MALE,
    REPEAT_P,
    SCORE_AUTOCORR,
    SCORE_ICC,
    SCORE_SCALE,
    SEX_GAP,
    SUBJECT_SHARED,
    SUBJECTS,
    WAVE_YEARS,
)
from analysis.demo.places import ETHNICITIES, GT_MUNICIPALITIES


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
            "alpha": np.log(np.array([odds(ENROL_BASE_P["CO"]), odds(ENROL_BASE_P["GT"])]))}
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


def insert_students(con: duckdb.DuckDBPyConnection, lay: dict, seed: int) -> int:
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
        st = _student_chunk(lay, lo, hi, rng_stream(seed, 100 + chunk_no))
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
            "year": pa.array(interleave(years[c, 0], years[c, 1])),
            "wave": dict_array(np.tile(np.array([0, 1]), n), ["pre", "post"]),
            "sex": dict_array(st["male"][both].astype(np.int32), ["F", "M"]),
            "grade": dict_array(interleave(st["grade_pre"], st["grade_post"]) - 1, _GRADES),
        }
        for ind in OBS_INDICATORS:
            cols[ind] = masked(interleave(st[f"{ind}__pre"], st[f"{ind}__post"]))
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
            "name": dict_array(st["attr_name"], ["shift", "ethnicity"]),
            "value": dict_array(st["attr_value"], ["mañana", "tarde", *ETHNICITIES]),
        })
        con.register("demo_attrs", attrs)
        con.execute("INSERT INTO target.student_attributes SELECT $import_id, student_key, name, value "
                    "FROM demo_attrs", {"import_id": IMPORT_ID})
        con.unregister("demo_attrs")
        first_no += n
    return first_no
