"""The differencing attack against what the pages send (docs/METHODS.md, "Disclosure avoidance").

An attacker who sees every view a visitor can request knows every visible cell's count exactly (counts,
shares and means of a view are linear in the same students) and every total; a hidden cell follows when it
is the only unknown among a parent and its children (total minus visible siblings), and a hidden parent
when all its children are visible; each recovered cell is then known too, until nothing changes. The
tests play that attack against compare() on the demo (several indicators, every grouping a visitor can
choose) and against the Comparar tables of every filter value (means, distribution bins, school lines),
assert that no cell of 1 to 9 students is recovered, and check that the old per-cell rule fails it.
Views are attacked together with the views they are linked to: a municipality's cells add up to its
department's and authority's, a school's to its zone's, municipality's, authority's and department's, a
two-field table's to each one-field view (as compare() computes them for one call, and as Regiones asks for
them); each view protected on its own (the rule before they were linked) fails that attack.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import disclosure, fields
from analysis.compare import CompareError, compare, linked, suppression
from analysis.compare.did import TRIAL_UNITS_SQL

K = disclosure.MIN_CELL
STRESS = 60  # the same calls with a threshold of 60: many more cells to protect on a 4,000-student demo
STUDENT_ATTRIBUTES = ("ethnicity", "shift")  # the demo's student attributes (offered as groupings)
# compare() by school also computes (and protects first) the views by zone, department, municipality and
# authority; by municipality, the view by department; by two fields, both one-field views: every view a call
# computes is attacked, together with the others (analysis/compare/linked.py)
NESTED = ("zone", "department", "municipality", "authority")
PREPOST_GROUPINGS = (*[f for f in fields.names() if f not in ("program", "country", "level", *NESTED)],
                     *STUDENT_ATTRIBUTES)
DID_GROUPINGS = ("lab_type", "zone", "sex", "grade", *STUDENT_ATTRIBUTES)  # by municipality: through Regiones
CALLS = ([("score_math", "prepost", ("municipality", "sex"), k) for k in (K, STRESS)]  # two fields first: their
         + [("motivation_index", "prepost", ("municipality", "sex"), STRESS),  # one-field views are reused
            ("score_math", "prepost", ("zone", "ethnicity"), STRESS)]
         + [("score_math", "prepost", (by,), k) for by in PREPOST_GROUPINGS for k in (K, STRESS)]
         + [("motivation_index", "prepost", (by,), STRESS) for by in PREPOST_GROUPINGS]
         + [("score_math", "did", (by,), K) for by in DID_GROUPINGS])


def attack(n: np.ndarray, visible: np.ndarray, relations: list[tuple[int, np.ndarray]], k: int = K) -> np.ndarray:
    """Cells recovered by differencing: (parent, children) relations where the parent equals the sum of its
    children; returns the indices recovered that hold 1 to k-1 students."""
    known = visible.copy()
    changed = True
    while changed:
        changed = False
        for parent, children in relations:
            unknown = children[~known[children]]
            if known[parent] and len(unknown) == 1:
                known[unknown[0]] = changed = True
            elif not known[parent] and len(unknown) == 0 and len(children):
                known[parent] = changed = True
    recovered = known & ~visible
    return np.flatnonzero(recovered & (n > 0) & (n < k))


def _compare_cells(frame: pd.DataFrame, by: list[str], shown_rows: np.ndarray,
                   k: int) -> tuple[np.ndarray, np.ndarray, list]:
    """compare()'s cells with their true counts, which are visible (some row that shows them is), and the
    relations: per grouping field, the cells that differ only in it, under a parent total (shown by compare()
    without that grouping when it has at least K students: only the primary rule applies there)."""
    long = suppression.cells(frame.reset_index(drop=True), by)
    identity = ["who", "country", "cohort", "period", "years", *by]
    unique = long.drop_duplicates(identity).reset_index(drop=True)
    codes = long.merge(unique[identity].assign(cell=np.arange(len(unique))), on=identity)["cell"].to_numpy()
    n = np.nan_to_num(unique["n"].to_numpy(dtype=float))
    visible = np.zeros(len(unique), dtype=bool)
    visible[codes[shown_rows[long["row"].to_numpy()]]] = True
    visible |= n == 0  # an empty cell reveals nobody
    relations, parents_n, parents_known = [], [], []
    for f in by:
        rest = [c for c in identity if c != f]
        for _, part in unique.groupby(rest, dropna=False):
            parents_n.append(n[part.index].sum())
            parents_known.append(parents_n[-1] >= k)
            relations.append((len(unique) + len(parents_n) - 1, part.index.to_numpy()))
    return (np.concatenate([n, parents_n]), np.concatenate([visible, np.array(parents_known, dtype=bool)]),
            relations)


def _view_cells(long: pd.DataFrame, by: tuple[str, ...], shown_rows: np.ndarray) -> pd.DataFrame:
    """One view's cells (identity as text, true count, visible: some shown row shows it, or it is empty) from
    its rows' cells (``suppression.cells``)."""
    identity = [*suppression.BASE, *by]
    long = long.assign(visible=shown_rows[long["row"].to_numpy()] | (np.nan_to_num(long["n"].to_numpy(dtype=float))
                                                                      == 0))
    out = long.groupby(identity, dropna=False, sort=False).agg(n=("n", "first"), visible=("visible", "any"))
    return out.reset_index().astype({c: str for c in identity})


def _shown(out: pd.DataFrame) -> np.ndarray:
    return (out["reliability"] != "suppressed").to_numpy()


def _nesting(db) -> dict[tuple[str, str], dict[tuple[str, str], str]]:
    """(finer, coarser) field -> {(country, finer value): coarser value} read from the units table here
    (a finer value in several coarser ones left out)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    units = con.execute("SELECT country, unit_id AS school, zone, department, municipality, authority FROM units").df()
    con.close()
    units = units.astype(object).where(units.notna(), suppression.MISSING).astype(str)
    out = {}
    for finer, coarser in [(f, c) for f, cs in suppression.NESTS_IN.items() for c in cs]:
        pairs = units[units[finer] != suppression.MISSING].drop_duplicates(["country", finer, coarser])
        pairs = pairs[~pairs.duplicated(["country", finer], keep=False)]
        out[(finer, coarser)] = dict(zip(zip(pairs["country"], pairs[finer], strict=True), pairs[coarser],
                                         strict=True))
    return out


def linked_attack(views: dict[tuple[str, ...], pd.DataFrame], nesting: dict, k: int) -> list[tuple]:
    """The differencing attack on every view of one family at once: each view's cells under the ungrouped
    total (known when it has at least k students), under the view without each field (two fields) and under
    the coarser cell each nested value lies in (a municipality in its department, a school in its zone,
    municipality, department, authority). Students of a coarser cell in no finer cell of a known coarser value
    are an unknown remainder. Returns the recovered cells with 1 to k-1 students (view, identity, n)."""
    offsets, cells = {}, []
    for by, view in views.items():
        offsets[by] = sum(len(c) for c in cells)
        cells.append(view.assign(view_by=[by] * len(view)))
    table = pd.concat(cells, ignore_index=True)
    n = np.nan_to_num(pd.to_numeric(table["n"], errors="coerce").to_numpy(dtype=float))
    visible = table["visible"].to_numpy(dtype=bool)
    n_extra, known_extra, relations = [], [], []
    size = len(table)

    where = {by: dict(zip(map(tuple, view[[*suppression.BASE, *by]].to_numpy().tolist()), view.index + offsets[by],
                          strict=True)) for by, view in views.items()}

    def parent_cell(by: tuple[str, ...], key: tuple) -> int | None:
        return where[by].get(tuple(key))

    def add(parent: int, children: np.ndarray) -> None:
        rest = (n[parent] if parent < size else n_extra[parent - size]) - n[children].sum()
        assert rest > -1e-9, (parent, rest)
        if rest > 1e-9:  # students of the parent in no listed child: an unknown remainder
            n_extra.append(rest)
            known_extra.append(False)
            children = np.append(children, size + len(n_extra) - 1)
        relations.append((parent, children))

    for by, view in views.items():
        base = view.index.to_numpy() + offsets[by]
        for i, f in enumerate(by):
            rest = tuple(c for c in by if c != f)
            for key, part in view.groupby([*suppression.BASE, *rest], sort=False):
                children = base[part.index.to_numpy()]
                if not rest:
                    n_extra.append(n[children].sum())
                    known_extra.append(n_extra[-1] >= k)
                    relations.append((size + len(n_extra) - 1, children))
                elif rest in views and (p := parent_cell(rest, key)) is not None:
                    add(p, children)
            for coarser in suppression.NESTS_IN.get(f, ()):
                target = (*by[:i], coarser, *by[i + 1:])
                if target not in views or coarser in by:
                    continue
                mapping = nesting[(f, coarser)]
                mapped = view.assign(**{coarser: [v if v == "*" else mapping.get((c, v)) for c, v in
                                                  zip(view["country"], view[f], strict=True)]})
                mapped = mapped[mapped[coarser].notna()]
                for key, part in mapped.groupby([*suppression.BASE, *target], sort=False):
                    if (p := parent_cell(target, key)) is not None:
                        add(p, base[part.index.to_numpy()])
    n_all = np.concatenate([n, n_extra])
    known = np.concatenate([visible, np.array(known_extra, dtype=bool)])
    recovered = attack(n_all, known, relations, k)
    # a recovered remainder is a set of students too (a department's schools without a municipality)
    return [(table.loc[i, "view_by"], table.loc[i, "n"]) if i < size else ("remainder", n_all[i]) for i in recovered]


def _family(by: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The groupings a view is protected with: its coarser views, theirs, ..., then itself."""
    out = []
    for g in suppression.coarser(list(by)):
        out += [x for x in _family(g) if x not in out]
    return [*out, by]


@pytest.fixture(scope="module")
def compare_runs(demo_db):
    """Every call of CALLS: the views it is protected with (the coarser ones first, then its own), each with
    the frame suppression received (true counts), what it returned and its cells. A view another call already
    computed (as its own or as a coarser view, with the same indicator, design and threshold) is reused."""
    runs, views, memos = [], {}, {}
    original, original_margins = suppression.suppress, linked.margins
    seen, spy = _spy()

    def margins(con, run, req, memo=None):  # coarser views shared between calls of one indicator, design, k
        key = (req.indicator, req.design, req.min_cell)
        return original_margins(con, run, req, memos.setdefault(key, {}) if memo is None else memo)

    suppression.suppress, linked.margins = spy, margins
    try:
        for indicator, design, by, k in CALLS:
            if (indicator, design, k, by) not in views:
                seen.clear()
                try:
                    compare(demo_db, indicator, design, by=list(by), min_cell=k)
                except CompareError:
                    continue
                for view_by, frame, out in seen:
                    frame = frame.reset_index(drop=True)
                    views[(indicator, design, k, view_by)] = (view_by, frame, out,
                                                              suppression.cells(frame, list(view_by)))
            runs.append((indicator, design, by, k, [views[(indicator, design, k, g)] for g in _family(by)
                                                    if (indicator, design, k, g) in views]))
    finally:
        suppression.suppress, linked.margins = original, original_margins
    return runs


@pytest.fixture(scope="module")
def nesting(demo_db):
    return _nesting(demo_db)


def test_no_small_cell_of_compare_is_recovered_by_differencing(compare_runs, nesting, demo_db):
    assert len(compare_runs) >= 30
    hidden_rows, linked = 0, 0
    for indicator, design, by, k, views in compare_runs:
        family = {}
        for view_by, frame, out, long in views:
            keys = ["program", "country", *view_by]
            assert frame[keys].astype(str).equals(out[keys].astype(str)), (indicator, design, view_by)
            shown = (out["reliability"] != "suppressed").to_numpy()
            hidden_rows += int((~shown).sum())
            reasons = out["suppression_reason"]
            assert reasons.isin([*disclosure.REASONS, None]).all()
            assert (reasons.notna() == ~shown).all()
            family[view_by] = _view_cells(long, view_by, shown)
        linked += len(family) > 1
        if (indicator, design, by, k) == ("score_math", "prepost", ("school",), K):  # a reused coarser view is
            standalone = compare(demo_db, indicator, design, by="zone", min_cell=k)  # the one asked for itself
            reused = next(out for view_by, _, out, _ in views if view_by == ("zone",))
            assert sorted(map(str, standalone[["program", "country", "zone", "suppression_reason"]].to_numpy())) \
                == sorted(map(str, reused[["program", "country", "zone", "suppression_reason"]].to_numpy()))
        recovered = linked_attack(family, nesting, k)
        assert not recovered, (indicator, design, by, k, recovered)
    assert hidden_rows >= 100 and linked >= 6  # the attack had something to attack, across levels too


def _spy() -> tuple[list, object]:
    """suppression.suppress recording every view it protects: (grouping, frame received, frame returned)."""
    seen, original = [], suppression.suppress

    def spy(frame, by, k, *args, **kwargs):
        out = original(frame, by, k, *args, **kwargs)
        seen.append((tuple(by), frame.copy(), out))
        return out

    return seen, spy


def _merged(views: list) -> dict[tuple[str, ...], pd.DataFrame]:
    """The views of several calls (one per programme, as Regiones asks) merged per grouping: a cell that two
    calls share (the comparison schools of one country and window) is visible when either shows it."""
    parts: dict[tuple[str, ...], list] = {}
    for by, frame, out in views:
        long = suppression.cells(frame.reset_index(drop=True), list(by))
        parts.setdefault(by, []).append(_view_cells(long, by, _shown(out)))
    return {by: pd.concat(p).groupby([*suppression.BASE, *by], sort=False).agg(n=("n", "first"), visible=(
        "visible", "any")).reset_index() for by, p in parts.items()}


def test_regiones_department_minus_municipalities_recovers_nothing(demo_db, nesting, monkeypatch):
    """Regiones' own call (motivation, observed in waves: one call for every programme; DiD by municipality,
    which protects the department and authority views first; at the stress threshold): the department view
    minus its municipalities, the authority view and the programme's total recover no small cell."""
    from ui import access, loaders, regions_view

    monkeypatch.setenv("LABLENS_DB", str(demo_db))
    monkeypatch.setattr(access, "min_cell", lambda: STRESS)
    loaders._compare_cached.clear()  # the calls must run here, not come from another test's cache
    original = suppression.suppress
    seen, spy = _spy()
    monkeypatch.setattr(suppression, "suppress", spy)
    outcome, used, _ = regions_view.results("motivation_index", "municipality", "did", None)
    assert outcome.ok and used == "did"
    views = list(seen)
    family = _merged(views)
    assert set(family) == {("department",), ("authority",), ("municipality",)}
    assert min(int((~v["visible"]).sum()) for v in family.values()) > 0
    assert not linked_attack(family, nesting, STRESS)
    unlinked = _merged([(by, frame, original(frame.copy(), list(by), STRESS)) for by, frame, _ in views])
    hidden = {by: (int((~family[by]["visible"]).sum()), int((~unlinked[by]["visible"]).sum())) for by in family}
    # the coarser views are the same, the municipalities protected against them hide more (62 cells, not 60)
    assert hidden[("department",)][0] == hidden[("department",)][1]
    assert hidden[("municipality",)][0] > hidden[("municipality",)][1], hidden
    loaders._compare_cached.clear()


def test_the_unlinked_rule_leaks_across_levels(compare_runs, nesting):
    """The rule before views were linked (each view protected on its own, its partitions under shown totals)
    gives small cells away: department minus municipalities, zone minus schools, one-field minus two-field."""
    broken = []
    for indicator, design, by, k, views in compare_runs:
        if len(views) < 2:
            continue
        family = {}
        for view_by, frame, _, long in views:
            out = suppression.suppress(frame.copy(), list(view_by), k)  # no margins: each view on its own
            family[view_by] = _view_cells(long, view_by, _shown(out))
        if linked_attack(family, nesting, k):
            broken.append((indicator, design, by, k))
        if any(len(b) == 2 for *_, b, _ in broken) and any("school" in b for *_, b, _ in broken):
            break  # both kinds found: the rest need not be played
    assert any(len(by) == 2 for *_, by, _ in broken) and any("school" in by for *_, by, _ in broken), broken


def test_the_old_per_cell_rule_fails_the_same_attack(compare_runs):
    broken, done = [], set()
    for indicator, design, _, k, views in compare_runs:
        for by, frame, _, _ in views:
            if len(by) != 1 or (indicator, design, by, k) in done:
                continue
            done.add((indicator, design, by, k))
            long = suppression.cells(frame, list(by))
            small = long["n"].gt(0) & long["n"].lt(k)
            shown = ~small.groupby(long["row"]).any().reindex(range(len(frame)), fill_value=False).to_numpy()
            n, visible, relations = _compare_cells(frame, list(by), shown, k)
            if len(attack(n, visible, relations, k)):
                broken.append((indicator, design, by[0], k))
    assert ("score_math", "did", "grade", K) in broken and len(broken) >= 3, broken


def _view_relations(units: pd.DataFrame, means: pd.DataFrame, hist: pd.DataFrame) -> tuple[pd.DataFrame, list]:
    """The cells of the Comparar family (schools, group means, bins; every filter value and every student)
    and their relations, built here from the tables themselves."""
    keys = ["panel", "program", "period", "value"]
    sums = units.groupby(keys)["n"].sum()
    assert np.allclose(means.set_index(keys)["n"].reindex(sums.index), sums)  # a group is the sum of its schools
    cells = pd.concat([units[[*keys, "unit_id", "n"]].assign(kind="school"), means.assign(kind="mean"),
                       hist[[*keys, "bin"]].assign(n=hist["count"], kind="bin")], ignore_index=True)
    every = cells["value"] == disclosure.ALL
    relations = []

    def add(children: pd.Series, parent: pd.Series, by: list[str]) -> None:
        both = cells[children | parent]
        code = both.groupby(by, dropna=False).ngroup()
        is_parent = parent[both.index].to_numpy()
        heads = pd.Series(both.index[is_parent], index=code[is_parent].to_numpy())
        for g, part in pd.Series(both.index[~is_parent]).groupby(code[~is_parent].to_numpy()):
            if g in heads.index:
                relations.append((int(heads[g]), part.to_numpy()))

    school, mean, binned = cells["kind"] == "school", cells["kind"] == "mean", cells["kind"] == "bin"
    add(school, mean, keys)
    add(binned, mean, keys)
    add(school & ~every, school & every, ["panel", "program", "period", "unit_id"])
    add(mean & ~every, mean & every, ["panel", "program", "period"])
    add(binned & ~every, binned & every, ["panel", "program", "period", "bin"])
    # students with no value of the field (e.g. the demo's randomised cohort has no ethnicity) are in "every
    # student" but in no group: their cell is never shown, but it is derived (the parent minus its children)
    # as soon as it is the only unknown, so it is a child of unknown count of every such partition
    n = np.nan_to_num(cells["n"].to_numpy(dtype=float))
    unstated = []
    for i, (parent, children) in enumerate(relations):
        rest = n[parent] - n[children].sum()
        if rest > 1e-9:
            unstated.append(rest)
            relations[i] = (parent, np.append(children, len(cells) + len(unstated) - 1))
    if unstated:
        cells = pd.concat([cells, pd.DataFrame({"n": unstated, "kind": "unstated"})], ignore_index=True)
    return cells, relations


def _comparar_attack(units: pd.DataFrame, means: pd.DataFrame, hist: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray,
                                                                                          np.ndarray, list]:
    """The Comparar family as the attacker sees it: the cells (the unstated students' cells derived, not
    read from the rule's output), their counts, which are shown, and the relations."""
    means = means[means["value"] != disclosure.UNSTATED].reset_index(drop=True)  # never sent to a page
    cells, relations = _view_relations(units, means, hist)
    n = np.nan_to_num(cells["n"].to_numpy(dtype=float))
    reason = pd.concat([units["reason"], means["reason"], hist["reason"]], ignore_index=True)
    assert reason.isin([*disclosure.REASONS, None]).all()
    reason = reason.reindex(range(len(cells)))
    unstated = (cells["kind"] == "unstated").to_numpy()
    return cells, n, (reason.isna().to_numpy() | (n == 0)) & ~unstated, relations


@pytest.fixture(scope="module")
def school_unstated_db(demo_db, tmp_path_factory) -> str:
    """The demo with no ethnicity for one whole MiLab school that Comparar draws (the students without one were
    the randomised cohort's, which Comparar's DiD charts leave out): "every student" minus the groups is then
    a cell of 10 or more, derived, which the attack below must find (the test's power)."""
    import shutil

    import duckdb

    path = tmp_path_factory.mktemp("school_unstated") / "lablens.duckdb"
    shutil.copyfile(demo_db, path)
    con = duckdb.connect(str(path))
    con.execute(f"""DELETE FROM student_attributes WHERE name = 'ethnicity' AND student_key IN (
        SELECT student_key FROM observations WHERE unit_id = ({_FIRST_COHORT_SCHOOL}))""")
    con.close()
    return str(path)


@pytest.mark.parametrize("indicator", ["score_math"])
def test_no_small_cell_of_the_comparar_tables_is_recovered(indicator, school_unstated_db, monkeypatch):
    from tests.app.conftest import _reopen
    from ui.compare_view import family

    monkeypatch.setenv("LABLENS_DB", school_unstated_db)
    _reopen()
    total_hidden, derived = 0, 0
    for field_name in ("sex", "grade", "lab_type", "zone", *STUDENT_ATTRIBUTES):
        units, means, hist = family(indicator, field_name)
        cells, n, visible, relations = _comparar_attack(units, means, hist)
        unstated = (cells["kind"] == "unstated").to_numpy()
        total_hidden += int((~visible & ~unstated).sum())
        recovered = attack(n, visible, relations)
        assert not len(recovered), (field_name, cells.loc[recovered].head())
        # the unstated students' cells the attack derives (every one, whatever its size): all of 10 or more
        every = attack(n, visible, relations, k=np.inf)
        derived += int(unstated[every].sum())
        assert (n[every[unstated[every]]] >= K).all()
        # the old rule (each cell on its own) gives cells away in the same tables
        if field_name == "sex":
            old = attack(n, ((n == 0) | (n >= K)) & ~unstated, relations)
            assert len(old) > 0
    assert total_hidden > 100 and derived > 0
    _reopen()


# the first MiLab school in Guatemala outside the randomised trial (analysis.compare.did.TRIAL_UNITS_SQL)
_FIRST_COHORT_SCHOOL = f"""SELECT min(a.unit_id) FROM assignments a JOIN units u USING (unit_id)
    WHERE a.program = 'MiLab' AND u.country = 'GT' AND a.unit_id NOT IN ({TRIAL_UNITS_SQL})
    AND a.unit_id IN (SELECT unit_id FROM observations WHERE indicator = 'score_math' AND student_key IS NOT NULL)"""


def _unstated_copy(source: str, target) -> str:
    """A copy of the demo where every student has an ethnicity except 3 of one MiLab school in Guatemala outside
    the randomised trial (Comparar's charts draw the DiD's schools, which leave the trial out; the students of
    the demo's randomised cohort have no ethnicity: they get ladino or maya, by a hash of their key)."""
    import shutil

    import duckdb

    shutil.copyfile(source, target)
    con = duckdb.connect(str(target))
    stated = "SELECT student_key FROM student_attributes WHERE name = 'ethnicity'"
    con.execute(f"""DELETE FROM student_attributes WHERE name = 'ethnicity' AND student_key IN (
        SELECT student_key FROM observations WHERE indicator = 'score_math' AND unit_id = ({_FIRST_COHORT_SCHOOL})
        GROUP BY student_key HAVING count(DISTINCT wave) = 2 ORDER BY student_key LIMIT 3)""")
    unit = con.execute(_FIRST_COHORT_SCHOOL).fetchone()[0]
    kept = [r[0] for r in con.execute(f"""SELECT DISTINCT student_key FROM observations WHERE indicator = 'score_math'
        AND unit_id = ? AND student_key NOT IN ({stated}) ORDER BY 1 LIMIT 3""", [unit]).fetchall()]
    con.execute(f"""INSERT INTO student_attributes
        SELECT (SELECT min(import_id) FROM student_attributes), s.student_key, 'ethnicity',
               CASE WHEN hash(s.student_key) % 3 = 0 THEN 'ladino' ELSE 'maya' END
        FROM (SELECT DISTINCT student_key FROM observations WHERE student_key IS NOT NULL) s
        WHERE s.student_key NOT IN ({stated}) AND NOT list_contains(?, s.student_key)""", [kept])
    con.close()
    return unit


@pytest.fixture(scope="module")
def unstated_db(demo_db, tmp_path_factory):
    """(database, school): the demo with 3 students of one MiLab school without an ethnicity."""
    path = tmp_path_factory.mktemp("unstated") / "lablens.duckdb"
    return str(path), _unstated_copy(demo_db, path)


def test_three_students_without_ethnicity_are_a_protected_cell_of_compare(unstated_db):
    """compare() by ethnicity: the 3 students without one are a row ("Sin dato") of 3, hidden, and a cell of
    the partition, so the ungrouped total minus the visible groups recovers no small cell."""
    from ui import format as fmt

    db, _ = unstated_db
    seen, spy = _spy()
    original, suppression.suppress = suppression.suppress, spy
    try:
        out = compare(db, "score_math", "prepost", by=["ethnicity"])
    finally:
        suppression.suppress = original
    (by, frame, _), = seen
    frame = frame.reset_index(drop=True)
    none = (frame["program"] == "MiLab") & frame["ethnicity"].isna()
    assert frame.loc[none, ["n_pre", "n_post", "n_linked"]].to_numpy().tolist() == [[3, 3, 3]]
    assert out.loc[none, "suppression_reason"].tolist() == [disclosure.SMALL_CELL]
    assert out.loc[~none & (out["program"] == "MiLab"), "suppression_reason"].notna().any()  # a complement
    family = {by: _view_cells(suppression.cells(frame, list(by)), by, _shown(out))}
    assert not linked_attack(family, {}, K)
    # a rule blind to them (their row left out of the partitions) shows ladino and maya: the ungrouped total
    # (910 before) minus both is the 3 students
    dropped = frame[~none].reset_index(drop=True)
    blind = suppression.suppress(dropped.copy(), list(by), K)
    milab = (blind["program"] == "MiLab").to_numpy()
    assert blind.loc[milab, "suppression_reason"].isna().all()
    total = compare(db, "score_math", "prepost").set_index("program").loc["MiLab", "n_pre"]
    assert total - blind.loc[milab, "n_pre"].sum() == 3
    # the row's label comes from the locale files
    shown = fmt.result_table(out[none], ["program", "ethnicity"], ["ethnicity"])
    assert shown.iloc[0, 1] == "Sin dato" and fmt.group_label("ethnicity", None) == "Sin dato"


def test_three_students_without_ethnicity_on_comparar(unstated_db, monkeypatch):
    """Comparar filtered by ethnicity: every student of MiLab's DiD schools minus ladino and maya gave the 3
    students without one away, their count and mean (the rule before: the unstated students in no partition); now
    they are a cell of the family, a sibling hidden with them, and the attack recovers none."""
    from tests.app.conftest import _reopen
    from ui.compare_view import family, means_chart

    db, _ = unstated_db
    monkeypatch.setenv("LABLENS_DB", db)
    _reopen()
    units, means, hist = family("score_math", "ethnicity")
    cells, n, visible, relations = _comparar_attack(units, means, hist)
    unstated = (cells["kind"] == "unstated").to_numpy()
    assert (n[unstated] == 3).sum() >= 2 and n[unstated].max() == 3  # before and after (their school, bins too)
    assert not len(attack(n, visible, relations))
    # what the page shows for each value: before and after, a sibling of the 3 students hidden with them
    hidden = set()
    for group in ("ladino", "maya"):
        table = means_chart("score_math", "ethnicity", group).table
        milab = table[table.iloc[:, 1] == "MiLab"]
        hidden |= set(milab.loc[milab.iloc[:, 3].isna() & (milab["n"] == "—"), milab.columns[2]])
    assert len(hidden) == 2
    # the rule before (no cell for the unstated students): ladino and maya shown, the 3 students recovered
    cols = ["panel", "program", "unit_id", "period", "value", "n"]
    monkeypatch.setattr(disclosure, "unstated", lambda frame, count, keys: frame.iloc[:0][[*keys, "value", count]])
    line, old_means, bins = disclosure.protect_views(units[cols], hist[[c for c in hist if c != "reason"]])
    old = (pd.concat([line, old_means.loc[old_means["value"] != disclosure.UNSTATED, "reason"], bins],
                     ignore_index=True).isna().to_numpy() | (n[:len(cells) - unstated.sum()] == 0))
    recovered = attack(n, np.concatenate([old, np.zeros(int(unstated.sum()), dtype=bool)]), relations)
    means_recovered = cells.loc[recovered]
    assert (means_recovered["kind"] == "unstated").any() and (n[recovered] == 3).sum() >= 2
    _reopen()


def test_a_school_without_municipality_is_a_remainder_of_its_department(demo_db, tmp_path, monkeypatch):
    """One MiLab school without a municipality (its department kept): by municipality at k = 20 it is in the
    "Sin dato" row (18 students before), which lies in no department, so Huehuetenango's department cell minus
    its municipalities is that school. Its remainder is a cell of the department's partition, hidden with a
    sibling; the rule before (no remainder) left the two municipalities shown and the school recovered."""
    import shutil

    import duckdb

    db = tmp_path / "lablens.duckdb"
    shutil.copyfile(demo_db, db)
    con = duckdb.connect(str(db))
    con.execute("UPDATE units SET municipality = NULL WHERE unit_id = 'GT-13-01-0742-43'")
    con.close()
    nesting, k = _nesting(db), 20

    def play() -> list:
        seen, spy = _spy()
        with monkeypatch.context() as m:
            m.setattr(suppression, "suppress", spy)
            compare(str(db), "score_math", "prepost", by=["municipality"], min_cell=k)
        family = {by: _view_cells(suppression.cells(frame.reset_index(drop=True), list(by)), by, _shown(out))
                  for by, frame, out in seen}
        assert set(family) == {("department",), ("authority",), ("municipality",)}
        return linked_attack(family, nesting, k)

    assert not play()
    monkeypatch.setattr(suppression, "_remainders", lambda *args: ([], [], None))  # the rule before
    assert sorted(n for _, n in play()) == [16, 16, 16, 16, 18, 18]  # before, after, linked; by department and
    # by authority
