"""What every PAdES signature needs, whichever key makes it (a local key or the BSrE service) and whoever
extends it later (:mod:`naskah.archive`): the TSA client, the validation context (with the validation data the
profile's earlier letters fetched, :mod:`.validation_data`), the level check and plain reasons for pyHanko's
failures."""
from __future__ import annotations

import asyncio
import io
import threading
import time

from ..errors import SigningError
from ..secrets import read_secret
from ..validation.levels import at_least, find_level
from ..validation.trust import read_roots
from .profile import SigningProfile
from .validation_data import KeptValidationData

#: Seconds a TSA client (and the TSA certificates it learnt) is kept.
TIMESTAMPER_LIFETIME = 600.0
_timestampers: dict[tuple, tuple[float, object]] = {}
_kept: dict[str, KeptValidationData] = {}
_kept_lock = threading.Lock()


def refuse_event_loop(what: str = "sign_pdf") -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise SigningError(f"{what} is synchronous and cannot run inside an event loop; "
                       f"call it with `await asyncio.to_thread({what}, ...)`")


def kept_validation_data(profile: SigningProfile) -> KeptValidationData:
    """The validation data the profile's letters fetched in this process, reused while valid."""
    with _kept_lock:
        return _kept.setdefault(profile.name, KeptValidationData())


def validation_context(profile: SigningProfile):
    """For checking the signer's own certificate (and the TSA's): trust only the profile's roots, fetch
    revocation data (or reuse what the profile's earlier letters fetched) and fail hard when it cannot be had.

    A fresh context for every letter, so that the letter is checked at its own time; its fetchers' HTTP session
    is closed by pyHanko at the end of the operation that uses it.
    """
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.fetchers import OwnedFetcherBackend

    roots, problems = read_roots(profile.trust_roots)
    if problems:
        raise SigningError(f"cannot read the trust roots of signing profile {profile.name}: {'; '.join(problems)}")
    return ValidationContext(trust_roots=roots, allow_fetching=True, revocation_mode="hard-fail",
                             fetcher_backend=OwnedFetcherBackend(kept_validation_data(profile).backend()))


def timestamper(profile: SigningProfile):
    """The profile's TSA client (:class:`.tsa_client.TsaClient`: real HTTP, with the profile's timeout).

    Kept for a few minutes: pyHanko asks each client's TSA once for a sample token, to learn the TSA's
    certificates; a client made for every letter doubled the requests a TSA counts (and may bill).
    """
    from .tsa_client import TsaClient

    tsa = profile.tsa
    if tsa is None:
        return None
    key = (profile.name, tsa.url, tsa.timeout, tsa.username, tsa.password_env)
    made, client = _timestampers.get(key, (0.0, None))
    if client is not None and time.monotonic() - made < TIMESTAMPER_LIFETIME:
        return client
    auth = None
    if tsa.username:
        password = read_secret(tsa.password_env, "TSA's password", SigningError, allow_empty=True,
                               where=f"signing profile {profile.name}") if tsa.password_env else ""
        auth = (tsa.username, password)
    client = TsaClient(tsa.url, timeout=tsa.timeout, auth=auth)
    _timestampers[key] = (time.monotonic(), client)
    return client


def require_level(pdf: bytes, field_name: str, level: str):
    """Refuse a signed letter whose signature in ``field_name`` falls short of ``level``; else its signature."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    embedded = next((sig for sig in reader.embedded_regular_signatures if sig.field_name == field_name), None)
    if embedded is None:
        raise SigningError(f"the signed letter has no signature in field {field_name}")
    findings = find_level(reader, embedded)
    if not at_least(findings.level, level):
        raise SigningError(f"the signature reached only PAdES {findings.level or 'nothing'}, not {level}: "
                           + "; ".join(findings.missing))
    return embedded


def explain(exc: BaseException, profile: SigningProfile) -> str:
    """A clear reason for a pyHanko failure, from the innermost cause that says what went wrong."""
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError
    from pyhanko_certvalidator import errors as cv

    chain = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    tsa = profile.tsa.url if profile.tsa else "?"
    for error in chain:
        text = str(error).strip()
        if isinstance(error, cv.RevokedError):
            return f"the signer's certificate is revoked: {text}"
        if isinstance(error, cv.ExpiredError):
            return f"the signer's certificate has expired: {text}"
        if isinstance(error, cv.NotYetValidError):
            return f"the signer's certificate is not valid yet: {text}"
        if isinstance(error, cv.InsufficientRevinfoError):
            return (f"the revocation status could not be established (OCSP responder or CRL repository "
                    f"unreachable?): {text}")
        if isinstance(error, cv.PathBuildingError):
            return f"the signer's certificate does not chain to the trust roots of profile {profile.name}: {text}"
        if isinstance(error, cv.PathValidationError):
            return f"the signer's certificate is not valid: {text}"
        if isinstance(error, TimestampRequestError):
            cause = error.__cause__
            detail = f"{type(cause).__name__}: {cause}" if cause is not None else text
            return f"the time-stamping authority {tsa} did not give a timestamp: {detail}"
    return f"pyHanko could not sign the letter: {type(exc).__name__}: {exc}"
