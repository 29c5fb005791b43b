"""Reasons from the analysis (CompareError, ImportFailed, MappingError...) in the page's language.

The analysis writes its reasons in English, for the command line and the logs, and a stored result keeps its
reason as text. Here each reason a reader can meet on a page is recognised by its shape and said again in the
session's language (keys ``msg.*`` in ui/locales); codes inside it (an indicator, a field) are named in
words. A reason no pattern knows is never dropped: in Spanish it is shown quoted as the technical detail it is
(``msg.untranslated``). tests/app/test_messages.py raises the real errors and checks each one is recognised.
Every part taken from the reason (a name, a file or column name, the untranslated text) is escaped for Markdown
(``fmt.md``): a reason is shown with st.error / st.info, and a file's own column names are imported text.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ui import format as fmt
from ui.i18n import current_language, t

Words = Callable[[dict[str, str], dict[str, str]], dict[str, str]]


def _indicator(params: dict[str, str], names: dict[str, str]) -> dict[str, str]:
    out = dict(params)
    if "indicator" in out:
        out["indicator"] = fmt.md(names.get(out["indicator"], out["indicator"]))
    return out


def _span(params: dict[str, str], names: dict[str, str]) -> dict[str, str]:
    out = _indicator(params, names)
    span = out.get("span", "")
    years = re.search(r"years (\d{4}-\d{4})", span)
    waves = re.search(r"waves (.+)$", span)
    parts = [t("msg.part.years", years=years.group(1)) if years else t("msg.part.no_years")]
    if waves:
        parts.append(t("msg.part.waves", waves=", ".join(t(f"period.{w.strip()}") if w.strip() in ("pre", "post")
                                                          else fmt.md(w.strip()) for w in waves.group(1).split(","))))
    out["span"] = ", ".join(parts)
    return out


def _fields(params: dict[str, str], names: dict[str, str]) -> dict[str, str]:
    out = _indicator(params, names)
    if "fields" in out:
        out["fields"] = ", ".join(fmt.md(fmt.field_label(f.strip())) for f in out["fields"].split(","))
    return out


# (English shape, key, how its parts are put in words); the shapes follow the messages raised in analysis/
PATTERNS: list[tuple[re.Pattern[str], str, Words | None]] = [
    (re.compile(r"no observations of '(?P<indicator>[^']+)' fall in the pre and post windows(?: \(no window "
                r"given[^)]*\))?; it has (?P<span>.+)"), "msg.no_obs_windows", _span),
    (re.compile(r"'(?P<indicator>[^']+)' has no rows for whole units at level '[^']+', only by subgroup; .*"),
     "msg.subgroup_only", _indicator),
    (re.compile(r"a DiD by school puts one programme school against the comparison group.*"), "msg.did_by_school",
     None),
    (re.compile(r"no programme units in the roster.*"), "msg.no_programme_units", None),
    (re.compile(r"the programme units have no start year.*"), "msg.no_start_year", None),
    (re.compile(r"no data for indicator '(?P<indicator>[^']+)'.*"), "msg.no_data", _indicator),
    (re.compile(r"no data for '(?P<indicator>[^']+)' at level '(?P<level>[^']+)'"), "msg.no_data", _indicator),
    (re.compile(r"'(?P<indicator>[^']+)' is only observed after the programme.*"), "msg.only_post", _indicator),
    (re.compile(r"(?P<fields>.+) is a student attribute, but '(?P<indicator>[^']+)' has no student rows"),
     "msg.student_attribute", _fields),
    (re.compile(r"cannot group by (?P<fields>[^;]+); choose from .*"), "msg.cannot_group", _fields),
    (re.compile(r"'(?P<indicator>[^']+)' is not a binary outcome or a rate"), "msg.not_rate", _indicator),
    (re.compile(r"the mapping must name the unit code column.*"), "msg.map_unit_code", None),
    (re.compile(r"the mapping names no indicator column.*"), "msg.map_indicator", None),
    (re.compile(r"the mapping needs a year or wave column, or source\.year"), "msg.map_year", None),
    (re.compile(r"a roster mapping needs a program column"), "msg.map_program", None),
    (re.compile(r"the mapping names column '(?P<column>[^']+)', which the file does not have.*"), "msg.map_column",
     lambda p, n: {"column": fmt.md(p["column"])}),
    (re.compile(r"the file has a header but no data rows"), "msg.no_data_rows", None),
    (re.compile(r"no indicator columns to load"), "msg.no_indicator_columns", None),
    (re.compile(r"nothing to load, every row was rejected.*"), "msg.all_rejected", None),
    (re.compile(r"(?P<n>\d+) value\(s\) differ from data already loaded.*", re.S), "msg.conflict_values", None),
    (re.compile(r"(?P<n>\d+) assignment\(s\) differ from the roster already loaded.*", re.S),
     "msg.conflict_roster", None),
    (re.compile(r"there is no import (?P<import_id>\d+)"), "msg.no_import", None),
    (re.compile(r"import (?P<import_id>\d+) is already rolled back"), "msg.already_rolled_back", None),
    (re.compile(r"layout not recognised(?P<lacks>; it lacks [^;.]+)?(?:; columns it could not place: "
                r"(?P<columns>.+))?\. Write a mapping file.*", re.S), "msg.not_recognised", lambda p, n: {
        "lacks": t("msg.part.lacks", what=" · ".join(
            t("msg.part.lacks_unit") if "unit code" in part else t("msg.part.lacks_year")
            for part in p["lacks"].removeprefix("; it lacks ").split(" and "))) if p.get("lacks") else "",
        "columns": t("msg.part.columns", columns=fmt.md(p["columns"])) if p.get("columns") else ""}),
]
# "<file name>: <reason>" — the file named first, as the importer writes it
_FILE = re.compile(r"(?P<file>[^:\n]+\.[A-Za-z0-9]{2,8}): (?P<rest>.+)", re.S)


def _known(text: str, names: dict[str, str]) -> str | None:
    for pattern, key, words in PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            params = {k: v for k, v in m.groupdict().items() if v is not None}
            return t(key, **(words(params, names) if words else {k: fmt.md(v) for k, v in params.items()}))
    return None


def reason(text: object, names: dict[str, str] | None = None) -> str:
    """An analysis reason in the session's language (see the module docstring); ``names`` maps indicator codes
    to their names (ui.loaders.indicator_names)."""
    text = str(text).strip()
    names = names or {}
    said = _known(text, names)
    if said is not None:
        return said
    m = _FILE.fullmatch(text)
    if m:
        inner = _known(m.group("rest").strip(), names)
        if inner is not None:
            return f"{fmt.md(m.group('file'))}: {inner}"
    return fmt.md(text) if current_language() == "en" else t("msg.untranslated", text=fmt.md(text))
