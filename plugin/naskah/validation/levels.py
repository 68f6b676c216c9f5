"""Which PAdES baseline level a signature really has, read from the file rather than taken from a profile.

Used twice: after signing (a letter that does not reach its profile's level is refused, never issued as a
silently weaker signature) and by ``naskah verify`` (:mod:`naskah.validation.report`).

* B-B: a PAdES (``/ETSI.CAdES.detached``) signature.
* B-T: and a signature timestamp token in the signature.
* B-LT: and, in the document security store (DSS), revocation data for every certificate of the signer's
  and of the timestamp's chains, of the kind each certificate declares: an OCSP response when it names an
  OCSP responder, else a CRL when it names a distribution point. Requiring the OCSP response (not just "some"
  revocation data) is deliberate: pyHanko's hard-fail mode accepts a CRL when the OCSP responder is down,
  which would quietly make the DSS weaker than the certificate asks for.
* B-LTA: and a document timestamp that covers the DSS.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import cms, crl as asn1_crl, ocsp as asn1_ocsp, x509

from ..i18n import N_, Text

#: The PAdES baseline levels, each including the ones before it.
SUPPORTED_LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")


@dataclass
class Dss:
    """The document security store's contents, parsed."""

    certs: list[x509.Certificate] = field(default_factory=list)
    ocsps: list[asn1_ocsp.OCSPResponse] = field(default_factory=list)
    crls: list[asn1_crl.CertificateList] = field(default_factory=list)
    revision: int | None = None  # the revision that last changed the DSS dictionary

    @property
    def present(self) -> bool:
        return self.revision is not None


@dataclass
class LevelFindings:
    """The level reached, the signature timestamp, and what keeps the signature from the next level."""

    level: str | None  # None: not a PAdES signature
    timestamp_time: datetime | None = None
    timestamp_authority: str | None = None
    document_timestamps: list = field(default_factory=list)  # EmbeddedPdfSignature objects covering it
    missing: list[str] = field(default_factory=list)


def read_dss(reader, revision: int | None = None) -> Dss:
    """The DSS of a pyHanko ``PdfFileReader`` (empty when there is none), as of ``revision`` (default: the
    last); unreadable entries are skipped."""
    from pyhanko.pdf_utils.generic import IndirectObject

    dss = Dss()
    handler = reader if revision is None else reader.get_historical_resolver(revision)
    root = handler.root
    if "/DSS" not in root:
        return dss
    raw = root.raw_get("/DSS")
    dss.revision = reader.xrefs.get_last_change(raw.reference) if isinstance(raw, IndirectObject) else 0
    store = raw.get_object()
    for key, kind, target in (("/Certs", x509.Certificate, dss.certs), ("/OCSPs", asn1_ocsp.OCSPResponse, dss.ocsps),
                              ("/CRLs", asn1_crl.CertificateList, dss.crls)):
        for ref in store.get(key, []):
            try:
                target.append(kind.load(ref.get_object().data))
            except Exception:  # a damaged entry counts as absent
                continue
    return dss


def common_name(cert: x509.Certificate) -> str:
    return cert.subject.native.get("common_name") or cert.subject.human_friendly


def chain_of(cert: x509.Certificate, pool: list[x509.Certificate]) -> tuple[list[x509.Certificate], str | None]:
    """``cert`` and its issuers, found in ``pool`` by name and key identifier, up to a self-issued one."""
    chain = [cert]
    while not chain[-1].self_issued:
        current = chain[-1]
        issuer = next((c for c in pool if c.subject == current.issuer
                       and (current.authority_key_identifier is None or c.key_identifier is None
                            or current.authority_key_identifier == c.key_identifier)), None)
        if issuer is None:
            return chain, Text(N_("the issuer of {certificate} ({issuer}) is not in the file"),
                               certificate=common_name(current), issuer=current.issuer.human_friendly)
        if issuer in chain:
            break
        chain.append(issuer)
    return chain, None


def _ocsp_covers(response: asn1_ocsp.OCSPResponse, cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        if response["response_status"].native != "successful":
            return False
        basic = response["response_bytes"]["response"].parsed
        for single in basic["tbs_response_data"]["responses"]:
            cert_id = single["cert_id"]
            algorithm = cert_id["hash_algorithm"]["algorithm"].native
            if (cert_id["serial_number"].native == cert.serial_number
                    and cert_id["issuer_key_hash"].native
                    == hashlib.new(algorithm, issuer.public_key["public_key"].contents[1:]).digest()):
                return True
    except Exception:
        return False
    return False


def _crl_covers(crl: asn1_crl.CertificateList, cert: x509.Certificate) -> bool:
    try:
        return crl["tbs_cert_list"]["issuer"] == cert.issuer
    except Exception:
        return False


def missing_revocation_data(cert: x509.Certificate, pool: list[x509.Certificate], dss: Dss) -> list[str]:
    """What the DSS lacks for ``cert``'s chain; empty when every certificate's declared source is covered."""
    chain, broken = chain_of(cert, pool + dss.certs)
    missing = [broken] if broken else []
    for index, current in enumerate(chain):
        if current.self_issued or index + 1 >= len(chain):
            continue  # a root needs no revocation data; a missing issuer is reported above
        if current.ocsp_no_check_value is not None:
            continue  # an OCSP responder's own certificate is not checked (RFC 6960 id-pkix-ocsp-nocheck)
        issuer = chain[index + 1]
        if current.ocsp_urls:
            if not any(_ocsp_covers(response, current, issuer) for response in dss.ocsps):
                missing.append(Text(N_("no OCSP response for {certificate} in the DSS (its certificate names the "
                                       "responder {responder})"), certificate=common_name(current),
                                    responder=current.ocsp_urls[0]))
        elif current.crl_distribution_points:
            if not any(_crl_covers(crl, current) for crl in dss.crls):
                missing.append(Text(N_("no CRL of {issuer} for {certificate} in the DSS"), issuer=common_name(issuer),
                                    certificate=common_name(current)))
    return missing


def signature_timestamp_token(embedded) -> cms.ContentInfo | None:
    from pyhanko.sign.general import find_unique_cms_attribute

    try:
        return find_unique_cms_attribute(embedded.signer_info["unsigned_attrs"], "signature_time_stamp_token")
    except Exception:
        return None


def _token_signer(token: cms.ContentInfo) -> tuple[x509.Certificate | None, list[x509.Certificate]]:
    signed = token["content"]
    certs = [c.chosen for c in signed["certificates"] or [] if isinstance(c.chosen, x509.Certificate)]
    sid = signed["signer_infos"][0]["sid"]
    if sid.name == "issuer_and_serial_number":
        wanted = sid.chosen
        signer = next((c for c in certs if c.issuer == wanted["issuer"]
                       and c.serial_number == wanted["serial_number"].native), None)
    else:
        signer = next((c for c in certs if c.key_identifier == sid.chosen.native), None)
    return signer, certs


def find_level(reader, embedded, dss: Dss | None = None) -> LevelFindings:
    """The PAdES level of ``embedded`` (a regular signature of ``reader``) as the file shows it."""
    subfilter = embedded.sig_object.get("/SubFilter")
    if str(subfilter) != "/ETSI.CAdES.detached":
        return LevelFindings(level=None, missing=[Text(N_("sub-filter {subfilter} is not PAdES"), subfilter=subfilter)])
    dss = read_dss(reader) if dss is None else dss
    findings = LevelFindings(level="B-B")
    findings.document_timestamps = [
        other for other in reader.embedded_timestamp_signatures if other.signed_revision > embedded.signed_revision
    ]
    token = signature_timestamp_token(embedded)
    if token is None:
        findings.missing.append(Text(N_("no signature timestamp")))
        return findings
    tst_info = token["content"]["encap_content_info"]["content"].parsed
    findings.timestamp_time = tst_info["gen_time"].native
    tsa_cert, tsa_certs = _token_signer(token)
    findings.timestamp_authority = common_name(tsa_cert) if tsa_cert is not None else None
    findings.level = "B-T"
    if not dss.present:
        findings.missing.append(Text(N_("no document security store (DSS) with revocation data")))
        return findings
    pool = list(embedded.other_embedded_certs) + tsa_certs

    def lacking(store: Dss) -> list[str]:
        if tsa_cert is None:
            return [Text(N_("the signature timestamp's certificate is not in the token"))]
        return missing_revocation_data(embedded.signer_cert, pool, store) + missing_revocation_data(
            tsa_cert, pool, store)

    missing = lacking(dss)
    if missing:
        findings.missing.extend(missing)
        return findings
    findings.level = "B-LT"
    # B-LTA: a document timestamp whose revision already held this signature's validation data
    # (pyHanko adds the document timestamp's own revocation data in a later revision)
    for ts in reversed(findings.document_timestamps):
        if not lacking(read_dss(reader, ts.signed_revision)):
            findings.level = "B-LTA"
            return findings
    findings.missing.append(Text(N_("no document timestamp covering the validation data in the DSS")))
    return findings


def level_rank(level: str) -> int:
    """B-B 0, B-T 1, B-LT 2, B-LTA 3: each level includes the ones before it."""
    return SUPPORTED_LEVELS.index(level)


def at_least(found: str | None, wanted: str) -> bool:
    return found is not None and level_rank(found) >= level_rank(wanted)
