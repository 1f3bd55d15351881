"""Shared code for the real-browser tests (tests/test_browser.py) and benchmarks/bench_browser.py.

A headless JupyterLab server on 127.0.0.1 (random port, token, throw-away config, workspace
and settings dirs, no news or update check, JAX_PLATFORMS=cpu) driven by Debian's Chromium
through Python Playwright (no ``playwright install``). Recipes: ECOSYSTEM.md §3.

The browser resolves no host except 127.0.0.1 (``--host-resolver-rules``), so every chart
must render without network access; outside requests are recorded in ``page.external``.

``E2E_ROOT`` (optional) points the server at another checkout/folder with a ``notebooks/``
directory, to develop the driver against throw-away notebooks.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOT = Path(os.environ.get("E2E_ROOT") or REPO).resolve()
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"
# the repository's Voila template (share/jupyter/nbconvert/templates/workbook) and the voila.json
# that selects it: on the Jupyter data and config paths of every server started here
JUPYTER_DATA = REPO / "share" / "jupyter"
JUPYTER_CONFIG = REPO / "etc" / "jupyter"
CHROME_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--disable-extensions", "--mute-audio",
    # offline: nothing but the local server resolves (charts must not need a CDN)
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
# The current notebook panel, or null while JupyterLab is still starting: ``window.jupyterapp``
# appears only once the app has been created (expose_app_in_browser), and ``shell`` after
# that. Every script below reads the app through this guard and treats null as "not yet".
NB_JS = "(window.jupyterapp && window.jupyterapp.shell ? window.jupyterapp.shell.currentWidget : null)"
LAB_SCOPE = ".jp-NotebookPanel .jp-Notebook"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
STDERR_MIME = "application/vnd.jupyter.stderr"
# Rendered chart elements: alt.JupyterChart / html renderer (vega-embed), svg and png renderers.
CHART_SEL = ".vega-embed, .jp-RenderedSVG, .jp-RenderedImage"


def notebooks() -> list[str]:
    """Notebook paths relative to ROOT, as they exist at collection time."""
    return [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "notebooks").glob("*.ipynb"))]


def require_browser() -> None:
    """Skip the calling test (fail it under ``RUN_BROWSER_TESTS=1``) when the browser tests cannot run."""
    import pytest

    reason = missing_browser_reason()
    if reason:
        if os.environ.get("RUN_BROWSER_TESTS") == "1":
            pytest.fail(f"RUN_BROWSER_TESTS=1 but {reason}", pytrace=False)
        pytest.skip(f"browser tests skipped: {reason} (set RUN_BROWSER_TESTS=1 to make this a failure)")


def missing_browser_reason() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} not found (python3 tools/install_browser.py, as root, installs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return f"Python package playwright is not importable in {sys.executable} (pip install playwright)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """``jupyter lab`` on a random loopback port; ``with LabServer(tmp) as lab: lab.url(...)``."""

    def __init__(self, tmp: Path, root: Path = ROOT, start_timeout: float = 120.0):
        self.tmp, self.root, self.start_timeout = Path(tmp), root, start_timeout
        self.token = "e2e-" + os.urandom(8).hex()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.started_in = None

    def env(self) -> dict:
        t = self.tmp
        settings = t / "settings"
        # render every cell (no virtual scrolling), so off-screen outputs are in the DOM
        tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
        tracker.parent.mkdir(parents=True, exist_ok=True)
        tracker.write_text(json.dumps({"windowingMode": "none"}))
        # never write the executed notebook back into the repository (and no "File Changed" dialog
        # when someone regenerates a notebook on disk during a run)
        docmanager = settings / "@jupyterlab" / "docmanager-extension" / "plugin.jupyterlab-settings"
        docmanager.parent.mkdir(parents=True, exist_ok=True)
        docmanager.write_text(json.dumps({"autosave": False}))
        apputils = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        apputils.parent.mkdir(parents=True, exist_ok=True)
        apputils.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
        env = dict(os.environ, JUPYTER_CONFIG_DIR=str(t / "cfg"), JUPYTER_RUNTIME_DIR=str(t / "rt"),
                   JUPYTERLAB_WORKSPACES_DIR=str(t / "ws"), JUPYTERLAB_SETTINGS_DIR=str(settings),
                   JAX_PLATFORMS="cpu", PYTHONUNBUFFERED="1")
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        # Voila's "workbook" template (answers and checks folded), as tasks.py env() and binder/start
        for name, first in (("JUPYTER_PATH", JUPYTER_DATA), ("JUPYTER_CONFIG_PATH", JUPYTER_CONFIG)):
            rest = [p for p in env.get(name, "").split(os.pathsep) if p and p != str(first)]
            env[name] = os.pathsep.join([str(first), *rest])
        return env

    def start(self) -> "LabServer":
        self.tmp.mkdir(parents=True, exist_ok=True)
        jupyter = Path(sys.executable).parent / "jupyter"
        cmd = [str(jupyter), "lab", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={self.port}",
               f"--ServerApp.root_dir={self.root}", f"--IdentityProvider.token={self.token}",
               "--LabApp.news_url=None", "--LabApp.expose_app_in_browser=True",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--ServerApp.port_retries=0"]
        self.log_path = self.tmp / "lab.log"
        self._log = open(self.log_path, "w")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=self.env(), stdout=self._log, stderr=subprocess.STDOUT)
        while time.monotonic() - t0 < self.start_timeout:
            if self.proc.poll() is not None:
                break
            try:
                self.api("GET", "/api/status")
                self.started_in = time.monotonic() - t0
                return self
            except OSError:
                time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"JupyterLab did not start in {self.start_timeout:.0f} s:\n{self.log_tail()}")

    def api(self, method: str, path: str):
        req = urllib.request.Request(f"{self.base}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base}{path}{sep}token={self.token}"

    def shutdown_kernels(self) -> None:
        """Free the CPU between notebooks (2-core CI): delete every session and kernel."""
        try:
            for s in self.api("GET", "/api/sessions") or []:
                self.api("DELETE", f"/api/sessions/{s['id']}")
            for k in self.api("GET", "/api/kernels") or []:
                self.api("DELETE", f"/api/kernels/{k['id']}")
        except OSError:
            pass

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if getattr(self, "_log", None):
            self._log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS)


def new_page(browser, width: int = 1280, height: int = 1600):
    """A page in a fresh context that records page errors and attempted outside requests."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.errors, page.external = [], []
    page.on("pageerror", lambda e: page.errors.append(str(e)))

    def on_request(req):
        if not req.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")):
            page.external.append(req.url)

    page.on("request", on_request)
    return page


def close_page(page) -> None:
    try:
        page.context.close()
    except Exception:
        pass


# ---------------------------------------------------------------- JupyterLab notebook driving

def open_notebook(page, lab: LabServer, nb_path: str, timeout_ms: int = 120_000) -> None:
    page.goto(lab.url(f"/lab/tree/{nb_path}?reset"), timeout=timeout_ms)
    page.wait_for_function(
        f"""() => {{ const nb = {NB_JS};
            return !!(nb && nb.context && nb.context.path === {json.dumps(nb_path)} && nb.content
                && nb.sessionContext?.session?.kernel?.status === 'idle'); }}""",
        timeout=timeout_ms, polling=250)


def menu(page, top: str, item: str) -> None:
    page.click(f"#jp-MainMenu >> text={top}")
    page.click(f".lm-Menu-content >> text={item}")


# State of the notebook in one evaluate: cells done, kernel idle, errors so far.
STATE_JS = f"""() => {{
    const nb = {NB_JS};
    if (!nb || !nb.content || !nb.node)
        return {{total: -1, done: 0, running: 0, kernel: undefined, errors: []}};
    const cells = nb.content.widgets.filter(c => c.model.type === 'code');
    const prompts = [...nb.node.querySelectorAll('.jp-InputPrompt')].map(p => p.textContent);
    const errors = [...nb.node.querySelectorAll('.jp-OutputArea-output[data-mime-type="{STDERR_MIME}"]')]
        .map(e => e.textContent).filter(t => t.includes('Traceback') || /Error/.test(t));
    return {{
        total: cells.length,
        done: cells.filter(c => c.model.executionCount !== null).length,
        running: prompts.filter(t => t.includes('*')).length,
        kernel: nb.sessionContext?.session?.kernel?.status,
        errors: errors.map(t => t.slice(-1500)),
    }};
}}"""


class NotebookError(AssertionError):
    pass


def run_all(page, timeout_s: float = 240.0) -> float:
    """Clear outputs, Run > Run All Cells, wait until every code cell ran and the kernel is idle.

    Fails at once on a traceback in an output (Run All stops there, so waiting is pointless).
    Returns the seconds from the click to completion."""
    menu(page, "Edit", "Clear Outputs of All Cells")
    page.wait_for_function(f"() => {{ const nb = {NB_JS}; return !!(nb && nb.content) && nb.content.widgets"
                           f".every(c => c.model.type !== 'code' || c.model.executionCount === null); }}",
                           timeout=30_000, polling=250)
    menu(page, "Run", "Run All Cells")
    return run_all_wait(page, timeout_s)


def run_all_wait(page, timeout_s: float = 240.0) -> float:
    """Wait until every code cell ran and the kernel is idle (see run_all); returns seconds."""
    t0 = time.monotonic()
    stable = 0
    while True:
        s = page.evaluate(STATE_JS)
        if s["errors"]:
            raise NotebookError("error output while running the notebook:\n" + "\n---\n".join(s["errors"]))
        ok = s["done"] == s["total"] and s["running"] == 0 and s["kernel"] == "idle"
        stable = stable + 1 if ok else 0
        if stable >= 3:  # idle for ~0.75 s: not just the gap between two cells
            return time.monotonic() - t0
        if time.monotonic() - t0 > timeout_s:
            raise TimeoutError(f"Run All did not finish in {timeout_s:.0f} s (state {s})")
        page.wait_for_timeout(250)


def model_outputs(page) -> dict:
    """What the kernel sent, from the notebook model: counts of Altair outputs and widget views."""
    return page.evaluate(f"""() => {{
        const out = {{altair_static: 0, vegalite_mime: 0, widgets: 0, html_vega: 0}};
        const nb = {NB_JS};
        for (const cell of (nb && nb.content ? nb.content.widgets : [])) {{
            if (cell.model.type !== 'code') continue;
            for (const o of cell.model.outputs.toJSON()) {{
                const d = o.data || {{}};
                const plain = String(d['text/plain'] || '');
                if (('image/svg+xml' in d || 'image/png' in d) && /^alt\\./.test(plain)) out.altair_static++;
                if (Object.keys(d).some(k => k.startsWith('application/vnd.vegalite'))) out.vegalite_mime++;
                if ('text/html' in d && String(d['text/html']).includes('vegaEmbed')) out.html_vega++;
                if ('{WIDGET_MIME}' in d) out.widgets++;
            }}
        }}
        return out;
    }}""")


# ---------------------------------------------------------------- checks (JupyterLab and Voila)

def wait_rendered(page, scope: str, timeout_s: float = 90.0, min_widgets: int = 0) -> dict:
    """Wait until every widget view and chart under ``scope`` has drawn, return what is there.

    A widget view has drawn when its output node holds ``.jupyter-widgets``/``.widget-*``
    elements and no "Loading widget..." placeholder; a chart when its canvas has non-blank
    pixels, its inline SVG has Vega marks, or its <img> has loaded."""
    js = f"""(scope) => {{
        const root = document.querySelector(scope) || document.body;
        // a widget view's output node is the renderer panel itself (no data-mime-type attribute)
        const widgetOuts = [...root.querySelectorAll('.jp-OutputArea-output.lm-Panel, '
            + '.jp-OutputArea-output[data-mime-type="{WIDGET_MIME}"]')];
        const widgetText = widgetOuts.map(w => w.textContent).join('\\n');
        const widgetsOk = widgetOuts.filter(w => w.querySelector('.jupyter-widgets, [class*="widget-"]')).length;
        const charts = [...root.querySelectorAll('{CHART_SEL}')];
        // a Vega SVG has drawn marks when some data-mark item (not axis/legend) has an area:
        // a bar of zero width (e.g. a log-scale bar chart whose scale collapsed) does not count
        const visibleMarks = (svg) => {{
            const items = [...svg.querySelectorAll('.role-mark [role="graphics-symbol"], .role-mark path, .role-mark circle, .role-mark rect')];
            if (!svg.querySelector('.role-mark')) return svg.querySelectorAll('path, rect, circle, image').length > 0;
            return items.some(el => {{
                try {{
                    const b = el.getBBox(), bar = el.getAttribute('aria-roledescription') === 'bar';
                    return bar ? (b.width > 0.5 && b.height > 0.5) : (b.width > 0.5 || b.height > 0.5);
                }} catch (e) {{ return true; }}
            }});
        }};
        const drawn = charts.map(ch => {{
            const canvas = ch.querySelector('canvas');
            if (canvas && canvas.width > 0 && canvas.height > 0) {{
                try {{
                    const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
                    for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) return true;
                }} catch (e) {{ return true; }}
                return false;
            }}
            const svg = ch.querySelector('svg');
            if (svg) return visibleMarks(svg);
            const img = ch.querySelector('img');
            if (img && img.src.startsWith('data:image/svg+xml')) {{
                const i = img.src.indexOf(',');
                const head = img.src.slice(0, i), body = img.src.slice(i + 1);
                const text = head.endsWith(';base64') ? atob(body) : decodeURIComponent(body);
                const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
                const holder = document.createElement('div');
                holder.style.cssText = 'position:absolute;left:-20000px;top:0;visibility:hidden';
                holder.appendChild(document.importNode(doc.documentElement, true));
                document.body.appendChild(holder);
                try {{ return img.complete && img.naturalWidth > 0 && visibleMarks(holder.firstChild); }}
                finally {{ holder.remove(); }}
            }}
            if (img) return img.complete && img.naturalWidth > 0;
            return false;
        }});
        const texts = [...root.querySelectorAll('.jp-RenderedText, .jp-OutputArea-output')].map(e => e.textContent);
        return {{
            widgets: widgetOuts.length, widgets_ok: widgetsOk,
            loading: /Loading widget/.test(widgetText),
            widget_errors: [...root.querySelectorAll('.jupyter-widgets, .jp-OutputArea-output')]
                .map(e => e.textContent).filter(t => /Error displaying widget|Failed to load model class|JavaScript Error:/.test(t))
                .map(t => t.slice(0, 300)),
            charts: charts.length, charts_drawn: drawn.filter(Boolean).length,
            chart_text_fallbacks: texts.filter(t => /^\\s*alt\\.[A-Za-z]*Chart\\(\\.\\.\\.\\)\\s*$/.test(t)).length,
            sliders: root.querySelectorAll('.widget-slider').length,
        }};
    }}"""
    t0, stable, prev = time.monotonic(), 0, None
    while True:
        s = page.evaluate(js, scope)
        ready = (s["widgets_ok"] == s["widgets"] and not s["loading"] and not s["widget_errors"]
                 and s["charts_drawn"] == s["charts"] and s["widgets"] >= min_widgets)
        # widget views draw their charts asynchronously: wait until the counts stop changing
        stable = stable + 1 if ready and s == prev else 0
        prev = s
        if stable >= 3 or time.monotonic() - t0 > timeout_s:
            return s
        page.wait_for_timeout(300)


def error_texts(page, scope: str) -> list[str]:
    """Error outputs: stderr outputs with a traceback or an error name, and any rendered text
    with a traceback or Voila's "There was an error when executing cell". A handled exception
    *printed* on purpose ("InputError: ..." on stdout, as a teaching example) is not an error;
    see printed_exceptions()."""
    texts = page.evaluate(f"""(scope) => {{
        const root = document.querySelector(scope) || document.body;
        const stderr = [...root.querySelectorAll('.jp-OutputArea-output[data-mime-type="{STDERR_MIME}"]')]
            .map(e => e.textContent).filter(t => /Traceback|Error/.test(t));
        const rendered = [...root.querySelectorAll('.jp-RenderedText')].map(e => e.textContent)
            .filter(t => /Traceback \\(most recent call last\\)|There was an error when executing cell/.test(t));
        return [...new Set([...stderr, ...rendered])];
    }}""", scope)
    return [t[-1500:] for t in texts]


def printed_exceptions(page, scope: str) -> list[str]:
    """Lines like "ValueError: ..." in stdout (reported by the tests, not failed on)."""
    texts = page.evaluate("""(scope) => [...(document.querySelector(scope) || document.body)
        .querySelectorAll('.jp-RenderedText')].map(e => e.textContent)""", scope)
    return [m.group(0)[:200] for t in texts for m in re.finditer(r"^\s*\w*(Error|Exception)\b.*$", t, re.M)]


def stderr_texts(page, scope: str) -> list[str]:
    return page.evaluate(f"""(scope) => [...(document.querySelector(scope) || document.body)
        .querySelectorAll('.jp-OutputArea-output[data-mime-type="{STDERR_MIME}"]')].map(e => e.textContent)""", scope)


def digest(locator, page, tries: int = 40) -> str:
    """sha1 of an element's pixels; retries while an output area is being re-rendered."""
    last = None
    for _ in range(tries):
        try:
            return hashlib.sha1(locator.screenshot(timeout=3_000, animations="disabled")).hexdigest()
        except Exception as e:  # detached / not visible during a re-render
            last = e
            page.wait_for_timeout(250)
    raise AssertionError(f"could not screenshot the chart: {last}")


def slider_and_chart(page, scope: str):
    """The first slider, and the charts to watch: those in the same output area, else all."""
    slider = page.locator(f"{scope} .widget-slider").first
    area = slider.locator("xpath=ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' jp-OutputArea ')][1]")
    charts = area.locator(CHART_SEL)
    if area.count() == 0 or charts.count() == 0:
        charts = page.locator(f"{scope} :is({CHART_SEL})")
    return slider, charts


def charts_digest(charts, page) -> str:
    return "|".join(digest(charts.nth(i), page) for i in range(charts.count()))


def move_slider(page, slider) -> str:
    """Move a slider as a person would: type into its editable readout (numeric sliders), or
    press an arrow key on its handle (a SelectionSlider's readout shows an option label, and
    its handle's aria value is the option index, so typing a number would mean another thing).
    Returns what was done."""
    slider.scroll_into_view_if_needed()
    readout = slider.locator(".widget-readout").first
    handle = slider.locator(".noUi-handle").first
    now = float(handle.get_attribute("aria-valuenow") or 0)
    lo = float(handle.get_attribute("aria-valuemin") or 0)
    hi = float(handle.get_attribute("aria-valuemax") or 1)
    shown = readout.inner_text().strip() if readout.count() else ""
    try:
        numeric = abs(float(shown.replace(",", "")) - now) <= 1e-3 * max(1.0, abs(now))
    except ValueError:
        numeric = False
    if numeric and readout.get_attribute("contenteditable") == "true":
        mid = lo + 0.5 * (hi - lo)
        target = mid if abs(now - mid) > 1e-6 * max(1.0, abs(hi)) else hi
        text = str(int(target)) if float(target).is_integer() else f"{target:.4g}"
        readout.click()
        page.keyboard.press("Control+A")
        page.keyboard.type(text)
        page.keyboard.press("Enter")
        return f"typed {text} into the readout (was {shown})"
    handle.focus()
    key = "ArrowRight" if now < hi else "ArrowLeft"
    page.keyboard.press(key)
    return f"pressed {key} on the handle (was {shown or now})"


def chart_follows_slider(page, scope: str, tries: int = 60) -> str:
    """Move the first slider, assert the watched chart pixels change. Returns a note."""
    slider, charts = slider_and_chart(page, scope)
    before = charts_digest(charts, page)
    how = move_slider(page, slider)
    for _ in range(tries):
        page.wait_for_timeout(250)
        if charts_digest(charts, page) != before:
            return how
    raise AssertionError(f"the chart did not change after the first slider moved ({how})")


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    page.screenshot(path=str(path))
    return path
