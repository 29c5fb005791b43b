"""`python -m analysis forms --out DIR`: write the data-collection kit (one XLSX per form and LEEME.md).

`--out` ending in `.zip` writes the kit as one ZIP (the same bytes as :func:`analysis.forms.xlsform.kit_zip`).
`--check FILE...` reads exports of the kit's forms and says what an import would keep, writing nothing.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys

from analysis.forms.definitions import all_forms
from analysis.forms.odk import FormExportError, parse_exports
from analysis.forms.xlsform import write_kit


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `forms` subcommand's options (registered by analysis/cli.py)."""
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--out", help="folder to write the kit into, or PATH.zip for one ZIP")
    action.add_argument("--check", nargs="+", metavar="FILE",
                        help="read ODK Central / KoboToolbox exports and report what an import would keep")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    """Write the kit, or check exports; exit 1 with one line on stderr when an export cannot be read."""
    if args.check:
        try:
            # counts do not depend on the key, and no pseudonym is shown: a throwaway key touches no key file
            results = parse_exports(args.check, secrets.token_bytes(32))
        except FormExportError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        summaries = [r.summary() for r in results]
        if args.json:
            print(json.dumps({"exports": summaries}, ensure_ascii=False, indent=2))
        else:
            for s in summaries:
                print(f"{s['recognized_as']} {s['form_version']} ({s['server']}): rows read {s['rows_read']}, "
                      f"kept {s['rows_loaded']}, duplicates skipped {s['duplicates_skipped']}, "
                      f"records {s['records']}, values rejected {s['values_rejected']}")
                for note in s["notes"]:
                    print(f"  note: {note}")
        return 0
    written = write_kit(args.out)
    forms = [{"form_id": f.form_id, "version": f.version, "title": f.title_es} for f in all_forms()]
    if args.json:
        print(json.dumps({"written": [str(p) for p in written], "forms": forms}, ensure_ascii=False, indent=2))
    else:
        for path in written:
            print(path)
    return 0
