"""Who may call the API: a host sends its API token, or signs each request with its HMAC secret.

Token:  ``Authorization: Bearer TOKEN``

HMAC:   ``X-Naskah-Host: NAME``, ``X-Naskah-Timestamp: UNIX SECONDS`` and
        ``X-Naskah-Signature: sha256=HEX``, where HEX is the HMAC-SHA256, keyed with the host's secret, of

            TIMESTAMP "\\n" METHOD "\\n" PATH[?QUERY] "\\n" BODY

        (the path as naskah receives it). A timestamp more than ``replay_window`` seconds away from naskah's
        clock is refused, and so is a signature that was already used: a captured request cannot be sent again.
        Callbacks to the host are signed the same way (:func:`sign`).

Secrets are read once, from the environment variable or file the configuration names, and are never logged
or put into an error message. The replay memory is per process (``naskah serve`` runs one).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ..config import HostOptions, ServiceOptions

log = logging.getLogger("naskah.service")

HOST_HEADER = "X-Naskah-Host"
TIMESTAMP_HEADER = "X-Naskah-Timestamp"
SIGNATURE_HEADER = "X-Naskah-Signature"


def signed_message(timestamp: str, method: str, path: str, body: bytes) -> bytes:
    return f"{timestamp}\n{method.upper()}\n{path}\n".encode("utf-8") + body


def sign(secret: bytes, timestamp: str, method: str, path: str, body: bytes) -> str:
    """The value of ``X-Naskah-Signature`` for a request (or a callback): ``sha256=`` and the hex HMAC."""
    digest = hmac.new(secret, signed_message(timestamp, method, path, body), hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class AuthError(Exception):
    """The request is not from a known host; the message says what to fix and holds no secret."""


@dataclass(frozen=True)
class Host:
    """A host with its secrets loaded (kept out of repr, so they never reach a log by accident)."""

    name: str
    token: bytes | None
    hmac_secret: bytes | None
    callback_prefixes: tuple[str, ...]

    def __repr__(self) -> str:
        return f"Host({self.name!r})"


def _secret(variable: str | None, file: Path | None, what: str, host: str) -> bytes | None:
    if variable:
        value = os.environ.get(variable)
        if value is None:
            return None
        value = value.strip()
        if len(value) < 16:
            raise ConfigError(f"service host {host}: the {what} in ${variable} is shorter than 16 characters")
        return value.encode("utf-8")
    if file:
        try:
            value = Path(file).expanduser().read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"service host {host}: cannot read the {what} file {file}: {exc.strerror}") from None
        if len(value) < 16:
            raise ConfigError(f"service host {host}: the {what} in {file} is shorter than 16 characters")
        return value.encode("utf-8")
    return None


def load_hosts(options: ServiceOptions) -> list[Host]:
    """Every configured host whose token or secret is available; hosts with neither are left out (and said so)."""
    hosts = []
    for spec in options.hosts:
        host = _load_host(spec)
        if host.token is None and host.hmac_secret is None:
            sources = [s for s in (spec.token_env and f"${spec.token_env}", spec.token_file,
                                   spec.hmac_secret_env and f"${spec.hmac_secret_env}", spec.hmac_secret_file) if s]
            log.warning("service host %s has no token or HMAC secret (%s not set); it cannot call the API",
                        spec.name, ", ".join(map(str, sources)) or "none configured")
            continue
        hosts.append(host)
    return hosts


def _load_host(spec: HostOptions) -> Host:
    return Host(name=spec.name,
                token=_secret(spec.token_env, spec.token_file, "API token", spec.name),
                hmac_secret=_secret(spec.hmac_secret_env, spec.hmac_secret_file, "HMAC secret", spec.name),
                callback_prefixes=tuple(spec.callback_prefixes))


class Authenticator:
    """Checks a request's credentials against the loaded hosts; remembers used signatures for the window."""

    def __init__(self, hosts: list[Host], replay_window: int):
        self.hosts = {host.name: host for host in hosts}
        self.replay_window = replay_window
        self._seen: dict[str, float] = {}  # signature -> when it may be forgotten
        self._lock = threading.Lock()

    def authenticate(self, method: str, path: str, headers, body: bytes, now: float | None = None) -> Host:
        now = time.time() if now is None else now
        authorization = headers.get("authorization")
        if authorization is not None:
            return self._by_token(authorization)
        if headers.get(SIGNATURE_HEADER) is not None or headers.get(HOST_HEADER) is not None:
            return self._by_signature(method, path, headers, body, now)
        raise AuthError("missing credentials: send Authorization: Bearer TOKEN, or sign the request with "
                        f"{HOST_HEADER}, {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}")

    def _by_token(self, authorization: str) -> Host:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("the Authorization header must be 'Bearer TOKEN'")
        presented = token.strip().encode("utf-8", "surrogateescape")
        found = None
        for host in self.hosts.values():  # compare with every host, in constant time each
            if host.token is not None and hmac.compare_digest(presented, host.token):
                found = host
        if found is None:
            raise AuthError("the API token is not valid")
        return found

    def _by_signature(self, method: str, path: str, headers, body: bytes, now: float) -> Host:
        name, timestamp = headers.get(HOST_HEADER), headers.get(TIMESTAMP_HEADER)
        signature = headers.get(SIGNATURE_HEADER)
        missing = [h for h, v in ((HOST_HEADER, name), (TIMESTAMP_HEADER, timestamp), (SIGNATURE_HEADER, signature))
                   if not v]
        if missing:
            raise AuthError(f"a signed request needs the headers {HOST_HEADER}, {TIMESTAMP_HEADER} and "
                            f"{SIGNATURE_HEADER}; missing: {', '.join(missing)}")
        host = self.hosts.get(name)
        if host is None or host.hmac_secret is None:
            raise AuthError("unknown host, or the host has no HMAC secret configured")
        if not timestamp.isdigit() or len(timestamp) > 12:
            raise AuthError(f"{TIMESTAMP_HEADER} must be the time in whole seconds since 1970 (UTC)")
        skew = now - int(timestamp)
        if abs(skew) > self.replay_window:
            raise AuthError(f"{TIMESTAMP_HEADER} is {abs(skew):.0f} s {'old' if skew > 0 else 'in the future'}; "
                            f"requests are accepted for {self.replay_window} s (check the host's clock)")
        expected = sign(host.hmac_secret, timestamp, method, path, body)
        if not hmac.compare_digest(signature.strip().lower().encode("ascii", "replace"), expected.encode("ascii")):
            raise AuthError("the signature does not match: sign TIMESTAMP\\nMETHOD\\nPATH\\nBODY with the host's "
                            "HMAC secret (HMAC-SHA256, hex, prefixed sha256=)")
        with self._lock:
            self._forget(now)
            if expected in self._seen:
                raise AuthError("replayed request: this signature was already used; sign every request anew")
            self._seen[expected] = now + 2 * self.replay_window
        return host

    def _forget(self, now: float) -> None:
        # entries are added in time order, so the expired ones are at the front
        while self._seen:
            first = next(iter(self._seen))
            if self._seen[first] >= now:
                break
            del self._seen[first]
