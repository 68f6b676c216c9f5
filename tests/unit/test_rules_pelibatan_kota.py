"""The involvement letters' rules that differ by city, each refused where the city's regulation states it (naming the
field, citing its article) and accepted where it does not: who a request is addressed to (Perwal Kota Cilegon 17/2023
Lampiran huruf B angka 1 huruf b angka 1)), who answers it (Malang Lampiran huruf A angka 2 huruf a angka 2) huruf b),
Cilegon huruf b angka 2)), the first step across agencies (Malang angka 3) huruf a), Cilegon huruf c angka 1)), and
the oversight officials Tangerang keeps out (Perwal Kota Tangerang 12/2023 Pasal 29)."""
from __future__ import annotations

import copy
import json

import pytest

from naskah.config import SOURCE_ROOT

from refused import refused_only

EXAMPLES = SOURCE_ROOT / "mappings" / "examples"
CILEGON = "Perwal Kota Cilegon 17/2023"
TANGERANG = "Perwal Kota Tangerang 12/2023"
MALANG = "Perwal Kota Malang 16/2023"


def load(city: str, name: str) -> dict:
    return copy.deepcopy(json.loads((EXAMPLES / city / f"{name}.json").read_text(encoding="utf-8")))


@pytest.mark.parametrize("city, name", [("cilegon", "permohonan-pelibatan-lintas-unit"),
                                        ("cilegon", "jawaban-pelibatan-disetujui"),
                                        ("cilegon", "permohonan-pelibatan-pejabat-berwenang"),
                                        ("cilegon", "persetujuan-pengajuan-sukarela"),
                                        ("tangerang", "permohonan-pelibatan-lintas-perangkat-daerah"),
                                        ("tangerang", "pengajuan-sukarela-lintas-perangkat-daerah")])
def test_the_city_samples_pass(naskah, city, name):
    prepared = naskah.prepare(load(city, name))
    assert prepared.mapping.name.startswith(city + "_")


# ------------------------------------------------------------------------------------------------------------------
# Cilegon: the request goes to the Pejabat Penilai Kinerja dituju, who answers it
# ------------------------------------------------------------------------------------------------------------------

def test_cilegon_addresses_the_request_to_the_officials_assessor(naskah):
    payload = load("cilegon", "permohonan-pelibatan-lintas-unit")
    payload["data"]["tujuan"]["jabatan"] = "Kepala Badan Perencanaan Pembangunan Daerah Kota Cilegon"
    message = refused_only(naskah, payload, "data.tujuan.jabatan", f"{CILEGON} Lampiran huruf B angka 1 huruf b angka 1)")
    assert "Kepala Bidang Perencanaan, Pengendalian dan Evaluasi Pembangunan Daerah" in message


def test_malang_addresses_it_to_the_pimpinan_unit_organisasi_and_copies_the_assessor(naskah, sample):
    """Malang angka 2) huruf a): to the Pimpinan Unit Organisasi dituju, copied to the assessor: accepted."""
    payload = sample("permohonan-pelibatan-lintas-unit")
    assert "Kepala Dinas" in payload["data"]["tujuan"]["jabatan"]
    assert naskah.prepare(payload).letter_id


def test_cilegon_requests_name_the_assessor(naskah):
    payload = load("cilegon", "permohonan-pelibatan-lintas-unit")
    del payload["data"]["penilai_kinerja"]
    refused_only(naskah, payload, "data.penilai_kinerja", f"{CILEGON} Lampiran huruf B angka 1 huruf b angka 1)")


def test_cilegon_has_the_assessor_answer(naskah):
    payload = load("cilegon", "jawaban-pelibatan-disetujui")
    payload["data"]["penandatangan"].update(jabatan="Kepala Badan Perencanaan Pembangunan Daerah",
                                            nama="Ir. H. Andi Wijaya, M.T.", nip="197001011995031001")
    refused_only(naskah, payload, "data.penandatangan", f"{CILEGON} Lampiran huruf B angka 1 huruf b angka 2)")


def test_cilegon_reply_across_agencies_goes_through_the_pejabat_yang_berwenang(naskah):
    """Huruf c angka 5) huruf a): the assessor's reply goes to its own Pejabat yang Berwenang, not straight to the
    requesting agency."""
    payload = load("cilegon", "jawaban-pelibatan-disetujui")
    payload["data"]["lingkup"] = "lintas_instansi"
    article = f"{CILEGON} Lampiran huruf B angka 1 huruf c angka 5) huruf a)"
    refused_only(naskah, payload, "data.pejabat_berwenang", article)
    payload["data"]["pejabat_berwenang"] = {"jabatan": "Sekretaris Daerah Kota Cilegon",
                                            "nama": "Drs. H. Maman Mauludin, M.Si.", "nip": "196805121990031006"}
    refused_only(naskah, payload, "data.tujuan.jabatan", article)
    payload["data"]["tujuan"]["jabatan"] = "Sekretaris Daerah Kota Cilegon"
    assert naskah.prepare(payload).letter_id


def test_cilegon_first_step_is_copied_to_the_assessor_in_the_agency(naskah):
    payload = load("cilegon", "permohonan-pelibatan-pejabat-berwenang")
    payload["data"]["tembusan"] = []
    refused_only(naskah, payload, "data.tembusan", f"{CILEGON} Lampiran huruf B angka 1 huruf c angka 1)")


# ------------------------------------------------------------------------------------------------------------------
# Tangerang: no assessor copied, no first step; the oversight officials stay out (Pasal 29)
# ------------------------------------------------------------------------------------------------------------------

def test_tangerang_requests_need_no_assessor(naskah):
    """Pasal 24 ayat (2): the request goes to the Pimpinan Unit Organisasi; no copy to an assessor is asked for."""
    payload = load("tangerang", "permohonan-pelibatan-lintas-perangkat-daerah")
    assert "penilai_kinerja" not in payload["data"]
    payload["data"]["lingkup"] = "lintas_unit_organisasi"
    assert naskah.prepare(payload).letter_id


def test_tangerang_states_no_first_step_across_agencies(naskah):
    payload = load("tangerang", "permohonan-pelibatan-lintas-perangkat-daerah")
    payload["data"].update(lingkup="lintas_instansi", instansi_tujuan="Pemerintah Provinsi Banten")
    payload["data"]["tujuan"]["jabatan"] = "Sekretaris Daerah Provinsi Banten"
    assert "rujukan" not in payload["data"]
    assert naskah.prepare(payload).letter_id


def test_tangerang_request_across_perangkat_daerah_reaches_the_sekda(naskah):
    payload = load("tangerang", "permohonan-pelibatan-lintas-perangkat-daerah")
    payload["data"]["tembusan"] = ["Ketua Tim Kerja Integrasi Layanan Publik Digital"]
    refused_only(naskah, payload, "data.tembusan", f"{TANGERANG} Pasal 22 ayat (4) huruf b")
    payload["data"]["tujuan"]["jabatan"] = "Sekretaris Daerah Kota Tangerang"
    assert naskah.prepare(payload).letter_id


AUDITOR = "Jabatan Fungsional Auditor paling rendah jenjang Ahli Pertama"


def test_tangerang_refuses_a_request_for_an_oversight_official(naskah):
    payload = load("tangerang", "permohonan-pelibatan-lintas-perangkat-daerah")
    payload["data"]["kompetensi"][0] = AUDITOR
    message = refused_only(naskah, payload, "data.kompetensi[0]", f"{TANGERANG} Pasal 29")
    assert AUDITOR in message and "fungsi pengawasan" in message


@pytest.mark.parametrize("jabatan", ["Auditor Ahli Muda",
                                     "Pengawas Penyelenggaraan Urusan Pemerintahan di Daerah Ahli Pertama",
                                     "P2UPD Ahli Muda"])
def test_tangerang_refuses_an_application_by_an_oversight_official(naskah, jabatan):
    payload = load("tangerang", "pengajuan-sukarela-lintas-perangkat-daerah")
    payload["data"]["pemohon"]["jabatan"] = jabatan
    refused_only(naskah, payload, "data.pemohon.jabatan", f"{TANGERANG} Pasal 29")


def test_a_pengawas_who_is_no_oversight_official_applies(naskah):
    """A structural "Pejabat Pengawas" (a Kepala Seksi) or an "Analis Pengawasan" is not on the list."""
    payload = load("tangerang", "pengajuan-sukarela-lintas-perangkat-daerah")
    payload["data"]["pemohon"]["jabatan"] = "Pranata Komputer Ahli Pertama pada Seksi Pengawasan Aplikasi"
    assert naskah.prepare(payload).letter_id


def test_malang_and_cilegon_state_no_such_exclusion(naskah, sample):
    payload = sample("permohonan-pelibatan-lintas-unit")
    payload["data"]["kompetensi"][0] = AUDITOR
    assert naskah.prepare(payload).letter_id
    payload = sample("persetujuan-pengajuan-sukarela")
    payload["data"]["pemohon"]["jabatan"] = "Auditor Ahli Pertama"
    assert naskah.prepare(payload).letter_id
    payload = load("cilegon", "pengajuan-sukarela-lintas-unit")
    payload["data"]["pemohon"]["jabatan"] = "Auditor Ahli Pertama"
    assert naskah.prepare(payload).letter_id
    payload = sample("jawaban-pelibatan-disetujui")
    payload["data"]["pegawai_ditugaskan"][0]["jabatan"] = "Auditor Ahli Muda"
    assert naskah.prepare(payload).letter_id
