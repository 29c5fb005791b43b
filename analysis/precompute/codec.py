"""How a stored compare() result is kept in ``derived_results``: Parquet bytes and a JSON of the rest.

A result read back is the frame compare() returned: same columns, order, dtypes and values.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Stored:
    """A stored result: compare()'s frame, or the CompareError reason it raised."""

    frame: pd.DataFrame | None
    error: str | None


def encode(frame: pd.DataFrame) -> tuple[bytes, str]:
    """(Parquet bytes, JSON) of a result frame. Object columns (lists of years, flags, None/bool) go in the
    JSON, one list per column, since Parquet would turn them into arrays or strings (the pandas metadata
    Parquet keeps restores every other dtype); the JSON also keeps the column order. Arrays in object
    cells (compare()'s years, on some routes) come back as lists."""
    out = frame.reset_index(drop=True)
    objects = {c: [_plain(v) for v in out[c]] for c in out.columns if out[c].dtype == object}
    buffer = io.BytesIO()
    out.drop(columns=list(objects)).to_parquet(buffer, index=False)
    meta = {"columns": list(out.columns), "objects": objects}
    return buffer.getvalue(), json.dumps(meta)


def decode(payload: bytes, meta_json: str) -> pd.DataFrame:
    """The frame :func:`encode` stored."""
    meta = json.loads(meta_json)
    frame = pd.read_parquet(io.BytesIO(payload))
    for column, values in meta["objects"].items():
        frame[column] = pd.Series(values, dtype=object, index=frame.index)
    return frame[meta["columns"]]


def _plain(value):
    """A JSON-ready value: numpy scalars and arrays as Python ones (NaN stays NaN)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    return value
