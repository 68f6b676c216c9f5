"""Key sources that sign in this process: a PKCS#12 file or a PKCS#11 token. Each key is opened once per
process and kept (opening a token or decrypting a PKCS#12 costs far more than a signature).

Secrets (the PKCS#12 password, the token PIN) are read from the environment variable the profile names,
only here, and never put into a message: errors name the variable instead.
"""
from __future__ import annotations

import threading
from pathlib import Path

from pyhanko.sign import signers

from ...errors import SigningError
from ...secrets import read_secret
from ..profile import Pkcs11Key, Pkcs12Key, SigningProfile

_signers: dict[tuple, signers.Signer] = {}
_locks: dict[tuple, threading.Lock] = {}
_signers_lock = threading.Lock()


def load_signer(profile: SigningProfile) -> signers.Signer:
    """The profile's key as a pyHanko signer, loaded once (per PKCS#12 file version, per token key)."""
    key = profile.key
    if isinstance(key, Pkcs12Key):
        return _load_pkcs12(key)
    if isinstance(key, Pkcs11Key):
        return _load_pkcs11(key)
    raise SigningError(f"signing profile {profile.name}: the key source {key.source} signs remotely, "
                       f"not with a local key")


def signer_lock(profile: SigningProfile) -> threading.Lock | None:
    """A lock to hold while a token key signs: one PKCS#11 session must not run two operations at once."""
    key = profile.key
    if isinstance(key, Pkcs11Key):
        with _signers_lock:
            return _locks.setdefault(_pkcs11_cache_key(key), threading.Lock())
    return None


def _secret(variable: str | None, what: str) -> str | None:
    """The secret in ``variable`` (an empty one too); None when the profile names no variable."""
    return read_secret(variable, what, SigningError, allow_empty=True) if variable else None


class _ParsedKeySigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner parses the private key again for every raw signature (about 45 ms for RSA-2048,
    twice per letter counting the size estimate); this one keeps the parsed key for the process."""

    _parsed_key = None

    @classmethod
    def wrapping(cls, signer: signers.SimpleSigner) -> "_ParsedKeySigner":
        return cls(signing_cert=signer.signing_cert, signing_key=signer.signing_key,
                   cert_registry=signer.cert_registry, signature_mechanism=signer.signature_mechanism)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
        from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
        from pyhanko.sign.general import get_pyca_cryptography_hash

        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        if mechanism["algorithm"].native not in ("rsassa_pkcs1v15", "sha256_rsa", "sha384_rsa", "sha512_rsa"):
            return super().sign_raw(data, digest_algorithm)
        if self._parsed_key is None:
            self._parsed_key = serialization.load_der_private_key(self.signing_key.dump(), password=None)
        if not isinstance(self._parsed_key, RSAPrivateKey):
            return super().sign_raw(data, digest_algorithm)
        return self._parsed_key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))


def _load_pkcs12(key: Pkcs12Key) -> signers.SimpleSigner:
    path = Path(key.path)  # absolute after load_profile
    try:
        stat = path.stat()
    except OSError as exc:
        raise SigningError(f"cannot read the signing key {path}: {exc.strerror}") from None
    cache_key = ("pkcs12", path, stat.st_mtime_ns)
    with _signers_lock:
        cached = _signers.get(cache_key)
        if cached is not None:
            return cached
        password = _secret(key.password_env, "signing key's password")
        passphrase = password.encode("utf-8") if password is not None else None
        try:
            signer = _ParsedKeySigner.wrapping(
                signers.SimpleSigner.load_pkcs12_data(path.read_bytes(), other_certs=(), passphrase=passphrase))
        except OSError as exc:
            raise SigningError(f"cannot read the signing key {path}: {exc.strerror}") from None
        except Exception:  # cryptography says "invalid password or PKCS12 data"; keep its details out
            where = f"the password in {key.password_env}" if key.password_env else "no password"
            raise SigningError(f"cannot open the PKCS#12 signing key {path} with {where}: "
                               f"wrong password or not a PKCS#12 file") from None
        for old in [k for k in _signers if k[0] == "pkcs12" and k[1] == path]:
            del _signers[old]
        _signers[cache_key] = signer
        return signer


def _pkcs11_cache_key(key: Pkcs11Key) -> tuple:
    return ("pkcs11", str(key.module), key.token_label, key.slot, key.key_label, key.cert_label)


def _load_pkcs11(key: Pkcs11Key) -> signers.Signer:
    """Open a logged-in session on the token and keep it; the certificate comes from the token too."""
    from pyhanko.sign import pkcs11 as hanko_pkcs11

    cache_key = _pkcs11_cache_key(key)
    with _signers_lock:
        cached = _signers.get(cache_key)
        if cached is not None:
            return cached
        pin = _secret(key.pin_env, "token's PIN")
        token = f"token {key.token_label!r}" if key.token_label is not None else f"slot {key.slot}"
        try:
            criteria = hanko_pkcs11.TokenCriteria(label=key.token_label) if key.token_label is not None else None
            session = hanko_pkcs11.open_pkcs11_session(str(key.module), slot_no=key.slot, token_criteria=criteria,
                                                       user_pin=pin)
        except Exception as exc:
            raise SigningError(f"cannot log in to PKCS#11 {token} of {key.module} with the PIN in {key.pin_env}: "
                               f"{_pkcs11_reason(exc, pin)}") from None
        try:
            # other_certs_to_pull=None: every certificate on the token, so the CA chain stored next to the
            # key goes into the signature
            signer = hanko_pkcs11.PKCS11Signer(session, key_label=key.key_label,
                                               cert_label=key.cert_label or key.key_label, other_certs_to_pull=None)
            signer.signing_cert  # noqa: B018 - fetches the certificate now, so a wrong label fails here
        except Exception as exc:
            session.close()
            raise SigningError(f"PKCS#11 {token}: no usable key/certificate labelled {key.key_label!r} "
                               f"({_pkcs11_reason(exc, pin)})") from None
        _signers[cache_key] = signer
        return signer


def _pkcs11_reason(exc: Exception, pin: str | None) -> str:
    """python-pkcs11 errors carry the PKCS#11 return code's name (PinIncorrect); the PIN is masked anyway."""
    text = str(exc).strip()
    if pin:
        text = text.replace(pin, "***")
    return f"{type(exc).__name__}{': ' + text if text else ''}"
