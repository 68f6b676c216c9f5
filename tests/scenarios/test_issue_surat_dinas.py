"""End to end for the involvement letters: each sample payload becomes a signed PDF/A letter whose text
(pdftotext) holds every part the regulations require, with the regional emblem on page 1 only and the files the host
attached appended as pages (pdfimages)."""
from __future__ import annotations

import subprocess

import pytest
from pypdf import PdfReader

from naskah.formatting import nip as grouped_nip
from naskah.formatting import tanggal

from checks import assert_pdfa_2b, flat, pdfsig, pdftotext, pdftotext_pages

SAMPLES = ["permohonan-pelibatan-pejabat-berwenang", "permohonan-pelibatan-lintas-unit",
           "permohonan-pelibatan-lintas-instansi", "jawaban-pelibatan-disetujui", "jawaban-pelibatan-ditolak",
           "pengajuan-sukarela-lintas-unit", "persetujuan-pengajuan-sukarela", "penolakan-pengajuan-sukarela"]
#: the samples that carry a file (the Kerangka Acuan Kerja, one page)
WITH_FILES = ["permohonan-pelibatan-pejabat-berwenang", "permohonan-pelibatan-lintas-instansi"]


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


@pytest.mark.parametrize("name", SAMPLES)
def test_signed_letters_stay_pdfa(issued, name):
    assert_pdfa_2b(issued[name][1].pdf_path)


def _images(path) -> list[list[str]]:
    listing = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    return [row.split() for row in listing.splitlines()[2:]]


def _attached_pages(path) -> list[int]:
    """The page numbers of the appended files: each starts with the heading that names the letter."""
    return [number for number, page in enumerate(pdftotext_pages(path), start=1)
            if flat(page).startswith("Lampiran ") and " Surat Nomor " in flat(page)[:40]]


@pytest.mark.parametrize("name", [name for name in SAMPLES if name != "pengajuan-sukarela-lintas-unit"])
def test_the_emblem_is_on_page_one_only(issued, name):
    path = issued[name][1].pdf_path
    attached = _attached_pages(path)
    letter_images = [row for row in _images(path) if row[2] == "image" and int(row[0]) not in attached]
    assert [row[0] for row in letter_images] == ["1"], letter_images
    assert letter_images[0][5] == "rgb"


def test_the_applicants_own_letter_has_no_kop_and_no_emblem(issued):
    assert _images(issued["pengajuan-sukarela-lintas-unit"][1].pdf_path) == []


@pytest.mark.parametrize("name", WITH_FILES)
def test_the_attached_file_follows_the_letter_as_a_page(issued, name):
    data, letter = issued[name]
    pages = [flat(page) for page in pdftotext_pages(letter.pdf_path)]
    attached = _attached_pages(letter.pdf_path)
    assert attached == [len(pages)], pages  # one file of one page, after the letter
    assert "1 (satu) berkas" in pages[0]
    heading = (f"Lampiran 1 Surat Nomor {data['nomor']} tanggal {tanggal(data['tanggal'])} "
               f"{data['lampiran'][0]['nama']} (halaman 1 dari 1)")
    assert pages[-1].startswith(heading), pages[-1]
    assert "ditandatangani secara elektronik" in pages[-1]
    pictures = [row for row in _images(letter.pdf_path) if row[2] == "image" and int(row[0]) == len(pages)]
    assert len(pictures) == 1, pictures
    width, height = int(pictures[0][3]), int(pictures[0][4])
    assert max(width, height) == 1600 and abs(width / height - 595 / 842) < 0.01  # the A4 page, its shape kept
    # the signature covers the appended page: the whole file is signed
    assert "Total document signed" in pdfsig(letter.pdf_path)


@pytest.mark.parametrize("name", ["permohonan-pelibatan-pejabat-berwenang", "permohonan-pelibatan-lintas-unit",
                                  "permohonan-pelibatan-lintas-instansi"])
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
            "permohonan-pelibatan-lintas-instansi": "6 (enam) bulan",
            "permohonan-pelibatan-pejabat-berwenang": "6 (enam) bulan"}[name]
    assert lama in text  # (4) duration, in words and dates
    assert tanggal(data["durasi"]["mulai"]) in text and tanggal(data["durasi"]["selesai"]) in text
    assert data["kegiatan"] in text


def test_the_first_step_asks_the_units_own_pejabat_yang_berwenang(issued):
    """Malang Lampiran huruf A angka 2 huruf a angka 3) huruf a): to the Pejabat yang Berwenang, copied to the
    Pejabat Penilai Kinerja concerned in the agency."""
    data, _ = issued["permohonan-pelibatan-pejabat-berwenang"]
    text = text_of(issued, "permohonan-pelibatan-pejabat-berwenang")
    for part in ("PEMERINTAH KOTA MALANG", "DINAS KOMUNIKASI DAN INFORMATIKA", "Yth. Sekretaris Daerah Kota Malang",
                 "dengan hormat kami mohon Bapak/Ibu selaku Pejabat yang Berwenang berkenan menyampaikan permohonan "
                 "kepada Pejabat yang Berwenang pada Pemerintah Provinsi Jawa Timur untuk menugaskan 1 (satu) orang "
                 "pegawai pada Pemerintah Provinsi Jawa Timur", "Kepala Dinas Komunikasi dan Informatika,",
                 "Dr. Agus Salim, S.T., M.T.", "NIP 19691225 199403 1 005",
                 "Tembusan: 1. Kepala Bidang Aplikasi Informatika Dinas Komunikasi dan Informatika Kota Malang selaku "
                 "Pejabat Penilai Kinerja"):
        assert part in text, part


def test_cross_agency_request_cites_the_first_step(issued):
    data, _ = issued["permohonan-pelibatan-lintas-instansi"]
    first, _ = issued["permohonan-pelibatan-pejabat-berwenang"]
    text = text_of(issued, "permohonan-pelibatan-lintas-instansi")
    cited = (f"Menindaklanjuti surat Kepala Dinas Komunikasi dan Informatika Kota Malang Nomor {first['nomor']} "
             f"tanggal {tanggal(first['tanggal'])} hal {first['hal']}, bersama ini kami sampaikan")
    assert cited in text
    assert data["rujukan"]["nomor"] == first["nomor"] and data["rujukan"]["hal"] == first["hal"]
    assert text.index(cited) < text.index(data["maksud_tujuan"])


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
    assert "3 (tiga) bulan" in text
    assert "1 Oktober 2023" in text and "31 Desember 2023" in text


@pytest.mark.parametrize("name", ["jawaban-pelibatan-disetujui", "jawaban-pelibatan-ditolak"])
def test_the_officials_assessor_answers_the_request(issued, name):
    """Malang Lampiran huruf A angka 2 huruf a angka 2) huruf b): the Pejabat Penilai Kinerja dituju "memproses dan
    menjawab"; the request they answer was copied to them (huruf a))."""
    data, _ = issued[name]
    text = text_of(issued, name)
    assessor = data["penilai_kinerja"]
    signature = text[text.index("terima kasih."):text.index("Tembusan")]
    assert signature.startswith(f"terima kasih. {assessor['jabatan']},"), signature
    assert assessor["nama"] in signature and "NIP 19750220 200003 1 002" in signature
    assert "Kepala Dinas Perpustakaan" not in signature and "Retno" not in text
    request = text_of(issued, "permohonan-pelibatan-lintas-unit")
    assert f"Kepala Bidang Pengelolaan Arsip Dinas Perpustakaan Umum dan Arsip Daerah Kota Malang selaku Pejabat " \
           f"Penilai Kinerja" in request[request.index("Tembusan"):]


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


def test_voluntary_approval_names_the_applicant_and_their_assessor(issued):
    """Malang Lampiran huruf A angka 2 huruf b angka 2) huruf b)-c): the Pimpinan Unit Organisasi dituju approves in
    writing; the applicant takes it to their Pejabat Penilai Kinerja for the surat penugasan."""
    data, _ = issued["persetujuan-pengajuan-sukarela"]
    text = text_of(issued, "persetujuan-pengajuan-sukarela")
    applicant = data["pemohon"]
    for part in (*_common_parts(data), data["nomor"],
                 "Menindaklanjuti surat permohonan Saudara tanggal 10 Oktober 2023 hal Permohonan Pelibatan dalam Tim "
                 "Kerja secara Sukarela", "Nama NIP Pangkat/Gol. Jabatan Unit Kerja : : : : : "
                 f"{applicant['nama']} {grouped_nip(applicant['nip'])} Penata Muda (III/a) {applicant['jabatan']} "
                 f"{applicant['unit']} dapat kami setujui",
                 "dapat kami setujui untuk terlibat dalam Tim Kerja Digitalisasi Layanan Pajak Daerah selama 6 (enam) "
                 "bulan, terhitung mulai tanggal 1 November 2023 sampai dengan tanggal 30 April 2024.",
                 "Saudara menyampaikan surat persetujuan ini kepada Kepala Bagian Perekonomian Sekretariat Daerah Kota "
                 "Malang (Dra. Sri Rahayu, M.Si.) selaku Pejabat Penilai Kinerja Saudara",
                 "untuk diterbitkan surat penugasan", "Kepala Badan Pendapatan Daerah,", "NIP 19721006 199803 1 004"):
        assert part in text, part


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
