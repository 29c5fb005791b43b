"""Filters bound to the URL, so a shared link reproduces the view (docs/STACK_NOTES.md, "Shareable state").

Streamlit's ``bind="query-params"`` stores an option's *displayed label*, so a choice shown in words (an
indicator's name, "departamento", "mujeres") would not survive a change of language. A filter given
``labels`` (a function code -> words) shows the words but keeps the *code* in the URL: its value is seeded
once from the query parameter (else the default) and written back on change, under the same key, so links
such as ``?indicador=score_math&agrupar=sex`` keep working; the value is kept for the session across page
switches (``persist_state``), as a bound widget's is, and put back in the URL. Filters without labels (programme names,
department names: proper names, the same in both languages) use ``bind`` directly. "All" is the empty state
(``index=None``) with a translated placeholder.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from ui.i18n import t


def _from_url(raw: object, options: list) -> object | None:
    """The option whose text is ``raw`` (URL values are text; options may be numbers), else None."""
    for option in options:
        if str(option) == raw:
            return option
    return None


def _seed(key: str, options: list, default, multi: bool) -> None:
    """Put the URL's code(s) (else the default) in the widget's state on first use; drop stale codes."""
    if key not in st.session_state:
        if multi:
            raw = [c for part in st.query_params.get_all(key) for c in part.split(",")]
            chosen = ([o for o in (_from_url(r, options) for r in raw) if o is not None] if key in st.query_params
                      else [d for d in default if d in options])
        else:
            chosen = _from_url(st.query_params.get(key), options) if key in st.query_params else None
            chosen = chosen if chosen is not None else (default if default in options else None)
        st.session_state[key] = chosen
    current = st.session_state[key]
    if multi:
        current = current if isinstance(current, list) else []
        st.session_state[key] = [c for c in current if c in options]
    elif current is not None and current not in options:
        st.session_state[key] = default if default in options else None


def _sync(key: str, default, multi: bool) -> None:
    """Write the widget's code(s) to the URL (none when equal to the default, like ``bind``); only a change is
    written (a page switch clears the URL: the value kept for the session goes back in)."""
    value = st.session_state.get(key)
    if value == default or (multi and list(value or []) == list(default)):
        if key in st.query_params:
            st.query_params.pop(key, None)
        return
    text = ",".join(str(v) for v in value) if multi else ("" if value is None else str(value))
    if st.query_params.get(key) != text:
        st.query_params[key] = text


def pick(label_key: str, options: Sequence, *, key: str, default=None, placeholder_key: str = "filter.all",
         help_text: str | None = None, container=None, disabled: bool = False,
         labels: Callable[[object], str] | None = None):
    """A URL-bound selectbox; ``default=None`` means "all" (empty) with the translated placeholder.

    With ``labels`` the options are shown in words and the URL keeps the code (module docstring).
    """
    options = list(options)
    where = container or st
    if labels is None:
        index = options.index(default) if default is not None and default in options else None
        return where.selectbox(t(label_key), options, index=index, key=key, bind="query-params",
                               placeholder=t(placeholder_key), help=help_text, disabled=disabled)
    names = {o: labels(o) for o in options}  # computed now, in this run's language
    _seed(key, options, default, multi=False)
    _sync(key, default, multi=False)
    # the state holds the value; ``index`` only says whether "none" is allowed (a non-zero index beside a
    # state value would draw Streamlit's "set via the Session State API" warning)
    return where.selectbox(t(label_key), options, index=None if default is None else 0, format_func=names.get,
                           key=key, placeholder=t(placeholder_key), help=help_text, disabled=disabled,
                           on_change=_sync, args=(key, default, False), persist_state="session")


def pick_many(label_key: str, options: Sequence, *, key: str, default: Sequence = (),
              placeholder_key: str = "filter.choose", help_text: str | None = None, container=None,
              labels: Callable[[object], str] | None = None) -> list:
    """A URL-bound multiselect; with ``labels`` shown in words, the URL keeping the codes comma-separated."""
    options = list(options)
    where = container or st
    if labels is None:
        return where.multiselect(t(label_key), options, default=[d for d in default if d in options], key=key,
                                 bind="query-params", placeholder=t(placeholder_key), help=help_text)
    names = {o: labels(o) for o in options}
    _seed(key, options, list(default), multi=True)
    _sync(key, list(default), multi=True)
    return where.multiselect(t(label_key), options, format_func=names.get, key=key, help=help_text,
                             placeholder=t(placeholder_key), on_change=_sync, args=(key, list(default), True),
                             persist_state="session")
