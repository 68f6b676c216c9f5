"""Kota Cilegon (Perwal Kota Cilegon 17/2023): its mappings name that regulation, which gives them the Cilegon
template set and rule set. Every letter kind Cilegon uses is issued end to end from its samples (one story: the
Tim Kerja Satu Data of the Diskominfo, a statistician of the Bappeda lent to it, an official applying to join),
read as a Cilegon secretariat would; each rule that differs by city is refused here citing Cilegon's article and
accepted where the regulation does not state it."""
from __future__ import annotations

import pytest

from naskah.letters.peraturan import CILEGON, REGULATIONS

from cities import assert_refused, city_sample, common_tests, problems, text
from samples import load_sample

CITY = "cilegon"
NAMA = "Perwal Kota Cilegon 17/2023"
SAMPLES = {
    "keputusan_tim_kerja": "keputusan-tim-kerja",
    "permohonan_pelibatan": "permohonan-pelibatan-lintas-unit",
    "jawaban_permohonan_pelibatan": "jawaban-pelibatan-disetujui",
    "surat_tugas_individu": "surat-perintah-tugas-penugasan",
    "pengajuan_sukarela": "pengajuan-sukarela-lintas-unit",
    "persetujuan_pengajuan_sukarela": "persetujuan-pengajuan-sukarela",
    "permohonan_pelibatan_pejabat_berwenang": "permohonan-pelibatan-pejabat-berwenang",
}
#: the applicant's own letter has no kop
WITHOUT_KOP = {"pengajuan_sukarela"}
issued, test_signed_valid_archival_with_the_emblem_on_page_one, test_the_kop_is_the_citys = common_tests(
    CITY, SAMPLES, WITHOUT_KOP)


def test_keputusan_of_the_unit_that_owns_the_work(issued):
    data = city_sample(CITY, "keputusan-tim-kerja")["data"]
    letter = text(issued["keputusan_tim_kerja"])
    for part in ("DINAS KOMUNIKASI, INFORMATIKA, SANDI DAN STATISTIK",
                 "KEPUTUSAN KEPALA DINAS KOMUNIKASI, INFORMATIKA, SANDI DAN STATISTIK KOTA CILEGON",
                 f"NOMOR {data['nomor']}", "TENTANG", "Menimbang", "Pasal 9 ayat (1) Peraturan Wali Kota Cilegon Nomor 17",
                 "Mengingat", "MEMUTUSKAN:", "Menetapkan", "KESATU", "Membentuk Tim Kerja Satu Data Kota Cilegon",
                 "KEDUA", "Menunjuk Yusuf Maulana, S.Kom., M.Kom., NIP 19860217 201001 1 004",
                 "KETIGA", "KEEMPAT", "KELIMA", "KEENAM", "Ditetapkan di Cilegon", "pada tanggal 8 Januari 2024",
                 "Drs. Hendra Gunawan, M.Si.", "NIP 19700412 199503 1 002",
                 "Salinan Keputusan ini disampaikan kepada Yth.:", "1. Wali Kota Cilegon (sebagai laporan)",
                 "LAMPIRAN", "SUSUNAN KEANGGOTAAN TIM KERJA SATU DATA KOTA CILEGON"):
        assert part in letter, part
    for number, member in enumerate(data["tim"]["anggota"], start=1):
        assert f"{number}. {member['nama']}" in letter, member["nama"]


def test_surat_perintah_tugas_after_the_approval(issued):
    letter = text(issued["surat_tugas_individu"])
    for part in ("BADAN PERENCANAAN PEMBANGUNAN DAERAH", "SURAT PERINTAH TUGAS", "NOMOR: 800.1.11.1/0027/36.72.300/2024",
                 "Dasar", "1. Peraturan Wali Kota Cilegon Nomor 17 Tahun 2023",
                 "2. Surat Kepala Bidang Perencanaan, Pengendalian dan Evaluasi Pembangunan Daerah",
                 "Nomor 000.5.1/0044/36.72.300/2024 tanggal 22 Januari 2024", "MEMERINTAHKAN:",
                 ": Rina Marlina, S.Si.", ": 19940206 201903 2 005", "Untuk",
                 "Melaksanakan tugas sebagai Anggota Tim Kerja Satu Data Kota Cilegon",
                 "Surat perintah tugas ini mulai berlaku sejak tanggal ditetapkan sampai dengan tanggal 31 Juli 2024.",
                 "Ditetapkan di Cilegon", "pada tanggal 25 Januari 2024", "Dedi Kurniawan, S.T., M.Si.",
                 "Tembusan:", "1. Kepala Badan Perencanaan Pembangunan Daerah Kota Cilegon"):
        assert part in letter, part
    assert "SURAT TUGAS" not in letter.replace("SURAT PERINTAH TUGAS", "")


def test_the_request_goes_to_the_assessor_with_its_four_contents(issued):
    """Lampiran huruf B angka 1 huruf b angka 1): to the Pejabat Penilai Kinerja dituju; the four contents."""
    letter = text(issued["permohonan_pelibatan"])
    for part in ("Cilegon, 15 Januari 2024", "000.5.1/0031/36.72.401/2024", "Permohonan Pelibatan Pejabat Fungsional Statistisi",
                 "Yth. Kepala Bidang Perencanaan, Pengendalian dan Evaluasi Pembangunan Daerah Badan Perencanaan",
                 "Dalam rangka penyelenggaraan Satu Data Kota Cilegon",
                 "a. Kompetensi, keahlian dan/atau keterampilan yang dibutuhkan:",
                 "b. Ekspektasi kinerja/target yang diharapkan:",
                 "c. Jangka waktu pelibatan: 6 (enam) bulan, terhitung mulai tanggal 1 Februari 2024",
                 "Drs. Hendra Gunawan, M.Si.", "Tembusan:"):
        assert part in letter, part


def test_the_assessor_answers_and_the_approval_meets_the_criteria(issued):
    letter = text(issued["jawaban_permohonan_pelibatan"])
    for part in ("BADAN PERENCANAAN PEMBANGUNAN DAERAH", "000.5.1/0044/36.72.300/2024",
                 "Yth. Kepala Dinas Komunikasi, Informatika, Sandi dan Statistik Kota Cilegon",
                 "Nomor 000.5.1/0031/36.72.401/2024 tanggal 15 Januari 2024",
                 "menugaskan pegawai yang sesuai dengan kriteria dalam surat permohonan tersebut",
                 "Rina Marlina, S.Si.", "Statistisi Ahli Pertama", "Dedi Kurniawan, S.T., M.Si."):
        assert part in letter, part


def test_the_application_is_copied_to_the_assessor_and_names_no_superiors_consent(issued):
    letter = text(issued["pengajuan_sukarela"])
    for part in ("Cilegon, 5 Februari 2024", "Hal : Permohonan Pelibatan dalam Tim Kerja secara Sukarela",
                 "Yth. Kepala Dinas Komunikasi, Informatika, Sandi dan Statistik Kota Cilegon",
                 "Fajar Ramadhan, S.Kom.", "Tim Kerja Satu Data Kota Cilegon", "Pemohon,", "Tembusan:",
                 "1. Kepala Bidang Pengelolaan Informasi Administrasi Kependudukan"):
        assert part in letter, part
    assert "persetujuan atasan langsung" not in letter


def test_the_approval_of_the_application_and_the_first_step_across_agencies(issued):
    approval = text(issued["persetujuan_pengajuan_sukarela"])
    for part in ("Persetujuan Permohonan Pelibatan secara Sukarela", "Yth. Sdr. Fajar Ramadhan, S.Kom.",
                 "tanggal 5 Februari 2024", "Siti Aminah, S.Kom., M.M."):
        assert part in approval, part
    first = text(issued["permohonan_pelibatan_pejabat_berwenang"])
    for part in ("Yth. Sekretaris Daerah Kota Cilegon", "Badan Pusat Statistik Kota Cilegon",
                 "Sekretaris Dinas Komunikasi, Informatika, Sandi dan Statistik Kota Cilegon selaku Pejabat Penilai"):
        assert part in first, part


def test_every_letter_kind_cilegon_uses_has_a_sample():
    assert set(SAMPLES) == REGULATIONS[CILEGON].jenis


# --------------------------------------------------------------------------------------------------
# Rules that differ by city
# --------------------------------------------------------------------------------------------------

def _two_ketua(data):
    data["tim"]["anggota"][1]["peran"] = "ketua"


def test_one_ketua_cites_the_lampiran_that_lets_the_unit_appoint_one():
    payload = city_sample(CITY, "keputusan-tim-kerja")
    _two_ketua(payload["data"])
    assert_refused(payload, "data.tim.anggota", f"{NAMA} Lampiran huruf C angka 1 huruf c")


def test_an_official_alone_reports_to_the_unit_per_pasal_11():
    payload = city_sample(CITY, "surat-perintah-tugas-penugasan")
    del payload["data"]["melapor_kepada"]
    assert_refused(payload, "data.melapor_kepada", f"{NAMA} Pasal 11 ayat (1)")


def test_the_surat_tugas_format_is_malangs_annex_there_and_permendagris_here():
    payload = city_sample(CITY, "surat-perintah-tugas-penugasan")
    payload["data"]["dasar"] = []
    assert_refused(payload, "data.dasar", "Permendagri 1/2023 (tata naskah dinas: surat perintah dan surat tugas)")
    malang = load_sample("surat-tugas-individu")
    malang["data"]["dasar"] = []
    assert_refused(malang, "data.dasar", "Perwal Kota Malang 16/2023 Lampiran huruf C")


def test_a_team_is_formed_by_keputusan_not_by_surat_perintah():
    """Pasal 9 ayat (1): the mapping for a Cilegon Surat Perintah does not even load (the regulation provides no
    such letter), and a Surat Perintah judged under Cilegon's rules is refused citing Pasal 9."""
    from naskah.letters.penetapan import penetapan_problems

    (field, message), = penetapan_problems(CILEGON, "surat_perintah", "lintas_unit_organisasi",
                                           "kepala_perangkat_daerah")
    assert field == ("lingkup",) and f"{NAMA} Pasal 9 ayat (1)" in message


def test_the_approval_is_cited_where_the_regulation_states_it():
    payload = city_sample(CITY, "surat-perintah-tugas-penugasan")
    payload["data"]["rujukan"]["tanggal"] = "2024-02-01"
    assert_refused(payload, "data.rujukan.tanggal", f"{NAMA} Lampiran huruf B angka 1 huruf b angka 3)")


def test_oversight_officials_may_be_assigned_in_cilegon():
    """Tangerang keeps them out (its Pasal 29); Cilegon's regulation does not."""
    payload = city_sample(CITY, "keputusan-tim-kerja")
    payload["data"]["tim"]["anggota"][2]["jabatan"] = "Auditor Ahli Pertama"
    assert problems(payload) == {}


def test_a_request_states_the_expected_performance_citing_cilegons_lampiran():
    payload = city_sample(CITY, "permohonan-pelibatan-lintas-unit")
    del payload["data"]["ekspektasi_kinerja"]
    assert_refused(payload, "data.ekspektasi_kinerja", f"{NAMA} Lampiran huruf B angka 1 (surat permohonan pelibatan "
                   "paling sedikit memuat angka 3) ekspektasi/target kinerja)")
    payload = city_sample(CITY, "permohonan-pelibatan-lintas-unit")
    del payload["data"]["maksud_tujuan"]
    assert_refused(payload, "data.maksud_tujuan", f"{NAMA} Lampiran huruf B angka 1 (surat permohonan pelibatan "
                   "paling sedikit memuat angka 1)-4))")


def test_the_application_is_copied_to_the_applicants_assessor():
    """Lampiran huruf B angka 2 huruf b angka 1); Malang asks for the superior's consent instead (Pasal 10 ayat (5)),
    which Cilegon does not."""
    payload = city_sample(CITY, "pengajuan-sukarela-lintas-unit")
    del payload["data"]["penilai_kinerja"]
    assert_refused(payload, "data.penilai_kinerja", f"{NAMA} Lampiran huruf B angka 2 huruf b angka 1)")
    payload = city_sample(CITY, "pengajuan-sukarela-lintas-unit")
    payload["data"]["tembusan"] = payload["data"]["tembusan"][1:]
    assert_refused(payload, "data.tembusan", f"{NAMA} Lampiran huruf B angka 2 huruf b angka 1)")
    assert "persetujuan_atasan" not in city_sample(CITY, "pengajuan-sukarela-lintas-unit")["data"]
    malang = load_sample("pengajuan-sukarela-lintas-unit")
    del malang["data"]["persetujuan_atasan"]
    assert_refused(malang, "data.persetujuan_atasan", "Perwal Kota Malang 16/2023 Pasal 10 ayat (5)")


def test_a_voluntary_application_stays_within_the_agency():
    payload = city_sample(CITY, "pengajuan-sukarela-lintas-unit")
    payload["data"]["lingkup"] = "lintas_instansi"
    assert_refused(payload, "data.lingkup", f"{NAMA} Lampiran huruf B angka 2 huruf a dan huruf b")
