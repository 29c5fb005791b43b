"""Reasons from the analysis (CompareError, ImportFailed, MappingError...) in the page's language.

The analysis writes its reasons in English, for the command line and the logs, and a stored result keeps its
reason as text. The catalogue that recognises each reason by its shape and says it again in Spanish or English
is analysis/reasons.py — the one the evidence brief, the pack and ``python -m analysis import --lang`` use too;
here it is asked in the session's language, with indicators named as the page names them and fields by their
locale words. A reason no pattern knows is never dropped: in Spanish it is shown quoted as the technical detail
it is. tests/app/test_messages.py raises the real errors and checks each one is recognised.
Every part taken from the reason (a name, a file or column name, the untranslated text) is escaped for Markdown
(``fmt.md``): a reason is shown with st.error / st.info, and a file's own column names are imported text. A
reject reason goes into a table cell, which renders no Markdown, so it is left as said.
"""

from __future__ import annotations

from analysis import reasons
from ui import format as fmt
from ui.i18n import current_language


def reason(text: object, names: dict[str, str] | None = None) -> str:
    """An analysis reason in the session's language (see the module docstring); ``names`` maps indicator codes
    to their names (ui.loaders.indicator_names)."""
    return reasons.say(text, current_language(), names, fmt.field_label, escape=fmt.md)


def reject(text: object, column: str | None = None) -> str:
    """A stored reject reason of an import (a row's or a value's) in the session's language; ``column``: the
    rejected cell's column (a form question, named by its label)."""
    return reasons.reject(text, current_language(), column=column)
