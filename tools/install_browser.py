#!/usr/bin/env python3
"""Make the real-browser tests (tests/test_browser.py) runnable. Standard library only.

* Debian's Chromium at /usr/bin/chromium: installed with apt-get when missing and we are
  root on a machine with apt-get (fonts included, so chart labels render).
* The Python ``playwright`` package in *this* interpreter: pip-installed when missing.
  It drives the system Chromium; ``playwright install`` (a browser download) is never run.

Idempotent: when both are present it only checks and exits (well under a second).
It always exits 0. When something cannot be installed it prints one line saying why; the
browser tests then skip, or fail when RUN_BROWSER_TESTS=1 (as in CI).

Usage: .venv/bin/python tools/install_browser.py   (tasks.py test runs it)
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys

CHROMIUM = "/usr/bin/chromium"
APT_PACKAGES = ["chromium", "fonts-liberation", "fonts-dejavu-core"]


def say(msg: str) -> None:
    print(f"install_browser: {msg}", flush=True)


def ensure_chromium() -> bool:
    if os.path.exists(CHROMIUM):
        return True
    apt = shutil.which("apt-get")
    if apt is None:
        say(f"{CHROMIUM} is missing and there is no apt-get: browser tests will be skipped "
            "(install Chromium at that path to run them)")
        return False
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        say(f"{CHROMIUM} is missing and we are not root: browser tests will be skipped "
            f"(run: sudo apt-get install -y {' '.join(APT_PACKAGES)})")
        return False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    say(f"installing {' '.join(APT_PACKAGES)} with apt-get (about a minute)")
    for cmd in ([apt, "update", "-q"], [apt, "install", "-y", "-q", *APT_PACKAGES]):
        r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            last = (r.stderr.strip().splitlines() or ["no output"])[-1]
            say(f"'{' '.join(cmd[1:3])}' failed ({last}): browser tests will be skipped")
            return False
    if not os.path.exists(CHROMIUM):
        say(f"apt-get installed chromium but {CHROMIUM} is still missing: browser tests will be skipped")
        return False
    return True


def ensure_playwright() -> bool:
    if importlib.util.find_spec("playwright") is not None:
        return True
    say("pip-installing playwright (Python package only; it uses the system Chromium)")
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "playwright"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or ["no output"])[-1]
        say(f"pip install playwright failed ({last}): browser tests will be skipped")
        return False
    importlib.invalidate_caches()
    return True


def main() -> int:
    if sys.platform != "linux":
        say(f"not Linux ({sys.platform}): browser tests will be skipped (they use Debian's {CHROMIUM})")
        return 0
    # Chromium first: without it playwright alone is no use, so don't spend time on pip.
    if ensure_chromium():
        ensure_playwright()
    return 0


if __name__ == "__main__":
    sys.exit(main())
