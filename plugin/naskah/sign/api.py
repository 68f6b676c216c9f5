"""PAdES signing with pyHanko, B-B to B-LTA: a visible stamp at the template's bookmark, added as incremental
updates so LibreOffice's PDF/A-2b bytes (and its XMP ``pdfaid``) stay untouched.

The signer's certificate is validated before signing whenever the profile has trust roots, with revocation
checking in hard-fail mode: an expired or revoked certificate, or an unreachable OCSP responder or CRL
repository, is a :class:`SigningError`. After signing, the level is read back from the file
(:mod:`naskah.validation.levels`) and a letter that falls short of its profile's level is refused, so a TSA or OCSP
outage never yields a silently weaker signature.

An official's own key signs with the credential given at signing (:class:`~.credentials.Credential`), used for
that one call; with a :class:`~.lockout.SignerLockout`, refused credentials are counted per signer and a
locked signer's attempts are not forwarded at all.

The functions here are synchronous (pyHanko runs its own event loop inside): call them from plain threads, and
from async code through ``await asyncio.to_thread(sign_pdf, ...)``, never directly inside a running loop.
"""
from __future__ import annotations

import contextlib
import io
import logging
import threading
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.xmp_xml import XmpXmlProcessingError
from pyhanko.pdf_utils.metadata.model import VENDOR
from pyhanko.sign import fields, signers

from ..errors import SigningError
from ..http import scrub
from ..validation.levels import level_rank
from .appearance import place_stamp, stamp_params, stamp_style
from .backends.keys import opened_signer, signer_lock
from .credentials import Credential
from .errors import CredentialRefused
from .lockout import SignerLockout, signer_key
from .pades import explain, refuse_event_loop, require_level, timestamper, validation_context
from .profile import BsreKey, SigningProfile

log = logging.getLogger("naskah.sign")

_DOCMDP = {"no-changes": fields.MDPPerm.NO_CHANGES, "form-filling": fields.MDPPerm.FILL_FORMS,
           "annotations": fields.MDPPerm.ANNOTATE}

_warned_demo = threading.Event()

#: The room reserved in the PDF for each profile's signature container, as pyHanko first estimated it.
#: Its estimate builds a whole dry-run signature on every letter; the size does not change between letters
#: of one profile, key and TSA. The estimate has a 50% margin; a signature that still outgrows it is
#: estimated again.
_signature_room: dict[tuple, int] = {}


@dataclass(frozen=True)
class Signatory:
    """One person signing a letter: the profile (key, level, stamp), what the stamp says, and the credential
    the person gave for this signature when the key is their own."""

    profile: SigningProfile
    signer_name: str
    signer_title: str = ""
    reason: str | None = None
    credential: Credential | None = None


def sign_pdf(pdf: bytes, profile: SigningProfile, *, verification_url: str | None = None, signer_name: str,
             signer_title: str, location: str | None = None, reason: str | None = None,
             field_name: str | None = None, credential: Credential | None = None,
             lockout: SignerLockout | None = None) -> bytes:
    """Sign ``pdf`` at the profile's PAdES level with a visible stamp whose QR code encodes ``verification_url``.

    The stamp goes into the empty signature field ``field_name`` (default: the profile's) when the letter has
    one (see :func:`add_signature_fields`), else into a new field at the profile's bookmark.

    ``credential``: the signer's own secret for a personal key (see :attr:`SigningProfile.personal`); none is
    needed for a seal or the demo key. ``lockout``: counts refused credentials per signer (when a credential
    is given) and raises :class:`~.errors.SignerLocked` instead of forwarding a locked signer's attempt.
    A wrong credential is :class:`~.errors.CredentialRefused`, a missing one :class:`~.errors.CredentialMissing`.
    """
    refuse_event_loop()
    if profile.stamp.qr and not verification_url:
        raise SigningError("the stamp's QR code needs the letter's verification URL")
    arguments = dict(verification_url=verification_url, signer_name=signer_name, signer_title=signer_title,
                     location=location, reason=reason, field_name=field_name or profile.field_name)
    try:
        if lockout is None or credential is None:
            return _sign(pdf, profile, credential, **arguments)
        signer = signer_key(profile)
        lockout.check(signer)
        try:
            out = _sign(pdf, profile, credential, **arguments)
        except CredentialRefused as refused:
            policy = profile.lockout
            until = lockout.failed(signer, attempts=policy.attempts, minutes=policy.minutes)
            if until is None:
                raise
            raise refused.locking(signer.label, policy.attempts, until) from None
        lockout.succeeded(signer)
        return out
    except SigningError as error:
        _scrub_error(error, credential)
        raise


def _scrub_error(error: SigningError, credential: Credential | None) -> None:
    """The last guard: no message may hold the credential, whatever reported it."""
    text = str(error)
    values = credential.values if credential else []
    if any(value in text for value in values):
        error.args = (scrub(text, values, limit=len(text)),)


def _sign(pdf: bytes, profile: SigningProfile, credential: Credential | None, *, verification_url: str | None,
          signer_name: str, signer_title: str, location: str | None, reason: str | None, field_name: str) -> bytes:
    if isinstance(profile.key, BsreKey):
        from .backends.bsre import sign_remote

        return sign_remote(pdf, profile, credential=credential, verification_url=verification_url,
                           location=location, reason=reason, field_name=field_name)
    with opened_signer(profile, credential) as signer:
        return _sign_locally(pdf, profile, signer, verification_url=verification_url, signer_name=signer_name,
                             signer_title=signer_title, location=location, reason=reason, name=field_name)


def _sign_locally(pdf: bytes, profile: SigningProfile, signer, *, verification_url: str | None, signer_name: str,
                  signer_title: str, location: str | None, reason: str | None, name: str) -> bytes:
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        existing = {fq_name: value is not None for fq_name, value, _ in fields.enumerate_sig_fields(writer.prev)}
        place = None if name in existing else place_stamp(pdf, profile.stamp)
    except Exception as exc:
        raise SigningError(f"the PDF to sign cannot be read: {type(exc).__name__}: {exc}") from None
    if existing.get(name):
        raise SigningError(f"the signature field {name} is already signed")
    rank = level_rank(profile.level)
    certify = profile.certify
    if certify and any(existing.values()):
        raise SigningError(f"signing profile {profile.name} certifies (DocMDP), but the letter is already signed: "
                           f"a certifying signature must be the first one")
    context = validation_context(profile) if profile.trust_roots else None
    meta = signers.PdfSignatureMetadata(
        field_name=name, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
        location=location, reason=reason, certify=certify, docmdp_permissions=_DOCMDP[profile.docmdp],
        validation_context=context, embed_validation_info=rank >= 2, use_pades_lta=rank >= 3,
    )
    new_field = None if place is None else fields.SigFieldSpec(sig_field_name=name, on_page=place.page, box=place.box)
    params = stamp_params(profile, signer_name, signer_title)
    pdf_signer = signers.PdfSigner(meta, signer, timestamper=timestamper(profile) if rank >= 1 else None,
                                   stamp_style=stamp_style(profile, "".join(params.values())),
                                   new_field_spec=new_field)
    if profile.stamp.qr:
        params["url"] = verification_url
    lock = signer_lock(profile) or contextlib.nullcontext()
    room_key = _room_key(profile, signer)
    for attempt in (1, 2):
        room = _signature_room.get(room_key)
        try:
            _match_producer(writer)
            with lock:
                out = pdf_signer.sign_pdf(writer, bytes_reserved=room, appearance_text_params=params).getvalue()
            break
        except XmpXmlProcessingError as exc:
            # Seen once, in a threaded batch on a fresh machine, for a letter whose XMP parses fine alone: try
            # once more on a fresh writer, and say why if it fails again.
            if attempt == 2:
                raise SigningError(explain(exc, profile)) from None
            log.warning("pyHanko could not parse the letter's XMP metadata (%r); signing once more", exc.__cause__)
        except Exception as exc:
            if attempt == 2 or room is None or "larger than expected" not in str(exc):
                raise SigningError(explain(exc, profile)) from None
            log.info("the signature outgrew the room kept for profile %s; estimating again", profile.name)
            _signature_room.pop(room_key, None)
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    if writer.output_version >= (2, 0):
        # pyHanko declares PDF 2.0 (ISO/TS 32002) for ECDSA/EdDSA keys and SHA-3; PDF/A-2 is PDF 1.7 based
        raise SigningError("the signature made the letter a PDF 2.0 file, which is not PDF/A-2b: "
                           "use an RSA signing key with SHA-256")
    embedded = require_level(out, name, profile.level)
    if room is None:
        _signature_room[room_key] = _room_of(embedded)
    if profile.uses_demo_key and not _warned_demo.is_set():
        _warned_demo.set()
        log.warning("letters are signed with the DEMO key: their signatures are NOT VALID")
    return out


def add_signature_fields(pdf: bytes, profiles: list[tuple[str, SigningProfile]]) -> bytes:
    """Create empty signature fields, each at its profile's bookmark, in one incremental update.

    Fields must exist before a certifying signature: afterwards DocMDP allows filling them, not adding them.
    """
    refuse_event_loop("add_signature_fields")
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        existing = {fq_name for fq_name, _, _ in fields.enumerate_sig_fields(writer.prev)}
        for name, profile in profiles:
            if name in existing:
                continue
            place = place_stamp(pdf, profile.stamp)
            fields.append_signature_field(writer, fields.SigFieldSpec(sig_field_name=name, on_page=place.page,
                                                                      box=place.box))
        _match_producer(writer)
        out = io.BytesIO()
        writer.write(out)
    except SigningError:
        raise
    except Exception as exc:
        raise SigningError(f"cannot add signature fields: {type(exc).__name__}: {exc}") from None
    return out.getvalue()


def sign_letter(pdf: bytes, signatories: list[Signatory], *, verification_url: str,
                location: str | None = None, credential: Credential | None = None,
                lockout: SignerLockout | None = None) -> bytes:
    """Several signatures on one letter, in order (e.g. the verifier's paraf, then the official's signature).

    Every field is created first, in one update, so that a certifying first signature still lets the later
    ones sign; each signature is then made at its own profile's level. Each signatory signs with its own
    :attr:`Signatory.credential`; ``credential`` is the last signatory's (the official who signs) when that
    Signatory carries none: it is never offered to another signatory's key.
    """
    names = [s.profile.field_name for s in signatories]
    if len(set(names)) != len(names):
        raise SigningError(f"two signatories use the same signature field: {', '.join(names)}")
    for later in signatories[1:]:
        if later.profile.certify:
            raise SigningError(f"signing profile {later.profile.name} certifies (DocMDP) but does not sign first: "
                               f"only the first signature may certify")
    out = add_signature_fields(pdf, [(s.profile.field_name, s.profile) for s in signatories])
    for number, signatory in enumerate(signatories, 1):
        own = signatory.credential
        if own is None and number == len(signatories):
            own = credential
        out = sign_pdf(out, signatory.profile, verification_url=verification_url, signer_name=signatory.signer_name,
                       signer_title=signatory.signer_title, location=location, reason=signatory.reason,
                       credential=own, lockout=lockout)
    return out


def _room_key(profile: SigningProfile, signer) -> tuple:
    cert = signer.signing_cert
    return (profile.name, profile.level, profile.tsa.url if profile.tsa else None,
            cert.sha256 if cert is not None else None)


def _room_of(embedded) -> int:
    """The hex digits reserved for the signature container: the gap in /ByteRange less its ``<`` and ``>``."""
    byte_range = embedded.sig_object["/ByteRange"]
    return int(byte_range[2]) - int(byte_range[1]) - 2


def _match_producer(writer: IncrementalPdfFileWriter) -> None:
    """Make /Info /Producer exactly pyHanko's name, as pyHanko writes it to the XMP ``pdf:Producer``.

    Otherwise pyHanko appends its name to the Info entry only ("LibreOffice 7.4; pyHanko 0.38.0") and the
    two disagree, which PDF/A forbids.
    """
    info_ref = writer.trailer.raw_get("/Info") if "/Info" in writer.trailer else None
    if isinstance(info_ref, generic.IndirectObject):
        info = info_ref.get_object()
        if info.get("/Producer") != VENDOR:
            info["/Producer"] = generic.TextStringObject(VENDOR)
            writer.mark_update(info_ref)
