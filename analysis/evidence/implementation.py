"""The implementation facts an evidence pack carries beside its results (issue 19): labs planned, installed
and operating and teachers trained per programme (``implementation.csv``), the dose–response association of
each programme's schools for the pack's score indicators (``dose_response.csv``), and, when the user gives a
cost file and exchange rates, the cost per student and per 0.1 SD gained (``cost.csv``).

All three are aggregates per programme (no school, teacher or student rows); they exist only when the
database holds implementation records (or a cost file is given).
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pandas as pd

from analysis.catalog import INDICATOR_BY_CODE
from analysis.disclosure import DOSE_RESPONSE_DECIMALS, round_published
from analysis.implementation import cost, dose, monitor

DOSE_KINDS = ("score", "likert")


def implementation_tables(con: duckdb.DuckDBPyConnection, indicators: tuple[str, ...], design: str = "did",
                          costs: pd.DataFrame | None = None, rates: Mapping[str, float] | None = None,
                          currency: str = "USD") -> dict[str, pd.DataFrame]:
    """File name -> table for the pack; empty when there is nothing to add."""
    files: dict[str, pd.DataFrame] = {}
    if monitor.has_records(con):
        status = monitor.lab_status(con, "program")
        training = monitor.training_coverage(con, "program", min_hours=monitor.DEFAULT_MIN_TRAINING_HOURS)
        # operating_roster: of the operating labs, those a trial's roster reports with no use log (monitor.lab_status)
        keep = ["program", "country", "planned", "installed", "operating", "operating_roster", "no_report"]
        facts = status[keep].merge(
            training[["program", "country", "teachers", "teachers_min_hours", "teachers_completed"]],
            on=["program", "country"], how="left")
        facts["min_training_hours"] = monitor.DEFAULT_MIN_TRAINING_HOURS
        files["implementation.csv"] = facts
        rows = []
        for code in indicators:
            indicator = INDICATOR_BY_CODE.get(code)
            if indicator is None or indicator.kind not in DOSE_KINDS:
                continue
            for program in status["program"]:
                rows.append(dose.dose_analysis(con, program, code).summary_row())
        if rows:
            # at display precision, as the evidence table (docs/METHODS.md, "Disclosure avoidance")
            files["dose_response.csv"] = round_published(pd.DataFrame(rows), DOSE_RESPONSE_DECIMALS)
    if costs is not None and rates:
        score = next((c for c in indicators if getattr(INDICATOR_BY_CODE.get(c), "kind", None) == "score"), None)
        if score is not None:
            files["cost.csv"] = cost.cost_report(con, costs, dict(rates), currency, score, design)
    return files
