"""Designing a randomised pilot: power (MDES), reproducible assignment of schools, the pre-analysis plan.

Pure Python (never imports streamlit). The database is read in one place, `analysis.pilot.frame`.
"""
