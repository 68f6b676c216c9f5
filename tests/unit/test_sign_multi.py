"""Several signatures on one letter: the verifier's paraf (certifying, DocMDP "form filling"), then the
official's final signature at B-LTA, each in its own field created before any signature; all stay valid for
pyHanko and pdfsig."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from naskah.errors import SigningError
from naskah.sign import Signatory, sign_letter, sign_pdf
from naskah.validation import verify_pdf

from checks import assert_pdfa_2b, pdfsig

URL = "https://naskah.example.go.id/v/01HTESTMULTI"
PARAF_STAMP = {"anchor": "paraf", "qr": False, "width": 150, "height": 45}


@pytest.fixture(scope="module")
def profiles(test_pki, pki_signing_dir):
    from pki_fixtures import make_pki_profile

    paraf = make_pki_profile(test_pki, pki_signing_dir, "B-T", "verifier", certify=True, docmdp="form-filling",
                             field_name="Paraf", stamp=PARAF_STAMP)
    final = make_pki_profile(test_pki, pki_signing_dir, "B-LTA", "signer")
    return paraf, final


@pytest.fixture(scope="module")
def two_signed(pdfa_letters, profiles, tmp_path_factory) -> Path:
    paraf, final = profiles
    data = sign_letter(pdfa_letters["with_paraf"], [
        Signatory(paraf, "Siti Rahmawati, S.Kom.", "Kepala Sub Bagian Umum", reason="Paraf verifikator"),
        Signatory(final, "Drs. Hendra Wijaya, M.Si.", "Kepala Dinas Komunikasi dan Informatika",
                  reason="Surat Tugas"),
    ], verification_url=URL, location="Malang")
    path = tmp_path_factory.mktemp("multi") / "two.pdf"
    path.write_bytes(data)
    return path


def test_both_fields_exist_before_the_first_signature(two_signed, pdfa_letters):
    reader = PdfFileReader(io.BytesIO(two_signed.read_bytes()), strict=False)
    paraf = next(sig for sig in reader.embedded_signatures if sig.field_name == "Paraf")
    before = reader.get_historical_resolver(paraf.signed_revision - 1)
    assert {(name, value is None) for name, value, _ in fields.enumerate_sig_fields(before)} == {
        ("Paraf", True), ("Tanda_Tangan", True)}
    assert two_signed.read_bytes().startswith(pdfa_letters["with_paraf"])


def test_pyhanko_finds_both_signatures_intact_valid_trusted_and_allowed(two_signed, test_pki):
    root = load_cert_from_pemder(str(test_pki.cert_path("root")))
    reader = PdfFileReader(io.BytesIO(two_signed.read_bytes()), strict=False)
    signers = []
    for embedded in reader.embedded_regular_signatures:
        context = ValidationContext(trust_roots=[root], allow_fetching=False)
        status = validate_pdf_signature(embedded, context, ts_validation_context=context)
        assert status.intact and status.valid and status.trusted and status.docmdp_ok is not False, status.summary()
        assert status.modification_level.name in ("NONE", "LTA_UPDATES", "FORM_FILLING"), status.summary()
        signers.append((embedded.field_name, status.signing_cert.subject.native["common_name"]))
    assert signers == [("Paraf", "Siti Rahmawati (TEST)"), ("Tanda_Tangan", "Drs. Hendra Wijaya (TEST)")]
    assert reader.embedded_regular_signatures[0].docmdp_level == fields.MDPPerm.FILL_FORMS


def test_verify_reports_both_with_their_levels(two_signed, test_pki):
    report = verify_pdf(two_signed.read_bytes(), trust_roots=[test_pki.cert_path("root")])
    assert report.ok, report.to_text()
    paraf, final = report.signatures
    assert (paraf.field_name, paraf.level, paraf.certifies) == ("Paraf", "B-T", "fill forms")
    assert paraf.modification == "form filling or further signatures"
    assert (final.field_name, final.level, final.certifies) == ("Tanda_Tangan", "B-LTA", None)
    assert len(report.timestamps) == 1 and report.timestamps[0].ok


def test_pdfsig_says_both_are_valid(two_signed):
    text = pdfsig(two_signed)
    assert text.count("Signature Validation: Signature is Valid.") == 2, text
    assert "Signature Field Name: Paraf" in text and "Signature Field Name: Tanda_Tangan" in text


def test_the_letter_with_two_signatures_is_still_pdfa_2b(two_signed):
    assert_pdfa_2b(two_signed)


def test_each_stamp_sits_at_its_own_bookmark(two_signed, pdfa_letters, profiles):
    dests = PdfReader(io.BytesIO(pdfa_letters["with_paraf"])).named_destinations
    widgets = {str(a.get_object()["/T"]): [float(v) for v in a.get_object()["/Rect"]]
               for page in PdfReader(two_signed).pages for a in page.get("/Annots") or []
               if a.get_object().get("/T") in ("Paraf", "Tanda_Tangan")}
    for name, profile in zip(("Paraf", "Tanda_Tangan"), profiles):
        dest = dests["/" + profile.stamp.anchor]
        assert widgets[name] == pytest.approx([float(dest.left), float(dest.top) - profile.stamp.height,
                                               float(dest.left) + profile.stamp.width, float(dest.top)], abs=0.5)


def test_only_the_first_signature_may_certify(pdfa_letters, profiles, test_pki, pki_signing_dir):
    from pki_fixtures import make_pki_profile

    paraf, _ = profiles
    certifying_final = make_pki_profile(test_pki, pki_signing_dir, "B-T", "signer", certify=True)
    with pytest.raises(SigningError, match="does not sign first: only the first signature may certify"):
        sign_letter(pdfa_letters["with_paraf"], [Signatory(paraf, "Siti"), Signatory(certifying_final, "Hendra")],
                    verification_url=URL)
    once = sign_pdf(pdfa_letters["with_paraf"], paraf, verification_url=URL, signer_name="Siti", signer_title="")
    with pytest.raises(SigningError, match="a certifying signature must be the first one"):
        sign_pdf(once, certifying_final, verification_url=URL, signer_name="Hendra", signer_title="")


def test_a_field_added_after_a_certifying_signature_breaks_it(pdfa_letters, profiles, test_pki):
    """Why the fields are made first: a new field after certification is a change DocMDP does not allow."""
    paraf, final = profiles
    once = sign_pdf(pdfa_letters["with_paraf"], paraf, verification_url=URL, signer_name="Siti", signer_title="")
    later = sign_pdf(once, final.model_copy(update={"level": "B-T"}), verification_url=URL,
                     signer_name="Hendra", signer_title="")
    report = verify_pdf(later, trust_roots=[test_pki.cert_path("root")])
    assert not report.ok and report.signatures[0].problems, report.to_text()
