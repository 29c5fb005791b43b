"""Which layout a file is: every recogniser of analysis/importer/layouts.py and icfes.py in turn, the first
that fits, else a NotRecognised error that names the unplaced columns and writes the mapping to start from
(with the roles analysis/importer/suggest.py guesses). Above the layouts so that they never import it."""

from __future__ import annotations

from analysis.catalog import fold
from analysis.importer.icfes import recognise_planteles
from analysis.importer.layouts import (
    Layout,
    NotRecognised,
    indicator_code_for,
    recognise_canonical,
    recognise_men,
    recognise_mineduc_directory,
    recognise_roster,
    recognise_saber,
    recognise_siya_json,
    recognise_siya_xlsx,
)
from analysis.importer.suggest import guess_roles

#: the indicator a suggested mapping cannot guess: the user writes a code in its place (Spanish: import_text.py)
CHOOSE = "CHOOSE_A_CODE"


def recognise(headers: list[str], source_name: str, has_header: bool, json_shape: str | None,
              extra_indicators: set[str] | None = None) -> Layout:
    """The first layout that fits, or `NotRecognised` naming the columns that could not be placed."""
    candidates = [
        lambda: recognise_siya_json(headers, source_name, json_shape),
        lambda: recognise_planteles(headers, source_name),
        lambda: recognise_saber(headers, source_name, has_header),
        lambda: recognise_men(headers),
        lambda: recognise_siya_xlsx(headers),
        lambda: recognise_mineduc_directory(headers),
        lambda: recognise_roster(headers),
        lambda: recognise_canonical(headers, extra_indicators),
    ]
    for candidate in candidates:
        layout = candidate()
        if layout is not None:
            return layout
    raise not_recognised(headers, source_name, extra_indicators)


def not_recognised(headers: list[str], source_name: str,
                   extra_indicators: set[str] | None = None) -> NotRecognised:
    """Explain which columns could not be placed and write the mapping the user should start from."""
    f = [fold(h) for h in headers]
    placed = {i: (f'{{ indicator = "{r.split(":", 1)[1]}" }}' if r.startswith("indicator:") else r)
              for i, r in guess_roles(headers).items()}
    for i, h in enumerate(f):
        ind = indicator_code_for(h, extra_indicators or set())
        if ind and i not in placed:
            placed[i] = f'{{ indicator = "{ind}" }}'
    unplaced = [headers[i] for i in range(len(headers)) if i not in placed]
    lines = ["[source]", 'country = "CO"            # any ISO 3166-1 code: CO, GT, CL, PE, ...',
             'unit_type = "school"      # school | municipality | department', "", "[columns]"]
    for i, h in enumerate(headers):
        target = placed.get(i)
        key = '"' + h.replace('"', '\\"') + '"'
        if target is None:
            lines.append(f'{key} = {{ indicator = "{CHOOSE}", level = "all" }}   # or "ignore"')
        elif target.startswith("{"):
            lines.append(f"{key} = {target}")
        else:
            lines.append(f'{key} = "{target}"')
    missing = []
    if "unit_code" not in placed.values():
        missing.append("a unit code column")
    if "year" not in placed.values() and "wave" not in placed.values():
        missing.append("a year or wave column")
    message = f"{source_name}: layout not recognised"
    if missing:
        message += "; it lacks " + " and ".join(missing)
    if unplaced:
        shown = ", ".join(unplaced[:12]) + (f" (+{len(unplaced) - 12} more)" if len(unplaced) > 12 else "")
        message += f"; columns it could not place: {shown}"
    message += ". Write a mapping file (--mapping FILE.toml) starting from the suggestion."
    return NotRecognised(message, unplaced, "\n".join(lines) + "\n")
