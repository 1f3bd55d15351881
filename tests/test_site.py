"""The workbook's website (``python3 tasks.py site`` -> ``site/``), built once per session.

Without a browser: every executed notebook has a page with launch links (Binder JupyterLab,
Binder Voilà, Colab), exercise answers and checks are folded behind a "Show answer" / "Show the
checks" toggle, the glossary, teacher's guide and chip catalog are there, the catalog lists every
chip of ``workbook.catalog`` with its sources, and no page loads a script, stylesheet, font or
image from outside the site.

In Chromium (Playwright; skipped when the browser is missing unless RUN_BROWSER_TESTS=1, as in
CI): each page opened from disk (``file://``) shows its charts -- every stored SVG chart loads,
the catalog's Vega chart is drawn by the site's own vega-embed bundle -- throws no JavaScript
error and requests nothing outside the page: every non-``file:`` request is recorded and
aborted. Launch links are only links: they are never requested.

Run alone: .venv/bin/python -m pytest tests/test_site.py -p no:cacheprovider -v
"""

from __future__ import annotations

import html
import importlib.util
import re
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("myst_nb", reason="the site needs the test extra (pip install -e .[test])")
_spec = importlib.util.spec_from_file_location("build_site", ROOT / "tools" / "build_site.py")
build_site = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_site)

NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9]*.ipynb"))
REFERENCE_PAGES = ["index", "notebooks/GLOSSARY", "notebooks/TEACHING", "catalog"]
LAUNCH_HOSTS = ("https://mybinder.org/", "https://colab.research.google.com/")


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    took = build_site.build(out)
    print(f"\nsite built in {took:.1f} s")
    return out


def page_html(site: Path, page: str) -> str:
    return (site / f"{page}.html").read_text(encoding="utf-8")


def svg_outputs(stem: str) -> int:
    nb = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
    return sum("image/svg+xml" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def tagged(stem: str, tag: str) -> int:
    nb = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
    return sum(c.cell_type == "code" and tag in c.metadata.get("tags", []) for c in nb.cells)


# --- the built pages (no browser) -----------------------------------------------------------------


def test_every_page_is_built(site):
    for page in [*(f"notebooks/{s}" for s in NOTEBOOKS), *REFERENCE_PAGES]:
        assert (site / f"{page}.html").exists(), f"{page}.html missing"


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_notebook_page_has_launch_links_and_charts(site, stem):
    text = page_html(site, f"notebooks/{stem}")
    for kind in ("lab%2Ftree%2Fnotebooks%2F", "voila%2Frender%2Fnotebooks%2F"):
        assert f"https://mybinder.org/v2/gh/{build_site.repo_slug()}/HEAD?urlpath={kind}{stem}.ipynb" in text
    assert f"https://colab.research.google.com/github/{build_site.repo_slug()}/blob/main/notebooks/{stem}.ipynb" in text
    assert len(re.findall(r'<img [^>]*src="[^"]+\.svg"', text)) >= svg_outputs(stem), f"{stem}: charts missing"


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_answers_and_checks_are_folded(site, stem):
    text = page_html(site, f"notebooks/{stem}")
    assert text.count("Show answer") >= tagged(stem, "solution")
    assert text.count("Show the checks") >= tagged(stem, "checks")
    folded = len(re.findall(r'<details class="[^"]*\bhide\b[^"]*"', text))  # MyST-NB's hide-cell: input and output
    assert folded >= tagged(stem, "solution") + tagged(stem, "checks")


def test_catalog_page_lists_every_chip_with_sources(site):
    from workbook import catalog

    text = page_html(site, "catalog")
    for c in catalog.chip_ids():
        assert f'id="{c.replace("_", "-")}"' in text, f"{c}: no section"
        assert html.escape(catalog.chip_info(c).get("name", c)) in text, c
    assert "<th>source</th>" in text and text.count("<th>source</th>") == len(catalog.chip_ids())
    assert 'id="catalog-bandwidth-chart"' in text and "_static/vega-bundle.js" in text
    assert (site / "_static" / "vega-bundle.js").stat().st_size > 100_000


def test_no_page_loads_anything_from_outside(site):
    """Scripts, stylesheets, fonts and images come from the site itself (links may point out)."""
    loads = re.compile(r'<(?:script|img|iframe|source)\b[^>]*\bsrc="(https?:)?//|<link\b[^>]*\bhref="(https?:)?//'
                       r'|url\((["\']?)(https?:)?//')
    for f in site.rglob("*.html"):
        found = [m.group(0) for m in loads.finditer(f.read_text(encoding="utf-8"))]
        assert not found, f"{f.relative_to(site)} loads from outside: {found[:3]}"
    for f in site.rglob("*.css"):
        found = re.findall(r'url\(["\']?https?://[^)]*\)', f.read_text(encoding="utf-8", errors="replace"))
        assert not found, f"{f.relative_to(site)} loads from outside: {found[:3]}"


def test_home_page_launches_notebook_00(site):
    assert "lab%2Ftree%2Fnotebooks%2F00_start_here.ipynb" in page_html(site, "index")
    assert "{{" not in page_html(site, "index")


def test_placeholder_repository_is_marked():
    if build_site.repo_slug() == build_site.PLACEHOLDER:
        assert "placeholder" in build_site.launch_links("00_start_here.ipynb", build_site.PLACEHOLDER)


# --- in Chromium ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    import e2e_helpers as e2e

    e2e.require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = e2e.launch_browser(p)
        yield b
        b.close()


CHECK_JS = """() => {
    const imgs = [...document.querySelectorAll('.cell_output img')].filter(i => /\\.svg($|\\?)/.test(i.src));
    const vega = [...document.querySelectorAll('.vega-chart, .vega-embed')];
    return {
        svg_charts: imgs.length,
        svg_loaded: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
        vega_charts: vega.length,
        vega_drawn: vega.filter(v => v.querySelector('svg .role-mark, canvas')).length,
        vega_marks: vega.map(v => v.querySelectorAll('svg .role-mark path, svg .role-mark rect').length),
        folded: document.querySelectorAll('details.hide').length,
        launch: [...document.querySelectorAll('a.launch')].map(a => a.href),
    };
}"""


@pytest.mark.parametrize("page_name", [*(f"notebooks/{s}" for s in NOTEBOOKS), *REFERENCE_PAGES])
def test_page_renders_offline_in_chromium(site, browser, page_name):
    ctx = browser.new_context(viewport={"width": 1280, "height": 1200})
    page = ctx.new_page()
    errors, outside = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r):
        if r.request.url.startswith(("file://", "data:", "blob:", "about:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    try:
        t0 = time.monotonic()
        page.goto((site / f"{page_name}.html").as_uri(), wait_until="load", timeout=60_000)
        if page_name == "catalog":
            page.wait_for_selector("#catalog-bandwidth-chart svg .role-mark", timeout=30_000)
        s = page.evaluate(CHECK_JS)
        print(f"\n{page_name}: {time.monotonic() - t0:.1f} s; {s['svg_loaded']}/{s['svg_charts']} SVG charts, "
              f"{s['vega_drawn']}/{s['vega_charts']} Vega charts, {s['folded']} folded cells")
        assert s["svg_loaded"] == s["svg_charts"], f"{page_name}: {s['svg_charts'] - s['svg_loaded']} chart(s) did not load"
        if page_name.startswith("notebooks/0"):
            stem = page_name.split("/", 1)[1]
            assert s["svg_charts"] >= svg_outputs(stem), f"{page_name}: {s['svg_charts']} charts, notebook has {svg_outputs(stem)}"
            assert s["launch"] and all(h.startswith(LAUNCH_HOSTS) for h in s["launch"]), s["launch"]
        if page_name == "catalog":
            assert s["vega_charts"] == s["vega_drawn"] == 1 and s["vega_marks"][0] > 0, s
        assert not errors, f"{page_name}: JavaScript errors: {errors}"
        assert not outside, f"{page_name}: requests outside the page: {outside[:5]}"
    finally:
        ctx.close()
