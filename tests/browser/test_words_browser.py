"""Every page in words, in the page's language, on a laptop and a phone (nothing wider than its screen), and
offline (issues 16 and 19): the visible text of each page, in Spanish and English at 1440×900 and 390×844, has
no raw indicator, field or design code as a selector value, no "None"/"nan", and — on Spanish pages — none of
the English words listed in tests/words.py; and with every request outside this server blocked, no page asks for one
(favicon, fonts, scripts, map tiles) nor shows an error. One browser context, one page object, navigating from
page to page; screenshots go to /tmp/words-shots/.

Tables are drawn on a canvas (st.dataframe), so their cells are not visible text here: tests/app/test_tables.py
checks the cells' display text.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

from analysis.catalog import INDICATORS
from analysis.compare.designs import selector_order
from analysis.fields import GROUP_FIELDS
from tests.browser.conftest import ARTIFACTS, wait_for_app
from tests.words import ENGLISH, MISSING
from ui.i18n import catalogue

PAGES = {"inicio": "page.home", "comparar": "page.compare", "regiones": "page.regions", "escuelas": "page.schools",
         "logros": "page.achievements", "implementacion": "page.implementation", "piloto": "page.pilot",
         "evidencia": "page.evidence", "datos": "page.data", "metodos": "page.methods"}
ERRORS = "[data-testid=stException], [data-testid=stAlertContentError]"
CHART = "[data-testid=stPlotlyChart]"
# the element that shows a page has drawn its content (not only its title)
READY = {"inicio": "[data-testid=stDataFrame]", "comparar": CHART, "regiones": CHART, "escuelas": CHART,
         "logros": "[data-testid=stMetric]", "implementacion": CHART, "piloto": CHART,
         "evidencia": "[data-testid=stDownloadButton]", "datos": "[data-testid=stDataFrame]",
         "metodos": "[data-testid=stTable]"}
SHOTS = Path("/tmp/words-shots")
SIZES = {"laptop": (1440, 900), "phone": (390, 844)}
CODES = re.compile(r"\b(" + "|".join(sorted({i.code for i in INDICATORS} | set(GROUP_FIELDS) | set(selector_order())
                                             | {"lab_type", "authority", "municipality"}, key=len, reverse=True))
                   + r")\b")
STREAMLIT_OWN = ("Drag and drop file here", "Browse files", "Limit ", "per file")
SELECTORS = "[data-testid=stSelectbox], [data-testid=stMultiSelect]"
# pages whose first chart has a panel per programme: side by side on a laptop, stacked on a phone (below 640 px)
PAIRED = {"comparar", "regiones"}
# pages whose whole length is kept as an artefact (tests/artifacts/<page>-es-desktop.png and -phone.png)
WHOLE_PAGE = PAIRED | {"piloto"}
# the plot area of every panel of the page's first paired chart, in page order (plotly draws one drag rectangle
# per subplot), and — for Comparar's means chart — every legend and tick text and every title text (figure,
# subplot and axis titles) drawn in it
PANELS_JS = """(meansTitle) => {
    const box = e => { const r = e.getBoundingClientRect();
                       return {left: r.left, right: r.right, top: r.top + scrollY, bottom: r.bottom + scrollY,
                               text: e.textContent}; };
    const rects = [...document.querySelectorAll('[data-testid=stPlotlyChart] .nsewdrag')].map(box);
    const heads = [...document.querySelectorAll('h3')];
    const start = heads.find(h => h.textContent.trim() === meansTitle);
    let legend = [], titles = [];
    if (start) {
        const next = heads[heads.indexOf(start) + 1];
        const inside = e => (start.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_FOLLOWING)
            && (!next || (next.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_PRECEDING));
        const charts = [...document.querySelectorAll('[data-testid=stPlotlyChart]')].filter(inside);
        const cls = (e, re) => re.test(e.getAttribute('class') || '');
        for (const c of charts) {  // every axis: ticks in g.xtick, g.x2tick…; titles text.xtitle, text.y2title…
            const ticks = [...c.querySelectorAll('g > text')].filter(e => cls(e.parentNode, /^[xy]\\d*tick$/));
            legend = legend.concat([...c.querySelectorAll('.legend text.legendtext')].map(box), ticks.map(box));
            titles = titles.concat([...c.querySelectorAll('text')]
                .filter(e => e.matches('.gtitle, .annotation-text') || cls(e, /^[xy]\\d*title$/)).map(box));
        }
    }
    return {rects, legend, titles};
}"""


def _whole_page_shot(page, path: Path, width: int, height: int) -> None:
    """The whole page at this width (the main area scrolls inside the window, so a full-page screenshot
    would hold only the first screen): the window made as tall as the page, then given back its height."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tall = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": width, "height": min(int(tall) + 40, 12_000)})
    page.wait_for_timeout(300)
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": width, "height": height})


def _panel_problems(page, slug: str, lang: str, size: str) -> list[str]:
    """The first chart's two panels side by side on a laptop and one under the other on a phone; on Comparar,
    no legend or tick text of the means chart over a title, nor two titles into each other (at 390 px the
    panel titles ran together, into the legend and into the second panel's ticks)."""
    found = []
    shapes = page.evaluate(PANELS_JS, catalogue(lang)["compare.means_title"])
    first, second = shapes["rects"][:2] if len(shapes["rects"]) >= 2 else (None, None)
    if first is None:
        return [f"{lang}/{slug}/{size}: fewer than two panels"]
    if size == "phone" and second["top"] < first["bottom"] - 1:
        found.append(f"{lang}/{slug}/{size}: panels side by side, not stacked: {first} {second}")
    if size == "laptop" and not (second["left"] >= first["right"] - 1 and abs(second["top"] - first["top"]) < 80):
        found.append(f"{lang}/{slug}/{size}: panels not side by side: {first} {second}")
    if slug == "comparar":
        if not shapes["legend"] or not shapes["titles"]:
            found.append(f"{lang}/{slug}/{size}: means chart without legend or titles {shapes}")
        titles = shapes["titles"]
        pairs = [(a, b) for a in shapes["legend"] for b in titles]
        pairs += [(a, b) for i, a in enumerate(titles) for b in titles[i + 1:]]
        for k, (a, b) in enumerate(pairs):  # two titles less than a word's gap (10 px) apart read as one
            gap = 2 if k < len(shapes["legend"]) * len(titles) else 10
            if a["left"] < b["right"] + gap and b["left"] < a["right"] + gap and a["top"] < b["bottom"] + 2 \
                    and b["top"] < a["bottom"] + 2:
                found.append(f"{lang}/{slug}/{size}: {a['text']!r} runs into the title {b['text']!r}")
    return found


def _visible(page) -> str:
    """The main area's visible text without icon names (drawn as icons, written as 'school', aria-hidden)."""
    text = page.evaluate("""() => {
        const main = document.querySelector('[data-testid=stMain]').cloneNode(true);
        main.querySelectorAll('[aria-hidden=true], [data-testid=stIconMaterial]').forEach(e => e.remove());
        document.body.appendChild(main);
        const text = main.innerText;
        main.remove();
        return text;
    }""")
    for own in STREAMLIT_OWN:
        text = text.replace(own, "")
    return text


def _selector_values(page) -> list[str]:
    out = []
    for box in page.locator(SELECTORS).all():
        inputs = box.locator("input")
        value = inputs.first.input_value() if inputs.count() else ""
        shown = box.locator("[data-baseweb=select]")
        out.append(f"{value} {shown.first.inner_text() if shown.count() else ''}")
    return out


def test_every_page_in_words_in_both_languages_on_laptop_and_phone_and_offline(browser, app_url):
    SHOTS.mkdir(parents=True, exist_ok=True)
    outside: list[str] = []
    local = urlparse(app_url).netloc

    def guard(route) -> None:
        url = route.request.url
        if urlparse(url).scheme in ("data", "blob") or urlparse(url).netloc == local:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.route("**/*", guard)
    page = context.new_page()
    found: list[str] = []
    try:
        for lang in ("es", "en"):
            page.set_viewport_size({"width": 1440, "height": 900})
            page.goto(f"{app_url}/inicio?lang={lang}")  # the home page by its name, not "Page not found"
            for slug, title in PAGES.items():
                page.set_viewport_size({"width": 1440, "height": 900})
                if slug != "inicio":  # through the menu: one session, no reload of the page's scripts
                    page.locator(f"[data-testid=stSidebarNav] a[href$='/{slug}']").first.click()
                    page.wait_for_url(f"**/{slug}?**")
                page.get_by_role("heading", name=catalogue(lang)[title], exact=True).first.wait_for(timeout=60_000)
                wait_for_app(page)
                page.wait_for_selector(READY[slug], timeout=60_000)
                assert page.locator(ERRORS).count() == 0, f"{lang}/{slug}"
                assert f"lang={lang}" in page.url, page.url  # the language stays in every URL
                text = _visible(page)
                assert "Page not found" not in page.inner_text("body"), slug
                for value in _selector_values(page):
                    if CODES.search(value):
                        found.append(f"{lang}/{slug}: code in a selector: {value!r}")
                if MISSING.search(text):
                    found.append(f"{lang}/{slug}: {MISSING.findall(text)}")
                if lang == "es":
                    words = sorted(set(ENGLISH.findall(text)))
                    if words:
                        found.append(f"es/{slug}: English words {words}: "
                                     + " | ".join(text[max(0, m.start() - 40):m.end() + 40]
                                                  for m in ENGLISH.finditer(text)))
                page.screenshot(path=str(SHOTS / f"{slug}-{lang}-laptop.png"))
                if slug in PAIRED:
                    found += _panel_problems(page, slug, lang, "laptop")
                if slug in WHOLE_PAGE and lang == "es":
                    _whole_page_shot(page, ARTIFACTS / f"{slug}-es-desktop.png", 1440, 900)
                page.set_viewport_size({"width": 390, "height": 844})
                page.wait_for_timeout(150)
                page.screenshot(path=str(SHOTS / f"{slug}-{lang}-phone.png"))
                if slug in PAIRED:
                    page.wait_for_timeout(350)  # plotly redraws its figures at the new width
                    found += _panel_problems(page, slug, lang, "phone")
                if slug in WHOLE_PAGE and lang == "es":
                    _whole_page_shot(page, ARTIFACTS / f"{slug}-es-phone.png", 390, 844)
                widths = page.evaluate("""() => {
                    const main = document.querySelector('[data-testid=stMain]');
                    return {doc: document.scrollingElement.scrollWidth, screen: window.innerWidth,
                            main: main.scrollWidth, client: main.clientWidth};
                }""")
                if widths["doc"] > widths["screen"] + 1 or widths["main"] > widths["client"] + 1:
                    found.append(f"{lang}/{slug}: wider than the phone's screen {widths}")
                if slug == "comparar":  # on a phone the plotly toolbar never sits over a legend: it is hidden
                    chart = page.locator(".js-plotly-plot").first
                    chart.scroll_into_view_if_needed()
                    assert page.evaluate("getComputedStyle(document.querySelector('.modebar-container')).display") \
                        == "none"
                    chart.screenshot(path=str(SHOTS / f"comparar-effects-{lang}-phone.png"))
        favicon = page.locator("link[rel~=icon]").first.get_attribute("href") or ""
        assert not favicon.startswith("http") or urlparse(favicon).netloc == local, favicon
    finally:
        context.close()
    assert not found, "\n".join(found)
    assert outside == []  # nothing LabLens shows needs the internet
