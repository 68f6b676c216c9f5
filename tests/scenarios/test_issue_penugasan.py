"""End to end for the surat penugasan, a Surat Tugas that cites the approval it follows as its last Dasar and carries
a tembusan: after a request's approval, by the requested officials' Pejabat Penilai Kinerja (Perwal Kota Malang
16/2023 Lampiran huruf A angka 2 huruf a angka 2) huruf c)), and after a voluntary application's approval, by the
applicant's Pejabat Penilai Kinerja (huruf b angka 2) huruf c))."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from naskah.errors import PayloadError
from naskah.formatting import nip as grouped_nip
from naskah.formatting import tanggal

from checks import assert_pdfa_2b, flat, pdfsig, pdftotext_pages
from samples import EXAMPLES, load_sample

#: each surat penugasan and the approval it follows
SAMPLES = {"surat-tugas-penugasan": "jawaban-pelibatan-disetujui",
           "surat-tugas-penugasan-sukarela": "persetujuan-pengajuan-sukarela"}


@pytest.fixture(scope="module")
def issued(tmp_path_factory, data_dir) -> dict[str, Path]:
    env = dict(os.environ, NASKAH_DATA_DIR=str(data_dir), NASKAH_STORE_DIR=str(tmp_path_factory.mktemp("store")))
    result = subprocess.run([sys.executable, "-m", "naskah.cli", "issue",
                             *(str(EXAMPLES / f"{name}.json") for name in SAMPLES)],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    paths = re.findall(r"^issued surat_tugas_individu \S+ -> (.+\.pdf)$", result.stdout, re.MULTILINE)
    return dict(zip(SAMPLES, map(Path, paths)))


@pytest.mark.parametrize("name", SAMPLES)
def test_it_cites_the_approval_and_carries_the_tembusan(issued, name):
    data = load_sample(name)["data"]
    approval = load_sample(SAMPLES[name])["data"]
    pages = pdftotext_pages(issued[name])
    assert len(pages) == 1
    text = flat(pages[0])
    cited = data["rujukan"]
    assert (cited["nomor"], cited["tanggal"], cited["hal"]) == (approval["nomor"], approval["tanggal"],
                                                                approval["hal"])
    signer = data["penandatangan"]
    parts = [data["perangkat_daerah"]["nama"].upper(), "SURAT TUGAS", data["nomor"], f"1. {data['dasar'][0]}",
             f"2. Surat {cited['dari']} Nomor {cited['nomor']} tanggal {tanggal(cited['tanggal'])} hal {cited['hal']}",
             "MENUGASKAN:", data["pegawai"]["nama"], grouped_nip(data["pegawai"]["nip"]), "Ditetapkan di Malang",
             f"pada tanggal {tanggal(data['ditetapkan']['tanggal'])}", f"{signer['jabatan']},", signer["nama"],
             f"NIP {grouped_nip(signer['nip'])}", "Tembusan:"]
    parts += [f"{number}. {line}" for number, line in enumerate(data["tembusan"], start=1)]
    for part in parts:
        assert part in text, part
    assert text.index("Tembusan:") > text.index(signer["nama"])


def test_the_assignment_after_a_request_is_the_officials_assessors(issued):
    """The approval's signer, the archivists' Pejabat Penilai Kinerja, assigns one of the officials it lists."""
    data = load_sample("surat-tugas-penugasan")["data"]
    approval = load_sample("jawaban-pelibatan-disetujui")["data"]
    assert data["penandatangan"]["nip"] == approval["penilai_kinerja"]["nip"] == approval["penandatangan"]["nip"]
    assert data["pegawai"]["nip"] in [official["nip"] for official in approval["pegawai_ditugaskan"]]
    assert data["berlaku_sampai"] == approval["durasi"]["selesai"]


def test_the_assignment_after_a_voluntary_application_is_the_applicants_assessors(issued):
    """The approval names the applicant's Pejabat Penilai Kinerja, who signs the assignment; the Pimpinan Unit
    Organisasi pemilik kinerja is copied and is whom the applicant reports to."""
    data = load_sample("surat-tugas-penugasan-sukarela")["data"]
    approval = load_sample("persetujuan-pengajuan-sukarela")["data"]
    assert data["penandatangan"]["nip"] == approval["penilai_kinerja"]["nip"]
    assert data["pegawai"]["nip"] == approval["pemohon"]["nip"]
    assert data["berlaku_sampai"] == approval["durasi"]["selesai"]
    text = flat(pdftotext_pages(issued["surat-tugas-penugasan-sukarela"])[0])
    assert "Melaporkan hasilnya kepada Kepala Badan Pendapatan Daerah Kota Malang sebagai Pimpinan Unit Organisasi" \
           in text
    assert "1. Kepala Badan Pendapatan Daerah Kota Malang" in text[text.index("Tembusan:"):]


@pytest.mark.parametrize("name", SAMPLES)
def test_signed_valid_pdfa_and_the_emblem_on_page_one(issued, name):
    assert "Signature Validation: Signature is Valid." in pdfsig(issued[name])
    assert_pdfa_2b(issued[name])
    listing = subprocess.run(["pdfimages", "-list", str(issued[name])], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    assert [row.split()[0] for row in listing if row.split()[2] == "image"] == ["1"], listing


@pytest.mark.parametrize("name", SAMPLES)
def test_an_approval_dated_after_the_assignment_is_refused(naskah, sample, name):
    payload = sample(name)
    payload["data"]["rujukan"]["tanggal"] = "2023-12-05"
    with pytest.raises(PayloadError) as refused:
        naskah.prepare(payload)
    problems = {problem.field: problem for problem in refused.value.problems}
    assert set(problems) == {"data.rujukan.tanggal"}
    article = {"surat-tugas-penugasan": "huruf a angka 2) huruf c)",
               "surat-tugas-penugasan-sukarela": "huruf b angka 2) huruf c)"}[name]
    citation = f"Perwal Kota Malang 16/2023 Lampiran huruf A angka 2 {article}"
    assert problems["data.rujukan.tanggal"].citation == citation
    assert problems["data.rujukan.tanggal"].message.startswith(citation + ": the assignment follows the approval")


def test_a_surat_tugas_without_rujukan_or_tembusan_prints_neither(naskah, sample):
    from checks import pdftotext

    text = flat(pdftotext(naskah.render(sample("surat-tugas-individu"))))
    assert "Tembusan" not in text and "hal Jawaban" not in text
    assert "2. Surat" not in text.split("MENUGASKAN")[0]
