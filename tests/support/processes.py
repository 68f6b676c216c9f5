"""Waiting for a server the tests started (Mayan, SeaweedFS, Redis, naskah serve) to answer."""
from __future__ import annotations

import time
import urllib.error
from typing import Callable


def wait_until_serving(process, answers: Callable[[], bool], *, name: str, timeout: float,
                       log: Callable[[], str] = lambda: "", stop: Callable[[], object] | None = None) -> None:
    """Poll ``answers()`` until it returns anything but False (an OSError or URLError means not yet); a process that exits first or a
    server silent past ``timeout`` seconds is an error that shows the end of its log (``stop`` runs first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log()[-3000:]}")
        try:
            if answers() is not False:
                return
        except (OSError, urllib.error.URLError):  # requests' ConnectionError is an OSError too
            pass
        time.sleep(0.2)
    if stop is not None:
        stop()
    raise RuntimeError(f"{name} did not answer within {timeout:g} s:\n{log()[-3000:]}")
