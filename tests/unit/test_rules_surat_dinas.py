"""The rules of the involvement letters (Perwal Malang 16/2023 Pasal 9-10, Perwal Cilegon 17/2023):
each refusal names the payload field."""
from __future__ import annotations


import pytest

from naskah.errors import PayloadError
from naskah.letters.surat_dinas import Durasi

from refused import problems, refused_only


def refusal(naskah, payload) -> str:
    with pytest.raises(PayloadError) as caught:
        naskah.prepare(payload)
    return str(caught.value)


@pytest.mark.parametrize("mulai, selesai, lama", [
    ("2023-09-01", "2023-12-31", "4 (empat) bulan"),
    ("2023-10-01", "2024-03-31", "6 (enam) bulan"),
    ("2024-02-01", "2024-02-29", "1 (satu) bulan"),
    ("2024-01-02", "2024-06-28", "5 (lima) bulan 27 (dua puluh tujuh) hari"),
    ("2023-09-01", "2023-09-01", "1 (satu) hari"),
    ("2023-09-01", "2024-08-31", "12 (dua belas) bulan"),
])
def test_duration_in_words(mulai, selesai, lama):
    assert Durasi(mulai=mulai, selesai=selesai).lama == lama


@pytest.mark.parametrize("field, message", [
    ("maksud_tujuan", "data.maksud_tujuan: required, missing from the payload"),
    ("kompetensi", "data.kompetensi: required, missing from the payload"),
    ("ekspektasi_kinerja", "data.ekspektasi_kinerja: required, missing from the payload"),
    ("durasi", "data.durasi: required, missing from the payload"),
])
def test_request_without_one_of_the_four_contents_is_refused(naskah, sample, field, message):
    payload = sample("permohonan-pelibatan-lintas-unit")
    del payload["data"][field]
    assert message in refusal(naskah, payload)


def test_request_with_empty_lists_is_refused(naskah, sample):
    payload = sample("permohonan-pelibatan-lintas-unit")
    payload["data"]["kompetensi"] = []
    payload["data"]["ekspektasi_kinerja"] = ["  "]
    message = refusal(naskah, payload)
    assert "data.kompetensi: List should have at least 1 item" in message
    assert "data.ekspektasi_kinerja[0]: String should have at least 1 character" in message


def test_duration_ending_before_it_starts_is_refused(naskah, sample):
    payload = sample("permohonan-pelibatan-lintas-unit")
    payload["data"]["durasi"] = {"mulai": "2023-12-31", "selesai": "2023-09-01"}
    assert "data.durasi.selesai: ends 2023-09-01, before it starts 2023-12-31" in refusal(naskah, payload)


def test_cross_agency_request_names_the_agency(naskah, sample):
    payload = sample("permohonan-pelibatan-lintas-instansi")
    del payload["data"]["instansi_tujuan"]
    assert "data.instansi_tujuan: required for a cross-agency request" in refusal(naskah, payload)


def test_refusal_needs_a_reason_and_no_empty_one(naskah, sample):
    payload = sample("jawaban-pelibatan-ditolak")
    payload["data"]["alasan"] = []
    assert "data.alasan: a refusal gives at least one reason" in refusal(naskah, payload)
    payload["data"]["alasan"] = ["Beban kerja tinggi", ""]
    assert "data.alasan[1]: String should have at least 1 character" in refusal(naskah, payload)


def test_approval_lists_the_officials_and_the_duration(naskah, sample):
    payload = sample("jawaban-pelibatan-disetujui")
    payload["data"]["pegawai_ditugaskan"] = []
    del payload["data"]["durasi"]
    message = refusal(naskah, payload)
    assert "data.pegawai_ditugaskan: an approval lists at least one official assigned" in message
    assert "data.durasi: an approval states the duration" in message


def test_reply_cites_the_request_number(naskah, sample):
    payload = sample("jawaban-pelibatan-disetujui")
    payload["data"]["surat_permohonan"]["nomor"] = None
    assert "data.surat_permohonan.nomor: required: the reply cites" in refusal(naskah, payload)


def test_voluntary_refusal_needs_reasons(naskah, sample):
    payload = sample("penolakan-pengajuan-sukarela")
    del payload["data"]["alasan"]
    assert "data.alasan: required, missing from the payload" in refusal(naskah, payload)


def test_voluntary_application_needs_the_superiors_consent(naskah, sample):
    payload = sample("pengajuan-sukarela-lintas-unit")
    del payload["data"]["persetujuan_atasan"]
    assert "data.persetujuan_atasan: required, missing from the payload" in refusal(naskah, payload)


def test_every_sample_passes(naskah, sample):
    for name in ("permohonan-pelibatan-lintas-unit", "permohonan-pelibatan-lintas-instansi",
                 "jawaban-pelibatan-disetujui", "jawaban-pelibatan-ditolak", "pengajuan-sukarela-lintas-unit",
                 "penolakan-pengajuan-sukarela"):
        assert naskah.prepare(sample(name)).letter_id


# --------------------------------------------------------------------------------------------------
# Who answers a request, and who is copied (Malang Lampiran huruf A angka 2 huruf a angka 2)-3))
# --------------------------------------------------------------------------------------------------

MALANG = "Perwal Kota Malang 16/2023"
PENUNJUKAN = f"{MALANG} Lampiran huruf A angka 2 huruf a"


def cited(problem, citation: str) -> str:
    assert problem.citation == citation, problem
    assert str(problem.message).endswith(f"[{citation}]"), problem
    return problem.message


def _uncopied(data):
    data["tembusan"] = ["Sekretaris Daerah Kota Malang"]


def _signed_by_the_head(data):
    data["penandatangan"].update(jabatan="Kepala Dinas Perpustakaan Umum dan Arsip Daerah",
                                 nama="Hj. Retno Wulandari, S.Sos., M.AP.", nip="197109231996032001")


@pytest.mark.parametrize("name, mistake, field, article, says", [
    ("permohonan-pelibatan-lintas-unit", _uncopied, "data.tembusan", "angka 2) huruf a)",
     ["Kepala Bidang Pengelolaan Arsip", "no tembusan names them"]),
    ("jawaban-pelibatan-disetujui", _signed_by_the_head, "data.penandatangan", "angka 2) huruf b)",
     ["Drs. Eko Budi Santoso, M.Si.", "Hj. Retno Wulandari"]),
    ("jawaban-pelibatan-ditolak", _signed_by_the_head, "data.penandatangan", "angka 2) huruf b)",
     ["Drs. Eko Budi Santoso, M.Si.", "Hj. Retno Wulandari"]),
], ids=["request-copied", "approval-signed", "refusal-signed"])
def test_the_officials_assessor_is_copied_and_answers(naskah, sample, name, mistake, field, article, says):
    """The request is copied to the officials' Pejabat Penilai Kinerja (huruf a)), who signs the reply (huruf b));
    without ``penilai_kinerja`` the letter cannot tell."""
    payload = sample(name)
    mistake(payload["data"])
    message = refused_only(naskah, payload, field, f"{PENUNJUKAN} {article}")
    assert all(part in message for part in says), message
    del payload["data"]["penilai_kinerja"]
    refused_only(naskah, payload, "data.penilai_kinerja", f"{PENUNJUKAN} {article}")


def test_a_request_addressed_to_the_assessor_needs_no_copy(naskah, sample):
    """Where the Pimpinan Unit Organisasi dituju is also the officials' assessor, the letter reaches them."""
    payload = sample("permohonan-pelibatan-lintas-unit")
    payload["data"]["tembusan"] = ["Sekretaris Daerah Kota Malang"]
    payload["data"]["tujuan"]["jabatan"] = "Kepala Bidang Pengelolaan Arsip Dinas Perpustakaan Umum dan Arsip Daerah"
    assert naskah.prepare(payload).letter_id


def test_a_cross_agency_request_follows_the_units_first_letter(naskah, sample):
    payload = sample("permohonan-pelibatan-lintas-instansi")
    del payload["data"]["rujukan"]
    assert "permohonan_pelibatan_pejabat_berwenang" in refused_only(naskah, payload, "data.rujukan", f"{PENUNJUKAN} angka 3) huruf a)")
    payload = sample("permohonan-pelibatan-lintas-instansi")
    payload["data"]["rujukan"]["tanggal"] = "2023-09-05"
    refused_only(naskah, payload, "data.rujukan.tanggal", f"{PENUNJUKAN} angka 3) huruf a)")
    # across agencies the request goes to the other agency's Pejabat yang Berwenang: no assessor is copied
    payload = sample("permohonan-pelibatan-lintas-instansi")
    assert "penilai_kinerja" not in payload["data"]
    assert naskah.prepare(payload).letter_id


def test_the_first_step_is_copied_to_the_assessor_in_its_agency(naskah, sample):
    payload = sample("permohonan-pelibatan-pejabat-berwenang")
    payload["data"]["tembusan"] = []
    assert "Kepala Bidang Aplikasi Informatika" in refused_only(naskah, payload, "data.tembusan", f"{PENUNJUKAN} angka 3) huruf a)")
    payload = sample("permohonan-pelibatan-pejabat-berwenang")
    del payload["data"]["penilai_kinerja"], payload["data"]["instansi_tujuan"]
    found = problems(naskah, payload)
    assert set(found) == {"data.penilai_kinerja", "data.instansi_tujuan"}, found
    cited(found["data.instansi_tujuan"], f"{PENUNJUKAN} angka 3) huruf a)")


def test_the_first_step_states_the_four_contents(naskah, sample):
    payload = sample("permohonan-pelibatan-pejabat-berwenang")
    del payload["data"]["ekspektasi_kinerja"]
    payload["data"]["durasi"]["mulai"] = "2023-08-01"
    found = problems(naskah, payload)
    assert set(found) == {"data.ekspektasi_kinerja", "data.durasi.mulai"}, found
    assert found["data.ekspektasi_kinerja"].citation.startswith(f"{PENUNJUKAN} (surat permohonan pelibatan")


def test_the_assessor_signs_on_behalf_of_the_head_or_by_name_without_nip(naskah, sample):
    payload = sample("jawaban-pelibatan-disetujui")
    payload["data"]["penandatangan"].update(kedudukan="a.n.",
                                            jabatan_pemberi="Kepala Dinas Perpustakaan Umum dan Arsip Daerah")
    del payload["data"]["penilai_kinerja"]["nip"]
    assert naskah.prepare(payload).letter_id


_SEKDA = {"jabatan": "Sekretaris Daerah Kota Malang", "nama": "Ir. Bagus Pramono, M.T.", "nip": "196803171993031008"}


def _across_agencies(payload: dict) -> dict:
    """The sample reply as one across agencies: the agency asked has its Pejabat yang Berwenang (the Sekda)."""
    payload["data"].update(lingkup="lintas_instansi", pejabat_berwenang=dict(_SEKDA))
    return payload


def test_across_agencies_the_pejabat_yang_berwenang_signs_the_reply(naskah, sample):
    """Malang angka 3) huruf e) angka (1): the assessor answers its Pejabat yang Berwenang, who answers the
    requesting agency: the Pejabat yang Berwenang's reply needs no assessor."""
    payload = _across_agencies(sample("jawaban-pelibatan-disetujui"))
    del payload["data"]["penilai_kinerja"]
    payload["data"]["penandatangan"].update(kedudukan="a.n.", jabatan_pemberi="Wali Kota Malang",
                                            jabatan="Sekretaris Daerah", nama=_SEKDA["nama"], nip=_SEKDA["nip"])
    assert naskah.prepare(payload).letter_id


def test_across_agencies_the_assessor_answers_its_own_pejabat_yang_berwenang(naskah, sample):
    payload = _across_agencies(sample("jawaban-pelibatan-disetujui"))
    payload["data"]["tujuan"]["jabatan"] = "Sekretaris Daerah Kota Malang"
    assert naskah.prepare(payload).letter_id  # signed by the assessor, to the Sekda of its agency
    payload["data"]["tujuan"]["jabatan"] = "Sekretaris Daerah Provinsi Jawa Timur"  # the requesting agency's
    message = refused_only(naskah, _across_agencies(payload), "data.tujuan.jabatan",
                           f"{PENUNJUKAN} angka 3) huruf e) angka (1)")
    assert "Sekretaris Daerah Provinsi Jawa Timur" in message


def test_across_agencies_no_one_else_signs_the_reply(naskah, sample):
    payload = _across_agencies(sample("jawaban-pelibatan-ditolak"))
    _signed_by_the_head(payload["data"])
    message = refused_only(naskah, payload, "data.penandatangan", f"{PENUNJUKAN} angka 3) huruf e) angka (1)")
    assert all(part in message for part in ("Ir. Bagus Pramono, M.T.", "Hj. Retno Wulandari")), message
    del payload["data"]["pejabat_berwenang"]
    refused_only(naskah, payload, "data.pejabat_berwenang", f"{PENUNJUKAN} angka 3) huruf e) angka (1)")


# --------------------------------------------------------------------------------------------------
# The written approval of a voluntary application (Malang Lampiran huruf A angka 2 huruf b angka 2) huruf b))
# --------------------------------------------------------------------------------------------------

SUKARELA = f"{MALANG} Lampiran huruf A angka 2 huruf b"


def test_the_approval_names_the_applicant_and_their_assessor(naskah, sample):
    payload = sample("persetujuan-pengajuan-sukarela")
    del payload["data"]["penilai_kinerja"], payload["data"]["pemohon"]
    found = problems(naskah, payload)
    assert set(found) == {"data.penilai_kinerja", "data.pemohon"}, found
    for field in found:
        cited(found[field], f"{SUKARELA} angka 2) huruf b)")


def test_the_approval_stays_within_the_agency_and_follows_the_application(naskah, sample):
    payload = sample("persetujuan-pengajuan-sukarela")
    payload["data"]["lingkup"] = "lintas_instansi"
    payload["data"]["surat_permohonan"]["tanggal"] = "2023-10-17"
    found = problems(naskah, payload)
    assert set(found) == {"data.lingkup", "data.surat_permohonan.tanggal"}, found
    cited(found["data.lingkup"], SUKARELA)
    cited(found["data.surat_permohonan.tanggal"], f"{SUKARELA} angka 2) huruf b)")


def test_every_new_sample_passes(naskah, sample):
    for name in ("permohonan-pelibatan-pejabat-berwenang", "persetujuan-pengajuan-sukarela",
                 "surat-tugas-penugasan-sukarela"):
        assert naskah.prepare(sample(name)).letter_id
