"""The signature flow for the host (``/api/v1/drafts``): a draft previewed with DRAFT on every page, paraf in the
mapping's order, return and revision, withdrawal, the official's signature with their own credential, and the
revocation of a signed letter. Every route authenticates the host first, and a host sees only its own drafts
(another host's answer 404, as if they did not exist).

Each step answers the draft as ``GET /api/v1/drafts/{id}`` does, and posts the event to the draft's callback URL
(:mod:`..events`). Signing runs on a worker thread within its request: the credential is used for that call and
dropped, never kept in a job, a callback, a log line or an error message.
"""
from __future__ import annotations

import asyncio
import logging
import re

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from ...convert.raster import png_pages
from ...errors import ConversionError, Problem
from ...lifecycle import Draft
from ...payload import json_path
from .. import schemas
from ..auth import Host
from ..callback import check_callback_url
from ..errors import ApiError, api_error_for
from ..inputs import authenticate, read_body
from ..openapi import error_responses, model_body
from ..runtime import CurrentService, Service, in_thread
from ..views import API, LETTER_ID, draft_json, issued_json

log = logging.getLogger("naskah.service")

DRAFT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_PREVIEW_PAGES = 30

router = APIRouter(tags=["drafts"])

_DRAFT = f"{API}/drafts/{{draft_id}}"
_STEP_ERRORS = error_responses(400, 401, 404, 409, 413, 415, 422)


@router.post(f"{API}/drafts", status_code=201, response_model=schemas.DraftOut,
             summary="Draft a letter (konsep): validated and previewed with DRAFT on every page, nothing signed",
             openapi_extra={"requestBody": model_body(schemas.DraftCreate)},
             responses=error_responses(400, 401, 409, 413, 415, 422, 503))
async def create_draft(request: Request, service: CurrentService):
    host = await authenticate(service.auth, request)
    body = await read_body(request, schemas.DraftCreate)
    callback_url, field = body.callback_url, "callback_url"
    if callback_url is None and service.options.callback_field:
        callback_url, field = json_path(body.payload, service.options.callback_field), service.options.callback_field
    if callback_url is not None:
        callback_url = check_callback_url(callback_url, host, field)
    if body.supersedes is not None:
        corrected = await asyncio.to_thread(service.flow.status_of_letter, body.supersedes)
        if corrected is None or corrected.host != host.name:
            raise ApiError(422, "invalid_request", "the request's body is not valid",
                           [Problem("supersedes", "no letter of this host's signature flow has this id")])
    draft = await in_thread(service.previews, service.flow.draft, body.payload, body.actor, host=host.name,
                            mapping=body.mapping, supersedes=body.supersedes)
    if callback_url is not None:
        await asyncio.to_thread(service.events.remember, draft.id, host.name, callback_url)
    view = await asyncio.to_thread(service.announce, draft, "create")
    return JSONResponse(view, status_code=201, headers={"Location": f"{API}/drafts/{draft.id}"})


@router.get(_DRAFT, response_model=schemas.DraftOut, summary="A draft: its state, who acts next, its trail",
            responses=error_responses(401, 404))
async def get_draft(request: Request, service: CurrentService, draft_id: str):
    host = await authenticate(service.auth, request)
    draft = await _own_draft(service, host, draft_id)
    return JSONResponse(await asyncio.to_thread(draft_json, service.flow, draft))


@router.get(f"{_DRAFT}/preview.pdf", response_class=Response,
            summary="The draft's current version as its reviewers see it (PDF, DRAFT on every page)",
            responses={200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                       **error_responses(401, 404)})
async def draft_preview_pdf(request: Request, service: CurrentService, draft_id: str):
    host = await authenticate(service.auth, request)
    pdf = await _preview(service, await _own_draft(service, host, draft_id))
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="draft-{draft_id}.pdf"'})


@router.get(f"{_DRAFT}/preview.png", response_class=Response,
            summary="One page of the draft's preview as a PNG image",
            responses={200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}},
                       **error_responses(401, 404, 422, 503)})
async def draft_preview_png(request: Request, service: CurrentService, draft_id: str,
                            page: int = Query(1, ge=1, le=MAX_PREVIEW_PAGES, description="page number, from 1"),
                            dpi: int = Query(96, ge=40, le=200, description="resolution")):
    host = await authenticate(service.auth, request)
    pdf = await _preview(service, await _own_draft(service, host, draft_id))
    try:
        pages = await in_thread(service.previews, png_pages, pdf, dpi, page)
    except ConversionError as exc:
        raise ApiError(503, "preview_failed", str(exc)) from None
    if len(pages) < page:
        raise ApiError(404, "not_found", f"the draft has {len(pages)} page{'s' * (len(pages) != 1)}")
    return Response(pages[page - 1], media_type="image/png")


@router.post(f"{_DRAFT}/paraf", response_model=schemas.DraftOut,
             summary="Paraf: an official in the chain approves the draft, in the mapping's order",
             openapi_extra={"requestBody": model_body(schemas.ParafIn)}, responses=_STEP_ERRORS)
async def paraf(request: Request, service: CurrentService, draft_id: str):
    draft, body = await _step_request(service, request, draft_id, schemas.ParafIn)
    action = "paraf" if draft.flow.paraf else "submit"
    credential = body.credential.credential() if body.credential else None
    return await _step(service, action, service.flow.paraf, draft_id, body.actor, body.step, version=body.version,
                       note=body.note, credential=credential)


@router.post(f"{_DRAFT}/return", response_model=schemas.DraftOut,
             summary="Return the draft to its drafter with a note (a reviewer or the signer)",
             openapi_extra={"requestBody": model_body(schemas.ReturnIn)}, responses=_STEP_ERRORS)
async def return_draft(request: Request, service: CurrentService, draft_id: str):
    _, body = await _step_request(service, request, draft_id, schemas.ReturnIn)
    return await _step(service, "return", service.flow.return_, draft_id, body.actor, body.note,
                       version=body.version)


@router.put(f"{_DRAFT}/payload", response_model=schemas.DraftOut,
            summary="Revise a returned draft: a new payload, a new version, whose reviews start again",
            openapi_extra={"requestBody": model_body(schemas.ReviseIn)},
            responses=error_responses(400, 401, 404, 409, 413, 415, 422, 503))
async def revise_draft(request: Request, service: CurrentService, draft_id: str):
    _, body = await _step_request(service, request, draft_id, schemas.ReviseIn)
    draft = await in_thread(service.previews, service.flow.revise, draft_id, body.actor, body.payload,
                            version=body.version)
    return JSONResponse(await asyncio.to_thread(service.announce, draft, "revise"))


@router.post(f"{_DRAFT}/withdraw", response_model=schemas.DraftOut,
             summary="Withdraw the draft (the host's decision); it can no longer be signed",
             openapi_extra={"requestBody": model_body(schemas.WithdrawIn)}, responses=_STEP_ERRORS)
async def withdraw_draft(request: Request, service: CurrentService, draft_id: str):
    _, body = await _step_request(service, request, draft_id, schemas.WithdrawIn)
    return await _step(service, "withdraw", service.flow.withdraw, draft_id, body.actor, note=body.note)


@router.post(f"{_DRAFT}/sign", status_code=201, response_model=schemas.SignedLetter,
             summary="The official signs with their own credential: numbered and dated (WIB) now, signed, stored",
             openapi_extra={"requestBody": model_body(schemas.SignIn)},
             responses={403: {"model": schemas.ErrorResponse, "description": "credential_refused: the signer's "
                              "credential was refused (bsre_code, explanation; locked_until if it locked them)"},
                        429: {"model": schemas.ErrorResponse, "description": "signer_locked: after refused "
                              "credentials nothing is forwarded until locked_until"},
                        **error_responses(400, 401, 404, 409, 413, 415, 422, 503)})
async def sign_draft(request: Request, service: CurrentService, draft_id: str):
    _, body = await _step_request(service, request, draft_id, schemas.SignIn)
    credential = body.credential.credential() if body.credential is not None else None
    secrets = credential.values if credential is not None else []
    body.credential = None
    try:
        issued = await in_thread(service.signings, service.flow.sign, draft_id, body.actor, credential,
                                 nomor=body.nomor, version=body.version)
    except Exception as exc:  # scrubbed of the credential here: the app's handlers would not know it
        raise api_error_for(exc, secrets) from None
    finally:
        credential = secrets = None  # noqa: F841 - dropped as soon as the signature is made or refused
    letter = issued_json(issued)
    draft = await asyncio.to_thread(service.flow.get, draft_id)
    view = await asyncio.to_thread(service.announce, draft, "sign", letter)
    if draft.supersedes is not None:
        replaced = await asyncio.to_thread(service.flow.status_of_letter, draft.supersedes)
        if replaced is not None:
            await asyncio.to_thread(service.announce, replaced, "supersede")
    return JSONResponse(letter | {"draft": view}, status_code=201)


@router.post(f"{API}/letters/{{letter_id}}/revoke", response_model=schemas.DraftOut,
             summary="Revoke (cabut) a signed letter with a reason; its verification page says DICABUT",
             openapi_extra={"requestBody": model_body(schemas.RevokeIn)}, responses=_STEP_ERRORS)
async def revoke_letter(request: Request, service: CurrentService, letter_id: str):
    host = await authenticate(service.auth, request)
    body = await read_body(request, schemas.RevokeIn)
    draft = await asyncio.to_thread(service.flow.status_of_letter, letter_id) if LETTER_ID.match(letter_id) else None
    if draft is None or draft.host != host.name:
        raise ApiError(404, "not_found", "no letter with this id in the host's signature flow")
    return await _step(service, "revoke", service.flow.revoke, letter_id, body.actor, body.reason)


# ------------------------------------------------------------------------------------------------ helpers

async def _step_request(service: Service, request: Request, draft_id: str, model) -> tuple[Draft, object]:
    """The host's draft ``draft_id`` and the request's body as ``model``."""
    host = await authenticate(service.auth, request)
    body = await read_body(request, model)
    return await _own_draft(service, host, draft_id), body


async def _own_draft(service: Service, host: Host, draft_id: str) -> Draft:
    """The host's draft ``draft_id``; another host's is not found, like one that does not exist."""
    draft = await asyncio.to_thread(service.flow.get, draft_id) if DRAFT_ID.match(draft_id) else None
    if draft is None or draft.host != host.name:
        raise ApiError(404, "not_found", "no draft with this id")
    return draft


async def _step(service: Service, action: str, step, *args, **kwargs) -> JSONResponse:
    """One step of the lifecycle (quick: no rendering), then the draft as answered and called back."""
    draft = await asyncio.to_thread(step, *args, **kwargs)
    return JSONResponse(await asyncio.to_thread(service.announce, draft, action))


async def _preview(service: Service, draft: Draft) -> bytes:
    try:
        return await asyncio.to_thread(lambda: service.flow.preview(draft).pdf_path.read_bytes())
    except OSError:
        log.error("draft %s: its preview (version %d) cannot be read", draft.id, draft.version)
        raise ApiError(503, "unavailable", "the draft's preview cannot be read now; the operator is told in the log")
