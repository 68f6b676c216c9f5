"""The signature flow end to end through its library API (issue 12): a draft previewed with DRAFT, paraf in
order, returned and revised, signed with the number and date fixed at signing; what signing refuses.

Real LibreOffice, real pyHanko signatures checked by pdfsig; the date is the day in WIB.
"""
from __future__ import annotations

import datetime as dt
import shutil
from zoneinfo import ZoneInfo

import pytest
from checks import flat, pdfsig, pdftotext
from samples import load_sample

from naskah import signature_flow
from naskah.config import load_settings
from naskah.errors import FlowError, PayloadError, SignedInPerson
from naskah.formatting import tanggal
from naskah.lifecycle import Actor, FlowSpec, IllegalTransition
from naskah.numbering import NumberTaken
from naskah.pipeline import Naskah
from naskah.signature_flow import DRAFT_NOMOR, SignatureFlow

STAFF = Actor(user_id="staf-07", name="Rina Kartika", title="Pengadministrasi Umum")
KASUBAG = Actor(user_id="pns-11", name="Siti Aminah, S.Sos.", title="Kepala Sub Bagian Umum dan Kepegawaian")
SEKRETARIS = Actor(user_id="pns-12", name="Ir. Bambang Santoso, M.M.", title="Sekretaris")
KADIS = Actor(user_id="pns-01", name="Dr. Agus Salim, S.T., M.T.", title="Kepala Dinas")


def request_payload(**changes) -> dict:
    """A cross-unit involvement request as the host drafts it: no number yet, a duration ahead of today."""
    payload = load_sample("permohonan-pelibatan-lintas-unit")
    data = payload["data"]
    data.pop("nomor")
    year = dt.date.today().year + 1
    data["durasi"] = {"mulai": f"{year}-01-04", "selesai": f"{year}-04-30"}
    data["paraf"] = [{"nama": KASUBAG.name}, {"nama": SEKRETARIS.name}]
    data.update(changes)
    return payload


@pytest.fixture
def flow(settings) -> SignatureFlow:
    return SignatureFlow(Naskah(settings))


def reviewed(flow: SignatureFlow, payload: dict | None = None):
    draft = flow.draft(payload or request_payload(), STAFF, host="eoffice")
    flow.paraf(draft.id, KASUBAG)
    return flow.paraf(draft.id, SEKRETARIS)


def test_a_letter_drafted_reviewed_returned_revised_and_signed(flow):
    draft = flow.draft(request_payload(), STAFF, host="eoffice")
    assert (draft.state, draft.version) == ("draft", 1)
    assert flow.waiting_for(draft) == f"{KASUBAG.name} - Kepala Sub Bagian Umum dan Kepegawaian"
    preview = flow.preview(draft)
    text = flat(pdftotext(preview.pdf_path))
    assert "DRAFT - belum ditandatangani" in text and f"Nomor : {DRAFT_NOMOR}" in flat(pdftotext(preview.pdf_path, True))
    assert "Signature" not in pdfsig(preview.pdf_path)  # a draft is never signed

    with pytest.raises(IllegalTransition, match="waiting for the paraf of Kepala Sub Bagian Umum"):
        flow.paraf(draft.id, SEKRETARIS, 1)
    flow.paraf(draft.id, KASUBAG, 0)
    returned = flow.return_(draft.id, SEKRETARIS, "Tambahkan kompetensi aplikasi SRIKANDI")
    assert returned.state == "returned" and flow.waiting_for(returned) == "revision by the drafter"
    with pytest.raises(IllegalTransition, match="cannot sign draft .*: it is returned"):
        flow.sign(draft.id, KADIS)

    payload = request_payload()
    payload["data"]["kompetensi"].append("Menguasai aplikasi SRIKANDI")
    revised = flow.revise(draft.id, STAFF, payload)
    assert (revised.state, revised.version, revised.step) == ("draft", 2, 0)
    assert "Menguasai aplikasi SRIKANDI" in flat(pdftotext(flow.preview(revised).pdf_path))
    flow.paraf(draft.id, KASUBAG, 0)
    waiting = flow.paraf(draft.id, SEKRETARIS, 1)
    assert waiting.state == "awaiting_signature" and flow.waiting_for(waiting).startswith(KADIS.name)

    issued = flow.sign(draft.id, KADIS)
    today = dt.datetime.now(ZoneInfo("Asia/Jakarta")).date()
    number = f"800.1.11.1/0001/35.73.401/{today.year}"
    letter = flat(pdftotext(issued.pdf_path))
    assert f"Malang, {tanggal(today)}" in letter and number in letter
    assert "DRAFT" not in letter and "Menguasai aplikasi SRIKANDI" in letter
    assert "Signature is Valid." in pdfsig(issued.pdf_path)
    signed = flow.get(draft.id)
    assert (signed.state, signed.letter_id, signed.number, signed.signed_date) == (
        "signed", issued.letter_id, number, today)
    steps = [(entry.action, entry.state, entry.version, entry.actor_name) for entry in flow.trail(draft.id)]
    assert steps == [("create", "draft", 1, STAFF.name), ("paraf", "in_review", 1, KASUBAG.name),
                     ("return", "returned", 1, SEKRETARIS.name), ("revise", "draft", 2, STAFF.name),
                     ("paraf", "in_review", 2, KASUBAG.name), ("paraf", "awaiting_signature", 2, SEKRETARIS.name),
                     ("sign", "signed", 2, KADIS.name)]
    assert flow.trail(draft.id)[2].note == "Tambahkan kompetensi aplikasi SRIKANDI"


def test_the_register_numbers_in_sequence_and_a_failed_signing_takes_no_number(flow, monkeypatch):
    first = reviewed(flow)
    second = reviewed(flow, request_payload(hal="Permohonan Pelibatan Pranata Komputer"))
    year = dt.datetime.now(ZoneInfo("Asia/Jakarta")).year

    def broken_signer(*args, **kwargs):
        raise RuntimeError("the token was pulled out")

    with monkeypatch.context() as patched:
        patched.setattr(flow.naskah, "sign_and_store", broken_signer)
        with pytest.raises(RuntimeError):
            flow.sign(first.id, KADIS)
    assert flow.get(first.id).state == "awaiting_signature"
    assert flow.register.last(f"35.73.401/{year}") == 0

    assert flow.sign(second.id, KADIS).metadata["nomor"] == f"800.1.11.1/0001/35.73.401/{year}"
    assert flow.sign(first.id, KADIS).metadata["nomor"] == f"800.1.11.1/0002/35.73.401/{year}"


def test_a_number_the_host_gives_is_used_once(flow):
    number = "800.1.11.1/0311/35.73.401/2026"
    signed = flow.sign(reviewed(flow).id, KADIS, nomor=number)
    assert signed.metadata["nomor"] == number and number in flat(pdftotext(signed.pdf_path))
    again = reviewed(flow, request_payload(hal="Permohonan Pelibatan Pranata Komputer"))
    with pytest.raises(NumberTaken, match="0311"):
        flow.sign(again.id, KADIS, nomor=number)
    assert flow.get(again.id).state == "awaiting_signature"


def test_rules_on_the_date_of_issue_are_checked_again_at_signing(flow, monkeypatch):
    draft = reviewed(flow)
    start = dt.date.fromisoformat(draft.payload["data"]["durasi"]["mulai"])
    monkeypatch.setattr(signature_flow, "today_in_wib", lambda: start + dt.timedelta(days=3))
    with pytest.raises(PayloadError) as refused:
        flow.sign(draft.id, KADIS)
    assert [problem.field for problem in refused.value.problems] == ["data.durasi.mulai"]
    assert flow.get(draft.id).state == "awaiting_signature"


def test_a_letter_that_differs_from_the_reviewed_draft_is_not_signed(settings, tmp_path):
    from docx import Document

    templates = tmp_path / "templates"
    shutil.copytree(settings.templates_dir, templates)
    flow = SignatureFlow(Naskah(load_settings(None, data_dir=settings.data_dir, store_dir=settings.store_path,
                                              templates_dir=templates)))
    draft = reviewed(flow)
    # someone edits the template after the officials reviewed the draft
    template = templates / "permohonan_pelibatan.docx"
    document = Document(template)
    closing = next(p for p in document.paragraphs if p.text.startswith("Demikian"))
    closing.insert_paragraph_before("Surat ini berlaku juga sebagai surat tugas.")
    document.save(template)
    flow = SignatureFlow(Naskah(flow.naskah.settings))
    with pytest.raises(FlowError, match="differs from the draft that was reviewed .*Surat ini berlaku juga"):
        flow.sign(draft.id, KADIS)
    assert flow.get(draft.id).state == "awaiting_signature" and not list(settings.store_path.glob("letters/*.pdf"))


def test_letters_signed_in_person_are_not_issued_in_one_call_with_a_server_key(naskah, pki_profile, monkeypatch):
    profile = pki_profile("B-B")  # a PKCS#12 whose password the server holds (a seal's key)
    monkeypatch.setattr(naskah, "signing_profile", lambda mapping: profile)
    with pytest.raises(SignedInPerson, match="signed by its official in person"):
        naskah.issue(load_sample("permohonan-pelibatan-lintas-unit"))


def test_sealed_letters_have_no_drafts(flow):
    flow.naskah.mappings["permohonan_pelibatan"].flow = FlowSpec(kind="seal")
    with pytest.raises(FlowError, match="sealed by the system without a person"):
        flow.draft(request_payload(), STAFF)


def test_one_bsre_profile_serves_every_official_by_the_nik_the_letter_gives(naskah, tmp_path):
    from naskah.errors import SigningError
    from naskah.pipeline import _for_signer
    from naskah.sign import load_profile

    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "bsre.yaml").write_text(
        "key: {source: bsre, api: v2, url: 'http://127.0.0.1:9/'}\n", encoding="utf-8")
    profile = load_profile("bsre", load_settings(None, signing_dir=tmp_path, data_dir=tmp_path / "data"))
    letter = naskah.prepare(load_sample("permohonan-pelibatan-lintas-unit")).letter
    assert _for_signer(profile, letter).key.nik == "3573012512690005" and profile.key.nik is None
    without = load_sample("permohonan-pelibatan-lintas-unit")
    del without["data"]["penandatangan"]["nik"]
    with pytest.raises(SigningError, match="gives no NIK for Dr. Agus Salim"):
        _for_signer(profile, naskah.prepare(without).letter)


def test_a_paraf_the_mapping_makes_a_signature_signs_the_reviewed_version(flow):
    mapping = flow.naskah.mappings["permohonan_pelibatan"]
    steps = (mapping.flow.paraf[0], mapping.flow.paraf[1].model_copy(update={"signature": True}))
    mapping.flow = mapping.flow.model_copy(update={"paraf": steps})
    draft = flow.draft(request_payload(), STAFF)
    flow.paraf(draft.id, KASUBAG)
    assert not flow.paraf_copy(draft, 0).exists()  # a recorded approval only
    approved = flow.paraf(draft.id, SEKRETARIS, note="Setuju")
    copy = flow.paraf_copy(approved, 1)
    report = pdfsig(copy)
    assert "Signature is Valid." in report and "Paraf_2" in report
    assert "DRAFT - belum ditandatangani" in flat(pdftotext(copy))
    note = flow.trail(draft.id)[-1].note
    assert note.startswith("Setuju (paraf elektronik, SHA-256 ") and len(note.split()[-1].rstrip(")")) == 64
