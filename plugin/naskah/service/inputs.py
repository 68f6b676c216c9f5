"""What a request brings, read and checked once for every route: the host that sent it, its JSON payload, an
uploaded PDF, a mapping name. Each refusal is an :class:`ApiError` in the API's one error shape."""
from __future__ import annotations

import asyncio
import html
import logging
import re
import tempfile
from typing import TypeVar

from fastapi import Request
from starlette.requests import ClientDisconnect

from ..errors import PayloadError, Problem
from ..i18n import _, say
from ..payload import parse_payload
from .auth import Authenticator, AuthError, Host
from .errors import ApiError

log = logging.getLogger("naskah.service")

MAPPING_NAME = r"^[A-Za-z0-9_-]{1,64}$"
#: bytes of a signed request's body kept in memory while its signature is checked; more goes to a temporary file
SPOOL_IN_MEMORY = 256 * 1024

Body = TypeVar("Body")


async def authenticate(auth: Authenticator, request: Request) -> Host:
    """The host that sent the request (its token, or its HMAC signature of the whole request); else a 401.

    Credentials that the headers alone refute are refused before any of the body is read. A signed request's
    body streams into the signature's digest (within the body limit) and into a spool that keeps at most
    ``SPOOL_IN_MEMORY`` bytes in memory; only once the signature holds is the body handed to the route."""
    path = (request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1")
    query = request.scope.get("query_string") or b""
    if query:
        path += "?" + query.decode("latin-1")
    try:
        checked = auth.begin(request.method, path, request.headers)
        if isinstance(checked, Host):
            return checked
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
            try:
                async for chunk in request.stream():
                    checked.update(chunk)
                    spool.write(chunk)
            except ClientDisconnect:
                raise ApiError(400, "malformed_body", _("the client went away before sending the whole body")) from None
            host = await asyncio.to_thread(checked.finish)  # the used signatures are in the database
            spool.seek(0)
            request._body = spool.read()  # noqa: SLF001 - what Request.body() and .form() read from now on
        return host
    except AuthError as exc:
        client = request.client.host if request.client else "?"
        # the path as received (request.url drops tabs and line breaks); the log escapes what is not printable
        log.warning("refused %s %s from %s: %s", request.method, request.scope["path"], client, exc)
        # the body may not have been read: close the connection rather than wait for it
        raise ApiError(401, "unauthorized", say(exc.args[0]),
                       headers={"WWW-Authenticate": 'Bearer realm="naskah"', "Connection": "close"}) from None


async def read_payload(request: Request) -> dict:
    """The JSON payload in the body."""
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise ApiError(415, "unsupported_media_type",
                       _("send the payload as JSON with Content-Type: application/json (got {content_type})").format(
                           content_type=content_type))
    body = await request.body()
    if not body.strip():
        raise ApiError(400, "malformed_body", _("the request body is empty: send the payload as a JSON object"))
    try:
        return parse_payload(body)
    except PayloadError as exc:
        raise ApiError(400, "malformed_body", exc.problems[0].message if exc.problems else _("malformed JSON"),
                       exc.problems) from None


async def read_body(request: Request, model: type[Body]) -> Body:
    """The JSON body as ``model`` (a pydantic model); a 422 naming each field that is wrong. The values sent
    are never repeated in the answer (a signing credential may be among them)."""
    from pydantic import ValidationError

    data = await read_payload(request)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [Problem(".".join(str(part) for part in error["loc"]), error["msg"])
                    for error in exc.errors(include_url=False, include_input=False, include_context=False)]
        raise ApiError(422, "invalid_request", _("the request's body is not valid"), problems) from None


async def read_upload(request: Request, field: str, max_bytes: int) -> tuple[bytes, str]:
    """(content, file name) of the file uploaded as multipart/form-data in ``field``."""
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise ApiError(415, "unsupported_media_type", _("upload the PDF as multipart/form-data in the field {field!r}").format(field=field))
    try:
        form = await request.form(max_files=1, max_fields=10, max_part_size=max_bytes)
    except ApiError:
        raise
    except Exception as exc:  # a malformed multipart body
        raise ApiError(400, "malformed_body", _("the multipart body cannot be read: {reason}").format(reason=_plain(exc))) from None
    try:
        upload = form.get(field)
        if upload is None or isinstance(upload, str):
            raise ApiError(400, "malformed_body", _("no file in the field {field!r}").format(field=field),
                           [Problem(field, _("required: the PDF to check"))])
        data = await upload.read()
        return data, upload.filename or ""
    finally:
        await form.close()


def mapping_param(mapping: str | None) -> str | None:
    """The ``mapping`` query parameter, if it can name a mapping at all."""
    if mapping is not None and not re.match(MAPPING_NAME, mapping):
        raise ApiError(422, "invalid_request", _("no such mapping"), [Problem("query.mapping", _("unknown name"))])
    return mapping


def _plain(exc: Exception) -> str:
    return html.escape(str(exc) or type(exc).__name__)[:200]
