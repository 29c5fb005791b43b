"""Small numpy -> Arrow helpers for the generator's inserts."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def dict_array(indices: np.ndarray, values: list[str]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(indices.astype(np.int32)), pa.array(values))


def masked(values: np.ndarray) -> pa.Array:
    return pa.array(values, mask=np.isnan(values))


def interleave(pre: np.ndarray, post: np.ndarray) -> np.ndarray:
    out = np.empty(pre.shape[0] * 2, dtype=np.result_type(pre, post))
    out[0::2] = pre
    out[1::2] = post
    return out
