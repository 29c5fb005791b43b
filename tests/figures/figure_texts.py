"""Translated strings handed to the figure builders in their tests."""

TEXTS = {"x_title": "g", "suppressed": "suppressed", "no_estimate": "no estimate", "low": "low reliability",
         "pre": "Before", "post": "After", "comparison": "Comparison schools", "counterfactual": "Without programme",
         "y_title": "mean", "significant": "q < 0.05", "not_significant": "q ≥ 0.05", "reference": "comparison"}
