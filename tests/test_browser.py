"""The notebooks in a real browser: Debian's Chromium driven by Python Playwright.

For every ``notebooks/*.ipynb`` (whatever exists at collection time), in JupyterLab: open it,
clear outputs, Run > Run All Cells, wait for the kernel, then check in the page that there is
no error output, every widget view and every Altair chart has drawn (with no network: the
browser resolves only 127.0.0.1), and that moving the first slider changes the chart's pixels.
One more test renders 00_start_here as a Voila dashboard (``/voila/render/...``, same server)
and checks that its exercise answers are folded (the repository's ``workbook`` Voila template).
Screenshots go to ``test-artifacts/``.

Needs /usr/bin/chromium and the ``playwright`` package (``python3 tools/install_browser.py``;
never ``playwright install``). Without them these tests skip, unless RUN_BROWSER_TESTS=1
(CI), where a missing browser is a failure. A transient browser error -- a timeout (nbclient
and widget comms occasionally stall, ECOSYSTEM.md §6), any other Playwright error (a script
that ran while JupyterLab was still starting, a navigation that failed) or a dropped
connection -- is retried once on a fresh page; a failed check or an error in a notebook is not.
Run alone: .venv/bin/python -m pytest tests/test_browser.py -p no:cacheprovider -v -s
"""

from __future__ import annotations

import os
import time

import pytest

import e2e_helpers as e2e

NOTEBOOKS = e2e.notebooks()
VOILA_NOTEBOOK = "notebooks/00_start_here.ipynb"
LAB_SCOPE = e2e.LAB_SCOPE
RUN_ALL_TIMEOUT_S = float(os.environ.get("E2E_RUN_ALL_TIMEOUT", "240"))
ATTEMPTS = 2  # one retry, on transient browser errors only

@pytest.fixture(scope="module")
def pw():
    e2e.require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(pw):
    b = e2e.launch_browser(pw)
    yield b
    b.close()


@pytest.fixture(scope="module")
def lab(pw, tmp_path_factory):
    server = e2e.LabServer(tmp_path_factory.mktemp("lab"))
    server.start()
    print(f"\nJupyterLab up in {server.started_in:.1f} s at {server.base}")
    yield server
    server.stop()


def is_transient(exc: BaseException) -> bool:
    """A browser or connection hiccup worth one more try: a timeout, any Playwright error, a
    dropped connection. Not a failed check (AssertionError, which NotebookError is too)."""
    from playwright.sync_api import Error as PWError

    if isinstance(exc, AssertionError):
        return False
    return isinstance(exc, (TimeoutError, PWError, ConnectionError, OSError))


def with_retry(lab, browser, name, body):
    """Run ``body(page)`` on a fresh page; on a transient error shut the kernels down and try once more."""
    for attempt in range(1, ATTEMPTS + 1):
        page = e2e.new_page(browser)
        try:
            return body(page)
        except Exception as exc:
            try:
                shot = e2e.screenshot(page, f"{name}-FAILED-attempt{attempt}")
            except Exception as shot_exc:  # a crashed page cannot be photographed
                shot = f"(none: {type(shot_exc).__name__})"
            if attempt < ATTEMPTS and is_transient(exc):
                print(f"\n{name}: {type(exc).__name__} on attempt {attempt}, retrying once "
                      f"({' '.join(str(exc).split())[:300]}); screenshot {shot}")
                continue
            log = lab.log_tail()
            raise AssertionError(f"{name}: {exc}\nscreenshot: {shot}\n--- server log tail ---\n{log}") from exc
        finally:
            e2e.close_page(page)
            lab.shutdown_kernels()


def check_rendered(page, scope: str, what: str, min_widgets: int = 0) -> dict:
    s = e2e.wait_rendered(page, scope, min_widgets=min_widgets)
    errors = e2e.error_texts(page, scope)
    assert not errors, f"{what}: error output:\n" + "\n---\n".join(errors)
    assert not s["widget_errors"], f"{what}: widgets failed to render: {s['widget_errors']}"
    assert not s["loading"], f"{what}: a widget is still 'Loading widget...' ({s})"
    assert s["widgets_ok"] == s["widgets"], f"{what}: {s['widgets'] - s['widgets_ok']} widget view(s) empty ({s})"
    assert s["charts_drawn"] == s["charts"], f"{what}: {s['charts'] - s['charts_drawn']} chart(s) not drawn ({s})"
    assert s["chart_text_fallbacks"] == 0, (
        f"{what}: {s['chart_text_fallbacks']} Altair chart(s) shown as text only; enable the 'svg' "
        "renderer or alt.JupyterChart.enable_offline() (ECOSYSTEM.md §2)")
    assert not page.errors, f"{what}: JavaScript errors in the page: {page.errors}"
    return s


@pytest.mark.parametrize("nb", NOTEBOOKS)
def test_notebook_in_jupyterlab(nb, lab, browser):
    name = "lab-" + nb.rsplit("/", 1)[-1].removesuffix(".ipynb")

    def body(page):
        t0 = time.monotonic()
        e2e.open_notebook(page, lab, nb)
        opened = time.monotonic() - t0
        ran = e2e.run_all(page, timeout_s=RUN_ALL_TIMEOUT_S)
        sent = e2e.model_outputs(page)
        assert sent["vegalite_mime"] == 0, (
            "Altair's 'mimetype' renderer emits application/vnd.vegalite.v6.json, which JupyterLab "
            "does not render: use alt.renderers.enable('svg') (ECOSYSTEM.md §2)")
        s = check_rendered(page, LAB_SCOPE, nb, min_widgets=sent["widgets"])
        assert s["widgets"] == sent["widgets"], f"{nb}: {sent['widgets']} widget outputs sent, {s['widgets']} in the page"
        # every Altair chart the kernel sent has an element in the page
        assert s["charts"] >= sent["altair_static"] + sent["html_vega"], f"{nb}: charts missing ({s}, sent {sent})"
        assert not page.external, f"{nb}: the page tried to reach the network: {page.external[:5]}"
        note = "no slider in this notebook"
        if s["sliders"]:
            assert s["charts"], f"{nb}: has a slider but no chart to follow it"
            note = e2e.chart_follows_slider(page, LAB_SCOPE)
        shot = e2e.screenshot(page, name)
        stderr = e2e.stderr_texts(page, LAB_SCOPE) + e2e.printed_exceptions(page, LAB_SCOPE)
        print(f"\n{nb}: open {opened:.1f} s, run all {ran:.1f} s, total {time.monotonic() - t0:.1f} s; "
              f"{s['widgets']} widget views, {s['charts']} charts, {s['sliders']} sliders; slider: {note}; "
              f"screenshot {shot.relative_to(e2e.REPO)}" + (f"; stderr/printed exceptions (not failures): {stderr}" if stderr else ""))

    with_retry(lab, browser, name, body)


def test_voila_dashboard(lab, browser):
    if not (e2e.ROOT / VOILA_NOTEBOOK).exists():
        pytest.skip(f"{VOILA_NOTEBOOK} does not exist yet")
    try:
        import voila  # noqa: F401
    except ImportError:
        pytest.fail("voila is not installed (it is in the 'notebooks' extra: pip install -e .[notebooks])")

    def body(page):
        t0 = time.monotonic()
        page.goto(lab.url(f"/voila/render/{VOILA_NOTEBOOK}"), timeout=240_000, wait_until="load")
        # Voila streams the executed cells, then its kernel connects and the widgets render
        page.wait_for_function("() => document.querySelectorAll('.jp-OutputArea-output').length > 0 "
                               "&& !document.querySelector('#loading:not([style*=\"none\"])')",
                               timeout=240_000, polling=500)
        s = check_rendered(page, "body", "voila")
        assert s["charts"] > 0 or s["widgets"] > 0, f"voila: nothing rendered ({s})"
        folded = check_folded(page, e2e.ROOT / VOILA_NOTEBOOK)
        note = "no slider"
        if s["sliders"]:
            note = e2e.chart_follows_slider(page, "body")
        shot = e2e.screenshot(page, "voila-" + VOILA_NOTEBOOK.rsplit("/", 1)[-1].removesuffix(".ipynb"))
        print(f"\nvoila {VOILA_NOTEBOOK}: {time.monotonic() - t0:.1f} s; {s['widgets']} widget views, "
              f"{s['charts']} charts; slider: {note}; folded: {folded}; outside requests (blocked): {page.external[:3]}; "
              f"screenshot {shot.relative_to(e2e.REPO)}")

    with_retry(lab, browser, "voila", body)


FOLDED_JS = """() => [...document.querySelectorAll('.celltag_solution, .celltag_checks')].map(cell => {
    const fold = cell.closest('details.workbook-fold');
    const out = [...cell.querySelectorAll('.jp-OutputArea-output')];
    return {
        tag: cell.classList.contains('celltag_solution') ? 'solution' : 'checks',
        fold: fold ? fold.className : null,
        open: fold ? fold.open : null,
        summary: fold ? fold.querySelector(':scope > summary').textContent.trim() : null,
        text: out.map(o => o.textContent.trim()).filter(Boolean).join('\\n'),
        // a closed <details> keeps its content laid out but not rendered (content-visibility)
        shown: out.some(o => o.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true})),
    };
})"""


def tagged_cells_with_output(nb_path) -> dict:
    """How many code cells tagged solution / checks have an output in the committed notebook."""
    import json

    counts = {"solution": 0, "checks": 0}
    for cell in json.loads(nb_path.read_text())["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        for tag in counts:
            if cell["cell_type"] == "code" and tag in tags and cell.get("outputs"):
                counts[tag] += 1
    return counts


def check_folded(page, nb_path) -> str:
    """Every output of a solution/checks cell is in a closed <details> and not on the page
    (neither rendered nor in the page's visible text), yet the cell ran (its output is in the
    DOM); opening "Show answer" shows it. Returns a note."""
    assert page.locator('link[href*="/voila/templates/workbook/static/"]').count() > 0, (
        "voila: the page is not rendered with the repository's 'workbook' template (answers would show): "
        "share/jupyter on JUPYTER_PATH and etc/jupyter (voila.json) on JUPYTER_CONFIG_PATH?")
    cells = [c for c in page.evaluate(FOLDED_JS) if c["text"]]
    want = tagged_cells_with_output(nb_path)
    if not want["solution"]:
        # E2E_ROOT may point at throw-away notebooks; the workbook's own must keep an exercise here
        assert e2e.ROOT != e2e.REPO, f"{nb_path.name} has no solution cell with an output: set VOILA_NOTEBOOK to one that has"
        return "no solution cell to fold"
    got = {tag: sum(c["tag"] == tag for c in cells) for tag in want}
    assert got["solution"] == want["solution"], (
        f"voila: {want['solution']} solution cell(s) with output in {nb_path.name}, {got['solution']} ran in the "
        f"dashboard ({cells})")
    visible = page.inner_text("body")
    for c in cells:
        assert c["fold"] and c["open"] is False and not c["shown"], f"voila: a {c['tag']} cell's output is not folded: {c}"
        assert c["text"].splitlines()[0] not in visible, f"voila: a {c['tag']} cell's output is visible: {c['text'][:200]}"
    answer = page.locator("details.workbook-solution").first
    answer.locator(":scope > summary").click()
    first = next(c for c in cells if c["tag"] == "solution")["text"].splitlines()[0]
    page.wait_for_function("(t) => document.body.innerText.includes(t)", arg=first, timeout=10_000)
    assert answer.locator(".jp-OutputArea-output").first.is_visible()
    return (f"{got['solution']} answer(s), {got['checks']} check output(s) folded; "
            f"'{cells[0]['summary']}' opens '{first[:40]}'")


# --- the driver itself (no browser needed) ---------------------------------------------------


def test_every_script_reads_the_app_through_the_guard():
    """JupyterLab creates ``window.jupyterapp`` some time after the page loads: a script that
    dereferences it unguarded throws instead of waiting (a flaky TypeError ... 'shell')."""
    import inspect

    source = inspect.getsource(e2e)
    assert "window.jupyterapp.shell.currentWidget" not in source.replace(e2e.NB_JS, "")
    assert e2e.NB_JS.startswith("(window.jupyterapp && window.jupyterapp.shell ?")


def test_transient_errors_are_retried_once_and_failed_checks_not(monkeypatch):
    pytest.importorskip("playwright.sync_api")
    from playwright.sync_api import Error as PWError

    class FakeLab:
        def shutdown_kernels(self):
            pass

        def log_tail(self):
            return ""

    monkeypatch.setattr(e2e, "new_page", lambda browser: object())
    monkeypatch.setattr(e2e, "close_page", lambda page: None)
    monkeypatch.setattr(e2e, "screenshot", lambda page, name: "shot.png")
    calls = []

    def flaky(page):
        calls.append(1)
        if len(calls) == 1:
            raise PWError("TypeError: Cannot read properties of undefined (reading 'shell')")
        return "ok"

    assert with_retry(FakeLab(), None, "driver-self-test", flaky) == "ok" and len(calls) == 2

    def failing_check(page):
        calls.append(1)
        raise AssertionError("chart missing")

    calls.clear()
    with pytest.raises(AssertionError, match="chart missing"):
        with_retry(FakeLab(), None, "driver-self-test", failing_check)
    assert len(calls) == 1

    def always_times_out(page):
        calls.append(1)
        raise TimeoutError("stalled")

    calls.clear()
    with pytest.raises(AssertionError, match="stalled"):
        with_retry(FakeLab(), None, "driver-self-test", always_times_out)
    assert len(calls) == ATTEMPTS == 2


def test_every_script_the_driver_sends_is_valid_javascript(tmp_path):
    """Each script is parsed by Node (when installed) before a browser ever sees it: a syntax
    error there fails every notebook at once, and a retry cannot help."""
    import json
    import shutil
    import subprocess

    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("node is not installed")
    scripts = []
    rendered = {"widgets": 0, "widgets_ok": 0, "loading": False, "widget_errors": [], "charts": 0,
                "charts_drawn": 0, "chart_text_fallbacks": 0, "sliders": 0}

    class FakePage:
        def goto(self, *a, **k):
            pass

        def click(self, *a, **k):
            pass

        def wait_for_timeout(self, *a):
            pass

        def wait_for_function(self, js, *a, **k):
            scripts.append(js)

        def evaluate(self, js, *a):
            scripts.append(js)
            if js == e2e.STATE_JS:
                return {"total": 1, "done": 1, "running": 0, "kernel": "idle", "errors": []}
            return rendered if "widgets_ok" in js else {}

    class FakeLab:
        def url(self, path):
            return path

    page = FakePage()
    e2e.open_notebook(page, FakeLab(), "notebooks/x.ipynb")
    e2e.run_all(page, timeout_s=1)
    e2e.model_outputs(page)
    e2e.wait_rendered(page, e2e.LAB_SCOPE, timeout_s=0)
    scripts.append(FOLDED_JS)
    checker = tmp_path / "check.js"
    checker.write_text("const fs = require('fs'); for (const s of JSON.parse(fs.readFileSync(0, 'utf8'))) "
                       "{ new Function('return (' + s + ')'); }")
    r = subprocess.run([node, str(checker)], input=json.dumps(scripts), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert len(scripts) >= 5
