"""Where a Colombian school is: its registration code against the location a file states.

A DANE establishment code has 12 digits: the first is the sector, digits 2-6 the municipality where the
school was *registered* (DANE, "Codificación de establecimientos educativos"). Files that also state the
school's municipality (ICFES's COLE_CODMPIO_COLEGIO, a MUNICIPIO column, a name) say where it *is*; the two
differ for about 5% of the schools of a national ICFES file (Bogotá's rural schools, Caquetá schools coded
83xxx, Puerto Colombia schools coded 08001). LabLens places a school where the file says it is, but never
in a municipality or department outside DANE's DIVIPOLA list (reference/co_municipalities.csv): a stated
municipality missing from it (27086, Belén de Bajirá, created after the list) places the school in its
code's municipality, else in a department, and is reported.

The education authority a file states for a Valle del Cauca unit is kept even where it contradicts the ETC
derived from the unit's municipality (`normalise.co_etc`); each such unit is named in the summary
(``authority_conflicts``) and counted in a notice (AUTHORITY_NOTICE).
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from analysis.catalog import co_authority
from analysis.importer.normalise import SCIENTIFIC, place_co_school

REPORT_LIMIT = 1000


REASONS = {
    "disagree": "coded in {registered}, stated in {stated}: placed in {placed}",
    "stated_not_in_divipola": "stated municipality {stated} is not in DANE's DIVIPOLA list: placed in {placed}",
    "registered_not_in_divipola": "code's municipality {registered} is not in DANE's DIVIPOLA list and the file "
                                  "states none: placed in {placed}",
}


def damaged_codes(con: duckdb.DuckDBPyConnection, header: str | None) -> str | None:
    """A message when the unit codes were turned into scientific notation by a spreadsheet, else None.

    Such codes ('2.0579E+11' for 205790001234) lost their last digits: no rule can restore them."""
    found = con.execute("SELECT k0, count(*) OVER () FROM keymap WHERE regexp_full_match(k0, ?) LIMIT 3",
                        [SCIENTIFIC]).fetchall()
    if not found:
        return None
    shown = ", ".join(f"'{r[0].strip()}'" for r in found)
    return (f"the unit codes{f' in column {header}' if header else ''} were damaged by a spreadsheet: "
            f"{found[0][1]} code(s) such as {shown} were rewritten in scientific notation and lost their last "
            "digits, which cannot be recovered. Download the original file again and import it without "
            "opening and saving it in Excel (or format the code column as text before saving)")


def location_report(con: duckdb.DuckDBPyConnection, units: pd.DataFrame,
                    n_codes: int) -> tuple[list[dict], list[tuple[str, str, str]]]:
    """Colombian schools whose code and stated location disagree, or whose location is not in DIVIPOLA;
    and the schools whose stated department is not their stated municipality's (code, department, municipality).

    Reads the staging tables ``rows`` (the file) and ``keymap`` (key -> unit) left by the pipeline."""
    schools = units[(units["country"] == "CO") & (units["unit_type"] == "school")]
    if schools.empty:
        return [], []
    keys = [f"k{j}" for j in range(n_codes)] + ["x0", "x1", "x2"]
    join = " AND ".join(f"r.{k} = km.{k}" for k in keys)
    stated = con.execute(f"""SELECT km.unit_id, any_value(nullif(trim(r.x2), '')),
        any_value(r.d_municipality), any_value(r.d_department)
        FROM rows r JOIN keymap km ON {join} WHERE km.unit_id IS NOT NULL GROUP BY km.unit_id""").fetchall()
    codes = dict(zip(schools["unit_id"], schools["code"], strict=True))
    out: list[dict] = []
    conflicts: list[tuple[str, str, str]] = []
    for unit, stated_code, municipality, department in stated:
        if unit not in codes:
            continue
        p = place_co_school(codes[unit], stated_code, municipality, department)
        if p.stated_department:
            conflicts.append((codes[unit], p.stated_department, p.stated))
        if p.issue is None:
            continue
        placed = p.municipality or (f"department {p.department}" if p.department else "no territory")
        out.append({"unit_code": codes[unit], "registered_municipality": p.registered,
                    "stated_municipality": p.stated, "placed_in": placed, "issue": p.issue,
                    "reason": REASONS[p.issue].format(registered=p.registered, stated=p.stated, placed=placed)})
    return sorted(out, key=lambda r: (r["issue"], r["unit_code"])), sorted(conflicts)


#: the notice for stated authorities that contradict the derived ETC (ui/locales: data.note_authority_conflict)
AUTHORITY_NOTICE = ("{n} unit(s) of Valle del Cauca have an authority in column {column} that is not the ETC of "
                    "their municipality (e.g. {code}: '{stated}' in the file, '{derived}' by its municipality): "
                    "the file's value is kept (all in the summary's authority_conflicts, import --json)")


def authority_conflicts(units: pd.DataFrame) -> list[dict]:
    """Colombian units whose authority (as the file stated it) is not the ETC their municipality gives."""
    co = units[(units["country"] == "CO") & units["unit_type"].isin(("school", "municipality"))
               & units["authority"].notna()]
    out = []
    for code, unit_type, parent, authority in zip(co["code"], co["unit_type"], co["parent_id"], co["authority"],
                                                  strict=True):
        municipality = code if unit_type == "municipality" else (
            parent[3:] if isinstance(parent, str) and len(parent) == 8 else None)
        derived = co_authority(municipality) if municipality else None
        if derived is not None and authority != derived:
            out.append({"unit_code": code, "stated": authority, "derived": derived})
    return sorted(out, key=lambda r: r["unit_code"])


def report_summary(rows: list[dict]) -> tuple[dict, list[str]]:
    """The summary entries and notes (counts, up to three examples each) for a location report."""
    if not rows:
        return {}, []
    notes = []
    for issue, text in (("disagree", "school(s) are coded in one municipality but the file states another: "
                                     "placed where the file says they are"),
                        ("stated_not_in_divipola", "school(s) state a municipality that is not in DANE's "
                                                   "DIVIPOLA list: placed in their code's municipality, else a "
                                                   "department"),
                        ("registered_not_in_divipola", "school code(s) name a municipality that is not in "
                                                       "DIVIPOLA and the file states none: placed in a department")):
        hits = [r for r in rows if r["issue"] == issue]
        if hits:
            examples = "; ".join(f"{r['unit_code']} {r['reason']}" for r in hits[:3])
            notes.append(f"{len(hits)} {text} (e.g. {examples}; all in the summary's location_report, "
                         "import --json)")
    counts = {k: sum(r["issue"] == k for r in rows) for k in REASONS}
    return {"location_counts": {k: v for k, v in counts.items() if v},
            "location_report": rows[:REPORT_LIMIT]}, notes


def review_units(staged: Any) -> str | None:
    """Checks of a staged file's units (``pipeline.Staged``), run once its rows are resolved: a reason to
    refuse the file (codes damaged by a spreadsheet; with a mapping, a department column that contradicts
    the municipality column), else None after adding the location report to the summary and notes."""
    lay = staged.layout
    header = staged.source.headers[lay.code_cols[0]] if lay.code_cols else None
    damaged = damaged_codes(staged.con, header)
    if damaged:
        return damaged
    if lay.authority_col is not None:
        conflicts = authority_conflicts(staged.summary["_units"])
        if conflicts:
            first = conflicts[0]
            staged.summary["authority_conflicts"] = conflicts[:REPORT_LIMIT]
            lay.notes.append(AUTHORITY_NOTICE.format(n=len(conflicts), column=staged.source.headers[lay.authority_col],
                                                     code=first["unit_code"], stated=first["stated"],
                                                     derived=first["derived"]))
    if lay.municipality_code_col is None and lay.municipality_col is None and lay.department_col is None:
        return None
    rows, conflicts = location_report(staged.con, staged.summary["_units"], len(lay.code_cols))
    if conflicts and lay.name != "mapping":  # a recognised layout: its municipality column places the school
        lay.notes.append(f"{len(conflicts)} school(s) state a department that is not their municipality's "
                         f"(e.g. {conflicts[0][0]}: department {conflicts[0][1]}, municipality {conflicts[0][2]}): "
                         "placed in the municipality")
    elif conflicts:
        code, dept, muni = conflicts[0]
        h = staged.source.headers
        department = h[lay.department_col] if lay.department_col is not None else "department"
        municipality = h[lay.municipality_code_col if lay.municipality_code_col is not None else lay.municipality_col]
        return (f"{len(conflicts)} school(s) have a department (column {department}) that is not the department of "
                f"their municipality (column {municipality}), e.g. {code}: department {dept}, municipality {muni}. "
                "LabLens does not let one overwrite the other: correct the file, or map one of the two columns "
                "as \"ignore\"")
    entries, notes = report_summary(rows)
    staged.summary.update(entries)
    staged.layout.notes.extend(notes)
    return None
