"""The TSA client: pyHanko's HTTP timestamp request, without the TLS set-up it pays for every request.

pyHanko's ``HTTPTimeStamper`` opens an aiohttp session for every timestamp (a client outlives the event loop of
each signature, so it cannot keep one), and each session builds a TLS context by loading certifi's bundle of CA
certificates: about 45 ms of CPU per timestamp, even for an ``http://`` TSA, two timestamps per B-LTA letter.
This client also opens a session per request, but every session shares one TLS context, made once per process.
It speaks to the TSA exactly as pyHanko's does (RFC 3161 over HTTP POST, basic authentication, a timeout) and
fails the same way (:class:`TimestampRequestError` caused by the HTTP error).
"""
from __future__ import annotations

import functools
import ssl

import aiohttp
from asn1crypto import tsp
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError, set_tsp_headers

REPLY_TYPE = "application/timestamp-reply"


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS context of every TSA request: certifi's CA certificates, as pyHanko's own client trusts."""
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


class TsaClient(TimeStamper):
    """An RFC 3161 client for the TSA at ``url``; ``auth`` is a (user, password) pair or None."""

    def __init__(self, url: str, *, timeout: float, auth: tuple[str, str] | None = None):
        super().__init__()
        self.url = url
        self.timeout = timeout
        self.auth = aiohttp.BasicAuth(*auth) if auth else None

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        try:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tls_context())) as session:
                async with session.post(self.url, headers=set_tsp_headers({}), data=req.dump(), auth=self.auth,
                                        raise_for_status=True,
                                        timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
                    content_type = response.headers.get("Content-Type")
                    data = await response.read()
        except (aiohttp.ClientError, OSError) as exc:
            raise TimestampRequestError("Error while contacting timestamp service") from exc
        if content_type != REPLY_TYPE:
            raise TimestampRequestError(f"Timestamp server response is malformed: expected content type "
                                        f"{REPLY_TYPE}, but got {content_type}.")
        return tsp.TimeStampResp.load(data)
