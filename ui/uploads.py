"""A file box in the reader's language. Streamlit's ``st.file_uploader`` has no parameter for its own texts
(docs/STACK_NOTES.md "Streamlit 1.67"): its button reads "Upload" and its line under it "200MB per file • CSV,
XLSX", in English whatever the page's language. The box here says what to drop and the limit in a caption of
the catalogue right above it, and a style rule scoped to this one widget's key hides that English line and
writes the button's word (and the "Drag and drop a file here" shown while a file is dragged over) from the
catalogue instead (in every language: one behaviour, tested in a browser)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import streamlit as st

from ui.i18n import t

#: Streamlit's default ``server.maxUploadSize`` (MB): what the box accepts when no limit is given.
DEFAULT_LIMIT_MB = 200


def kinds(types: Sequence[str]) -> str:
    """The accepted kinds as the caption names them: 'CSV o XLSX', 'CSV, TXT o XLSX' ('or' in English)."""
    names = [str(kind).lstrip(".").upper() for kind in types]
    if len(names) <= 1:
        return "".join(names)
    return t("upload.kinds", first=", ".join(names[:-1]), last=names[-1])


def _css_text(value: str) -> str:
    """A catalogue text as a CSS string literal (quotes and backslashes escaped, no line breaks)."""
    return '"' + re.sub(r'(["\\])', r"\\\1", " ".join(value.split())) + '"'


def style_rule(key: str) -> str:
    """The ``<style>`` that hides the English line of the box whose widget key is ``key`` and writes its
    button's word from the catalogue. Scoped by the ``st-key-<key>`` class Streamlit gives a keyed widget and
    by the data-testid of its parts, so no other box and no other element changes."""
    scope = f".st-key-{re.sub(r'[^A-Za-z0-9_-]', '-', key)} [data-testid='stFileUploaderDropzone']"
    overlay = f"{scope} > div:not([data-testid]):not(:has(button))"
    return (f"<style>{scope} [data-testid='stFileUploaderDropzoneInstructions'] {{ display: none; }}"
            f"{scope} button [data-testid='stMarkdownContainer'] p {{ font-size: 0; }}"
            f"{scope} button [data-testid='stMarkdownContainer'] p::after {{ content: {_css_text(t('upload.button'))};"
            " font-size: 0.875rem; }"
            # while a file is dragged over the box, a child div without a test id nor a button (the list of an
            # uploaded file has its buttons) says "Drag and drop a file here"
            f"{overlay} > * {{ font-size: 0; }}"
            f"{overlay} > *::after {{ content: {_css_text(t('upload.dragging'))}; font-size: 1rem; }}"
            "</style>")


def file_box(label: str, types: Sequence[str], key: str, *, limit_mb: int | None = None, help: str | None = None,
             where: Any = None, caption_where: Any = None) -> Any:
    """``st.file_uploader`` (in ``where``, a column or container, else the page) under a caption saying what to
    drop and the limit in the reader's language ("Arrastre un archivo CSV o XLSX (hasta 200 MB)"), written in
    ``caption_where`` when given (above a row of columns, so the box's label stays level with its neighbours')."""
    box = where if where is not None else st
    limit = limit_mb or DEFAULT_LIMIT_MB
    (caption_where if caption_where is not None else box).caption(t("upload.drop", kinds=kinds(types), limit=limit))
    st.html(style_rule(key))
    return box.file_uploader(label, type=list(types), key=key, help=help, max_upload_size=limit_mb)
