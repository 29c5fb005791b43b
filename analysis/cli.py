"""Command line: `python -m analysis COMMAND ...` (docs/DESIGN.md, "CLI").

Exit 0 on success; otherwise a one-line reason on stderr and exit 1 (2 for a malformed command).
`--json` prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from analysis import cli_text, import_text, reasons
from analysis.cli_text import compare_options
from analysis.db.connect import StoreError, damaged_message, default_db_path, is_damage, open_db
from analysis.importer.errors import ImportFailed
from analysis.privacy import KeyError_

if TYPE_CHECKING:  # pandas is imported where a command needs it, not at start-up
    import pandas as pd


class CliError(Exception):
    """A failure reported as one line on stderr; ``key``: a line of analysis/cli_text.py, said in --lang."""

    def __init__(self, message: str, key: str | None = None, **params: object):
        super().__init__(message)
        self.key, self.params = key, params

    @classmethod
    def said(cls, key: str, **params: object) -> CliError:
        """The error of ``key`` (analysis/cli_text.py), in English until main() says it in --lang."""
        return cls(cli_text.line(key, "en", **params), key, **params)


def _db(args: argparse.Namespace) -> Path:
    return Path(args.db) if args.db else default_db_path()


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def cmd_demo(args: argparse.Namespace) -> int:
    from analysis.demo import build_demo

    if args.students < 100:
        raise CliError("--students must be at least 100")
    summary = build_demo(_db(args), students=args.students, seed=args.seed)
    if args.json:
        _print_json(summary)
    else:
        print(f"demo database written to {_db(args)}: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    # the importer (and the stored-results code it refreshes) is imported by the commands that write, not by
    # every start-up: compare and export start about 0.08 s of CPU sooner
    from analysis.importer.errors import ImportConflict
    from analysis.importer.layouts import NotRecognised
    from analysis.importer.pipeline import import_file

    if args.suggest_mapping:
        return cmd_suggest_mapping(args)
    summaries = []
    for path in args.paths:
        try:
            summary = import_file(path, _db(args), mapping=args.mapping, on_conflict=args.on_conflict)
        except NotRecognised as exc:
            if args.json:
                _print_json({"error": str(exc), "unplaced_columns": exc.unplaced,
                             "suggested_mapping": exc.suggestion, "imported": summaries})
            else:
                head = ("Suggested mapping file (save as mapping.toml, edit, then use --mapping mapping.toml):"
                        if args.lang == "en" else import_text.TEXTS[args.lang]["suggested_mapping"])
                print(f"{head}\n{import_text.suggestion(exc.suggestion, args.lang)}", file=sys.stderr)
            raise CliError(str(exc)) from exc
        except ImportConflict as exc:
            if args.conflict_report:
                exc.conflicts.to_csv(args.conflict_report, index=False, encoding="utf-8-sig")
            elif not args.json:
                print(import_text.conflict_table(exc.conflicts, args.lang), file=sys.stderr)
            raise CliError(str(exc)) from exc
        except ImportFailed as exc:
            if args.rejects_out and exc.rejects is not None:
                _write_rejects(exc.rejects, args.rejects_out, args.lang)
            raise CliError(str(exc)) from exc
        if args.rejects_out and summary.get("import_id") and summary.get("status") == "active":
            _write_rejects(_stored_rejects(_db(args), summary["import_id"]), args.rejects_out, args.lang)
        summaries.append(summary)
        if not args.json:
            print(import_text.summary_lines(summary, args.lang))
    if args.json:
        _print_json(summaries[0] if len(summaries) == 1 else {"imports": summaries})
    return 0


def cmd_suggest_mapping(args: argparse.Namespace) -> int:
    """Print a mapping file for each path, ready to edit (nothing is imported)."""
    from analysis.importer.readers import ReadError
    from analysis.importer.suggest import suggest_mapping

    for path in args.paths:
        try:
            sys.stdout.write(import_text.suggestion(suggest_mapping(path), args.lang))
        except ReadError as exc:
            raise CliError(str(exc)) from exc
    return 0


def cmd_indicators(args: argparse.Namespace) -> int:
    """The indicator codes a mapping can use, with kind, range and labels."""
    from analysis.indicator_list import format_listing, indicator_listing

    db = _db(args)
    rows = indicator_listing(db if db.exists() else None)
    if args.json:
        _print_json({"indicators": rows})
    else:
        print(format_listing(rows))
    return 0


def cmd_imports(args: argparse.Namespace) -> int:
    from analysis.importer.history import list_imports

    frame = list_imports(_db(args))
    if args.json:
        _print_json({"imports": json.loads(frame.to_json(orient="records", date_format="iso"))})
    elif frame.empty:
        print(cli_text.line("no_imports", args.lang))
    else:
        print(cli_text.imports_table(frame, args.lang))
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    from analysis.importer.history import rollback

    try:
        result = rollback(_db(args), args.import_id)
    except ImportFailed as exc:
        raise CliError(str(exc)) from exc
    if args.json:
        _print_json(result)
    else:
        print(cli_text.line("rolled_back", args.lang, import_id=result["import_id"],
                            removed=result["observations_removed"], restored=result["observations_restored"]))
    return 0


def _stored_rejects(db: Path, import_id: int) -> pd.DataFrame:
    """The rejected cells of one import, in file order."""
    con = open_db(db)
    try:
        return con.execute("SELECT row_number, column_name, raw_value, reason FROM rejects WHERE import_id = ? "
                           "ORDER BY row_number, column_name", [import_id]).df()
    finally:
        con.close()


def _write_rejects(frame: pd.DataFrame, path: str, lang: str = "en") -> None:
    """Rejected cells as CSV for a spreadsheet, row, column and reason in ``lang`` (analysis.reasons): raw values
    that look like formulas are neutralised."""
    from analysis.safe_export import neutralise_frame

    neutralise_frame(reasons.rejects_report(frame, lang)).to_csv(path, index=False, encoding="utf-8-sig")


def cmd_rejects(args: argparse.Namespace) -> int:
    frame = _stored_rejects(_db(args), args.import_id)
    if args.out:
        _write_rejects(frame, args.out, args.lang)
        print(reasons.text("rejects_written", args.lang, n=len(frame), path=args.out))
    elif args.json:  # keys stay the table's column names; the reasons are said in --lang
        if args.lang != "en":
            frame = frame.assign(reason=[reasons.reject(r, args.lang, column=c)
                                         for r, c in zip(frame["reason"], frame["column_name"], strict=True)])
        _print_json({"import_id": args.import_id, "rejects": json.loads(frame.to_json(orient="records"))})
    else:
        report = reasons.rejects_report(frame, args.lang).fillna("")
        print(report.to_string(index=False) if len(frame) else reasons.text("no_rejects", args.lang))
    return 0


def _by(args: argparse.Namespace) -> list[str]:
    return [b.strip() for item in args.by for b in item.split(",") if b.strip()]


def _compare_frame(args: argparse.Namespace):
    from analysis.compare import CompareError, compare

    by = _by(args)
    try:
        return compare(_db(args), args.indicator, design=args.design, by=by or None, program=args.program,
                       pre=args.pre, post=args.post, level=args.level, min_cell=args.min_cell,
                       weighted=args.weighted, icc=args.icc, conf_level=args.conf_level)
    except CompareError as exc:
        raise CliError(str(exc)) from exc


def cmd_compare(args: argparse.Namespace) -> int:
    frame = _compare_frame(args)
    fmt = "json" if args.json else args.format
    if fmt == "json":
        print(frame.to_json(orient="records", force_ascii=False, indent=2))
    elif fmt == "csv":
        from analysis.safe_export import neutralise_frame

        sys.stdout.write(neutralise_frame(frame).to_csv(index=False))
    else:  # the headers in words (the column registry's), in --lang
        import pandas as pd

        with pd.option_context("display.max_columns", None, "display.width", 200):
            print(cli_text.compare_table(frame, args.lang, args.conf_level, args.min_cell))
    return 0


PATH_OPTIONS = ("--db", "--out", "--costs")


def _file_name(path: str) -> str:
    """'/home/ana/packs/pack.zip' or 'C:\\Users\\ana\\pack.zip' -> 'pack.zip'."""
    return path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or path


def shown_argv(argv: list[str]) -> list[str]:
    """The command line as the pack repeats it (brief, methods, provenance): files by their name only, never the
    folder they were in (a user's home folder and name)."""
    out, path_next = [], False
    for arg in argv:
        option, equals, value = arg.partition("=")
        if path_next:
            arg = _file_name(arg)
        elif equals and option in PATH_OPTIONS:
            arg = f"{option}={_file_name(value)}"
        path_next = arg in PATH_OPTIONS
        out.append(arg)
    return out


def cmd_export(args: argparse.Namespace) -> int:
    """The evidence table (indicators x design x grouping) as a .zip evidence pack, .xlsx, .csv or .parquet."""
    import shlex

    from analysis import evidence as pack
    from analysis.compare import CompareError
    from analysis.implementation.cli import pack_files

    out = Path(args.out)
    if out.suffix.lower() not in pack.FORMATS:
        raise CliError.said("out_suffix", out=args.out, formats=", ".join(pack.FORMATS))
    if not out.parent.is_dir():
        raise CliError.said("out_folder", out=args.out, folder=out.parent)
    codes = list(dict.fromkeys(c.strip() for item in args.indicator for c in item.split(",") if c.strip()))
    if not codes:
        raise CliError.said("no_indicator")
    db = _db(args)
    request = pack.EvidenceRequest(
        indicators=tuple(codes), design=args.design, by=tuple(_by(args)), program=args.program, pre=args.pre,
        post=args.post, level=args.level, min_cell=args.min_cell, weighted=args.weighted, icc=args.icc,
        conf_level=args.conf_level, command="python -m analysis " + shlex.join(shown_argv(args.argv)))
    con = pack.reproducible_connection(db)
    try:
        try:
            table = pack.evidence_table(con, request)
        except CompareError as exc:
            raise CliError(str(exc)) from exc
        context = pack.load_context(con, db.name)
        try:
            context.extra_tables = pack_files(con, codes, args.design, args.costs, args.rate, args.currency)
        except ValueError as exc:  # a cost file or exchange rate that cannot be used (CostError)
            raise CliError.said("costs", reason=exc) from exc
    finally:
        con.close()
    try:
        data = pack.export_bytes(out.suffix.lower(), table, request, context, lang=args.lang,
                                 csv_locale=args.csv_locale)
    except pack.ExportError as exc:
        raise CliError(str(exc)) from exc
    partial = out.with_name(f".{out.name}.partial")
    partial.write_bytes(data)
    partial.replace(out)  # a reader never sees half a file
    summary = {"out": str(out), "bytes": len(data), "rows": len(table), "indicators": codes,
               "design": args.design, "by": list(request.by)}
    if args.json:
        _print_json(summary)
    else:
        print(cli_text.exported(len(table), codes, args.design, out, len(data), args.lang))
    return 0


def cmd_export_lake(args: argparse.Namespace) -> int:
    """The canonical tables as a Parquet lake (analysis/lake.py), observations partitioned by country and year."""
    from analysis.lake import LakeError, export_lake

    try:
        counts = export_lake(args.out, _db(args), replace=args.replace)
    except LakeError as exc:
        raise CliError(str(exc)) from exc
    if args.json:
        _print_json({"out": str(args.out), "rows": counts})
    else:
        print(f"{counts.get('observations', 0):,} observations and {len(counts) - 1} other tables written to "
              f"{args.out}")
    return 0


def cmd_sign_in_unlock(args: argparse.Namespace) -> int:
    """Lift the sign-in locks of a public deployment (analysis/throttle.py): one client's, or all."""
    from analysis import audit
    from analysis.throttle import SignInThrottle

    throttle = SignInThrottle(_db(args))
    locks = throttle.locks()
    lifted = throttle.unlock(args.client)
    audit.record(_db(args), "unlock", client=args.client or "all", locks=lifted)
    if args.json:
        _print_json({"lifted": lifted, "locks_before": sorted(locks)})
    else:
        print(f"{lifted} lock(s) lifted" + (f" for client {args.client}" if args.client else ""))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Put a backup back (the last snapshot by default); --list shows what can be restored."""
    from analysis import backups

    db = _db(args)
    if args.list:
        listing = backups.list_backups(db)
        if args.json:
            _print_json({"database": str(db), "files": listing})
        elif not listing:
            print(f"no database or backups at {db}")
        else:
            for item in listing:
                state = (f"{item['imports_active']} active import(s), last import {item['last_import']}, "
                         f"{item['observations']} observations" if item["readable"]
                         else f"UNREADABLE: {item['problem']}")
                print(f"{item['role']:<15} {item['file']}  {item['modified']}  {item['bytes']:,} bytes  {state}")
        return 0
    result = backups.restore(db, args.source)
    if args.json:
        _print_json(result)
    else:
        print(f"restored {result['restored_from']} as {db}: {result['imports_active']} active import(s), "
              f"last import {result['last_import']}, {result['observations']} observations")
        if result["previous_kept_as"]:
            print(f"  the replaced database is kept as {result['previous_kept_as']} "
                  f"(undo: python -m analysis restore --db {db} --from {result['previous_kept_as']})")
    return 0


def cmd_rebuild_derived(args: argparse.Namespace) -> int:
    """Recompute every derived table (analysis/precompute/derived.py) and publish a new snapshot."""
    from analysis.db.sql import run
    from analysis.precompute import derived, standard_results
    from analysis.precompute.publish import writable_snapshot

    db = _db(args)
    if not db.exists():
        raise CliError(f"no database at {db}")
    recomputed: list[str] = []
    with writable_snapshot(db) as con:
        recomputed = derived.refresh(con, "target", full=True)
        run(con, f"DROP TABLE IF EXISTS target.{standard_results.TABLE}")  # recomputed before publishing
    if args.json:
        _print_json({"database": str(db), "indicators_recomputed": recomputed})
    else:
        print(f"rebuilt the derived tables of {db}: {len(recomputed)} indicator(s) with student rows, "
              "every stored page query and the stored standard results")
    return 0


def cmd_key(args: argparse.Namespace) -> int:
    """Back up, restore or fingerprint the pseudonymisation key (it lives outside the database)."""
    from analysis import keys

    if args.backup:
        result = keys.backup_key(args.backup)
        message = (f"key {result['fingerprint']} copied to {result['backup']}: keep it apart from the data "
                   "(a safe, or the institution's password manager)")
    elif args.restore:
        result = keys.restore_key(args.restore, _db(args), force=args.force)
        message = (f"key {result['fingerprint']} is now at {result['key_file']}"
                   + ("" if result["changed"] else " (it was already there)")
                   + (f"; the replaced key is kept at {result['kept_aside']}" if result["kept_aside"] else ""))
    else:
        result = keys.fingerprint_report(_db(args))
        mine = result["key_fingerprint"] or "none (no key file)"
        theirs = result["database_fingerprint"] or "none recorded"
        verdict = {True: "they match", False: "THEY DIFFER: restore the key backup", None: "nothing to compare"}
        message = (f"key file {result['key_file']}: {mine}; database {result['database']}: {theirs} — "
                   f"{verdict[result['match']]}")
    if args.json:
        _print_json(result)
    else:
        print(message)
    return 0


def cmd_password(args: argparse.Namespace) -> int:
    """Print the scrypt hash of a password for .streamlit/secrets.toml (README, "Deploy")."""
    import getpass

    from analysis.privacy import hash_password

    password = sys.stdin.readline().rstrip("\n") if args.stdin else getpass.getpass("password: ")
    if len(password) < 12:
        raise CliError("use a password of at least 12 characters")
    print(hash_password(password))
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    """Erase one student's records from the database and every backup (right to erasure)."""
    from analysis import backups

    result = backups.forget_student(_db(args), args.student_id)
    if args.json:
        _print_json(result)
        return 0
    published = sum(result["rows_published"].values())
    everywhere = sum(result["rows_all_files"].values())
    if not everywhere:
        print(f"no records of that student (pseudonym {result['pseudonym_prefix']}…) in {len(result['files'])} "
              "file(s); check the ID as written in the source file")
    else:
        tables = ", ".join(f"{t} {n}" for t, n in result["rows_all_files"].items() if n)
        print(f"student {result['pseudonym_prefix']}… erased: {published} row(s) from the database, {everywhere} "
              f"in all {len(result['files'])} file(s) ({tables}); the files were rewritten so the bytes are gone. "
              "A re-import of a source file holding this ID would add it again: correct the source files too")
    return 0


def build_parser(lang: str = "en") -> argparse.ArgumentParser:
    """The command line; ``lang``: the language of a malformed command's error (cli_text.argv_lang)."""
    parser = cli_text.Parser(prog="python -m analysis", description="LabLens data and analysis tools", lang=lang)
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", help="published database file (default $LABLENS_DB or data/lablens.duckdb)")
        p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser("demo", help="build the synthetic demo database")
    common(p)
    p.add_argument("--students", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=20240601)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("import", help="import files (CSV/TSV/TXT, XLSX, Parquet, JSON)")
    common(p)
    p.add_argument("paths", nargs="+")
    p.add_argument("--mapping", help="TOML mapping file for layouts LabLens does not recognise")
    p.add_argument("--on-conflict", choices=["abort", "supersede", "keep"], default="abort",
                   help="when values differ from data already loaded (default: abort)")
    p.add_argument("--conflict-report", help="write the differing values to this CSV file")
    p.add_argument("--rejects-out", help="write the rejected cells (row, column, value, reason) to this CSV file, "
                                         "also when nothing could be loaded")
    cli_text.lang_option(p, "the summary, the rejects report and the reasons")
    p.add_argument("--suggest-mapping", action="store_true",
                   help="print a mapping file for FILE on stdout (nothing is imported): > map.toml, edit, --mapping")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("indicators", help="list the indicator codes, kinds, ranges and labels")
    common(p)
    p.set_defaults(func=cmd_indicators)

    p = sub.add_parser("imports", help="list imports")
    common(p)
    cli_text.lang_option(p, "its lines")
    p.set_defaults(func=cmd_imports)

    p = sub.add_parser("rollback", help="remove one import completely")
    common(p)
    p.add_argument("import_id", type=int)
    cli_text.lang_option(p, "its lines and errors")
    p.set_defaults(func=cmd_rollback)

    p = sub.add_parser("compare", help="pre/post or difference-in-differences results, one row per group")
    common(p)
    compare_options(p)
    p.add_argument("--format", choices=["table", "csv", "json"], default="table",
                   help="table: columns by name in --lang, for reading; csv, json: column codes, for scripts")
    cli_text.lang_option(p, "its table and errors")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("export", help="evidence pack (.zip) or the evidence table as .xlsx, .csv or .parquet")
    common(p)
    compare_options(p, many_indicators=True)
    p.add_argument("--out", required=True, help="file to write: PATH.zip (evidence pack), .xlsx, .csv or .parquet")
    cli_text.lang_option(p, "the brief, the methods, its lines and errors")
    p.add_argument("--csv-locale", choices=["es"],
                   help="es: also write evidence_es.csv (';' and decimal comma) in the pack; a .csv export uses it")
    p.add_argument("--costs", help="cost file (CSV/XLSX): the pack gains cost.csv (python -m analysis cost)")
    p.add_argument("--rate", action="append", default=[], metavar="CUR=UNITS_PER_USD", help="exchange rate (repeat)")
    p.add_argument("--currency", default="USD", help="currency of cost.csv (USD)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("export-lake", help="the canonical tables as Parquet, observations partitioned by "
                                           "country and year (DIR/observations/country=XX/year=YYYY/)")
    common(p)
    p.add_argument("--out", required=True, help="an empty folder (created if absent)")
    p.add_argument("--replace", action="store_true", help="overwrite a folder that is not empty")
    p.set_defaults(func=cmd_export_lake)
    p = sub.add_parser("sign-in-unlock", help="lift the sign-in locks after failed password attempts "
                                              "(public deployments)")
    common(p)
    p.add_argument("--client", help="one client's pseudonym, as in the audit log (default: every lock)")
    p.set_defaults(func=cmd_sign_in_unlock)
    p = sub.add_parser("rejects", help="show or save the rejected rows of an import")
    common(p)
    p.add_argument("import_id", type=int)
    p.add_argument("--out", help="CSV file to write")
    cli_text.lang_option(p, "the columns and reasons")
    p.set_defaults(func=cmd_rejects)

    p = sub.add_parser("restore", help="put back the previous snapshot (or another backup); --list shows them")
    common(p)
    p.add_argument("--list", action="store_true", help="list the database and its backups, change nothing")
    p.add_argument("--from", dest="source", help="the backup file to restore (default: DB.bak, the last snapshot)")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("rebuild-derived", help="recompute the derived tables (after editing the database "
                                               "outside LabLens)")
    common(p)
    p.set_defaults(func=cmd_rebuild_derived)

    p = sub.add_parser("key", help="back up, restore or check the student pseudonymisation key")
    common(p)
    action = p.add_mutually_exclusive_group()
    action.add_argument("--backup", metavar="FILE", help="copy the key to FILE (never overwrites)")
    action.add_argument("--restore", metavar="FILE", help="install the key from FILE (checked against the database)")
    action.add_argument("--fingerprint", action="store_true", help="show the key's and the database's fingerprints")
    p.add_argument("--force", action="store_true", help="with --restore: replace a different key (kept aside)")
    p.set_defaults(func=cmd_key)

    p = sub.add_parser("forget", help="erase one student's records from the database and its backups")
    common(p)
    p.add_argument("student_id", help="the student's ID as written in the source files")
    p.set_defaults(func=cmd_forget)

    p = sub.add_parser("forms", help="write the field data-collection kit (XLSForm workbooks and a README)")
    from analysis.forms import cli as forms_cli

    forms_cli.add_arguments(p)
    p.set_defaults(func=forms_cli.run)

    p = sub.add_parser("password", help="hash a sign-in password for .streamlit/secrets.toml (public deployments)")
    p.add_argument("--stdin", action="store_true", help="read the password from standard input, not a prompt")
    p.set_defaults(func=cmd_password)

    from analysis.pilot.cli import add_parser as add_pilot_parser  # pilot power|icc|assign|plan

    add_pilot_parser(sub)
    from analysis.implementation.cli import add_parsers as add_implementation_parsers  # cost, dose

    add_implementation_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(cli_text.argv_lang(argv))
    args = parser.parse_args(argv)
    args.argv = argv
    lang = args.lang if args.command in cli_text.LANG_COMMANDS else "en"  # they say their errors in --lang
    try:
        return args.func(args)
    except (CliError, StoreError, ImportFailed, KeyError_) as exc:
        print(f"error: {cli_text.say(exc, lang)}", file=sys.stderr)
        return 1
    except duckdb.Error as exc:  # e.g. a database damaged in a block that opening did not touch
        db = _db(args) if hasattr(args, "db") else default_db_path()
        detail = str(exc).splitlines()[0]
        reason = (cli_text.say(StoreError(damaged_message(db, exc)), lang) if is_damage(exc)
                  else cli_text.line("database_error", lang, detail=detail))
        print(f"error: {reason}", file=sys.stderr)
        return 1
    except OSError as exc:  # a full disk, a read-only folder, a missing file
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"error: {cli_text.line('os_error', lang, detail=exc.strerror or exc, where=where)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"error: {cli_text.line('interrupted', lang)}", file=sys.stderr)
        return 130
