"""The language of each answer (an ASGI middleware): the request's ``Accept-Language`` among the languages naskah
speaks, else the installation's ``language`` setting. Codes, field paths and the JSON shape never change; only the
``message`` texts do (:mod:`naskah.i18n`)."""
from __future__ import annotations

from ..i18n import negotiate, set_language


class RequestLanguage:
    """Sets the language of the moment for the request's task: the routes, the worker threads they hand work to
    (they copy the context) and the error handlers all speak it. Each request runs in a task of its own, so the
    setting ends with it."""

    def __init__(self, app, default: str):
        self.app = app
        self.default = default

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            accepted = b",".join(value for name, value in scope.get("headers") or [] if name == b"accept-language")
            set_language(negotiate(accepted.decode("latin-1"), self.default))
        return await self.app(scope, receive, send)
