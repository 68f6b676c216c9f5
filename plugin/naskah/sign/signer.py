"""PAdES signing with pyHanko: a visible QR stamp at the ``ttd`` bookmark, added as an incremental update.

The incremental update leaves LibreOffice's PDF/A-2b bytes (and its XMP ``pdfaid``) untouched; the stamp font
is embedded (Noto Sans: pyHanko's default Courier is not embedded, which PDF/A forbids).

:func:`sign_pdf` is synchronous (pyHanko runs its own event loop inside): call it from plain threads, and from
async code through ``await asyncio.to_thread(sign_pdf, ...)``, never directly inside a running event loop.
"""
from __future__ import annotations

import asyncio
import io
import logging
import os
import textwrap
import threading
from pathlib import Path

from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import VENDOR
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.stamp import QRStampStyle

from ..errors import SigningError
from .profile import SigningProfile
from .stamp import locate_stamp

log = logging.getLogger("naskah.sign")
# fontTools logs each step of subsetting the stamp font at INFO; keep an INFO-level service log readable
if logging.getLogger("fontTools").level == logging.NOTSET:
    logging.getLogger("fontTools").setLevel(logging.WARNING)

STAMP_TEXT = "Ditandatangani secara elektronik oleh:\n%(signer_title)s\n%(signer_name)s\n%(ts)s"
TIMESTAMP_FORMAT = "%d-%m-%Y %H:%M:%S %Z"
WRAP = 38  # characters per stamp line before a long title is wrapped (pyHanko does not wrap)

_signers: dict[tuple[Path, int], signers.SimpleSigner] = {}
_signers_lock = threading.Lock()
_warned_demo = threading.Event()


def load_signer(profile: SigningProfile) -> signers.SimpleSigner:
    """The profile's key, loaded once per file version (path, mtime) in this process.

    The password is read from the environment variable the profile names; it never reaches a message.
    """
    path = Path(profile.key.path)  # absolute after load_profile
    try:
        stat = path.stat()
    except OSError as exc:
        raise SigningError(f"cannot read the signing key {path}: {exc.strerror}") from None
    cache_key = (path, stat.st_mtime_ns)
    with _signers_lock:
        cached = _signers.get(cache_key)
        if cached is not None:
            return cached
        passphrase = None
        if profile.key.password_env:
            value = os.environ.get(profile.key.password_env)
            if value is None:
                raise SigningError(f"the signing key's password variable {profile.key.password_env} is not set")
            passphrase = value.encode("utf-8")
        try:
            signer = signers.SimpleSigner.load_pkcs12_data(path.read_bytes(), other_certs=(), passphrase=passphrase)
        except OSError as exc:
            raise SigningError(f"cannot read the signing key {path}: {exc.strerror}") from None
        except Exception:  # cryptography says "invalid password or PKCS12 data"; keep its details out
            where = f"the password in {profile.key.password_env}" if profile.key.password_env else "no password"
            raise SigningError(f"cannot open the PKCS#12 signing key {path} with {where}: "
                               f"wrong password or not a PKCS#12 file") from None
        for old in [key for key in _signers if key[0] == path]:
            del _signers[old]
        _signers[cache_key] = signer
        return signer


def stamp_style(profile: SigningProfile) -> QRStampStyle:
    """The QR stamp with the profile's embedded font; the text leaves room for wrapped titles."""
    size = profile.stamp.font_size
    font = GlyphAccumulatorFactory(str(profile.stamp.font), font_size=size)
    return QRStampStyle(
        stamp_text=STAMP_TEXT,
        text_box_style=TextBoxStyle(font=font, font_size=size, leading=round(size * 1.25)),
        timestamp_format=TIMESTAMP_FORMAT,
        border_width=2,  # pyHanko strokes on the box edge, so half of it is clipped: 1 pt shows
        innsep=3,
    )


def sign_pdf(pdf: bytes, profile: SigningProfile, *, verification_url: str, signer_name: str, signer_title: str,
             location: str | None = None, reason: str | None = None) -> bytes:
    """Sign ``pdf`` (PAdES baseline B-B) with a visible stamp whose QR code encodes ``verification_url``."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise SigningError("sign_pdf is synchronous and cannot run inside an event loop; "
                           "call it with `await asyncio.to_thread(sign_pdf, ...)`")
    if profile.level != "B-B":
        raise SigningError(f"PAdES level {profile.level} is not yet supported")
    signer = load_signer(profile)
    try:
        place = locate_stamp(pdf, profile.stamp.width, profile.stamp.height)
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    except Exception as exc:
        raise SigningError(f"the PDF to sign cannot be read: {type(exc).__name__}: {exc}") from None
    meta = signers.PdfSignatureMetadata(
        field_name=profile.field_name, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
        location=location, reason=reason,
    )
    field = fields.SigFieldSpec(sig_field_name=profile.field_name, on_page=place.page, box=place.box)
    pdf_signer = signers.PdfSigner(meta, signer, stamp_style=stamp_style(profile), new_field_spec=field)
    params = {"url": verification_url, "signer_name": _wrap(signer_name), "signer_title": _wrap(signer_title)}
    try:
        _match_producer(writer)
        out = pdf_signer.sign_pdf(writer, appearance_text_params=params)
    except Exception as exc:
        raise SigningError(f"pyHanko could not sign the letter: {type(exc).__name__}: {exc}") from None
    if writer.output_version >= (2, 0):
        # pyHanko declares PDF 2.0 (ISO/TS 32002) for ECDSA/EdDSA keys and SHA-3; PDF/A-2 is PDF 1.7 based
        raise SigningError("the signature made the letter a PDF 2.0 file, which is not PDF/A-2b: "
                           "use an RSA signing key with SHA-256")
    if profile.uses_demo_key and not _warned_demo.is_set():
        _warned_demo.set()
        log.warning("letters are signed with the DEMO key: their signatures are NOT VALID")
    return out.getvalue()


def _match_producer(writer: IncrementalPdfFileWriter) -> None:
    """Make /Info /Producer exactly pyHanko's name, as pyHanko writes it to the XMP ``pdf:Producer``.

    Otherwise pyHanko appends its name to the Info entry only ("LibreOffice 7.4; pyHanko 0.38.0") and the
    two disagree, which PDF/A forbids.
    """
    info_ref = writer.trailer.raw_get("/Info") if "/Info" in writer.trailer else None
    if isinstance(info_ref, generic.IndirectObject):
        info = info_ref.get_object()
        info["/Producer"] = generic.TextStringObject(VENDOR)
        writer.mark_update(info_ref)


def _wrap(text: str) -> str:
    return "\n".join(textwrap.wrap(" ".join(text.split()), WRAP)) or "-"
