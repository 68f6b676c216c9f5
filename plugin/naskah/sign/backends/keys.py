"""Key sources that sign in this process: a PKCS#12 file or a PKCS#11 token.

A seal's key (its password or PIN named by ``password_env``/``pin_env``) and the demo key are opened once per
process and kept: opening a token or decrypting a PKCS#12 costs far more than a signature. An official's
personal key (no variable named) is opened with the credential given at signing for that one signature and
dropped (a token session closed) when it is made: nothing of it is kept.

Secrets are never put into a message: errors name the variable, or say that the credential was refused.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pyhanko.sign import signers

from ...errors import SigningError
from ...i18n import _
from ...secrets import read_secret
from ..credentials import Credential
from ..errors import CredentialMissing, CredentialRefused
from ..profile import Pkcs11Key, Pkcs12Key, SigningProfile

_signers: dict[tuple, signers.Signer] = {}
_locks: dict[tuple, threading.Lock] = {}
_signers_lock = threading.Lock()
#: python-pkcs11's names for a PIN the token refused (as opposed to one it locked).
_WRONG_PIN = frozenset({"PinIncorrect", "PinInvalid", "PinLenRange"})


def load_signer(profile: SigningProfile) -> signers.Signer:
    """A seal's key (or the demo key) as a pyHanko signer, loaded once (per PKCS#12 file version, per token
    key). A personal key is opened with :func:`opened_signer` instead."""
    key = profile.key
    if profile.personal and isinstance(key, Pkcs12Key | Pkcs11Key):
        raise SigningError(f"signing profile {profile.name}: the key is the signer's own and is opened only with "
                           f"the credential given at signing")
    if isinstance(key, Pkcs12Key):
        return _load_pkcs12(key)
    if isinstance(key, Pkcs11Key):
        return _load_pkcs11(key)
    raise SigningError(f"signing profile {profile.name}: the key source {key.source} signs remotely, "
                       f"not with a local key")


@contextmanager
def opened_signer(profile: SigningProfile, credential: Credential | None = None) -> Iterator[signers.Signer]:
    """The profile's key for one signature: a seal's kept signer, or a personal key opened with ``credential``
    (the PKCS#12 password in ``passphrase``, the token PIN in ``pin``) and dropped when the block ends."""
    key = profile.key
    if not profile.personal or not isinstance(key, Pkcs12Key | Pkcs11Key):
        yield load_signer(profile)
        return
    if isinstance(key, Pkcs12Key):
        yield _read_pkcs12(Path(key.path), credential.passphrase if credential else None, personal=True)
        return
    pin = credential.pin if credential else None
    token = _token_name(key)
    if not pin:
        raise CredentialMissing(_("the PKCS#11 key {key} on {token} is the signer's own: give its PIN at signing")
                                .format(key=repr(key.key_label), token=token))
    with _signers_lock:
        if any(cached[:4] == _pkcs11_cache_key(key)[:4] for cached in _signers if cached[0] == "pkcs11"):
            raise SigningError(f"PKCS#11 {token} also holds a seal whose session this process keeps logged in: "
                               f"an official's own key must be on a token of its own")
        lock = _locks.setdefault(("personal",) + _pkcs11_cache_key(key)[:4], threading.Lock())
    with lock:  # one logged-in session on the token at a time: a second login would fail, a logout end both
        session, signer = _open_pkcs11(key, pin, personal=True)
        try:
            yield signer
        finally:
            session.close()


def signer_lock(profile: SigningProfile) -> threading.Lock | None:
    """A lock to hold while a seal's token key signs: one PKCS#11 session must not run two operations at once.
    (A personal key's session is its own, serialised by :func:`opened_signer`.)"""
    key = profile.key
    if isinstance(key, Pkcs11Key) and key.pin_env is not None:
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
    """A seal's (or the demo key's) PKCS#12, kept per file version."""
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
        signer = _read_pkcs12(path, _secret(key.password_env, "signing key's password"),
                              where=f"the password in {key.password_env}" if key.password_env else "no password")
        for old in [k for k in _signers if k[0] == "pkcs12" and k[1] == path]:
            del _signers[old]
        _signers[cache_key] = signer
        return signer


def _read_pkcs12(path: Path, password: str | None, *, where: str = "", personal: bool = False
                 ) -> signers.SimpleSigner:
    """Open a PKCS#12 file; ``where`` says where a seal's password came from. For a personal key a wrong
    password is :class:`CredentialRefused`, none for an encrypted file :class:`CredentialMissing`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningError(f"cannot read the signing key {path}: {exc.strerror}") from None
    for passphrase in [password.encode("utf-8")] if password else [None, b""]:  # no password, or an empty one
        try:
            return _ParsedKeySigner.wrapping(signers.SimpleSigner.load_pkcs12_data(data, other_certs=(),
                                                                                   passphrase=passphrase))
        except Exception:  # cryptography says "invalid password or PKCS12 data"; keep its details out
            continue
    if not personal:
        raise SigningError(f"cannot open the PKCS#12 signing key {path} with {where}: "
                           f"wrong password or not a PKCS#12 file") from None
    if not _is_pkcs12(data):
        raise SigningError(f"the signing key {path} is not a PKCS#12 file") from None
    if not password:
        raise CredentialMissing(_("the PKCS#12 key {path} is the signer's own: give its password at signing")
                                .format(path=path))
    raise CredentialRefused(_("the password given for the PKCS#12 key {path} is wrong").format(path=path),
                            explanation=_("wrong password")) from None


def _is_pkcs12(data: bytes) -> bool:
    """Whether ``data`` is a PKCS#12 structure (readable without its password), so that a failure to open
    it is the password's."""
    from asn1crypto import pkcs12

    try:
        return pkcs12.Pfx.load(data)["auth_safe"]["content_type"].native in ("data", "signed_data")
    except Exception:
        return False


def _token_name(key: Pkcs11Key) -> str:
    return f"token {key.token_label!r}" if key.token_label is not None else f"slot {key.slot}"


def _pkcs11_cache_key(key: Pkcs11Key) -> tuple:
    return ("pkcs11", str(key.module), key.token_label, key.slot, key.key_label, key.cert_label)


def _load_pkcs11(key: Pkcs11Key) -> signers.Signer:
    """A seal's key: a logged-in session on the token, opened once and kept."""
    cache_key = _pkcs11_cache_key(key)
    with _signers_lock:
        cached = _signers.get(cache_key)
        if cached is not None:
            return cached
        _session, signer = _open_pkcs11(key, _secret(key.pin_env, "token's PIN"))
        _signers[cache_key] = signer
        return signer


def _open_pkcs11(key: Pkcs11Key, pin: str | None, *, personal: bool = False) -> tuple[object, signers.Signer]:
    """Log in to the token and find the key; the certificate comes from the token too. For a personal key a
    refused PIN is :class:`CredentialRefused` (the token's code ``CKR_PIN_INCORRECT``)."""
    from pyhanko.sign import pkcs11 as hanko_pkcs11

    token = _token_name(key)
    try:
        criteria = hanko_pkcs11.TokenCriteria(label=key.token_label) if key.token_label is not None else None
        session = hanko_pkcs11.open_pkcs11_session(str(key.module), slot_no=key.slot, token_criteria=criteria,
                                                   user_pin=pin)
    except Exception as exc:
        if personal and type(exc).__name__ in _WRONG_PIN:
            raise CredentialRefused(_("PKCS#11 {token} of {module} refused the PIN given: {reason}").format(
                token=token, module=key.module, reason=_pkcs11_reason(exc, pin)), code="CKR_PIN_INCORRECT",
                explanation=_("wrong PIN")) from None
        given = "the PIN given" if personal else f"the PIN in {key.pin_env}"
        raise SigningError(f"cannot log in to PKCS#11 {token} of {key.module} with {given}: "
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
    return session, signer


def _pkcs11_reason(exc: Exception, pin: str | None) -> str:
    """python-pkcs11 errors carry the PKCS#11 return code's name (PinIncorrect); the PIN is masked anyway."""
    text = str(exc).strip()
    if pin:
        text = text.replace(pin, "***")
    return f"{type(exc).__name__}{': ' + text if text else ''}"
