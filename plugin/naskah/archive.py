"""Renewing the archival timestamp of B-LTA letters, so they stay verifiable after the last timestamp's TSA
certificate expires or its algorithms weaken (PAdES B-LTA's "timestamp chain").

Renewing adds, as incremental updates, the validation data of the newest document timestamp (OCSP/CRLs for
its TSA's chain, fetched with hard-fail revocation checking) and then a fresh document timestamp over all of
it. A renewed letter is verified before it replaces the stored one; a letter that is not B-LTA is left alone.

This sits above the store, signing and validation: it reads stored letters, extends their signatures and
checks the result.
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from .errors import SigningError, StoreConflictError
from .sign.pades import explain, refuse_event_loop, timestamper, validation_context
from .sign.profile import SigningProfile
from .validation.report import verify_pdf


@dataclass(frozen=True)
class Renewal:
    """What happened to one stored letter."""

    letter_id: str
    outcome: str  # "renewed", "skipped", "failed"
    detail: str
    pdf_path: Path | None = None


def last_document_timestamp(pdf: bytes) -> dt.datetime | None:
    """The time of the newest document timestamp in ``pdf``; None when it has none (not B-LTA)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    timestamps = reader.embedded_timestamp_signatures
    if not timestamps:
        return None
    token = timestamps[-1].signed_data["encap_content_info"]["content"].parsed
    return token["gen_time"].native


def renew_pdf(pdf: bytes, profile: SigningProfile) -> bytes:
    """``pdf`` with its timestamp chain extended by a fresh document timestamp from the profile's TSA."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.signers import PdfTimeStamper

    refuse_event_loop("renew_pdf")
    if profile.tsa is None or not profile.trust_roots:
        raise SigningError(f"signing profile {profile.name} cannot renew timestamps: it needs tsa.url and trust_roots")
    if last_document_timestamp(pdf) is None:
        raise SigningError("the letter has no document timestamp (it is not PAdES B-LTA): nothing to renew")
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        out = PdfTimeStamper(timestamper(profile)).update_archival_timestamp_chain(
            reader, validation_context(profile), in_place=False).getvalue()
    except Exception as exc:
        raise SigningError(f"cannot renew the archival timestamp: {explain(exc, profile)}") from None
    report = verify_pdf(out, trust_roots=profile.trust_roots)
    if not report.ok:
        problems = [p for sig in report.signatures for p in sig.problems] + [
            p for ts in report.timestamps for p in ts.problems] + report.problems
        raise SigningError("the renewed letter does not verify: " + "; ".join(problems or ["see naskah verify"]))
    return out


def renew_store(store, profile: SigningProfile, *, older_than: dt.timedelta = dt.timedelta(0),
                dry_run: bool = False) -> list[Renewal]:
    """Renew every B-LTA letter in ``store`` (a :class:`naskah.store.LocalStore`) whose newest document
    timestamp is at least ``older_than`` old.

    The renewed PDF is written next to the old one under its own content name, the index row is switched to
    it only if it still names the old content, and only then is the old file removed: a crash at any point
    leaves the index pointing at a complete file.
    """
    now = dt.datetime.now(dt.timezone.utc)
    results = []
    for letter in store.all():
        try:
            pdf = letter.pdf_path.read_bytes()
        except OSError as exc:
            results.append(Renewal(letter.letter_id, "failed", f"cannot read {letter.pdf_path}: {exc.strerror}"))
            continue
        try:
            last = last_document_timestamp(pdf)
        except Exception as exc:
            results.append(Renewal(letter.letter_id, "failed", f"unreadable PDF: {type(exc).__name__}: {exc}"))
            continue
        if last is None:
            results.append(Renewal(letter.letter_id, "skipped", "not PAdES B-LTA (no document timestamp)"))
            continue
        if now - last < older_than:
            results.append(Renewal(letter.letter_id, "skipped", f"document timestamp of {last:%Y-%m-%d} is recent"))
            continue
        if dry_run:
            results.append(Renewal(letter.letter_id, "skipped", f"would renew the timestamp of {last:%Y-%m-%d}"))
            continue
        try:
            renewed = renew_pdf(pdf, profile)
            path = store.replace_pdf(letter, renewed)
        except (SigningError, StoreConflictError) as exc:
            results.append(Renewal(letter.letter_id, "failed", str(exc)))
            continue
        results.append(Renewal(letter.letter_id, "renewed",
                               f"timestamp of {last:%Y-%m-%d %H:%M:%S} renewed", pdf_path=path))
    return results
