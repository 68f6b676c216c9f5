"""HTML answers for people (in Indonesian): the pages of the verification page, and its error pages.

An error under the verification page's path is a page a citizen can read; anywhere else it is the API's JSON.
Every page goes out with headers that keep it from being framed, sniffed or cached.
"""
from __future__ import annotations

from pathlib import Path

from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from .errors import ApiError, size_text

TEMPLATES = Path(__file__).parent / "templates"

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


def error_page(error: ApiError, max_upload: int) -> HTMLResponse:
    if error.status == 404:
        return message_page(404, "warn", "Halaman tidak ditemukan",
                            "Alamat yang Anda buka tidak ada. Bukalah alamat yang tersimpan dalam kode QR surat.")
    if error.status == 413:
        return message_page(413, "warn", "Berkas terlalu besar",
                            f"Berkas yang dapat diperiksa paling besar {size_text(max_upload)}. "
                            "Berkas surat elektronik biasanya jauh lebih kecil; pastikan Anda mengunggah berkas PDF "
                            "surat itu sendiri.")
    if error.status == 429:
        wait = error.headers.get("Retry-After", "")
        return message_page(429, "warn", "Terlalu banyak permintaan",
                            "Terlalu banyak halaman dibuka atau berkas diunggah dari alamat Anda dalam waktu singkat. "
                            f"Silakan coba lagi{f' dalam {wait} detik' if wait else ' beberapa saat lagi'}.")
    if error.status < 500:
        return message_page(error.status, "warn", "Permintaan tidak dapat diproses",
                            "Periksa kembali alamat atau berkas yang Anda kirim, lalu coba lagi.")
    return message_page(error.status, "warn", "Layanan sedang mengalami gangguan",
                        "Silakan coba beberapa saat lagi.")


def error_response(service, path: str, error: ApiError) -> Response:
    """The answer for ``error`` on a request for ``path``: a page under the ``service``'s verification page
    (a ``runtime.Service``), JSON elsewhere."""
    if service.page_prefix and path.startswith(service.page_prefix + "/"):
        response = error_page(error, service.options.max_upload_bytes)
    else:
        response = JSONResponse(error.body(), status_code=error.status)
    for key, value in error.headers.items():
        response.headers[key] = value
    return response
