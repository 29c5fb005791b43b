"""Seeded synthetic demo database: invented schools and students in real places, with planted effects.

`build_demo(path, students, seed)` writes a complete database through `store.writable_snapshot`:
Valle del Cauca (department, its 42 DANE municipalities, invented schools with 12-digit DANE-style
codes) and Guatemala (its 22 departments, 19 real municipalities, invented rural schools with
MINEDUC-style codes), ValleLabs / MiLab / comparison assignments, linked students with pre/post
scores, motivation items and next-year enrolment, and yearly school and municipality rates.

Everything about schools, students and effects is invented; place names and codes are real. The true
effects are in `PLANTED_EFFECTS`, defined in the simulation's own terms (data/README.md explains each
one) so that tests of the analysis engine can check that it recovers them.

Generation is vectorised numpy in chunks of schools (at most `CHUNK_STUDENTS` students each), and each
chunk is inserted as one Arrow frame that DuckDB unpivots into the long `observations` table, student
by student (rows of one student sit together, which lets DuckDB dictionary-compress the keys).
The same seed and size always give identical table contents (only `imports.imported_at` differs).

The generator's stages, in the order `build_demo` runs them: `params` and `places` (inputs), `effects`
(the planted truth), `layout` (schools, stream 0), `units`, `students` (streams 100+), `randomised` (the
randomised MiLab cohort, stream 900), `rates` (streams 1 and 2), `build` (clear, insert, record, publish).
"""

from analysis.demo.build import build_demo
from analysis.demo.effects import PLANTED_EFFECTS
from analysis.demo.params import DEFAULT_SEED, DEFAULT_STUDENTS

__all__ = ["DEFAULT_SEED", "DEFAULT_STUDENTS", "PLANTED_EFFECTS", "build_demo"]
