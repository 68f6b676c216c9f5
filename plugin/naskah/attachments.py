"""The files a host sends with a letter, its Lampiran: PDFs carried in the payload as base64, checked before anything
is rendered, and appended to the letter as pages (naskah.render) so that the signed PDF holds them.

Why base64 in the payload, not a URL naskah fetches: a host e-office holds the file when it posts the letter's
payload, so it sends both in one request; naskah makes no request on a host's word into the host's network; and the
file is part of the letter's content (its hash: the same workflow with another file is another letter), so what the
official signs is exactly what the workflow carried.

Why pictures of its pages, not the file's own pages nor an embedded file: the letter stays PDF/A-2b whatever the
host's PDF holds (fonts not embedded, CMYK, transparency, forms, scripts: none of it is copied), every appended page
carries the letter's heading and footer and is printed with it, and the signature covers it. Its text is not
searchable in the letter; the host keeps the original.

Hostile input is refused naming the field: not base64, not a PDF, unreadable, encrypted, too large, too many pages
or files. A page is drawn at most ``PAGE_PIXELS`` on its longer side whatever its page size.
"""
from __future__ import annotations

import base64
import binascii
import io
import logging

from .i18n import _

#: at most this many files attached as PDF to one letter, this many bytes each, this many pages in all
MAX_FILES = 10
MAX_FILE_BYTES = 3 * 1024 * 1024
MAX_PAGES = 30
#: an appended page's picture: its longer side in pixels (about 140 dpi on an A4 or F4 page)
PAGE_PIXELS = 1600

_PDF_HEADER = b"%PDF-"


class AttachedPdf(str):
    """An attachment's base64 text as the payload gave it (without line breaks), and its number of pages."""

    pages: int

    def __new__(cls, text: str, pages: int):
        attached = super().__new__(cls, text)
        attached.pages = pages
        return attached


def read_pdf(text) -> AttachedPdf:
    """The attachment a payload gives as base64 text, checked; ValueError saying what is wrong with it."""
    if not isinstance(text, str):
        raise ValueError(_("a PDF file as base64 text"))
    text = "".join(text.split())
    if len(text) > (MAX_FILE_BYTES + 2) // 3 * 4:
        raise ValueError(_("the attachment is larger than {limit} MB").format(limit=MAX_FILE_BYTES // (1024 * 1024)))
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(_("not base64 text: send the PDF file's bytes in base64")) from None
    if _PDF_HEADER not in data[:1024]:
        raise ValueError(_("not a PDF file (it does not start with %PDF-)"))
    return AttachedPdf(text, _pages(data))


def _pages(data: bytes) -> int:
    from pypdf import PdfReader

    pypdf_log = logging.getLogger("pypdf")
    level, pypdf_log.level = pypdf_log.level, logging.ERROR  # a damaged file's warnings are no operator's business
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
        pages = 0 if encrypted else len(reader.pages)
    except Exception:  # noqa: BLE001 - whatever a damaged or crafted file makes pypdf raise, it is not readable
        raise ValueError(_("not a readable PDF file")) from None
    finally:
        pypdf_log.level = level
    if encrypted:
        raise ValueError(_("the PDF is encrypted (password-protected): send it without a password"))
    if pages < 1:
        raise ValueError(_("the PDF has no pages"))
    if pages > MAX_PAGES:
        raise ValueError(_("the PDF has {pages} pages; a letter carries at most {limit} pages of attachments").format(
            pages=pages, limit=MAX_PAGES))
    return pages


def page_images(text: str) -> list[bytes]:
    """The pages of an attachment ``read_pdf`` accepted (its base64 text) as JPEG pictures, in order;
    ConversionError if poppler cannot draw them."""
    from .convert.raster import jpeg_pages

    return jpeg_pages(base64.b64decode(text), PAGE_PIXELS, MAX_PAGES)
