"""The FastAPI application of ``naskah serve``: the host's API under ``/api/v1`` and the public verification page.

``create_app(settings)`` builds it from the same settings as the CLI: the :class:`~.runtime.Service` started and
stopped with the app, the size limit, one error shape for every failure, the routes and the OpenAPI schema.
"""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..config import Settings, load_settings
from ..errors import NaskahError, Problem
from ..i18n import _, set_language
from . import openapi
from .errors import ApiError, api_error_for
from .language import RequestLanguage
from .middleware import BodyLimit
from .pages import error_response
from .routes import api, drafts, page
from .runtime import Service


def create_app(settings: Settings | None = None) -> FastAPI:
    service = Service(settings or load_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        set_language(service.settings.language)  # jobs resumed at start speak the installation's language
        await asyncio.to_thread(service.start)
        try:
            yield
        finally:
            await asyncio.to_thread(service.stop)

    app = FastAPI(title="naskah", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description=openapi.DESCRIPTION, openapi_tags=openapi.TAGS)
    app.state.service = service
    app.add_middleware(BodyLimit, service=service)
    app.add_middleware(RequestLanguage, default=service.settings.language)  # outermost: every answer speaks it
    _handle_errors(app, service)
    app.include_router(api.router)
    app.include_router(drafts.router)
    app.include_router(page.router, prefix=service.page_prefix)  # after the API: /health is not a letter id
    openapi.install(app)
    return app


def _handle_errors(app: FastAPI, service: Service) -> None:
    """Every failure answers in the API's error shape (or as a page under the verification page)."""
    @app.exception_handler(ApiError)
    async def on_api_error(request: Request, exc: ApiError):
        return error_response(service, request.url.path, exc)

    @app.exception_handler(NaskahError)
    async def on_naskah_error(request: Request, exc: NaskahError):
        return error_response(service, request.url.path, api_error_for(exc))

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError):
        problems = [Problem(".".join(str(part) for part in error.get("loc", ())), error.get("msg", "invalid"))
                    for error in exc.errors()]
        return error_response(service, request.url.path, ApiError(
            422, "invalid_request", _("the request's parameters are not valid"), problems))

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException):
        codes = {404: "not_found", 405: "method_not_allowed"}
        message = {404: _("no such resource"), 405: _("method not allowed")}.get(exc.status_code, str(exc.detail))
        error = ApiError(exc.status_code, codes.get(exc.status_code, "http_error"), message,
                         headers=dict(exc.headers or {}))
        return error_response(service, request.url.path, error)

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception):
        return error_response(service, request.url.path, api_error_for(exc))
