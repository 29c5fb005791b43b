"""Downloads: CSV and XLSX whose text can never run as a spreadsheet formula.

A thin re-export: the writers live in ``analysis.safe_export`` so that the Evidencia page and
``python -m analysis export`` share one implementation (issue #5).
"""

from __future__ import annotations

from analysis.safe_export import csv_bytes, parquet_bytes, xlsx_bytes, zip_bytes

__all__ = ["csv_bytes", "parquet_bytes", "xlsx_bytes", "zip_bytes"]
