"""Read any supported file into a DuckDB table of text columns, whatever its encoding or layout.

Every reader lands the file in table ``raw`` of the given connection with columns ``c0 .. cN``
(VARCHAR, exactly as written) and ``_row`` (the record number, 1 = first data record; blank rows are
neither loaded nor counted). Original headers are returned separately, so no header text ever
reaches SQL. Supported: CSV/TSV/TXT (UTF-8 with or without BOM, UTF-16, Windows-1252/Latin-1;
``,`` ``;`` tab ``|``), XLSX (first sheet, or the first sheet with data; broken dimension records
recovered), Parquet, and JSON (records, or the year -> [[code, value], ...] layout).
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from analysis.db.connect import sql_path
from analysis.db.sql import scalar

MAX_COLUMNS = 2_000
MAX_LINE_BYTES = 20_000_000  # DuckDB's max_line_size below; Python's csv module must allow as much
csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_BYTES))
MAX_XLSX_UNCOMPRESSED = 1_500_000_000
DELIMITERS = (",", ";", "\t", "|")


class ReadError(ValueError):
    """A file that cannot be read, with a one-line reason for the user."""


@dataclass
class SourceTable:
    """What a reader found: headers, shape, and how the text was decoded."""

    name: str
    headers: list[str]
    n_rows: int
    file_format: str
    encoding: str | None = None
    delimiter: str | None = None
    has_header: bool = True
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)
    json_shape: str | None = None  # 'year_code_value' for SIYA-style JSON


def read_into(con: duckdb.DuckDBPyConnection, path: str | os.PathLike, name: str | None = None,
              header: bool | None = None, encoding: str | None = None,
              delimiter: str | None = None) -> SourceTable:
    """Detect the format of ``path`` and load it into table ``raw`` on ``con``.

    ``encoding`` and ``delimiter`` (a mapping file's [source] settings) replace detection for text files."""
    path = Path(path)
    name = name or path.name
    if not path.exists():
        raise ReadError(f"{name}: file not found")
    if path.stat().st_size == 0:
        raise ReadError(f"{name}: the file is empty")
    with open(path, "rb") as handle:
        head = handle.read(8)
    suffix = path.suffix.lower()
    if head.startswith(b"PK\x03\x04") or suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(con, path, name)
    if head.startswith(b"PAR1") or suffix == ".parquet":
        return _read_parquet(con, path, name)
    if suffix == ".json" or head.lstrip()[:1] in (b"{", b"["):
        return _read_json(con, path, name)
    if suffix in (".xls",):
        raise ReadError(f"{name}: old Excel .xls files are not supported; save it as .xlsx or CSV")
    return _read_text(con, path, name, header, encoding, delimiter)


# --- delimited text ------------------------------------------------------------------------------

def detect_encoding(sample: bytes, path: Path | None = None) -> str:
    """UTF-16 by BOM (or NUL pattern), else UTF-8 if the whole file decodes, else Windows-1252.

    A fixed order rather than a guesser: charset guessers misread ñ as ń (docs/STACK_NOTES.md).
    """
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if len(sample) >= 4 and sample[1:2] == b"\x00" and sample[3:4] == b"\x00" and sample[0:1] != b"\x00":
        return "utf-16-le"
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if path is not None:
        with open(path, encoding="utf-8", errors="strict") as decoder:
            try:
                while decoder.read(1 << 20):
                    pass
                return "utf-8"
            except UnicodeDecodeError:
                pass
    else:
        try:
            sample.decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError:
            pass
    return "cp1252"


def detect_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the first non-blank lines into the most equal, >1 field counts.

    Candidates are the usual four, any other punctuation found the same number of times on every line
    (ICFES writes U+00AC '¬') and runs such as 'TAB|TAB' (ICFES's Latin-1 editions); a run wins over the
    characters it is made of when they never occur outside it. A comma or point standing between digits
    in most of its occurrences is a decimal mark, and never wins while another candidate splits every line
    alike (DESIGN.md, "Messy input")."""
    sample = [ln for ln in lines if ln.strip()][:50]
    if not sample:
        raise ReadError("the file has no data rows")
    candidates = list(dict.fromkeys([*DELIMITERS, *_discovered(sample)]))
    multi = [c for c in candidates if len(c) > 1]
    candidates = [c for c in candidates if not any(
        c in m and all(ln.count(c) == ln.count(m) * m.count(c) for ln in sample) for m in multi if m != c)]
    scored: dict[str, tuple[float, float, int]] = {}
    for delim in candidates:
        try:
            counts = [len(row) for row in split_lines(sample, delim)]
        except csv.Error:
            continue
        if not counts or max(counts) < 2:
            continue
        mode = max(set(counts), key=counts.count)
        consistency = counts.count(mode) / len(counts)
        scored[delim] = (consistency * 10 + min(mode, 50) / 50, consistency, mode)
    decimal_like = {d for d in scored if d in ",." and _between_digits(sample[1:] or sample, d)}
    steady = {d for d, (_, consistency, mode) in scored.items() if consistency >= 0.8 and mode >= 2}
    if steady - decimal_like:
        scored = {d: v for d, v in scored.items() if d not in decimal_like}
    if not scored:
        return ","
    # ties go to the first candidate (the usual four come first, in their usual order)
    return max(scored, key=lambda d: (scored[d][0], -candidates.index(d)))


_RUN = re.compile(r"[\t|;¬^~#]{2,5}")
_ODD = set("¬^~#|;\t")


def _discovered(sample: list[str]) -> list[str]:
    """Unusual delimiters: one character, or a run of 2-5, present the same number of times on every line."""
    found = []
    head = sample[0]
    for token in {*(_RUN.findall(head)), *(ch for ch in head if ch in _ODD)}:
        counts = {ln.count(token) for ln in sample}
        if len(counts) == 1 and counts.pop() >= 1:
            found.append(token)
    return sorted(found, key=lambda t: (-len(t), t))


def _between_digits(lines: list[str], mark: str) -> bool:
    """Whether most occurrences of ``mark`` stand between two digits (a decimal mark, not a delimiter)."""
    hits = total = 0
    for line in lines:
        for m in re.finditer(re.escape(mark), line):
            total += 1
            i = m.start()
            hits += 0 < i < len(line) - 1 and line[i - 1].isdigit() and line[i + 1].isdigit()
    return total > 0 and hits / total >= 0.5


def split_lines(lines: list[str], delimiter: str) -> list[list[str]]:
    """Fields of each line: the csv module for one character, a plain split (quotes trimmed) for a run."""
    if len(delimiter) == 1:
        return list(csv.reader(lines, delimiter=delimiter))
    return [[f[1:-1] if len(f) > 1 and f[0] == f[-1] == '"' else f for f in ln.split(delimiter)] for ln in lines]


def describe_delimiter(delimiter: str | None) -> str:
    """'\\t|\\t' -> 'TAB|TAB', ',' -> ','; for messages and the import summary."""
    return "none" if delimiter is None else delimiter.replace("\t", "TAB")


def delimiter_from_text(text: str) -> str:
    """A delimiter as a mapping file writes it: 'TAB|TAB', '\\t', '¬', ';'."""
    value = text.replace("\\t", "\t").replace("TAB", "\t").replace("tab", "\t")
    if not value or len(value) > 5 or "\n" in value or '"' in value:
        raise ReadError(f"delimiter {text!r} must be 1 to 5 characters (e.g. ';', '¬', 'TAB|TAB')")
    return value


def _looks_like_header(cells: list[str]) -> bool:
    """A header row has no numeric-looking cells and at least one letter per non-empty cell."""
    filled = [c.strip() for c in cells if c.strip()]
    if not filled:
        return False
    numeric = sum(1 for c in filled if _is_numberish(c))
    return numeric == 0


def _is_numberish(text: str) -> bool:
    stripped = text.replace(",", "").replace(".", "").replace("-", "").replace(" ", "")
    return stripped.isdigit()


def _read_text(con: duckdb.DuckDBPyConnection, path: Path, name: str, header: bool | None,
               forced_encoding: str | None = None, forced_delimiter: str | None = None) -> SourceTable:
    with open(path, "rb") as handle:
        sample = handle.read(1 << 16)
    if b"\x00" in sample and not sample.startswith((b"\xff\xfe", b"\xfe\xff")) and not (
            len(sample) > 3 and sample[1:2] == b"\x00") and not (forced_encoding or "").startswith("utf-16"):
        raise ReadError(f"{name}: the file contains NUL bytes; it is not a text table")
    encoding = _encoding_name(forced_encoding, name) if forced_encoding else detect_encoding(sample, path)
    notes: list[str] = []
    source = path
    tmp_path: Path | None = None
    if encoding not in ("utf-8", "utf-8-sig"):
        # DuckDB reads UTF-8 only without extensions (offline): transcode to a temporary file.
        fd, tmp_name = tempfile.mkstemp(suffix=".csv", prefix="lablens-")
        os.close(fd)
        tmp_path = Path(tmp_name)
        try:
            _transcode(path, tmp_path, encoding)
        except UnicodeDecodeError as exc:
            if encoding != "cp1252" or forced_encoding:
                tmp_path.unlink(missing_ok=True)
                raise ReadError(f"{name}: cannot decode the text as {encoding}: {exc.reason}") from exc
            # ISO-8859-1 files may hold the five bytes Windows-1252 leaves undefined (0x81, 0x8D, ...)
            encoding = "latin-1"
            _transcode(path, tmp_path, encoding)
        source = tmp_path
        notes.append(f"decoded from {encoding}")
    try:
        try:
            with open(source, encoding="utf-8-sig", newline="") as handle:
                first_lines = []
                for line in handle:
                    if line.strip():
                        first_lines.append(line.rstrip("\r\n"))
                    if len(first_lines) >= 50:
                        break
        except UnicodeDecodeError as exc:  # a UTF-8 mark, then bytes of another encoding
            raise ReadError(f"{name}: the file starts as UTF-8 but holds bytes of another encoding "
                            f"({exc.reason}); save it again as UTF-8") from exc
        if not first_lines:
            raise ReadError(f"{name}: the file has no data rows")
        delimiter = delimiter_from_text(forced_delimiter) if forced_delimiter else detect_delimiter(first_lines)
        try:
            split = split_lines(first_lines, delimiter)
            has_header = _looks_like_header(split[0]) if header is None else header
            ncols = max(len(r) for r in split)
        except csv.Error as exc:
            raise ReadError(f"{name}: cannot parse as delimited text: {exc}") from exc
        if ncols > MAX_COLUMNS:
            raise ReadError(f"{name}: {ncols} columns; LabLens reads at most {MAX_COLUMNS}")
        columns = {f"c{i}": "VARCHAR" for i in range(ncols)}
        offset = 1 if has_header else 0
        blank = " AND ".join(f"coalesce(trim(c{i}), '') = ''" for i in range(ncols))
        try:
            drop_raw(con)
            con.execute(
                f"CREATE TABLE raw AS SELECT row_number() OVER () - {offset} AS _row, * "
                "FROM read_csv(?, delim = ?, quote = '\"', escape = '\"', header = false, "
                f"columns = ?, null_padding = true, strict_mode = false, max_line_size = {MAX_LINE_BYTES}, "
                f"all_varchar = true, auto_detect = false) WHERE NOT ({blank})",
                [str(source), delimiter, columns],
            )
        except duckdb.Error as exc:
            raise ReadError(f"{name}: cannot parse as delimited text: {str(exc).splitlines()[0]}") from exc
        headers: list[str]
        if has_header:
            row = con.execute("SELECT * EXCLUDE (_row) FROM raw WHERE _row = 0").fetchall()[0]
            headers = [(v or "").strip().lstrip("\ufeff") for v in row]
            con.execute("DELETE FROM raw WHERE _row = 0")
        else:
            headers = [f"column_{i + 1}" for i in range(ncols)]
        headers = _dedupe_headers(headers)
        n_rows = scalar(con, "SELECT count(*) FROM raw")
    finally:
        if tmp_path is not None:
            tmp_path.unlink(missing_ok=True)
    return SourceTable(name, headers, n_rows, "csv", encoding=encoding, delimiter=delimiter,
                       has_header=has_header, notes=notes)


def _transcode(path: Path, target: Path, encoding: str) -> None:
    """Copy a text file as UTF-8 (DuckDB reads UTF-8 only without extensions, which need a network)."""
    with open(path, encoding=encoding, errors="strict", newline="") as src, \
            open(target, "w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)


def _encoding_name(text: str, name: str) -> str:
    """A mapping file's encoding ('ISO-8859-1', 'latin1', 'windows-1252', 'UTF-8') as Python names it."""
    import codecs

    try:
        canonical = codecs.lookup(text.strip()).name
    except LookupError as exc:
        raise ReadError(f"{name}: unknown encoding {text!r} (e.g. UTF-8, ISO-8859-1, Windows-1252)") from exc
    return {"iso8859-1": "latin-1", "utf-8": "utf-8-sig"}.get(canonical, canonical)


def reading(source: SourceTable) -> str:
    """How a file was read, for every 'not recognised' message: encoding, delimiter, columns seen."""
    parts = [source.file_format if source.file_format != "csv" else "text"]
    if source.encoding:
        parts.append(f"encoding {source.encoding}")
    if source.delimiter:
        parts.append(f"delimiter '{describe_delimiter(source.delimiter)}'")
    parts.append(f"{len(source.headers)} column(s)")
    return "read as " + ", ".join(parts)


def _dedupe_headers(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, h in enumerate(headers):
        h = h or f"column_{i + 1}"
        if h in seen:
            seen[h] += 1
            h = f"{h}_{seen[h]}"
        else:
            seen[h] = 1
        out.append(h)
    return out


# --- frames (xlsx, parquet, json) ----------------------------------------------------------------

def _frame_to_raw(con: duckdb.DuckDBPyConnection, rows: list[list], headers: list[str]) -> int:
    """Store python rows as text in ``raw`` (c0..cN, _row), dropping blank rows."""
    ncols = len(headers)
    data = {f"c{i}": [] for i in range(ncols)}
    data["_row"] = []
    record = 0
    for row in rows:
        cells = [_cell_text(v) for v in list(row)[:ncols]]
        cells += [None] * (ncols - len(cells))
        if all(c is None or c.strip() == "" for c in cells):
            continue
        record += 1
        data["_row"].append(record)
        for i, c in enumerate(cells):
            data[f"c{i}"].append(c)
    frame = pd.DataFrame({k: pd.Series(v, dtype="object") for k, v in data.items()})
    for i in range(ncols):
        frame[f"c{i}"] = frame[f"c{i}"].astype("string")
    drop_raw(con)
    con.register("_raw_frame", frame)
    cols = ", ".join(["_row::BIGINT AS _row"] + [f"c{i}::VARCHAR AS c{i}" for i in range(ncols)])
    con.execute(f"CREATE TABLE raw AS SELECT {cols} FROM _raw_frame")
    con.unregister("_raw_frame")
    return record


def _cell_text(value) -> str | None:
    """Render a spreadsheet/JSON cell as the text a person sees, without float noise."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    return text


def _read_xlsx(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> SourceTable:
    import openpyxl

    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
            if total > MAX_XLSX_UNCOMPRESSED:
                raise ReadError(f"{name}: the workbook expands to {total / 1e9:.1f} GB; refused")
            if "xl/workbook.xml" not in archive.namelist():
                raise ReadError(f"{name}: a zip file but not an Excel workbook")
    except zipfile.BadZipFile as exc:
        raise ReadError(f"{name}: not a valid .xlsx file (damaged zip)") from exc
    notes = []
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except ReadError:
        raise
    except Exception as exc:  # openpyxl raises many types on damaged workbooks
        raise ReadError(f"{name}: cannot open the workbook: {exc}") from exc
    try:
        chosen = None
        for sheet in workbook.worksheets:
            if not hasattr(sheet, "reset_dimensions"):
                continue
            declared = getattr(sheet, "max_row", None)
            # Some writers declare a wrong one-cell dimension; reading it would load nothing.
            sheet.reset_dimensions()
            rows = list(sheet.iter_rows(values_only=True))
            if declared is not None and declared <= 1 and len(rows) > 1:
                notes.append(f"sheet '{sheet.title}' declared a one-cell size; all {len(rows)} rows "
                             "were recovered")
            if any(any(c is not None and str(c).strip() for c in r) for r in rows[1:]):
                chosen = (sheet.title, rows)
                break
        if chosen is None:
            raise ReadError(f"{name}: the workbook has no sheet with data rows")
    except ReadError:
        raise
    except Exception as exc:
        raise ReadError(f"{name}: cannot read the workbook: {exc}") from exc
    finally:
        workbook.close()
    title, rows = chosen
    while rows and all(c is None for c in rows[0]):
        rows = rows[1:]
    header_row = rows[0]
    width = max(len(r) for r in rows)
    while width > 0 and all((len(r) < width or r[width - 1] is None) for r in rows):
        width -= 1
    if width > MAX_COLUMNS:
        raise ReadError(f"{name}: {width} columns; LabLens reads at most {MAX_COLUMNS}")
    header_cells = [_cell_text(c) or "" for c in list(header_row)[:width]]
    has_header = _looks_like_header(header_cells)
    headers = _dedupe_headers([h.strip() for h in header_cells]) if has_header else \
        [f"column_{i + 1}" for i in range(width)]
    body = rows[1:] if has_header else rows
    # Spreadsheet error values ('#NUM!', '#N/A', ...) in an otherwise empty trailing row are noise.
    trailing = 0
    while body and _error_only(body[-1]):
        body = body[:-1]
        trailing += 1
    if trailing:
        notes.append(f"{trailing} trailing row(s) holding only spreadsheet errors (e.g. #NUM!) ignored")
    n = _frame_to_raw(con, body, headers)
    return SourceTable(name, headers, n, "xlsx", sheet=title, has_header=has_header, notes=notes)


def _error_only(row) -> bool:
    cells = [c for c in row if c is not None and str(c).strip()]
    return bool(cells) and all(str(c).strip().startswith("#") for c in cells)


def _read_parquet(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> SourceTable:
    try:
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    except duckdb.Error as exc:
        raise ReadError(f"{name}: not a readable Parquet file: {str(exc).splitlines()[0]}") from exc
    headers = _dedupe_headers([d[0] for d in described])
    if len(headers) > MAX_COLUMNS:
        raise ReadError(f"{name}: {len(headers)} columns; LabLens reads at most {MAX_COLUMNS}")
    casts = []
    for i, (col, ctype, *_rest) in enumerate(described):
        ident = '"' + col.replace('"', '""') + '"'
        if ctype.startswith(("DOUBLE", "FLOAT")):
            # shortest round-trip text, like Python repr, so values are kept exactly as stored
            casts.append(f"CASE WHEN {ident} = trunc({ident}) AND abs({ident}) < 1e15 "
                         f"THEN CAST(CAST({ident} AS BIGINT) AS VARCHAR) ELSE CAST({ident} AS VARCHAR) END "
                         f"AS c{i}")
        else:
            casts.append(f"CAST({ident} AS VARCHAR) AS c{i}")
    drop_raw(con)
    if "file_row_number" in (d[0] for d in described):
        con.execute(f"CREATE TABLE raw AS SELECT row_number() OVER () AS _row, {', '.join(casts)} "
                    "FROM read_parquet(?)", [str(path)])
    else:
        # A view over the file, not a copy (issue #20): Parquet is typed and cheap to scan again, and the
        # copy of a 10 M-row file as text held ~1 GB for the whole staging. The row number is the file's.
        # (A view takes no bound parameter: the path is a quoted literal.) ``materialise_raw`` makes it a
        # table where the commit still reads it.
        con.execute(f"CREATE VIEW raw AS SELECT file_row_number + 1 AS _row, {', '.join(casts)} "
                    f"FROM read_parquet('{sql_path(path)}', file_row_number = true)")
    n = scalar(con, "SELECT count(*) FROM raw")
    return SourceTable(name, headers, n, "parquet")


def _raw_kind(con: duckdb.DuckDBPyConnection) -> str | None:
    found = con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = 'raw' "
                        "AND table_catalog = current_database() AND table_schema = 'main'").fetchall()
    return found[0][0] if found else None


def drop_raw(con: duckdb.DuckDBPyConnection) -> None:
    """Drop ``raw``, a table or (Parquet) a view over the file."""
    kind = _raw_kind(con)
    if kind is not None:
        con.execute("DROP VIEW raw" if kind == "VIEW" else "DROP TABLE raw")


def materialise_raw(con: duckdb.DuckDBPyConnection) -> None:
    """Make ``raw`` a table when it is a view over the file (for a reader after the file may be gone)."""
    if _raw_kind(con) == "VIEW":
        con.execute("CREATE TABLE raw_copy AS SELECT * FROM raw ORDER BY _row")
        con.execute("DROP VIEW raw")
        con.execute("ALTER TABLE raw_copy RENAME TO raw")


def _read_json(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> SourceTable:
    raw_bytes = path.read_bytes()
    encoding = detect_encoding(raw_bytes[:4096])
    try:
        data = json.loads(raw_bytes.decode(encoding))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReadError(f"{name}: not valid JSON ({exc})") from exc
    if isinstance(data, dict) and data and all(_is_year_key(k) for k in data) and all(
            isinstance(v, list) for v in data.values()):
        rows = []
        for year, pairs in data.items():
            for pair in pairs:
                if not isinstance(pair, list | tuple) or len(pair) != 2:
                    raise ReadError(f"{name}: year {year} holds an entry that is not [code, value]")
                rows.append([year, pair[0], pair[1]])
        n = _frame_to_raw(con, rows, ["year", "code", "value"])
        return SourceTable(name, ["year", "code", "value"], n, "json", json_shape="year_code_value")
    if isinstance(data, dict):
        for key in ("data", "records", "rows"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        headers: list[str] = []
        for record in data:
            for key in record:
                if key not in headers:
                    headers.append(key)
        if len(headers) > MAX_COLUMNS:
            raise ReadError(f"{name}: {len(headers)} columns; LabLens reads at most {MAX_COLUMNS}")
        rows = [[r.get(h) for h in headers] for r in data]
        n = _frame_to_raw(con, rows, [str(h) for h in headers])
        return SourceTable(name, [str(h) for h in headers], n, "json", json_shape="records")
    raise ReadError(f"{name}: JSON must be a list of records or an object of year -> [[code, value], ...]")


def _is_year_key(key: str) -> bool:
    return isinstance(key, str) and key.strip().isdigit() and 1900 <= int(key) <= 2100
