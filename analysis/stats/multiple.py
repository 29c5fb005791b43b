"""Multiple comparisons: Benjamini–Hochberg q-values (Benjamini & Hochberg 1995)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._common import as_float

__all__ = ["bh_qvalues"]


def bh_qvalues(pvalues: npt.ArrayLike | pd.Series) -> Any:
    """Benjamini–Hochberg adjusted p-values (q-values) over one family of comparisons.

    The steps of ``scipy.stats.false_discovery_control(method="bh")``, in numpy (importing scipy.stats takes
    about 1 s). NaN p-values (e.g. a suppressed
    school, or a DiD without reliable inference) stay NaN and do not count in the family size.
    The family is everything shown together (all schools, regions or subgroups of a table); waves are
    not extra comparisons (docs/METHODS.md). Returns a Series with the same index for a Series, else an
    array of the input's shape.
    """
    p = as_float(pvalues)
    flat = p.ravel()
    ok = ~np.isnan(flat)
    if np.any((flat[ok] < 0) | (flat[ok] > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    q = np.full(flat.shape, np.nan)
    if ok.any():
        q[ok] = _bh(flat[ok])
    q = q.reshape(p.shape)
    if isinstance(pvalues, pd.Series):
        return pd.Series(q, index=pvalues.index, name=pvalues.name)
    if np.ndim(pvalues) == 0:
        return float(q)
    return q


def _bh(ps: np.ndarray) -> np.ndarray:
    """BH step-up over finite p-values: p(i)·m/i, the running minimum from the largest, capped at 1."""
    m = ps.size
    if m <= 1:
        return ps
    order = np.argsort(ps)
    adjusted = ps[order] * (m / np.arange(1, m + 1, dtype=np.float64))
    np.minimum.accumulate(adjusted[::-1], out=adjusted[::-1])
    out = np.empty_like(adjusted)
    out[order] = adjusted
    return np.clip(out, 0.0, 1.0)
