"""Long letters flow over pages as a secretariat would print them: the kop on the first page only,
table headers repeated, every row once, and no signature block orphaned on a page of its own."""
from __future__ import annotations

import pytest

from naskah.formatting import nip as grouped_nip

from checks import flat, pdftotext_pages


def _nip(index: int, sex: int = 1) -> str:
    return f"1980{(index % 12) + 1:02d}{(index % 27) + 1:02d}2005{(index % 12) + 1:02d}{sex}{index + 1:03d}"


@pytest.fixture(scope="module")
def pool(data_dir):
    from naskah.convert import LibreOfficePool

    with LibreOfficePool(data_dir=data_dir, size=2) as started:
        yield started


@pytest.fixture
def warm_naskah(settings, pool):
    from naskah.pipeline import Naskah

    return Naskah(settings, pool=pool)


def test_forty_member_team_flows_over_pages_with_the_header_repeated(warm_naskah, sample):
    payload = sample("surat-tugas-tim")
    members = [{"nip": _nip(i), "nama": f"Pegawai Nomor {i + 1:02d} Dengan Nama Yang Cukup Panjang, S.Kom., M.T.",
                "pangkat": "Penata Muda Tingkat I", "golongan": "III/b",
                "jabatan": "Pranata Komputer Ahli Pertama pada Bidang Aplikasi Informatika",
                "peran": "ketua" if i == 7 else "anggota"} for i in range(40)]
    payload["data"]["tim"]["anggota"] = members
    pages = pdftotext_pages(warm_naskah.issue(payload).pdf_path)
    assert len(pages) >= 4
    assert "PEMERINTAH KOTA MALANG" in pages[0]
    assert all("PEMERINTAH KOTA MALANG" not in page for page in pages[1:])
    lampiran_pages = [flat(page) for page in pages[1:]]
    table_pages = [page for page in lampiran_pages if "Pegawai Nomor" in page]
    assert len(table_pages) >= 2
    for page in table_pages:
        assert "Nama/Pangkat/NIP" in page and "Kedudukan Dalam Tim Kerja" in page, "header row repeated"
    everything = " ".join(lampiran_pages)
    for member in members:
        assert everything.count(grouped_nip(member["nip"])) == 1
    assert everything.index("Pegawai Nomor 08") < everything.index("Pegawai Nomor 01"), "Ketua first"
    last = lampiran_pages[-1]
    assert "Drs. Hendra Wijaya, M.Si." in last
    assert "Pegawai Nomor" in last, "the closing signature block shares its page with the end of the table"


def test_ten_reasons_and_long_titles_keep_the_signature_with_the_text(warm_naskah, sample):
    payload = sample("jawaban-pelibatan-ditolak")
    payload["data"]["alasan"] = [
        f"Alasan ke-{i + 1}: seluruh pejabat fungsional yang memiliki kompetensi sebagaimana dimaksud sedang "
        f"melaksanakan penugasan prioritas daerah yang tidak dapat ditunda sampai dengan akhir tahun anggaran "
        f"berjalan, sehingga pelibatan pada tim kerja lain akan mengganggu pencapaian kinerja unit organisasi"
        for i in range(10)]
    payload["data"]["penandatangan"]["jabatan"] = ("Kepala Dinas Perpustakaan Umum dan Arsip Daerah Kota Malang "
                                                   "selaku Pejabat Pembina Kepegawaian pada Perangkat Daerah")
    payload["data"]["penandatangan"]["nama"] = "Prof. Dr. Hj. Retno Wulandari Kusumaningtyas Prameswari, S.Sos., M.AP."
    pages = [flat(page) for page in pdftotext_pages(warm_naskah.issue(payload).pdf_path)]
    assert len(pages) >= 2
    assert "PEMERINTAH KOTA MALANG" in pages[0] and all("PEMERINTAH KOTA MALANG" not in p for p in pages[1:])
    text = " ".join(pages)
    for i in range(10):
        assert f"{i + 1}. Alasan ke-{i + 1}:" in text
    signed_page = next(page for page in pages if "Kusumaningtyas Prameswari" in page)
    assert "Demikian" in signed_page or "Alasan ke-10" in signed_page, "signature block not orphaned"
