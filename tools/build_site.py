#!/usr/bin/env python3
"""Build the workbook's static website into ``site/`` from the EXECUTED notebooks.

    python3 tasks.py site                    # install if needed, then this
    .venv/bin/python tools/build_site.py     # the same, in the venv
    .venv/bin/python tools/build_site.py --out /tmp/site

Nothing is executed and nothing is fetched: the pages show the outputs stored in
``notebooks/*.ipynb`` (``tools/build_notebooks.py`` makes them). The build

1. stages ``site_src/`` (Sphinx configuration, home page, CSS) in ``build/site_src/``;
2. copies every executed notebook into ``build/site_src/notebooks/``, adding

   * launch links under the title: Binder (JupyterLab and a Voilà dashboard) and Colab,
     for the repository named by ``WORKBOOK_REPO`` (``owner/name``), else the GitHub
     ``origin`` remote, else the placeholder ``OWNER/REPO`` (see README, "Binder");
   * a "Show answer" / "Show the checks" toggle on the cells tagged ``solution`` / ``checks``
     (MyST-NB's ``hide-cell`` tag: code and output folded together);
   * a note where a cell shows an interactive panel (widget outputs are not stored: they
     need a live kernel, which the launch links give);
3. copies ``notebooks/GLOSSARY.md`` and ``notebooks/TEACHING.md`` beside them;
4. writes ``catalog.md``: every number of ``workbook.catalog`` with its unit, status, source and
   date, generated at build time, and one interactive Vega chart drawn by a local copy of
   vega-embed (``vl_convert.javascript_bundle``: no CDN);
5. runs Sphinx (MyST-NB, sphinx-book-theme) into ``build/site_html/`` and syncs the result to
   ``site/``. Staged files keep their timestamps when unchanged, so a rebuild only re-renders
   what changed.

Open ``site/index.html`` in a browser; it works from disk, offline.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "site_src"
STAGE = ROOT / "build" / "site_src"
DOCTREES = ROOT / "build" / "site_doctrees"
HTML = ROOT / "build" / "site_html" / "html"
OUT = ROOT / "site"
NOTEBOOKS = ROOT / "notebooks"
PLACEHOLDER = "OWNER/REPO"
PAGES = ("GLOSSARY.md", "TEACHING.md")
ANSWER_PROMPTS = {"solution": ("Show answer", "Hide answer"), "checks": ("Show the checks", "Hide the checks")}
WIDGET_NOTE = ("*An interactive panel is shown here when the notebook runs in a live kernel: use a launch link "
               "at the top of the page.*")


def repo_slug() -> str:
    """``owner/name`` of the GitHub repository: ``WORKBOOK_REPO``, else the ``origin`` remote, else the placeholder."""
    slug = os.environ.get("WORKBOOK_REPO", "").strip()
    if slug:
        return slug
    try:
        url = subprocess.run(["git", "remote", "get-url", "origin"], cwd=ROOT, capture_output=True, text=True,
                             timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        url = ""
    m = re.search(r"github\.com[:/]([^/]+/[^/]+?)(?:\.git)?$", url)
    return m.group(1) if m else PLACEHOLDER


def launch_links(notebook: str, slug: str, ref: str = "HEAD") -> str:
    """Markdown launch links for ``notebooks/<notebook>``: Binder (JupyterLab, Voilà) and Colab."""
    path = f"notebooks/{notebook}"
    binder = f"https://mybinder.org/v2/gh/{slug}/{ref}"
    lab = f"{binder}?urlpath={quote('lab/tree/' + path, safe='')}"
    voila = f"{binder}?urlpath={quote('voila/render/' + path, safe='')}"
    colab = f"https://colab.research.google.com/github/{slug}/blob/main/{path}"
    note = " <em>(placeholder repository: see the README, section Binder)</em>" if slug == PLACEHOLDER else ""
    return (f'<div class="launch-links">Run it live: <a class="launch" href="{html.escape(lab)}">Binder · JupyterLab</a>'
            f'<a class="launch" href="{html.escape(voila)}">Binder · Voilà dashboard</a>'
            f'<a class="launch" href="{html.escape(colab)}">Colab</a>{note}<br>'
            f"<small>Colab: run <code>%pip install git+https://github.com/{html.escape(slug)}</code> in a first cell "
            f"(Colab does not install the workbook); Binder installs it from <code>binder/</code>.</small></div>\n")


def write_if_changed(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def copy_if_changed(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if not dst.exists() or dst.read_bytes() != src.read_bytes():
        shutil.copy2(src, dst)


def site_notebook(path: Path, slug: str) -> nbformat.NotebookNode:
    """The notebook as the site shows it: launch links under the title, answers and checks folded."""
    nb = nbformat.read(path, as_version=4)
    links = launch_links(path.name, slug)
    cells = []
    for i, cell in enumerate(nb.cells):
        if i == 0 and cell.cell_type == "markdown":
            lines = cell.source.split("\n")
            head = next((k for k, line in enumerate(lines) if line.startswith("# ")), None)
            if head is not None:  # the page title stays the first heading
                cell.source = "\n".join([*lines[:head + 1], "", links, *lines[head + 1:]])
            else:
                cell.source = links + "\n" + cell.source
        elif i == 0:
            cells.append(nbformat.v4.new_markdown_cell(links))
        tags = list(cell.metadata.get("tags", []))
        for tag, (show, hide) in ANSWER_PROMPTS.items():
            if cell.cell_type == "code" and tag in tags:
                if "hide-cell" not in tags:
                    tags.append("hide-cell")
                cell.metadata["mystnb"] = {"code_prompt_show": show, "code_prompt_hide": hide}
        if tags:
            cell.metadata["tags"] = tags
        cells.append(cell)
        if cell.cell_type == "code" and not cell.outputs and cell.execution_count is None and cell.source.strip():
            cells.append(nbformat.v4.new_markdown_cell(WIDGET_NOTE))  # its widget output was not stored
    nb.cells = cells
    nb.metadata.pop("widgets", None)
    return nb


# --- the chip catalog page ----------------------------------------------------------------------

SCALES = {"FLOP/s": ("TFLOP/s", 1e12), "OP/s": ("TOP/s", 1e12), "B/s": ("TB/s", 1e12), "B": ("GB", 1e9),
          "W": ("W", 1.0), "s": ("µs", 1e-6), "USD/chip-hour": ("USD / chip-hour", 1.0), "chips": ("chips", 1.0)}


def shown_number(value, unit: str) -> tuple[str, str]:
    """A catalog number in a readable unit: 9.89e14 FLOP/s -> ('989', 'TFLOP/s')."""
    label, scale = SCALES.get(unit, (unit, 1.0))
    try:
        v = float(value) / scale
    except (TypeError, ValueError):
        return str(value), label
    if v != v:  # NaN
        return "", label
    return (f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.3g}"), label


def cell_text(x) -> str:
    s = "" if x is None or (isinstance(x, float) and x != x) else str(x)
    return html.escape(s)


def catalog_page() -> str:
    """Markdown of the chip-catalog page, from ``workbook.catalog`` at build time."""
    import pandas as pd

    from workbook import catalog
    from workbook.ui import charts

    rows = pd.DataFrame(catalog.chip_table())
    ids = catalog.chip_ids()
    info = {c: catalog.chip_info(c) for c in ids}
    status_colour = dict(zip(charts.STATUS_ORDER, charts.STATUS_COLORS))
    head = ["peak_flops_bf16", "peak_flops_fp8", "memory_capacity", "memory_bandwidth", "price"]
    by = {(r.chip_id, r.quantity): r for r in rows.itertuples()}

    out = ["# Chip catalog", "",
           f"Every number of the workbook's {len(ids)} chips, generated from `workbook.catalog` when this site "
           "was built. Each has a **status** — `vendor-spec` (datasheet), `reported` (third party), `derived` "
           "(computed from other numbers), `vendor-claim` (announced, not verifiable) or `estimate` (ours, with "
           "a range) — a source and a date. Peak FLOP/s are dense (no 2:4 sparsity). In Python: "
           "`workbook.catalog.chip_table()`; on the command line: `workbook chips`.", "",
           "## Headline numbers", "",
           "Cell colour: the number's status, in the colours of the workbook's charts "
           + ", ".join(f'<span style="background:{c};color:{"white" if s in ("vendor-spec", "estimate") else "black"};'
                       f'padding:0 4px">{s}</span>' for s, c in status_colour.items()) + ".", ""]
    table = ['<table class="catalog docutils"><thead><tr><th>chip</th><th>vendor</th><th>availability</th>']
    units = {q: shown_number(1.0, by[(ids[0], q)].unit)[1] if (ids[0], q) in by else "" for q in head}
    names = {"peak_flops_bf16": "BF16", "peak_flops_fp8": "FP8", "memory_capacity": "memory",
             "memory_bandwidth": "bandwidth", "price": "price"}
    table += [f"<th>{names[q]} ({html.escape(units[q])})</th>" for q in head] + ["</tr></thead><tbody>"]
    for c in ids:
        tr = [f'<tr><td><a href="#{c.replace("_", "-")}">{cell_text(info[c].get("name", c))}</a></td>',
              f"<td>{cell_text(info[c].get('vendor'))}</td><td>{cell_text(info[c].get('availability'))}</td>"]
        for q in head:
            r = by.get((c, q))
            if r is None:
                tr.append("<td></td>")
                continue
            text, _ = shown_number(r.value, r.unit)
            colour = status_colour.get(r.status, "#ffffff")
            ink = "white" if r.status in ("vendor-spec", "estimate") else "black"
            tr.append(f'<td style="background:{colour};color:{ink};text-align:right" title="{cell_text(r.status)}: '
                      f'{cell_text(r.source)}">{text}</td>')
        table.append("".join(tr) + "</tr>")
    table.append("</tbody></table>")
    out += ["```{raw} html", *table, "```", ""]

    # one interactive chart, drawn in the page by the local vega-embed bundle
    bw = pd.DataFrame({"name": [info[c].get("name", c) for c in ids],
                       "value": [float(by[(c, "memory_bandwidth")].value) / 1e12 for c in ids],
                       "status": [by[(c, "memory_bandwidth")].status for c in ids]})
    top = bw.sort_values("value").iloc[-1]
    chart = charts.chip_bar_chart(bw, "value", "memory bandwidth per chip (TB/s)", log=True, axis_format="~g",
                                  finding=f"Memory bandwidth spans {bw.value.max() / bw.value.min():,.0f}x across the "
                                          f"catalog, led by {top['name']}",
                                  status_title="status of the bandwidth")
    spec = json.dumps(chart.to_dict(), allow_nan=False).replace("</", "<\\/")
    out += ["## Memory bandwidth, interactive", "",
            "Hover a bar for its value and status. This chart is drawn in your browser by a copy of Vega that ships "
            "with the site (no network needed).", "",
            "```{raw} html",
            '<div id="catalog-bandwidth-chart" class="vega-chart"></div>',
            '<script src="_static/vega-bundle.js"></script>',
            f'<script>vegaEmbed("#catalog-bandwidth-chart", {spec}, {{"actions": false, "renderer": "svg"}})'
            '.catch(e => { document.getElementById("catalog-bandwidth-chart").textContent = "chart failed: " + e; });'
            "</script>",
            "```", ""]

    out += ["## Every number, with its source", ""]
    for c in ids:
        i = info[c]
        out += [f"({c.replace('_', '-')})=", f"### {i.get('name', c)}", "",
                f"`{c}` · {i.get('vendor', '')} · {i.get('availability', '')} · available {i.get('year_available', '')}"
                f" · memory {i.get('memory_type', '')}", ""]
        if i.get("notes"):
            out += [f"{cell_text(i['notes'])}", ""]
        t = ['<table class="catalog docutils"><thead><tr><th>quantity</th><th>value</th><th>range</th><th>unit</th>'
             "<th>status</th><th>source</th><th>date</th><th>note</th></tr></thead><tbody>"]
        for r in rows[rows.chip_id == c].itertuples():
            v, unit = shown_number(r.value, r.unit)
            lo, _ = shown_number(r.low, r.unit)
            hi, _ = shown_number(r.high, r.unit)
            rng = f"{lo} – {hi}" if lo and hi else ""
            t.append(f"<tr><td><code>{r.quantity}</code></td><td style=\"text-align:right\">{v}</td><td>{rng}</td>"
                     f"<td>{html.escape(unit)}</td><td>{cell_text(r.status)}</td><td>{cell_text(r.source)}</td>"
                     f"<td>{cell_text(r.date)}</td><td>{cell_text(r.note)}</td></tr>")
        t.append("</tbody></table>")
        out += ["```{raw} html", *t, "```", ""]
    return "\n".join(out)


def vega_bundle(dest: Path) -> None:
    """vega + vega-lite + vega-embed as one local script (``window.vegaEmbed``), cached per vl-convert version."""
    import vl_convert as vlc

    cache = ROOT / "build" / f"vega-bundle-{vlc.__version__}.js"
    if not cache.exists():
        cache.parent.mkdir(parents=True, exist_ok=True)
        # a classic script (module scripts do not load from file://), in its own scope: its
        # top-level names (``_`` ...) would clash with the theme's globals
        cache.write_text("(function () {\n" + vlc.javascript_bundle() + "\n})();\n", encoding="utf-8")
    copy_if_changed(cache, dest)


def stage(slug: str) -> list[str]:
    """Lay out the Sphinx sources in ``build/site_src``; returns the notebook pages staged."""
    STAGE.mkdir(parents=True, exist_ok=True)
    for src in SRC.rglob("*"):
        if src.is_file() and "__pycache__" not in src.parts:
            copy_if_changed(src, STAGE / src.relative_to(SRC))
    index = (SRC / "index.md").read_text(encoding="utf-8")  # the home page links to notebook 00
    write_if_changed(STAGE / "index.md", index.replace("{{LAUNCH_00}}", launch_links("00_start_here.ipynb", slug)))
    dest = STAGE / "notebooks"
    dest.mkdir(exist_ok=True)
    pages = []
    for path in sorted(NOTEBOOKS.glob("[0-9]*.ipynb")):
        write_if_changed(dest / path.name, nbformat.writes(site_notebook(path, slug)))
        pages.append(path.stem)
    for stale in dest.glob("*.ipynb"):  # a notebook deleted or renamed since the last build
        if stale.stem not in pages:
            stale.unlink()
    for name in PAGES:
        if (NOTEBOOKS / name).exists():
            copy_if_changed(NOTEBOOKS / name, dest / name)
        else:
            write_if_changed(dest / name, f"# {name.removesuffix('.md').title()}\n\n(not written yet)\n")
    write_if_changed(STAGE / "catalog.md", catalog_page())
    vega_bundle(STAGE / "_static" / "vega-bundle.js")
    return pages


def sync(src: Path, dest: Path) -> None:
    """Make ``dest`` a copy of ``src``: changed files copied, files no longer built removed."""
    dest.mkdir(parents=True, exist_ok=True)
    for f in src.rglob("*"):
        if f.is_file():
            copy_if_changed(f, dest / f.relative_to(src))
    for f in sorted(dest.rglob("*"), reverse=True):
        if not (src / f.relative_to(dest)).exists():
            f.unlink() if f.is_file() or f.is_symlink() else f.rmdir()


def build(out: Path = OUT, quiet: bool = True) -> float:
    """Stage and run Sphinx; returns the seconds taken. Raises CalledProcessError on a Sphinx error."""
    t0 = time.perf_counter()
    slug = repo_slug()
    pages = stage(slug)
    # MyST-NB writes output files to <outdir>/../jupyter_execute: keep that under build/
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-d", str(DOCTREES), str(STAGE), str(HTML)]
    if quiet:
        cmd.append("-q")
    subprocess.run(cmd, check=True, cwd=ROOT, env={**os.environ, "JAX_PLATFORMS": "cpu"})
    sync(HTML, out)
    took = time.perf_counter() - t0
    print(f"site: {len(pages)} notebook pages + glossary, teacher's guide, catalog -> {out}/index.html "
          f"in {took:.1f} s (launch links for {slug})", flush=True)
    return took


def main(argv: list[str]) -> int:
    out = OUT
    if "--out" in argv:
        out = Path(argv[argv.index("--out") + 1]).resolve()
    try:
        build(out, quiet="--verbose" not in argv)
    except subprocess.CalledProcessError as exc:
        print(f"site: Sphinx failed (exit {exc.returncode})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
