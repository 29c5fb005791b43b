"""Multiple comparisons: Benjamini–Hochberg q-values (Benjamini & Hochberg 1995)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from ._common import as_float

__all__ = ["bh_qvalues"]


def bh_qvalues(pvalues: npt.ArrayLike | pd.Series) -> Any:
    """Benjamini–Hochberg adjusted p-values (q-values) over one family of comparisons.

    Wraps ``scipy.stats.false_discovery_control(method="bh")``. NaN p-values (e.g. a suppressed
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
        q[ok] = stats.false_discovery_control(flat[ok], method="bh")
    q = q.reshape(p.shape)
    if isinstance(pvalues, pd.Series):
        return pd.Series(q, index=pvalues.index, name=pvalues.name)
    if np.ndim(pvalues) == 0:
        return float(q)
    return q
