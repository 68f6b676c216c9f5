"""The host's API under ``/api/v1``: issue letters (as jobs), follow jobs, fetch stored letters, preview drafts,
check signatures; and the health probes. Every ``/api/v1`` route authenticates the host first."""
from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from ...convert.raster import png_pages
from ...payload import json_path
from ...errors import ConversionError
from ...store import StoredLetter
from ...validation import VerificationRefused
from .. import schemas
from ..auth import Host
from ..callback import check_callback_url
from ..errors import ApiError
from ..inputs import authenticate, mapping_param, read_payload, read_upload
from ..jobs import Job
from ..openapi import PAYLOAD_BODY, error_responses, upload_body
from ..runtime import CurrentService, Service, in_thread
from ..views import API, job_json, pages_json, report_json, stored_json

log = logging.getLogger("naskah.service")

JOB_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_PREVIEW_PAGES = 30

router = APIRouter()

_PDF = {"schema": {"type": "string", "format": "binary"}}
_PREVIEW = {"content": {"application/pdf": _PDF,
                        "application/json": {"schema": {"$ref": "#/components/schemas/PreviewPages"}}},
            "description": "format=pdf: the draft PDF; format=png: its pages as PNG images"}


@router.post(f"{API}/letters", tags=["letters"], status_code=201, response_model=schemas.Letter,
             summary="Issue a letter from a payload (signed, stored)", openapi_extra={"requestBody": PAYLOAD_BODY},
             responses={200: {"model": schemas.Letter, "description": "issued before: the stored letter"},
                        202: {"model": schemas.JobAccepted, "description": "mode=async (or, in cluster mode, "
                              "while the queue cannot be reached): the job that issues it"},
                        **error_responses(400, 401, 409, 413, 415, 422, 429, 503)})
async def issue_letter(request: Request, service: CurrentService,
                       mode: Literal["sync", "async"] = Query("sync", description="async: answer 202 with a job id "
                                                              "at once, and issue in the background"),
                       mapping: str | None = Query(None, description="mapping name (default: the one whose match "
                                                   "rule accepts the payload)"),
                       callback_url: str | None = Query(None, description="where to post the result (default: the "
                                                        "payload's callback field); must be under one of the "
                                                        "host's callback_prefixes")):
    host = await authenticate(service.auth, request)
    payload = await read_payload(request)
    mapping = mapping_param(mapping)
    field = "query.callback_url"
    if callback_url is None and service.options.callback_field:
        callback_url, field = json_path(payload, service.options.callback_field), service.options.callback_field
    if callback_url is not None:
        callback_url = check_callback_url(callback_url, host, field)
    # everything that can refuse the payload, before a job exists; the job issues what is prepared here
    prepared = await in_thread(service.previews, service.naskah.prepare, payload, mapping)
    job, future = service.runner.enqueue(host.name, payload, mapping, callback_url, prepared)
    if mode == "async" or future is None:  # no future: cluster mode's broker is away, the job waits for it
        status_url = f"{API}/jobs/{job.job_id}"
        return JSONResponse({"job_id": job.job_id, "state": job.state, "status_url": status_url},
                            status_code=202, headers={"Location": status_url})
    finished: Job = await asyncio.wrap_future(future)
    if finished.error is not None:
        error = finished.error["error"]
        return JSONResponse(finished.error, status_code=finished.http_status,
                            headers={"Retry-After": "30"} if error.get("status") == 503 else None)
    return JSONResponse(finished.result, status_code=finished.http_status)


@router.get(f"{API}/jobs/{{job_id}}", tags=["letters"], response_model=schemas.JobStatus,
            summary="The state of an issuing job, with its letter or error when finished",
            responses=error_responses(401, 404))
async def job_status(request: Request, service: CurrentService, job_id: str):
    host = await authenticate(service.auth, request)
    job = service.jobs.get(job_id) if JOB_ID.match(job_id) else None
    if job is None or job.host != host.name:
        raise ApiError(404, "not_found", "no such job (finished jobs are kept "
                                         f"{service.options.job_retention_days:g} days)")
    return JSONResponse(job_json(job))


@router.get(f"{API}/letters/{{letter_id}}", tags=["letters"], response_model=schemas.Letter,
            summary="A stored letter's description", responses=error_responses(401, 404))
async def letter_info(request: Request, service: CurrentService, letter_id: str):
    host = await authenticate(service.auth, request)
    stored = await _stored_or_404(service, host, letter_id)
    return JSONResponse(stored_json(stored, service.naskah.verification_url(stored.letter_id)))


@router.get(f"{API}/letters/{{letter_id}}/pdf", tags=["letters"], summary="The signed PDF of a stored letter",
            response_class=Response,
            responses={200: {"content": {"application/pdf": _PDF}, "description": "the signed PDF/A"},
                       **error_responses(401, 404)})
async def letter_pdf(request: Request, service: CurrentService, letter_id: str):
    host = await authenticate(service.auth, request)
    stored = await _stored_or_404(service, host, letter_id)
    try:
        data = await asyncio.to_thread(stored.pdf_path.read_bytes)
    except OSError:
        log.error("letter %s: its file %s cannot be read", letter_id, stored.pdf_path)
        raise ApiError(503, "unavailable", "the letter's file cannot be read now; the operator is told in the log")
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{stored.letter_id}.pdf"', "ETag": f'"{stored.sha256}"',
        "X-Content-Type-Options": "nosniff"})


@router.post(f"{API}/previews", tags=["letters"], summary="An unsigned draft, every page marked DRAFT",
             response_class=Response, openapi_extra={"requestBody": PAYLOAD_BODY},
             responses={200: _PREVIEW, **error_responses(400, 401, 413, 415, 422, 503)})
async def preview(request: Request, service: CurrentService,
                  format: Literal["pdf", "png"] = Query("pdf", description="pdf, or png pages (in JSON)"),
                  dpi: int = Query(96, ge=40, le=200, description="resolution of png pages"),
                  mapping: str | None = Query(None, description="mapping name")):
    await authenticate(service.auth, request)
    payload = await read_payload(request)
    mapping = mapping_param(mapping)
    pdf = await in_thread(service.previews, service.naskah.render, payload, mapping, pdf=True)
    if format == "pdf":
        return Response(pdf, media_type="application/pdf",
                        headers={"Content-Disposition": 'inline; filename="draft.pdf"'})
    try:
        pages = await in_thread(service.previews, png_pages, pdf, dpi, MAX_PREVIEW_PAGES)
    except ConversionError as exc:
        raise ApiError(503, "preview_failed", str(exc)) from None
    return JSONResponse(pages_json(pages, dpi))


@router.post(f"{API}/verify", tags=["verification"], response_model=schemas.VerificationOut,
             summary="Check the signatures of an uploaded PDF (and whether it is a stored letter)",
             openapi_extra={"requestBody": upload_body("file")}, responses=error_responses(400, 401, 413, 415, 422))
async def verify(request: Request, service: CurrentService):
    host = await authenticate(service.auth, request)
    data, _ = await read_upload(request, "file", service.options.max_upload_bytes)
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        report = await in_thread(service.verifications, service.check_upload, data, service.trust.for_any())
    except VerificationRefused as exc:
        raise ApiError(422, "too_complex", str(exc)) from None
    letter_id = await asyncio.to_thread(service.naskah.store.letter_id_with_sha256, sha256)
    if letter_id is not None and await asyncio.to_thread(service.readable, host.name, letter_id) is None:
        letter_id = None  # another host's letter is not named
    return JSONResponse(report_json(report, sha256, letter_id))


@router.get("/health", tags=["health"], response_model=schemas.Health, summary="Liveness: the process answers")
async def health():
    return {"status": "ok"}


@router.get("/ready", tags=["health"], response_model=schemas.Readiness,
            summary="Readiness: mappings, store, LibreOffice, signing profiles and hosts are usable; in cluster "
                    "mode, the broker and the database of jobs answer",
            responses={503: {"model": schemas.Readiness,
                              "description": "not ready: each check not ok says what is wrong"}})
async def ready(service: CurrentService):
    checks = await asyncio.to_thread(service.readiness)
    ok = all(value == "ok" for value in checks.values())
    return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)


async def _stored_or_404(service: Service, host: Host, letter_id: str) -> StoredLetter:
    """The stored letter if the host may read it; another host's answers exactly like a missing one."""
    stored = await asyncio.to_thread(service.readable, host.name, letter_id)
    if stored is None:
        raise ApiError(404, "not_found", "no letter with this id")
    return stored
