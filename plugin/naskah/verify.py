"""Check the signatures of a PDF with pyHanko and say, in plain English, whether they can be relied on.

Used by ``naskah verify`` and the tests. Trust is checked against the given roots only (never the operating
system's list); revocation is not checked (PAdES B-B letters carry no revocation data), and the report says so.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import io
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

log = logging.getLogger("naskah.verify")

PADES_SUBFILTER = "/ETSI.CAdES.detached"
_COVERAGE = {"ENTIRE_FILE": "entire file", "ENTIRE_REVISION": "entire revision"}
_MODIFICATION = {"NONE": "none", "LTA_UPDATES": "only long-term validation data",
                 "FORM_FILLING": "form filling or further signatures", "ANNOTATIONS": "annotations",
                 "OTHER": "other changes (not allowed)"}


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
    """The signatures of one PDF; ``ok`` only when there is one at least and every one holds."""

    signatures: list[SignatureReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    trust_checked: bool = False

    @property
    def ok(self) -> bool:
        return bool(self.signatures) and not self.problems and all(sig.ok for sig in self.signatures)

    def to_text(self) -> str:
        lines: list[str] = []
        count = len(self.signatures)
        for number, sig in enumerate(self.signatures, 1):
            lines.append(f"Signature {number} of {count}: field {sig.field_name}")
            dn = f" ({sig.signer_dn})" if sig.signer_dn else ""
            lines.append(f"  signer:        {sig.signer or 'unknown'}{dn}")
            when = sig.signing_time.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if sig.signing_time else "not stated"
            lines.append(f"  signing time:  {when} (as claimed by the signer)")
            kind = "PAdES" if sig.pades else "not PAdES"
            lines.append(f"  sub-filter:    {sig.subfilter or 'none'} ({kind})")
            lines.append(f"  intact:        {_yes(sig.intact)}")
            lines.append(f"  valid:         {_yes(sig.valid)}")
            trusted = "not checked (no trust roots given)" if sig.trusted is None else _yes(sig.trusted)
            lines.append(f"  trusted:       {trusted}")
            lines.append(f"  coverage:      {sig.coverage}")
            lines.append(f"  modified after signing: {sig.modification or 'unknown'}")
            for note in sig.notes:
                lines.append(f"  note: {note}")
            for problem in sig.problems:
                lines.append(f"  PROBLEM: {problem}")
            lines.append("")
        for problem in self.problems:
            lines.append(f"PROBLEM: {problem}")
        if self.signatures:
            lines.append("Revocation was not checked (PAdES B-B: no revocation data is embedded or fetched).")
        if not self.trust_checked:
            lines.append("Trust was not checked: no trust roots were given.")
        if not self.ok:
            lines.append("Result: NOT OK")
        else:
            lines.append("Result: OK, every signature is intact and valid" + (" and trusted" * self.trust_checked))
        return "\n".join(lines)


def verify_pdf(pdf: bytes, trust_roots: list[Path] | None = None) -> VerificationReport:
    """Validate every signature in ``pdf``; trust only ``trust_roots`` (none given: trust is not checked).

    Never raises for a bad file: a corrupt or unsigned PDF gives a report with ``ok`` False and the reason.
    Inside a running event loop pyHanko's synchronous API runs in a worker thread (it cannot run in the loop),
    blocking the caller meanwhile; async code should prefer ``await asyncio.to_thread(verify_pdf, ...)``.
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
    from pyhanko.keys import load_certs_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko_certvalidator import ValidationContext

    report = VerificationReport(trust_checked=bool(trust_roots))
    roots = []
    for path in trust_roots or []:
        try:
            roots.extend(load_certs_from_pemder([str(path)]))  # a bundle of several roots is fine
        except Exception as exc:
            report.problems.append(f"cannot read trust root {path}: {type(exc).__name__}: {exc}")
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = list(reader.embedded_regular_signatures)
    except Exception as exc:
        report.problems.append(f"not a readable PDF: {type(exc).__name__}: {exc}")
        return report
    if not signatures:
        report.problems.append("the PDF has no signatures")
    for embedded in signatures:
        # one context per signature: contexts cache validation results
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        report.signatures.append(_check_signature(embedded, context, report.trust_checked))
    return report


def _check_signature(embedded, context, trust_checked: bool) -> SignatureReport:
    from pyhanko.sign.validation import validate_pdf_signature

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
        status = validate_pdf_signature(embedded, context)
    except Exception as exc:
        log.debug("validation of %s failed", sig.field_name, exc_info=True)
        sig.problems.append(f"validation failed: {type(exc).__name__}: {exc}")
        return sig
    sig.intact, sig.valid = bool(status.intact), bool(status.valid)
    sig.signing_time = status.signer_reported_dt
    sig.trusted = bool(status.trusted) if trust_checked else None
    sig.coverage = _COVERAGE.get(status.coverage.name if status.coverage else "", "partial")
    level = status.modification_level
    sig.modification = _MODIFICATION.get(level.name) if level is not None else None
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
    return sig


def _yes(value: bool) -> str:
    return "yes" if value else "NO"
