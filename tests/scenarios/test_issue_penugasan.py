"""End to end for the surat penugasan after an approval (Perwal Kota Malang 16/2023 Lampiran huruf A angka 2 huruf a
angka 2) huruf c)): a Surat Tugas that cites the approving reply as its last Dasar and carries a tembusan."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from naskah.errors import PayloadError

from checks import assert_pdfa_2b, flat, pdfsig, pdftotext_pages
from samples import EXAMPLES, load_sample


@pytest.fixture(scope="module")
def issued(tmp_path_factory, data_dir) -> Path:
    env = dict(os.environ, NASKAH_DATA_DIR=str(data_dir), NASKAH_STORE_DIR=str(tmp_path_factory.mktemp("store")))
    result = subprocess.run([sys.executable, "-m", "naskah.cli", "issue", str(EXAMPLES / "surat-tugas-penugasan.json")],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return Path(re.search(r"^issued surat_tugas_individu \S+ -> (.+\.pdf)$", result.stdout, re.MULTILINE).group(1))


def test_it_cites_the_approval_and_carries_the_tembusan(issued):
    data = load_sample("surat-tugas-penugasan")["data"]
    pages = pdftotext_pages(issued)
    assert len(pages) == 1
    text = flat(pages[0])
    cited = data["rujukan"]
    for part in ("DINAS PERPUSTAKAAN UMUM DAN ARSIP DAERAH", "SURAT TUGAS", data["nomor"],
                 f"1. {data['dasar'][0]}",
                 f"2. Surat {cited['dari']} Nomor {cited['nomor']} tanggal 18 September 2023 hal {cited['hal']}",
                 "MENUGASKAN:", "Anisa Rahmawati, S.Hum.", "19860914 201101 2 003", "Ditetapkan di Malang",
                 "pada tanggal 27 Desember 2023", "Hj. Retno Wulandari, S.Sos., M.AP.", "Tembusan:",
                 "1. Kepala Dinas Komunikasi dan Informatika Kota Malang", "2. Sekretaris Daerah Kota Malang"):
        assert part in text, part
    assert text.index("Tembusan:") > text.index("Hj. Retno Wulandari")


def test_signed_valid_pdfa_and_the_emblem_on_page_one(issued):
    assert "Signature Validation: Signature is Valid." in pdfsig(issued)
    assert_pdfa_2b(issued)
    listing = subprocess.run(["pdfimages", "-list", str(issued)], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    assert [row.split()[0] for row in listing if row.split()[2] == "image"] == ["1"], listing


def test_an_approval_dated_after_the_assignment_is_refused(naskah, sample):
    payload = sample("surat-tugas-penugasan")
    payload["data"]["rujukan"]["tanggal"] = "2024-01-05"
    with pytest.raises(PayloadError) as refused:
        naskah.prepare(payload)
    problems = {problem.field: problem.message for problem in refused.value.problems}
    assert set(problems) == {"data.rujukan.tanggal"}
    assert "Perwal Kota Malang 16/2023 Lampiran huruf A angka 2 huruf a angka 2) huruf c)" in problems[
        "data.rujukan.tanggal"]


def test_a_surat_tugas_without_rujukan_or_tembusan_prints_neither(naskah, sample):
    from checks import pdftotext

    text = flat(pdftotext(naskah.render(sample("surat-tugas-individu"))))
    assert "Tembusan" not in text and "hal Jawaban" not in text
    assert "2. Surat" not in text.split("MENUGASKAN")[0]
