"""The exact planted effects (`PLANTED_EFFECTS`), computed from the parameters in the simulation's own
terms, so that tests of the analysis engine can check that it recovers them."""

from __future__ import annotations

import math

import numpy as np

from analysis.demo.params import (
    ATTRITION,
    DEMO_VERSION,
    DOSE_SLOPE,
    DROPOUT_EFFECT,
    DROPOUT_SELECTION,
    ENROL_BASE_P,
    ENROL_OR,
    ENROL_SCHOOL_SD,
    LAB_EFFECT,
    LAB_TYPES,
    LOG_YEARS,
    MATURATION,
    MOT_EFFECT,
    MOT_ITEM_OFFSETS,
    MOT_MATURATION,
    MOT_THRESHOLDS,
    MOT_X_SD,
    NOT_INSTALLED,
    NOT_OPERATING,
    RATE_YEARS,
    SCORE_ICC,
    SCORE_SCALE,
    SELECTION,
    SUBJECT_FACTOR,
    SUBJECTS,
    WAVE_YEARS,
)


def _norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _expected_motivation_index(mu: float) -> float:
    """E[motivation_index] when the latent trait is N(mu, 1): exact, from the item thresholds."""
    total = 0.0
    for offset in MOT_ITEM_OFFSETS:
        total += sum(_norm_cdf((mu - t - offset) / MOT_X_SD) for t in MOT_THRESHOLDS)
    return 1.0 + total / len(MOT_ITEM_OFFSETS)


def _mean_enrol_p(country: str, log_or: float) -> float:
    """Population mean of P(enrolled next year): E_u[expit(alpha + u + log_or)], u ~ N(0, sd^2)."""
    nodes, weights = np.polynomial.hermite.hermgauss(80)
    alpha = math.log(ENROL_BASE_P[country] / (1.0 - ENROL_BASE_P[country]))
    eta = alpha + math.sqrt(2.0) * ENROL_SCHOOL_SD * nodes + log_or
    return float(np.sum(weights / (1.0 + np.exp(-eta))) / math.sqrt(math.pi))


def odds(p: float) -> float:
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
        odds_ratio = odds(p_t) / odds(p_c)
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
    out["dose_response"] = {
        "definition": "school score gain (mean post - mean pre, in scale SDs) against the school's "
                      "implementation_school_year.lab_hours_per_term in the post-wave year; within programme "
                      "and lab type the gain rises by slope_per_hour x subject factor per lab hour per term",
        "dose": "lab_hours_per_term", "dose_year": {p: WAVE_YEARS[c]["post"] for c, p in
                                                    (("CO", "ValleLabs"), ("GT", "MiLab"))},
        "slope_per_hour": {k: _r(DOSE_SLOPE * f) for k, f in SUBJECT_FACTOR.items()},
        "slope_per_10_hours": {k: _r(10 * DOSE_SLOPE * f) for k, f in SUBJECT_FACTOR.items()},
        "training_hours_slope": 0.0, "governance_slope": 0.0,
        "labs_not_installed_share": dict(NOT_INSTALLED), "labs_not_operating_share": dict(NOT_OPERATING),
        "log_years": {p: list(LOG_YEARS[c]) for c, p in (("CO", "ValleLabs"), ("GT", "MiLab"))},
    }
    return out


PLANTED_EFFECTS: dict = _planted_effects()
