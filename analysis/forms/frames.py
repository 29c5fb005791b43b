"""Tidy frames from a form's submissions: canonical student rows, or per-school dated records.

Student rows stay text, as the importer expects of a "LabLens canonical student file" (it validates
ranges and rejects, README "Importing data"); only answers exported as labels go back to choice names
and the student code becomes its keyed pseudonym. Records are typed (numbers, yes/no as booleans, ISO
dates, LabLens' lab type names) and a value that does not fit its field is set aside with its row,
column, raw text and reason, like the importer's rejects. Text answers are kept exactly as written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from analysis.forms.definitions import Field, FormDef, Leaf, leaves
from analysis.privacy import pseudonym

META_FIELDS = frozenset({"start", "end", "today", "lablens_form", "lablens_version"})


def fold(text: str) -> str:
    """Accent-, case- and punctuation-insensitive text, for matching labels."""
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", " ", folded.lower()).strip()


def bounds(f: Field) -> tuple[float | None, float | None]:
    """The lower and upper bounds written in a field's constraint (". >= 0 and . <= 744")."""
    lo = re.search(r"\.\s*>=\s*(-?[0-9.]+)", f.constraint)
    hi = re.search(r"\.\s*<=\s*(-?[0-9.]+)", f.constraint)
    return (float(lo.group(1)) if lo else None, float(hi.group(1)) if hi else None)


def choice_lookup(form: FormDef) -> dict[str, dict[str, str]]:
    """list name -> {choice name or folded label: choice name}."""
    out: dict[str, dict[str, str]] = {}
    for c in form.choices:
        table = out.setdefault(c.list_name, {})
        table[c.name] = c.name
        for label in (c.label_es, c.label_en):
            table.setdefault(fold(label), c.name)
    return out


def record_value(leaf: Leaf, raw: str | None, form: FormDef, choices: dict) -> tuple[object, str | None]:
    """(typed value, reason when rejected) for a per-school record."""
    if raw is None:
        return None, None
    f = leaf.field
    kind = f.type.split()[0]
    text = raw.strip()
    if kind in ("integer", "decimal"):
        number = text.replace(",", ".")
        if not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", number):
            return None, "not a number"
        value = float(number)
        if kind == "integer" and not value.is_integer():
            return None, "not a whole number"
        lo, hi = bounds(f)
        if lo is not None and value < lo:
            return None, f"below {lo:g}"
        if hi is not None and value > hi:
            return None, f"above {hi:g}"
        return (int(value) if kind == "integer" else value), None
    if kind == "date":
        return (text[:10], None) if re.match(r"^\d{4}-\d{2}-\d{2}", text) else (None, "not a date (YYYY-MM-DD)")
    if kind == "select_one":
        name = choices[f.list_name].get(text) or choices[f.list_name].get(fold(text))
        if name is None:
            return None, f"not one of the choices of '{f.list_name}'"
        if f.list_name == "yes_no":
            return name == "yes", None
        chosen = next(c for c in form.choices if c.list_name == f.list_name and c.name == name)
        return chosen.value or chosen.name, None
    return raw, None  # text: kept exactly as written, never evaluated


def student_value(leaf: Leaf, raw: str | None, choices: dict) -> str | None:
    """Student rows stay text for the importer (it validates ranges); labels go back to choice names."""
    if raw is None or leaf.field.list_name is None:
        return raw
    table = choices[leaf.field.list_name]
    return table.get(raw.strip()) or table.get(fold(raw)) or raw


@dataclass
class Submission:
    """One submission kept: its fields' text by name, where it was read, and its repeat rows."""

    key: str
    values: dict[str, str | None]
    source: str
    row: int
    submitted_at: str | None
    version: str | None
    children: list[tuple[dict[str, str | None], str, int]] = field(default_factory=list)


def students_frame(form: FormDef, subs: Iterable[Submission], key: bytes) -> pd.DataFrame:
    """Canonical student rows: student_id (pseudonym), school_code, country, year, wave, sex, grade, items, scores."""
    choices = choice_lookup(form)
    by_name = {leaf.field.name: leaf for leaf in leaves(form)}
    columns = ["student_id", "school_code", "country", "year", "wave", "sex", "grade",
               *(n for n in by_name if n.startswith(("motivation_item_", "score_")))]
    rows = []
    for s in subs:
        raw_id = s.values.get("student_id")
        row = {"student_id": pseudonym(key, raw_id) if raw_id and raw_id.strip() else None}
        for name in columns[1:]:
            value = student_value(by_name[name], s.values.get(name), choices)
            row[name] = value.strip() if name == "school_code" and value else value
        rows.append(row)
    return pd.DataFrame(rows, columns=columns, dtype=object)


def records_frame(form: FormDef, subs: Iterable[Submission], key: bytes, rejects: list[dict]) -> pd.DataFrame:
    """Per-school dated records; one per repeat instance when the form has a repeat (e.g. each teacher)."""
    choices = choice_lookup(form)
    fixed = {"country", "school_code", form.date_field} | META_FIELDS
    top = [leaf for leaf in leaves(form) if leaf.repeat is None and leaf.field.name not in fixed]
    inner = [leaf for leaf in leaves(form) if leaf.repeat is not None]

    def out_name(leaf: Leaf) -> str:
        return leaf.field.name[:-3] + "_key" if leaf.field.name in form.person_fields else leaf.field.name

    def typed(leaf: Leaf, raw: str | None, source: str, n: int) -> object:
        if leaf.field.name in form.person_fields:
            return pseudonym(key, raw) if raw and raw.strip() else None
        value, reason = record_value(leaf, raw, form, choices)
        if reason:
            rejects.append({"source": source, "row": n, "column": leaf.field.name, "raw_value": raw,
                            "reason": reason})
        return value

    by_name = {leaf.field.name: leaf for leaf in leaves(form)}
    columns = ["submission_id", "form_id", "form_version", "country", "unit_code", "date", "submitted_at",
               *(out_name(leaf) for leaf in top), *(out_name(leaf) for leaf in inner)]
    rows = []
    for s in subs:
        base = {"submission_id": s.key, "form_id": form.form_id, "form_version": s.version,
                "country": typed(by_name["country"], s.values.get("country"), s.source, s.row),
                "unit_code": (s.values.get("school_code") or "").strip() or None,
                "date": typed(by_name[form.date_field], s.values.get(form.date_field), s.source, s.row),
                "submitted_at": s.submitted_at}
        base.update({out_name(leaf): typed(leaf, s.values.get(leaf.field.name), s.source, s.row) for leaf in top})
        children = s.children or ([({}, s.source, s.row)] if inner else [])
        if not inner:
            rows.append(base)
        for values, source, n in children:
            rows.append({**base, **{out_name(leaf): typed(leaf, values.get(leaf.field.name), source, n)
                                    for leaf in inner}})
    return pd.DataFrame(rows, columns=columns, dtype=object)
