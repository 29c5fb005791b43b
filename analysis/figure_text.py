"""Text from the data shown as text in a plotly figure: hover labels, titles, axis ticks and legends.

plotly.js renders a subset of HTML in every text it draws (``svg_text_utils.js``: ``<a href>`` links,
``<span style>``, ``<b>``, ``<br>``, ``<sup>``...), so a school named ``<a href="http://x">y</a>`` would
become a link in a hover label. :func:`plain_figure` makes every string of a figure literal text:
``&``, ``<`` and ``>`` become the entities plotly.js shows as those characters; then only the tags the
figure builders write themselves, without attributes (``<br>``, ``<b>``, ``<i>``, ``<sup>``, ``<sub>``
and ``<extra>``), are given back. A data text holding one of these can at most make a word bold or
break a line: no link, style, image or script. The same rule as HTML sanitisers with an allow-list of
tags and no attributes (OWASP XSS Prevention Cheat Sheet, "Output encoding" and "HTML sanitization").
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import plotly.graph_objects as go

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ALLOWED = re.compile(r"&lt;(/?)(br|b|i|sup|sub|extra)\s*(/?)&gt;", re.IGNORECASE)
#: Parts of a figure that are never drawn as text (and can be large).
_SKIP = frozenset({"template", "geojson", "colorscale", "uid"})
_DONE = "_lablens_plain_text"


def plain(text: str) -> str:
    """One string as plotly.js should show it: markup from the data inert, the builders' own tags kept."""
    if "<" not in text and ">" not in text and "&" not in text:
        return text
    return _ALLOWED.sub(r"<\1\2\3>", text.translate(_ESCAPES))


def _clean(value: Any) -> tuple[Any, bool]:
    """(the value with every string made plain, whether anything changed)."""
    if isinstance(value, str):
        out = plain(value)
        return out, out != value
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "OUS":
            return value, False
        flat = value.ravel().tolist()
        cleaned = [_clean(v) for v in flat]
        if not any(changed for _, changed in cleaned):
            return value, False
        return np.asarray([v for v, _ in cleaned], dtype=object).reshape(value.shape), True
    if isinstance(value, list | tuple):
        cleaned = [_clean(v) for v in value]
        if not any(changed for _, changed in cleaned):
            return value, False
        return type(value)(v for v, _ in cleaned), True
    if isinstance(value, dict):
        changed = False
        out = {}
        for key, item in value.items():
            if key in _SKIP:
                out[key] = item
                continue
            out[key], hit = _clean(item)
            changed = changed or hit
        return (out, True) if changed else (value, False)
    return value, False


def plain_figure(fig: go.Figure) -> go.Figure:
    """The figure with every text from the data shown literally (changed in place and returned).

    Only the properties holding such a text are rewritten, so a figure without markup characters costs
    one walk over its strings and no copy. A figure already made plain is left alone (escaping twice
    would show ``&amp;``): figures are shared between sessions by the caches.
    """
    if getattr(fig, _DONE, False):
        return fig
    for trace in fig.data:
        for key, value in trace.to_plotly_json().items():
            if key in _SKIP:
                continue
            cleaned, changed = _clean(value)
            if changed:
                trace[key] = cleaned
    layout = fig.layout.to_plotly_json()
    updates = {}
    for key, value in layout.items():
        if key in _SKIP:
            continue
        cleaned, changed = _clean(value)
        if changed:
            updates[key] = cleaned
    if updates:
        fig.update_layout(updates, overwrite=True)
    object.__setattr__(fig, _DONE, True)
    return fig
