"""`python -m analysis pilot power|icc|assign|plan`: the pilot design commands (registered in analysis/cli.py).

Errors print one line starting with `error:` on stderr and exit 1, like every LabLens command.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from analysis.option_ranges import icc


def add_parser(sub) -> None:
    """Add `pilot` and its subcommands to the main parser's subparsers."""
    pilot = sub.add_parser("pilot", help="design a randomised pilot: power, random assignment, pre-analysis plan")
    steps = pilot.add_subparsers(dest="pilot_command", required=True)

    p = steps.add_parser("power", help="minimum detectable effect size, or the schools for a target MDES")
    size = p.add_mutually_exclusive_group(required=True)
    size.add_argument("--schools", type=int, help="total number of schools (treated + comparison)")
    size.add_argument("--mdes", type=float, help="target MDES (SD): prints the smallest total that reaches it")
    p.add_argument("--students", type=float, required=True, help="students per school (average)")
    p.add_argument("--icc", type=icc, required=True, help="intraclass correlation (see `pilot icc`)")
    p.add_argument("--blocks", type=int, help="K fixed blocks (e.g. departments); schools / K per block")
    p.add_argument("--treated-share", type=float, default=0.5)
    p.add_argument("--r2-students", type=float, default=0.0, help="variance explained at student level (R²₁)")
    p.add_argument("--r2-schools", type=float, default=0.0, help="variance explained at school level (R²₂)")
    p.add_argument("--covariates", type=int, default=0, help="school-level covariates (g)")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--power", type=float, default=0.80)
    p.add_argument("--one-tailed", action="store_true")
    p.add_argument("--base-rate", type=float, help="binary outcome: base rate (0-1), adds the MDES in points")
    p.add_argument("--curve", metavar="FROM-TO", help="also the MDES for each total from FROM to TO schools")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = steps.add_parser("icc", help="ICC and pre/post R² observed in the database, with their source")
    p.add_argument("--indicator", required=True)
    p.add_argument("--db", help="published database file (default $LABLENS_DB or data/lablens.duckdb)")
    p.add_argument("--json", action="store_true")

    p = steps.add_parser("assign", help="random assignment of schools (a preview: writes the roster file)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--frame", help="MINEDUC school directory file (establecimientos.csv layout)")
    src.add_argument("--from-db", action="store_true", help="the schools of the database's units table")
    p.add_argument("--where", help='filters, e.g. "zone=rural,department=Quiché" (values: a|b)')
    p.add_argument("--strata", default="", help="stratify by these fields, e.g. department,zone")
    many = p.add_mutually_exclusive_group()
    many.add_argument("--treated", type=int, help="number of schools to treat, spread across strata")
    many.add_argument("--treated-share", type=float, default=0.5, help="share treated in every stratum (0.5)")
    p.add_argument("--pairs-on", help="matched pairs on this numeric frame column (e.g. baseline)")
    p.add_argument("--baseline", help="with --from-db: indicator whose first-wave school mean is `baseline`")
    p.add_argument("--country", default="GT", help="with --from-db: country of the schools (GT)")
    p.add_argument("--seed", type=int, required=True, help="public seed, chosen and published before the draw")
    p.add_argument("--program", default="MiLab")
    p.add_argument("--start-year", type=int)
    p.add_argument("--lab-type")
    p.add_argument("--out", required=True, help="roster CSV to write (importable with python -m analysis import)")
    p.add_argument("--record-out", help="write the assignment record (JSON) here, for `pilot plan --assignment`")
    p.add_argument("--balance-out", help="write the balance table (CSV) here")
    p.add_argument("--register", action="store_true",
                   help="record the assignment and its roster in the database as one import (admin)")
    p.add_argument("--db", help="published database file (default $LABLENS_DB or data/lablens.duckdb)")
    p.add_argument("--json", action="store_true")

    p = steps.add_parser("plan", help="pre-analysis plan in Spanish and English (Markdown or offline HTML)")
    p.add_argument("--assignment", required=True,
                   help="a registered assignment's id, or the record JSON written by assign --record-out")
    p.add_argument("--indicator", required=True, help="indicator code(s), primary first: CODE[,CODE]")
    p.add_argument("--out", required=True, help="plan.md or plan.html")
    p.add_argument("--lang", choices=["es", "en", "both"], default="both")
    p.add_argument("--students", type=float, default=20, help="students per school expected at follow-up (20)")
    p.add_argument("--icc", type=icc, help="ICC (default: observed in the database before any treatment, else "
                   "0.20 / 0.10; METHODS.md)")
    p.add_argument("--r2-students", type=float, help="R²₁ (default: observed pre/post in untreated schools, else 0)")
    p.add_argument("--r2-schools", type=float, help="R²₂ (default: observed pre/post in untreated schools, else 0)")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--power", type=float, default=0.80)
    p.add_argument("--db", help="database for observed ICC and R² (default $LABLENS_DB or data/lablens.duckdb)")
    pilot.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run one pilot subcommand; a ValueError becomes one `error:` line and exit 1."""
    commands = {"power": cmd_power, "icc": cmd_icc, "assign": cmd_assign, "plan": cmd_plan}
    try:
        return commands[args.pilot_command](args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def _db_path(db: str | None) -> Path:
    from analysis.db.connect import default_db_path

    return Path(db) if db else default_db_path()


def cmd_power(args: argparse.Namespace) -> int:
    from analysis.pilot import power

    options = {"treated_share": args.treated_share, "r2_students": args.r2_students,
               "r2_schools": args.r2_schools, "covariates": args.covariates, "alpha": args.alpha,
               "power": args.power, "two_tailed": not args.one_tailed, "base_rate": args.base_rate}
    if args.schools is not None:
        result = power.mdes(args.schools, args.students, args.icc, blocks=args.blocks, **options)
    else:
        result = power.schools_for_mdes(args.mdes, args.students, args.icc, blocks=args.blocks, **options)
    out = result.as_dict()
    curve = None
    if args.curve:
        try:
            lo, hi = (int(x) for x in args.curve.split("-", 1))
        except ValueError as exc:
            raise ValueError(f"--curve {args.curve}: write FROM-TO, e.g. 10-120") from exc
        curve = power.power_curve(range(lo, hi + 1), args.students, args.icc, blocks=args.blocks, **options)
        out["curve"] = json.loads(curve[["schools", "df", "mdes", "mdes_points"]].to_json(orient="records"))
    if args.json:
        _print_json(out)
        return 0
    design = f"{args.blocks} fixed blocks" if args.blocks else "no blocks"
    points = f" = {result.mdes_points:.2f} percentage points at a base rate of {args.base_rate:.1%}" \
        if result.mdes_points is not None else ""
    print(f"MDES {result.mdes:.3f} SD{points} with {result.schools} schools ({design}), {args.students:g} students "
          f"per school, ICC {args.icc:g}: df {result.df}, multiplier {result.multiplier:.3f}, standard error "
          f"{result.standard_error:.4f}, {args.power:.0%} power, α {args.alpha:g} "
          f"{'one' if args.one_tailed else 'two'}-tailed")
    if curve is not None:
        print(curve[["schools", "df", "mdes"]].to_string(index=False))
    return 0


def cmd_icc(args: argparse.Namespace) -> int:
    from analysis.pilot import frame

    con = frame.connect(_db_path(args.db))
    try:
        icc = frame.observed_icc(con, args.indicator)
        r2 = frame.prepost_correlation(con, args.indicator)
        rates = frame.observed_school_rates(con, args.indicator)
        chosen = frame.pretreatment_icc(con, args.indicator)
    finally:
        con.close()
    if icc.empty and rates.empty:
        raise ValueError(f"no observations of '{args.indicator}' in the database")
    if args.json:
        _print_json({"indicator": args.indicator, "icc": json.loads(icc.to_json(orient="records")),
                     "plan_icc": chosen or None, "prepost": json.loads(r2.to_json(orient="records")),
                     "school_rates": json.loads(rates.to_json(orient="records"))})
        return 0
    for row in icc.itertuples():
        print(f"ICC {row.icc:.3f}: {row.source}")
    if not icc.empty:  # a plan takes its ICC from before any treatment only (METHODS.md)
        print(f"a plan uses the ICC {chosen['icc']:.3f} of {chosen['year']} {chosen['wave'] or ''} "
              f"({chosen['basis'].replace('_', ' ')}: data before any treatment)" if chosen else
              "a plan uses the default ICC: no data before any treatment")
    for row in r2.itertuples():
        print(f"pre/post r {row.r:.3f}, R² students {row.r2_students:.3f}, R² schools {row.r2_schools:.3f}: "
              f"{row.source}")
    for row in rates.itertuples():
        print(f"school rates mean {row.mean:.2f}, SD {row.sd:.2f}: {row.source}")
    return 0


def cmd_assign(args: argparse.Namespace) -> int:
    from analysis.pilot import assign, frame

    out = Path(args.out)
    if not out.parent.is_dir():
        raise ValueError(f"--out {args.out}: folder {out.parent} does not exist")
    if args.from_db:
        con = frame.connect(_db_path(args.db))
        try:
            schools = frame.frame_from_db(con, country=args.country, baseline=args.baseline)
        finally:
            con.close()
        source, digest = f"database {_db_path(args.db).name} (units)", None
    else:
        schools = frame.frame_from_directory(args.frame)
        source, digest = Path(args.frame).name, frame.file_sha256(args.frame)
    schools = frame.apply_where(schools, args.where)
    if digest is None:  # the frame read from the database: hash its canonical CSV
        digest = frame.frame_digest(schools)
    options = assign.Options(seed=args.seed, strata=tuple(s.strip() for s in args.strata.split(",") if s.strip()),
                             treated_share=None if args.treated is not None else args.treated_share,
                             treated=args.treated, pairs_on=args.pairs_on, program=args.program,
                             lab_type=args.lab_type, start_year=args.start_year, where=args.where)
    result = assign.assign(schools, options, frame_sha256=digest, frame_file=source)
    data = result.roster_csv()
    partial = out.with_name(f".{out.name}.partial")
    partial.write_bytes(data)
    partial.replace(out)
    if args.record_out:
        Path(args.record_out).write_text(json.dumps(result.record, ensure_ascii=False, indent=2) + "\n",
                                         encoding="utf-8")
    if args.balance_out:
        result.balance.to_csv(args.balance_out, index=False, lineterminator="\n")
    registered = None
    if args.register:
        from analysis.importer.errors import ImportFailed
        from analysis.pilot import register

        try:
            registered = register.register(_db_path(args.db), result)["import_id"]
        except ImportFailed as exc:
            raise ValueError(str(exc)) from exc
    if args.json:
        _print_json({**result.record, "roster": str(out), "assignment_id": registered,
                     "balance": json.loads(result.balance.to_json(orient="records"))})
        return 0
    r = result.record
    print(f"draw with seed {r['seed']} on {r['schools']} schools of {source} (sha256 {r['frame_sha256'][:16]}…): "
          f"{r['treated']} {args.program}, {r['comparison']} comparison, {len(r['strata'])} strata")
    import pandas as pd

    with pd.option_context("display.width", 160, "display.max_rows", 200):
        print(pd.DataFrame(r["strata"]).to_string(index=False))
        print("balance (standardised differences, treated vs comparison):")
        print(result.balance.round(3).to_string(index=False))
    if registered is not None:
        print(f"roster written to {out}; registered in {_db_path(args.db)} as assignment {registered} (one import: "
              f"python -m analysis rollback {registered} undoes it)")
    else:
        print(f"roster written to {out} (a preview: nothing stored; --register records it in the database)")
    return 0


def _observed(code: str, country: str, db: str | None) -> dict:
    """Observed ICC, R² and SD / base rate of an indicator for the plan (empty when there is no database)."""
    from analysis.db.connect import StoreError
    from analysis.pilot import frame

    try:
        con = frame.connect(_db_path(db))
    except StoreError:
        return {}
    try:
        return frame.observed_values(con, code, country)
    finally:
        con.close()


def cmd_plan(args: argparse.Namespace) -> int:
    from analysis.catalog import INDICATOR_BY_CODE
    from analysis.pilot import plan

    out = Path(args.out)
    fmt = {".md": "md", ".html": "html", ".htm": "html"}.get(out.suffix.lower())
    if fmt is None:
        raise ValueError(f"--out {args.out}: the file must end in .md or .html")
    record_path = Path(args.assignment)
    if args.assignment.isdigit() and not record_path.is_file():
        from analysis.pilot import register

        record = register.record_of(_db_path(args.db), int(args.assignment))
    elif not record_path.is_file():
        raise ValueError(f"--assignment {args.assignment}: give a registered assignment's id (pilot assign "
                         "--register) or the JSON record written by `pilot assign --record-out FILE`")
    else:
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"--assignment {args.assignment}: not a JSON assignment record ({exc.msg})") from exc
    if not {"seed", "treated", "comparison", "strata"} <= set(record):
        raise ValueError(f"--assignment {args.assignment}: not an assignment record (needs seed, treated, "
                         "comparison, strata)")
    codes = list(dict.fromkeys(c.strip() for c in args.indicator.split(",") if c.strip()))
    powers = []
    for code in codes:
        if code not in INDICATOR_BY_CODE:
            raise ValueError(f"--indicator {code}: unknown indicator code")
        seen = _observed(code, record.get("country") or "GT", args.db)
        kind = INDICATOR_BY_CODE[code].kind
        base = seen.get("mean") if kind == "binary" else None
        powers.append(plan.indicator_power(
            code, record, students=args.students,
            icc=args.icc if args.icc is not None else seen.get("icc"),
            icc_source="given" if args.icc is not None else seen.get("icc_from"), sd_from=seen.get("sd_from"),
            r2_students=args.r2_students if args.r2_students is not None else seen.get("r2_students", 0.0),
            r2_schools=args.r2_schools if args.r2_schools is not None else seen.get("r2_schools", 0.0),
            alpha=args.alpha, power=args.power, sd=None if base is not None else seen.get("sd"),
            base_rate=base if base is not None and 0 < base < 1 else None))
    langs = ("es", "en") if args.lang == "both" else (args.lang,)
    text = plan.render(record, powers, fmt, langs)
    partial = out.with_name(f".{out.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(out)
    print(f"pre-analysis plan ({', '.join(langs)}) for {len(codes)} indicator(s) written to {out}")
    return 0
