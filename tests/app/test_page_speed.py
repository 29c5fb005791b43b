"""National-scale page helpers (issue #6): school search instead of a 40,000-option list, truncated tables."""

from __future__ import annotations

import pandas as pd

from ui import schools_view as view


def _schools(n: int) -> pd.DataFrame:
    return pd.DataFrame({"unit_id": [f"CO-{i:06d}" for i in range(n)],
                         "name": [f"Colegio {'Ñandú' if i == 7 else 'Sol'} {i}" for i in range(n)]})


def test_matching_schools_searches_code_and_name_case_insensitively():
    frame = _schools(2000)
    assert view.matching_schools(frame, "co-000012") == ["CO-000012"]
    assert view.matching_schools(frame, "sol 199") == ["CO-000199"] + [f"CO-00199{i}" for i in range(10)]
    assert view.matching_schools(frame, "ñandú") == ["CO-000007"]
    assert view.matching_schools(frame, "no such school") == []


def test_matching_schools_is_bounded_and_keeps_the_chosen_school():
    frame = _schools(2000)
    listed = view.matching_schools(frame, "", chosen="CO-001999")
    assert len(listed) == view.SCHOOL_LIST_LIMIT + 1 and listed[0] == "CO-001999"
    assert "CO-999999" not in view.matching_schools(frame, None, chosen="CO-999999")
