"""PDF to PNG pages with poppler's ``pdftoppm``: how a host shows a draft letter without a PDF viewer."""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from ..errors import ConversionError


def png_pages(pdf: bytes, dpi: int, max_pages: int) -> list[bytes]:
    """The first ``max_pages`` pages of ``pdf`` as PNG images at ``dpi``; ConversionError if pdftoppm fails."""
    with tempfile.TemporaryDirectory(prefix="naskah-preview-") as work:
        source = Path(work) / "draft.pdf"
        source.write_bytes(pdf)
        try:
            subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-l", str(max_pages), str(source),
                            str(Path(work) / "page")], check=True, capture_output=True, timeout=120)
        except (OSError, subprocess.SubprocessError) as exc:
            raise ConversionError(f"the draft could not be turned into images ({type(exc).__name__})") from None
        return [image.read_bytes() for image in sorted(Path(work).glob("page-*.png"), key=_page_number)]


def _page_number(path: Path) -> int:
    return int(path.stem.rsplit("-", 1)[1])
