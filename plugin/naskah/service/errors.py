"""One JSON shape for every error the API returns, with the payload field each problem concerns:

    {"error": {"status": 422, "code": "payload_refused", "message": "payload refused, 1 problem",
               "problems": [{"field": "data.pegawai.nip", "message": "a NIP has 18 digits ...",
                             "citation": "aturan naskah (struktur NIP)"}]}}

``field`` is the host's own field path (as in the CLI's messages); it is empty for a problem with the request as
a whole. ``citation`` is the regulation and article a refused rule enforces (the message names it too), null for
a problem with the payload's shape or the request. Some errors say more beside ``problems``: a refused signing credential its service's ``bsre_code`` and
``explanation``, a locked signer ``locked_until``, a refused step of the signature flow the draft's ``state``.
A 5xx answer names a reference that is also in the log, never a secret or a traceback; an error met while a
signing credential was in hand is scrubbed of it before it is logged or answered.
"""
from __future__ import annotations

import datetime as dt
import logging
import traceback
import uuid

from ..errors import (ConfigError, ConversionError, FlowError, NaskahError, PayloadError, Problem, SignedInPerson,
                      SigningError, StoreConflictError)
from ..http import scrub
from ..i18n import _, ngettext
from ..lifecycle import DraftNotFound, IllegalTransition, LifecycleError
from ..numbering import NumberingError, NumberTaken

log = logging.getLogger("naskah.service")


class ApiError(Exception):
    """An error answer the API gives on purpose."""

    def __init__(self, status: int, code: str, message: str, problems: list[Problem] | None = None,
                 headers: dict[str, str] | None = None, extra: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.problems = list(problems or [])
        self.headers = headers or {}
        self.extra = extra or {}  # more members of "error" (bsre_code, locked_until, state)

    def body(self) -> dict:
        body = error_body(self.status, self.code, self.message, self.problems)
        body["error"].update(self.extra)
        return body


def error_body(status: int, code: str, message: str, problems: list[Problem] | None = None) -> dict:
    return {"error": {"status": status, "code": code, "message": message,
                      "problems": [{"field": p.field, "message": p.message, "citation": p.citation}
                                   for p in problems or []]}}


def api_error_for(exc: BaseException, secrets: list[str] | tuple[str, ...] = ()) -> ApiError:
    """The answer for an exception from the pipeline (or anywhere): refusals are 4xx, failures 5xx.

    ``secrets``: the signing credential's values in hand when it was raised; neither the answer nor the log
    line holds them."""
    if isinstance(exc, ApiError):
        return exc
    if secrets:
        return _scrubbed(_answer(exc, secrets), secrets)
    return _answer(exc, ())


def _answer(exc: BaseException, secrets) -> ApiError:
    flow = _flow_error(exc)
    if flow is not None:
        return flow
    if isinstance(exc, PayloadError):
        count = len(exc.problems)
        message = ngettext("payload refused, {count} problem", "payload refused, {count} problems", count)
        return ApiError(422, "payload_refused", message.format(count=count), exc.problems)
    if isinstance(exc, StoreConflictError):
        return ApiError(409, "conflict", str(exc))
    if isinstance(exc, ConversionError):
        return ApiError(503, "conversion_failed", _("the letter could not be converted to PDF: {error}").format(
                            error=exc),
                        headers={"Retry-After": "30"})
    signing = _signing_refusal(exc)
    if signing is not None:
        return signing
    if isinstance(exc, SigningError):
        return ApiError(503, "signing_failed", _("the letter could not be signed: {error}").format(error=exc),
                        headers={"Retry-After": "60"})
    if isinstance(exc, ConfigError):
        reference = _reference()
        log.error("configuration error (reference %s): %s", reference, _without(str(exc), secrets))
        return ApiError(500, "configuration_error",
                        _("naskah's configuration is wrong; the operator can find reference {reference} in the log")
                        .format(reference=reference))
    reference = _reference()
    if isinstance(exc, NaskahError):
        log.error("request failed (reference %s): %s", reference, _without(str(exc), secrets))
    elif secrets:  # the traceback, as text scrubbed of the credential
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        log.error("internal error (reference %s): %s", reference, _without(text, secrets))
    else:
        log.error("internal error (reference %s): %s", reference, type(exc).__name__,
                  exc_info=(type(exc), exc, exc.__traceback__))
    return ApiError(500, "internal_error", _("internal error; the operator can find reference {reference} in the log")
                    .format(reference=reference))


def _flow_error(exc: BaseException) -> ApiError | None:
    """A refused step of the signature flow: 404 for a draft that is not there, else 409 with a code."""
    if isinstance(exc, DraftNotFound):
        return ApiError(404, "not_found", _("no draft with this id"))
    if isinstance(exc, IllegalTransition):
        return ApiError(409, "illegal_transition", str(exc), extra={"state": exc.state, "action": exc.action})
    if isinstance(exc, LifecycleError):
        return ApiError(409, "lifecycle_refused", str(exc))
    if isinstance(exc, NumberTaken):
        return ApiError(409, "number_taken", str(exc), [Problem("nomor", _("used already by another letter"))])
    if isinstance(exc, NumberingError):
        return ApiError(422, "numbering_refused", str(exc))
    if isinstance(exc, SignedInPerson):
        return ApiError(409, "signed_in_person", str(exc))
    if isinstance(exc, FlowError):
        return ApiError(409, exc.code, str(exc))
    return None


def _signing_refusal(exc: BaseException) -> ApiError | None:
    """The signer's credential missing (422), refused (403, with the signing service's code) or the signer
    locked out after refusals (429, until when)."""
    from ..sign.errors import CredentialMissing, CredentialRefused, SignerLocked  # pyHanko loads slowly

    if isinstance(exc, CredentialMissing):
        return ApiError(422, "credential_required", str(exc),
                        [Problem("credential", _("required: the signer's passphrase, one-time code or PIN"))])
    if isinstance(exc, CredentialRefused):
        extra = {"bsre_code": None if exc.code is None else str(exc.code), "explanation": exc.explanation or None}
        headers = {}
        if exc.locked_until is not None:
            extra["locked_until"] = exc.locked_until.isoformat()
            headers["Retry-After"] = _seconds_until(exc.locked_until)
        return ApiError(403, "credential_refused", str(exc), [Problem("credential", _("refused"))], headers, extra)
    if isinstance(exc, SignerLocked):
        return ApiError(429, "signer_locked", str(exc), headers={"Retry-After": _seconds_until(exc.until)},
                        extra={"locked_until": exc.until.isoformat()})
    return None


def _seconds_until(moment: dt.datetime) -> str:
    return str(max(1, int((moment - dt.datetime.now(dt.timezone.utc)).total_seconds()) + 1))


def _without(text: str, secrets) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _scrubbed(error: ApiError, secrets) -> ApiError:
    """``error`` with no trace of ``secrets`` in its message, problems or extra members."""
    def clean(value):
        return scrub(value, secrets, limit=2000) if isinstance(value, str) else value

    error.message = clean(error.message)
    error.args = (error.message,)
    error.problems = [Problem(clean(p.field), clean(p.message), p.citation) for p in error.problems]
    error.extra = {key: clean(value) for key, value in error.extra.items()}
    return error


def _reference() -> str:
    return uuid.uuid4().hex[:12]


def too_large(limit: int) -> ApiError:
    return ApiError(413, "too_large", _("the request body is larger than the limit of {size}").format(
        size=size_text(limit)))


def size_text(limit: int) -> str:
    """A size limit as people read it: "2 MB", "512 KB"."""
    return f"{limit / 1024 / 1024:g} MB" if limit >= 1024 * 1024 else f"{limit / 1024:g} KB"
