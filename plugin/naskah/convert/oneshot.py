"""One soffice per letter: DOCX to PDF/A-2b, killed if it hangs (the default converter).

Each concurrent soffice needs its own user profile or they block each other; profiles are kept
between runs (a new one costs seconds) in numbered slots, each held with a file lock while in use.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

from ..errors import ConversionError
from ..files import PRIVATE_UMASK, private_folder, private_opener

log = logging.getLogger("naskah.convert")

#: PDF/A-2b, and DOCX bookmarks as named destinations (the signing stage finds the `ttd` stamp place there).
EXPORT_FILTER = "pdf:writer_pdf_Export:" + json.dumps({
    "SelectPdfVersion": {"type": "long", "value": "2"},
    "ExportBookmarksToPDFDestination": {"type": "boolean", "value": "true"},
    "UseTaggedPDF": {"type": "boolean", "value": "true"},
})

PROFILE_SLOTS = 8


@contextmanager
def _profile_slot(data_dir: Path):
    base = data_dir / "libreoffice"
    private_folder(base)  # the profiles remember recent documents: 0700
    while True:
        for slot in range(PROFILE_SLOTS):
            lock = open(base / f"slot-{slot}.lock", "w", opener=private_opener)
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.close()
                continue
            try:
                yield base / f"profile-{slot}"
            finally:
                lock.close()
            return
        # every slot busy: wait for the first one
        with open(base / "slot-0.lock", "w", opener=private_opener) as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)


def convert_to_pdf(docx: bytes, *, data_dir: Path, timeout: float = 120.0, soffice: str = "soffice") -> bytes:
    """PDF/A-2b bytes of the DOCX; ConversionError when LibreOffice fails or exceeds ``timeout`` seconds."""
    with _profile_slot(data_dir) as profile, tempfile.TemporaryDirectory(prefix="naskah-convert-") as work:
        source = Path(work) / "letter.docx"
        source.write_bytes(docx)
        command = [soffice, "--headless", "--norestore", "--nolockcheck",
                   f"-env:UserInstallation={profile.as_uri()}",
                   "--convert-to", EXPORT_FILTER, "--outdir", work, str(source)]
        try:
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       start_new_session=True, cwd=work, umask=PRIVATE_UMASK)
        except FileNotFoundError:
            raise ConversionError(f"LibreOffice ({soffice}) is not installed; install libreoffice-writer-nogui") from None
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            raise ConversionError(f"LibreOffice did not finish within {timeout:g} s and was stopped") from None
        finally:
            if process.poll() is None:
                _kill_group(process)
        result = Path(work) / "letter.pdf"
        if process.returncode != 0 or not result.exists():
            text = output.decode("utf-8", "replace").strip()[-500:]
            raise ConversionError(f"LibreOffice failed (exit {process.returncode}): {text or 'no output'}")
        return result.read_bytes()


def _kill_group(process: subprocess.Popen) -> None:
    """soffice starts a child (soffice.bin); kill the whole session so nothing is left running."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
