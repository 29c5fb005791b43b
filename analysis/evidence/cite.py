"""How to cite an evidence pack and how to rebuild it: a suggested citation (title, LabLens version, data
sources, date, the URL of the view), a licence line (the user's choice, CC BY 4.0 by default) and runnable
``python -m analysis export`` commands with the exact options (issue 16; docs/DESIGN.md, "CLI").
"""

from __future__ import annotations

import datetime as dt
import shlex

import analysis
from analysis.evidence.request import EvidenceRequest, PackContext

# SPDX identifier -> (short name, deed); https://spdx.org/licenses/
LICENCES: dict[str, tuple[str, str]] = {
    "CC-BY-4.0": ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "CC-BY-SA-4.0": ("CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/"),
    "CC0-1.0": ("CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "ODbL-1.0": ("ODbL 1.0", "https://opendatacommons.org/licenses/odbl/1-0/"),
}
DEFAULT_LICENCE = "CC-BY-4.0"
TITLE = {"es": "LabLens: tabla de evidencia", "en": "LabLens: evidence table"}
TEXT = {
    "es": {"citation": "{author} ({year}). {title}. Generado con LabLens {version} el {date}. Datos: {sources}.{url}",
           "licence": "Licencia de la evidencia: {name} ({deed}).", "demo": "datos sintéticos de demostración",
           "none": "ninguna importación activa", "url": " Disponible en {url}"},
    "en": {"citation": "{author} ({year}). {title}. Generated with LabLens {version} on {date}. Data: {sources}.{url}",
           "licence": "Evidence licence: {name} ({deed}).", "demo": "synthetic demo data",
           "none": "no active import", "url": " Available at {url}"},
}


def licence(code: str | None) -> tuple[str, str, str]:
    """(SPDX id, short name, deed URL) of a licence; CC BY 4.0 when none or an unknown one is given."""
    code = code if code in LICENCES else DEFAULT_LICENCE
    return (code, *LICENCES[code])


def sources(context: PackContext, lang: str) -> str:
    """The data behind the numbers: the active imports' source files (the demo named as synthetic)."""
    if context.imports.empty:
        return TEXT[lang]["none"]
    rows = context.imports
    if "status" in rows:
        rows = rows[rows["status"] == "active"]
    names = [TEXT[lang]["demo"] if str(r).startswith("demo") else str(n)
             for n, r in zip(rows["source_name"], rows.get("recognized_as", rows["source_name"]), strict=True)]
    return "; ".join(dict.fromkeys(names)) or TEXT[lang]["none"]


def data_date(context: PackContext) -> dt.date | None:
    """The date of the data: the latest active import (the same database gives the same date, so the pack's
    files stay byte-identical)."""
    rows = context.imports
    if rows.empty or "imported_at" not in rows:
        return None
    if "status" in rows:
        rows = rows[rows["status"] == "active"]
    latest = rows["imported_at"].dropna().max() if len(rows) else None
    return None if latest is None or latest != latest else latest.date() if hasattr(latest, "date") else None


def citation(context: PackContext, lang: str, when: dt.date | None = None) -> str:
    """The suggested citation: author (or LabLens), year, title, version, date of the data, data sources, URL
    of the view."""
    when = when or data_date(context) or dt.date(1970, 1, 1)
    text = TEXT[lang]
    return text["citation"].format(
        author=context.author or "LabLens", year=when.year, title=context.title or TITLE[lang],
        version=analysis.__version__, date=when.isoformat(), sources=sources(context, lang),
        url=text["url"].format(url=context.url) if context.url else "")


def licence_line(context: PackContext, lang: str) -> str:
    _, name, deed = licence(context.licence)
    return TEXT[lang]["licence"].format(name=name, deed=deed)


def reproduce_commands(request: EvidenceRequest, lang: str = "es", csv_locale: str | None = None,
                       out: str = "evidence_pack.zip") -> list[str]:
    """``python -m analysis export`` commands that rebuild the table: one, or one per programme and window when
    the rows were computed per programme (the Evidencia page aligns each programme on its own windows)."""
    groups: dict[tuple, list[str]] = {}
    calls = request.compare_calls()
    for call in calls:
        key = (call.get("program"), call.get("pre"), call.get("post"))
        groups.setdefault(key, [])
        if call["indicator"] not in groups[key]:
            groups[key].append(call["indicator"])
    commands = []
    for n, ((program, pre, post), codes) in enumerate(groups.items(), start=1):
        target = out if len(groups) == 1 else out.replace(".zip", f"_{n}.zip")
        args = ["python", "-m", "analysis", "export", "--indicator", ",".join(codes), "--design", request.design]
        for field in request.by:
            args += ["--by", field]
        for flag, value in (("--program", program), ("--pre", pre), ("--post", post)):
            if value:
                args += [flag, str(value)]
        if request.level != "all":
            args += ["--level", request.level]
        args += ["--min-cell", str(request.min_cell)]
        if request.weighted:
            args.append("--weighted")
        if request.icc is not None:
            args += ["--icc", str(request.icc)]
        if request.conf_level != 0.95:
            args += ["--conf-level", str(request.conf_level)]
        args += ["--lang", lang]
        if csv_locale:
            args += ["--csv-locale", csv_locale]
        args += ["--out", target]
        commands.append(shlex.join(args))
    return commands
