"""LabLens analysis package: storage, import, statistics, export. Never imports streamlit."""

from analysis.db.connect import open_db

__version__ = "0.1.0"

__all__ = ["__version__", "open_db"]
