"""LabLens checks: attrition, baseline equivalence and an evidence-strength badge.

Inspired by the What Works Clearinghouse Procedures and Standards Handbook v4.1/v5.0 (attrition
boundaries, baseline-equivalence cut-offs) but *not* an official WWC rating: label the output
"LabLens checks". Outputs are stable codes that the UI translates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ._common import FloatArray, as_float, scalar_or_array

__all__ = [
    "ATTRITION_BOUNDARIES",
    "BADGE_LEVELS",
    "EvidenceFacts",
    "attrition_boundary",
    "attrition_rates",
    "attrition_rating",
    "baseline_equivalence",
    "evidence_badge",
]

Boundary = Literal["cautious", "optimistic"]

# Overall attrition (%) -> highest differential attrition (points) still rated "low" (docs/METHODS.md,
# WWC Handbook v4.1 figure/table of attrition boundaries). Beyond the last point: always high.
# fmt: off
_CAUTIOUS_OVERALL = np.array([0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 57], dtype=float)
_CAUTIOUS_DIFF = np.array([5.7, 6.1, 6.3, 5.9, 5.4, 4.8, 4.1, 3.3, 2.6, 1.8, 1.0, 0.3, 0.0])
_OPTIMISTIC_OVERALL = np.array([0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 57, 58, 60, 65],
                               dtype=float)
_OPTIMISTIC_DIFF = np.array([10.0, 10.5, 10.9, 10.7, 10.0, 9.2, 8.2, 7.2, 6.0, 4.9, 3.7, 2.6, 2.1,
                             1.9, 1.4, 0.3])
# fmt: on
#: Boundary tables: name -> (overall points %, highest differential still low, overall % from which
#: attrition is always high, whether that overall value itself is already always high).
ATTRITION_BOUNDARIES: dict[str, tuple[FloatArray, FloatArray, float, bool]] = {
    "cautious": (_CAUTIOUS_OVERALL, _CAUTIOUS_DIFF, 58.0, True),
    "optimistic": (_OPTIMISTIC_OVERALL, _OPTIMISTIC_DIFF, 65.0, False),
}

#: Badge levels from best to worst.
BADGE_LEVELS: tuple[str, ...] = ("strong", "moderate", "limited", "insufficient")


def attrition_rates(
    n_baseline_treated: npt.ArrayLike,
    n_followup_treated: npt.ArrayLike,
    n_baseline_comparison: npt.ArrayLike,
    n_followup_comparison: npt.ArrayLike,
) -> tuple[float | FloatArray, float | FloatArray]:
    """Overall and differential attrition in percent / points (WWC Handbook v4.1).

    overall = share of the baseline sample missing at follow-up; differential =
    |attrition_T − attrition_C|. Attrition means "missing at the post test", never "left school"
    (an outcome).
    """
    bt, ft, bc, fc = (
        as_float(v)
        for v in (
            n_baseline_treated,
            n_followup_treated,
            n_baseline_comparison,
            n_followup_comparison,
        )
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        overall = 100.0 * (1.0 - (ft + fc) / (bt + bc))
        diff = 100.0 * np.abs((1.0 - ft / bt) - (1.0 - fc / bc))
    inputs = (
        n_baseline_treated,
        n_followup_treated,
        n_baseline_comparison,
        n_followup_comparison,
    )
    return scalar_or_array(overall, *inputs), scalar_or_array(diff, *inputs)


def attrition_boundary(overall: npt.ArrayLike, boundary: Boundary = "cautious") -> float | FloatArray:
    """Highest differential attrition (points) still "low" at this overall attrition (percent).

    Linear interpolation between the tabulated points of docs/METHODS.md. Cautious boundary: from 58%
    overall attrition no differential is low (returns NaN); between 57% and 58% only 0.0 is.
    Optimistic boundary: tabulated up to 65% (1.9 at 58, 1.4 at 60, 0.3 at 65), NaN beyond —
    check it against the handbook table before relying on it. NaN input gives NaN.
    """
    xs, ys, high_from, inclusive = _table(boundary)
    o = as_float(overall)
    always_high = (o >= high_from) if inclusive else (o > high_from)
    out = np.where(np.isnan(o) | (o < 0) | always_high, np.nan, np.interp(o, xs, ys))
    return scalar_or_array(out, overall)


def _table(boundary: str) -> tuple[FloatArray, FloatArray, float, bool]:
    try:
        return ATTRITION_BOUNDARIES[boundary]
    except KeyError:
        raise ValueError(f"boundary must be 'cautious' or 'optimistic', got {boundary!r}") from None


def attrition_rating(overall: npt.ArrayLike, differential: npt.ArrayLike, boundary: Boundary = "cautious") -> Any:
    """'low' or 'high' attrition (None when unknown) for overall % and differential points.

    Low when the differential is at or below :func:`attrition_boundary` at that overall rate. The
    cautious boundary is the default: these are retention programmes, where leaving may depend on
    the programme. Returns a str for scalars, else an object array.
    """
    o, d = np.broadcast_arrays(np.atleast_1d(as_float(overall)), np.atleast_1d(as_float(differential)))
    limit = np.atleast_1d(as_float(attrition_boundary(o, boundary)))
    known = ~(np.isnan(o) | np.isnan(d))
    low = known & ~np.isnan(limit) & (d <= limit + 1e-12)
    out = np.where(low, "low", "high").astype(object)
    out[~known] = None
    if np.ndim(overall) == 0 and np.ndim(differential) == 0:
        return out[0]
    return out


def baseline_equivalence(effect: npt.ArrayLike) -> Any:
    """Baseline equivalence of programme vs comparison at pre, from g or a Cox index.

    |es| ≤ 0.05 -> 'satisfied'; 0.05 < |es| ≤ 0.25 -> 'needs_adjustment' (the analysis must adjust
    for the baseline, as a DiD does); > 0.25 -> 'not_equivalent'; NaN -> None (WWC Handbook v4.1).
    Returns a str for a scalar, else an object array.
    """
    e = np.abs(np.atleast_1d(as_float(effect)))
    out = np.where(
        e <= 0.05,
        "satisfied",
        np.where(e <= 0.25, "needs_adjustment", "not_equivalent"),
    )
    out = out.astype(object)
    out[np.isnan(e)] = None
    if np.ndim(effect) == 0:
        return out[0]
    return out


@dataclass(frozen=True)
class EvidenceFacts:
    """Facts behind the evidence badge (see :func:`evidence_badge`).

    design: 'rct' (randomised) | 'did' | 'comparison' (programme vs comparison after) | 'prepost' (single arm) |
    'descriptive'. attrition: 'low' | 'high' | 'not_applicable' (aggregate rates) | None (unknown).
    baseline: output of :func:`baseline_equivalence` or None; baseline_adjusted None means "adjusted
    by the design" for a DiD and an RCT's ANCOVA and "not adjusted" otherwise. pretrends_ok: None when not assessed.
    """

    design: str
    n_treated_clusters: int | None = None
    n_comparison_clusters: int | None = None
    attrition: str | None = None
    baseline: str | None = None
    baseline_adjusted: bool | None = None
    clustering_handled: bool = False
    pretrends_ok: bool | None = None


def evidence_badge(facts: EvidenceFacts | Mapping[str, Any]) -> tuple[str, list[str]]:
    """Evidence-strength badge ("LabLens checks", not a WWC rating) and its reason codes.

    Starts from 'strong' and each failed check caps the level (strong > moderate > limited >
    insufficient); the reasons list every cap, in rule order, or ['all_checks_passed']:

    1. Design — 'rct', 'did' or 'comparison': no cap. 'prepost': cap limited ('no_comparison_group':
       regression to the mean and secular change are not ruled out). Anything else: insufficient
       ('no_comparison_group').
    2. Clusters (the smaller side; for 'prepost' the programme side) — ≤ 3: insufficient
       ('too_few_clusters': no reliable inference is possible); 4–9: cap moderate ('few_clusters');
       unknown: cap moderate ('clusters_unknown').
    3. Clustering — not handled (interval ignores schools): cap limited ('clustering_not_handled').
    4. Attrition (comparison designs and prepost) — 'high': cap moderate ('high_attrition');
       unknown: cap moderate ('attrition_unknown'); 'low'/'not_applicable': no cap.
    5. Baseline (comparison designs) — 'not_equivalent': cap limited ('baseline_not_equivalent');
       'needs_adjustment' without adjustment: cap limited ('baseline_not_adjusted'); unknown: cap
       moderate ('baseline_unknown'). A DiD adjusts for baseline by construction. A randomised trial with
       low attrition needs no baseline check (groups equivalent in expectation, WWC); with high attrition
       it is checked like any comparison.
    6. Pre-trends (DiD) — differ: cap limited ('pretrends_differ'); not assessed (no school observed in
       two pre years: the check is within schools): cap moderate ('pretrends_not_assessed').
    """
    f = _facts(facts)
    level = 0
    reasons: list[str] = []

    def cap(worst: str, reason: str) -> None:
        nonlocal level
        level = max(level, BADGE_LEVELS.index(worst))
        reasons.append(reason)

    comparison = f.design in ("did", "comparison", "rct")
    if f.design == "prepost":
        cap("limited", "no_comparison_group")
    elif not comparison:
        cap("insufficient", "no_comparison_group")

    sides = [f.n_treated_clusters, f.n_comparison_clusters] if comparison else [f.n_treated_clusters]
    if any(s is None for s in sides):
        cap("moderate", "clusters_unknown")
    else:
        smallest = min(int(s) for s in sides if s is not None)
        if smallest <= 3:
            cap("insufficient", "too_few_clusters")
        elif smallest < 10:
            cap("moderate", "few_clusters")

    if not f.clustering_handled:
        cap("limited", "clustering_not_handled")

    if comparison or f.design == "prepost":
        if f.attrition == "high":
            cap("moderate", "high_attrition")
        elif f.attrition not in ("low", "not_applicable"):
            cap("moderate", "attrition_unknown")

    if comparison and not (f.design == "rct" and f.attrition in ("low", "not_applicable")):
        adjusted = (f.design in ("did", "rct")) if f.baseline_adjusted is None else f.baseline_adjusted
        if f.baseline == "not_equivalent":
            cap("limited", "baseline_not_equivalent")
        elif f.baseline == "needs_adjustment" and not adjusted:
            cap("limited", "baseline_not_adjusted")
        elif f.baseline not in ("satisfied", "needs_adjustment"):
            cap("moderate", "baseline_unknown")

    if f.design == "did":
        if f.pretrends_ok is False:
            cap("limited", "pretrends_differ")
        elif f.pretrends_ok is None:
            cap("moderate", "pretrends_not_assessed")

    return BADGE_LEVELS[level], reasons or ["all_checks_passed"]


def _facts(facts: EvidenceFacts | Mapping[str, Any]) -> EvidenceFacts:
    if isinstance(facts, EvidenceFacts):
        return facts
    if is_dataclass(facts) and not isinstance(facts, type):
        facts = asdict(facts)
    if not isinstance(facts, Mapping):
        raise TypeError("facts must be an EvidenceFacts, another dataclass or a mapping")
    known = set(EvidenceFacts.__dataclass_fields__)
    unknown = set(facts) - known
    if unknown:
        raise ValueError(f"unknown facts: {', '.join(sorted(unknown))}")
    return EvidenceFacts(**facts)
