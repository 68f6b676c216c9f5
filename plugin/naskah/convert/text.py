"""A PDF's text as poppler's pdftotext reads it: what the signer reviewed is compared by it."""
from __future__ import annotations

import subprocess

from ..errors import ConversionError


def pdf_text(pdf: bytes, *, timeout: float = 60) -> str:
    try:
        done = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True,
                              timeout=timeout, check=False)
    except FileNotFoundError:
        raise ConversionError("pdftotext is not installed (Debian package poppler-utils)") from None
    except subprocess.TimeoutExpired:
        raise ConversionError(f"pdftotext took longer than {timeout:g} s") from None
    if done.returncode != 0:
        raise ConversionError(f"pdftotext failed: {done.stderr.decode(errors='replace').strip()[:200]}")
    return done.stdout.decode("utf-8", errors="replace")
