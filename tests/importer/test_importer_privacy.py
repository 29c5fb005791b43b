"""Privacy at the door: no raw student ID or personal name reaches any database file."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from importer_helpers import query, scalar, write

from analysis.importer.errors import ImportFailed
from analysis.importer.pipeline import import_file
from analysis.privacy import key_fingerprint, load_key, pseudonym

STUDENTS = [(f"CC-{1029384756 + i}", f"Valentina Ñañez Quiñónez {i:02d}", f"31{i:08d}") for i in range(40)]
ETHNICITY = ["Afrocolombiano", "Indígena Nasa", "Ninguno"]


def _wave_file(folder: Path, wave: str, offset: int) -> Path:
    lines = ["student_id,school_code,wave,score_math,motivation_item_1,nombre,telefono,etnia"]
    for i, (sid, name, phone) in enumerate(STUDENTS):
        # the post wave writes IDs in lower case with stray spaces, as a second data-entry clerk would
        written = sid if wave == "pre" else f" {sid.lower()} "
        lines.append(f"{written},176001000{i % 3:03d},{wave},{40 + i + offset},{1 + (i + offset) % 5},"
                     f"{name},{phone},{ETHNICITY[i % 3]}")
    return write(folder / f"estudiantes_{wave}.csv", "\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def student_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict, dict, Path]]:
    """Two waves imported once for the module, with a key file of its own."""
    folder = tmp_path_factory.mktemp("privacy")
    key_file = folder / "student_key.bin"
    db = folder / "lablens.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LABLENS_KEY_FILE", str(key_file))
        pre = import_file(_wave_file(folder, "pre", 0), db)
        post = import_file(_wave_file(folder, "post", 7), db)
    yield db, pre, post, key_file


def test_no_raw_id_name_or_phone_in_any_database_file(student_db) -> None:
    db, _, _, _ = student_db
    files = [p for p in db.parent.iterdir() if p.name.startswith(db.name) and p.suffix != ".lock"]
    names = {p.name for p in files}
    assert {"lablens.duckdb", "lablens.duckdb.bak"} <= names  # the previous snapshot is kept as .bak
    secrets = [secret.encode(enc) for sid, name, phone in STUDENTS
               for secret in (sid, sid.lower(), sid[3:], name, name.split()[1], phone)
               for enc in ("utf-8", "utf-16-le")]
    pattern = re.compile(b"|".join(re.escape(s) for s in secrets))
    for path in files:  # the database, its .bak, any .wal, the audit log and the kept snapshot checks
        data = path.read_bytes()
        found = pattern.search(data)
        assert found is None, f"{found.group()!r} found in {path.name}"
        if not path.name.endswith((".audit.jsonl", ".checks.json")):  # searched too, but they store no rows
            # the search can find what *is* stored: the kept attribute and the school code
            assert b"Afrocolombiano" in data and b"176001000001" in data
    assert {"lablens.duckdb.audit.jsonl", "lablens.duckdb.checks.json"} <= names


def test_summary_notes_the_dropped_columns(student_db) -> None:
    _, pre, post, _ = student_db
    for s in (pre, post):
        assert s["dropped_columns"] == ["nombre", "telefono"]
        assert any("dropped and not stored: nombre, telefono" in note for note in s["notes"])
        assert s["students"] == 40 and s["rows_loaded"] == 40


def test_student_key_is_the_keyed_pseudonym_and_links_waves(student_db) -> None:
    db, pre, _, key_file = student_db
    key = key_file.read_bytes()
    assert pre["key_fingerprint"] == key_fingerprint(key)
    assert scalar(db, "SELECT value FROM meta WHERE key = 'key_fingerprint'") == key_fingerprint(key)
    rows = query(db, "SELECT student_key, wave, value FROM observations WHERE indicator = 'score_math'")
    by_key: dict[str, dict[str, float]] = {}
    for student_key, wave, value in rows:
        by_key.setdefault(student_key, {})[wave] = value
    assert len(by_key) == 40
    for i, (sid, _, _) in enumerate(STUDENTS):
        waves = by_key[pseudonym(key, sid)]  # ' cc-1029384756 ' in the post file is the same student
        assert waves == {"pre": 40.0 + i, "post": 47.0 + i}
    attrs = query(db, "SELECT student_key, name, value FROM student_attributes WHERE name = 'etnia'")
    assert {(k, v) for k, _, v in attrs} == {(pseudonym(key, sid), ETHNICITY[i % 3])
                                            for i, (sid, _, _) in enumerate(STUDENTS)}


def test_a_different_key_is_refused(student_db, tmp_path: Path) -> None:
    db, _, _, _ = student_db
    assert os.environ["LABLENS_KEY_FILE"] == str(tmp_path / "lablens-test-key.bin")  # not the module's key
    before = db.read_bytes()
    # no key file at all: refused before a new key is made (it would silently break linking)
    with pytest.raises(ImportFailed, match=r"key file .* is missing.*python -m analysis key --restore"):
        import_file(_wave_file(tmp_path, "baseline", 3), db)
    assert not Path(os.environ["LABLENS_KEY_FILE"]).exists()
    load_key()  # a different key on this machine
    with pytest.raises(ImportFailed, match="pseudonymisation key on this machine is not the one"):
        import_file(_wave_file(tmp_path, "baseline", 3), db)
    assert db.read_bytes() == before


def test_key_file_is_created_outside_the_database_with_mode_600(student_db, tmp_path: Path) -> None:
    db, _, _, key_file = student_db
    key = key_file.read_bytes()
    assert len(key) == 32 and key_file.stat().st_mode & 0o777 == 0o600
    for path in (db, db.with_name(db.name + ".bak")):
        assert key not in path.read_bytes()
    # every test gets a key of its own under tmp (autouse fixture), never the user's
    own = load_key()
    assert own != key and (tmp_path / "lablens-test-key.bin").read_bytes() == own
