"""The FastAPI application of ``naskah serve``: the host's API under ``/api/v1`` and the public verification page.

``create_app(settings)`` builds it from the same settings as the CLI. The pipeline is synchronous and heavy, so
issuing, previews and signature checks run on worker threads (``asyncio`` never waits on LibreOffice or
pyHanko); with ``pool_size`` set, one warm LibreOffice pool lives as long as the app.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from .. import __version__
from ..config import Settings, load_settings
from ..errors import ConfigError, NaskahError, PayloadError, Problem
from ..letters import LETTER_TITLES
from ..payload import parse_payload
from ..pipeline import IssuedLetter, Naskah
from ..store import StoredLetter
from ..verify import VerificationReport, verify_pdf
from . import schemas
from .auth import HOST_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, Authenticator, AuthError, Host, load_hosts
from .callback import callback_body, check_callback_url, post_callback
from .errors import ApiError, api_error_for
from .jobs import Job, JobRunner, JobStore
from .verification_page import (PublicRecords, ReportCache, check_upload, letter_facts, public_record,
                                uses_demo_key, verdict_of)

log = logging.getLogger("naskah.service")

API = "/api/v1"
LETTER_ID = re.compile(r"^[0-9a-f]{20}$")
JOB_ID = re.compile(r"^[0-9a-f]{32}$")
MAPPING_NAME = r"^[A-Za-z0-9_-]{1,64}$"
MAX_PREVIEW_PAGES = 30
TEMPLATES = Path(__file__).parent / "templates"

_PAYLOAD_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {
        "type": "object", "additionalProperties": True,
        "description": "the host's workflow payload, exactly as for `naskah issue PAYLOAD.json`"}}},
}


def _upload_body(field: str) -> dict:
    return {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": [field],
        "properties": {field: {"type": "string", "format": "binary", "description": "the PDF to check"}}}}}}


def _errors(*statuses: int) -> dict:
    return {status: {"model": schemas.ErrorResponse} for status in statuses}


class Service:
    """What the app holds for its lifetime: the pipeline, the hosts, the jobs, the pool, the worker threads."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.options = settings.service
        self.naskah = Naskah(settings)
        self.hosts = load_hosts(self.options)
        self.auth = Authenticator(self.hosts, self.options.replay_window)
        state_db = settings.store_path / "service.sqlite"
        self.jobs = JobStore(state_db)
        self.records = PublicRecords(state_db)
        self.reports = ReportCache()
        self.pool = None
        workers = self.options.workers or ((settings.pool_size + 1) if settings.pool_size else 2)
        self.runner = JobRunner(self.jobs, self._issue, workers=workers, max_queued=self.options.max_queued_jobs,
                                on_finished=self._schedule_callback)
        self.previews = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="naskah-preview")
        self.verifications = ThreadPoolExecutor(max_workers=self.options.max_concurrent_verifications,
                                                thread_name_prefix="naskah-verify")
        self.callbacks = ThreadPoolExecutor(max_workers=4, thread_name_prefix="naskah-callback")
        # uploads on the public page that may be checked or wait in line; more get "busy, try later"
        self.page_checks = threading.BoundedSemaphore(4 * self.options.max_concurrent_verifications)
        self.stopping = threading.Event()
        self._purged_at = 0.0
        self._profiles: dict[str, tuple[list[Path], str | None]] = {}
        self._profiles_lock = threading.Lock()
        prefix = self.options.verification_path or urlsplit(settings.verification_base_url).path
        self.page_prefix = prefix.rstrip("/")

    # ----------------------------------------------------------------------------------------- lifetime

    def start(self) -> None:
        if self.settings.pool_size:
            from ..libreoffice_pool import LibreOfficePool

            log.info("starting %d warm LibreOffice processes", self.settings.pool_size)
            self.pool = LibreOfficePool(data_dir=self.settings.data_dir, size=self.settings.pool_size,
                                        timeout=self.settings.conversion_timeout,
                                        restart_after=self.settings.pool_restart_after,
                                        soffice=self.settings.soffice).start()
            self.naskah.pool = self.pool
        self.purge()
        # callbacks still owed for finished jobs first: a resumed job schedules its own when it finishes
        for job in self.jobs.callbacks_pending():
            self._schedule_callback(job)
        resumed = self.runner.resume()
        if resumed:
            log.info("resumed %d jobs left unfinished when the service last stopped", resumed)
        if not self.hosts:
            log.warning("no host can call the API: set NASKAH_SERVICE_TOKEN (or configure [[service.hosts]])")

    def purge(self) -> None:
        """Forget finished jobs older than job_retention_days (at start, then at most once an hour)."""
        self._purged_at = time.monotonic()
        purged = self.jobs.purge(self.options.job_retention_days)
        if purged:
            log.info("forgot %d finished jobs older than %g days", purged, self.options.job_retention_days)

    def stop(self) -> None:
        self.stopping.set()
        self.runner.close()
        self.previews.shutdown(wait=True, cancel_futures=True)
        self.verifications.shutdown(wait=True, cancel_futures=True)
        self.callbacks.shutdown(wait=True, cancel_futures=True)
        if self.pool is not None:
            self.pool.close()
            self.naskah.pool = None

    # ----------------------------------------------------------------------------------------- issuing

    def _issue(self, job: Job, payload: dict) -> tuple[int, dict]:
        """A job's work, on a worker thread: issue the letter and keep its public record."""
        if time.monotonic() - self._purged_at > 3600:
            self.purge()
        prepared = self.naskah.prepare(payload, job.mapping)
        issued = self.naskah.issue(payload, job.mapping)
        self.records.put(issued.letter_id, public_record(prepared))
        return (200 if issued.reused else 201), issued_json(issued, job.job_id)

    def _schedule_callback(self, job: Job) -> None:
        if job.callback_url and not self.stopping.is_set():
            self.callbacks.submit(self._callback, job)

    def _callback(self, job: Job) -> None:
        host = self.auth.hosts.get(job.host)
        if host is None or host.hmac_secret is None:
            self.jobs.set_callback(job.job_id, "failed", 0, f"host {job.host} has no HMAC secret to sign with")
            return
        body = callback_body(job)
        outcome = post_callback(job.callback_url, host.hmac_secret, body, job_id=job.job_id,
                                event=("letter.issued" if job.state == "done" else "letter.failed"),
                                attempts=self.options.callback_attempts, backoff=self.options.callback_backoff,
                                backoff_max=self.options.callback_backoff_max,
                                timeout=self.options.callback_timeout, stop=self.stopping)
        self.jobs.set_callback(job.job_id, outcome.state, job.callback_attempts + outcome.attempts, outcome.error)

    # ----------------------------------------------------------------------------------------- checking

    def profile_of(self, name: str) -> tuple[list[Path], str | None]:
        """(trust roots, problem) of a signing profile; loaded once."""
        with self._profiles_lock:
            if name not in self._profiles:
                from ..sign import load_profile

                try:
                    self._profiles[name] = (list(load_profile(name, self.settings).trust_roots), None)
                except ConfigError as exc:
                    log.error("signing profile %s cannot be loaded: %s", name, exc)
                    self._profiles[name] = ([], str(exc))
            return self._profiles[name]

    def trust_roots_for(self, mapping_name: str | None) -> list[Path]:
        mapping = self.naskah.mappings.get(mapping_name) if mapping_name else None
        return self.profile_of(mapping.signing_profile if mapping else "default")[0]

    def all_trust_roots(self) -> list[Path]:
        names = {"default"} | {m.signing_profile for m in self.naskah.mappings.values()}
        roots: list[Path] = []
        for name in sorted(names):
            roots += [root for root in self.profile_of(name)[0] if root not in roots]
        return roots

    def stored_report(self, stored: StoredLetter, pdf: bytes) -> VerificationReport:
        report = self.reports.get(stored.sha256)
        if report is None:
            report = verify_pdf(pdf, trust_roots=self.trust_roots_for(stored.mapping))
            self.reports.put(stored.sha256, report)
        return report

    def letter_by_sha256(self, sha256: str) -> str | None:
        """The stored letter whose signed file has this SHA-256 (read from the store's index)."""
        db = sqlite3.connect(f"file:{self.naskah.store.index_path}?mode=ro", uri=True, timeout=30)
        try:
            row = db.execute("SELECT letter_id FROM letters WHERE sha256 = ?", (sha256,)).fetchone()
        finally:
            db.close()
        return row[0] if row else None

    # ----------------------------------------------------------------------------------------- readiness

    def readiness(self) -> dict[str, str]:
        checks = {"mappings": "ok" if self.naskah.mappings else "none loaded",
                  "store": "ok" if os.access(self.naskah.store.directory, os.W_OK) else "not writable",
                  "hosts": "ok" if self.hosts else "no host has a token or secret"}
        if self.settings.pool_size:
            checks["libreoffice"] = "ok" if self.pool is not None else "pool not started"
        else:
            checks["libreoffice"] = "ok" if shutil.which(self.settings.soffice) else "soffice not found"
        names = {m.signing_profile for m in self.naskah.mappings.values()} or {"default"}
        broken = [name for name in sorted(names) if self.profile_of(name)[1]]
        checks["signing"] = "ok" if not broken else f"profile {', '.join(broken)} cannot be loaded (see the log)"
        return checks


def issued_json(issued: IssuedLetter, job_id: str | None = None) -> dict:
    metadata = issued.metadata
    state = getattr(issued, "delivery_state", None)
    dms = None if state is None else {"state": state, "document_id": getattr(issued, "dms_document_id", None),
                                      "url": getattr(issued, "dms_url", None),
                                      "error": getattr(issued, "delivery_error", None)}
    return {"letter_id": issued.letter_id, "letter_kind": issued.letter_kind,
            "letter_title": LETTER_TITLES.get(issued.letter_kind, issued.letter_kind), "mapping": issued.mapping,
            "nomor": _text(metadata.get("nomor")), "tanggal": _text(metadata.get("tanggal")),
            "hal": _text(metadata.get("hal")), "sha256": issued.sha256,
            "pdf_url": f"{API}/letters/{issued.letter_id}/pdf", "verification_url": issued.verification_url,
            "reused": issued.reused, "job_id": job_id, "dms": dms}


def stored_json(stored: StoredLetter, verification_url: str) -> dict:
    return {"letter_id": stored.letter_id, "letter_kind": stored.letter_kind,
            "letter_title": LETTER_TITLES.get(stored.letter_kind, stored.letter_kind), "mapping": stored.mapping,
            "nomor": stored.nomor, "tanggal": stored.tanggal, "hal": stored.hal, "sha256": stored.sha256,
            "pdf_url": f"{API}/letters/{stored.letter_id}/pdf", "verification_url": verification_url,
            "issued_at": stored.issued_at}


def job_json(job: Job) -> dict:
    callback = None if not job.callback_url else {"state": job.callback_state, "attempts": job.callback_attempts,
                                                  "error": job.callback_error}
    return {"job_id": job.job_id, "state": job.state, "created_at": job.created_at, "updated_at": job.updated_at,
            "http_status": job.http_status, "letter": job.result, "error": (job.error or {}).get("error"),
            "callback": callback}


def report_json(report: VerificationReport, sha256: str, letter_id: str | None) -> dict:
    def when(moment):
        return moment.isoformat() if moment else None

    return {"ok": report.ok, "demo_key": uses_demo_key(report), "sha256": sha256, "letter_id": letter_id,
            "signatures": [{"field_name": s.field_name, "signer": s.signer, "signing_time": when(s.signing_time),
                            "level": s.level, "intact": s.intact, "valid": s.valid, "trusted": s.trusted,
                            "timestamp_time": when(s.timestamp.time) if s.timestamp else None,
                            "revocation": s.revocation, "problems": list(s.problems)} for s in report.signatures],
            "document_timestamps": len(report.timestamps), "problems": list(report.problems),
            "report": report.to_text()}


def _text(value) -> str | None:
    return None if value is None else str(value)


# --------------------------------------------------------------------------------------------- size limits

class BodyLimit:
    """Refuses a request body over the limit, by its Content-Length at once, or while it streams in."""

    def __init__(self, app, service: "Service"):
        self.app = app
        self.service = service

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
            error = _too_large(limit) if length.strip().isdigit() else ApiError(
                400, "malformed_body", "the Content-Length header is not a number")
            response = _error_response(self.service, scope["path"], error)
            return await response(scope, receive, send)
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _too_large(limit)
            return message

        await self.app(scope, limited_receive, send)


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "too_large", f"the request body is larger than the limit of {_size(limit)}")


def _size(limit: int) -> str:
    return f"{limit / 1024 / 1024:g} MB" if limit >= 1024 * 1024 else f"{limit / 1024:g} KB"


# --------------------------------------------------------------------------------------------- responses

_HTML_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

_pages = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                     trim_blocks=True, lstrip_blocks=True)


def render_page(name: str, status: int = 200, **context) -> HTMLResponse:
    return HTMLResponse(_pages.get_template(name).render(**context), status_code=status, headers=_HTML_HEADERS)


def message_page(status: int, cls: str, headline: str, *paragraphs: str) -> HTMLResponse:
    icon = {"ok": "✓", "bad": "✗"}.get(cls, "!")
    return render_page("message.html", status, cls=cls, icon=icon, headline=headline, paragraphs=paragraphs)


def _page_error(service: Service, error: ApiError) -> HTMLResponse:
    if error.status == 404:
        return message_page(404, "warn", "Halaman tidak ditemukan",
                            "Alamat yang Anda buka tidak ada. Bukalah alamat yang tersimpan dalam kode QR surat.")
    if error.status == 413:
        return message_page(413, "warn", "Berkas terlalu besar",
                            f"Berkas yang dapat diperiksa paling besar {_size(service.options.max_upload_bytes)}. "
                            "Berkas surat elektronik biasanya jauh lebih kecil; pastikan Anda mengunggah berkas PDF "
                            "surat itu sendiri.")
    if error.status < 500:
        return message_page(error.status, "warn", "Permintaan tidak dapat diproses",
                            "Periksa kembali alamat atau berkas yang Anda kirim, lalu coba lagi.")
    return message_page(error.status, "warn", "Layanan sedang mengalami gangguan",
                        "Silakan coba beberapa saat lagi.")


def _error_response(service: Service | None, path: str, error: ApiError) -> Response:
    if service is not None and service.page_prefix and path.startswith(service.page_prefix + "/"):
        response = _page_error(service, error)
    else:
        response = JSONResponse(error.body(), status_code=error.status)
    for key, value in error.headers.items():
        response.headers[key] = value
    return response


# --------------------------------------------------------------------------------------------- the app

def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    service = Service(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await asyncio.to_thread(service.start)
        try:
            yield
        finally:
            await asyncio.to_thread(service.stop)

    app = FastAPI(title="naskah", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description=_DESCRIPTION, openapi_tags=_TAGS)
    app.state.service = service
    app.add_middleware(BodyLimit, service=service)

    # ------------------------------------------------------------------------------------- errors

    @app.exception_handler(ApiError)
    async def on_api_error(request: Request, exc: ApiError):
        return _error_response(service, request.url.path, exc)

    @app.exception_handler(NaskahError)
    async def on_naskah_error(request: Request, exc: NaskahError):
        return _error_response(service, request.url.path, api_error_for(exc))

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError):
        problems = [Problem(".".join(str(part) for part in error.get("loc", ())), error.get("msg", "invalid"))
                    for error in exc.errors()]
        return _error_response(service, request.url.path, ApiError(
            422, "invalid_request", "the request's parameters are not valid", problems))

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException):
        codes = {404: "not_found", 405: "method_not_allowed"}
        message = {404: "no such resource", 405: "method not allowed"}.get(exc.status_code, str(exc.detail))
        error = ApiError(exc.status_code, codes.get(exc.status_code, "http_error"), message,
                         headers=dict(exc.headers or {}))
        return _error_response(service, request.url.path, error)

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception):
        return _error_response(service, request.url.path, api_error_for(exc))

    # ------------------------------------------------------------------------------------- helpers

    async def authenticate(request: Request) -> Host:
        try:
            body = await request.body()
        except ClientDisconnect:
            raise ApiError(400, "malformed_body", "the client went away before sending the whole body") from None
        path = (request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1")
        query = request.scope.get("query_string") or b""
        if query:
            path += "?" + query.decode("latin-1")
        try:
            return service.auth.authenticate(request.method, path, request.headers, body)
        except AuthError as exc:
            client = request.client.host if request.client else "?"
            log.warning("refused %s %s from %s: %s", request.method, request.url.path, client, exc)
            raise ApiError(401, "unauthorized", str(exc), headers={"WWW-Authenticate": 'Bearer realm="naskah"'})

    async def read_payload(request: Request) -> dict:
        content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise ApiError(415, "unsupported_media_type",
                           f"send the payload as JSON with Content-Type: application/json (got {content_type})")
        body = await request.body()
        if not body.strip():
            raise ApiError(400, "malformed_body", "the request body is empty: send the payload as a JSON object")
        try:
            return parse_payload(body)
        except PayloadError as exc:
            raise ApiError(400, "malformed_body", exc.problems[0].message if exc.problems else "malformed JSON",
                           exc.problems) from None

    async def read_upload(request: Request, field: str) -> tuple[bytes, str]:
        content_type = request.headers.get("content-type", "")
        if not content_type.lower().startswith("multipart/form-data"):
            raise ApiError(415, "unsupported_media_type",
                           f"upload the PDF as multipart/form-data in the field {field!r}")
        try:
            form = await request.form(max_files=1, max_fields=10, max_part_size=service.options.max_upload_bytes)
        except ApiError:
            raise
        except Exception as exc:  # a malformed multipart body
            raise ApiError(400, "malformed_body", f"the multipart body cannot be read: {_plain(exc)}") from None
        try:
            upload = form.get(field)
            if upload is None or isinstance(upload, str):
                raise ApiError(400, "malformed_body", f"no file in the field {field!r}",
                               [Problem(field, "required: the PDF to check")])
            data = await upload.read()
            return data, upload.filename or ""
        finally:
            await form.close()

    async def in_thread(executor, function, *args, **kwargs):
        return await asyncio.get_running_loop().run_in_executor(executor, lambda: function(*args, **kwargs))

    def mapping_param(mapping: str | None):
        if mapping is not None and not re.match(MAPPING_NAME, mapping):
            raise ApiError(422, "invalid_request", "no such mapping", [Problem("query.mapping", "unknown name")])
        return mapping

    # ------------------------------------------------------------------------------------- the API

    @app.post(f"{API}/letters", tags=["letters"], status_code=201, response_model=schemas.Letter,
              summary="Issue a letter from a payload (signed, stored)",
              openapi_extra={"requestBody": _PAYLOAD_BODY},
              responses={200: {"model": schemas.Letter, "description": "issued before: the stored letter"},
                         202: {"model": schemas.JobAccepted, "description": "mode=async: the job that issues it"},
                         **_errors(400, 401, 409, 413, 415, 422, 429, 503)})
    async def issue_letter(request: Request,
                           mode: Literal["sync", "async"] = Query("sync", description="async: answer 202 with a "
                                                                  "job id at once, and issue in the background"),
                           mapping: str | None = Query(None, description="mapping name (default: the one whose "
                                                       "match rule accepts the payload)"),
                           callback_url: str | None = Query(None, description="where to post the result (default: "
                                                            "the payload's callback field); must be under one of "
                                                            "the host's callback_prefixes")):
        host = await authenticate(request)
        payload = await read_payload(request)
        mapping = mapping_param(mapping)
        field = "query.callback_url"
        if callback_url is None and service.options.callback_field:
            callback_url, field = _dig(payload, service.options.callback_field), service.options.callback_field
        if callback_url is not None:
            callback_url = check_callback_url(callback_url, host, field)
        # everything that can refuse the payload, before a job exists
        await in_thread(service.previews, service.naskah.prepare, payload, mapping)
        job, future = service.runner.enqueue(host.name, payload, mapping, callback_url)
        if mode == "async":
            status_url = f"{API}/jobs/{job.job_id}"
            return JSONResponse({"job_id": job.job_id, "state": job.state, "status_url": status_url},
                                status_code=202, headers={"Location": status_url})
        finished: Job = await asyncio.wrap_future(future)
        if finished.error is not None:
            error = finished.error["error"]
            return JSONResponse(finished.error, status_code=finished.http_status,
                                headers={"Retry-After": "30"} if error.get("status") == 503 else None)
        return JSONResponse(finished.result, status_code=finished.http_status)

    @app.get(f"{API}/jobs/{{job_id}}", tags=["letters"], response_model=schemas.JobStatus,
             summary="The state of an issuing job, with its letter or error when finished",
             responses=_errors(401, 404))
    async def job_status(request: Request, job_id: str):
        host = await authenticate(request)
        job = service.jobs.get(job_id) if JOB_ID.match(job_id) else None
        if job is None or job.host != host.name:
            raise ApiError(404, "not_found", "no such job (finished jobs are kept "
                                             f"{service.options.job_retention_days:g} days)")
        return JSONResponse(job_json(job))

    @app.get(f"{API}/letters/{{letter_id}}", tags=["letters"], response_model=schemas.Letter,
             summary="A stored letter's description", responses=_errors(401, 404))
    async def letter_info(request: Request, letter_id: str):
        await authenticate(request)
        stored = _stored_or_404(service, letter_id)
        return JSONResponse(stored_json(stored, service.naskah.verification_url(stored.letter_id)))

    @app.get(f"{API}/letters/{{letter_id}}/pdf", tags=["letters"], summary="The signed PDF of a stored letter",
             response_class=Response,
             responses={200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
                              "description": "the signed PDF/A"}, **_errors(401, 404)})
    async def letter_pdf(request: Request, letter_id: str):
        await authenticate(request)
        stored = _stored_or_404(service, letter_id)
        try:
            data = await asyncio.to_thread(stored.pdf_path.read_bytes)
        except OSError:
            log.error("letter %s: its file %s cannot be read", letter_id, stored.pdf_path)
            raise ApiError(503, "unavailable", "the letter's file cannot be read now; the operator is told in the log")
        return Response(data, media_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="{stored.letter_id}.pdf"', "ETag": f'"{stored.sha256}"',
            "X-Content-Type-Options": "nosniff"})

    @app.post(f"{API}/previews", tags=["letters"], summary="An unsigned draft, every page marked DRAFT",
              response_class=Response, openapi_extra={"requestBody": _PAYLOAD_BODY},
              responses={200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}},
                                           "application/json": {"schema": {"$ref": "#/components/schemas/PreviewPages"}}},
                               "description": "format=pdf: the draft PDF; format=png: its pages as PNG images"},
                         **_errors(400, 401, 413, 415, 422, 503)})
    async def preview(request: Request,
                      format: Literal["pdf", "png"] = Query("pdf", description="pdf, or png pages (in JSON)"),
                      dpi: int = Query(96, ge=40, le=200, description="resolution of png pages"),
                      mapping: str | None = Query(None, description="mapping name")):
        await authenticate(request)
        payload = await read_payload(request)
        mapping = mapping_param(mapping)
        pdf = await in_thread(service.previews, service.naskah.render, payload, mapping, pdf=True)
        if format == "pdf":
            return Response(pdf, media_type="application/pdf",
                            headers={"Content-Disposition": 'inline; filename="draft.pdf"'})
        pages = await in_thread(service.previews, png_pages, pdf, dpi)
        return JSONResponse({"format": "png", "dpi": dpi, "page_count": len(pages), "pages": pages})

    @app.post(f"{API}/verify", tags=["verification"], response_model=schemas.VerificationOut,
              summary="Check the signatures of an uploaded PDF (and whether it is a stored letter)",
              openapi_extra={"requestBody": _upload_body("file")}, responses=_errors(400, 401, 413, 415))
    async def verify(request: Request):
        await authenticate(request)
        data, _ = await read_upload(request, "file")
        sha256 = hashlib.sha256(data).hexdigest()
        report = await in_thread(service.verifications, verify_pdf, data, trust_roots=service.all_trust_roots())
        letter_id = await asyncio.to_thread(service.letter_by_sha256, sha256)
        return JSONResponse(report_json(report, sha256, letter_id))

    @app.get("/health", tags=["health"], response_model=schemas.Health, summary="Liveness: the process answers")
    async def health():
        return {"status": "ok"}

    @app.get("/ready", tags=["health"], response_model=schemas.Readiness,
             summary="Readiness: mappings, store, LibreOffice, signing profiles and hosts are usable",
             responses={503: {"model": schemas.Readiness, "description": "not ready; details in the log"}})
    async def ready():
        checks = await asyncio.to_thread(service.readiness)
        ok = all(value == "ok" for value in checks.values())
        return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)

    # ------------------------------------------------------------------------------------- the public page

    prefix = service.page_prefix
    max_upload = _size(service.options.max_upload_bytes)

    async def letter_page(letter_id: str, upload: tuple[bytes, str] | None = None) -> HTMLResponse:
        stored = service.naskah.store.get(letter_id) if LETTER_ID.match(letter_id) else None
        if stored is None:
            shown = letter_id if len(letter_id) <= 40 else letter_id[:40] + "…"
            return message_page(404, "bad", "Surat tidak ditemukan",
                                f"Tidak ada surat dengan kode verifikasi «{shown}».",
                                "Pastikan alamat yang Anda buka sama persis dengan alamat dalam kode QR pada surat. "
                                "Surat yang tidak tercatat di sini tidak dapat dipastikan keasliannya; tanyakan "
                                "kepada instansi yang disebut sebagai penerbitnya.")
        try:
            pdf = await asyncio.to_thread(stored.pdf_path.read_bytes)
        except OSError:
            log.error("letter %s: its file %s cannot be read", letter_id, stored.pdf_path)
            return message_page(503, "warn", "Surat tidak dapat diperiksa saat ini",
                                "Surat ini tercatat, tetapi berkasnya tidak dapat dibaca saat ini. Silakan coba "
                                "beberapa saat lagi.")
        report = await in_thread(service.verifications, service.stored_report, stored, pdf)
        zone = service.options.timezone
        verdict = verdict_of(report, zone)
        checked = None
        if upload is not None:
            data, filename = upload
            roots = service.trust_roots_for(stored.mapping)
            if not service.page_checks.acquire(blocking=False):
                return message_page(503, "warn", "Layanan sedang sibuk",
                                    "Terlalu banyak berkas sedang diperiksa. Silakan coba beberapa saat lagi.")
            try:
                checked = await in_thread(service.verifications, check_upload, data, filename, pdf, stored.sha256,
                                          lambda content: (report if content == pdf else
                                                           verify_pdf(content, trust_roots=roots)), zone)
            finally:
                service.page_checks.release()
        facts = letter_facts(letter_id, stored, await asyncio.to_thread(service.records.get, letter_id))
        status = 400 if checked is not None and checked.kind == "unreadable" else 200
        return render_page("letter.html", status, facts=facts, verdict=verdict, upload=checked,
                           page_url=f"{prefix}/{letter_id}", max_upload=max_upload)

    @app.get(f"{prefix}/{{letter_id}}", tags=["public verification page"], response_class=HTMLResponse,
             summary="The page the QR code opens (Indonesian): the letter's data and whether its signature holds",
             responses={200: {"content": {"text/html": {}}}, 404: {"content": {"text/html": {}},
                                                                  "description": "no such letter"}})
    async def page(letter_id: str):
        return await letter_page(letter_id)

    @app.post(f"{prefix}/{{letter_id}}", tags=["public verification page"], response_class=HTMLResponse,
              summary="Check whether an uploaded PDF is exactly that letter (form field `berkas`)",
              openapi_extra={"requestBody": _upload_body("berkas")},
              responses={200: {"content": {"text/html": {}}},
                         400: {"content": {"text/html": {}}, "description": "no file, or not a PDF"},
                         404: {"content": {"text/html": {}}, "description": "no such letter"},
                         413: {"content": {"text/html": {}}, "description": "file too large"},
                         415: {"content": {"text/html": {}}, "description": "not a form upload"}})
    async def page_upload(request: Request, letter_id: str):
        if not LETTER_ID.match(letter_id) or service.naskah.store.get(letter_id) is None:
            return await letter_page(letter_id)  # the 404 page, without reading the upload
        try:
            upload = await read_upload(request, "berkas")
        except ApiError as exc:
            if exc.status == 413:
                raise
            upload = (b"", "")  # no file chosen, or not a form: the page says so
        return await letter_page(letter_id, upload)

    def openapi():
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes, tags=_TAGS)
            components = schema.setdefault("components", {})
            extra = schemas.PreviewPages.model_json_schema(ref_template="#/components/schemas/{model}")
            components.setdefault("schemas", {}).update(extra.pop("$defs", {}), PreviewPages=extra)
            components["securitySchemes"] = {
                "token": {"type": "http", "scheme": "bearer", "description": "the host's API token"},
                "hmac": {"type": "apiKey", "in": "header", "name": SIGNATURE_HEADER,
                         "description": f"sha256=HMAC-SHA256(secret, TIMESTAMP\\nMETHOD\\nPATH\\nBODY) with "
                                        f"{HOST_HEADER} and {TIMESTAMP_HEADER} (see the README)"}}
            # errors have one shape (ErrorResponse), FastAPI's own 422 schema included
            for path, operations in schema["paths"].items():
                for operation in operations.values():
                    if path.startswith(API):
                        operation["security"] = [{"token": []}, {"hmac": []}]
                    responses = operation.get("responses", {})
                    if "422" in responses and "HTTPValidationError" in str(responses["422"]):
                        if path.startswith(API):
                            responses["422"] = {"description": "invalid parameters, or the payload refused",
                                                "content": {"application/json": {"schema": {
                                                    "$ref": "#/components/schemas/ErrorResponse"}}}}
                        else:
                            del responses["422"]
            for name in ("HTTPValidationError", "ValidationError"):
                components["schemas"].pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi
    return app


def _stored_or_404(service: Service, letter_id: str) -> StoredLetter:
    stored = service.naskah.store.get(letter_id) if LETTER_ID.match(letter_id) else None
    if stored is None:
        raise ApiError(404, "not_found", "no letter with this id")
    return stored


def _dig(payload: dict, path: str):
    value = payload
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _plain(exc: Exception) -> str:
    return html.escape(str(exc) or type(exc).__name__)[:200]


def png_pages(pdf: bytes, dpi: int) -> list[dict]:
    """The draft's pages as PNG (poppler's pdftoppm), at most MAX_PREVIEW_PAGES."""
    with tempfile.TemporaryDirectory(prefix="naskah-preview-") as work:
        source = Path(work) / "draft.pdf"
        source.write_bytes(pdf)
        try:
            subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-l", str(MAX_PREVIEW_PAGES), str(source),
                            str(Path(work) / "page")], check=True, capture_output=True, timeout=120)
        except (OSError, subprocess.SubprocessError) as exc:
            raise ApiError(503, "preview_failed", f"the draft could not be turned into images "
                                                  f"({type(exc).__name__})") from None
        pages = []
        for number, image in enumerate(sorted(Path(work).glob("page-*.png"), key=_page_number), start=1):
            data = image.read_bytes()
            width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
            pages.append({"page": number, "width": width, "height": height,
                          "png_base64": base64.b64encode(data).decode("ascii")})
        return pages


def _page_number(path: Path) -> int:
    return int(path.stem.rsplit("-", 1)[1])


_TAGS = [
    {"name": "letters", "description": "issue letters, follow jobs, fetch signed PDFs, preview drafts"},
    {"name": "verification", "description": "check the signatures of a PDF"},
    {"name": "health", "description": "liveness and readiness probes (no authentication)"},
    {"name": "public verification page", "description": "HTML in Indonesian for citizens (no authentication)"},
]

_DESCRIPTION = """\
The host e-office's API to naskah, and the public page behind the QR code on every letter.

Every `/api/v1` call authenticates with `Authorization: Bearer TOKEN`, or with an HMAC signature:
`X-Naskah-Host: NAME`, `X-Naskah-Timestamp: UNIX SECONDS`, `X-Naskah-Signature: sha256=HEX` where HEX is
HMAC-SHA256 with the host's secret of `TIMESTAMP \\n METHOD \\n PATH?QUERY \\n BODY`. Old timestamps and reused
signatures are refused.

Every error has one shape: `{"error": {"status", "code", "message", "problems": [{"field", "message"}]}}`,
where `field` is the path of the payload field the problem concerns (e.g. `data.pegawai.nip`).
"""
