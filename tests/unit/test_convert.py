"""The convert stage with real LibreOffice: PDF/A-2b out, and a conversion that hangs is killed and
reported, with nothing left running (one-shot soffice and the warm pool alike)."""
from __future__ import annotations

import re
import time

import psutil
import pytest

from naskah.convert import LibreOfficePool, convert_to_pdf
from naskah.errors import ConversionError


@pytest.fixture(scope="module")
def letter_docx(data_dir, tmp_path_factory):
    import json

    from naskah.config import load_settings
    from naskah.pipeline import Naskah

    from samples import EXAMPLES

    settings = load_settings(None, data_dir=data_dir, store_dir=tmp_path_factory.mktemp("store"))
    payload = json.loads((EXAMPLES / "surat-tugas-tim.json").read_text())
    return Naskah(settings).render(payload, pdf=False)


def _processes_using(text) -> list[str]:
    """Command lines of running processes that mention ``text`` (a profile folder, a port)."""
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        command = " ".join(process.info["cmdline"] or [])
        if str(text) in command and process.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(command)
    return found


def _is_pdfa2b(pdf: bytes) -> bool:
    return bool(re.search(rb"pdfaid:part(>|=\")2", pdf)) and bool(re.search(rb"pdfaid:conformance(>|=\")B", pdf))


def test_one_shot_conversion_gives_pdfa_2b(letter_docx, data_dir):
    pdf = convert_to_pdf(letter_docx, data_dir=data_dir)
    assert pdf.startswith(b"%PDF-") and _is_pdfa2b(pdf)


def test_one_shot_conversion_over_its_timeout_is_killed(letter_docx, tmp_path):
    started = time.monotonic()
    with pytest.raises(ConversionError, match=r"did not finish within 0.3 s and was stopped"):
        convert_to_pdf(letter_docx, data_dir=tmp_path, timeout=0.3)
    assert time.monotonic() - started < 10
    time.sleep(0.5)
    assert _processes_using(tmp_path) == [], "soffice left running"


def test_missing_libreoffice_is_reported(letter_docx, tmp_path):
    with pytest.raises(ConversionError, match="is not installed"):
        convert_to_pdf(letter_docx, data_dir=tmp_path, soffice="/nonexistent/soffice")


def test_pool_converts_warm_and_replaces_a_hung_worker(letter_docx, tmp_path):
    with LibreOfficePool(data_dir=tmp_path, size=1, timeout=60) as pool:
        first = pool.convert(letter_docx)
        assert _is_pdfa2b(first) and b"/ttd" in first
        hung = pool._workers[0]
        pool.timeout = 0.05  # far shorter than any conversion: the worker counts as hung
        with pytest.raises(ConversionError, match="did not finish within 0.05 s"):
            pool.convert(letter_docx)
        pool.timeout = 60
        assert pool._workers[0] is not hung, "the hung worker was replaced"
        assert hung.process.poll() is not None
        assert _processes_using(f"port={hung.uno_port}") == [], "its soffice was killed too"
        assert _is_pdfa2b(pool.convert(letter_docx)), "the replacement converts"
    time.sleep(0.5)
    assert _processes_using(tmp_path / "libreoffice-pool") == [], "nothing left running after close"


def test_pool_restarts_a_worker_after_its_quota(letter_docx, tmp_path):
    with LibreOfficePool(data_dir=tmp_path, size=1, restart_after=2) as pool:
        pids = []
        for _ in range(3):
            pool.convert(letter_docx)
            pids.append(pool._workers[0].process.pid)
        assert pids[0] != pids[1], "worker replaced after its 2nd conversion"
        assert pids[1] == pids[2], "the replacement keeps working"
