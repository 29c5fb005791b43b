"""Evidence tables and packs: citable, reproducible exports of compare() results.

Modules, lowest first: ``request`` (what the table holds, what the pack says about the database), ``table``
(compare() for every call, stacked), ``columns`` (the column dictionary), ``methods`` (methods.md),
``provenance`` (provenance.json), ``brief`` (the offline HTML brief), ``pack`` (the files and the .zip).
"""

from analysis.evidence.pack import FORMATS, data_files, export_bytes, pack_bytes
from analysis.evidence.request import EvidenceRequest, ExportError, PackContext, load_context
from analysis.evidence.table import evidence_table, reproducible_connection, stack

__all__ = ["FORMATS", "EvidenceRequest", "ExportError", "PackContext", "data_files", "evidence_table",
           "export_bytes", "load_context", "pack_bytes", "reproducible_connection", "stack"]
