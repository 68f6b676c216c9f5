"""Checking signatures (naskah.validation): the report of an intact letter and of one with a byte changed, in
its signed content or in its signature; content added after signing; unsigned, corrupt and untrusted files; a
signature at each PAdES level with its timestamp, revocation and trust path; and ``naskah verify`` printing it.
The letters are real: LibreOffice PDF/A-2b, signed with the demo key and by the certomancer test PKI."""
from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from naskah.validation import verify_pdf

from pki import foreign_root, self_signed_p12
from pki_fixtures import LEVELS

DIGEST_MISMATCH = "the signed content was changed after signing (digest mismatch)"


def _one_byte_changed(data: bytes, offset: int) -> bytes:
    changed = bytearray(data)
    changed[offset] ^= 0x01
    return bytes(changed)


def _content_offset(data: bytes) -> int:
    """An offset inside the first content stream, in the signed part of the file."""
    offset = data.index(b"stream", 100) + len(b"stream\n") + 20
    assert offset < PdfFileReader(io.BytesIO(data)).embedded_signatures[0].byte_range[1]
    return offset


# --- an intact letter against the same letter with one byte changed ---

def test_the_report_of_an_intact_letter_and_of_the_same_letter_with_one_byte_changed(demo_signed, demo_profile):
    data = demo_signed.read_bytes()
    intact = verify_pdf(data, trust_roots=demo_profile.trust_roots)
    [sig] = intact.signatures
    assert intact.ok and intact.problems == [] and sig.problems == []
    assert (sig.intact, sig.valid, sig.trusted, sig.level, sig.coverage) == (True, True, True, "B-B", "entire file")
    text = intact.to_text()
    assert "  intact:        yes\n  valid:         yes\n  trusted:       yes" in text
    assert "PROBLEM" not in text and text.endswith("Result: OK, every signature is intact and valid and trusted")

    changed = verify_pdf(_one_byte_changed(data, _content_offset(data)), trust_roots=demo_profile.trust_roots)
    [sig] = changed.signatures
    assert not changed.ok and sig.problems == [DIGEST_MISMATCH]
    assert not sig.intact and sig.signer == "NASKAH DEMO - NOT VALID", "still says whose signature it was"
    text = changed.to_text()
    assert "  intact:        NO" in text and f"  PROBLEM: {DIGEST_MISMATCH}" in text
    assert text.endswith("Result: NOT OK")
    assert verify_pdf(data, trust_roots=demo_profile.trust_roots).ok, "the original is still intact"


def test_a_byte_changed_in_the_signature_value_is_reported_as_not_valid(demo_signed, demo_profile):
    data = demo_signed.read_bytes()
    byte_range = PdfFileReader(io.BytesIO(data)).embedded_signatures[0].byte_range
    start, end = byte_range[1], byte_range[2]  # the /Contents hex string, <...>, between the signed parts
    cms = data[start + 1:end - 1].rstrip(b"0")  # the signature's hex digits, without the padding
    offset = start + 1 + len(cms) - 10  # near the end of the CMS: the signature value itself
    changed = bytearray(data)
    changed[offset] = ord("1") if changed[offset] != ord("1") else ord("2")
    report = verify_pdf(bytes(changed), trust_roots=demo_profile.trust_roots)
    [sig] = report.signatures
    assert sig.intact and not sig.valid, report.to_text()
    assert sig.problems == ["the cryptographic signature does not match the signer's certificate"]
    assert not report.ok and "  valid:         NO" in report.to_text()


def test_without_trust_roots_the_report_says_trust_was_not_checked(demo_signed):
    report = verify_pdf(demo_signed.read_bytes())
    [sig] = report.signatures
    assert report.ok and sig.trusted is None and not report.trust_checked
    text = report.to_text()
    assert "  trusted:       not checked (no trust roots given)" in text
    assert "Trust was not checked: no trust roots were given." in text
    assert text.endswith("Result: OK, every signature is intact and valid")


# --- content added after signing; unsigned, corrupt and untrusted files ---

def test_verify_reports_the_signature(demo_signed, demo_profile):
    report = verify_pdf(demo_signed.read_bytes(), trust_roots=demo_profile.trust_roots)
    assert report.ok, report.to_text()
    sig = report.signatures[0]
    assert (sig.field_name, sig.signer, sig.pades, sig.coverage, sig.modification) == (
        "Tanda_Tangan", "NASKAH DEMO - NOT VALID", True, "entire file", "none")
    assert sig.intact and sig.valid and sig.trusted and sig.signing_time is not None
    text = report.to_text()
    assert "NASKAH DEMO - NOT VALID" in text and "Revocation was not checked" in text and "Result: OK" in text


def test_content_added_after_signing_is_reported(demo_signed, demo_profile):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(demo_signed.read_bytes()))
    forged = writer.add_object(generic.StreamObject(stream_data=b"0 0 1 rg 100 100 200 50 re f"))
    writer.add_stream_to_page(0, forged)
    out = io.BytesIO()
    writer.write(out)
    report = verify_pdf(out.getvalue(), trust_roots=demo_profile.trust_roots)
    sig = report.signatures[0]
    assert sig.intact and sig.valid and sig.coverage == "entire revision", report.to_text()
    assert not report.ok and "modified after signing in a way that is not allowed" in report.to_text()


def test_unsigned_corrupt_and_untrusted_pdfs_are_not_ok(pdfa_letters, demo_signed, tmp_path):
    unsigned = verify_pdf(pdfa_letters["with_ttd"])
    assert not unsigned.ok and unsigned.problems == ["the PDF has no signatures"]
    garbage = verify_pdf(b"%PDF-1.7\nnot really")
    assert not garbage.ok and "not a readable PDF" in garbage.to_text()
    self_signed_p12(tmp_path / "other.p12", b"x")  # any other root: not trusted
    other_root = tmp_path / "other.pem"
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
    other_root.write_bytes(pkcs12.load_key_and_certificates((tmp_path / "other.p12").read_bytes(), b"x")[1]
                           .public_bytes(Encoding.PEM))
    untrusted = verify_pdf(demo_signed.read_bytes(), trust_roots=[other_root])
    assert not untrusted.ok and untrusted.signatures[0].trusted is False
    assert "does not chain to a trusted root" in untrusted.to_text()


# --- every PAdES level, and naskah verify ---

@pytest.mark.parametrize("level", LEVELS)
def test_verify_reports_the_level_the_timestamp_and_the_trust_path(signed_at_each_level, test_pki, level):
    report = verify_pdf(signed_at_each_level[level].read_bytes(), trust_roots=[test_pki.cert_path("root")])
    assert report.ok, report.to_text()
    [sig] = report.signatures
    assert sig.level == level and sig.trusted and sig.intact and sig.valid
    assert sig.trust_path == ["NASKAH TEST ROOT CA", "NASKAH TEST INTERMEDIATE CA", "Drs. Hendra Wijaya (TEST)"]
    text = report.to_text()
    assert f"level:         PAdES {level}" in text
    if level == "B-B":
        assert sig.timestamp is None and "Revocation was not checked" in text
    else:
        assert sig.timestamp.ok and sig.timestamp.authority == "NASKAH TEST TSA" and sig.timestamp.trusted
    if level in ("B-LT", "B-LTA"):
        assert sig.revocation.startswith("checked offline")
    assert len(report.timestamps) == (1 if level == "B-LTA" else 0)
    if level == "B-LTA":
        assert report.timestamps[0].ok and report.timestamps[0].trusted


def test_verify_against_a_foreign_root_fails(signed_at_each_level, tmp_path):
    foreign = foreign_root(tmp_path)
    report = verify_pdf(signed_at_each_level["B-LTA"].read_bytes(), trust_roots=[foreign])
    assert not report.ok and report.signatures[0].trusted is False
    assert "does not chain to a trusted root" in report.to_text()
    assert report.timestamps[0].trusted is False


def test_naskah_verify_prints_the_level_and_exits_0_only_when_trusted(signed_at_each_level, test_pki, tmp_path,
                                                                        capsys):
    from naskah.cli import main

    root = str(test_pki.cert_path("root"))
    assert main(["verify", str(signed_at_each_level["B-LTA"]), "--trust", root]) == 0
    out = capsys.readouterr().out
    assert "level:         PAdES B-LTA" in out and "Document timestamp 1 of 1" in out
    assert "by NASKAH TEST TSA: intact, valid, trusted" in out and "Result: OK" in out
    assert main(["verify", str(signed_at_each_level["B-LTA"]), "--trust", str(foreign_root(tmp_path))]) == 1
    assert "Result: NOT OK" in capsys.readouterr().out
    assert main(["verify", str(tmp_path / "missing.pdf"), "--trust", root]) == 2
