"""PAdES B-B, B-T, B-LT and B-LTA against the real things: the certomancer test PKI served by
``certomancer animate`` on 127.0.0.1 (TSA, OCSP responder, CRLs), pyHanko as signer and validator, poppler's
pdfsig as the second verifier. And the ways it must fail loudly: foreign root, revoked or expired signer,
TSA down, OCSP responder down, a changed byte."""
from __future__ import annotations

import asyncio
import io
import re
import socket
from pathlib import Path

import pytest
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko_certvalidator import ValidationContext

from naskah.errors import SigningError
from naskah.sign import sign_pdf
from naskah.validation.levels import find_level, read_dss, signature_timestamp_token
from naskah.validation import verify_pdf

from checks import assert_pdfa_2b, pdfsig
from pki import foreign_root
from pki_fixtures import LEVELS, LEVELS_SIGNER as SIGNER, LEVELS_URL as URL


def _root_only(test_pki) -> ValidationContext:
    return ValidationContext(trust_roots=[load_cert_from_pemder(str(test_pki.cert_path("root")))],
                             allow_fetching=False)


def _signature(path: Path):
    reader = PdfFileReader(io.BytesIO(path.read_bytes()), strict=False)
    [embedded] = reader.embedded_regular_signatures
    return reader, embedded


# --- every level: intact, valid, trusted against only the test root, and really at that level ---

@pytest.mark.parametrize("level", LEVELS)
def test_pyhanko_finds_each_level_intact_valid_and_trusted_by_the_test_root_alone(signed_at_each_level, test_pki,
                                                                                  level):
    _, embedded = _signature(signed_at_each_level[level])
    status = validate_pdf_signature(embedded, _root_only(test_pki), ts_validation_context=_root_only(test_pki))
    assert status.intact and status.valid and status.trusted, status.summary()
    assert status.signing_cert.subject.native["common_name"] == "Drs. Hendra Wijaya (TEST)"
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    if level != "B-B":
        tst = status.timestamp_validity
        assert tst.intact and tst.valid and tst.trusted
        assert tst.signing_cert.subject.native["common_name"] == "NASKAH TEST TSA"


def test_b_b_has_no_timestamp_and_no_dss(signed_at_each_level):
    reader, embedded = _signature(signed_at_each_level["B-B"])
    assert signature_timestamp_token(embedded) is None
    assert "/DSS" not in reader.root and not reader.embedded_timestamp_signatures
    assert find_level(reader, embedded).level == "B-B"


def test_b_t_embeds_a_timestamp_token_from_the_tsa(signed_at_each_level):
    reader, embedded = _signature(signed_at_each_level["B-T"])
    token = signature_timestamp_token(embedded)
    assert token is not None and token["content_type"].native == "signed_data"
    tst_info = token["content"]["encap_content_info"]["content"].parsed
    assert tst_info["message_imprint"]["hash_algorithm"]["algorithm"].native == "sha256"
    assert "/DSS" not in reader.root and not reader.embedded_timestamp_signatures
    assert find_level(reader, embedded).level == "B-T"


@pytest.mark.parametrize("level", ("B-LT", "B-LTA"))
def test_b_lt_embeds_ocsp_and_crls_for_the_whole_chain(signed_at_each_level, test_pki, level):
    reader, embedded = _signature(signed_at_each_level[level])
    assert signature_timestamp_token(embedded) is not None
    dss = read_dss(reader)
    assert dss.ocsps and dss.crls, "the DSS has both OCSP responses and CRLs"
    signer = test_pki.cert("signer")
    answered = {single["cert_id"]["serial_number"].native
                for response in dss.ocsps
                for single in response["response_bytes"]["response"].parsed["tbs_response_data"]["responses"]}
    assert signer.serial_number in answered, "the signer's status comes from the OCSP responder"
    crl_issuers = {crl["tbs_cert_list"]["issuer"].native["common_name"] for crl in dss.crls}
    assert "NASKAH TEST ROOT CA" in crl_issuers, "the root's CRL covers the intermediate CA and the TSA"
    dss_names = {cert.subject.native["common_name"] for cert in dss.certs}
    assert {"NASKAH TEST INTERMEDIATE CA", "NASKAH TEST TSA"} <= dss_names
    assert find_level(reader, embedded).level == level
    if level == "B-LT":
        assert not reader.embedded_timestamp_signatures


def test_b_lta_adds_a_document_timestamp_after_the_dss(signed_at_each_level, test_pki):
    reader, embedded = _signature(signed_at_each_level["B-LTA"])
    [doc_ts] = reader.embedded_timestamp_signatures
    assert doc_ts.sig_object["/Type"] == "/DocTimeStamp" and doc_ts.sig_object["/SubFilter"] == "/ETSI.RFC3161"
    assert doc_ts.signed_revision > embedded.signed_revision
    assert read_dss(reader, doc_ts.signed_revision).ocsps, "the timestamp covers the signature's OCSP response"
    status = validate_pdf_timestamp(doc_ts, _root_only(test_pki))
    assert status.intact and status.valid and status.trusted, status.summary()
    # pyHanko adds the timestamp's own revocation data after it: allowed as long-term validation updates
    assert status.coverage.name == "ENTIRE_REVISION" and status.modification_level.name == "LTA_UPDATES"


def test_b_lta_long_term_validation_passes_with_the_pki_servers_stopped(signed_at_each_level, test_pki):
    from pyhanko.sign.ades.report import AdESPassed
    from pyhanko.sign.validation.ades import ades_lta_validation
    from pyhanko.sign.validation.policy_decl import (
        PdfSignatureValidationSpec, RevinfoOnlineFetchingRule, RevocationInfoGatheringSpec, SignatureValidationSpec,
    )
    from pyhanko_certvalidator.context import CertValidationPolicySpec
    from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy
    from pyhanko_certvalidator.registry import SimpleTrustManager

    root = load_cert_from_pemder(str(test_pki.cert_path("root")))
    spec = PdfSignatureValidationSpec(SignatureValidationSpec(
        cert_validation_policy=CertValidationPolicySpec(trust_manager=SimpleTrustManager.build(trust_roots=[root]),
                                                        revinfo_policy=CertRevTrustPolicy(REQUIRE_REVINFO)),
        revinfo_gathering_policy=RevocationInfoGatheringSpec(
            online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY),
    ))
    with test_pki.stopped():
        for server in ("repo", "ocsp", "tsa"):
            with pytest.raises(OSError):
                socket.create_connection(("127.0.0.1", test_pki.ports[server]), timeout=1).close()
        _, embedded = _signature(signed_at_each_level["B-LTA"])
        result = asyncio.run(ades_lta_validation(embedded, spec))
        assert result.ades_subindic == AdESPassed.OK, result.failure_msg
        assert result.oldest_evidence_record_timestamp is not None
        report = verify_pdf(signed_at_each_level["B-LTA"].read_bytes(), trust_roots=[test_pki.cert_path("root")])
    assert report.ok, report.to_text()
    assert "checked offline against the revocation data embedded in the letter: not revoked" in report.to_text()


# --- pdfsig, the second verifier (its text, not its exit code) ---

def _pdfsig_signatures(path: Path) -> list[dict[str, str]]:
    blocks = re.split(r"^Signature #\d+:\n", pdfsig(path), flags=re.M)[1:]
    return [dict(re.findall(r"^[ \t]+- ([^:\n]+): (.*)$", block, flags=re.M)) for block in blocks]


@pytest.mark.parametrize("level", LEVELS)
def test_pdfsig_says_the_signature_is_valid_and_covers_its_revision(signed_at_each_level, level):
    data = signed_at_each_level[level].read_bytes()
    found = _pdfsig_signatures(signed_at_each_level[level])
    sig = found[0]
    assert sig["Signature Field Name"] == "Tanda_Tangan"
    assert sig["Signature Type"] == "ETSI.CAdES.detached"
    assert sig["Signature Validation"] == "Signature is Valid."
    ranges = [int(n) for n in re.findall(r"\d+", sig["Signed Ranges"])]
    assert ranges[0] == 0 and ranges[1] < ranges[2]
    covered = data[:ranges[3]]
    assert re.search(rb"%%EOF\r?\n?$", covered), "the signature covers its whole revision"
    if level in ("B-B", "B-T"):
        assert ranges[3] == len(data) and "Total document signed" in pdfsig(signed_at_each_level[level])
    else:
        assert ranges[3] < len(data), "DSS (and document timestamp) were appended after the signature"
    if level == "B-LTA":
        # poppler 22 (Debian 12) lists the document timestamp but cannot check RFC 3161 tokens itself;
        # pyHanko checks it (test_b_lta_adds_a_document_timestamp_after_the_dss)
        assert len(found) == 2 and found[1]["Signer Certificate Common Name"] == "NASKAH TEST TSA"
    else:
        assert len(found) == 1


# --- a changed byte ---

def test_one_changed_byte_breaks_a_b_lta_letter_for_both_verifiers(signed_at_each_level, test_pki, tmp_path):
    data = bytearray(signed_at_each_level["B-LTA"].read_bytes())
    _, embedded = _signature(signed_at_each_level["B-LTA"])
    start = data.index(b"stream", 100) + len(b"stream\n") + 20
    assert start < embedded.byte_range[1]
    data[start] ^= 0x01
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(bytes(data))
    assert "Digest Mismatch" in pdfsig(bad)
    report = verify_pdf(bytes(data), trust_roots=[test_pki.cert_path("root")])
    assert not report.ok and "digest mismatch" in report.to_text()
    assert not report.timestamps[0].ok, "the document timestamp covers the changed byte too"


# --- PDF/A-2b survives every revision ---

def test_a_b_lta_letter_still_declares_pdfa_2b(signed_at_each_level):
    assert_pdfa_2b(signed_at_each_level["B-LTA"])


# --- failing loudly, never a weaker signature ---

def test_signing_against_a_foreign_root_is_refused(pdfa_letters, pki_profile, tmp_path):
    profile = pki_profile("B-LT", trust_roots=[str(foreign_root(tmp_path))])
    with pytest.raises(SigningError, match="does not chain to the trust roots"):
        sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, **SIGNER)


@pytest.mark.parametrize("level", ("B-B", "B-LT"))
def test_a_revoked_signer_is_refused(pdfa_letters, pki_profile, level):
    with pytest.raises(SigningError, match="certificate is revoked.*2025-01-01"):
        sign_pdf(pdfa_letters["with_ttd"], pki_profile(level, signer="signer-revoked"), verification_url=URL,
                 **SIGNER)


@pytest.mark.parametrize("level", ("B-B", "B-LTA"))
def test_an_expired_signer_is_refused(pdfa_letters, pki_profile, level):
    with pytest.raises(SigningError, match="certificate has expired.*2022-01-01"):
        sign_pdf(pdfa_letters["with_ttd"], pki_profile(level, signer="signer-expired"), verification_url=URL,
                 **SIGNER)


def test_tsa_down_is_an_error_not_a_b_b_signature(pdfa_letters, pki_profile, test_pki):
    profile = pki_profile("B-T")
    with test_pki.stopped("tsa"):
        with pytest.raises(SigningError) as refused:
            sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, **SIGNER)
    message = str(refused.value)
    assert f"the time-stamping authority {test_pki.tsa_url} did not give a timestamp" in message
    assert "Cannot connect" in message or "Connect" in message, message


def test_after_the_first_letter_the_tsa_is_asked_once_a_letter(pdfa_letters, pki_profile, test_pki):
    """pyHanko learns the TSA's certificates from a sample token; naskah keeps the TSA client per profile, so a
    TSA that counts (or bills) its timestamps is asked once a letter, not twice."""
    from urllib.parse import urlsplit

    from dms_proxy import FaultProxy

    proxy = FaultProxy(test_pki.tsa_url)
    try:
        profile = pki_profile("B-T", tsa={"url": proxy.url + urlsplit(test_pki.tsa_url).path, "timeout": 10})
        for _ in range(3):
            signed = sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, **SIGNER)
            reader = PdfFileReader(io.BytesIO(signed), strict=False)
            [embedded] = reader.embedded_regular_signatures
            assert find_level(reader, embedded).level == "B-T"
    finally:
        proxy.stop()
    assert [method for method, _ in proxy.received] == ["POST"] * 4  # the sample token, then one per letter


def test_a_signature_outgrowing_the_room_kept_for_its_profile_is_still_made(pdfa_letters, pki_profile, tmp_path):
    """A TSA whose tokens grow (a new TSA certificate, a longer chain) must not stop the letters."""
    from naskah.sign import api as signer_module

    profile = pki_profile("B-T")
    sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, **SIGNER)
    kept = {key: room for key, room in signer_module._signature_room.items() if key[0] == profile.name}
    assert kept and all(room > 4000 for room in kept.values())
    for key in kept:
        signer_module._signature_room[key] = 2000  # what a smaller token would have left
    signed = tmp_path / "grown.pdf"
    signed.write_bytes(sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, **SIGNER))
    assert "Signature is Valid." in pdfsig(signed)
    assert all(signer_module._signature_room[key] > 4000 for key in kept)


def test_ocsp_responder_down_is_an_error_even_when_crls_are_reachable(pdfa_letters, pki_profile, test_pki):
    profile = pki_profile("B-LT")
    with test_pki.stopped("ocsp"):
        with pytest.raises(SigningError) as refused:
            sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, **SIGNER)
    message = str(refused.value)
    assert "not B-LT" in message and "no OCSP response for Drs. Hendra Wijaya (TEST)" in message, message
    assert f"{test_pki.url('ocsp')}/naskah/ocsp/interm" in message


def test_ocsp_and_crls_down_is_an_error(pdfa_letters, pki_profile, test_pki):
    profile = pki_profile("B-LTA")
    with test_pki.stopped("ocsp", "repo"):
        with pytest.raises(SigningError, match="revocation status could not be established"):
            sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, **SIGNER)
