"""Yearly rates: school rates with the planted dropout effect (random stream 1) and the Valle
municipalities' rates with their enrolment-weighted department (random stream 2)."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from analysis.catalog import VALLE_MUNICIPALITIES, unit_id
from analysis.demo.arrow import dict_array
from analysis.demo.layout import rng_stream
from analysis.demo.params import (
    DROPOUT_EFFECT,
    DROPOUT_RURAL,
    DROPOUT_SELECTION,
    IMPORT_ID,
    PROGRAMME_OF,
    RATE_YEARS,
    SCHOOL_RATE_MODEL,
    YEAR_EFFECTS,
)
from analysis.demo.places import VALLE_PLACES

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
        "indicator": dict_array(grid[2], _RATE_INDICATORS),
        "year": pa.array(np.asarray(years, dtype=np.int32)[grid[1]]),
        "value": pa.array(values.reshape(-1)),
        "n": pa.array(np.repeat(n.reshape(-1), n_ind).astype(float)),
    })
    con.register("demo_rates", table)
    con.execute("INSERT INTO target.observations SELECT $import_id, unit_id, NULL, indicator, year, NULL, "
                "'all', NULL, NULL, value, n FROM demo_rates", {"import_id": IMPORT_ID})
    con.unregister("demo_rates")


def school_rates(con: duckdb.DuckDBPyConnection, lay: dict, seed: int) -> None:
    rng = rng_stream(seed, 1)
    for country in ("CO", "GT"):
        idx = np.flatnonzero(lay["country"] == country)
        years = RATE_YEARS[country]
        yrs = np.asarray(years)
        k = idx.size
        model = SCHOOL_RATE_MODEL[country]
        eff = YEAR_EFFECTS[country]
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


def municipality_rates(con: duckdb.DuckDBPyConnection, seed: int) -> None:
    """Rates of the 42 Valle municipalities (no programme effect) and their n-weighted department."""
    rng = rng_stream(seed, 2)
    codes = sorted(VALLE_MUNICIPALITIES)
    years = RATE_YEARS["CO"]
    yrs = np.asarray(years)
    k = len(codes)
    eff = YEAR_EFFECTS["CO"]
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
