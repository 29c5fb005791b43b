"""The command line in the reader's language (analysis/cli_text.py): every command that says words speaks Spanish
unless told otherwise (--lang, else $LABLENS_LANG, else Spanish); every error `export` can print is Spanish, and
with --lang en the lines are the ones scripts have always read. The real commands run in this process."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from analysis import cli_text
from analysis.cli import main
from tests.words import ENGLISH

ROOT = Path(__file__).resolve().parents[2]


def _run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def _spanish(text: str, *paths: Path) -> None:
    """No English word outside the paths a line names (a temporary folder's name is not a word of the line)."""
    for path in paths:
        text = text.replace(str(path), "")
    assert not ENGLISH.search(text), text


def test_export_errors_are_spanish_by_default_and_with_lang_es(export_db, tmp_path, capsys):
    costs = tmp_path / "costos.csv"
    costs.write_text("program,lab_type,item,amount,currency,price_year\nMiLab,,installation,sesenta mil,GTQ,2024\n",
                     encoding="utf-8")
    missing_db = tmp_path / "ninguna.duckdb"
    cases = [
        (["--out", tmp_path / "x.txt", "--indicator", "score_math"],
         f"--out {tmp_path / 'x.txt'}: el archivo debe terminar en .zip, .xlsx, .csv, .parquet"),
        (["--out", tmp_path / "falta" / "x.zip", "--indicator", "score_math"],
         f"--out {tmp_path / 'falta' / 'x.zip'}: la carpeta {tmp_path / 'falta'} no existe"),
        (["--out", tmp_path / "x.zip", "--indicator", ","], "--indicator: indique al menos un código de indicador"),
        (["--out", tmp_path / "x.zip", "--indicator", "no_such_code"], "no hay datos de «no_such_code»"),
        (["--out", tmp_path / "x.zip", "--indicator", "score_math", "--pre", "2019-2016", "--post", "2020-2022"],
         "ventana antes 2019-2016: el primer año no puede ser posterior al último"),
        (["--out", tmp_path / "x.zip", "--indicator", "score_math", "--costs", costs, "--rate", "GTQ=7.75"],
         "--costs: el monto debe ser un número mayor o igual a cero, no «sesenta mil» (fila 1, columna amount)"),
    ]
    for args, expected in cases:
        for lang in ([], ["--lang", "es"]):
            code, out, err = _run(capsys, "export", "--db", export_db, *args, *lang)
            assert (code, out, err) == (1, "", f"error: {expected}\n"), (args, lang)
            _spanish(err, tmp_path)
    code, _, err = _run(capsys, "export", "--db", missing_db, "--out", tmp_path / "x.zip", "--indicator", "score_math")
    assert (code, err) == (1, f"error: no hay base de datos en {missing_db}: cree la de demostración con «python -m "
                              "analysis demo» o importe un archivo\n")
    _spanish(err, missing_db)
    assert not list(tmp_path.glob("x.*"))  # nothing half-written


def test_export_in_english_is_as_it_always_was(export_db, tmp_path, capsys):
    """The English lines scripts read, byte for byte (the strings the command line printed before --lang)."""
    out = tmp_path / "t.csv"
    bad, no = tmp_path / "x.txt", tmp_path / "no"
    assert _run(capsys, "export", "--db", export_db, "--out", bad, "--indicator", "score_math", "--lang", "en")[2] == (
        f"error: --out {bad}: the file must end in .zip, .xlsx, .csv, .parquet\n")
    assert _run(capsys, "export", "--db", export_db, "--out", no / "x.zip", "--indicator", "score_math",
                "--lang", "en")[2] == f"error: --out {no / 'x.zip'}: folder {no} does not exist\n"
    # the line of a written export, as the command line printed it before (one real export below, in Spanish)
    assert cli_text.exported(4, ["score_math", "dropout_rate"], "did", out, 12345, "en") == (
        f"4 row(s) of score_math, dropout_rate (did) written to {out} (12,345 bytes)")
    code, printed, _ = _run(capsys, "export", "--db", export_db, "--out", out, "--indicator", "score_math")
    size = f"{out.stat().st_size:,}".replace(",", ".")
    assert (code, printed) == (0, f"4 fila(s) de «Puntaje en matemáticas» (antes/después) escritas en {out} "
                                  f"({size} bytes)\n")


def test_compare_rollback_and_imports_take_lang(export_db, tmp_path, capsys):
    bad = ["--indicator", "score_math", "--program", "Nada"]
    assert _run(capsys, "compare", "--db", export_db, *bad, "--lang", "es") == (
        1, "", "error: no existe el programa «Nada»; la lista tiene: MiLab, ValleLabs, comparison\n")
    english = (1, "", "error: no programme 'Nada'; the roster has: MiLab, ValleLabs, comparison\n")
    assert _run(capsys, "compare", "--db", export_db, *bad, "--lang", "en") == english
    code, _, err = _run(capsys, "compare", "--db", export_db, "--indicator", "score_math", "--by", "nonsense",
                        "--lang", "es")
    assert (code, err) == (1, "error: no se puede agrupar por nonsense\n")
    # --json keeps compare()'s column codes and values whatever the language (scripts read them)
    said = [_run(capsys, "compare", "--db", export_db, "--indicator", "score_math", "--json", *lang)
            for lang in (["--lang", "es"], [])]
    assert said[0] == said[1] and {"design", "program", "p_value"} <= set(json.loads(said[0][1])[0])
    code, listed, _ = _run(capsys, "imports", "--db", export_db, "--lang", "es")
    head, row = (line.split() for line in listed.splitlines())
    assert code == 0 and " ".join(head) == "importación archivo formato filas leídas filas cargadas filas rechazadas " \
                                           "enteras fecha (UTC) estado"
    assert " ".join(row[:7]) == "1 demostración: datos sintéticos (semilla 7) demo" and row[-1] == "cargada"
    assert re.fullmatch(r"\d{1,3}(\.\d{3})+", row[7]) and row[7] == row[8] and row[9] == "0"
    listed_en = _run(capsys, "imports", "--db", export_db, "--lang", "en")[1]
    assert listed_en.split("\n")[1].split()[:6] == ["1", "demo:", "synthetic", "data", "(seed", "7)"]
    assert listed_en.split()[:3] == ["import_id", "source_name", "recognized_as"]  # as scripts read it
    assert cli_text.line("rolled_back", "en", import_id=3, removed=10, restored=2) == (
        "import 3 rolled back: 10 observations removed, 2 restored")
    assert cli_text.line("rolled_back", "es", import_id=3, removed=10, restored=2) == (
        "importación 3 deshecha: 10 observaciones quitadas, 2 restauradas")
    missing_db = tmp_path / "ninguna.duckdb"
    assert _run(capsys, "rollback", "--db", missing_db, "99", "--lang", "es") == (
        1, "", "error: no existe la importación 99\n")
    assert _run(capsys, "rollback", "--db", missing_db, "99", "--lang", "en")[2] == "error: there is no import 99\n"
    code, _, err = _run(capsys, "imports", "--db", missing_db, "--lang", "es")
    assert code == 1 and err.startswith(f"error: no hay base de datos en {missing_db}: ")
    _spanish(err, missing_db)


def test_a_malformed_export_is_told_off_in_its_language(capsys):
    """argparse's own errors (a missing or bad option) in Spanish by default and with --lang es; English, argparse's
    words, with --lang en and for the commands without --lang."""
    def told(*args: str) -> str:
        capsys.readouterr()
        with pytest.raises(SystemExit) as stop:
            main(list(args))
        assert stop.value.code == 2
        return capsys.readouterr().err.splitlines()[-1]

    assert told("export", "--indicator", "score_math") == (
        "python -m analysis export: error: faltan argumentos obligatorios: --out")
    assert told("export", "--out", "x.zip", "--indicator", "score_math", "--min-cell", "diez", "--lang", "es") == (
        "python -m analysis export: error: argumento --min-cell: 'diez' no es un número válido")
    assert told("export", "--out", "x.zip", "--indicator", "score_math", "--design", "antes") == (
        "python -m analysis export: error: argumento --design: 'antes' no es una de las opciones ('prepost', 'did', "
        "'rct')")
    assert told("export", "--out", "x.zip", "--indicator", "score_math", "--otra") == (
        "python -m analysis: error: argumentos no reconocidos: --otra")
    assert told("compare", "--lang", "es") == "python -m analysis compare: error: faltan argumentos obligatorios: " \
                                              "--indicator"
    english = "python -m analysis export: error: the following arguments are required: --out"
    assert told("export", "--indicator", "score_math", "--lang", "en") == english
    assert told("compare", "--lang", "en") == ("python -m analysis compare: error: the following arguments are "
                                               "required: --indicator")
    assert told("demo", "--seed", "x") == "python -m analysis demo: error: argument --seed: invalid int value: 'x'"


def test_compare_table_names_its_columns_in_words_and_csv_keeps_the_codes(export_db, capsys):
    """`compare --format table` reads as words (the column registry's short names) in --lang,
    numbers as each language writes them; `--format csv` keeps the codes and plain numbers (scripts read it)."""
    from analysis.compare.columns import header

    args = ["compare", "--db", export_db, "--indicator", "score_math"]
    code, csv_text, _ = _run(capsys, *args, "--format", "csv", "--lang", "es")
    codes = csv_text.splitlines()[0].split(",")
    assert code == 0 and codes[:4] == ["program", "country", "design", "test"] and "p_value" in codes
    en, es = (_run(capsys, *args, *lang)[1] for lang in (["--lang", "en"], ["--lang", "es"]))
    assert en.split()[:2] == ["Programme", "Country"] and "Mean before" in en and "p_value" not in en
    assert es.split()[:3] == ["Programa", "País", "Diseño"] and "Media antes" in es and "Pérdida de muestra" in es
    assert all(header(c, "es") in es.splitlines()[0] for c in codes)
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    big = max(rows, key=lambda r: int(r["n_pre"]))  # over a thousand students: a thousands point in Spanish
    n_pre, mean = int(big["n_pre"]), float(big["mean_pre"])
    assert n_pre >= 1000
    row_es, row_en = (next(line.split() for line in text.splitlines() if line.split()[:2] == [big["program"],
                                                                                             big["country"]])
                      for text in (es, en))
    assert f"{n_pre:,}".replace(",", ".") in row_es and f"{n_pre:,}" in row_en
    assert f"{mean:.4f}".rstrip("0").replace(".", ",") in row_es and f"{mean:.4f}".rstrip("0") in row_en
    # an interval's header names the confidence level asked for
    frame = pd.DataFrame({"ci_low": [0.5], "ci_high": [1.5]})
    assert cli_text.compare_table(frame, "es", 0.9).split() == ["IC", "90", "%", "inferior", "0,5", "IC", "90", "%",
                                                                 "superior", "1,5"]
    assert cli_text.compare_table(frame, "en").split()[:3] == ["95%", "CI", "low"]


def test_every_command_with_lang_speaks_spanish_unless_lablens_lang_says_english(export_db, tmp_path, monkeypatch,
                                                                                  capsys):
    """One rule for every --lang (docs/DESIGN.md "CLI"): --lang, else $LABLENS_LANG (es or en), else Spanish."""
    missing_db = tmp_path / "ninguna.duckdb"
    bad = ["compare", "--db", export_db, "--indicator", "score_math", "--program", "Nada"]
    spanish_rollback = (1, "", "error: no existe la importación 99\n")
    monkeypatch.delenv("LABLENS_LANG", raising=False)
    assert cli_text.default_lang() == "es"
    assert _run(capsys, *bad)[2] == ("error: no existe el programa «Nada»; la lista tiene: MiLab, ValleLabs, "
                                     "comparison\n")
    assert _run(capsys, "rollback", "--db", missing_db, "99") == spanish_rollback
    assert _run(capsys, "imports", "--db", export_db)[1].split()[:2] == ["importación", "archivo"]
    assert _run(capsys, "rejects", "--db", export_db, "1")[1] == "ninguna fila rechazada\n"
    for value in ("en", " EN "):
        monkeypatch.setenv("LABLENS_LANG", value)
        assert _run(capsys, *bad)[2] == "error: no programme 'Nada'; the roster has: MiLab, ValleLabs, comparison\n"
        assert _run(capsys, "rollback", "--db", missing_db, "99")[2] == "error: there is no import 99\n"
        assert _run(capsys, "rejects", "--db", export_db, "1")[1] == "no rejected rows\n"
        assert _run(capsys, *bad, "--lang", "es")[2].startswith("error: no existe el programa")  # --lang wins
    monkeypatch.setenv("LABLENS_LANG", "fr")  # not a language the command line speaks: Spanish
    assert _run(capsys, "rollback", "--db", missing_db, "99") == spanish_rollback
    for command in ("import", "imports", "rollback", "rejects", "compare", "export"):
        monkeypatch.delenv("LABLENS_LANG")
        assert _lang_default(command) == "es", command
        monkeypatch.setenv("LABLENS_LANG", "en")
        assert _lang_default(command) == "en", command


def _lang_default(command: str) -> str:
    from analysis.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command").choices[command]
    return next(a.default for a in sub._actions if a.dest == "lang")


def test_compare_table_says_its_coded_values_in_words_and_csv_keeps_the_codes(export_db, capsys):
    """`compare --format table` says design, test, effect unit, reliability, suppression, design strength, its checks,
    flags and the row's note in --lang, in the pages' words (ui/locales, read as data) or the registries'; the codes
    stay in --format csv and --json (scripts read them)."""
    prepost = ["compare", "--db", export_db, "--indicator", "score_math", "--program", "MiLab", "--by", "sex"]
    rows = list(csv.DictReader(io.StringIO(_run(capsys, *prepost, "--format", "csv")[1])))
    assert {(r["design"], r["test"], r["effect_size_kind"], r["reliability"], r["evidence"], r["evidence_reasons"])
            for r in rows} == {("prepost", "paired_t", "hedges_g", "ok", "limited", "no_comparison_group")}
    es, en = (_run(capsys, *prepost, "--lang", lang)[1] for lang in ("es", "en"))
    for text, words in ((es, ["antes/después", "t pareada (estudiantes vinculados)", "DE (g)", "adecuada", "limitada",
                              "sin grupo de comparación"]),
                        (en, ["before/after", "paired t (linked students)", "SD (g)", "adequate", "limited",
                              "no comparison group"])):
        assert all(text.count(w) == 2 for w in words), (words, text)  # one per row (F, M)
        assert not re.search(r"paired_t|hedges_g|no_comparison_group|\bprepost\b|\bok\b", text), text
    did = ["compare", "--db", export_db, "--indicator", "score_math", "--program", "MiLab", "--by", "sex", "--design",
           "did", "--min-cell", "300"]
    rows = list(csv.DictReader(io.StringIO(_run(capsys, *did, "--format", "csv")[1])))
    assert {(r["reliability"], r["suppression_reason"], r["evidence"]) for r in rows} == {
        ("suppressed", "small_cell", "insufficient")}
    es, en = (_run(capsys, *did, "--lang", lang)[1] for lang in ("es", "en"))
    assert es.count("suprimido (menos de 300 estudiantes)") == 2 and es.count("insuficiente") == 2
    assert es.count("se dejaron fuera 60 escuelas de un ensayo aleatorizado (30 del programa, 30 de comparación)") == 2
    assert en.count("suppressed (fewer than 300 students)") == 2 and en.count("insufficient") == 2
    assert en.count("the randomised trial design analyses them") == 2  # not "the trial design" (compare()'s code)
    assert "small_cell" not in es + en and not re.search(r"suppressed|insufficient|schools of a", es), es
    assert json.loads(_run(capsys, *did, "--json", "--lang", "es")[1])[0]["suppression_reason"] == "small_cell"
    # a list of flags and checks, complementary suppression, and a code no catalogue knows (kept as written)
    frame = pd.DataFrame({"reliability": ["suppressed", "low"], "suppression_reason": ["complementary", None],
                          "flags": [None, "pandemic_years, icc_assumed"], "evidence": ["insufficient", "not_a_level"],
                          "evidence_reasons": ["too_few_clusters, high_attrition", None],
                          "test": ["welch_t_units", "paired_t_units"], "design": ["rct", "did"]})
    table = cli_text.compare_table(frame, "es").splitlines()
    assert " ".join(table[1].split()) == (
        "suprimido oculto para proteger otra celda (supresión complementaria) — insuficiente 3 escuelas o menos de un "
        "lado; pérdida de muestra alta t de Welch sobre las unidades ensayo aleatorizado por escuelas (intención de "
        "tratar)")
    assert " ".join(table[2].split()) == (
        "baja confiabilidad — la ventana incluye 2020 o 2021 (pandemia); ICC supuesto (no se pudo estimar) not_a_level "
        "— t pareada sobre las unidades diferencias en diferencias con escuelas de comparación")


def test_an_unknown_code_or_field_is_answered_with_the_closest_one(export_db, tmp_path, capsys):
    """An indicator code, grouping field, programme or level that is not there: the error line adds the closest one
    (difflib, ratio >= 0.6, case aside) in --lang; nothing is guessed when nothing is close."""
    compare = ["compare", "--db", export_db]
    cases = [
        (["--indicator", "score_mat"], "no hay datos de «score_mat»; ¿quiso decir «score_math»?",
         "; did you mean 'score_math'?"),
        (["--indicator", "score_math", "--by", "colour"], "no se puede agrupar por colour; ¿quiso decir «country»?",
         "or a student attribute (ethnicity, shift); did you mean 'country'?"),
        (["--indicator", "score_math", "--by", "sexo,grade,zzz"],
         "no se puede agrupar por sexo, zzz; ¿quiso decir «sex»?", "; did you mean 'sex'?"),
        (["--indicator", "score_math", "--by", "colour", "--by", "sexo"],
         "no se puede agrupar por colour, sexo; ¿quiso decir «country» en lugar de «colour», «sex» en lugar de «sexo»?",
         "; did you mean 'country' for 'colour', 'sex' for 'sexo'?"),
        (["--indicator", "score_math", "--program", "milab"],
         "no existe el programa «milab»; la lista tiene: MiLab, ValleLabs, comparison; ¿quiso decir «MiLab»?",
         "; did you mean 'MiLab'?"),
        (["--indicator", "zzz_qqq"], "no hay datos de «zzz_qqq»", "score_science"),  # nothing close: no guess
    ]
    for args, spanish, english_end in cases:
        assert _run(capsys, *compare, *args, "--lang", "es") == (1, "", f"error: {spanish}\n"), args
        code, _, err = _run(capsys, *compare, *args, "--lang", "en")
        assert code == 1 and err.endswith(f"{english_end}\n") and err.count("did you mean") <= 1, (args, err)
    # export says the same (its errors pass through the same line)
    code, _, err = _run(capsys, "export", "--db", export_db, "--out", tmp_path / "x.zip", "--indicator", "score_mat")
    assert (code, err) == (1, "error: no hay datos de «score_mat»; ¿quiso decir «score_math»?\n")
    assert cli_text.guess("indicator 'score_math' has no level 'primay'; it has: all, primary, secondary", "es") == (
        "¿quiso decir «primary»?")
