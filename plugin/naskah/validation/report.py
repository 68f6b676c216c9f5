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

from .trust import checking_context, read_roots

log = logging.getLogger("naskah.verify")

PADES_SUBFILTER = "/ETSI.CAdES.detached"
_COVERAGE = {"ENTIRE_FILE": "entire file", "ENTIRE_REVISION": "entire revision"}
_MODIFICATION = {"NONE": "none", "LTA_UPDATES": "only long-term validation data",
                 "FORM_FILLING": "form filling or further signatures", "ANNOTATIONS": "annotations",
                 "OTHER": "other changes (not allowed)"}


@dataclass
class TimestampReport:
    """A timestamp: the signature's own token, or a document timestamp (then ``field_name`` is set)."""

    time: datetime | None = None
    authority: str | None = None
    intact: bool = False
    valid: bool = False
    trusted: bool | None = None
    field_name: str | None = None
    coverage: str = "unknown"
    modification: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted is not False and not self.problems

    def describe(self) -> str:
        when = _when(self.time)
        trusted = "" if self.trusted is None else (", trusted" if self.trusted else ", NOT trusted")
        sound = "intact, valid" if self.intact and self.valid else "NOT intact or NOT valid"
        return f"{when} by {self.authority or 'unknown TSA'}: {sound}{trusted}"


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
    coverage: str = "unknown"
    modification: str | None = None
    level: str | None = None  # PAdES baseline level the file reaches: B-B, B-T, B-LT, B-LTA
    level_missing: list[str] = field(default_factory=list)  # what the next level would need
    timestamp: TimestampReport | None = None
    trust_path: list[str] = field(default_factory=list)  # root first
    revocation: str = "not checked"
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
        lines: list[str] = []
        count = len(self.signatures)
        for number, sig in enumerate(self.signatures, 1):
            lines.append(f"Signature {number} of {count}: field {sig.field_name}")
            dn = f" ({sig.signer_dn})" if sig.signer_dn else ""
            lines.append(f"  signer:        {sig.signer or 'unknown'}{dn}")
            lines.append(f"  signing time:  {_when(sig.signing_time, 'not stated')} (as claimed by the signer)")
            lines.append(f"  level:         {'PAdES ' + sig.level if sig.level else 'not PAdES'}"
                         + (f" (not higher: {'; '.join(sig.level_missing)})" if sig.level_missing else ""))
            lines.append(f"  timestamp:     {sig.timestamp.describe() if sig.timestamp else 'none'}")
            kind = "PAdES" if sig.pades else "not PAdES"
            lines.append(f"  sub-filter:    {sig.subfilter or 'none'} ({kind})")
            lines.append(f"  intact:        {_yes(sig.intact)}")
            lines.append(f"  valid:         {_yes(sig.valid)}")
            trusted = "not checked (no trust roots given)" if sig.trusted is None else _yes(sig.trusted)
            lines.append(f"  trusted:       {trusted}")
            if sig.trust_path:
                lines.append(f"  trust path:    {' > '.join(sig.trust_path)}")
            lines.append(f"  revocation:    {sig.revocation}")
            lines.append(f"  coverage:      {sig.coverage}")
            if sig.certifies:
                lines.append(f"  certifies:     yes, later changes allowed: {sig.certifies}")
            lines.append(f"  modified after signing: {sig.modification or 'unknown'}")
            for note in sig.notes:
                lines.append(f"  note: {note}")
            for problem in sig.problems:
                lines.append(f"  PROBLEM: {problem}")
            lines.append("")
        for number, ts in enumerate(self.timestamps, 1):
            lines.append(f"Document timestamp {number} of {len(self.timestamps)}: field {ts.field_name}")
            lines.append(f"  time:          {ts.describe()}")
            lines.append(f"  coverage:      {ts.coverage}")
            lines.append(f"  modified after: {ts.modification or 'unknown'}")
            for problem in ts.problems:
                lines.append(f"  PROBLEM: {problem}")
            lines.append("")
        for problem in self.problems:
            lines.append(f"PROBLEM: {problem}")
        if any(sig.level in ("B-B", "B-T") for sig in self.signatures):
            lines.append("Revocation was not checked for signatures below PAdES B-LT "
                         "(they embed no revocation data, and none is fetched).")
        if not self.trust_checked:
            lines.append("Trust was not checked: no trust roots were given.")
        if not self.ok:
            lines.append("Result: NOT OK")
        else:
            lines.append("Result: OK, every signature is intact and valid" + (" and trusted" * self.trust_checked))
        return "\n".join(lines)


def verify_pdf(pdf: bytes, trust_roots: list[Path] | None = None) -> VerificationReport:
    """Validate every signature and document timestamp in ``pdf``; trust only ``trust_roots``.

    With no roots, trust is not checked. Never raises for a bad file: a corrupt or unsigned PDF gives a report
    with ``ok`` False and the reason. Inside a running event loop pyHanko's synchronous API runs in a worker
    thread (it cannot run in the loop), blocking the caller meanwhile; async code should prefer
    ``await asyncio.to_thread(verify_pdf, ...)``.
    """
    try:
        asyncio.get_running_loop()
        in_event_loop = True
    except RuntimeError:
        in_event_loop = False
    if not in_event_loop:
        return _verify(pdf, trust_roots)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_verify, pdf, trust_roots).result()


def _verify(pdf: bytes, trust_roots: list[Path] | None) -> VerificationReport:
    from pyhanko.pdf_utils.reader import PdfFileReader

    from .levels import read_dss

    report = VerificationReport(trust_checked=bool(trust_roots))
    roots, problems = read_roots(trust_roots or [])
    report.problems.extend(problems)
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = list(reader.embedded_regular_signatures)
        timestamps = list(reader.embedded_timestamp_signatures)
        dss = read_dss(reader)
    except Exception as exc:
        report.problems.append(f"not a readable PDF: {type(exc).__name__}: {exc}")
        return report
    if not signatures:
        report.problems.append("the PDF has no signatures")
    for embedded in signatures:
        report.signatures.append(_check_signature(reader, embedded, roots, dss, report.trust_checked))
    for embedded in timestamps:
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
        sig.problems.append(f"the signature cannot be read: {type(exc).__name__}: {exc}")
        return sig
    if not sig.pades:
        sig.notes.append(f"sub-filter {sig.subfilter} is not PAdES ({PADES_SUBFILTER})")
    try:
        findings = find_level(reader, embedded, dss)
    except Exception as exc:
        log.debug("level of %s could not be read", sig.field_name, exc_info=True)
        findings = None
        sig.problems.append(f"the PAdES level cannot be read: {type(exc).__name__}: {exc}")
    if findings is not None:
        sig.level, sig.level_missing = findings.level, list(findings.missing)
        if findings.level == "B-LTA":
            sig.level_missing = []
    try:
        status = validate_pdf_signature(embedded, checking_context(roots, dss.certs),
                                        ts_validation_context=checking_context(roots, dss.certs))
    except Exception as exc:
        log.debug("validation of %s failed", sig.field_name, exc_info=True)
        sig.problems.append(f"validation failed: {type(exc).__name__}: {exc}")
        return sig
    sig.intact, sig.valid = bool(status.intact), bool(status.valid)
    sig.signing_time = status.signer_reported_dt
    sig.trusted = bool(status.trusted) if trust_checked else None
    if status.validation_path is not None:
        sig.trust_path = [common_name(c) for c in status.validation_path.iter_certs(include_root=True)]
    sig.coverage = _COVERAGE.get(status.coverage.name if status.coverage else "", "partial")
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
            sig.problems.append("the signature timestamp is broken")
        elif trust_checked and not tst.trusted:
            sig.problems.append("the signature timestamp's authority does not chain to a trusted root")
    if not sig.intact:
        sig.problems.append("the signed content was changed after signing (digest mismatch)")
    elif not sig.valid:
        sig.problems.append("the cryptographic signature does not match the signer's certificate")
    if trust_checked and sig.intact and sig.valid and not sig.trusted:
        indic = status.trust_problem_indic
        sig.problems.append("the signer's certificate does not chain to a trusted root"
                            + (f" ({indic.name})" if indic is not None else ""))
    if sig.coverage == "partial":
        sig.problems.append("the signature covers only part of its revision")
    if status.docmdp_ok is False or (level is not None and level.name == "OTHER"):
        sig.problems.append("the document was modified after signing in a way that is not allowed")
    if status.seed_value_constraint_error is not None:
        sig.problems.append(f"seed value constraints not met: {status.seed_value_constraint_error}")
    if sig.level in ("B-LT", "B-LTA") and trust_checked and sig.intact and sig.valid:
        _long_term(sig, embedded, roots, dss)
    elif sig.level in ("B-LT", "B-LTA"):
        sig.revocation = "not checked (no trust roots given)"
    else:
        sig.revocation = "not checked (no revocation data embedded)"
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
        sig.revocation = "long-term validation could not run"
        sig.problems.append(f"long-term validation failed: {type(exc).__name__}: {exc}")
        return
    if result.ades_subindic == AdESPassed.OK:
        proven = f", signature proven to exist at {_when(result.best_signature_time)}"
        sig.revocation = ("checked offline against the revocation data embedded in the letter: not revoked"
                          + proven)
    else:
        sig.revocation = f"long-term validation with the embedded data FAILED ({result.ades_subindic.name})"
        sig.problems.append(f"long-term validation with the embedded revocation data failed: "
                            f"{result.ades_subindic.name}: {result.failure_msg}")


def _check_document_timestamp(embedded, roots, dss, trust_checked: bool) -> TimestampReport:
    from pyhanko.sign.validation import validate_pdf_timestamp

    from .levels import common_name

    ts = TimestampReport(field_name=str(embedded.field_name))
    try:
        status = validate_pdf_timestamp(embedded, checking_context(roots, dss.certs))
    except Exception as exc:
        log.debug("validation of %s failed", ts.field_name, exc_info=True)
        ts.problems.append(f"validation failed: {type(exc).__name__}: {exc}")
        return ts
    ts.time, ts.authority = status.timestamp, common_name(status.signing_cert)
    ts.intact, ts.valid = bool(status.intact), bool(status.valid)
    ts.trusted = bool(status.trusted) if trust_checked else None
    ts.coverage = _COVERAGE.get(status.coverage.name if status.coverage else "", "partial")
    level = status.modification_level
    ts.modification = _MODIFICATION.get(level.name) if level is not None else None
    if not (ts.intact and ts.valid):
        ts.problems.append("the document timestamp is broken (the content changed, or the token is invalid)")
    elif trust_checked and not ts.trusted:
        ts.problems.append("the document timestamp's authority does not chain to a trusted root")
    if ts.coverage == "partial":
        ts.problems.append("the document timestamp covers only part of its revision")
    if level is not None and level.name == "OTHER":
        ts.problems.append("the document was modified after the timestamp in a way that is not allowed")
    return ts


def _when(moment: datetime | None, default: str = "unknown") -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if moment else default


def _yes(value: bool) -> str:
    return "yes" if value else "NO"
