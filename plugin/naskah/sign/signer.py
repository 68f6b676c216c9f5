"""PAdES signing with pyHanko, B-B to B-LTA: a visible stamp at the template's bookmark, added as incremental
updates so LibreOffice's PDF/A-2b bytes (and its XMP ``pdfaid``) stay untouched.

The signer's certificate is validated before signing whenever the profile has trust roots, with revocation
checking in hard-fail mode: an expired or revoked certificate, or an unreachable OCSP responder or CRL
repository, is a :class:`SigningError`. After signing, the level is read back from the file
(:mod:`naskah.sign.levels`) and a letter that falls short of its profile's level is refused, so a TSA or OCSP
outage never yields a silently weaker signature.

The functions here are synchronous (pyHanko runs its own event loop inside): call them from plain threads, and
from async code through ``await asyncio.to_thread(sign_pdf, ...)``, never directly inside a running loop.
"""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import logging
import os
import textwrap
import threading
import time
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.xmp_xml import XmpXmlProcessingError
from pyhanko.pdf_utils.metadata.model import VENDOR
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.stamp import QRStampStyle, TextStampStyle

from ..errors import SigningError
from .keys import load_signer, signer_lock
from .levels import at_least, find_level
from .profile import BsreKey, SigningProfile, level_rank
from .stamp import place_stamp
from .stamp_font import stamp_font_for

log = logging.getLogger("naskah.sign")
# fontTools logs each step of subsetting the stamp font at INFO; keep an INFO-level service log readable
if logging.getLogger("fontTools").level == logging.NOTSET:
    logging.getLogger("fontTools").setLevel(logging.WARNING)

# %(waktu)s is the signing time in the profile's time zone (WIB by default); pyHanko's own %(ts)s would use
# the server's local zone, which on a server is usually UTC.
STAMP_TEXT = "Ditandatangani secara elektronik oleh:\n%(signer_title)s\n%(signer_name)s\n%(waktu)s"
PARAF_TEXT = "Paraf elektronik:\n%(signer_title)s\n%(signer_name)s\n%(waktu)s"
TIMESTAMP_FORMAT = "%d-%m-%Y %H:%M:%S %Z"
WRAP = 38  # characters per stamp line before a long title is wrapped (pyHanko does not wrap)
_DOCMDP = {"no-changes": fields.MDPPerm.NO_CHANGES, "form-filling": fields.MDPPerm.FILL_FORMS,
           "annotations": fields.MDPPerm.ANNOTATE}

_warned_demo = threading.Event()

#: Seconds a TSA client (and the TSA certificates it learnt) is kept.
TIMESTAMPER_LIFETIME = 600.0
_timestampers: dict[tuple, tuple[float, object]] = {}

#: The room reserved in the PDF for each profile's signature container, as pyHanko first estimated it.
#: Its estimate builds a whole dry-run signature on every letter; the size does not change between letters
#: of one profile, key and TSA. The estimate has a 50% margin; a signature that still outgrows it is
#: estimated again.
_signature_room: dict[tuple, int] = {}


@dataclass(frozen=True)
class Signatory:
    """One person signing a letter: the profile (key, level, stamp) and what the stamp says."""

    profile: SigningProfile
    signer_name: str
    signer_title: str = ""
    reason: str | None = None


def refuse_event_loop(what: str = "sign_pdf") -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise SigningError(f"{what} is synchronous and cannot run inside an event loop; "
                       f"call it with `await asyncio.to_thread({what}, ...)`")


def stamp_style(profile: SigningProfile, text: str = ""):
    """The QR stamp (or, for a paraf, a text stamp) with the profile's embedded font, cut to ``text``'s script."""
    size = profile.stamp.font_size
    font = GlyphAccumulatorFactory(str(stamp_font_for(profile.stamp.font, text)), font_size=size)
    common = dict(
        text_box_style=TextBoxStyle(font=font, font_size=size, leading=round(size * 1.25)),
        timestamp_format=TIMESTAMP_FORMAT,
        border_width=2,  # pyHanko strokes on the box edge, so half of it is clipped: 1 pt shows
    )
    if profile.stamp.qr:
        return QRStampStyle(stamp_text=STAMP_TEXT, innsep=3, **common)
    return TextStampStyle(stamp_text=PARAF_TEXT, **common)


def stamp_time(profile: SigningProfile) -> str:
    """Now, as the stamp shows it: "23-11-2026 16:05:09 WIB"."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(profile.stamp.timezone)).strftime(TIMESTAMP_FORMAT)


def validation_context(profile: SigningProfile):
    """Trust only the profile's roots; fetch revocation data and fail hard when it cannot be had."""
    from pyhanko.keys import load_certs_from_pemder
    from pyhanko_certvalidator import ValidationContext

    try:
        roots = list(load_certs_from_pemder([str(root) for root in profile.trust_roots]))
    except Exception as exc:
        raise SigningError(f"cannot read the trust roots of signing profile {profile.name}: "
                           f"{type(exc).__name__}: {exc}") from None
    return ValidationContext(trust_roots=roots, allow_fetching=True, revocation_mode="hard-fail")


def timestamper(profile: SigningProfile):
    """The profile's TSA client (pyHanko's aiohttp client: real HTTP, with the profile's timeout).

    Kept for a few minutes: pyHanko asks each client's TSA once for a sample token, to learn the TSA's
    certificates; a client made for every letter doubled the requests a TSA counts (and may bill).
    """
    from pyhanko.sign.timestamps import HTTPTimeStamper

    tsa = profile.tsa
    if tsa is None:
        return None
    key = (profile.name, tsa.url, tsa.timeout, tsa.username, tsa.password_env)
    made, client = _timestampers.get(key, (0.0, None))
    if client is not None and time.monotonic() - made < TIMESTAMPER_LIFETIME:
        return client
    auth = None
    if tsa.username:
        password = os.environ.get(tsa.password_env or "", "")
        auth = (tsa.username, password)
    client = HTTPTimeStamper(tsa.url, timeout=tsa.timeout, auth=auth)
    _timestampers[key] = (time.monotonic(), client)
    return client


def sign_pdf(pdf: bytes, profile: SigningProfile, *, verification_url: str | None = None, signer_name: str,
             signer_title: str, location: str | None = None, reason: str | None = None,
             field_name: str | None = None) -> bytes:
    """Sign ``pdf`` at the profile's PAdES level with a visible stamp whose QR code encodes ``verification_url``.

    The stamp goes into the empty signature field ``field_name`` (default: the profile's) when the letter has
    one (see :func:`add_signature_fields`), else into a new field at the profile's bookmark.
    """
    refuse_event_loop()
    if profile.stamp.qr and not verification_url:
        raise SigningError("the stamp's QR code needs the letter's verification URL")
    if isinstance(profile.key, BsreKey):
        from .bsre import sign_remote

        return sign_remote(pdf, profile, verification_url=verification_url, location=location, reason=reason,
                           field_name=field_name or profile.field_name)
    signer = load_signer(profile)
    name = field_name or profile.field_name
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
    params = {"signer_name": _wrap(signer_name), "signer_title": _wrap(signer_title),
              "waktu": stamp_time(profile)}
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


def require_level(pdf: bytes, field_name: str, level: str):
    """Refuse a signed letter whose signature in ``field_name`` falls short of ``level``; else its signature."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    embedded = next((sig for sig in reader.embedded_regular_signatures if sig.field_name == field_name), None)
    if embedded is None:
        raise SigningError(f"the signed letter has no signature in field {field_name}")
    findings = find_level(reader, embedded)
    if not at_least(findings.level, level):
        raise SigningError(f"the signature reached only PAdES {findings.level or 'nothing'}, not {level}: "
                           + "; ".join(findings.missing))
    return embedded


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
                location: str | None = None) -> bytes:
    """Several signatures on one letter, in order (e.g. the verifier's paraf, then the official's signature).

    Every field is created first, in one update, so that a certifying first signature still lets the later
    ones sign; each signature is then made at its own profile's level.
    """
    names = [s.profile.field_name for s in signatories]
    if len(set(names)) != len(names):
        raise SigningError(f"two signatories use the same signature field: {', '.join(names)}")
    for later in signatories[1:]:
        if later.profile.certify:
            raise SigningError(f"signing profile {later.profile.name} certifies (DocMDP) but does not sign first: "
                               f"only the first signature may certify")
    out = add_signature_fields(pdf, [(s.profile.field_name, s.profile) for s in signatories])
    for signatory in signatories:
        out = sign_pdf(out, signatory.profile, verification_url=verification_url, signer_name=signatory.signer_name,
                       signer_title=signatory.signer_title, location=location, reason=signatory.reason)
    return out


def explain(exc: BaseException, profile: SigningProfile) -> str:
    """A clear reason for a pyHanko failure, from the innermost cause that says what went wrong."""
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError
    from pyhanko_certvalidator import errors as cv

    chain = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    tsa = profile.tsa.url if profile.tsa else "?"
    for error in chain:
        text = str(error).strip()
        if isinstance(error, cv.RevokedError):
            return f"the signer's certificate is revoked: {text}"
        if isinstance(error, cv.ExpiredError):
            return f"the signer's certificate has expired: {text}"
        if isinstance(error, cv.NotYetValidError):
            return f"the signer's certificate is not valid yet: {text}"
        if isinstance(error, cv.InsufficientRevinfoError):
            return (f"the revocation status could not be established (OCSP responder or CRL repository "
                    f"unreachable?): {text}")
        if isinstance(error, cv.PathBuildingError):
            return f"the signer's certificate does not chain to the trust roots of profile {profile.name}: {text}"
        if isinstance(error, cv.PathValidationError):
            return f"the signer's certificate is not valid: {text}"
        if isinstance(error, TimestampRequestError):
            cause = error.__cause__
            detail = f"{type(cause).__name__}: {cause}" if cause is not None else text
            return f"the time-stamping authority {tsa} did not give a timestamp: {detail}"
    return f"pyHanko could not sign the letter: {type(exc).__name__}: {exc}"


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


def _wrap(text: str) -> str:
    return "\n".join(textwrap.wrap(" ".join(text.split()), WRAP)) or "-"
