"""What a snapshot carries besides its rows, computed when it is written, and when a reader may use it.

- ``derived``: per-school sufficient statistics of the student rows (names and readers in
  ``analysis.db.sufficient``);
- ``materialised``: the pages' whole-table queries stored as tables;
- ``standard_results``: the pages' first-view compare() results, stored (``codec``: how a frame is kept);
- ``checks``: the readers' trust checks, done once by the writer and kept beside the file;
- ``fingerprints``: what each of those depends on (rows, roster, code);
- ``serving``: the rules deciding whether a reader may serve any of them (pure functions);
- ``publish``: the steps above in the order a writer runs them, and ``writable_snapshot`` with them.
"""
