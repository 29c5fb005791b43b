"""The words a Spanish text must not show, kept once for every test that reads Spanish text: the browser test of
every page (tests/browser/test_words_browser.py) and the sweep of the Spanish evidence pack and reject report
(tests/evidence/test_words_sweep.py)."""

from __future__ import annotations

import re

# English words a Spanish page must not show (Streamlit's own upload-widget texts excepted: no option changes them;
# "and" is left out: the Methods page cites English titles such as "Procedures and Standards Handbook")
ENGLISH = re.compile(r"\b(the|with|must|not found|Page not found|window|windows|observations|mapping|column|"
                     r"schools?|students|rate|design|download|choose|select|synthetic|data|points|reliability|"
                     r"programme|comparison|before|after|change|effect|months)\b")
# a missing value written as Python or pandas writes it
MISSING = re.compile(r"\b(None|nan|NaN)\b")
