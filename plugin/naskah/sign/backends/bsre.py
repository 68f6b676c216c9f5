"""Remote signing through the BSrE Esign Client Service (v1), which Indonesian governments use: the official's
key stays with BSrE, the agency's own connector takes the PDF and returns it signed.

The contract, as this client speaks it:

* ``GET  {url}/api/user/status/{nik}`` -> JSON ``{"status_code", "message", "status"}``; only ``ISSUE`` may sign.
* ``POST {url}/api/sign/pdf``, multipart: ``file`` (the PDF), ``nik``, ``passphrase``, ``tampilan``
  (``visible``/``invisible``), ``image`` (``false``: no signature image) with ``linkQR`` (the QR code's
  content), ``page`` (1-based), ``xAxis``/``yAxis`` (the box's lower left corner, points from the page's
  lower left) and ``width``/``height`` (points), ``reason``, ``location``; the answer is the signed PDF, or
  JSON ``{"error", "status_code"}`` (2031 wrong passphrase, 2011 signer not registered, ...).
* HTTP basic auth to the connector.

The real service cannot be reached from here: the tests run this client against a test double
(tests/signing_bsre_double.py). Whether xAxis/yAxis/width/height mean a corner plus a size (as here) is to be
checked against the agency's connector before production use.

What comes back is checked before it is accepted: it must be our letter with one signature added (an
incremental update), intact, valid and, when the profile has trust roots, trusted with hard-fail revocation
checking. Levels above what the service delivers are added here (B-LT: DSS with OCSP/CRLs; B-LTA: a document
timestamp); a signature without the timestamp B-T needs is refused.

The passphrase is read from the environment only for the request body; it never reaches a log, an error
message or a file (a service error text that echoed it would be masked).
"""
from __future__ import annotations

import io
import logging

from ...errors import SigningError
from ...http import new_session, scrub
from ...secrets import read_secret
from ...validation.levels import level_rank
from ..appearance import place_stamp
from ..pades import explain, require_level, timestamper, validation_context
from ..profile import BsreKey, SigningProfile

log = logging.getLogger("naskah.sign.bsre")

#: What the service's status codes mean, in the words of this client.
ERROR_CODES = {
    2011: "the signer is not registered with BSrE",
    2031: "wrong passphrase",
}


def mask_nik(nik: str) -> str:
    """A NIK in messages: region code and the last digits, the birth date hidden (it is personal data)."""
    return nik[:6] + "*" * (len(nik) - 10) + nik[-4:] if len(nik) > 10 else "*" * len(nik)


class BsreClient:
    """HTTP client of one connector (requests, a timeout on every call, retries only for the status query)."""

    def __init__(self, url: str, *, username: str | None = None, password: str | None = None, timeout: float = 60):
        self.url = url.rstrip("/")
        self.timeout = timeout
        # the status query is safe to repeat; a signing request is never repeated behind the caller's back.
        # trust_env: the agency's connector may be reached through the proxy the environment names.
        self.session = new_session(timeout=timeout, retries=2, backoff=0.2, retry_statuses=(502, 503, 504),
                                   retry_methods={"GET"}, auth=(username, password or "") if username else None,
                                   trust_env=True)

    def user_status(self, nik: str) -> str:
        """The certificate status of ``nik`` (``ISSUE``, ``EXPIRED``, ``REVOKE``, ...)."""
        response = self._call("GET", f"/api/user/status/{nik}", nik=nik)
        body = self._json(response)
        status = body.get("status") if isinstance(body, dict) else None
        if response.status_code != 200 or not status:
            raise SigningError(f"BSrE has no certificate status for NIK {mask_nik(nik)}: "
                               f"{self._problem(response, body)}")
        return str(status)

    def sign_pdf(self, pdf: bytes, *, nik: str, passphrase: str, page: int, box: tuple[float, float, float, float],
                 link_qr: str | None, reason: str | None = None, location: str | None = None) -> bytes:
        """Send ``pdf`` to be signed with a visible QR stamp in ``box`` (x1, y1, x2, y2) on ``page`` (0-based)."""
        x1, y1, x2, y2 = box
        form = {"nik": nik, "passphrase": passphrase, "tampilan": "visible", "image": "false",
                "page": str(page + 1), "xAxis": _number(x1), "yAxis": _number(y1),
                "width": _number(x2 - x1), "height": _number(y2 - y1)}
        if link_qr:
            form["linkQR"] = link_qr
        if reason:
            form["reason"] = reason
        if location:
            form["location"] = location
        response = self._call("POST", "/api/sign/pdf", nik=nik, secret=passphrase, data=form,
                              files={"file": ("naskah.pdf", pdf, "application/pdf")})
        if response.status_code == 200 and response.content.startswith(b"%PDF-"):
            return response.content
        body = self._json(response)
        raise SigningError(f"the BSrE service did not sign for NIK {mask_nik(nik)}: "
                           f"{self._problem(response, body, secret=passphrase)}")

    def _call(self, method: str, path: str, *, nik: str, secret: str | None = None, **kwargs):
        import requests

        url = self.url + path
        try:
            return self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            # requests' messages hold the URL, never the form body; mask the NIK and any echo of the secret
            text = scrub(str(exc).replace(nik, mask_nik(nik)), [secret])
            raise SigningError(f"the BSrE service at {self.url} cannot be reached: {type(exc).__name__}: "
                               f"{text}") from None

    @staticmethod
    def _json(response):
        try:
            return response.json()
        except ValueError:
            return None

    def _problem(self, response, body, secret: str | None = None) -> str:
        if response.status_code == 401:
            return (f"HTTP 401: the connector refused its basic-auth credentials "
                    f"(user {self.session.auth[0] if self.session.auth else 'none given'})")
        if isinstance(body, dict):
            code = body.get("status_code")
            meaning = ERROR_CODES.get(code) if isinstance(code, int) else None
            said = scrub(body.get("error") or body.get("message") or "", [secret], limit=200)
            parts = [meaning, f"service says {said!r}" if said else None, f"status_code {code}"]
            return ", ".join(part for part in parts if part) + f" (HTTP {response.status_code})"
        kind = response.headers.get("Content-Type", "unknown content")
        return f"HTTP {response.status_code} with {kind}, neither a PDF nor a JSON error"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def sign_remote(pdf: bytes, profile: SigningProfile, *, verification_url: str | None, location: str | None,
                reason: str | None, field_name: str) -> bytes:
    """Have the BSrE service sign ``pdf``, check what it returns and raise it to the profile's level."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    key = profile.key
    assert isinstance(key, BsreKey)
    passphrase = read_secret(key.passphrase_env, "signer's BSrE passphrase", SigningError, allow_empty=True)
    password = read_secret(key.password_env, "connector's password", SigningError,
                           allow_empty=True) if key.password_env else None
    client = BsreClient(key.url, username=key.username, password=password, timeout=key.timeout)
    status = client.user_status(key.nik)
    if status != "ISSUE":
        raise SigningError(f"the BSrE certificate of NIK {mask_nik(key.nik)} has status {status}: "
                           f"only a certificate with status ISSUE may sign")
    try:
        place = place_stamp(pdf, profile.stamp)
        before = {sig.field_name for sig in PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures}
    except Exception as exc:
        raise SigningError(f"the PDF to sign cannot be read: {type(exc).__name__}: {exc}") from None
    signed = client.sign_pdf(pdf, nik=key.nik, passphrase=passphrase, page=place.page, box=place.box,
                             link_qr=verification_url if profile.stamp.qr else None, reason=reason,
                             location=location)
    del passphrase
    new_field = _check_returned(pdf, signed, before, profile)
    out = _extend(signed, new_field, profile)
    require_level(out, new_field, profile.level)
    return out


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
