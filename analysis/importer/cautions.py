"""What an import says it did not use, and when it rejected a large share of the file's rows.

Nothing is dropped silently: a column no role reads is named in a note (a student file keeps such a column as a
student attribute, which no analysis reads), and an import that rejects more than ``REJECTED_SHARE`` of its rows
says so in a note, though it still loads (the rows that passed are valid; the note is for the reader). The notes
are in English like every importer note; analysis/import_text.py says them in Spanish.
"""

from __future__ import annotations

import datetime

from analysis.importer.layouts import Layout

#: above this share of rejected rows an import carries a warning note (it still loads: exit code 0)
REJECTED_SHARE = 0.10


def this_year(current_year: int | None = None) -> int:
    """The current calendar year, read from the clock once per import unless given (tests, benches)."""
    return int(current_year) if current_year is not None else datetime.date.today().year


def future_year_reason(current_year: int) -> str:
    """SQL for a row's reason when its year is after ``current_year`` (``r.year`` is the parsed year)."""
    return f"'year ' || r.year || ' is after the current year ({int(current_year)})'"


def unused_columns_notes(layout: Layout, headers: list[str]) -> list[str]:
    """Notes naming the file's columns that no analysis reads: ignored ones, and a student file's extra columns
    kept as student attributes. Columns naming people have their own note (staging.py)."""
    notes = []
    if layout.ignored:
        notes.append("columns not used: " + ", ".join(layout.ignored))
    if layout.attribute_cols and layout.student_col is not None:
        notes.append("columns not used by the analyses, kept as student attributes: "
                     + ", ".join(headers[i] for i in layout.attribute_cols))
    return notes


def rejected_share_note(rows_read: int | None, rows_rejected: int | None) -> list[str]:
    """A warning when more than ``REJECTED_SHARE`` of the rows read were rejected whole."""
    if not rows_read or not rows_rejected or rows_rejected / rows_read <= REJECTED_SHARE:
        return []
    percent = round(100 * rows_rejected / rows_read)
    return [f"warning: {rows_rejected} of {rows_read} rows ({percent} %) were rejected, more than "
            f"{round(100 * REJECTED_SHARE)} %; read the rejected rows before using these data"]
