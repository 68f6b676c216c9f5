"""Who may call the API: a host sends its API token, or signs each request with its HMAC secret.

Token:  ``Authorization: Bearer TOKEN``

HMAC:   ``X-Naskah-Host: NAME``, ``X-Naskah-Timestamp: UNIX SECONDS`` and
        ``X-Naskah-Signature: sha256=HEX``, where HEX is the HMAC-SHA256, keyed with the host's secret, of

            TIMESTAMP "\\n" METHOD "\\n" PATH[?QUERY] "\\n" BODY

        (the path as naskah receives it). A timestamp more than ``replay_window`` seconds away from naskah's
        clock is refused, and so is a signature that was already used: a captured request cannot be sent again.
        Callbacks to the host are signed the same way (:func:`sign`).

Everything that can be checked without the body is checked first (:meth:`Authenticator.begin`): a request
without credentials, with a wrong token, an unknown host or a stale timestamp is refused before a byte of its
body is read. A signed request's body is then fed to :class:`PendingSignature` as it arrives. An unknown host
and a known one with a stale timestamp get the same answer, so the answers do not tell which hosts exist.

The used signatures are kept in the service's database (:class:`UsedSignatures`), beside the jobs: a replay
is refused after a restart too, and by every instance sharing a PostgreSQL database. Secrets are read once,
from the environment variable or file the configuration names, and are never logged or put into a message.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..config import HostOptions, ServiceOptions
from ..database import Database
from ..errors import ConfigError
from ..i18n import N_, Text

log = logging.getLogger("naskah.service")

HOST_HEADER = "X-Naskah-Host"
TIMESTAMP_HEADER = "X-Naskah-Timestamp"
SIGNATURE_HEADER = "X-Naskah-Signature"
_HEADERS = {"host": HOST_HEADER, "timestamp": TIMESTAMP_HEADER, "signature": SIGNATURE_HEADER}

_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # ASCII digits only: str.isdigit() takes superscripts that int() refuses
_SIGNATURE = re.compile(r"sha256=[0-9a-f]{64}")


def signed_message(timestamp: str, method: str, path: str, body: bytes) -> bytes:
    return _signed_prefix(timestamp, method, path) + body


def _signed_prefix(timestamp: str, method: str, path: str) -> bytes:
    return f"{timestamp}\n{method.upper()}\n{path}\n".encode("utf-8", "surrogateescape")


def sign(secret: bytes, timestamp: str, method: str, path: str, body: bytes) -> str:
    """The value of ``X-Naskah-Signature`` for a request (or a callback): ``sha256=`` and the hex HMAC."""
    digest = hmac.new(secret, signed_message(timestamp, method, path, body), hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class AuthError(Exception):
    """The request is not from a known host; the message (a :class:`~naskah.i18n.Text`: English in the log, the
    caller's language in the answer) says what to fix and holds no secret."""


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


_USED_SCHEMA = """
CREATE TABLE IF NOT EXISTS naskah_used_signatures (
    signature   TEXT PRIMARY KEY,
    host        TEXT NOT NULL,
    expires_at  DOUBLE PRECISION NOT NULL
)
"""
_USED_INDEX = "CREATE INDEX IF NOT EXISTS naskah_used_signatures_expiry ON naskah_used_signatures (expires_at)"


class UsedSignatures:
    """The signatures already accepted, until they expire: in a database (the service's, beside the jobs), so a
    restart does not forget them and several instances on one PostgreSQL share them; in memory without one."""

    def __init__(self, database: Database | None = None):
        self.db = database
        if database is not None:
            database.create(_USED_SCHEMA, _USED_INDEX)
        self._memory: dict[str, float] = {}
        self._lock = threading.Lock()
        self._purged_at = 0.0

    def first_use(self, signature: str, host: str, expires_at: float, now: float) -> bool:
        """Remember ``signature``; False when it was used before (a replay)."""
        if self.db is None:
            with self._lock:
                for seen in [key for key, until in self._memory.items() if until < now]:
                    del self._memory[seen]
                if signature in self._memory:
                    return False
                self._memory[signature] = expires_at
                return True
        with self.db.transaction() as db:
            if now - self._purged_at > 60:
                self._purged_at = now
                db.execute("DELETE FROM naskah_used_signatures WHERE expires_at < ?", (now,))
            changed = db.execute("INSERT INTO naskah_used_signatures (signature, host, expires_at) VALUES (?, ?, ?) "
                                 "ON CONFLICT (signature) DO NOTHING", (signature, host, expires_at))
            if changed == 1:
                return True
            # an entry that expired but was not purged yet does not count
            return db.execute("UPDATE naskah_used_signatures SET expires_at = ? WHERE signature = ? "
                              "AND expires_at < ?", (expires_at, signature, now)) == 1


class PendingSignature:
    """A signed request whose headers passed: feed it the body as it arrives, then :meth:`finish`."""

    def __init__(self, authenticator: "Authenticator", host: Host, timestamp: str, method: str, path: str,
                 presented: str):
        self._authenticator = authenticator
        self.host = host
        self._presented = presented
        self._digest = hmac.new(host.hmac_secret, _signed_prefix(timestamp, method, path), hashlib.sha256)

    def update(self, chunk: bytes) -> None:
        self._digest.update(chunk)

    def finish(self, now: float | None = None) -> Host:
        """The host, once the signature matches the whole body and was not used before; else an AuthError."""
        expected = "sha256=" + self._digest.hexdigest()
        if not hmac.compare_digest(self._presented.encode("ascii"), expected.encode("ascii")):
            raise AuthError(Text(N_("the signature does not match: sign TIMESTAMP\\nMETHOD\\nPATH\\nBODY with the "
                                    "host's HMAC secret (HMAC-SHA256, hex, prefixed sha256=)")))
        now = time.time() if now is None else now
        window = self._authenticator.replay_window
        if not self._authenticator.used.first_use(expected, self.host.name, now + 2 * window, now):
            raise AuthError(Text(N_("replayed request: this signature was already used; sign every request anew")))
        return self.host


class Authenticator:
    """Checks a request's credentials against the loaded hosts; remembers used signatures (``used``)."""

    def __init__(self, hosts: list[Host], replay_window: int, used: UsedSignatures | None = None):
        self.hosts = {host.name: host for host in hosts}
        self.replay_window = replay_window
        self.used = used or UsedSignatures()

    def authenticate(self, method: str, path: str, headers, body: bytes, now: float | None = None) -> Host:
        """The whole check at once, for a body already in hand."""
        checked = self.begin(method, path, headers, now)
        if isinstance(checked, Host):
            return checked
        checked.update(body)
        return checked.finish(now)

    def begin(self, method: str, path: str, headers, now: float | None = None) -> Host | PendingSignature:
        """What the headers alone decide: the host of a valid token, a signed request still to be checked
        against its body, or an AuthError (no body needs to be read for it)."""
        now = time.time() if now is None else now
        authorization = headers.get("authorization")
        if authorization is not None:
            return self._by_token(authorization)
        if headers.get(SIGNATURE_HEADER) is not None or headers.get(HOST_HEADER) is not None:
            return self._signed(method, path, headers, now)
        raise AuthError(Text(N_("missing credentials: send Authorization: Bearer TOKEN, or sign the request with "
                                "{host}, {timestamp} and {signature}"), **_HEADERS))

    def _by_token(self, authorization: str) -> Host:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError(Text(N_("the Authorization header must be 'Bearer TOKEN'")))
        presented = token.strip().encode("utf-8", "surrogateescape")
        found = None
        for host in self.hosts.values():  # compare with every host, in constant time each
            if host.token is not None and hmac.compare_digest(presented, host.token):
                found = host
        if found is None:
            raise AuthError(Text(N_("the API token is not valid")))
        return found

    def _signed(self, method: str, path: str, headers, now: float) -> PendingSignature:
        name, timestamp = headers.get(HOST_HEADER), headers.get(TIMESTAMP_HEADER)
        signature = headers.get(SIGNATURE_HEADER)
        missing = [h for h, v in ((HOST_HEADER, name), (TIMESTAMP_HEADER, timestamp), (SIGNATURE_HEADER, signature))
                   if not v]
        if missing:
            raise AuthError(Text(N_("a signed request needs the headers {host}, {timestamp} and {signature}; "
                                    "missing: {missing}"), missing=", ".join(missing), **_HEADERS))
        timestamp = timestamp.strip()
        if not _TIMESTAMP.fullmatch(timestamp):
            raise AuthError(Text(N_("{timestamp} must be the time in whole seconds since 1970 (UTC), in ASCII "
                                    "digits"), **_HEADERS))
        presented = signature.strip().lower()
        if not _SIGNATURE.fullmatch(presented):
            raise AuthError(Text(N_("{signature} must be sha256= and 64 hex digits"), **_HEADERS))
        host = self.hosts.get(name)
        # one answer for an unknown host and a stale timestamp: the answers do not tell which hosts exist
        if host is None or host.hmac_secret is None or abs(now - int(timestamp)) > self.replay_window:
            raise AuthError(Text(N_("unknown host, or {timestamp} more than {seconds} s away from naskah's clock "
                                    "(check the host's name, secret and clock)"), seconds=self.replay_window,
                                 **_HEADERS))
        return PendingSignature(self, host, timestamp, method, path, presented)
