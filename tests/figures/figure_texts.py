"""Translated strings and an effects table handed to the figure builders in their tests."""

import numpy as np
import pandas as pd

TEXTS = {"x_title": "g", "suppressed": "suppressed", "no_estimate": "no estimate", "low": "low reliability",
         "pre": "Before", "post": "After", "comparison": "Comparison schools", "counterfactual": "Without programme",
         "y_title": "mean", "significant": "q < 0.05", "not_significant": "q ≥ 0.05", "reference": "comparison"}


def effects() -> pd.DataFrame:
    """Two programmes, MiLab's girls suppressed and its boys of low reliability."""
    return pd.DataFrame({
        "program": ["MiLab", "ValleLabs", "ValleLabs", "MiLab", "MiLab"],
        "group": ["All", "All", "Girls", "Girls", "Boys"],
        "effect": [0.09, 0.16, 0.18, np.nan, 0.05],
        "low": [0.01, 0.12, 0.10, np.nan, -0.2],
        "high": [0.16, 0.20, 0.26, np.nan, 0.3],
        "reliability": ["ok", "ok", "ok", "suppressed", "low"],
    })
