"""Every translation key exists in both languages; no page shows a raw key."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "ui" / "locales"


def _catalogue(lang: str) -> dict:
    return json.loads((LOCALES / f"{lang}.json").read_text(encoding="utf-8"))


def test_both_languages_have_the_same_keys():
    es, en = _catalogue("es"), _catalogue("en")
    assert set(es) == set(en), {"only_es": sorted(set(es) - set(en)), "only_en": sorted(set(en) - set(es))}


def test_placeholders_match_between_languages():
    es, en = _catalogue("es"), _catalogue("en")
    for key in es:
        assert set(re.findall(r"{(\w+)}", es[key])) == set(re.findall(r"{(\w+)}", en[key])), key


def test_every_key_used_in_code_exists():
    """Literal t("...") keys in pages/, ui/ and dashboard.py must be in the catalogue."""
    keys = set(_catalogue("es"))
    used = set()
    for path in [ROOT / "dashboard.py", *ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py")]:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_.]+)["']""", path.read_text(encoding="utf-8")))
    assert used, "no t() calls found: the scan is broken"
    assert used <= keys, sorted(used - keys)
