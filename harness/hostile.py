"""Hostile inputs for the readers and the import pipeline, shared by the suite (bounded) and bench/soak.py.

``run_case`` stages one generated file and, for a sample, imports it into a database: the outcome is
either success or one of the named failures with a one-line message; any other exception, a multi-line
message, or a failed import that changed the database file is a defect.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

from analysis.importer.errors import ImportFailed
from analysis.importer.layouts import NotRecognised
from analysis.importer.mapping import MappingError
from analysis.importer.pipeline import import_file
from analysis.importer.readers import ReadError
from analysis.importer.staging import stage

EXPECTED = (ImportFailed, NotRecognised, ReadError, MappingError)
SQLISH = ["x' OR 1=1 --", "'; DROP TABLE observations; --", '") UNION SELECT * FROM meta --', "1; ATTACH '/etc'",
          "${jndi:ldap://x}", "=HYPERLINK(\"http://x\")", "../../etc/passwd", "\x00", "NaN", "-1e309", "𝟙𝟚𝟛"]
HEADERS = ["student_id", "school_code", "codigo_dane", "year", "año", "wave", "score_math", "dropout_rate",
           "DESERCIÓN", "AÑO", "CÓDIGO_MUNICIPIO", "n", "sexo", "grado", "programa", "nombre", "x"]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]


def _cell(rng: random.Random) -> str:
    kind = rng.randrange(7)
    if kind == 0:
        return rng.choice(SQLISH)
    if kind == 1:
        return str(rng.choice([2019, 2020, "2,021", "1.234,5", -3, 1e12, "", "NA", "#N/A"]))
    if kind == 2:
        return f"1760010{rng.randrange(100000):05d}"
    if kind == 3:
        return "".join(chr(rng.randrange(32, 0x2FFF)) for _ in range(rng.randrange(1, 12)))
    if kind == 4:
        return rng.choice(["pre", "post", "baseline", "F", "M", "primaria", "ValleLabs"])
    if kind == 5:
        return str(round(rng.uniform(-50, 150), rng.randrange(4)))
    return "\"" + rng.choice(SQLISH) + "\""


def make_case(rng: random.Random) -> tuple[str, bytes]:
    """One hostile file: (suffix, bytes). Delimited text mostly, also raw noise, JSON and fake zips."""
    kind = rng.randrange(10)
    if kind == 0:
        return rng.choice([".csv", ".txt", ".json", ".xlsx", ".parquet"]), rng.randbytes(rng.randrange(1, 3000))
    if kind == 1:
        record = json.dumps([{"school_code": _cell(rng), "year": 2020, "dropout_rate": _cell(rng)}])
        return ".json", rng.choice([b"[", b"{\"2020\": [[1]]}", b"[{\"a\": 1}, 2]", b"{}", b"[]",
                                    record.encode("utf-8")])
    if kind == 2:
        return ".xlsx", b"PK\x03\x04" + rng.randbytes(rng.randrange(10, 500))
    delimiter = rng.choice([",", ";", "\t", "|", " "])
    width = rng.choice([1, 2, 3, 5, 8])
    header = [rng.choice(HEADERS + SQLISH) for _ in range(width)]
    lines = [delimiter.join(header)]
    for _ in range(rng.randrange(0, 12)):
        lines.append(delimiter.join(_cell(rng) for _ in range(width + rng.choice([0, 0, 0, -1, 1]))))
    text = rng.choice(["\n", "\r\n", "\r"]).join(lines)
    encoding = rng.choice(ENCODINGS)
    data = text.encode(encoding, errors="replace")
    if kind == 3 and data:  # mismatched encodings: splice in bytes of another encoding, or a NUL
        cut = rng.randrange(len(data))
        foreign = rng.choice(["ñá".encode("cp1252"), "ñá".encode("utf-16"), b"\x00", b"\xff\xfe"])
        data = data[:cut] + foreign + data[cut:]
    return rng.choice([".csv", ".txt", ".tsv", ""]), data


def run_case(rng: random.Random, folder: Path, db: Path | None) -> str:
    """Stage (and with ``db``, import) one case; returns 'ok' or the failure's class name; raises on a defect."""
    suffix, data = make_case(rng)
    path = folder / f"case{suffix}"
    path.write_bytes(data)
    before = hashlib.sha256(db.read_bytes()).hexdigest() if db is not None and db.exists() else None
    try:
        if db is None:
            stage(path).con.close()
        else:
            import_file(path, db)
        return "ok"
    except EXPECTED as exc:
        message = str(exc)
        if "\n" in message.strip() or "Traceback" in message or not message.strip():
            raise AssertionError(f"not a one-line reason: {message!r} for {data[:200]!r}") from exc
        if before is not None and hashlib.sha256(db.read_bytes()).hexdigest() != before:
            raise AssertionError(f"a failed import changed the database: {message}") from exc
        return type(exc).__name__
    except Exception as exc:
        raise AssertionError(f"{type(exc).__name__}: {exc} for {suffix} {data[:200]!r}") from exc
