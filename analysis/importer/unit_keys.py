"""Unit keys of a staged file: each distinct key (code, country, unit type, municipality) mapped to a unit_id
or a problem, and the unit rows to write (a school's municipality and department included).

Split from ``staging`` (which fetches the distinct keys and joins the result back onto every row).
"""

from __future__ import annotations

import functools
import hashlib

import pandas as pd

from analysis.catalog import unit_id
from analysis.importer import normalise as nz
from analysis.importer.layouts import Layout


def resolve_units(lay: Layout, columns: list[str], records: list[tuple],
                  key_names: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Map each distinct key of the file to a unit_id (or a problem) and build the unit rows.

    ``records`` are the distinct keys as fetched tuples (named by ``columns``): a national file holds
    40,000 schools, so the loop avoids per-row pandas access and memoises the few distinct countries,
    unit types and zones (issue #6)."""
    out_keys: list[tuple] = []
    units: dict[str, dict] = {}
    nk = len(lay.code_cols)
    pos = {c: i for i, c in enumerate(columns)}
    i_parts = [pos[f"k{j}"] for j in range(nk)]
    i_country, i_type, i_muni = pos["x0"], pos["x1"], pos["x2"]
    i_desc = [(k, pos[f"d_{k}"]) for k in ("name", "department", "municipality", "zone", "authority")]
    i_keys = [pos[k] for k in key_names]
    # the few distinct countries, unit types and zones are normalised once each
    country_code = functools.cache(nz.country_code)
    unit_type_code = functools.cache(nz.unit_type_code)
    zone_code = functools.cache(nz.zone_code)
    for rec in records:
        parts = [rec[i] or None for i in i_parts]
        raw_country, raw_type, raw_muni = rec[i_country] or None, rec[i_type] or None, rec[i_muni] or None
        d = {k: (rec[i] if isinstance(rec[i], str) and rec[i].strip() else None) for k, i in i_desc}
        if lay.country:
            country = lay.country
        else:
            country = country_code(raw_country)
        problem = None
        if lay.country_col is not None and raw_country and country is None:
            problem = f"unknown country '{raw_country}' (expected an ISO 3166-1 code such as CO, GT, CL or PE)"
        if lay.unit_type:
            unit_type = lay.unit_type
        else:
            unit_type = unit_type_code(raw_type)
        if lay.unit_type_col is not None and raw_type and unit_type is None:
            problem = problem or f"unknown unit type '{raw_type}' (school, municipality or department)"
        raw_code = " / ".join(p for p in parts if p) or None
        name = d["name"]
        parent_code = None
        code = None
        if problem is None:
            if lay.code_kind == "saber2013":
                base = (parts[0] or "").strip()
                if not base:
                    problem = "no unit code"
                else:
                    shift = nz.slug(parts[1]) if nk > 1 and parts[1] else ""
                    code = f"{base}-{shift}" if shift else base
                    # flexible-calendar (F) programmes test two cohorts a year, one per sitting
                    if nk > 3 and nz.slug(parts[2]).startswith("F") and parts[3]:
                        code += f"-S{parts[3].strip()[-1]}"
                    country, unit_type = "CO", "school"
                    m = nz.digits(raw_muni)
                    parent_code = m.zfill(5) if m else None
                    name = f"{name} ({parts[1].strip().title()})" if name and nk > 1 and parts[1] else name
            elif lay.code_kind in ("name_municipality", "name_department"):
                dept_code = nz.co_department_code(parts[-1])
                country, unit_type = "CO", lay.unit_type
                if lay.code_kind == "name_department":
                    code = dept_code
                    problem = None if code else f"department '{parts[-1]}' is not a Colombian department name"
                else:
                    code = nz.co_municipality_code(parts[0], dept_code)
                    name = nz.co_municipality_name(code) if code else None
                    problem = None if code else (f"municipality '{parts[0]}' of '{parts[-1]}' is not in "
                                                 "DANE's list of municipalities")
            elif lay.code_kind == "saber_name":
                if not any(parts):
                    problem = "no unit code"
                else:
                    # the test sitting keys only flexible-calendar (F) programmes, which test two cohorts a
                    # year; a calendar-A or -B school's two sittings are one school-year (sittings.py)
                    kept = parts
                    if lay.sitting_col is not None and lay.calendar_col is not None:
                        cal = parts[lay.code_cols.index(lay.calendar_col)]
                        if not (cal and nz.slug(cal).startswith("F")):
                            kept = [p for j, p in enumerate(parts) if lay.code_cols[j] != lay.sitting_col]
                    composite = "|".join(nz.slug(p) for p in kept)
                    code = "S11-" + hashlib.md5(composite.encode()).hexdigest()[:12]
                    country, unit_type = "CO", "school"
                    shift = parts[3] if nk > 3 else None
                    name = f"{name} ({shift.strip()})" if name and shift else name
            else:
                code, country, unit_type, problem = nz.normalise_unit(parts[0], country, unit_type)
                parent_code = raw_muni  # a stated municipality code places the school (location.py)
        if problem:
            out_keys.append((*(rec[i] for i in i_keys), None, problem, raw_code))
            continue
        zone = zone_code(d["zone"])
        rows = nz.unit_rows(code, country, unit_type, name=name, department=d["department"],
                            municipality=d["municipality"], authority=d["authority"],
                            zone=zone, parent_code=parent_code)
        for urow in rows:
            units.setdefault(urow["unit_id"], urow)
        out_keys.append((*(rec[i] for i in i_keys), unit_id(country, code), None, raw_code))
    names = [*key_names, "unit_id", "problem", "raw_code"]
    keymap = pd.DataFrame({c: pd.Series([k[j] for k in out_keys], dtype="string") for j, c in enumerate(names)})
    unit_frame = pd.DataFrame(list(units.values()),
                              columns=["unit_id", "country", "unit_type", "code", "name", "parent_id",
                                       "department", "municipality", "authority", "zone"])
    return keymap, unit_frame
