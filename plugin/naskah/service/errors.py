"""One JSON shape for every error the API returns, with the payload field each problem concerns:

    {"error": {"status": 422, "code": "payload_refused", "message": "payload refused, 1 problem",
               "problems": [{"field": "data.pegawai.nip", "message": "a NIP has 18 digits"}]}}

``field`` is the host's own field path (as in the CLI's messages); it is empty for a problem with the request as
a whole. A 5xx answer names a reference that is also in the log, never a secret or a traceback.
"""
from __future__ import annotations

import logging
import uuid

from ..errors import ConfigError, ConversionError, NaskahError, PayloadError, Problem, SigningError, StoreConflictError

log = logging.getLogger("naskah.service")


class ApiError(Exception):
    """An error answer the API gives on purpose."""

    def __init__(self, status: int, code: str, message: str, problems: list[Problem] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.problems = list(problems or [])
        self.headers = headers or {}

    def body(self) -> dict:
        return error_body(self.status, self.code, self.message, self.problems)


def error_body(status: int, code: str, message: str, problems: list[Problem] | None = None) -> dict:
    return {"error": {"status": status, "code": code, "message": message,
                      "problems": [{"field": p.field, "message": p.message} for p in problems or []]}}


def api_error_for(exc: BaseException) -> ApiError:
    """The answer for an exception from the pipeline (or anywhere): refusals are 4xx, failures 5xx."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, PayloadError):
        count = len(exc.problems)
        return ApiError(422, "payload_refused", f"payload refused, {count} problem{'s' * (count != 1)}",
                        exc.problems)
    if isinstance(exc, StoreConflictError):
        return ApiError(409, "conflict", str(exc))
    if isinstance(exc, ConversionError):
        return ApiError(503, "conversion_failed", f"the letter could not be converted to PDF: {exc}",
                        headers={"Retry-After": "30"})
    if isinstance(exc, SigningError):
        return ApiError(503, "signing_failed", f"the letter could not be signed: {exc}",
                        headers={"Retry-After": "60"})
    if isinstance(exc, ConfigError):
        reference = _reference()
        log.error("configuration error (reference %s): %s", reference, exc)
        return ApiError(500, "configuration_error",
                        f"naskah's configuration is wrong; the operator can find reference {reference} in the log")
    reference = _reference()
    if isinstance(exc, NaskahError):
        log.error("request failed (reference %s): %s", reference, exc)
    else:
        log.error("internal error (reference %s): %s", reference, type(exc).__name__,
                  exc_info=(type(exc), exc, exc.__traceback__))
    return ApiError(500, "internal_error", f"internal error; the operator can find reference {reference} in the log")


def _reference() -> str:
    return uuid.uuid4().hex[:12]


def too_large(limit: int) -> ApiError:
    return ApiError(413, "too_large", f"the request body is larger than the limit of {size_text(limit)}")


def size_text(limit: int) -> str:
    """A size limit as people read it: "2 MB", "512 KB"."""
    return f"{limit / 1024 / 1024:g} MB" if limit >= 1024 * 1024 else f"{limit / 1024:g} KB"
