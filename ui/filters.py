"""Filters bound to the URL, so a shared link reproduces the view (docs/STACK_NOTES.md, "Shareable state").

The URL stores an option's displayed label, so only widgets whose labels never change with the
language are bound: codes (indicator codes, grouping fields), programme names, school ids, years.
"All" is the empty state (``index=None``) with a translated placeholder.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from ui.i18n import t


def pick(label_key: str, options: Sequence, *, key: str, default=None, placeholder_key: str = "filter.all",
         help_text: str | None = None, container=None, disabled: bool = False):
    """A URL-bound selectbox; ``default=None`` means "all" (empty) with the translated placeholder."""
    options = list(options)
    index = options.index(default) if default is not None and default in options else None
    where = container or st
    return where.selectbox(t(label_key), options, index=index, key=key, bind="query-params",
                           placeholder=t(placeholder_key), help=help_text, disabled=disabled)


def pick_many(label_key: str, options: Sequence, *, key: str, default: Sequence = (),
              placeholder_key: str = "filter.choose", help_text: str | None = None, container=None) -> list:
    """A URL-bound multiselect of codes."""
    options = list(options)
    where = container or st
    return where.multiselect(t(label_key), options, default=[d for d in default if d in options], key=key,
                             bind="query-params", placeholder=t(placeholder_key), help=help_text)
