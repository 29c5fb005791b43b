"""URL-bound inputs of the pilot page whose labels change with the language.

Streamlit's ``bind="query-params"`` stores a choice's *displayed label* (STACK_NOTES.md, "Shareable state"),
so a translated choice (zone "Rural"/"Urbana", "department", an indicator's name) would not survive a change
of language. These widgets show words but keep the *code* in the URL: the value is seeded once from the query
parameter and written back on change. Numbers and check boxes (language-free values) use ``bind`` directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

from ui.i18n import t

PREFIX = "_pilot_"


def _state(key: str) -> str:
    return f"{PREFIX}{key}"


def _seed(key: str, codes: Sequence[str], default, multi: bool) -> str:
    """Put the URL's code(s) (else the default) in the widget's state on first use; drop stale codes."""
    state = _state(key)
    if state not in st.session_state:
        if multi:
            raw = [c for part in st.query_params.get_all(key) for c in part.split(",")]
            chosen = [c for c in raw if c in codes] if key in st.query_params else list(default)
        else:
            raw = st.query_params.get(key)
            chosen = raw if raw in codes else default
        st.session_state[state] = chosen
    current = st.session_state[state]
    if multi:
        st.session_state[state] = [c for c in current if c in codes]
    elif current is not None and current not in codes:
        st.session_state[state] = default if default in codes else None
    return state


def _sync(key: str, default, multi: bool) -> None:
    """Write the widget's code(s) to the URL (none when equal to the default, like ``bind``)."""
    value = st.session_state.get(_state(key))
    if value == default or (multi and list(value or []) == list(default)):
        st.query_params.pop(key, None)
    else:
        st.query_params[key] = ",".join(value) if multi else ("" if value is None else value)


def choice(label: str, labels: Mapping[str, str], *, key: str, default: str | None = None, radio: bool = False,
           placeholder: str | None = None, help_text: str | None = None, container=None) -> str | None:
    """One code among ``labels`` (code -> words), shown in words; ``default=None`` is "all" (empty)."""
    codes = list(labels)
    state = _seed(key, codes, default, multi=False)
    where = container or st
    names = dict(labels)  # captured now, in this run's language
    if radio:
        return where.radio(label, codes, format_func=names.get, key=state, horizontal=True, help=help_text,
                           on_change=_sync, args=(key, default, False))
    # the state holds the value; ``index`` only says whether "none" is allowed (a non-zero index beside a
    # state value would draw Streamlit's "set via the Session State API" warning)
    return where.selectbox(label, codes, index=None if default is None else 0,
                           format_func=names.get, key=state, help=help_text,
                           placeholder=placeholder or t("filter.all"), on_change=_sync, args=(key, default, False))


def choices(label: str, labels: Mapping[str, str], *, key: str, default: Sequence[str] = (),
            placeholder: str | None = None, help_text: str | None = None, container=None) -> list[str]:
    """Several codes among ``labels``, shown in words, kept in the URL comma-separated."""
    codes = list(labels)
    state = _seed(key, codes, list(default), multi=True)
    names = dict(labels)
    return (container or st).multiselect(label, codes, format_func=names.get, key=state, help=help_text,
                                         placeholder=placeholder or t("filter.choose"), on_change=_sync,
                                         args=(key, list(default), True))


def amount(container, label_key: str, key: str, value: float | int | None, lo: float | int, hi: float | int,
           step: float | int, fmt: str | None = None, help_key: str | None = None, disabled: bool = False):
    """A number bound to the URL (``?key=value``: language-free); integers when value and bounds are."""
    return container.number_input(t(label_key), min_value=lo, max_value=hi, value=value, step=step, key=key,
                                  bind="query-params", format=fmt, help=t(help_key) if help_key else None,
                                  disabled=disabled)
