"""The convert stage: DOCX to PDF/A-2b with LibreOffice (``api.py`` chooses how, from the settings)."""
from .api import Converter, OneShotConverter, converter_for, pool_from_settings
from .oneshot import convert_to_pdf
from .pool import LibreOfficePool

__all__ = ["Converter", "LibreOfficePool", "OneShotConverter", "convert_to_pdf", "converter_for",
           "pool_from_settings"]
