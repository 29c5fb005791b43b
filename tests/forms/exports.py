"""Exports shaped like ODK Central's and KoboToolbox's, built from the kit's own forms.

The field paths come from the XForm that pyxform builds from each generated workbook (its primary
instance, meta/instanceID included, in the order a server sees them); the header conventions and
metadata columns are each server's:

- ODK Central (central-backend ``lib/data/briefcase.js`` and ``test/unit/data/briefcase.js``,
  ``test/integration/api/submissions.js``): ``SubmissionDate``, fields joined by ``-``, then ``KEY,
  SubmitterID, SubmitterName, AttachmentsPresent, AttachmentsExpected, Status, ReviewState, DeviceID,
  Edits, FormVersion``; a repeat is ``<formId>-<path>.csv`` with its fields, ``PARENT_KEY`` and ``KEY``
  (``<instanceID>/<path>[n]``).
- KoboToolbox (formpack exports, KPI additional fields): fields joined by ``/``, then ``_id, _uuid,
  _submission_time, _validation_status, _notes, _status, _submitted_by, __version__, _tags,
  meta/rootUuid, _index``; a repeat is another sheet with its fields and ``_index, _parent_table_name,
  _parent_index, _submission__id, _submission__uuid, ...``.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field

import openpyxl
from pyxform.xls2xform import convert

from analysis.forms.definitions import FormDef
from analysis.forms.xlsform import workbook_bytes

JR_TEMPLATE = "{http://openrosa.org/javarosa}template"
CENTRAL_TAIL = ["KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected", "Status",
                "ReviewState", "DeviceID", "Edits", "FormVersion"]
KOBO_TAIL = ["_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by",
             "__version__", "_tags", "meta/rootUuid", "_index"]
KOBO_REPEAT_TAIL = ["_index", "_parent_table_name", "_parent_index", "_submission__id", "_submission__uuid",
                    "_submission__submission_time", "_submission__validation_status", "_submission__notes",
                    "_submission__status", "_submission__submitted_by", "_submission___version__",
                    "_submission__tags"]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def instance_paths(form: FormDef) -> tuple[list[tuple[str, ...]], dict[tuple[str, ...], list[tuple[str, ...]]]]:
    """(paths of the main table's leaves, {repeat path: its leaves' paths}) from pyxform's XForm."""
    xform = convert(workbook_bytes(form), file_type=".xlsx").xform
    root = ET.fromstring(xform)
    data = next(el for el in root.iter() if _local(el.tag) == "instance")[0]
    main: list[tuple[str, ...]] = []
    reps: dict[tuple[str, ...], list[tuple[str, ...]]] = {}

    def walk(node: ET.Element, path: tuple[str, ...], repeat: tuple[str, ...] | None) -> None:
        seen_templates = set()
        for child in node:
            name = _local(child.tag)
            if name in seen_templates:
                continue  # the first, non-template copy of a repeat that pyxform also writes
            here = (*path, name)
            if child.get(JR_TEMPLATE) is not None:
                seen_templates.add(name)
                reps[here] = []
                walk(child, here, here)
            elif len(child):
                walk(child, here, repeat)
            else:
                (reps[repeat] if repeat else main).append(here)

    walk(data, (), None)
    return main, reps


@dataclass
class Submission:
    """One filled form: field name -> text, its instance ID, and repeat rows (field name -> text)."""

    uuid: str
    values: dict[str, str]
    children: list[dict[str, str]] = field(default_factory=list)
    submitter: str = "Ana Enumeradora"
    version: str | None = None  # FormVersion / __version__ metadata (defaults to the form's)
    root: str | None = None  # Kobo's meta/rootUuid when the submission was edited (the first instance ID)


def _value(path: tuple[str, ...], values: dict[str, str], uuid: str) -> str:
    if path[-1] == "instanceID":
        return f"uuid:{uuid}"
    return values.get(path[-1], "")


def central(form: FormDef, subs: list[Submission]) -> dict[str, list[list[str]]]:
    """ODK Central's 'All data' CSV files: {file name: rows (header first)}."""
    main, reps = instance_paths(form)
    files = {f"{form.form_id}.csv": [["SubmissionDate", *("-".join(p) for p in main), *CENTRAL_TAIL]]}
    for rpath, leaves in reps.items():
        files[f"{form.form_id}-{'-'.join(rpath)}.csv"] = [
            [*("-".join(p[len(rpath):]) for p in leaves), "PARENT_KEY", "KEY"]]
    for n, s in enumerate(subs, start=1):
        key = f"uuid:{s.uuid}"
        files[f"{form.form_id}.csv"].append(
            [f"2026-03-{n:02d}T15:04:05.000Z", *(_value(p, s.values, s.uuid) for p in main), key, "17",
             s.submitter, "0", "0", "", "", "collect:Xy12Ab34", "0", s.version or form.version])
        for rpath, leaves in reps.items():
            for i, child in enumerate(s.children, start=1):
                files[f"{form.form_id}-{'-'.join(rpath)}.csv"].append(
                    [*(child.get(p[-1], "") for p in leaves), key, f"{key}/{'/'.join(rpath)}[{i}]"])
    return files


def kobo(form: FormDef, subs: list[Submission]) -> dict[str, list[list[object]]]:
    """KoboToolbox's XLS export ('XML values and headers', groups with '/'): {sheet name: rows}."""
    main, reps = instance_paths(form)
    main = [p for p in main if p != ("meta", "instanceID")]
    sheets: dict[str, list[list[object]]] = {form.title_es[:31]: [[*("/".join(p) for p in main), *KOBO_TAIL]]}
    for rpath, leaves in reps.items():
        sheets[rpath[-1][:31]] = [[*("/".join(p) for p in leaves), *KOBO_REPEAT_TAIL]]
    child_index = 0
    for n, s in enumerate(subs, start=1):
        meta = [1000 + n, s.uuid, f"2026-03-{n:02d}T15:04:05", "", "", "submitted_via_web", s.submitter,
                s.version or "vKoboDeployment42", "", f"uuid:{s.root or s.uuid}", n]
        sheets[form.title_es[:31]].append([*(_value(p, s.values, s.uuid) for p in main), *meta])
        for rpath, leaves in reps.items():
            for child in s.children:
                child_index += 1
                sheets[rpath[-1][:31]].append(
                    [*(child.get(p[-1], "") for p in leaves), child_index, form.title_es[:31], n, 1000 + n,
                     s.uuid, f"2026-03-{n:02d}T15:04:05", "", "", "submitted_via_web", s.submitter,
                     s.version or "vKoboDeployment42", ""])
    return sheets


def csv_bytes(rows: list[list[object]], delimiter: str = ",") -> bytes:
    """CSV as the servers write it (Central: ',' UTF-8; Kobo: ';' and every field quoted)."""
    buffer = io.StringIO()
    quoting = csv.QUOTE_ALL if delimiter == ";" else csv.QUOTE_MINIMAL
    csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def zip_of(files: dict[str, list[list[str]]]) -> bytes:
    """Central's submissions.csv.zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, rows in files.items():
            archive.writestr(name, csv_bytes(rows))
    return buffer.getvalue()


def xlsx_of(sheets: dict[str, list[list[object]]]) -> bytes:
    """A workbook whose text cells are text (as Kobo writes them), numbers numbers."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value == "" or value is None:
                    continue
                cell = ws.cell(row=r, column=c, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # text, even when it starts with '='
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
