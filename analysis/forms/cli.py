"""`python -m analysis forms --out DIR`: write the data-collection kit (one XLSX per form and LEEME.md).

`--out` ending in `.zip` writes the kit as one ZIP (the same bytes as :func:`analysis.forms.xlsform.kit_zip`).
"""

from __future__ import annotations

import argparse
import json

from analysis.forms.definitions import all_forms
from analysis.forms.xlsform import write_kit


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `forms` subcommand's options (registered by analysis/cli.py)."""
    parser.add_argument("--out", required=True, help="folder to write the kit into, or PATH.zip for one ZIP")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    """Write the kit and say what was written."""
    written = write_kit(args.out)
    forms = [{"form_id": f.form_id, "version": f.version, "title": f.title_es} for f in all_forms()]
    if args.json:
        print(json.dumps({"written": [str(p) for p in written], "forms": forms}, ensure_ascii=False, indent=2))
    else:
        for path in written:
            print(path)
    return 0
