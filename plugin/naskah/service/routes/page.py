"""The public verification page behind the QR code (Indonesian, no authentication): the letter's public facts
and whether its signature holds, and the check of a PDF a citizen uploads. Mounted at the path of
``verification_base_url`` (or ``[service] verification_path``); the page's words are in
:mod:`..verification_page`.

Each client may open ``page_views_per_minute`` pages and upload ``uploads_per_minute`` files (:mod:`..throttle`).
An upload is checked within the verification limits on the upload threads; the stored letter's own report is
made on threads of its own, so a page view never waits behind uploads."""
from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ...validation import VerificationRefused
from ..errors import ApiError, size_text
from ..inputs import read_upload
from ..openapi import upload_body
from ..pages import message_page, render_page
from ..runtime import CurrentService, Service, in_thread
from ..verification_page import check_upload, flow_notice, letter_facts, refused_upload, verdict_of
from ..views import LETTER_ID

log = logging.getLogger("naskah.service")

router = APIRouter(tags=["public verification page"])


def _html(description: str | None = None) -> dict:
    """An HTML answer in the OpenAPI schema."""
    return {"content": {"text/html": {}}} | ({"description": description} if description else {})


@router.get("/{letter_id}", response_class=HTMLResponse,
            summary="The page the QR code opens (Indonesian): the letter's data and whether its signature holds",
            responses={200: _html(), 404: _html("no such letter"), 429: _html("too many pages opened")})
async def page(request: Request, service: CurrentService, letter_id: str):
    await service.throttle.view(request)
    return await letter_page(service, letter_id)


@router.post("/{letter_id}", response_class=HTMLResponse,
             summary="Check whether an uploaded PDF is exactly that letter (form field `berkas`)",
             openapi_extra={"requestBody": upload_body("berkas")},
             responses={200: _html(), 400: _html("no file, or not a PDF"), 404: _html("no such letter"),
                        413: _html("file too large"), 415: _html("not a form upload"),
                        422: _html("a file too complex to check"), 429: _html("too many files uploaded")})
async def page_upload(request: Request, service: CurrentService, letter_id: str):
    await service.throttle.upload(request)  # before the upload is read
    if not LETTER_ID.match(letter_id) or service.naskah.store.get(letter_id) is None:
        return await letter_page(service, letter_id)  # the 404 page, without reading the upload
    try:
        upload = await read_upload(request, "berkas", service.options.max_upload_bytes)
    except ApiError as exc:
        if exc.status == 413:
            raise
        upload = (b"", "")  # no file chosen, or not a form: the page says so
    return await letter_page(service, letter_id, upload)


async def letter_page(service: Service, letter_id: str, upload: tuple[bytes, str] | None = None) -> HTMLResponse:
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
    report = await in_thread(service.page_reports, service.stored_report, stored, pdf)
    zone = service.options.timezone
    verdict = verdict_of(report, zone)
    checked = None
    if upload is not None:
        data, filename = upload
        roots = service.trust.for_mapping(stored.mapping)
        if not service.page_checks.acquire(blocking=False):
            return message_page(503, "warn", "Layanan sedang sibuk",
                                "Terlalu banyak berkas sedang diperiksa. Silakan coba beberapa saat lagi.")
        try:
            checked = await in_thread(service.verifications, check_upload, data, filename, pdf, stored.sha256,
                                      lambda content: (report if content == pdf else
                                                       service.check_upload(content, roots)), zone)
        except VerificationRefused:
            checked = refused_upload(data, filename)
        finally:
            service.page_checks.release()
    status = {"unreadable": 400, "refused": 422}.get(checked.kind, 200) if checked is not None else 200
    notice = await asyncio.to_thread(_notice, service, letter_id)
    return render_page("letter.html", status, facts=letter_facts(letter_id, stored), verdict=verdict, upload=checked,
                       notice=notice, page_url=f"{service.page_prefix}/{letter_id}",
                       max_upload=size_text(service.options.max_upload_bytes))


def _notice(service: Service, letter_id: str):
    """Whether the signature flow revoked or replaced the letter (read on a worker thread)."""
    draft = service.flow.status_of_letter(letter_id)
    replacement = service.naskah.store.get(draft.superseded_by) if draft and draft.superseded_by else None
    return flow_notice(draft, service.options.timezone, lambda other: f"{service.page_prefix}/{other}",
                       replacement.nomor if replacement else None)
