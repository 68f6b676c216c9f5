"""End to end for the involvement letters: each sample payload becomes a signed letter whose text
(pdftotext) holds every part the regulations require."""
from __future__ import annotations

import pytest
from pypdf import PdfReader

from naskah.formatting import nip as grouped_nip
from naskah.formatting import tanggal

from checks import flat, pdfsig, pdftotext, pdftotext_pages

SAMPLES = ["permohonan-pelibatan-lintas-unit", "permohonan-pelibatan-lintas-instansi", "jawaban-pelibatan-disetujui",
           "jawaban-pelibatan-ditolak", "pengajuan-sukarela-lintas-unit", "penolakan-pengajuan-sukarela"]


@pytest.fixture(scope="module")
def issued(tmp_path_factory, data_dir):
    """Every sample issued once into one store, through the pipeline with a warm LibreOffice pool."""
    import json

    from naskah.config import load_settings
    from naskah.convert import LibreOfficePool
    from naskah.pipeline import Naskah

    from samples import EXAMPLES

    settings = load_settings(None, data_dir=data_dir, store_dir=tmp_path_factory.mktemp("store"))
    with LibreOfficePool(data_dir=data_dir, size=2) as pool:
        naskah = Naskah(settings, pool=pool)
        letters = {}
        for name in SAMPLES:
            payload = json.loads((EXAMPLES / f"{name}.json").read_text())
            letters[name] = (payload["data"], naskah.issue(payload, source=name))
    return letters


def text_of(issued, name) -> str:
    return flat(pdftotext(issued[name][1].pdf_path))


def _common_parts(data: dict) -> list[str]:
    parts = [data["hal"], f"Yth. {data['tujuan']['jabatan']}", data["tujuan"]["tempat"],
             f"{data['tempat']}, {tanggal(data['tanggal'])}"]
    parts += [line for line in data.get("tembusan", [])]
    if data.get("penandatangan"):
        signer = data["penandatangan"]
        parts += [signer["nama"]]
        if signer.get("kedudukan") == "a.n.":
            parts.append(f"a.n. {signer['jabatan_pemberi']}")
    return parts


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_is_signed_and_valid(issued, name):
    path = issued[name][1].pdf_path
    report = pdfsig(path)
    assert "Signature Validation: Signature is Valid." in report
    assert "Signature Type: ETSI.CAdES.detached" in report
    assert "Total document signed" in report
    for page in pdftotext_pages(path):
        assert "ditandatangani secara elektronik" in flat(page)


@pytest.mark.parametrize("name", ["permohonan-pelibatan-lintas-unit", "permohonan-pelibatan-lintas-instansi"])
def test_request_states_the_four_contents(issued, name):
    data, _ = issued[name]
    text = text_of(issued, name)
    for part in _common_parts(data):
        assert part in text, part
    assert data["nomor"] in text and data["sifat"] in text
    assert data["maksud_tujuan"] in text  # (1) purpose
    for competence in data["kompetensi"]:  # (2) competence needed
        assert competence in text, competence
    for target in data["ekspektasi_kinerja"]:  # (3) performance expectation
        assert target in text, target
    lama = {"permohonan-pelibatan-lintas-unit": "4 (empat) bulan",
            "permohonan-pelibatan-lintas-instansi": "6 (enam) bulan"}[name]
    assert lama in text  # (4) duration, in words and dates
    assert tanggal(data["durasi"]["mulai"]) in text and tanggal(data["durasi"]["selesai"]) in text
    assert data["kegiatan"] in text


def test_cross_agency_request_names_the_other_agency(issued):
    text = text_of(issued, "permohonan-pelibatan-lintas-instansi")
    assert "Pemerintah Provinsi Jawa Timur" in text
    assert "Yth. Sekretaris Daerah Provinsi Jawa Timur" in text
    assert "a.n. Wali Kota Malang" in text and "Sekretaris Daerah," in text
    # The regional secretary signs without rank and NIP (Permendagri 1/2023 Pasal 44)
    assert "196803171993031008" not in text.replace(" ", "")


def test_approval_lists_every_official_and_the_duration(issued):
    data, _ = issued["jawaban-pelibatan-disetujui"]
    text = text_of(issued, "jawaban-pelibatan-disetujui")
    for part in _common_parts(data):
        assert part in text, part
    cited = data["surat_permohonan"]
    assert f"Nomor {cited['nomor']} tanggal {tanggal(cited['tanggal'])}" in text
    assert cited["hal"] in text
    for official in data["pegawai_ditugaskan"]:
        assert official["nama"] in text
        assert grouped_nip(official["nip"]) in text
        assert official["jabatan"] in text
    assert "5 (lima) bulan 27 (dua puluh tujuh) hari" in text
    assert "2 Januari 2024" in text and "28 Juni 2024" in text


def test_refusal_gives_every_reason_and_cites_the_request(issued):
    data, _ = issued["jawaban-pelibatan-ditolak"]
    text = text_of(issued, "jawaban-pelibatan-ditolak")
    for part in _common_parts(data):
        assert part in text, part
    cited = data["surat_permohonan"]
    assert f"Nomor {cited['nomor']} tanggal {tanggal(cited['tanggal'])}" in text
    for number, reason in enumerate(data["alasan"], start=1):
        assert f"{number}. {reason}" in text, reason
    assert data["saran"] in text
    assert "belum dapat kami setujui" in text


def test_voluntary_application_is_signed_by_the_applicant_with_consent(issued):
    data, _ = issued["pengajuan-sukarela-lintas-unit"]
    text = text_of(issued, "pengajuan-sukarela-lintas-unit")
    applicant = data["pemohon"]
    for part in (applicant["nama"], grouped_nip(applicant["nip"]), applicant["jabatan"], applicant["unit"],
                 data["kegiatan"], "6 (enam) bulan", data["persetujuan_atasan"]["jabatan"],
                 data["persetujuan_atasan"]["nama"], "Pemohon,", f"Yth. {data['tujuan']['jabatan']}",
                 *data["kompetensi"], *data["tembusan"]):
        assert part in text, part
    assert "PEMERINTAH KOTA MALANG" not in text  # the applicant's own letter has no kop


def test_voluntary_refusal_gives_every_reason(issued):
    data, _ = issued["penolakan-pengajuan-sukarela"]
    text = text_of(issued, "penolakan-pengajuan-sukarela")
    for part in _common_parts(data):
        assert part in text, part
    assert f"tanggal {tanggal(data['surat_permohonan']['tanggal'])}" in text
    for number, reason in enumerate(data["alasan"], start=1):
        assert f"{number}. {reason}" in text, reason


@pytest.mark.parametrize("name", SAMPLES)
def test_tembusan_are_numbered_in_order(issued, name):
    data, _ = issued[name]
    text = text_of(issued, name)
    assert "Tembusan" in text
    after = text[text.index("Tembusan"):]
    for number, line in enumerate(data["tembusan"], start=1):
        assert f"{number}. {line}" in after, line


def test_stamp_sits_at_the_signature_block(issued):
    for name in SAMPLES:
        path = issued[name][1].pdf_path
        reader = PdfReader(path)
        assert "/ttd" in reader.named_destinations, name
