"""The registry of designs: each design is a module, registered here once.

Registering a module makes its design available to compare(), the CLI's ``--design`` choices, the
pages' design selectors and the column registry (evidence dictionary, methods text).

To add a design (e.g. ``rct``):
1. Write ``analysis/compare/rct.py`` declaring, like ``prepost.py`` and ``did.py``: ``NAME``; ``LABEL``
   (Spanish, English words for the ``design`` column's description); ``OPTIONS`` (request fields beyond
   the common ones that ``run`` accepts as keyword arguments, e.g. ``("icc",)``); ``COMPARISON`` (True when
   comparison units are read beside the programme's); ``SELECTOR_RANK`` (position in the pages'
   selectors); ``EVIDENCE`` (a ``finish.Evidence`` naming its cluster, estimate, baseline and pre-trend
   columns); ``KEY_COLUMNS`` (extra key columns after the grouping, usually ``()``); ``COLUMNS`` (the
   output columns in order, shared ones included); ``COLUMN_NOTE`` (a note for the package docstring, or
   ""); ``COLUMN_DOCS`` (Spanish and English text of every column it adds that ``columns.SHARED_DOCS``
   does not describe); ``METHODS`` ({"es": ..., "en": ...} methods text); ``SUMMARY_COLUMNS`` (the columns
   the Evidencia page shows); ``check_grouping(by)`` (raise CompareError for a grouping it cannot answer);
   and ``run(con, req, **options) -> DataFrame`` returning ``[*result_keys(req), *KEY_COLUMNS present,
   *COLUMNS, "pre_years", "post_years"]`` after ``finish.finish(frame, req, keys, EVIDENCE)`` — with the
   columns finish reads (``attrition_rating``, ``n_students``, the student cells of disclosure control —
   ``cell_treated_pre`` … ``cell_comparison_post`` for two arms, else ``n_pre`` / ``n_post`` / ``n_linked``,
   else ``min_cell_students`` — see finish.py), and ``suppression_reason`` after ``reliability`` in COLUMNS.
   Optionally ``counts(con, req) -> DataFrame``: the rows ``run`` hands to suppression, in the same order,
   with only the keys and student cells (and ``reliability``), computed without the statistics; the coarser
   views of a grouping are then protected from it (analysis/compare/linked.py), else by a full ``run``.
   tests/compare/test_linked_counts.py checks the two hide the same cells.
2. Add the module to ``REGISTERED`` below.
3. Add its tests under ``tests/compare/`` (a reference test, and the golden requests if it is to be pinned);
   ``tests/compare/test_designs.py`` checks its columns are documented in both languages.
4. Add the translation of the design's name (``design.rct``) to both ui/locales files if a page shows it,
   and a short name (Spanish, English) for each new column to ``columns.LABELS`` (the pages' and
   ``compare --format table``'s headers; tests/app/test_analysis_words.py checks every column has one).
"""

from __future__ import annotations

from analysis.compare import did, prepost, rct
from analysis.compare.columns import Column, registry
from analysis.compare.request import CompareError, Design

REGISTERED: tuple[Design, ...] = (prepost, did, rct)
DEFAULT = prepost.NAME  # compare()'s and the CLI's design when none is given
DESIGNS: tuple[str, ...] = tuple(d.NAME for d in REGISTERED)
BY_NAME: dict[str, Design] = {d.NAME: d for d in REGISTERED}


def get(name: str) -> Design:
    """The design module called ``name``; CompareError listing the registered ones otherwise."""
    if name not in BY_NAME:
        raise CompareError(f"design must be one of {', '.join(DESIGNS)}, not '{name}'")
    return BY_NAME[name]


def selector_order() -> tuple[str, ...]:
    """Design names as the pages' selectors list them (designs with a comparison group first)."""
    return tuple(d.NAME for d in sorted(REGISTERED, key=lambda d: d.SELECTOR_RANK))


def column_registry() -> dict[str, Column]:
    """Every output column of compare() with the designs that give it and its Spanish and English text."""
    return registry(REGISTERED)


def methods_text(lang: str) -> list[str]:
    """The methods text of every registered design in ``lang`` ('es' or 'en')."""
    return [d.METHODS[lang] for d in REGISTERED]
