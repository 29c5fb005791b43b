"""`python -m analysis pilot ...` through analysis.cli.main, with exact JSON values."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis import reasons
from analysis.cli import main


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_power_json_reproduces_powerupr(capsys):
    code, out, _ = _run(capsys, "pilot", "power", "--schools", "220", "--blocks", "5", "--students", "20",
                        "--icc", "0.10", "--json")
    got = json.loads(out)
    assert code == 0
    assert (round(got["mdes"], 3), got["df"], round(got["standard_error"], 3), got["schools"]) == (0.145, 210, 0.051,
                                                                                                   220)
    assert got["multiplier"] == pytest.approx(2.8146610, abs=1e-6)


def test_power_solves_schools_and_prints_a_curve(capsys):
    code, out, _ = _run(capsys, "pilot", "power", "--mdes", "0.6290064176914227", "--students", "15", "--icc",
                        "0.17", "--curve", "18-22", "--json")
    got = json.loads(out)
    assert code == 0 and got["schools"] == 20 and got["df"] == 18
    assert [row["schools"] for row in got["curve"]] == [18, 19, 20, 21, 22]


def test_power_errors_are_one_line(capsys):
    code, out, err = _run(capsys, "pilot", "power", "--schools", "4", "--students", "20", "--icc", "0.2",
                          "--covariates", "2")
    assert code == 1 and out == ""
    assert err.startswith("error: 4 schools leave 0 degrees of freedom") and err.count("\n") == 1
    with pytest.raises(SystemExit) as stopped:  # refused by the command line before anything runs (exit 2)
        _run(capsys, "pilot", "power", "--schools", "40", "--students", "20", "--icc", "1")
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and err.strip().splitlines()[-1] == (
        "python -m analysis pilot power: error: argument --icc: must be at least 0 and less than 1, not 1")


def _directory(path):
    """A small file in the MINEDUC directory layout (accents, upper case, one urban school, a blank row)."""
    rows = []
    for k in range(1, 24):
        muni = ["01", "02", "03"][k % 3]
        rows.append({"CODIGO": f"14-{muni}-{k:04d}-46", "DISTRITO": "14-01-0001", "DEPARTAMENTO": "QUICHÉ",
                     "MUNICIPIO": {"01": "SANTA CRUZ DEL QUICHÉ", "02": "CHICHÉ", "03": "CHINIQUE"}[muni],
                     "ESTABLECIMIENTO": f"ESCUELA {k}", "DIRECCION": "ALDEA", "NIVEL": "DIVERSIFICADO",
                     "SECTOR": "OFICIAL" if k % 4 else "PRIVADO", "AREA": "URBANA" if k == 5 else "RURAL",
                     "STATUS": "ABIERTA", "MODALIDAD": "MONOLINGUE", "JORNADA": "MATUTINA", "PLAN": "DIARIO",
                     "DEPARTAMENTAL": "QUICHÉ"})
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_assign_json_roster_and_plan(tmp_path, capsys):
    frame = _directory(tmp_path / "establecimientos.csv")
    argv = ["pilot", "assign", "--frame", str(frame), "--where", "zone=rural,department=Quiche", "--strata",
            "municipality", "--seed", "20261206", "--lab-type", "Lab Point", "--start-year", "2027"]
    code, out, _ = _run(capsys, *argv, "--out", str(tmp_path / "a.csv"), "--record-out", str(tmp_path / "r.json"),
                        "--json")
    got = json.loads(out)
    assert code == 0
    assert got["seed"] == 20261206 and got["schools"] == 22  # 23 schools less one urban
    assert (got["treated"], got["comparison"]) == (11, 11)
    by = {s["stratum"]: s for s in got["strata"]}
    assert {k: v["schools"] for k, v in by.items()} == {"Chiché": 8, "Chinique": 7, "Santa Cruz Del Quiché": 7}
    for s in got["strata"]:
        assert s["treated"] in (s["schools"] // 2, (s["schools"] + 1) // 2)
    import hashlib

    assert got["frame_sha256"] == hashlib.sha256(frame.read_bytes()).hexdigest()
    # a second run writes the same bytes; the human output shows the draw
    code, out, _ = _run(capsys, *argv, "--out", str(tmp_path / "b.csv"))
    assert code == 0 and (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert "draw with seed 20261206 on 22 schools" in out and "balance" in out
    roster = pd.read_csv(tmp_path / "a.csv", dtype=str, keep_default_na=False)
    assert list(roster.columns) == ["country", "unit_type", "unit_code", "program", "lab_type", "start_year",
                                    "stratum"]
    # the plan from the record, in Markdown and HTML
    for name in ("plan.md", "plan.html"):
        code, out, _ = _run(capsys, "pilot", "plan", "--assignment", str(tmp_path / "r.json"), "--indicator",
                            "score_math,dropout_rate", "--out", str(tmp_path / name), "--db",
                            str(tmp_path / "none.duckdb"))
        assert code == 0, out
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert "20261206" in text and "score" in text
    code, _, err = _run(capsys, "pilot", "plan", "--assignment", "7", "--indicator", "score_math", "--out",
                        str(tmp_path / "p.md"), "--db", str(tmp_path / "none.duckdb"))
    assert code == 1 and err.startswith("error: no database at")


def test_register_is_one_import_refused_twice_and_rolled_back(tmp_path, capsys):
    from analysis import audit
    from analysis.db.connect import open_db
    from analysis.importer.history import rollback
    from analysis.pilot import assign, frame, register

    directory = _directory(tmp_path / "establecimientos.csv")
    db = tmp_path / "lablens.duckdb"
    argv = ["pilot", "assign", "--frame", str(directory), "--where", "zone=rural", "--strata", "municipality",
            "--seed", "11", "--start-year", "2027", "--out", str(tmp_path / "r.csv"), "--db", str(db), "--register"]
    code, out, err = _run(capsys, *argv, "--json")
    got = json.loads(out)
    assert code == 0, err
    aid = got["assignment_id"]
    con = open_db(db)
    try:
        view = con.execute("SELECT program, seed, frame_sha256, treated, status FROM pilot_assignments").fetchall()
        kinds = con.execute("SELECT DISTINCT recognized_as FROM imports WHERE import_id = ?", [aid]).fetchall()
        strata = con.execute("SELECT count(*), count(DISTINCT value) FROM unit_attributes WHERE name = 'stratum' "
                             "AND import_id = ?", [aid]).fetchone()
        assigned = con.execute("SELECT count(*) FROM assignments WHERE import_id = ?", [aid]).fetchone()[0]
    finally:
        con.close()
    assert view == [("MiLab", 11, got["frame_sha256"], 11, "active")] and kinds == [("roster",)]
    assert strata == (22, 3) and assigned == 22
    # the plan reads the registered record
    code, _, err = _run(capsys, "pilot", "plan", "--assignment", str(aid), "--indicator", "score_math", "--out",
                        str(tmp_path / "p.md"), "--db", str(db))
    assert code == 0, err
    plan_text = (tmp_path / "p.md").read_text(encoding="utf-8")
    assert f"Registered in the database as assignment {aid} (active)" in plan_text
    assert f"Registrada en la base de datos como asignación {aid} (vigente)" in plan_text
    # a second registration of the programme is refused while the first is active, whatever the seed
    code, _, err = _run(capsys, *[a if a != "11" else "12" for a in argv])
    assert code == 1 and "already has an active registered assignment (id" in err
    # the Piloto page says the refusal in Spanish (ui/pilot_assign.py register: analysis/reasons.py)
    said = reasons.say(err.strip().removeprefix("error: "), "es")
    assert said == (f"el programa «MiLab» ya tiene una asignación registrada activa (id {aid}, semilla 11); "
                    f"deshágala primero (python -m analysis rollback {aid}), lo que queda en el registro de auditoría")
    # only an admin registers (checked where it runs, and the refusal audited)
    schools = frame.apply_where(frame.frame_from_directory(directory), "zone=rural")
    draw = assign.assign(schools, assign.Options(seed=5, program="Otro"), frame_sha256="x")
    with pytest.raises(register.RegistrationRefused, match="admin") as refused:
        register.register(db, draw, role="researcher", actor="web:someone")
    assert reasons.say(refused.value, "es") == "registrar una asignación es una acción de administrador"
    # rollback undoes it (audited); then a new registration is accepted
    rollback(db, aid, actor="cli:test")
    assert register.active(db, "MiLab") == []
    assert [e["action"] for e in audit.entries(db)] == ["import", "register", "denied", "rollback"]
    code, out, err = _run(capsys, *[a if a != "11" else "12" for a in argv])
    assert code == 0 and "registered in" in out, err


def test_assign_from_db_roster_imports_as_is(pilot_demo_db, tmp_path, capsys):
    import shutil

    from analysis.db.connect import open_db
    from analysis.importer.pipeline import import_file

    db = tmp_path / "copy.duckdb"
    shutil.copy(pilot_demo_db, db)
    code, out, _ = _run(capsys, "pilot", "assign", "--from-db", "--db", str(db), "--baseline", "score_math",
                        "--pairs-on", "baseline", "--program", "MiLab-piloto", "--seed", "3", "--out",
                        str(tmp_path / "roster.csv"), "--json")
    got = json.loads(out)
    # the demo's 8 first-cohort and 60 randomised-cohort Guatemalan schools, in 34 pairs
    assert code == 0 and got["schools"] == 68 and got["treated"] == 34 and len(got["strata"]) == 34
    summary = import_file(tmp_path / "roster.csv", db)
    assert summary["recognized_as"] == "roster" and summary["assignments"] == 68
    con = open_db(db)
    try:
        n = con.execute("SELECT count(*) FROM assignments WHERE program = 'MiLab-piloto'").fetchone()[0]
    finally:
        con.close()
    assert n == 34


def test_icc_command(pilot_demo_db, capsys):
    code, out, _ = _run(capsys, "pilot", "icc", "--indicator", "score_math", "--db", str(pilot_demo_db), "--json")
    got = json.loads(out)
    assert code == 0 and {r["country"] for r in got["icc"]} == {"CO", "GT"}
    assert all(0 < r["r2_schools"] <= 1 for r in got["prepost"])


ENGLISH = ("points", "students", "schools", "school", "wave", "endline", "baseline", "active", "complete",
           "randomisation", "within", "strata", "score", "rate", "SD", "from", "the", "of", "and", "default",
           "given", "with", "level", "analysis", "estimator", "database", "before", "after", "treatment", "yes",
           "percent", "proportion", "source", "in", "on", "by")


def test_spanish_plan_is_spanish(pilot_demo_db, tmp_path, capsys):
    """`pilot plan --lang es` on the demo: no English word of the list, no decimal point (thousands with a point
    are Spanish: 1.553), the baseline ICC with its source in words. The frame's file name is data, left out."""
    import re

    out = tmp_path / "plan.md"
    code, _, err = _run(capsys, "pilot", "plan", "--assignment", "1", "--indicator",
                        "score_math,dropout_rate,enrolled_next_year", "--lang", "es", "--out", str(out),
                        "--db", str(pilot_demo_db))
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert "0,194 | " in text or "| 0,19" in text
    assert "2025 (línea de base); medición de línea de base, antes de todo tratamiento" in text
    assert "asignación 1 (vigente)" in text and "Método: sorteo completo dentro de cada estrato" in text
    assert "| puntaje | puntos |" in text and "| tasa | por ciento |" in text
    body = "\n".join(line for line in text.splitlines() if not line.startswith("- Archivo del marco muestral"))
    body = body.replace("LabLens 0.1.0", "LabLens").replace("\\_", "_")
    words = set(re.findall(r"[A-Za-z]+(?:/[a-z]+)?", re.sub(r"\w*_\w*", " ", body)))  # codes (score_math) aside
    assert not words & set(ENGLISH), words & set(ENGLISH)
    decimals = [m for m in re.findall(r"\d+\.\d+", body) if not re.fullmatch(r"[1-9]\d{0,2}(\.\d{3})+", m)]
    assert not decimals, decimals
