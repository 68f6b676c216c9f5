"""A pool of warm LibreOffice processes (unoserver), so a conversion costs ~0.2 s instead of ~1.7 s.

Each worker is one ``unoserver`` process (it starts and owns one soffice) on its own loopback ports and
its own user profile, doing one conversion at a time. A conversion that exceeds the timeout, or a
worker that dies, gets the worker killed (with its soffice) and replaced; a worker is also replaced
after ``restart_after`` conversions, so a slow leak in LibreOffice never builds up.

unoserver's server needs ``uno`` (Debian's python3-uno, seen through ``--system-site-packages``);
this client only speaks XML-RPC.
"""
from __future__ import annotations

import http.client
import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import xmlrpc.client
from pathlib import Path

from ..errors import ConversionError
from ..files import PRIVATE_UMASK, private_folder
from ..ports import free_loopback_port

log = logging.getLogger("naskah.convert")

#: unoserver's XML-RPC API version this client speaks (unoserver 3.x).
UNOSERVER_API = "3"
#: The PDF export filter options (PDF/A-2b, bookmarks as named destinations for the signature stamp).
PDF_FILTER_OPTIONS = ["SelectPdfVersion=2", "ExportBookmarksToPDFDestination=true", "UseTaggedPDF=true"]


class _TimeoutTransport(xmlrpc.client.Transport):
    def __init__(self, timeout: float):
        super().__init__()
        self.timeout = timeout

    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.timeout = self.timeout
        return connection


class _Worker:
    """One unoserver process and its soffice."""

    def __init__(self, index: int, profile_dir: Path, soffice: str, start_timeout: float):
        self.index = index
        self.conversions = 0
        self.port, self.uno_port = free_loopback_port(), free_loopback_port()
        command = [sys.executable, "-m", "unoserver.server", "--interface", "127.0.0.1",
                   "--uno-interface", "127.0.0.1", "--port", str(self.port), "--uno-port", str(self.uno_port),
                   "--user-installation", str(profile_dir), "--executable", soffice, "--quiet"]
        private_folder(profile_dir.parent)
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True, umask=PRIVATE_UMASK)
        self._wait_ready(start_timeout)

    def _proxy(self, timeout: float) -> xmlrpc.client.ServerProxy:
        return xmlrpc.client.ServerProxy(f"http://127.0.0.1:{self.port}", allow_none=True,
                                         transport=_TimeoutTransport(timeout))

    def _wait_ready(self, start_timeout: float) -> None:
        deadline = time.monotonic() + start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ConversionError(f"LibreOffice worker {self.index} exited at start "
                                      f"(exit {self.process.returncode}); is python3-uno installed?")
            try:
                info = self._proxy(5).info()
            except (OSError, http.client.HTTPException, xmlrpc.client.Error):
                time.sleep(0.2)
                continue
            if str(info.get("api")) != UNOSERVER_API:
                self.kill()
                raise ConversionError(f"unoserver API {info.get('api')} is not the {UNOSERVER_API} naskah speaks")
            return
        self.kill()
        raise ConversionError(f"LibreOffice worker {self.index} did not start within {start_timeout:g} s")

    def convert(self, docx: bytes, timeout: float) -> bytes:
        self.conversions += 1
        result = self._proxy(timeout).convert(None, xmlrpc.client.Binary(docx), None, "pdf", "writer_pdf_Export",
                                              PDF_FILTER_OPTIONS, True, None, None)
        if result is None:
            raise ConversionError("LibreOffice returned no PDF")
        return result.data

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """The whole session: unoserver and the soffice it started."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()


class LibreOfficePool:
    """``with pool_from_settings(settings) as pool: pdf = pool.convert(docx)``; safe to share between threads."""

    def __init__(self, *, data_dir: Path, size: int | None = None, timeout: float = 120.0,
                 restart_after: int = 200, soffice: str = "soffice", start_timeout: float = 60.0):
        self.size = size or os.cpu_count() or 1
        self.timeout = timeout
        self.restart_after = restart_after
        self.soffice = soffice
        self.start_timeout = start_timeout
        self.profiles = Path(data_dir) / "libreoffice-pool"
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False

    def start(self) -> "LibreOfficePool":
        """Start every worker at once (each takes a few seconds)."""
        errors: list[Exception] = []
        threads = [threading.Thread(target=self._add_worker, args=(index, errors)) for index in range(self.size)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            self.close()
            raise errors[0]
        return self

    def _add_worker(self, index: int, errors: list | None = None) -> None:
        try:
            worker = _Worker(index, self.profiles / f"worker-{index}", self.soffice, self.start_timeout)
        except ConversionError as exc:
            if errors is None:
                raise
            errors.append(exc)
            return
        with self._lock:
            self._workers.append(worker)
        self._idle.put(worker)

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            if worker in self._workers:
                self._workers.remove(worker)
            closed = self._closed
        if not closed:
            self._add_worker(worker.index)

    def convert(self, docx: bytes) -> bytes:
        if self._closed:
            raise ConversionError("the LibreOffice pool is closed")
        worker = self._idle.get()
        try:
            pdf = worker.convert(docx, self.timeout)
        except (TimeoutError, socket.timeout):
            log.warning("LibreOffice worker %d exceeded %g s; replacing it", worker.index, self.timeout)
            self._replace(worker)
            raise ConversionError(f"LibreOffice did not finish within {self.timeout:g} s and was stopped") from None
        except (OSError, http.client.HTTPException, xmlrpc.client.Error) as exc:
            alive = worker.alive
            log.warning("LibreOffice worker %d failed (%s); replacing it", worker.index, type(exc).__name__)
            self._replace(worker)
            what = "failed to convert the letter" if alive else "crashed"
            raise ConversionError(f"LibreOffice {what}: {exc}") from None
        if worker.conversions >= self.restart_after:
            self._replace(worker)
        else:
            self._idle.put(worker)
        return pdf

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers, self._workers = list(self._workers), []
        for worker in workers:
            worker.kill()

    def __enter__(self) -> "LibreOfficePool":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
