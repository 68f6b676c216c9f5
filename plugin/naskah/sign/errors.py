"""Why a signature with the signer's own credential did not happen, told apart so that the HTTP layer can
answer 4xx (the signer can act on it) rather than 5xx: the credential was not given, it was refused, or the
signer is locked out after refused ones. No message ever holds the credential; each is in the language of the
moment (:mod:`naskah.i18n`), for the signer reads it."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from ..errors import SigningError
from ..i18n import N_, _

WIB = ZoneInfo("Asia/Jakarta")

#: What a locked signer is told (``signer``: a label that hides personal data; ``until``: see :func:`wib`).
LOCKED = N_("{signer} is locked after {attempts} refused credentials in a row: naskah forwards no signing attempt "
            "for this signer until {until}")


def wib(moment: dt.datetime) -> str:
    """A moment as people in Indonesia's west read it: ``2026-03-05 14:30 WIB``."""
    return moment.astimezone(WIB).strftime("%Y-%m-%d %H:%M WIB")


class CredentialMissing(SigningError):
    """The key is the signer's own and the signing request brought no credential (or not the part it needs)."""


class CredentialRefused(SigningError):
    """The signer's credential was wrong: a BSrE passphrase or one-time code, a PIN, a PKCS#12 password.

    ``code`` is the service's code (BSrE ``2031``, ``2041``) or the token's (``CKR_PIN_INCORRECT``),
    ``explanation`` says it plainly, ``locked_until`` is set when this refusal locked the signer out."""

    def __init__(self, message: str, *, code: int | str | None = None, explanation: str = "",
                 locked_until: dt.datetime | None = None):
        super().__init__(message)
        self.code = code
        self.explanation = explanation
        self.locked_until = locked_until

    def locking(self, signer: str, attempts: int, until: dt.datetime) -> "CredentialRefused":
        """The same refusal, saying that it locked the signer out until ``until``."""
        text = _(LOCKED).format(signer=signer, attempts=attempts, until=wib(until))
        return CredentialRefused(f"{self}; {text}", code=self.code, explanation=self.explanation, locked_until=until)


class SignerLocked(SigningError):
    """Too many refused credentials for one signer: nothing is forwarded until ``until`` (an aware datetime)."""

    def __init__(self, signer: str, attempts: int, until: dt.datetime):
        super().__init__(_(LOCKED).format(signer=signer, attempts=attempts, until=wib(until)))
        self.signer = signer
        self.attempts = attempts
        self.until = until
