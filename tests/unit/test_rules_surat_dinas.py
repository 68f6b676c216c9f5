"""The rules of the involvement letters (Perwal Malang 16/2023 Pasal 9-10, Perwal Cilegon 17/2023):
each refusal names the payload field."""
from __future__ import annotations


import pytest

from naskah.errors import PayloadError
from naskah.letters.surat_dinas import Durasi


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
