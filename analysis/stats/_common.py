"""Shared helpers for the statistics package (private)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special

FloatArray = npt.NDArray[np.float64]


def as_float(x: Any) -> FloatArray:
    """Return ``x`` as a float64 ndarray (pandas objects lose their index)."""
    return np.asarray(x, dtype=np.float64)


def scalar_or_array(x: FloatArray, *inputs: Any) -> float | FloatArray:
    """Return a Python float when every input was a scalar, else the array."""
    if all(np.ndim(i) == 0 for i in inputs) and np.ndim(x) == 0:
        return float(x)
    return x


def t_sf(x: Any, df: Any) -> Any:
    """Student t survival function: ``scipy.stats.t.sf(x, df)`` exactly (scipy computes it as
    ``special.stdtr(df, -x)``), without importing scipy.stats (about 1 s at start-up)."""
    return special.stdtr(df, np.negative(x))


def t_ppf(q: Any, df: Any) -> Any:
    """Student t quantile for ``0 < q <= 1``: ``scipy.stats.t.ppf(q, df)`` exactly (``special.stdtrit``)."""
    return special.stdtrit(df, q)


def z_crit(level: float) -> float:
    """Two-sided standard-normal critical value for a ``level`` interval."""
    check_level(level)
    return float(special.ndtri(0.5 + 0.5 * level))


def check_level(level: float) -> None:
    """Raise ``ValueError`` unless ``0 < level < 1``."""
    if not 0.0 < float(level) < 1.0:
        raise ValueError(f"level must be strictly between 0 and 1, got {level!r}")
