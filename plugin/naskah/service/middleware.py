"""The bounds of a request body, enforced before a route reads anything (an ASGI middleware): its size, and how
long the client may take to send it."""
from __future__ import annotations

import asyncio
import time

from .errors import ApiError, too_large
from .pages import error_response
from .views import API
from ..i18n import _

#: the connection cannot be reused after a refusal in the middle of a body: tell the client, then close it
_CLOSE = {"Connection": "close"}


class BodyLimit:
    """Refuses a request body over the limit, by its Content-Length at once, or while it streams in; and one that
    arrives too slowly: a pause longer than ``read_timeout`` between two parts, or more than ``body_timeout`` for
    the whole (a 408). Uploads (``/api/v1/verify``, the verification page) may be larger than a JSON payload."""

    def __init__(self, app, service):
        self.app = app
        self.service = service  # a runtime.Service

    def limit_for(self, path: str) -> int:
        options = self.service.options
        page = self.service.page_prefix
        if path == f"{API}/verify" or (path.startswith(page + "/") if page else path.count("/") == 1):
            return options.max_upload_bytes
        return options.max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        options = self.service.options
        limit = self.limit_for(scope["path"])
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not _ascii_number(length) or int(length) > limit):
            error = too_large(limit) if _ascii_number(length) else ApiError(
                400, "malformed_body", _("the Content-Length header is not a number"))
            error.headers.update(_CLOSE)
            response = error_response(self.service, scope["path"], error)
            return await response(scope, receive, send)
        received = 0
        deadline = None
        done = False

        async def limited_receive():
            nonlocal received, deadline, done
            if done:  # the body is complete: what is left to wait for is a disconnect, as long as it takes
                return await receive()
            now = time.monotonic()
            deadline = deadline or now + options.body_timeout
            try:
                message = await asyncio.wait_for(receive(), min(options.read_timeout, max(deadline - now, 0.001)))
            except asyncio.TimeoutError:
                raise ApiError(408, "timeout", _("the request body did not arrive in time"), headers=dict(_CLOSE)) \
                    from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    error = too_large(limit)
                    error.headers.update(_CLOSE)
                    raise error
                done = not message.get("more_body", False)
            return message

        await self.app(scope, limited_receive, send)


def _ascii_number(text: bytes) -> bool:
    text = text.strip()
    return 0 < len(text) <= 15 and all(48 <= byte <= 57 for byte in text)
