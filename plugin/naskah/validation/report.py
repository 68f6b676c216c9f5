"""Check the signatures of a PDF with pyHanko and say, in plain words, whether they can be relied on.

Used by ``naskah verify`` and the tests. Trust is checked against the given roots only (never the operating
system's list), and nothing is fetched from the network: a verdict must not depend on whether a CA's servers
happen to be up (:mod:`naskah.validation.trust`). For each signature the report gives the PAdES level the
file really reaches (:mod:`naskah.validation.levels`), its timestamp, the trust path, coverage and later
modifications. Signatures at B-LT or above are also validated the long-term way (ETSI EN 319 102-1, pyHanko's
AdES engine) with only the revocation data embedded in the letter; below B-LT there is no revocation data,
and the report says so.
"""
from __future__ import annotations

import asyncio
import dataclasses
import concurrent.futures
import io
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .bounds import VerificationLimits, VerificationRefused, bounded, checkpoint, count_check, rough_check
from ..i18n import N_, Text
from .text import report_text
from .trust import checking_context, read_roots

log = logging.getLogger("naskah.verify")

PADES_SUBFILTER = "/ETSI.CAdES.detached"
# the findings are kept in English as Text, said in the reader's language by .text (naskah verify)
_COVERAGE = {"ENTIRE_FILE": Text(N_("entire file")), "ENTIRE_REVISION": Text(N_("entire revision"))}
_PARTIAL, _UNKNOWN = Text(N_("partial")), Text(N_("unknown"))
_MODIFICATION = {"NONE": Text(N_("none")), "LTA_UPDATES": Text(N_("only long-term validation data")),
                 "FORM_FILLING": Text(N_("form filling or further signatures")),
                 "ANNOTATIONS": Text(N_("annotations")), "OTHER": Text(N_("other changes (not allowed)"))}


@dataclass
class TimestampReport:
    """A timestamp: the signature's own token, or a document timestamp (then ``field_name`` is set)."""

    time: datetime | None = None
    authority: str | None = None
    intact: bool = False
    valid: bool = False
    trusted: bool | None = None
    field_name: str | None = None
    coverage: str = _UNKNOWN
    modification: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted is not False and not self.problems


@dataclass
class SignatureReport:
    """What was found about one embedded signature."""

    field_name: str
    signer: str | None = None
    signer_dn: str | None = None
    signing_time: datetime | None = None
    subfilter: str | None = None
    intact: bool = False
    valid: bool = False
    trusted: bool | None = None  # None: no trust roots were given, trust not checked
    coverage: str = _UNKNOWN
    modification: str | None = None
    level: str | None = None  # PAdES baseline level the file reaches: B-B, B-T, B-LT, B-LTA
    level_missing: list[str] = field(default_factory=list)  # what the next level would need
    timestamp: TimestampReport | None = None
    trust_path: list[str] = field(default_factory=list)  # root first
    revocation: str = Text(N_("not checked"))
    certifies: str | None = None  # the DocMDP permission of a certification signature
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def pades(self) -> bool:
        return self.subfilter == PADES_SUBFILTER

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted is not False and not self.problems


@dataclass
class VerificationReport:
    """The signatures and document timestamps of one PDF; ``ok`` only when there is a signature and all hold."""

    signatures: list[SignatureReport] = field(default_factory=list)
    timestamps: list[TimestampReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    trust_checked: bool = False

    @property
    def ok(self) -> bool:
        return (bool(self.signatures) and not self.problems and all(sig.ok for sig in self.signatures)
                and all(ts.ok for ts in self.timestamps))

    def to_text(self) -> str:
        """The report as ``naskah verify`` prints it, in the language of the moment."""
        return report_text(self)


def verify_pdf(pdf: bytes, trust_roots: list[Path] | None = None,
               limits: VerificationLimits | None = None) -> VerificationReport:
    """Validate every signature and document timestamp in ``pdf``; trust only ``trust_roots``.

    With no roots, trust is not checked. Never raises for a bad file: a corrupt or unsigned PDF gives a report
    with ``ok`` False and the reason; but with ``limits`` (a file anyone may upload), a file beyond them raises
    :class:`~.bounds.VerificationRefused` (:mod:`.bounds`). Inside a running event loop pyHanko's synchronous API runs in a worker
    thread (it cannot run in the loop), blocking the caller meanwhile; async code should prefer
    ``await asyncio.to_thread(verify_pdf, ...)``.
    """
    try:
        asyncio.get_running_loop()
        in_event_loop = True
    except RuntimeError:
        in_event_loop = False
    if not in_event_loop:
        return _verify(pdf, trust_roots, limits)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_verify, pdf, trust_roots, limits).result()


def _verify(pdf: bytes, trust_roots: list[Path] | None, limits: VerificationLimits | None) -> VerificationReport:
    from pyhanko.pdf_utils.reader import PdfFileReader

    from .levels import read_dss

    report = VerificationReport(trust_checked=bool(trust_roots))
    roots, problems = read_roots(trust_roots or [])
    report.problems.extend(problems)
    with bounded(limits):
        if limits is not None:
            rough_check(pdf, limits)
        try:
            reader = PdfFileReader(io.BytesIO(pdf), strict=False)
            if limits is not None:
                checkpoint()
                count_check(reader, limits)
            signatures = list(reader.embedded_regular_signatures)
            timestamps = list(reader.embedded_timestamp_signatures)
            dss = read_dss(reader)
        except VerificationRefused:
            raise
        except Exception as exc:
            report.problems.append(Text(N_("not a readable PDF: {error}"), error=_error(exc)))
            return report
        if not signatures:
            report.problems.append(Text(N_("the PDF has no signatures")))
        for embedded in signatures:
            checkpoint()
            report.signatures.append(_check_signature(reader, embedded, roots, dss, report.trust_checked))
        for embedded in timestamps:
            checkpoint()
            report.timestamps.append(_check_document_timestamp(embedded, roots, dss, report.trust_checked))
    return report


def _check_signature(reader, embedded, roots, dss, trust_checked: bool) -> SignatureReport:
    from pyhanko.sign.validation import validate_pdf_signature

    from .levels import common_name, find_level

    sig = SignatureReport(field_name=str(embedded.field_name))
    try:
        subfilter = embedded.sig_object.get("/SubFilter")
        sig.subfilter = str(subfilter) if subfilter is not None else None
        cert = embedded.signer_cert
        sig.signer = cert.subject.native.get("common_name")
        sig.signer_dn = cert.subject.human_friendly
    except Exception as exc:
        sig.problems.append(Text(N_("the signature cannot be read: {error}"), error=_error(exc)))
        return sig
    if not sig.pades:
        sig.notes.append(Text(N_("sub-filter {subfilter} is not PAdES ({pades})"), subfilter=sig.subfilter,
                              pades=PADES_SUBFILTER))
    try:
        findings = find_level(reader, embedded, dss)
    except Exception as exc:
        log.debug("level of %s could not be read", sig.field_name, exc_info=True)
        findings = None
        sig.problems.append(Text(N_("the PAdES level cannot be read: {error}"), error=_error(exc)))
    if findings is not None:
        sig.level, sig.level_missing = findings.level, list(findings.missing)
        if findings.level == "B-LTA":
            sig.level_missing = []
    try:
        status = validate_pdf_signature(embedded, checking_context(roots, dss.certs),
                                        ts_validation_context=checking_context(roots, dss.certs))
    except Exception as exc:
        log.debug("validation of %s failed", sig.field_name, exc_info=True)
        sig.problems.append(Text(N_("validation failed: {error}"), error=_error(exc)))
        return sig
    sig.intact, sig.valid = bool(status.intact), bool(status.valid)
    sig.signing_time = status.signer_reported_dt
    sig.trusted = bool(status.trusted) if trust_checked else None
    if status.validation_path is not None:
        sig.trust_path = [common_name(c) for c in status.validation_path.iter_certs(include_root=True)]
    sig.coverage = _COVERAGE.get(status.coverage.name if status.coverage else "", _PARTIAL)
    level = status.modification_level
    sig.modification = _MODIFICATION.get(level.name) if level is not None else None
    if embedded.sig_object.get("/Reference") and embedded.docmdp_level is not None:
        sig.certifies = embedded.docmdp_level.name.lower().replace("_", " ")
    tst = status.timestamp_validity
    if tst is not None:
        sig.timestamp = TimestampReport(time=tst.timestamp, authority=common_name(tst.signing_cert),
                                        intact=bool(tst.intact), valid=bool(tst.valid),
                                        trusted=bool(tst.trusted) if trust_checked else None)
        if not (tst.intact and tst.valid):
            sig.problems.append(Text(N_("the signature timestamp is broken")))
        elif trust_checked and not tst.trusted:
            sig.problems.append(Text(N_("the signature timestamp's authority does not chain to a trusted root")))
    if not sig.intact:
        sig.problems.append(Text(N_("the signed content was changed after signing (digest mismatch)")))
    elif not sig.valid:
        sig.problems.append(Text(N_("the cryptographic signature does not match the signer's certificate")))
    if trust_checked and sig.intact and sig.valid and not sig.trusted:
        indic = status.trust_problem_indic
        sig.problems.append(Text(N_("the signer's certificate does not chain to a trusted root ({indication})"),
                                 indication=indic.name) if indic is not None else
                            Text(N_("the signer's certificate does not chain to a trusted root")))
    if sig.coverage == "partial":
        sig.problems.append(Text(N_("the signature covers only part of its revision")))
    if status.docmdp_ok is False or (level is not None and level.name == "OTHER"):
        sig.problems.append(Text(N_("the document was modified after signing in a way that is not allowed")))
    if status.seed_value_constraint_error is not None:
        sig.problems.append(Text(N_("seed value constraints not met: {error}"),
                                 error=str(status.seed_value_constraint_error)))
    if sig.level in ("B-LT", "B-LTA") and trust_checked and sig.intact and sig.valid:
        checkpoint()
        _long_term(sig, embedded, roots, dss)
    elif sig.level in ("B-LT", "B-LTA"):
        sig.revocation = Text(N_("not checked (no trust roots given)"))
    else:
        sig.revocation = Text(N_("not checked (no revocation data embedded)"))
    return sig


def _long_term(sig: SignatureReport, embedded, roots, dss) -> None:
    """AdES validation (ETSI EN 319 102-1) with the revocation data in the file only, nothing fetched.

    B-LTA: the long-term (LTA) process, whose document timestamps prove when the validation data existed.
    B-LT: validation with time (section 5.5); pyHanko 0.38's LTA process insists on a document timestamp.
    """
    from pyhanko.sign.ades.report import AdESPassed
    from pyhanko.sign.validation.ades import ades_lta_validation, ades_with_time_validation
    from pyhanko.sign.validation.policy_decl import (
        LocalKnowledge, PdfSignatureValidationSpec, RevinfoOnlineFetchingRule, RevocationInfoGatheringSpec,
        SignatureValidationSpec,
    )
    from pyhanko.sign.validation.status import PdfSignatureStatus
    from pyhanko_certvalidator.context import CertValidationPolicySpec
    from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy
    from pyhanko_certvalidator.registry import SimpleTrustManager
    from pyhanko_certvalidator.revinfo.archival import CRLContainer, OCSPContainer

    spec = SignatureValidationSpec(
        cert_validation_policy=CertValidationPolicySpec(trust_manager=SimpleTrustManager.build(trust_roots=roots),
                                                        revinfo_policy=CertRevTrustPolicy(REQUIRE_REVINFO)),
        revinfo_gathering_policy=RevocationInfoGatheringSpec(
            online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY),
    )
    try:
        if sig.level == "B-LTA":
            result = asyncio.run(ades_lta_validation(embedded, PdfSignatureValidationSpec(spec)))
        else:
            knowledge = LocalKnowledge(
                known_certs=list(dss.certs),
                known_ocsps=[c for response in dss.ocsps for c in OCSPContainer.load_multi(response)],
                known_crls=[CRLContainer(crl_data=crl) for crl in dss.crls])
            result = asyncio.run(ades_with_time_validation(
                embedded.signed_data, dataclasses.replace(spec, local_knowledge=knowledge),
                raw_digest=embedded.compute_digest(), extra_status_kwargs=embedded.summarise_integrity_info(),
                status_cls=PdfSignatureStatus))
    except Exception as exc:
        log.debug("long-term validation of %s failed", sig.field_name, exc_info=True)
        sig.revocation = Text(N_("long-term validation could not run"))
        sig.problems.append(Text(N_("long-term validation failed: {error}"), error=_error(exc)))
        return
    if result.ades_subindic == AdESPassed.OK:
        sig.revocation = Text(N_("checked offline against the revocation data embedded in the letter: not revoked, "
                                 "signature proven to exist at {time}"), time=_when(result.best_signature_time))
    else:
        sig.revocation = Text(N_("long-term validation with the embedded data FAILED ({indication})"),
                              indication=result.ades_subindic.name)
        sig.problems.append(Text(N_("long-term validation with the embedded revocation data failed: {indication}: "
                                    "{error}"), indication=result.ades_subindic.name, error=str(result.failure_msg)))


def _check_document_timestamp(embedded, roots, dss, trust_checked: bool) -> TimestampReport:
    from pyhanko.sign.validation import validate_pdf_timestamp

    from .levels import common_name

    ts = TimestampReport(field_name=str(embedded.field_name))
    try:
        status = validate_pdf_timestamp(embedded, checking_context(roots, dss.certs))
    except Exception as exc:
        log.debug("validation of %s failed", ts.field_name, exc_info=True)
        ts.problems.append(Text(N_("validation failed: {error}"), error=_error(exc)))
        return ts
    ts.time, ts.authority = status.timestamp, common_name(status.signing_cert)
    ts.intact, ts.valid = bool(status.intact), bool(status.valid)
    ts.trusted = bool(status.trusted) if trust_checked else None
    ts.coverage = _COVERAGE.get(status.coverage.name if status.coverage else "", _PARTIAL)
    level = status.modification_level
    ts.modification = _MODIFICATION.get(level.name) if level is not None else None
    if not (ts.intact and ts.valid):
        ts.problems.append(Text(N_("the document timestamp is broken (the content changed, or the token is invalid)")))
    elif trust_checked and not ts.trusted:
        ts.problems.append(Text(N_("the document timestamp's authority does not chain to a trusted root")))
    if ts.coverage == "partial":
        ts.problems.append(Text(N_("the document timestamp covers only part of its revision")))
    if level is not None and level.name == "OTHER":
        ts.problems.append(Text(N_("the document was modified after the timestamp in a way that is not allowed")))
    return ts


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if moment else "unknown"


def _error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"
