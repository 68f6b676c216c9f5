"""The credential an official gives at the moment of signing (PP 71/2019: signature creation data stays in the
signer's sole control).

It travels from the signing request to the key backend and nowhere else: it has no ``repr`` that shows it, is
never pickled, logged, stored or put into a message, and the caller drops it when the call returns.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Credential:
    """A BSrE passphrase or one-time code (TOTP), a PKCS#11 PIN, or a PKCS#12 file's password (``passphrase``)."""

    passphrase: str | None = field(default=None, repr=False)
    totp: str | None = field(default=None, repr=False)
    pin: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        given = [name for name in ("passphrase", "totp", "pin") if getattr(self, name) is not None]
        return f"Credential({', '.join(given) or 'nothing'} given)"

    __str__ = __repr__

    def __reduce__(self):  # never pickled into a job queue or a cache
        raise TypeError("a signing credential is used in the request that gives it and never serialised")

    @property
    def values(self) -> list[str]:
        """Every secret it holds, so that a message can be scrubbed of them."""
        return [value for value in (self.passphrase, self.totp, self.pin) if value]
