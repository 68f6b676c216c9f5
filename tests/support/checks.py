"""The independent checkers the tests read letters with: poppler's pdftotext and pdfsig, and what PDF/A-2b
needs that signing could break (checked with pypdf, poppler's pdffonts and qpdf)."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path


def pdftotext(pdf: Path | bytes, layout: bool = False) -> str:
    """The letter's text as poppler reads it: in reading order (table cells one by one), or with
    ``layout`` as it stands on the page."""
    args = ["pdftotext", "-enc", "UTF-8"] + (["-layout"] if layout else [])
    if isinstance(pdf, bytes):
        return subprocess.run(args + ["-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return subprocess.run(args + [str(pdf), "-"], capture_output=True, check=True).stdout.decode()


def pdftotext_pages(pdf: Path, layout: bool = False) -> list[str]:
    return pdftotext(pdf, layout).split("\f")[:-1]


def flat(text: str) -> str:
    """Runs of white space as one space, so that a phrase wrapped over lines still matches."""
    return " ".join(text.split())


def pdfsig(pdf: Path) -> str:
    """pdfsig's report; it exits 0 even for a broken signature, so callers read the text."""
    result = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True)
    return result.stdout + result.stderr


def assert_pdfa_2b(path: Path) -> None:
    """What PDF/A-2b needs that signing could break: the declaration, PDF 1.7, Info and XMP agreeing,
    every font embedded, a clean file, printable widgets."""
    from pypdf import PdfReader

    reader = PdfReader(path)
    xmp = reader.xmp_metadata.stream.get_data().decode("utf-8")
    assert re.search(r"pdfaid:part(>|=\")2", xmp) and re.search(r"pdfaid:conformance(>|=\")B", xmp)
    assert str(reader.trailer["/Root"].get("/Version", "/1.7")) < "/2.0", "PDF/A-2 is based on PDF 1.7"
    assert reader.pdf_header <= "%PDF-1.7"
    producer = re.search(r"pdf:Producer(?:>|=\")([^<\"]+)", xmp).group(1)
    assert reader.metadata["/Producer"] == producer, "Info and XMP must agree (PDF/A)"
    assert "/ModDate" not in reader.metadata or re.search(r"xmp:ModifyDate", xmp)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(re.search(r"\byes\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", row) for row in rows), fonts
    assert "No syntax or stream encoding errors" in subprocess.run(
        ["qpdf", "--check", str(path)], capture_output=True, text=True).stdout
    for page in reader.pages:  # PDF/A: every widget printable, none hidden
        for annot in page.get("/Annots") or []:
            flags = int(annot.get_object().get("/F", 0))
            assert flags & 4 and not flags & (1 | 2 | 32), annot.get_object()
