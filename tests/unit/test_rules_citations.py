"""Every refusal of a rule names the regulation and article it enforces, in its message and as the problem's
``citation`` (the service's problem object too); a rule no regulation states says it is naskah's own. Voluntary
applications stay within the agency and need the superior's consent (Perwal Kota Malang 16/2023)."""
from __future__ import annotations

import pytest

from naskah.errors import PayloadError, Problem
from naskah.service.errors import api_error_for

MALANG = "Perwal Kota Malang 16/2023"


def problems(naskah, payload) -> dict[str, Problem]:
    with pytest.raises(PayloadError) as caught:
        naskah.prepare(payload)
    return {problem.field: problem for problem in caught.value.problems}


def assert_cited(problem: Problem, citation: str):
    assert problem.citation == citation, problem
    assert citation in problem.message, problem
    assert citation in str(problem)


def _nip(data):
    data["tim"]["anggota"][2]["nip"] = "198811052012131001"


def _two_ketua(data):
    data["tim"]["anggota"][1]["peran"] = "ketua"


def _validity(data):
    data["berlaku_sampai"] = "2023-01-01"


def _no_dasar(data):
    data["dasar"] = []


def _control(data):
    data["tim"]["nama"] = "Tim\x01"


def _twice(data):
    data["tim"]["anggota"][2]["nip"] = data["tim"]["anggota"][1]["nip"]


def _an_without_principal(data):
    data["penandatangan"]["jabatan_pemberi"] = None


def _no_signer_nip(data):
    data["penandatangan"]["nip"] = None


@pytest.mark.parametrize("change, field, citation", [
    (_nip, "data.tim.anggota[2].nip", "aturan naskah (struktur NIP)"),
    (_two_ketua, "data.tim.anggota", f"{MALANG} Pasal 9 ayat (3)"),
    (_validity, "data.berlaku_sampai", f"{MALANG} Lampiran huruf C"),
    (_no_dasar, "data.dasar", f"{MALANG} Lampiran huruf C"),
    (_control, "data.tim.nama", "aturan naskah (teks yang dapat dicetak dalam DOCX)"),
    (_twice, "data.tim.anggota", "aturan naskah (satu pegawai sekali dalam satu tim)"),
    (_an_without_principal, "data.penandatangan.jabatan_pemberi", "Permendagri 1/2023 (tata naskah dinas: a.n. dan u.b.)"),
    (_no_signer_nip, "data.penandatangan.nip", "Permendagri 1/2023 Pasal 44 ayat (3)"),
])
def test_surat_tugas_refusals_cite_their_rule(naskah, sample, change, field, citation):
    payload = sample("surat-tugas-tim")
    change(payload["data"])
    found = problems(naskah, payload)
    assert field in found, found
    assert_cited(found[field], citation)


def test_the_shape_of_a_payload_cites_nothing(naskah, sample):
    payload = sample("surat-tugas-tim")
    payload["data"]["untuk"] = "not a list"
    found = problems(naskah, payload)
    assert found["data.untuk"].citation is None and "[" not in found["data.untuk"].message


def test_a_request_names_its_four_contents_article(naskah, sample):
    payload = sample("permohonan-pelibatan-lintas-unit")
    del payload["data"]["maksud_tujuan"]
    found = problems(naskah, payload)
    content = f"{MALANG} Lampiran huruf A angka 2 huruf a (surat permohonan pelibatan paling sedikit memuat"
    assert found["data.maksud_tujuan"].citation.startswith(content)
    assert found["data.maksud_tujuan"].message.startswith("required, missing from the payload [" + content)
    payload = sample("permohonan-pelibatan-lintas-unit")
    payload["data"]["durasi"] = {"mulai": "2023-12-31", "selesai": "2023-09-01"}
    cited = problems(naskah, payload)["data.durasi.selesai"].citation
    assert cited.startswith(content) and "durasi pelibatan" in cited


def test_cross_agency_request_cites_the_agency_asked(naskah, sample):
    payload = sample("permohonan-pelibatan-lintas-instansi")
    del payload["data"]["instansi_tujuan"]
    assert_cited(problems(naskah, payload)["data.instansi_tujuan"],
                 f"{MALANG} Lampiran huruf A angka 2 huruf a angka 3) huruf b)")


def test_reply_refusals_cite_their_rule(naskah, sample):
    payload = sample("jawaban-pelibatan-ditolak")
    payload["data"]["alasan"] = []
    assert_cited(problems(naskah, payload)["data.alasan"], f"{MALANG} Lampiran huruf A angka 2 huruf a angka 2) huruf d)")
    payload = sample("jawaban-pelibatan-disetujui")
    payload["data"]["pegawai_ditugaskan"] = []
    assert_cited(problems(naskah, payload)["data.pegawai_ditugaskan"],
                 f"{MALANG} Lampiran huruf A angka 2 huruf a angka 3) huruf e) angka (1)")


def test_voluntary_application_across_agencies_is_refused_naming_the_field(naskah, sample):
    payload = sample("pengajuan-sukarela-lintas-unit")
    payload["data"]["lingkup"] = "lintas_instansi"
    found = problems(naskah, payload)
    assert set(found) == {"data.lingkup"}, found
    assert_cited(found["data.lingkup"], f"{MALANG} Lampiran huruf A angka 2 huruf b")
    assert "within the applicant's own agency" in found["data.lingkup"].message


@pytest.mark.parametrize("lingkup", ["lintas_unit_organisasi", "lintas_perangkat_daerah"])
def test_voluntary_application_within_the_agency_is_accepted(naskah, sample, lingkup):
    payload = sample("pengajuan-sukarela-lintas-unit")
    payload["data"]["lingkup"] = lingkup
    assert naskah.prepare(payload).letter_id


def test_voluntary_application_without_the_superiors_consent_cites_pasal_10(naskah, sample):
    payload = sample("pengajuan-sukarela-lintas-unit")
    del payload["data"]["persetujuan_atasan"]
    assert_cited(problems(naskah, payload)["data.persetujuan_atasan"], f"{MALANG} Pasal 10 ayat (5)")
    payload = sample("pengajuan-sukarela-lintas-unit")
    payload["data"]["persetujuan_atasan"]["nama"] = " "
    assert_cited(problems(naskah, payload)["data.persetujuan_atasan.nama"], f"{MALANG} Pasal 10 ayat (5)")


def test_voluntary_refusal_cites_the_reasons_rule(naskah, sample):
    payload = sample("penolakan-pengajuan-sukarela")
    del payload["data"]["alasan"]
    assert_cited(problems(naskah, payload)["data.alasan"], f"{MALANG} Lampiran huruf A angka 2 huruf b angka 2) huruf e)")


def test_the_service_answers_the_citation_beside_the_message(naskah, sample):
    payload = sample("surat-tugas-tim")
    _two_ketua(payload["data"])
    _control(payload["data"])
    with pytest.raises(PayloadError) as caught:
        naskah.prepare(payload)
    body = api_error_for(caught.value).body()
    answered = {p["field"]: p for p in body["error"]["problems"]}
    assert answered["data.tim.anggota"]["citation"] == f"{MALANG} Pasal 9 ayat (3)"
    assert answered["data.tim.anggota"]["message"].startswith("a team has exactly one Ketua; found 2")
    assert set(answered["data.tim.nama"]) == {"field", "message", "citation"}


def test_a_problem_without_citation_keeps_its_text():
    assert str(Problem("data.x", "wrong")) == "data.x: wrong"
    assert Problem("data.x", "wrong").citation is None


def test_the_approval_says_the_officials_meet_the_requests_criteria(naskah, sample):
    from docx import Document

    from naskah.config import SOURCE_ROOT

    assert naskah.prepare(sample("jawaban-pelibatan-disetujui")).letter_id
    template = Document(str(SOURCE_ROOT / "templates" / "jawaban_permohonan_pelibatan.docx"))
    text = "\n".join(p.text for p in template.paragraphs)
    assert "menugaskan pegawai yang sesuai dengan kriteria dalam surat permohonan tersebut" in text


@pytest.mark.parametrize("lampiran, line", [
    (None, "-"), ("-", "-"), ("", "-"), ([], "-"),
    (["Kerangka Acuan Kerja"], "1 (satu) berkas"),
    (["Kerangka Acuan Kerja", "Daftar Kebutuhan Kompetensi"], "2 (dua) berkas"),
])
def test_the_lampiran_line_counts_what_is_attached(naskah, sample, lampiran, line):
    payload = sample("permohonan-pelibatan-lintas-instansi")
    if lampiran is None:
        del payload["data"]["lampiran"]
    else:
        payload["data"]["lampiran"] = lampiran
    context = naskah.prepare(payload).context
    assert context["lampiran"] == line
    assert context["berkas_lampiran"] == (lampiran if isinstance(lampiran, list) else [])


def test_a_lampiran_announced_but_not_listed_is_refused(naskah, sample):
    payload = sample("jawaban-pelibatan-disetujui")
    payload["data"]["lampiran"] = "1 (satu) lembar"
    found = problems(naskah, payload)
    assert set(found) == {"data.lampiran"}, found
    assert_cited(found["data.lampiran"], "aturan naskah (baris Lampiran menurut berkas yang dilampirkan)")
    assert "'1 (satu) lembar'" in found["data.lampiran"].message
