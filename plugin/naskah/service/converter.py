"""The converter of an API instance in cluster mode, where the workers issue the letters.

Such an instance converts only what cannot go to a worker: draft previews, and the letter of a signature in the
signature flow (the signer's credential is given in the request and is never queued). A warm pool per instance
would keep LibreOffice processes idle most of the day, so ``[cluster] api_pool_size`` processes (default 1) are
started at the first conversion and kept; ``0`` runs a one-shot soffice per conversion instead.
"""
from __future__ import annotations

import logging
import os
import shutil
import threading

from ..config import Settings
from ..convert import LibreOfficePool, pool_from_settings
from ..errors import ConversionError

log = logging.getLogger("naskah.service")


class PoolOnFirstUse:
    """A ``LibreOfficePool`` of ``size`` processes, started by the first ``convert`` (a failed start is tried
    again at the next one). Its profiles are this process's own (``libreoffice-pool/api-PID``), removed at close:
    other API instances and workers on the machine keep theirs."""

    def __init__(self, settings: Settings, size: int):
        self.settings = settings
        self.size = size
        self.profiles = settings.data_dir / "libreoffice-pool" / f"api-{os.getpid()}"
        self._pool: LibreOfficePool | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def started(self) -> bool:
        return self._pool is not None

    def convert(self, docx: bytes) -> bytes:
        return self._started().convert(docx)

    def _started(self) -> LibreOfficePool:
        with self._lock:
            if self._closed:
                raise ConversionError("the LibreOffice pool is closed")
            if self._pool is None:
                pool = pool_from_settings(self.settings, self.size)
                pool.profiles = self.profiles
                log.info("starting %d warm LibreOffice processes for drafts and signatures", pool.size)
                self._pool = pool.start()
            return self._pool

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
            shutil.rmtree(self.profiles, ignore_errors=True)
