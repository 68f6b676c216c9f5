"""The connector interface: what every DMS target does, and the HTTP plumbing they share.

A connector knows one kind of DMS (Mayan EDMS, a generic REST API). It can

- ``check()``          reach the DMS and prove that the credentials are accepted;
- ``find_existing()``  find a copy of a letter already there (by idempotency key or by checksum);
- ``submit()``         upload the letter with its metadata and say which document the DMS made of it.

It never decides whether to retry an upload: the outbox (``naskah.deliver.outbox``) does, after asking
``find_existing()``. Safe requests (GET) are retried with backoff by urllib3 on the session; every
request has a timeout; TLS is verified, against the system's CAs or a configured CA bundle.

Options are pydantic models, chosen in the ``[dms]`` section of the configuration by ``kind``. Secrets
(tokens, passwords) are never part of them: only the *name* of the environment variable that holds one.
"""
from __future__ import annotations

import functools
import logging
import os
import re
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Callable, ClassVar, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..errors import NaskahError

if TYPE_CHECKING:  # requests loads slowly; only connectors that talk HTTP import it
    import requests

log = logging.getLogger("naskah.deliver")

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# --------------------------------------------------------------------------------------------- errors

class DeliveryError(NaskahError):
    """A letter could not be delivered to the DMS; the message names the DMS and never holds a secret."""

    transient: ClassVar[bool] = False


class TransientDeliveryError(DeliveryError):
    """Worth trying again later: the DMS was unreachable, too slow, busy (429) or failing (5xx).

    ``maybe_stored`` is True when the request had been sent, so the DMS may hold the upload anyway.
    """

    transient = True

    def __init__(self, message: str, *, maybe_stored: bool = True, retry_after: float | None = None):
        super().__init__(message)
        self.maybe_stored = maybe_stored
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """Trying again will not help until someone acts: credentials refused, validation error, bad setup."""


# --------------------------------------------------------------------------------------------- options

class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CommonOptions(_Options):
    """What every HTTP target has: where it is, how long to wait, how often to retry."""

    name: str = Field(default="dms", pattern=r"^[\w.-]{1,64}$",
                      description="the target's name in the outbox and in messages")
    url: str = Field(description="base URL of the DMS (http or https)")
    connect_timeout: float = Field(default=5.0, gt=0, le=300, description="seconds to connect")
    read_timeout: float = Field(default=60.0, gt=0, le=3600, description="seconds to wait for an answer")
    ca_bundle: Path | None = Field(default=None, description="CA certificates to verify the DMS's TLS "
                                                             "certificate with (default: the system's)")
    retries: int = Field(default=4, ge=0, le=10, description="retries of a failed request in one delivery")
    backoff: float = Field(default=0.5, ge=0, le=60, description="first wait between retries, doubled each time")
    backoff_max: float = Field(default=30.0, ge=0, le=600, description="longest wait between retries")
    lease_seconds: float = Field(default=600.0, ge=1, le=86400,
                                 description="how long a claim on an outbox entry lasts without renewal (it is "
                                             "renewed before every request; a dead process's claim on this "
                                             "host is taken over at once)")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL")
        if parts.username or parts.password:
            raise ValueError("must not contain credentials; name an environment variable instead")
        return value.rstrip("/")

    @field_validator("ca_bundle")
    @classmethod
    def _bundle_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not Path(value).is_file():
            raise ValueError(f"CA bundle {value} does not exist")
        return value

    @property
    def longest_request(self) -> float:
        """Seconds one request may take at most, its retries by urllib3 included."""
        return (self.retries + 1) * (self.connect_timeout + self.read_timeout) + self.retries * self.backoff_max

    @model_validator(mode="after")
    def _lease_outlasts_a_request(self):
        if self.lease_seconds <= self.longest_request:
            raise ValueError(f"lease_seconds ({self.lease_seconds:g}) must be longer than one request can take "
                             f"with its retries ({self.longest_request:g} s), or two processes could both upload")
        return self


def _env_name(value: str | None) -> str | None:
    if value is not None and not _ENV_NAME.match(value):
        raise ValueError("must be the name of an environment variable (the secret itself never goes in a file)")
    return value


class AuthOptions(_Options):
    """How the generic connector authenticates; secrets come from the named environment variables."""

    kind: Literal["none", "token_header", "bearer", "basic"] = "none"
    header: str = Field(default="Authorization", description="header for kind=token_header")
    prefix: str = Field(default="", description="text before the token in that header, e.g. 'Token '")
    token_env: str | None = Field(default=None, description="environment variable holding the token")
    username: str | None = Field(default=None, description="user name for kind=basic")
    password_env: str | None = Field(default=None, description="environment variable holding the password")

    @field_validator("token_env", "password_env")
    @classmethod
    def _names(cls, value: str | None) -> str | None:
        return _env_name(value)


class MayanOptions(CommonOptions):
    """A Mayan EDMS 4.x: token authentication, documents with a document type and typed metadata."""

    kind: Literal["mayan"]
    token_env: str = Field(description="environment variable holding the API token")
    key_metadata: str = Field(default="naskah_key", pattern=r"^[A-Za-z_]\w*$",
                              description="metadata type that holds the idempotency key")
    recent_scan: int = Field(default=25, ge=0, le=500,
                             description="how many of the newest documents of the type are also looked at "
                                         "when searching for an existing copy (a search index may lag)")
    default_document_type: str | None = Field(
        default=None, description="document type for letters whose mapping has no dms section")
    stub_grace_seconds: float = Field(
        default=300.0, ge=0, le=86400,
        description="a document of ours still without its file after this long is a stub whose processing "
                    "failed: the file is uploaded to it (younger, Mayan may still be processing it)")

    @field_validator("token_env")
    @classmethod
    def _names(cls, value: str) -> str:
        return _env_name(value)


class FindOptions(_Options):
    """How the generic connector looks for an existing copy: a GET whose answer lists matches."""

    url: str = Field(description="URL template; {idempotency_key}, {sha256} and {letter_id} are filled in")
    results_path: str = Field(default="", description="dotted path to the list of matches ('' = the answer)")
    id_path: str = Field(default="id", description="dotted path to a match's id")
    url_path: str | None = Field(default=None, description="dotted path to a match's URL")


class GenericRestOptions(CommonOptions):
    """Any DMS whose API takes one upload request and answers with the new document's id."""

    kind: Literal["generic_rest"]
    upload_path: str = Field(default="", description="path of the upload endpoint, after url")
    method: Literal["POST", "PUT"] = "POST"
    auth: AuthOptions = AuthOptions()
    file_field: str = Field(default="file", description="multipart field of the PDF")
    fields: dict[str, str] = Field(
        default_factory=dict,
        description="more multipart fields: name -> template over {label}, {document_type}, {description}, "
                    "{idempotency_key}, {sha256}, {letter_id}, {workflow_id}, {filename}, {metadata.NAME}")
    metadata_field: str | None = Field(
        default=None, description="one multipart field per metadata value, named by this template over {name}, "
                                  "e.g. 'metadata[{name}]'")
    metadata_json_field: str | None = Field(default=None, description="one multipart field with all metadata "
                                                                      "as a JSON object")
    idempotency_header: str | None = Field(default="Idempotency-Key",
                                           description="header carrying the idempotency key on upload")
    id_path: str = Field(default="id", description="dotted path of the document id in the answer")
    url_path: str | None = Field(default=None, description="dotted path of the document URL in the answer")
    document_url: str | None = Field(default=None, description="URL template over {id} when the answer has none")
    check_path: str | None = Field(default=None, description="GET this path to check credentials (2xx = ok)")
    find: FindOptions | None = Field(default=None, description="how to find an existing copy; without it an "
                                                               "upload whose outcome is unknown is not repeated")


DmsOptions = Annotated[MayanOptions | GenericRestOptions, Field(discriminator="kind")]


# --------------------------------------------------------------------------------------------- documents

class DmsDocument(BaseModel):
    """One letter as the DMS gets it: the file's identity and what the mapping's ``dms:`` section decided."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    letter_id: str
    idempotency_key: str
    workflow_id: str | None = None
    sha256: str
    filename: str
    document_type: str | None = None
    label: str
    description: str = ""
    metadata: dict[str, str] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    cabinet: str | None = None


class Receipt(BaseModel):
    """Which document in the DMS holds the letter."""

    model_config = ConfigDict(frozen=True)

    document_id: str
    url: str | None = None


# --------------------------------------------------------------------------------------------- interface

class Connector(ABC):
    """One DMS target."""

    kind: ClassVar[str] = "?"
    #: A label for messages, e.g. "Mayan EDMS".
    product: ClassVar[str] = "DMS"

    def __init__(self, options: CommonOptions):
        self.options = options

    @property
    def name(self) -> str:
        return self.options.name

    def describe(self) -> str:
        """How messages name this DMS: product, target name and base URL (never a credential)."""
        return f"{self.product} {self.options.name!r} at {_display_url(self.options.url)}"

    #: Whether ``find_existing`` can find a copy; without it an unknown upload outcome is not retried.
    can_find: ClassVar[bool] = True

    @abstractmethod
    def check(self) -> str:
        """Reach the DMS and have it accept the credentials; returns who we are there."""

    @abstractmethod
    def find_existing(self, document: DmsDocument) -> Receipt | None:
        """The DMS document that already holds this letter, if any."""

    @abstractmethod
    def submit(self, document: DmsDocument, pdf: bytes) -> Receipt:
        """Upload the letter once (no retry of the upload itself) and return the new document."""

    def complete(self, receipt: Receipt, document: DmsDocument, pdf: bytes) -> Receipt:
        """Make a document found or made by an earlier attempt whole (e.g. metadata set after the upload)."""
        return receipt

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------------------------- HTTP

_TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_MAX_MESSAGE = 300


def _display_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class HttpConnector(Connector):
    """A connector that talks HTTP with requests: timeouts, TLS, retries of safe requests, error messages."""

    def __init__(self, options: CommonOptions):
        super().__init__(options)
        self._session: requests.Session | None = None
        #: Called before every request (the outbox renews its claim there; it may stop the delivery).
        self.before_request: Callable[[], None] | None = None

    # -- secrets
    def _secret(self, env_name: str | None, what: str) -> str:
        value = os.environ.get(env_name or "")
        if not env_name or not value:
            raise PermanentDeliveryError(
                f"{self.describe()}: the {what} is not set: put it in the environment variable {env_name}")
        return value

    def _secrets(self) -> list[str]:
        """Every secret value this connector sends, so that none of them ever reaches a message."""
        return []

    def _auth_headers(self) -> dict[str, str]:
        return {}

    # -- the session
    @property
    def session(self) -> "requests.Session":
        if self._session is None:
            self._session = self._new_session()
        return self._session

    def _new_session(self) -> "requests.Session":
        import requests
        from requests.adapters import HTTPAdapter

        options = self.options
        retry = _capped_retry()(
            total=options.retries, connect=options.retries, read=options.retries, status=options.retries,
            other=0, backoff_factor=options.backoff, backoff_max=options.backoff_max,
            status_forcelist=sorted(_TRANSIENT_STATUS - {408, 425}),
            # Only requests that change nothing are repeated by urllib3; an upload is repeated by the
            # outbox, after it looked for the copy the first one may have made. A refused connection is
            # retried for every method: nothing was sent.
            allowed_methods=frozenset({"GET", "HEAD", "OPTIONS"}),
            raise_on_status=False, respect_retry_after_header=True,
        )
        retry.cap = options.backoff_max
        session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.verify = str(options.ca_bundle) if options.ca_bundle else True
        session.trust_env = False  # no proxies or netrc credentials picked up from the environment
        session.headers.update({"Accept": "application/json", "User-Agent": "naskah"})
        return session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    # -- requests
    def request(self, method: str, url: str, *, expect: tuple[int, ...] = (200, 201, 204), what: str = "",
                **kwargs) -> "requests.Response":
        """One request with a timeout; raises a DeliveryError that names the DMS for anything unexpected."""
        import requests

        if not url.startswith(("http://", "https://")):
            url = self.options.url + "/" + url.lstrip("/")
        headers = {**self._auth_headers(), **kwargs.pop("headers", {})}
        what = what or f"{method} {_display_url(url)}"
        if self.before_request is not None:
            self.before_request()
        try:
            response = self.session.request(
                method, url, headers=headers, timeout=(self.options.connect_timeout, self.options.read_timeout),
                allow_redirects=False, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise PermanentDeliveryError(
                f"{self.describe()}: TLS verification failed for {what}: {self._clean(exc)}") from None
        except requests.exceptions.ConnectTimeout:
            raise TransientDeliveryError(f"{self.describe()}: could not connect within "
                                         f"{self.options.connect_timeout:g} s ({what})", maybe_stored=False) from None
        except requests.exceptions.ReadTimeout:
            raise TransientDeliveryError(f"{self.describe()}: no answer within {self.options.read_timeout:g} s "
                                         f"({what})", maybe_stored=True) from None
        except requests.exceptions.RetryError as exc:
            raise TransientDeliveryError(f"{self.describe()}: still failing after {self.options.retries} retries "
                                         f"({what}): {self._clean(exc)}", maybe_stored=method not in ("GET", "HEAD"))
        except requests.exceptions.ConnectionError as exc:
            refused = _connection_refused(exc)
            reason = "connection refused" if refused else f"connection failed: {self._clean(exc)}"
            raise TransientDeliveryError(f"{self.describe()}: {reason} ({what})", maybe_stored=not refused) from None
        except requests.exceptions.RequestException as exc:
            raise TransientDeliveryError(f"{self.describe()}: {what} failed: {self._clean(exc)}") from None
        if response.status_code in expect:
            return response
        raise self._status_error(response, what)

    def _status_error(self, response: "requests.Response", what: str) -> DeliveryError:
        status = response.status_code
        message = self._clean(_dms_message(response))
        text = f"HTTP {status} {response.reason or ''}".rstrip() + (f": {message}" if message else "")
        if status in _TRANSIENT_STATUS:
            return TransientDeliveryError(f"{self.describe()} answered {text} ({what})",
                                          retry_after=_retry_after(response))
        if status in (401, 403):
            return PermanentDeliveryError(f"{self.describe()} refused the credentials: {text} ({what})")
        return PermanentDeliveryError(f"{self.describe()} refused the request: {text} ({what})")

    def _clean(self, value: Any) -> str:
        """A message for people: one line, bounded, with every secret blanked out."""
        text = " ".join(str(value).split())
        for secret in self._secrets():
            if secret:
                text = text.replace(secret, "***")
        return text[:_MAX_MESSAGE] + ("..." if len(text) > _MAX_MESSAGE else "")

    def json(self, response: "requests.Response", what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise PermanentDeliveryError(
                f"{self.describe()}: {what} answered HTTP {response.status_code} without JSON: "
                f"{self._clean(response.text[:120])}") from None


def _dms_message(response: "requests.Response") -> str:
    """The DMS's own explanation: a JSON detail/message/errors, or the start of a short text body."""
    try:
        body = response.json()
    except ValueError:
        text = response.text or ""
        return "" if "<html" in text[:500].lower() else text[:200]
    if isinstance(body, dict):
        for key in ("detail", "message", "error", "errors", "non_field_errors"):
            if key in body:
                return _flatten(body[key])
        return _flatten(body)
    return _flatten(body)


def _flatten(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_flatten(item)}" for key, item in value.items())
    if isinstance(value, list):
        return "; ".join(_flatten(item) for item in value)
    return str(value)


def _retry_after(response: "requests.Response") -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _connection_refused(exc: BaseException) -> bool:
    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError) or "Connection refused" in str(current):
            return True
        current = current.__cause__ or current.__context__ or (current.args[0] if current.args and
                                                                isinstance(current.args[0], BaseException) else None)
    return False


@functools.cache
def _capped_retry():
    from urllib3.util.retry import Retry

    class CappedRetry(Retry):
        """urllib3's Retry, but a server's Retry-After never makes us wait longer than ``cap`` seconds."""

        cap: float = 30.0

        def new(self, **kw):
            fresh = super().new(**kw)
            fresh.cap = self.cap
            return fresh

        def get_retry_after(self, response):
            value = super().get_retry_after(response)
            return None if value is None else min(value, self.cap)

    return CappedRetry


def json_path(value: Any, path: str) -> Any:
    """``a.b.0.c`` into a JSON value; '' is the value itself; None when a step is missing."""
    if not path:
        return value
    for step in path.split("."):
        if isinstance(value, dict):
            value = value.get(step)
        elif isinstance(value, list) and step.lstrip("-").isdigit() and -len(value) <= int(step) < len(value):
            value = value[int(step)]
        else:
            return None
    return value


def backoff_delay(options: CommonOptions, attempt: int, retry_after: float | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based): exponential, capped, or the server's wish."""
    delay = options.backoff * (2 ** max(0, attempt - 1))
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(delay, options.backoff_max)


def sleep(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)
