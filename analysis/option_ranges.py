"""The ranges of the analysis's settings on the command line (compare, export, pilot): argparse types that
refuse a value outside its range with a one-line reason. The reasons are English here, as argparse's own; the
command line's parser says them in Spanish too (analysis/cli_text.py ARGPARSE_ES).
"""

from __future__ import annotations

import argparse
import math

from analysis.disclosure import MIN_CELL_FLOOR


def _number(text: str, kind: str = "float") -> float:
    """A finite number, else argparse's own words for a value that is not one ("invalid int value: 'diez'")."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"invalid {kind} value: {text!r}")
    return value


def min_cell(text: str) -> int:
    """``--min-cell``: a whole number of students, never below the floor (analysis/disclosure.py MIN_CELL_FLOOR)."""
    value = _number(text, "int")
    if value != int(value) or value < MIN_CELL_FLOOR:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least {MIN_CELL_FLOOR} (no cell of fewer "
                                         f"than {MIN_CELL_FLOOR} students is ever shown), not {text}")
    return int(value)


def icc(text: str) -> float:
    """``--icc``: an intraclass correlation, a share of variance in [0, 1) (1 would leave no variance within
    schools: every design effect infinite)."""
    value = _number(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 0 and less than 1, not {text}")
    return value


def conf_level(text: str) -> float:
    """``--conf-level``: a confidence level in (0, 1)."""
    value = _number(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be more than 0 and less than 1, not {text}")
    return value
