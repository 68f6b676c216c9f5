"""The HTTP base of the connectors: timeouts, TLS, retries of safe requests, and messages that name the DMS.

Safe requests (GET) are retried with backoff by urllib3 on the session (``naskah.http``); every request
has a timeout; TLS is verified, against the system's CAs or a configured CA bundle. Any unexpected
answer becomes a DeliveryError, transient or permanent, whose message never holds a secret.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import http
from ..secrets import read_secret
from .api import Connector
from .errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from .options import CommonOptions

if TYPE_CHECKING:  # requests loads slowly; it is imported when the first request is made
    import requests


class HttpConnector(Connector):
    """A connector that talks HTTP with requests: timeouts, TLS, retries of safe requests, error messages."""

    def __init__(self, options: CommonOptions):
        super().__init__(options)
        self._session: requests.Session | None = None

    # -- secrets
    def _secret(self, env_name: str | None, what: str) -> str:
        return read_secret(env_name, what, PermanentDeliveryError, where=self.describe())

    def _secrets(self) -> list[str]:
        """Every secret value this connector sends, so that none of them ever reaches a message."""
        return []

    def _auth_headers(self) -> dict[str, str]:
        return {}

    # -- the session
    @property
    def session(self) -> "requests.Session":
        if self._session is None:
            options = self.options
            self._session = http.new_session(
                timeout=(options.connect_timeout, options.read_timeout), retries=options.retries,
                backoff=options.backoff, backoff_max=options.backoff_max,
                retry_statuses=http.TRANSIENT_STATUS - {408, 425}, ca_bundle=options.ca_bundle,
                headers={"Accept": "application/json", "User-Agent": "naskah"})
        return self._session

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
        what = what or f"{method} {http.display_url(url)}"
        if self.before_request is not None:
            self.before_request()
        try:
            response = self.session.request(method, url, headers=headers, allow_redirects=False, **kwargs)
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
            refused = http.connection_refused(exc)
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
        if status in http.TRANSIENT_STATUS:
            return TransientDeliveryError(f"{self.describe()} answered {text} ({what})",
                                          retry_after=http.retry_after(response))
        if status in (401, 403):
            return PermanentDeliveryError(f"{self.describe()} refused the credentials: {text} ({what})")
        return PermanentDeliveryError(f"{self.describe()} refused the request: {text} ({what})")

    def _clean(self, value: Any) -> str:
        """A message for people: one line, bounded, with every secret blanked out."""
        return http.scrub(value, self._secrets())

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


def _flatten(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_flatten(item)}" for key, item in value.items())
    if isinstance(value, list):
        return "; ".join(_flatten(item) for item in value)
    return str(value)
