"""The regulation's rules, checked before rendering: every refusal names the payload field."""
from __future__ import annotations

import pytest

from naskah.errors import PayloadError
from naskah.formatting import nip, tanggal


def refusal(naskah, payload) -> str:
    with pytest.raises(PayloadError) as caught:
        naskah.prepare(payload)
    return str(caught.value)


def test_samples_pass_every_rule(naskah, sample):
    for name in ("surat-tugas-tim", "surat-tugas-individu"):
        prepared = naskah.prepare(sample(name))
        assert prepared.context["nomor"] == sample(name)["data"]["nomor"]


def test_indonesian_date_and_grouped_nip():
    import datetime as dt
    assert tanggal(dt.date(2023, 6, 27)) == "27 Juni 2023"
    assert tanggal("2023-08-01") == "1 Agustus 2023"
    assert nip("198503142010011002") == "19850314 201001 1 002"


@pytest.mark.parametrize("bad, why", [
    ("19850314201001100", "18 digits"),
    ("1985031420100110022", "18 digits"),
    ("19850314201001100X", "18 digits"),
    ("19851314201001 1002", "birth date"),
    ("198503142010131002", "appointment year and month"),
    ("198503141990011002", "does not fit the birth date"),
    ("198503142010013002", "digit 15 must be 1 (male) or 2 (female)"),
    ("198503142010011000", "serial number 000"),
])
def test_invalid_nip_is_refused_naming_the_member(naskah, sample, bad, why):
    payload = sample("surat-tugas-tim")
    payload["data"]["tim"]["anggota"][2]["nip"] = bad
    message = refusal(naskah, payload)
    assert "data.tim.anggota[2].nip" in message
    assert why in message


def test_nip_of_pppk_contract_staff_is_accepted(naskah, sample):
    payload = sample("surat-tugas-individu")
    payload["data"]["pegawai"]["nip"] = "199001012022212001"  # code 21 in place of the month
    assert naskah.prepare(payload).context["pegawai"]["nip"] == "199001012022212001"


def test_two_ketua_are_refused(naskah, sample):
    payload = sample("surat-tugas-tim")
    payload["data"]["tim"]["anggota"][3]["peran"] = "Ketua"
    message = refusal(naskah, payload)
    assert "data.tim.anggota: a team has exactly one Ketua; found 2" in message
    assert "Siti Nurhaliza" in message


def test_no_ketua_is_refused(naskah, sample):
    payload = sample("surat-tugas-tim")
    payload["data"]["tim"]["anggota"][0]["peran"] = "anggota"
    assert "data.tim.anggota: a team has exactly one Ketua; found 0" in refusal(naskah, payload)


def test_ketua_is_listed_first_whatever_the_payload_order(naskah, sample):
    payload = sample("surat-tugas-tim")
    members = payload["data"]["tim"]["anggota"]
    members.append(members.pop(0))
    listed = naskah.prepare(payload).context["tim"]["anggota"]
    assert [m["kedudukan"] for m in listed] == ["Ketua"] + ["Anggota"] * 4
    assert listed[0]["nama"] == "Ahmad Fauzi, S.Kom., M.T."


def test_unknown_role_is_refused(naskah, sample):
    payload = sample("surat-tugas-tim")
    payload["data"]["tim"]["anggota"][1]["peran"] = "sekretaris"
    assert "data.tim.anggota[1].peran" in refusal(naskah, payload)


def test_validity_before_issue_date_is_refused(naskah, sample):
    payload = sample("surat-tugas-individu")
    payload["data"]["berlaku_sampai"] = "2023-07-02"
    message = refusal(naskah, payload)
    assert "data.berlaku_sampai: validity ends 2023-07-02, before the date of issue 2023-07-03" in message


def test_missing_fields_are_all_listed_at_once(naskah, sample):
    payload = sample("surat-tugas-tim")
    del payload["data"]["nomor"]
    del payload["data"]["tim"]["anggota"][1]["jabatan"]
    payload["data"]["dasar"] = []
    message = refusal(naskah, payload)
    assert "3 problems" in message
    assert "data.nomor: required, missing from the payload" in message
    assert "data.tim.anggota[1].jabatan: required, missing from the payload" in message
    assert "data.dasar" in message and "at least 1" in message


def test_wrong_types_are_refused(naskah, sample):
    payload = sample("surat-tugas-tim")
    payload["data"]["untuk"] = "Melaksanakan tugas"
    payload["data"]["ditetapkan"]["tanggal"] = "27 Juni 2023"
    payload["data"]["tim"]["anggota"] = {"nip": "198503142010011002"}
    message = refusal(naskah, payload)
    assert "data.untuk: Input should be a valid list" in message
    assert "data.ditetapkan.tanggal: Input should be a valid date" in message
    assert "data.tim.anggota: Input should be a valid list" in message


def test_signature_on_behalf_needs_the_principal(naskah, sample):
    payload = sample("surat-tugas-individu")
    del payload["data"]["penandatangan"]["jabatan_pemberi"]
    assert "data.penandatangan.jabatan_pemberi: required when signing a.n." in refusal(naskah, payload)


def test_unknown_signature_prefix_is_refused(naskah, sample):
    payload = sample("surat-tugas-individu")
    payload["data"]["penandatangan"]["kedudukan"] = "atas nama"
    assert "data.penandatangan.kedudukan" in refusal(naskah, payload)


def test_control_characters_and_huge_values_are_refused(naskah, sample):
    payload = sample("surat-tugas-individu")
    payload["data"]["pegawai"]["nama"] = "Maria\x00Ulfa"
    payload["data"]["untuk"] = ["x" * 100_000]
    message = refusal(naskah, payload)
    assert "data.pegawai.nama: contains control characters" in message
    assert "data.untuk[0]: String should have at most 2000 characters" in message


@pytest.mark.parametrize("kedudukan, expected", [
    (None, ["Kepala Dinas Komunikasi dan Informatika,"]),
    ("a.n.", ["a.n. Wali Kota Malang", "Kepala Dinas Komunikasi dan Informatika,"]),
    ("u.b.", ["a.n. Wali Kota Malang", "Sekretaris Daerah", "u.b.", "Kepala Dinas Komunikasi dan Informatika,"]),
    ("Plt.", ["Plt. Kepala Dinas Komunikasi dan Informatika,"]),
    ("Plh.", ["Plh. Kepala Dinas Komunikasi dan Informatika,"]),
])
def test_signature_block_lines(naskah, sample, kedudukan, expected):
    payload = sample("surat-tugas-individu")
    payload["data"]["penandatangan"].update(
        kedudukan=kedudukan, jabatan_pemberi="Wali Kota Malang", jabatan_perantara="Sekretaris Daerah",
        jabatan="Kepala Dinas Komunikasi dan Informatika")
    block = naskah.prepare(payload).context["penandatangan"]
    assert block["baris_jabatan"] == expected
    assert block["baris_nip"] == "NIP 19760718 200212 2 002"


def test_regional_secretary_signs_without_rank_and_nip(naskah, sample):
    payload = sample("surat-tugas-individu")
    payload["data"]["penandatangan"].update(kedudukan="a.n.", jabatan_pemberi="Wali Kota Malang",
                                            jabatan="Sekretaris Daerah")
    block = naskah.prepare(payload).context["penandatangan"]
    assert block["baris_nip"] == "" and block["baris_pangkat"] == ""


def test_cross_field_rules_are_listed_even_when_a_field_is_invalid(naskah, sample):
    payload = sample("surat-tugas-tim")
    payload["data"]["tim"]["anggota"][2]["nip"] = "198811052012131001"
    payload["data"]["tim"]["anggota"][3]["peran"] = "ketua"
    payload["data"]["berlaku_sampai"] = "2023-01-01"
    del payload["data"]["nomor"]
    message = refusal(naskah, payload)
    assert "4 problems" in message
    assert "data.nomor: required" in message
    assert "data.tim.anggota[2].nip: NIP 198811052012131001: digits 9-14" in message
    assert "data.tim.anggota: a team has exactly one Ketua; found 2" in message
    assert "data.berlaku_sampai: validity ends 2023-01-01, before the date of issue 2023-06-27" in message


def test_acting_regional_head_signs_without_rank_and_nip(naskah, sample):
    payload = sample("surat-tugas-individu")
    payload["data"]["penandatangan"].update(kedudukan="Plt.", jabatan="Wali Kota Malang", nip=None, pangkat=None)
    block = naskah.prepare(payload).context["penandatangan"]
    assert block["baris_jabatan"] == ["Plt. Wali Kota Malang,"]
    assert block["baris_nip"] == "" and block["baris_pangkat"] == ""


def test_other_officials_need_their_nip(naskah, sample):
    payload = sample("surat-tugas-individu")
    payload["data"]["penandatangan"]["nip"] = None
    assert "data.penandatangan.nip: required: a Kepala Bidang" in refusal(naskah, payload)
