"""The size limit of request bodies, enforced before a route reads anything (an ASGI middleware)."""
from __future__ import annotations

from .errors import ApiError, too_large
from .pages import error_response
from .views import API


class BodyLimit:
    """Refuses a request body over the limit, by its Content-Length at once, or while it streams in. Uploads
    (``/api/v1/verify``, the verification page) may be larger than a JSON payload."""

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
        limit = self.limit_for(scope["path"])
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.strip().isdigit() or int(length) > limit):
            error = too_large(limit) if length.strip().isdigit() else ApiError(
                400, "malformed_body", "the Content-Length header is not a number")
            response = error_response(self.service, scope["path"], error)
            return await response(scope, receive, send)
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise too_large(limit)
            return message

        await self.app(scope, limited_receive, send)
