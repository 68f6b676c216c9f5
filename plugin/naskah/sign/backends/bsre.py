"""Remote signing through the BSrE Esign Client Service, which Indonesian governments use: the official's key
stays with BSrE, the agency's own connector takes the PDF and returns it signed. The v1 contract is spoken by
:mod:`.bsre_v1`, v2 (one-time codes, seals) by :mod:`.bsre_v2`; what they share by :mod:`.bsre_http`.

The real service cannot be reached from here: the tests run these clients against a test double
(tests/support/signing_bsre_double.py). Whether the box's coordinates mean a corner plus a size (as here) is to
be checked against the agency's connector before production use.

A person signs with the credential given in the signing request (:class:`~naskah.sign.credentials.Credential`:
the passphrase, or with v2 a one-time code): it is checked to be there before any call, sent in that one
request body, and never reaches a log, an error message or a file (a service error text that echoed it is
masked). A wrong one is :class:`~naskah.sign.errors.CredentialRefused` with BSrE's code.

What comes back is checked before it is accepted: it must be our letter with one signature added (an
incremental update), intact, valid and, when the profile has trust roots, trusted with hard-fail revocation
checking. Levels above what the service delivers are added here (B-LT: DSS with OCSP/CRLs; B-LTA: a document
timestamp); a signature without the timestamp B-T needs is refused.
"""
from __future__ import annotations

import io
import logging

from ...errors import SigningError
from ...i18n import _
from ...secrets import read_secret
from ...validation.levels import level_rank
from ..appearance import place_stamp
from ..credentials import Credential
from ..errors import CredentialMissing, CredentialRefused
from ..pades import explain, require_level, timestamper, validation_context
from ..profile import BsreKey, SigningProfile
from .bsre_http import ERROR_CODES, mask_nik  # noqa: F401 - re-exported: the client's public names
from .bsre_v1 import BsreClient
from .bsre_v2 import BsreV2Client

log = logging.getLogger("naskah.sign.bsre")


def sign_remote(pdf: bytes, profile: SigningProfile, *, credential: Credential | None = None,
                verification_url: str | None, location: str | None, reason: str | None, field_name: str) -> bytes:
    """Have the BSrE service sign ``pdf`` with ``credential``, check what it returns and raise it to the
    profile's level."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    key = profile.key
    assert isinstance(key, BsreKey)
    secret, value = _secret(key, credential)
    password = read_secret(key.password_env, "connector's password", SigningError,
                           allow_empty=True) if key.password_env else None
    connection = dict(username=key.username, password=password, timeout=key.timeout,
                      secrets=[value, *(credential.values if credential else [])])
    if key.api == "v1":
        client = BsreClient(key.url, **connection)
        status = client.user_status(key.nik)
        if status != "ISSUE":
            raise SigningError(f"the BSrE certificate of NIK {mask_nik(key.nik)} has status {status}: "
                               f"only a certificate with status ISSUE may sign")
    else:
        client = BsreV2Client(key.url, **connection)
    try:
        place = place_stamp(pdf, profile.stamp)
        before = {sig.field_name for sig in PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures}
    except Exception as exc:
        raise SigningError(f"the PDF to sign cannot be read: {type(exc).__name__}: {exc}") from None
    where = dict(page=place.page, box=place.box, link_qr=verification_url if profile.stamp.qr else None,
                 reason=reason, location=location)
    try:
        if key.kind == "seal":
            signed = client.seal_pdf(pdf, subscriber_id=key.subscriber_id, totp=value, **where)
        elif key.api == "v1":
            signed = client.sign_pdf(pdf, nik=key.nik, passphrase=value, **where)
        else:
            signed = client.sign_pdf(pdf, nik=key.nik, **{secret: value}, **where)
    except CredentialRefused as refused:
        if secret == "seed":  # not the signer's credential: the installation's seed is wrong
            raise SigningError(f"{refused} (the one-time code made from the seed in {key.totp_seed_env})") from None
        raise
    finally:
        del value, connection
    new_field = _check_returned(pdf, signed, before, profile)
    out = _extend(signed, new_field, profile)
    require_level(out, new_field, profile.level)
    return out


def _secret(key: BsreKey, credential: Credential | None) -> tuple[str, str]:
    """What to send, ``("passphrase" | "totp" | "seed", value)``; :class:`CredentialMissing` when not given."""
    passphrase = credential.passphrase if credential else None
    totp = credential.totp if credential else None
    if key.kind == "seal":
        if totp:
            return "totp", totp
        if key.totp_seed_env:
            import pyotp

            seed = read_secret(key.totp_seed_env, "seal's TOTP seed", SigningError)
            try:
                return "seed", pyotp.TOTP(seed.replace(" ", "").upper()).now()
            except Exception:  # binascii.Error for a seed that is not base32; the seed stays out of the message
                raise SigningError(f"the TOTP seed in {key.totp_seed_env} is not a base32 seed") from None
        raise CredentialMissing(_("the BSrE seal {subscriber} needs a one-time code (TOTP): give it at signing, or "
                                  "configure totp_seed_env in the signing profile").format(
                                      subscriber=key.subscriber_id))
    who = _("the BSrE signer NIK {nik}").format(nik=mask_nik(key.nik))
    if passphrase:
        return "passphrase", passphrase
    if key.api == "v1":
        if totp:
            raise CredentialMissing(_("{who} signs with their passphrase, given at signing (BSrE API v1 takes no "
                                      "one-time code: use api: v2 for one)").format(who=who))
        raise CredentialMissing(_("{who} signs with their passphrase, given at signing (BSrE API v1 takes no "
                                  "one-time code)").format(who=who))
    if totp:
        return "totp", totp
    raise CredentialMissing(_("{who} signs with their passphrase or a one-time code (TOTP), given at signing").format(
        who=who))


def _check_returned(pdf: bytes, signed: bytes, before: set[str], profile: SigningProfile) -> str:
    """The returned file must be our letter plus one intact, valid (and trusted) signature; its field name."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature

    if not signed.startswith(pdf):
        raise SigningError("the BSrE service returned a document that is not the letter sent "
                           "(not an incremental update of it): refused")
    try:
        reader = PdfFileReader(io.BytesIO(signed), strict=False)
        added = [sig for sig in reader.embedded_regular_signatures if sig.field_name not in before]
    except Exception as exc:
        raise SigningError(f"the BSrE service returned an unreadable PDF: {type(exc).__name__}: {exc}") from None
    if len(added) != 1:
        raise SigningError(f"the BSrE service returned {len(added)} new signatures instead of one: refused")
    context = validation_context(profile) if profile.trust_roots else None
    try:
        status = validate_pdf_signature(added[0], context, ts_validation_context=context)
    except Exception as exc:
        raise SigningError(f"the signature from the BSrE service cannot be validated: {explain(exc, profile)}") \
            from None
    if not (status.intact and status.valid):
        raise SigningError("the signature from the BSrE service is broken (not intact or not valid): refused")
    if context is not None and not status.trusted:
        indic = status.trust_problem_indic
        raise SigningError(f"the signature from the BSrE service does not chain to the trust roots of profile "
                           f"{profile.name}" + (f" ({indic.name})" if indic is not None else ""))
    return str(added[0].field_name)


def _extend(signed: bytes, field_name: str, profile: SigningProfile) -> bytes:
    """Add what B-LT (DSS) and B-LTA (document timestamp) need to the service's signature."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.signers import PdfTimeStamper
    from pyhanko.sign.validation import add_validation_info

    rank = level_rank(profile.level)
    if rank < 2:
        return signed
    context = validation_context(profile)
    try:
        reader = PdfFileReader(io.BytesIO(signed), strict=False)
        embedded = next(sig for sig in reader.embedded_regular_signatures if sig.field_name == field_name)
        out = add_validation_info(embedded, context, force_write=True).getvalue()
        if rank >= 3:
            writer = IncrementalPdfFileWriter(io.BytesIO(out))
            out = PdfTimeStamper(timestamper(profile)).timestamp_pdf(writer, "sha256",
                                                                    validation_context=context).getvalue()
    except Exception as exc:
        raise SigningError(f"cannot add long-term validation data to the BSrE signature: "
                           f"{explain(exc, profile)}") from None
    return out
