"""Random assignment of schools: complete randomisation within strata, or matched pairs.

Within each stratum of m_s schools, exactly floor(m_s·P) or ceil(m_s·P) schools are treated, as R's
`randomizr::block_ra` does (Coppock 2023); the fractional parts are allocated by systematic sampling over
the strata (Madow 1949), so each stratum gets its extra school with probability equal to its fractional
part, every school's probability of treatment is exactly P (or N/M with a fixed number N), and the total is
within one school of M·P (exactly N with `treated=N`). Matched pairs (Imai, King & Nall 2009): within each
stratum, schools sorted by a baseline measure are paired consecutively and one of each pair is treated.

Reproducible: the frame is sorted by school code, then every random number comes from
`numpy.random.default_rng(seed)` in a fixed order, so the same frame, options and seed give the same roster,
byte for byte.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

import analysis
from analysis.safe_export import neutralise_frame

ROSTER_COLUMNS = ["country", "unit_type", "unit_code", "program", "lab_type", "start_year", "stratum"]
MISSING = "(none)"  # a school without a value of a stratum or balance field (the pages say it in words)
BALANCE_CATEGORICAL = ("zone", "sector", "level", "status", "department")
BALANCE_NUMERIC = ("enrolment", "students_observed", "baseline")


@dataclass(frozen=True)
class Options:
    """What defines a draw (recorded in the assignment record)."""

    seed: int
    strata: tuple[str, ...] = ()
    treated_share: float | None = 0.5
    treated: int | None = None
    pairs_on: str | None = None
    program: str = "MiLab"
    lab_type: str | None = None
    start_year: int | None = None
    where: str | None = None

    def as_dict(self) -> dict:
        return {"seed": self.seed, "strata": list(self.strata), "treated_share": self.treated_share,
                "treated": self.treated, "pairs_on": self.pairs_on, "program": self.program,
                "lab_type": self.lab_type, "start_year": self.start_year, "where": self.where}


@dataclass
class Assignment:
    """The roster (LabLens roster format plus `stratum`), the balance table and the assignment record."""

    roster: pd.DataFrame
    balance: pd.DataFrame
    record: dict = field(default_factory=dict)

    def roster_csv(self) -> bytes:
        """The roster file's bytes: UTF-8, comma, '\\n' line ends (identical for identical draws)."""
        return roster_bytes(self.roster)


def roster_bytes(roster: pd.DataFrame) -> bytes:
    """The roster as the file offered, registered and sealed (``roster_sha256``): a text cell from the frame
    that a spreadsheet would run as a formula (a stratum named ``=HYPERLINK(...)``) starts with an apostrophe
    (analysis.safe_export, OWASP "CSV injection"); every other cell as drawn."""
    return neutralise_frame(roster).to_csv(index=False, lineterminator="\n").encode("utf-8")


def _strata_labels(frame: pd.DataFrame, strata: tuple[str, ...]) -> pd.Series:
    if not strata:
        return pd.Series(["all"] * len(frame), index=frame.index)
    missing = [s for s in strata if s not in frame.columns]
    if missing:
        raise ValueError(f"--strata: the frame has no field {', '.join(missing)} "
                         f"(fields: {', '.join(c for c in frame.columns if frame[c].dtype == object)})")
    parts = [frame[s].fillna(MISSING).astype(str) for s in strata]
    label = parts[0]
    for p in parts[1:]:
        label = label + " / " + p
    return label


def _systematic_extras(fractions: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """0/1 per stratum with P(1) = its fractional part, sum within one of the fractions' sum (Madow 1949)."""
    cum = np.concatenate([[0.0], np.cumsum(fractions)])
    u = rng.random()
    # stratum s gets an extra school when an integer k has cum[s] < u + k <= cum[s+1]
    return (np.floor(cum[1:] - u) - np.floor(cum[:-1] - u)).astype(int)


def _targets(sizes: np.ndarray, options: Options) -> np.ndarray:
    total = sizes.sum()
    if options.treated is not None:
        if not 0 < options.treated < total:
            raise ValueError(f"--treated {options.treated}: must be between 1 and {total - 1} "
                             f"(the frame holds {total} schools)")
        return sizes * options.treated / total
    share = options.treated_share
    if share is None or not 0 < share < 1:
        raise ValueError(f"--treated-share must be strictly between 0 and 1: got {share}")
    return sizes * share


def _groups(labels: np.ndarray) -> dict[str, np.ndarray]:
    """Positions of each stratum's schools, strata in sorted order."""
    return {s: np.flatnonzero(labels == s) for s in sorted(set(labels.tolist()))}


def draw(labels: np.ndarray, options: Options) -> np.ndarray:
    """Treated (True) or not for schools already in code order, given their stratum labels: the draw itself.

    Random numbers in a fixed order: one uniform for the systematic allocation of remainders, then one
    permutation per stratum in sorted stratum order."""
    rng = np.random.default_rng(options.seed)
    groups = _groups(np.asarray(labels))
    sizes = np.array([len(g) for g in groups.values()])
    targets = _targets(sizes, options)
    floors = np.floor(targets + 1e-9).astype(int)
    counts = floors + _systematic_extras(np.clip(targets - floors, 0, None), rng)
    treated = np.zeros(len(labels), dtype=bool)
    for idx, k in zip(groups.values(), counts, strict=True):
        treated[rng.permutation(idx)[:k]] = True
    return treated


def assign(frame: pd.DataFrame, options: Options, frame_sha256: str | None = None,
           frame_file: str | None = None) -> Assignment:
    """Draw the assignment for the schools of ``frame`` (columns as `analysis.pilot.frame` builds them)."""
    if frame.empty:
        raise ValueError("the frame holds no schools: check --where")
    if frame["unit_code"].duplicated().any():
        raise ValueError("the frame lists a school code twice: "
                         + ", ".join(frame.loc[frame["unit_code"].duplicated(), "unit_code"].head(5)))
    if options.seed < 0:
        raise ValueError(f"--seed must be a non-negative integer: got {options.seed}")
    frame = frame.sort_values("unit_code", kind="stable").reset_index(drop=True)
    frame["stratum"] = _strata_labels(frame, options.strata)
    if options.pairs_on:
        treated, frame["stratum"] = _pairs(frame, _groups(frame["stratum"].to_numpy()), options,
                                           np.random.default_rng(options.seed))
    else:
        treated = draw(frame["stratum"].to_numpy(), options)
    roster = pd.DataFrame({
        "country": frame["country"], "unit_type": frame["unit_type"], "unit_code": frame["unit_code"],
        "program": np.where(treated, options.program, "comparison"),
        "lab_type": np.where(treated, options.lab_type or "", ""),
        "start_year": [str(options.start_year) if t and options.start_year else "" for t in treated],
        "stratum": frame["stratum"]})
    strata = (roster.assign(t=treated).groupby("stratum", sort=True)
              .agg(schools=("t", "size"), treated=("t", "sum")).reset_index())
    codes = "\n".join(frame["unit_code"]).encode("utf-8")
    record = {
        "seed": options.seed, "country": ",".join(sorted(frame["country"].dropna().unique())),
        "frame_file": frame_file, "frame_sha256": frame_sha256,
        "eligible_sha256": hashlib.sha256(codes).hexdigest(), "schools": len(frame),
        "treated": int(treated.sum()), "comparison": int((~treated).sum()),
        "strata": [{"stratum": r.stratum, "schools": int(r.schools), "treated": int(r.treated)}
                   for r in strata.itertuples()],
        "options": options.as_dict(),
        "method": ("matched pairs on " + options.pairs_on if options.pairs_on else
                   "complete randomisation within strata (floor/ceil of m·P per stratum, remainders by "
                   "systematic sampling), numpy default_rng(seed) on the frame sorted by school code"),
        "roster_sha256": hashlib.sha256(roster_bytes(roster)).hexdigest(),
        "lablens_version": analysis.__version__}
    return Assignment(roster=roster, balance=balance_table(frame, treated), record=record)


def _pairs(frame: pd.DataFrame, groups: dict, options: Options,
           rng: np.random.Generator) -> tuple[np.ndarray, pd.Series]:
    """Pair schools sorted by the baseline within each stratum; one of each pair treated (P = 1/2).
    An odd school left over forms its own block and is treated with probability 1/2."""
    col = options.pairs_on
    if col not in frame.columns:
        raise ValueError(f"--pairs-on {col}: the frame has no such column (a baseline needs --baseline CODE "
                         "with --from-db, or a numeric column of the frame file)")
    if options.treated is not None or (options.treated_share not in (None, 0.5)):
        raise ValueError("matched pairs treat one school of each pair: use --treated-share 0.5")
    values = pd.to_numeric(frame[col], errors="coerce")
    if values.isna().any():
        raise ValueError(f"--pairs-on {col}: {int(values.isna().sum())} school(s) have no value; "
                         "filter them out with --where or choose another measure")
    treated = np.zeros(len(frame), dtype=bool)
    labels = frame["stratum"].copy()
    for s, idx in groups.items():
        order = sorted(idx, key=lambda i: (values[i], frame.at[i, "unit_code"]))
        width = max(2, len(str(math.ceil(len(order) / 2))))
        for k in range(0, len(order), 2):
            pair = order[k:k + 2]
            labels[pair] = f"{s} / pair {k // 2 + 1:0{width}d}"
            if len(pair) == 2:
                treated[pair[int(rng.integers(2))]] = True
            else:
                treated[pair[0]] = bool(rng.integers(2))
    return treated, labels


def _smd(t: np.ndarray, c: np.ndarray) -> float:
    """Standardised mean difference, (mean_t - mean_c) / sqrt((s_t² + s_c²)/2) (Austin 2009)."""
    if len(t) == 0 or len(c) == 0:
        return float("nan")
    pooled = math.sqrt((np.var(t, ddof=1 if len(t) > 1 else 0) + np.var(c, ddof=1 if len(c) > 1 else 0)) / 2)
    diff = float(np.mean(t) - np.mean(c))
    if pooled == 0:
        return 0.0 if diff == 0 else float("nan")
    return diff / pooled


def balance_table(frame: pd.DataFrame, treated: np.ndarray) -> pd.DataFrame:
    """Treated vs comparison on what the frame holds: shares of each category (zone, sector, level,
    status, department) and means of numeric columns (enrolment, students observed, baseline), with
    standardised differences; |SMD| ≤ 0.05 is WWC's "satisfied", up to 0.25 "needs adjustment"."""
    rows = []
    for col in BALANCE_CATEGORICAL:
        if col not in frame.columns or frame[col].isna().all():
            continue
        values = frame[col].fillna(MISSING).astype(str)
        for level in sorted(values.unique()):
            x = (values == level).to_numpy(float)
            rows.append(_row(col, level, x, treated))
    for col in BALANCE_NUMERIC:
        if col not in frame.columns:
            continue
        x = pd.to_numeric(frame[col], errors="coerce").to_numpy(float)
        ok = ~np.isnan(x)
        if ok.sum() >= 2:
            rows.append(_row(col, None, x[ok], treated[ok]))
    columns = ["variable", "level", "mean_treated", "mean_comparison", "smd", "n_treated", "n_comparison"]
    return pd.DataFrame(rows, columns=columns)


def _row(variable: str, level: str | None, x: np.ndarray, treated: np.ndarray) -> dict:
    t, c = x[treated], x[~treated]
    return {"variable": variable, "level": level, "mean_treated": float(t.mean()) if len(t) else float("nan"),
            "mean_comparison": float(c.mean()) if len(c) else float("nan"), "smd": _smd(t, c),
            "n_treated": len(t), "n_comparison": len(c)}
