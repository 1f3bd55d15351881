"""The notebooks in a real browser: Debian's Chromium driven by Python Playwright.

For every ``notebooks/*.ipynb`` (whatever exists at collection time), in JupyterLab: open it,
clear outputs, Run > Run All Cells, wait for the kernel, then check in the page that there is
no error output, every widget view and every Altair chart has drawn (with no network: the
browser resolves only 127.0.0.1), and that moving the first slider changes the chart's pixels.
One more test renders 00_start_here as a Voila dashboard (``/voila/render/...``, same server).
Screenshots go to ``test-artifacts/``.

Needs /usr/bin/chromium and the ``playwright`` package (``python3 tools/install_browser.py``;
never ``playwright install``). Without them these tests skip, unless RUN_BROWSER_TESTS=1
(CI), where a missing browser is a failure. A timeout is retried once (nbclient and widget
comms occasionally stall, ECOSYSTEM.md §6).
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
ATTEMPTS = 2  # one retry, on timeouts only

@pytest.fixture(scope="module")
def pw():
    reason = e2e.missing_browser_reason()
    if reason:
        if os.environ.get("RUN_BROWSER_TESTS") == "1":
            pytest.fail(f"RUN_BROWSER_TESTS=1 but {reason}", pytrace=False)
        pytest.skip(f"browser tests skipped: {reason} (set RUN_BROWSER_TESTS=1 to make this a failure)")
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


def _is_timeout(exc: BaseException) -> bool:
    from playwright.sync_api import TimeoutError as PWTimeout

    return isinstance(exc, (TimeoutError, PWTimeout))


def with_retry(lab, browser, name, body):
    """Run ``body(page)`` on a fresh page; on a timeout shut the kernels down and try once more."""
    for attempt in range(1, ATTEMPTS + 1):
        page = e2e.new_page(browser)
        try:
            return body(page)
        except Exception as exc:
            shot = e2e.screenshot(page, f"{name}-FAILED-attempt{attempt}")
            if attempt < ATTEMPTS and _is_timeout(exc):
                print(f"\n{name}: timeout on attempt {attempt}, retrying once ({exc}); screenshot {shot}")
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
        note = "no slider"
        if s["sliders"]:
            note = e2e.chart_follows_slider(page, "body")
        shot = e2e.screenshot(page, "voila-" + VOILA_NOTEBOOK.rsplit("/", 1)[-1].removesuffix(".ipynb"))
        print(f"\nvoila {VOILA_NOTEBOOK}: {time.monotonic() - t0:.1f} s; {s['widgets']} widget views, "
              f"{s['charts']} charts; slider: {note}; outside requests (blocked): {page.external[:3]}; "
              f"screenshot {shot.relative_to(e2e.REPO)}")

    with_retry(lab, browser, "voila", body)
