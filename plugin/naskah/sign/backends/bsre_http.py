"""What the BSrE v1 and v2 adapters share: one HTTP connection to the agency's connector (basic auth, a timeout
on every call, retries only for safe queries), the service's error codes in plain words, and a refusal of the
signer's credential raised as :class:`~naskah.sign.errors.CredentialRefused`.

Every message is scrubbed of the secrets sent (the credential, the connector's password) and shows a NIK
masked.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from ...errors import SigningError
from ...http import new_session, scrub
from ...i18n import N_, _
from ..errors import CredentialRefused

#: What the service's status codes mean, in the words of this client (said with ``_()``, for a signer reads them).
ERROR_CODES = {
    2011: N_("the signer is not registered with BSrE"),
    2021: N_("the signer's certificate is not active"),
    2031: N_("wrong passphrase"),
    2041: N_("wrong or expired one-time code (TOTP)"),
}
_NIK = re.compile(r"(?<![0-9])[0-9]{16}(?![0-9])")
#: The codes that refuse the signer's credential (they count towards the lockout).
CREDENTIAL_CODES = frozenset({2031, 2041})


def mask_nik(nik: str) -> str:
    """A NIK in messages: region code and the last digits, the birth date hidden (it is personal data)."""
    return nik[:6] + "*" * (len(nik) - 10) + nik[-4:] if len(nik) > 10 else "*" * len(nik)


class BsreConnection:
    """HTTP client of one connector (requests, a timeout on every call, retries only for safe queries).

    ``secrets``: values no message may show (the connector's password, the credential being sent)."""

    def __init__(self, url: str, *, username: str | None = None, password: str | None = None, timeout: float = 60,
                 secrets: Iterable[str | None] = ()):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.secrets = [password, *secrets]
        # a status query is safe to repeat; a signing request is never repeated behind the caller's back.
        # trust_env: the agency's connector may be reached through the proxy the environment names.
        self.session = new_session(timeout=timeout, retries=2, backoff=0.2, retry_statuses=(502, 503, 504),
                                   retry_methods={"GET"}, auth=(username, password or "") if username else None,
                                   trust_env=True)

    def call(self, method: str, path: str, **kwargs):
        """One request; an unreachable service is a :class:`SigningError`."""
        import requests

        try:
            return self.session.request(method, self.url + path, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            # requests' messages hold the URL, never the body; mask the signer and any echo of a secret
            raise SigningError(f"the BSrE service at {self.url} cannot be reached: {type(exc).__name__}: "
                               f"{self.scrub(str(exc), limit=300)}") from None

    def scrub(self, text: str, limit: int = 200) -> str:
        """``text`` fit for a message: no secret, and every NIK masked."""
        return _NIK.sub(lambda found: mask_nik(found.group()), scrub(text, self.secrets, limit=limit))

    @staticmethod
    def json(response):
        try:
            return response.json()
        except ValueError:
            return None

    def refuse(self, response, body, what: str) -> SigningError:
        """The error for a failed signing request: :class:`CredentialRefused` for a wrong passphrase or
        one-time code, else :class:`SigningError`; ``what`` says who did not get signed for."""
        code = body.get("status_code") if isinstance(body, dict) else None
        problem = self.problem(response, body)
        if isinstance(code, int) and code in CREDENTIAL_CODES and response.status_code != 401:
            return CredentialRefused(_("the BSrE service refused the credential for {who}: {problem}").format(
                who=what, problem=problem), code=code, explanation=_(ERROR_CODES[code]))
        return SigningError(f"the BSrE service did not sign for {what}: {problem}")

    def problem(self, response, body) -> str:
        """What went wrong, in plain words, with the service's own code and text (scrubbed)."""
        if response.status_code == 401:
            return (f"HTTP 401: the connector refused its basic-auth credentials "
                    f"(user {self.session.auth[0] if self.session.auth else 'none given'})")
        if isinstance(body, dict):
            code = body.get("status_code")
            meaning = _(ERROR_CODES[code]) if isinstance(code, int) and code in ERROR_CODES else None
            said = self.scrub(str(body.get("error") or body.get("message") or ""))
            parts = [meaning, f"service says {said!r}" if said else None, f"status_code {code}"]
            return ", ".join(part for part in parts if part) + f" (HTTP {response.status_code})"
        kind = response.headers.get("Content-Type", "unknown content")
        return f"HTTP {response.status_code} with {kind}, not what the service answers"


def number(value: float) -> str:
    """A coordinate as the service reads it: a whole number of points, or two decimals."""
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"
