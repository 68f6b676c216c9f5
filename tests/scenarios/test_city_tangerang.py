"""Kota Tangerang (Perwal Kota Tangerang 12/2023): its mappings name that regulation, which gives them the Tangerang
template set and rule set. Every letter kind Tangerang uses is issued end to end from its samples (one story: the
Diskominfo's Tim Kerja Integrasi Layanan Publik Digital formed by Surat Perintah, an official of the Disdukcapil
asked for and assigned to it, an official applying to join, and the Wali Kota's Keputusan forming a team with the
BPS), read as a Tangerang secretariat would; each rule that differs by city is refused here citing Tangerang's
article and accepted where the regulation does not state it."""
from __future__ import annotations

import pytest

from naskah.letters.peraturan import REGULATIONS, TANGERANG

from cities import assert_refused, city_sample, common_tests, problems, text
from samples import load_sample

CITY = "tangerang"
NAMA = "Perwal Kota Tangerang 12/2023"
SAMPLES = {
    "surat_perintah": "surat-perintah-tim",
    "permohonan_pelibatan": "permohonan-pelibatan-lintas-perangkat-daerah",
    "surat_tugas_individu": "surat-tugas-individu",
    "keputusan_tim_kerja": "keputusan-tim-kerja",
    "pengajuan_sukarela": "pengajuan-sukarela-lintas-perangkat-daerah",
}
#: the applicant's own letter has no kop
WITHOUT_KOP = {"pengajuan_sukarela"}
issued, test_signed_valid_archival_with_the_emblem_on_page_one, test_the_kop_is_the_citys = common_tests(
    CITY, SAMPLES, WITHOUT_KOP)


def test_surat_perintah_appoints_the_ketua(issued):
    """Pasal 22 ayat (1) huruf a: the Ketua of a team across the units of a Perangkat Daerah by surat perintah of
    its Kepala; ayat (2): the Ketua reports the members' performance to their assessors."""
    data = city_sample(CITY, "surat-perintah-tim")["data"]
    letter = text(issued["surat_perintah"])
    for part in ("DINAS KOMUNIKASI DAN INFORMATIKA", "SURAT PERINTAH", f"NOMOR: {data['nomor']}", "Dasar",
                 "1. Peraturan Wali Kota Tangerang Nomor 12 Tahun 2023", "MEMERINTAHKAN:",
                 "Kepada : Nama-nama berikut sebagaimana terlampir;",
                 "1. Melaksanakan tugas sebagai Ketua dan Anggota Tim Kerja Integrasi Layanan Publik Digital",
                 "dengan Andi Wijaya, S.Kom., M.T. sebagai Ketua Tim Kerja;",
                 "Ketua Tim Kerja melaporkan hasil kinerja anggota timnya kepada Pejabat Penilai Kinerja",
                 "Surat perintah ini mulai berlaku sejak tanggal ditetapkan sampai dengan tanggal 31 Desember 2024.",
                 "Ditetapkan di Tangerang", "pada tanggal 8 Januari 2024", "Drs. Teguh Santoso, M.Si.",
                 "NIP 19720315 199703 1 003", "Tembusan:", "Lampiran Surat Perintah", "1. Andi Wijaya, S.Kom., M.T."):
        assert part in letter, part
    for member in data["tim"]["anggota"]:
        assert member["nama"] in letter and member["jabatan"] in letter, member["nama"]


def test_keputusan_of_the_wali_kota_for_a_team_across_agencies(issued):
    """Pasal 22 ayat (1) huruf c; the Wali Kota signs without rank and NIP (Permendagri 1/2023 Pasal 44)."""
    data = city_sample(CITY, "keputusan-tim-kerja")["data"]
    letter = text(issued["keputusan_tim_kerja"])
    for part in ("SEKRETARIAT DAERAH", "KEPUTUSAN WALI KOTA TANGERANG", f"NOMOR {data['nomor']}", "TENTANG",
                 data["tentang"].upper(), "WALI KOTA TANGERANG,", "Menimbang",
                 "Pasal 22 ayat (1) huruf c Peraturan Wali Kota Tangerang Nomor 12 Tahun 2023", "Mengingat",
                 "MEMUTUSKAN:", "Menetapkan", "KESATU", "KEDUA",
                 "Menunjuk Andi Wijaya, S.Kom., M.T., NIP 19840725 200901 1 003", "KETIGA", "KEEMPAT", "KELIMA",
                 "KEENAM", "Ditetapkan di Tangerang", "pada tanggal 12 Februari 2024", "H. Rahmat Hidayat",
                 "Salinan Keputusan ini disampaikan kepada Yth.:", "LAMPIRAN",
                 "Statistisi Ahli Muda pada Badan Pusat Statistik Kota Tangerang"):
        assert part in letter, part
    assert "NIP 1" not in letter.split("H. Rahmat Hidayat")[1].split("Salinan")[0]


def test_surat_tugas_of_the_official_asked_for(issued):
    letter = text(issued["surat_tugas_individu"])
    for part in ("DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL", "SURAT TUGAS", "NOMOR: 800.1.11.1/0029/36.71.402/2024",
                 "Dasar", "MENUGASKAN:", ": Rudi Setiawan, S.Kom.", ": 19900420 201503 1 002",
                 "Melaksanakan tugas sebagai Anggota Tim Kerja Integrasi Layanan Publik Digital",
                 "Melaporkan hasilnya kepada Kepala Dinas Komunikasi dan Informatika Kota Tangerang sebagai "
                 "Pimpinan Unit Organisasi.",
                 "Surat tugas ini mulai berlaku sejak tanggal ditetapkan sampai dengan tanggal 28 Juni 2024.",
                 "Ditetapkan di Tangerang", "pada tanggal 29 Januari 2024", "Dr. Hj. Siti Rohmah, S.H., M.H.",
                 "Tembusan:", "1. Sekretaris Daerah Kota Tangerang"):
        assert part in letter, part


def test_the_request_has_the_four_contents_of_pasal_24(issued):
    """Pasal 24 ayat (2)-(3): to the pimpinan unit organisasi; huruf c is the duties and the individual targets."""
    letter = text(issued["permohonan_pelibatan"])
    for part in ("Tangerang, 15 Januari 2024", "000.5.1/0015/36.71.401/2024",
                 "Yth. Kepala Dinas Kependudukan dan Pencatatan Sipil Kota Tangerang",
                 "Dalam rangka integrasi layanan publik digital Pemerintah Kota Tangerang",
                 "a. Kompetensi, keahlian dan/atau keterampilan yang dibutuhkan:",
                 "b. Uraian tugas dan target capaian individu:",
                 "1. Menyiapkan layanan pertukaran data kependudukan untuk aplikasi layanan terpadu Kota Tangerang, "
                 "dengan target capaian: Layanan pertukaran data kependudukan dipakai oleh 5 (lima) layanan publik",
                 "c. Jangka waktu pelibatan: 4 (empat) bulan 28 (dua puluh delapan) hari",
                 "Tembusan:", "1. Sekretaris Daerah Kota Tangerang"):
        assert part in letter, part
    assert "Ekspektasi" not in letter


def test_the_application_to_the_unit_asked(issued):
    letter = text(issued["pengajuan_sukarela"])
    for part in ("Tangerang, 19 Februari 2024", "Yth. Kepala Dinas Komunikasi dan Informatika Kota Tangerang",
                 "Putri Anggraini, S.Kom.", "Badan Pendapatan Daerah Kota Tangerang",
                 "Tim Kerja Integrasi Layanan Publik Digital", "Pemohon,", "NIP 19960503 202012 2 004"):
        assert part in letter, part
    assert "persetujuan atasan langsung" not in letter


def test_every_letter_kind_tangerang_uses_has_a_sample():
    assert set(SAMPLES) == REGULATIONS[TANGERANG].jenis


# --------------------------------------------------------------------------------------------------
# Rules that differ by city
# --------------------------------------------------------------------------------------------------

def _auditor(data):
    data["tim"]["anggota"][2]["jabatan"] = "Auditor Ahli Pertama"


@pytest.mark.parametrize("name", ["surat-perintah-tim", "keputusan-tim-kerja"])
def test_an_oversight_official_is_kept_out_of_a_team(name):
    """Pasal 29: the assignment mechanism is not for functional officials carrying out oversight."""
    payload = city_sample(CITY, name)
    _auditor(payload["data"])
    problem = assert_refused(payload, "data.tim.anggota[2].jabatan", f"{NAMA} Pasal 29")
    assert "Auditor Ahli Pertama" in problem.message


def test_an_oversight_official_is_not_assigned_alone():
    payload = city_sample(CITY, "surat-tugas-individu")
    payload["data"]["pegawai"]["jabatan"] = "Pengawas Penyelenggaraan Urusan Pemerintahan di Daerah Ahli Muda"
    assert_refused(payload, "data.pegawai.jabatan", f"{NAMA} Pasal 29")


def test_malang_states_no_such_exclusion():
    for name in ("surat-perintah-tim", "keputusan-tim-kerja"):
        payload = load_sample(name)
        _auditor(payload["data"])
        assert problems(payload) == {}, name


def test_one_ketua_cites_pasal_22():
    payload = city_sample(CITY, "surat-perintah-tim")
    payload["data"]["tim"]["anggota"][1]["peran"] = "ketua"
    assert_refused(payload, "data.tim.anggota", f"{NAMA} Pasal 22 ayat (1)")


def test_a_team_across_perangkat_daerah_is_the_wali_kotas_or_the_sekdas():
    """Pasal 22 ayat (1) huruf b; a Malang Kepala Perangkat Daerah may sign it (Malang Pasal 9 ayat (6))."""
    payload = city_sample(CITY, "surat-perintah-tim")
    payload["data"]["lingkup"] = "lintas_perangkat_daerah"
    assert_refused(payload, "data.penetap.tingkat", f"{NAMA} Pasal 22 ayat (1) huruf b")
    malang = load_sample("surat-perintah-tim")
    malang["data"]["lingkup"] = "lintas_perangkat_daerah"
    assert problems(malang) == {}


def test_reports_cite_pasal_26():
    payload = city_sample(CITY, "surat-tugas-individu")
    del payload["data"]["melapor_kepada"]
    assert_refused(payload, "data.melapor_kepada", f"{NAMA} Pasal 26 huruf a")


def test_a_request_states_the_duties_and_individual_targets():
    """Pasal 24 ayat (3) huruf c; Malang's request states the ekspektasi kinerja instead and needs no duties."""
    payload = city_sample(CITY, "permohonan-pelibatan-lintas-perangkat-daerah")
    del payload["data"]["uraian_tugas"]
    payload["data"]["ekspektasi_kinerja"] = ["Integrasi lima layanan publik digital"]
    found = problems(payload)
    assert found["data.uraian_tugas"].citation == f"{NAMA} Pasal 24 ayat (3) huruf c", found
    assert set(found) == {"data.uraian_tugas"}, found
    malang = load_sample("permohonan-pelibatan-lintas-unit")
    assert "uraian_tugas" not in malang["data"] and problems(malang) == {}


def test_a_request_across_perangkat_daerah_reaches_the_sekretaris_daerah():
    """Pasal 22 ayat (4) huruf b; Malang asks no such thing."""
    payload = city_sample(CITY, "permohonan-pelibatan-lintas-perangkat-daerah")
    payload["data"]["tembusan"] = []
    assert_refused(payload, "data.tembusan", f"{NAMA} Pasal 22 ayat (4) huruf b")
    payload["data"]["tujuan"]["jabatan"] = "Sekretaris Daerah Kota Tangerang"
    assert problems(payload) == {}
    malang = load_sample("permohonan-pelibatan-lintas-unit")
    malang["data"]["lingkup"] = "lintas_perangkat_daerah"
    malang["data"]["tembusan"] = [line for line in malang["data"]["tembusan"] if "Sekretaris Daerah" not in line]
    assert problems(malang) == {}


def test_a_voluntary_application_has_no_bound_of_agency_and_no_consent_beforehand():
    """Pasal 24 ayat (4) sets neither; Malang refuses both (Lampiran huruf A angka 2 huruf b, Pasal 10 ayat (5))."""
    payload = city_sample(CITY, "pengajuan-sukarela-lintas-perangkat-daerah")
    payload["data"]["lingkup"] = "lintas_instansi"
    assert "persetujuan_atasan" not in payload["data"] and problems(payload) == {}
    malang = load_sample("pengajuan-sukarela-lintas-unit")
    malang["data"]["lingkup"] = "lintas_instansi"
    assert_refused(malang, "data.lingkup", "Perwal Kota Malang 16/2023 Lampiran huruf A angka 2 huruf b")
