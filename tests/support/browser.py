"""Headless Chromium for the page tests: flags that keep it off the network, and a screenshot of a page."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]


def screenshot(url: str, target: Path, profile: Path, height: int = 1500) -> None:
    result = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size=900,{height}",
                             f"--screenshot={target}", url], capture_output=True, text=True, timeout=120)
    assert target.is_file() and target.stat().st_size > 10_000, result.stderr[-2000:]
