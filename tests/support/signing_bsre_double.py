"""A TEST DOUBLE of the BSrE Esign Client Service v1 (the remote signing service of Indonesian governments),
for the tests only: it is not BSrE, and what it signs is signed by the test PKI, not by a real certificate.

It follows the contract that naskah's client (plugin/naskah/sign/bsre.py) speaks, over real HTTP on 127.0.0.1:
HTTP basic auth; ``GET /api/user/status/{nik}``; ``POST /api/sign/pdf`` with the multipart fields ``file``,
``nik``, ``passphrase``, ``tampilan``, ``image``/``linkQR``, ``page``, ``xAxis``, ``yAxis``, ``width``,
``height``, ``reason``, ``location``; the signed PDF as the answer, errors as JSON ``{"error", "status_code"}``
(2011 signer not registered, 2031 wrong passphrase, 2021 certificate not active). Like the real service it
signs PAdES with a signature timestamp (B-T) from a TSA: here the test PKI's, served by certomancer.

The double never logs request bodies (werkzeug logs the request line only) and keeps no passphrase.
"""
from __future__ import annotations

import io
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug.routing import Map, Rule
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

NOTO_SANS = "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"


@dataclass
class DoubleUser:
    """One official registered with the double: a test PKI PKCS#12 and the passphrase that unlocks it."""

    passphrase: str
    p12: Path
    p12_password: str
    status: str = "ISSUE"


@dataclass
class BsreTestDouble:
    """The test double's state; ``start()`` serves it on 127.0.0.1 (free port), ``stop()`` ends it."""

    username: str
    password: str
    users: dict[str, DoubleUser]
    tsa_url: str
    calls: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)  # method, path, field names
    _server: object = None
    _thread: threading.Thread | None = None

    def __post_init__(self):
        self._routes = Map([Rule("/api/user/status/<nik>", endpoint="status", methods=("GET",)),
                            Rule("/api/sign/pdf", endpoint="sign", methods=("POST",))])

    # --- serving ---

    def start(self) -> str:
        self._server = make_server("127.0.0.1", 0, self, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="bsre-test-double", daemon=True)
        self._thread.start()
        return self.url

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
            self._server = None

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            endpoint, args = self._routes.bind_to_environ(environ).match()
        except Exception as exc:  # werkzeug's NotFound / MethodNotAllowed
            return exc(environ, start_response)
        self.calls.append((request.method, request.path, tuple(sorted(request.form.keys()))))
        auth = request.authorization
        if auth is None or auth.username != self.username or auth.password != self.password:
            response = _json({"error": "Unauthorized", "status_code": 401}, 401)
            response.headers["WWW-Authenticate"] = 'Basic realm="esign"'
        elif endpoint == "status":
            response = self._status(args["nik"])
        else:
            response = self._sign(request)
        return response(environ, start_response)

    # --- the contract ---

    def _status(self, nik: str) -> Response:
        user = self.users.get(nik)
        if user is None:
            return _json({"status_code": 1110, "message": "User tidak terdaftar", "status": None}, 200)
        return _json({"status_code": 1111, "message": "User terdaftar", "status": user.status}, 200)

    def _sign(self, request: Request) -> Response:
        form, upload = request.form, request.files.get("file")
        user = self.users.get(form.get("nik", ""))
        if upload is None:
            return _json({"error": "File PDF tidak ditemukan", "status_code": 2001}, 400)
        if user is None:
            return _json({"error": "User tidak terdaftar", "status_code": 2011}, 400)
        if user.status != "ISSUE":
            return _json({"error": "Sertifikat tidak aktif", "status_code": 2021}, 400)
        if form.get("passphrase") != user.passphrase:
            return _json({"error": "Passphrase anda salah", "status_code": 2031}, 400)
        try:
            signed = self._pyhanko_sign(upload.read(), user, form)
        except Exception as exc:
            return _json({"error": f"Gagal menandatangani: {type(exc).__name__}", "status_code": 5000}, 500)
        return Response(signed, status=200, mimetype="application/pdf")

    def _pyhanko_sign(self, pdf: bytes, user: DoubleUser, form) -> bytes:
        from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.pdf_utils.text import TextBoxStyle
        from pyhanko.sign import fields, signers, timestamps
        from pyhanko.stamp import QRStampStyle, TextStampStyle

        signer = signers.SimpleSigner.load_pkcs12_data(user.p12.read_bytes(), other_certs=(),
                                                       passphrase=user.p12_password.encode())
        name = "Signature_BSrE"
        visible = form.get("tampilan", "invisible") == "visible"
        spec, style, params = None, None, None
        if visible:
            x, y = float(form["xAxis"]), float(form["yAxis"])
            box = (round(x), round(y), round(x + float(form["width"])), round(y + float(form["height"])))
            spec = fields.SigFieldSpec(sig_field_name=name, on_page=int(form.get("page", "1")) - 1, box=box)
            text = TextBoxStyle(font=GlyphAccumulatorFactory(NOTO_SANS, font_size=7), font_size=7, leading=9)
            stamp_text = "Ditandatangani secara elektronik oleh:\n%(signer)s\n%(ts)s\n(BSrE TEST DOUBLE)"
            if form.get("linkQR"):
                style = QRStampStyle(stamp_text=stamp_text, text_box_style=text, border_width=2, innsep=3)
                params = {"url": form["linkQR"]}
            else:
                style = TextStampStyle(stamp_text=stamp_text, text_box_style=text, border_width=2)
                params = {}
        else:
            spec = fields.SigFieldSpec(sig_field_name=name)
        meta = signers.PdfSignatureMetadata(field_name=name, subfilter=fields.SigSeedSubFilter.PADES,
                                            md_algorithm="sha256", reason=form.get("reason"),
                                            location=form.get("location"))
        pdf_signer = signers.PdfSigner(meta, signer, timestamper=timestamps.HTTPTimeStamper(self.tsa_url, timeout=10),
                                       stamp_style=style, new_field_spec=spec)
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        return pdf_signer.sign_pdf(writer, appearance_text_params=params).getvalue()


def _json(body: dict, status: int) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")
