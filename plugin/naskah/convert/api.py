"""Which converter turns a letter's DOCX into PDF/A-2b, chosen from the settings in this one place.

Two converters speak the same ``convert(docx) -> bytes``: a one-shot soffice per letter (``oneshot.py``,
the default: nothing runs between letters) and a pool of warm LibreOffice processes (``pool.py``, for a
batch or the service, where starting soffice for every letter would cost most of the time).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .oneshot import convert_to_pdf
from .pool import LibreOfficePool

if TYPE_CHECKING:  # only the settings' names are read; the converter never needs the configuration loaded
    from ..config import Settings


class Converter(Protocol):
    def convert(self, docx: bytes) -> bytes:
        """PDF/A-2b bytes of the DOCX; ConversionError when LibreOffice fails or hangs."""


@dataclass(frozen=True)
class OneShotConverter:
    """A new soffice for every letter, killed if it exceeds ``timeout`` seconds."""

    data_dir: Path
    timeout: float
    soffice: str

    def convert(self, docx: bytes) -> bytes:
        return convert_to_pdf(docx, data_dir=self.data_dir, timeout=self.timeout, soffice=self.soffice)


def pool_from_settings(settings: Settings, size: int | None = None) -> LibreOfficePool:
    """A pool (not started yet: ``with`` it, or call ``start()``) of ``size`` warm processes, or as many as
    ``pool_size`` in the settings, or one per CPU."""
    return LibreOfficePool(data_dir=settings.data_dir, size=size or settings.pool_size,
                           timeout=settings.conversion_timeout, restart_after=settings.pool_restart_after,
                           soffice=settings.soffice)


def converter_for(settings: Settings, pool: LibreOfficePool | None = None) -> Converter:
    """The started ``pool`` when there is one, else a one-shot soffice per letter."""
    if pool is not None:
        return pool
    return OneShotConverter(settings.data_dir, settings.conversion_timeout, settings.soffice)
