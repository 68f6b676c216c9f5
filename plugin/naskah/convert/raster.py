"""PDF pages as pictures with poppler's ``pdftoppm``: PNG pages show a host a draft letter without a PDF viewer; JPEG
pages of a host's attachment are appended to a letter (naskah.attachments)."""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from ..errors import ConversionError


def png_pages(pdf: bytes, dpi: int, max_pages: int) -> list[bytes]:
    """The first ``max_pages`` pages of ``pdf`` as PNG images at ``dpi``; ConversionError if pdftoppm fails."""
    return _pages(pdf, ["-png", "-r", str(dpi)], max_pages, "the draft")


def jpeg_pages(pdf: bytes, longest_side: int, max_pages: int, timeout: float = 60) -> list[bytes]:
    """The first ``max_pages`` pages of ``pdf`` as JPEG images whose longer side is ``longest_side`` pixels, whatever
    the page's size (a huge page cannot make a huge picture); ConversionError if pdftoppm fails or hangs."""
    return _pages(pdf, ["-jpeg", "-jpegopt", "quality=85", "-scale-to", str(longest_side)], max_pages,
                  "an attachment", timeout)


def _pages(pdf: bytes, options: list[str], max_pages: int, what: str, timeout: float = 120) -> list[bytes]:
    with tempfile.TemporaryDirectory(prefix="naskah-pages-") as work:
        source = Path(work) / "source.pdf"
        source.write_bytes(pdf)
        try:
            subprocess.run(["pdftoppm", *options, "-l", str(max_pages), str(source), str(Path(work) / "page")],
                           check=True, capture_output=True, timeout=timeout)
        except (OSError, subprocess.SubprocessError) as exc:
            raise ConversionError(f"{what} could not be turned into images ({type(exc).__name__})") from None
        return [image.read_bytes() for image in sorted(Path(work).glob("page-*.*"), key=_page_number)]


def _page_number(path: Path) -> int:
    return int(path.stem.rsplit("-", 1)[1])
